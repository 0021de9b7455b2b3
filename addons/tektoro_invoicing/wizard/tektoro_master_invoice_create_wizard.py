from dateutil.relativedelta import relativedelta
from odoo import _, api, fields, models


class TektoroMasterInvoiceCreateWizard(models.TransientModel):
    """The "Create Invoice" dialog: a period and an optional client, then bundling."""

    _name = "tektoro.master.invoice.create.wizard"
    _description = "Create a Master Invoice"
    _inherit = ["tektoro.checked.values"]

    date_from = fields.Date(
        string="From", required=True, default=lambda self: self._default_date_from()
    )
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)
    client_id = fields.Many2one(
        "res.partner", help="Bundle only this client's tickets. Leave empty for all clients."
    )
    note = fields.Text(string="Notes")

    @api.model
    def _default_date_from(self):
        return fields.Date.context_today(self) + relativedelta(day=1)

    def action_create(self):
        self.ensure_one()
        invoice = self.env["tektoro.master.invoice"].create(
            {
                "date_from": self.date_from,
                "date_to": self.date_to,
                "client_id": self.client_id.id,
                "note": self.note,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Master Invoice"),
            "res_model": "tektoro.master.invoice",
            "res_id": invoice.id,
            "view_mode": "form",
            "target": "current",
        }
