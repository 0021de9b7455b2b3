from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..models.res_company import MANAGER_SETTINGS, SYSTEM_SETTINGS
from ..tools.access import MANAGER_GROUP


class TektoroCompanySettings(models.TransientModel):
    """The "Settings" dialog of TekToro > Configuration: the current company's settings.

    Odoo's Settings page is for system administrators only (``res.config.settings`` refuses
    anyone else), while DESIGN gives TekToro managers the settings: whether the company bills
    work orders, their invoice prefix and the default tax rate. System administrators see the
    billing connection here too, as on the Settings page. Both write the same company fields.
    """

    _name = "tektoro.company.settings"
    _description = "TekToro Invoicing Settings"
    _inherit = ["tektoro.checked.values"]

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    tektoro_invoices_enabled = fields.Boolean(
        string="Work-Order Invoices",
        help="Bill each completed work order with an invoice pushed to the billing system. "
        "Turning this off hides invoices; their data stays.",
    )
    tektoro_invoice_prefix = fields.Char(
        string="Invoice Prefix",
        required=True,
        help="Work-order invoices are numbered <prefix>-00001, <prefix>-00002, ...",
    )
    tektoro_default_tax_rate = fields.Float(
        string="Default Tax Rate (%)",
        digits=(16, 4),
        help="Proposed when a work-order invoice is created.",
    )
    tektoro_billing_url = fields.Char(
        string="Billing System URL",
        groups="base.group_system",
        help="Leave empty to keep invoices local, without pushing them.",
    )
    tektoro_billing_api_key = fields.Char(
        string="Billing API Key",
        groups="base.group_system",
        help="Sent as a bearer token. Visible to system administrators only.",
    )
    tektoro_billing_timeout = fields.Float(
        string="Billing Timeout (s)",
        groups="base.group_system",
        help="Seconds to wait before an unanswered push counts as unknown.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        # Odoo's create does not check the fields' groups: a manager's dialog may not even hold
        # a billing URL of theirs.
        for vals in vals_list:
            self.check_field_access_rights("write", list(vals))
        return super().create(vals_list)

    @api.model
    def default_get(self, fields_list):
        """The company's current values: those the caller may see, read with their own rights."""
        values = super().default_get(fields_list)
        company = self.env["res.company"].browse(values.get("company_id")) or self.env.company
        wanted = [
            name
            for name in MANAGER_SETTINGS + SYSTEM_SETTINGS
            if name in fields_list and self._fields[name].is_accessible(self.env)
        ]
        if wanted:
            [current] = company.read(wanted)
            values.update({name: current[name] for name in wanted})
        return values

    def action_save(self):
        self.ensure_one()
        user = self.env.user
        if not user.has_group(MANAGER_GROUP):
            raise AccessError(_("Only TekToro managers can change the TekToro settings."))
        company = self.company_id
        if company not in self.env.companies:
            raise AccessError(
                _(
                    "You can't change the settings of %s: it is not one of your active companies.",
                    company.sudo().name,  # unreadable to them while not active
                )
            )
        names = MANAGER_SETTINGS
        if user.has_group("base.group_system"):
            names += SYSTEM_SETTINGS
        # A manager writes these on a company of theirs (see res.company's write).
        changes = {name: self[name] for name in names if self[name] != company[name]}
        if changes:
            company.write(changes)
        if "tektoro_invoices_enabled" in changes:
            # The Work-Order Invoices menu follows the flag: the page reloads to show or hide it.
            return {"type": "ir.actions.client", "tag": "reload"}
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": (
                    _("The settings of %s are saved.", company.name)
                    if changes
                    else _("Nothing to save: the settings of %s are unchanged.", company.name)
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
