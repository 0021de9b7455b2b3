from odoo import models
from odoo.exceptions import AccessError

from .mail_message import kept_history

# What Odoo itself writes on an attachment its reader may see: the token of a shared link.
HARMLESS_FIELDS = frozenset({"access_token"})


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def check(self, mode, values=None):
        """The files of the kept history are kept with its messages (see mail.message).

        Odoo lets whoever may write a document change and delete its attachments, those of a
        manager's message included: a contractor could swap or remove the evidence of a review
        on their own invoice, though not the message itself.
        """
        super().check(mode, values)
        if self.env.su or not self or mode not in ("write", "unlink"):
            return
        if mode == "write" and set(values or ()) <= HARMLESS_FIELDS:
            return
        messages = self.env["mail.message"].sudo().search([("attachment_ids", "in", self.ids)])
        if kept_history(messages, self.env.user):
            raise AccessError(
                self.env._(
                    "The history of invoices and tickets is kept: only a manager can change or "
                    "delete the files of its messages."
                )
            )
