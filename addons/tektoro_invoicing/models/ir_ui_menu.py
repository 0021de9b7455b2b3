from odoo import models


class IrUiMenu(models.Model):
    _inherit = "ir.ui.menu"

    def _load_menus_blacklist(self):
        """Hide the invoices menu unless one of the user's companies has invoices turned on.

        Menus are cached per user, not per current company, hence "one of the user's
        companies"; the invoices action itself lists only invoices of companies with the flag.
        """
        res = super()._load_menus_blacklist()
        menu = self.env.ref("tektoro_invoicing.tektoro_invoice_menu", raise_if_not_found=False)
        if menu and not any(self.env.user.company_ids.mapped("tektoro_invoices_enabled")):
            res.append(menu.id)
        return res
