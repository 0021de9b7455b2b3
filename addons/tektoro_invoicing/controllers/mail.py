from odoo.addons.mail.controllers.thread import ThreadController
from odoo.http import request

from ..models.mail_message import KEPT_HISTORY_MODELS, check_own_post


class TektoroThreadController(ThreadController):
    def _prepare_post_data(self, post_data, thread, **kwargs):
        """The chatter's Send and Log buttons post as superuser, with the subtype they were
        given: on a TekToro document, only Odoo's own subtypes, for those who don't keep the
        history (see mail.message's create)."""
        if thread._name in KEPT_HISTORY_MODELS and post_data.get("subtype_xmlid"):
            subtype_id = request.env["ir.model.data"]._xmlid_to_res_id(
                post_data["subtype_xmlid"], raise_if_not_found=False
            )
            check_own_post(
                request.env,
                request.env.user.partner_id,
                request.env["mail.message.subtype"].browse(subtype_id),
            )
        return super()._prepare_post_data(post_data, thread, **kwargs)
