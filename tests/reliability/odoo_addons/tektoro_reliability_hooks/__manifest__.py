# Part of TekToro Invoicing. See LICENSE file for full copyright and licensing details.
{
    "name": "TekToro Invoicing: reliability test hooks",
    "version": "18.0.1.0.0",
    "summary": "Test-only: forces real serialization failures in invoice-creating requests",
    "description": "Installed only by the test suite's Odoo server (tests/reliability). Never "
    "put this directory on a production addons path.",
    "author": "TekToro",
    "license": "LGPL-3",
    "depends": ["tektoro_invoicing"],
    "installable": True,
}
