from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools.values import check_values


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

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_values(self, vals, creating=True)
            self._check_name_free(vals.get("name"), vals.get("company_id") or self.env.company.id)
        return super().create(vals_list)

    def write(self, vals):
        check_values(self, vals)
        if "name" in vals:
            for device_model in self:
                self._check_name_free(vals["name"], device_model.company_id.id, device_model.id)
        return super().write(vals)

    def _check_name_free(self, name, company_id, own_id=None):
        """The unique index says the same, but as a database error: say it first, by name."""
        domain = [("name", "=", name), ("company_id", "=", company_id), ("id", "!=", own_id)]
        if self.sudo().with_context(active_test=False).search_count(domain, limit=1):
            raise ValidationError(
                _("A device model named %s already exists in this company.", name)
            )

    @api.constrains("cost")
    def _check_cost(self):
        for device_model in self:
            if device_model.cost < 0:
                raise ValidationError(_("The cost of %s cannot be negative.", device_model.name))
