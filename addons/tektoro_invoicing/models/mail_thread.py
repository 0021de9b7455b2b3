from odoo import models
from odoo.exceptions import AccessError

from .mail_message import KEPT_HISTORY_MODELS, keeps_history


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def message_post(self, **kwargs):
        """On a TekToro document, whoever posts does so under their own name, and only the
        workflow posts its events (submitted, approved, rejected, paid, ...).

        Odoo takes ``author_id``, or the author of ``email_from``, as given; with the history
        kept (see mail.message), a contractor could otherwise leave an "Approved" post signed
        by a manager that they could not even delete again.
        """
        if self._name in KEPT_HISTORY_MODELS and not self.env.su:
            self._check_post_is_the_callers(kwargs)
        return super().message_post(**kwargs)

    def _check_post_is_the_callers(self, kwargs):
        user = self.env.user
        if keeps_history(user):
            return
        author_id, _email_from = self._message_compute_author(
            kwargs.get("author_id"), kwargs.get("email_from"), raise_on_email=False
        )
        if author_id != user.partner_id.id:
            raise AccessError(
                self.env._("You can only post on invoices and tickets under your own name.")
            )
        subtype = self.env["mail.message.subtype"]
        if kwargs.get("subtype_xmlid"):
            subtype = self.env.ref(kwargs["subtype_xmlid"], raise_if_not_found=False) or subtype
        elif kwargs.get("subtype_id"):
            subtype = subtype.browse(kwargs["subtype_id"])
        # A document's own subtypes are its workflow's events; Odoo's own (comment, note,
        # activities) have no model.
        if subtype.sudo().res_model:
            raise AccessError(
                self.env._(
                    "%(event)s is posted by the workflow itself, not by hand.",
                    event=subtype.sudo().name,
                )
            )
