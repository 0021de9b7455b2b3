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
        "views/res_config_settings_views.xml",
        "security/tektoro_work_order_security.xml",
        "data/tektoro_work_order_data.xml",
        "views/tektoro_device_model_views.xml",
        "views/tektoro_work_order_views.xml",
        "views/tektoro_invoice_views.xml",
        "wizard/tektoro_invoice_create_wizard_views.xml",
        "report/tektoro_invoice_reports.xml",
        "report/tektoro_invoice_templates.xml",
        "views/tektoro_invoicing_menus.xml",
        "report/tektoro_invoicing_report_templates.xml",
    ],
    "demo": [
        "demo/res_company_demo.xml",
        "demo/tektoro_work_order_demo.xml",
    ],
    "assets": {
        "web.report_assets_common": [
            "tektoro_invoicing/static/src/scss/tektoro_report.scss",
        ],
        "web.assets_tests": [
            "tektoro_invoicing/static/tests/tours/*.js",
        ],
    },
    "application": True,
    "installable": True,
}
