from dateutil.relativedelta import relativedelta
from odoo import _, api, fields, models


class TektoroClientInvoiceGenerateWizard(models.TransientModel):
    """The "Generate Client Invoices" dialog: a period and, optionally, some clients."""

    _name = "tektoro.client.invoice.generate.wizard"
    _description = "Generate Client Invoices"
    _inherit = ["tektoro.checked.values"]

    date_from = fields.Date(
        string="From", required=True, default=lambda self: self._default_date_from()
    )
    date_to = fields.Date(string="To", required=True, default=lambda self: self._default_date_to())
    client_ids = fields.Many2many(
        "res.partner",
        string="Clients",
        help="Leave empty to invoice every client with approved tickets.",
    )

    # Clients are billed for a month once it is over: the default period is the last one.
    @api.model
    def _default_date_from(self):
        return fields.Date.context_today(self) + relativedelta(months=-1, day=1)

    @api.model
    def _default_date_to(self):
        return fields.Date.context_today(self) + relativedelta(day=1, days=-1)

    def action_generate(self):
        self.ensure_one()
        invoices = self.env["tektoro.client.invoice"].generate_for_period(
            self.date_from, self.date_to, client_ids=self.client_ids.ids or None
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Generated Client Invoices"),
            "res_model": "tektoro.client.invoice",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", invoices.ids)],
            "target": "current",
        }
