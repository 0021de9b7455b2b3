from odoo import api, models

from ..tools.values import caller_defaults


class TektoroMadeByCode(models.AbstractModel):
    """Records that the addon's code makes whole (work-order invoices and their items, client
    invoices), from values it works out: no caller completes them.

    Odoo would fill the fields those values leave out from the caller's context
    (``default_state``) and ``ir.default``, even in a create run as superuser; here they take
    their own defaults only.
    """

    _name = "tektoro.made.by.code"
    _description = "Made by the Code Alone"

    @api.model
    def default_get(self, fields_list):
        defaults = super().default_get(fields_list)
        for name in caller_defaults(self, {}).keys() & set(fields_list):
            field = self._fields[name]
            if field.default:
                defaults[name] = field.default(self)
            else:
                defaults.pop(name, None)
        return defaults
