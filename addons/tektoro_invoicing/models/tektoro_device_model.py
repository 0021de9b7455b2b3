from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools.values import caller_values, check_values


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
        vals_list = caller_values(self, vals_list)
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

    def copy_data(self, default=None):
        """Duplicate under a name of its own: names are unique per company."""
        vals_list = super().copy_data(default=default)
        if default and "name" in default:
            return vals_list
        return [
            dict(vals, name=device_model._free_copy_name())
            for device_model, vals in zip(self, vals_list, strict=True)
        ]

    def _free_copy_name(self):
        name, number = _("%s (copy)", self.name), 1
        while self._name_taken(name, self.company_id.id):
            number += 1
            name = _("%(name)s (copy %(number)s)", name=self.name, number=number)
        return name

    def _check_name_free(self, name, company_id, own_id=None):
        """The unique index says the same, but as a database error: say it first, by name."""
        if self._name_taken(name, company_id, own_id):
            raise ValidationError(
                _("A device model named %s already exists in this company.", name)
            )

    def _name_taken(self, name, company_id, own_id=None):
        domain = [("name", "=", name), ("company_id", "=", company_id), ("id", "!=", own_id)]
        return bool(self.sudo().with_context(active_test=False).search_count(domain, limit=1))

    @api.constrains("cost")
    def _check_cost(self):
        for device_model in self:
            if device_model.cost < 0:
                raise ValidationError(_("The cost of %s cannot be negative.", device_model.name))
