from odoo import api, models
from odoo.exceptions import AccessError
from odoo.tools import email_normalize

from ..tools.access import MANAGER_GROUP, refuse_also

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
# What a message is, as opposed to what it says: kept as posted, even on one's own comment.
MESSAGE_IDENTITY_FIELDS = frozenset(
    {
        "author_id",
        "author_guest_id",
        "email_from",
        "subtype_id",
        "message_type",
        "model",
        "res_id",
        "date",
        "tracking_value_ids",
    }
)


def keeps_history(user):
    """Whether ``user`` may change the kept history: managers and system administrators."""
    return user._is_system() or user.has_group(MANAGER_GROUP)


def check_own_post(env, author, subtype, email_from=None):
    """Refuse a post under another's name or address, or with one of a document's own subtypes
    (its workflow's events: submitted, approved, ...), from anyone who doesn't keep the history.

    ``author`` and ``subtype`` are records (``subtype`` possibly empty). Odoo's own subtypes
    (comment, note, activities) have no model.
    """
    if env.su or keeps_history(env.user):
        return
    if author != env.user.partner_id or (
        email_from and email_normalize(email_from) != email_normalize(env.user.email)
    ):
        raise AccessError(env._("You can only post on invoices and tickets under your own name."))
    workflow_subtype = subtype.sudo().exists().filtered("res_model")
    if workflow_subtype:
        raise AccessError(
            env._(
                "%(event)s is posted by the workflow itself, not by hand.",
                event=workflow_subtype.name,
            )
        )


def kept_history(messages, user):
    """Those of ``messages`` that ``user`` may not change or delete: on a TekToro document,
    everything but their own comments and the notes of activities they marked done (whose
    files Odoo moves onto them as the user), unless they keep the history."""
    if keeps_history(user):
        return messages.browse()
    return messages.sudo().filtered(
        lambda message: (
            message.model in KEPT_HISTORY_MODELS
            and not (
                message.author_id == user.partner_id
                and (message.message_type == "comment" or message.mail_activity_type_id)
            )
        )
    )


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model_create_multi
    def create(self, vals_list):
        """Odoo takes a message's author and subtype as given (message_post's ``author_id``, the
        author of its ``email_from``, or a plain create): on a TekToro document a contractor could
        otherwise leave an "Approved" message signed by a manager, that not even they could then
        delete. Tracking and the workflow's own messages are posted as superuser."""
        if not self.env.su:
            Partner, Subtype = self.env["res.partner"], self.env["mail.message.subtype"]
            own = self.env.user.partner_id
            for vals in vals_list:
                if vals.get("model") in KEPT_HISTORY_MODELS:
                    author = Partner.browse(vals["author_id"]) if "author_id" in vals else own
                    check_own_post(
                        self.env,
                        author,
                        Subtype.browse(vals.get("subtype_id")),
                        vals.get("email_from"),
                    )
        return super().create(vals_list)

    def write(self, vals):
        """One's own comment may be reworded, not turned into someone else's or a workflow event
        (Odoo's own editing of a message writes its content as superuser)."""
        if not self.env.su and MESSAGE_IDENTITY_FIELDS & set(vals):
            kept = self.sudo().filtered(lambda message: message.model in KEPT_HISTORY_MODELS)
            if (kept or vals.get("model") in KEPT_HISTORY_MODELS) and not keeps_history(
                self.env.user
            ):
                raise AccessError(
                    self.env._(
                        "The history of invoices and tickets is kept: only a manager can change "
                        "who posted a message, or what kind of message it is."
                    )
                )
        return super().write(vals)

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
        return refuse_also(
            self,
            result,
            kept_history(self, self.env.user),
            self.env._(
                "The history of invoices and tickets is kept: only a manager can change it."
            ),
        )
