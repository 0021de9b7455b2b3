from odoo import api, fields, models

from .res_company import MANAGER_SETTINGS, SYSTEM_SETTINGS


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

    @api.model_create_multi
    def create(self, vals_list):
        """Write the TekToro settings to the company in one ``write``, not field by field as
        related fields are: the company's constraints compare them with each other (a prefix
        with the billing account it numbers on), so turning invoices on and choosing another
        prefix in one save is checked as a whole."""
        vals_list = [dict(vals) for vals in vals_list]
        names = MANAGER_SETTINGS + SYSTEM_SETTINGS
        company_values = [
            {name: vals.pop(name) for name in names if name in vals} for vals in vals_list
        ]
        settings = super().create(vals_list)
        for record, values in zip(settings, company_values, strict=True):
            current = record.company_id.sudo()  # compared only: written with the caller's rights
            changed = {name: value for name, value in values.items() if current[name] != value}
            if changed:
                record.company_id.write(changed)
        return settings
