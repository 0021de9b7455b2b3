from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools.values import caller_values, check_values


class TektoroWorkOrderLine(models.Model):
    _name = "tektoro.work.order.line"
    _description = "Work Order Item"
    _order = "work_order_id, sequence, id"
    _check_company_auto = True

    work_order_id = fields.Many2one(
        "tektoro.work.order", required=True, index=True, ondelete="cascade"
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Item", required=True)
    quantity = fields.Float(digits=(16, 3), default=1.0, required=True)
    price_unit = fields.Float(string="Price", digits=(16, 4), required=True, default=0.0)
    price_subtotal = fields.Monetary(
        string="Subtotal", compute="_compute_price_subtotal", store=True
    )
    currency_id = fields.Many2one(related="work_order_id.currency_id")
    company_id = fields.Many2one(related="work_order_id.company_id", store=True, index=True)

    @api.depends("quantity", "price_unit", "currency_id")
    def _compute_price_subtotal(self):
        for line in self:
            line.price_subtotal = line.currency_id.round(line.quantity * line.price_unit)

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = caller_values(self, vals_list)
        for vals in vals_list:
            check_values(self, vals, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        check_values(self, vals)
        if "work_order_id" in vals and any(
            line.work_order_id.id != vals["work_order_id"] for line in self
        ):
            # Odoo checks the rules on the lines before the write, not on the work order they
            # would join: a move would change a work order its caller may not even read.
            raise UserError(
                _("An item can't move to another work order: delete it and add it there.")
            )
        return super().write(vals)

    @api.constrains("quantity", "price_unit")
    def _check_amounts(self):
        for line in self:
            if line.quantity <= 0:
                raise ValidationError(
                    _("The quantity of item %s must be greater than zero.", line.name)
                )
            if line.price_unit < 0:
                raise ValidationError(_("The price of item %s cannot be negative.", line.name))
