import re

from odoo import api, models
from odoo.http import request

INVOICE_MENU = "tektoro_invoicing.tektoro_invoice_menu"


class IrUiMenu(models.Model):
    _inherit = "ir.ui.menu"

    def _load_menus_blacklist(self):
        """Hide the invoices menu unless one of the user's companies has invoices turned on.

        This is the answer wherever the current company is unknown (menus are cached per user);
        ``load_menus`` narrows it to the company shown (see ``_tektoro_shown_company``).
        """
        res = super()._load_menus_blacklist()
        menu = self.env.ref(INVOICE_MENU, raise_if_not_found=False)
        if menu and not any(self.env.user.company_ids.mapped("tektoro_invoices_enabled")):
            res.append(menu.id)
        return res

    @api.model
    def load_menus(self, debug):
        """The menus, without the invoices menu when the company the caller shows has invoices
        turned off (in the web client, switching company reloads the page and its menus), and
        without the parents that leaves empty."""
        menus = super().load_menus(debug)
        menu = self.env.ref(INVOICE_MENU, raise_if_not_found=False)
        if not menu:
            return menus
        if menu.id in menus and self._tektoro_shown_company().tektoro_invoices_enabled:
            return menus
        # Also when the blacklist took it out (no company of the user's has invoices): its
        # parent, then empty, would show as a menu that opens nothing.
        return self._tektoro_without_menu(menus, menu.id, menu.parent_id.id)

    @api.model
    def _tektoro_shown_company(self):
        """The company the caller shows: the first of the context's ``allowed_company_ids``, as
        an RPC caller gives them; in a web request without them, the first of the web client's
        ``cids`` cookie if the user may use it; otherwise (an Odoo shell, a cron, a cookie that
        names no company of the user's) the user's default company."""
        if self.env.context.get("allowed_company_ids") or not request:
            return self.env.company
        user = self.env.user
        first = re.split(r"[-,]", request.cookies.get("cids") or "")[0]
        if first.isdigit() and int(first) in user.company_ids.ids:
            return user.company_ids.browse(int(first))
        return user.company_id

    @staticmethod
    def _tektoro_without_menu(menus, menu_id, parent_id):
        """``menus`` (as ``load_menus`` returns them) without ``menu_id``, a child of
        ``parent_id``, and without the parents it leaves empty. The parent method's result is
        cached: it is copied, never changed."""
        menus = dict(menus)
        while True:
            menus.pop(menu_id, None)
            key = parent_id or "root"
            if key not in menus:  # a parent the user does not see
                return menus
            parent = {**menus[key], "children": [c for c in menus[key]["children"] if c != menu_id]}
            menus[key] = parent
            if parent["children"] or parent.get("action") or not parent_id:
                return menus
            menu_id, parent_id = parent_id, parent["parent_id"] and parent["parent_id"][0]
