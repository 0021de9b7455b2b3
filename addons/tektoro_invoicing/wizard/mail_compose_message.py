from odoo import models

from ..models.mail_message import KEPT_HISTORY_MODELS, check_own_post


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    def _action_send_mail(self, auto_commit=False):
        """In mass-mail mode Odoo writes each document's message as superuser, with the
        composer's author and subtype as given: on a TekToro document they meet the rule of a
        post (see mail.message's create)."""
        for composer in self:
            if composer.model in KEPT_HISTORY_MODELS:
                check_own_post(
                    self.env, composer.author_id, composer.subtype_id, composer.email_from
                )
        return super()._action_send_mail(auto_commit=auto_commit)
