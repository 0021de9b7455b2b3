from odoo import models

from ..tools.access import refuse_also
from .tektoro_master_invoice import MANAGER_GROUP

# The documents whose chatter is their record: approvals, rejections, payments, cancellations.
KEPT_HISTORY_MODELS = frozenset(
    {
        "tektoro.ticket",
        "tektoro.master.invoice",
        "tektoro.client.invoice",
        "tektoro.work.order",
        "tektoro.invoice",
    }
)


def keeps_history(user):
    """Whether ``user`` may change the kept history: managers and system administrators."""
    return user._is_system() or user.has_group(MANAGER_GROUP)


class MailMessage(models.Model):
    _inherit = "mail.message"

    def _check_access(self, operation):
        """The history of a TekToro document is kept: only managers change or delete it.

        Odoo lets whoever may write a document change and delete every message on it, the
        tracking of its approval included; a contractor may write their own tickets and draft
        invoices, so they could erase who approved them. Everyone still edits and deletes their
        own comments.
        """
        result = super()._check_access(operation)
        if operation not in ("write", "unlink") or self.env.su:
            return result
        user = self.env.user
        if keeps_history(user):
            return result
        own_comment = user.partner_id, "comment"
        history = self.sudo().filtered(
            lambda message: (
                message.model in KEPT_HISTORY_MODELS
                and (message.author_id, message.message_type) != own_comment
            )
        )
        return refuse_also(
            self,
            result,
            history,
            self.env._(
                "The history of invoices and tickets is kept: only a manager can change it."
            ),
        )
