from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    tektoro_invoices_enabled = fields.Boolean(
        related="company_id.tektoro_invoices_enabled", readonly=False
    )
    tektoro_invoice_prefix = fields.Char(
        related="company_id.tektoro_invoice_prefix", readonly=False
    )
    tektoro_default_tax_rate = fields.Float(
        related="company_id.tektoro_default_tax_rate", readonly=False
    )
    tektoro_billing_url = fields.Char(related="company_id.tektoro_billing_url", readonly=False)
    tektoro_billing_api_key = fields.Char(
        related="company_id.tektoro_billing_api_key", readonly=False, groups="base.group_system"
    )
    tektoro_billing_timeout = fields.Float(
        related="company_id.tektoro_billing_timeout", readonly=False
    )
