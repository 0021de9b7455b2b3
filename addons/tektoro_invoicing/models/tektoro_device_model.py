from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class TektoroDeviceModel(models.Model):
    _name = "tektoro.device.model"
    _description = "Device Model"
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    cost = fields.Monetary(
        currency_field="currency_id",
        help="Billed as the unit price of work orders on this model, when the invoice includes it.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "name_company_uniq",
            "UNIQUE (name, company_id)",
            "A device model with this name already exists in this company.",
        ),
    ]

    @api.constrains("cost")
    def _check_cost(self):
        for device_model in self:
            if device_model.cost < 0:
                raise ValidationError(_("The cost of %s cannot be negative.", device_model.name))
