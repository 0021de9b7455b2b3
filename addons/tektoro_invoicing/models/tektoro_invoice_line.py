from odoo import fields, models


class TektoroInvoiceLine(models.Model):
    """A work-order item as it was when invoiced: never recomputed from the work order."""

    _name = "tektoro.invoice.line"
    _inherit = ["tektoro.made.by.code"]
    _description = "Work-Order Invoice Item"
    _order = "invoice_id, sequence, id"

    invoice_id = fields.Many2one("tektoro.invoice", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Item", required=True)
    quantity = fields.Float(digits=(16, 3), required=True)
    price_unit = fields.Float(string="Price", digits=(16, 4), required=True)
    price_subtotal = fields.Monetary(string="Subtotal", required=True)
    currency_id = fields.Many2one(related="invoice_id.currency_id")
    company_id = fields.Many2one(related="invoice_id.company_id", store=True, index=True)
