# Part of TekToro Invoicing. See LICENSE file for full copyright and licensing details.
{
    "name": "TekToro Invoicing",
    "version": "18.0.1.0.0",
    "category": "Services/Invoicing",
    "summary": "Contractor master invoices with approvals, client invoices and "
    "work-order invoices synced with an external billing system",
    "author": "TekToro",
    "website": "https://github.com/tektoro/tektoro-invoicing",
    "license": "LGPL-3",
    "depends": ["base", "mail", "web"],
    "data": [
        "security/tektoro_invoicing_groups.xml",
        "security/ir.model.access.csv",
        "security/tektoro_ticket_security.xml",
        "security/tektoro_master_invoice_security.xml",
        "security/tektoro_client_invoice_security.xml",
        "data/tektoro_master_invoice_data.xml",
        "data/tektoro_master_invoice_mail_templates.xml",
        "views/res_config_settings_views.xml",
        "wizard/tektoro_master_invoice_create_wizard_views.xml",
        "wizard/tektoro_master_invoice_review_wizard_views.xml",
        "wizard/tektoro_client_invoice_generate_wizard_views.xml",
        "views/tektoro_ticket_views.xml",
        "views/tektoro_master_invoice_views.xml",
        "views/tektoro_client_invoice_views.xml",
        "report/tektoro_master_invoice_reports.xml",
        "report/tektoro_master_invoice_templates.xml",
        "report/tektoro_client_invoice_reports.xml",
        "report/tektoro_client_invoice_templates.xml",
        "views/tektoro_invoicing_menus.xml",
    ],
    "demo": [
        "demo/res_company_demo.xml",
        "demo/tektoro_master_invoice_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "tektoro_invoicing/static/src/views/*",
        ],
        "web.assets_tests": [
            "tektoro_invoicing/static/tests/tours/*.js",
        ],
    },
    "application": True,
    "installable": True,
}
