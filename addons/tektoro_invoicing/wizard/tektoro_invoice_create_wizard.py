from odoo import api, fields, models


class TektoroInvoiceCreateWizard(models.TransientModel):
    _name = "tektoro.invoice.create.wizard"
    _description = "Create Work-Order Invoice"
    _inherit = ["tektoro.checked.values"]

    work_order_id = fields.Many2one("tektoro.work.order", required=True, readonly=True)
    include_unit_price = fields.Boolean(
        default=True, help="Bill the device model's cost as the unit price. Off: unit subtotal 0."
    )
    # Computed with the caller's rights, not as superuser: the dialog shows another company's
    # figures to nobody who may not read its work order.
    tax_rate = fields.Float(
        string="Tax Rate (%)",
        digits=(16, 4),
        compute="_compute_tax_rate",
        compute_sudo=False,
        store=True,
        readonly=False,
    )
    currency_id = fields.Many2one(related="work_order_id.currency_id", related_sudo=False)
    unit_cost = fields.Monetary(related="work_order_id.unit_cost", related_sudo=False)
    amount_items = fields.Monetary(related="work_order_id.amount_items", related_sudo=False)
    tax_amount = fields.Monetary(
        string="Tax", compute="_compute_invoice_preview", compute_sudo=False
    )
    amount_total = fields.Monetary(
        string="Total", compute="_compute_invoice_preview", compute_sudo=False
    )

    @api.depends("work_order_id")
    def _compute_tax_rate(self):
        for wizard in self:
            wizard.tax_rate = wizard.work_order_id.company_id.tektoro_default_tax_rate

    @api.depends("work_order_id", "include_unit_price", "tax_rate")
    def _compute_invoice_preview(self):
        """What the invoice will say, before it is created and sent."""
        Invoice = self.env["tektoro.invoice"]
        for wizard in self:
            amounts = Invoice._snapshot_amounts(
                wizard.work_order_id, wizard.include_unit_price, wizard.tax_rate
            )
            wizard.tax_amount = amounts["tax_amount"]
            wizard.amount_total = amounts["amount_total"]

    def action_create_invoice(self):
        self.ensure_one()
        return self.work_order_id.action_create_invoice(
            include_unit_price=self.include_unit_price, tax_rate=self.tax_rate
        )
