from odoo import api, models

from ..tools.values import check_values


class TektoroCheckedValues(models.AbstractModel):
    """Dialogs whose values are checked before the database sees them (``tools/values.py``):
    a caller over RPC gets a message naming the field, not a database error."""

    _name = "tektoro.checked.values"
    _description = "Values Checked Before Saving"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_values(self, vals)
        return super().create(vals_list)
