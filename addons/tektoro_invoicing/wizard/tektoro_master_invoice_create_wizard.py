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
        """The first of the month, or the day of the caller's oldest approved ticket still
        waiting for a master invoice, if earlier: the default period leaves none behind."""
        first_of_month = fields.Date.context_today(self) + relativedelta(day=1)
        oldest = self.env["tektoro.ticket"].search(
            [
                ("contractor_id", "=", self.env.uid),
                ("company_id", "=", self.env.company.id),
                ("state", "=", "approved"),
                ("master_invoice_id", "=", False),
                ("work_date", "<", first_of_month),
            ],
            order="work_date",
            limit=1,
        )
        return oldest.work_date or first_of_month

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
