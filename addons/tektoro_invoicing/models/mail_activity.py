from odoo import models

from ..tools.access import MANAGER_GROUP, refuse_also
from .tektoro_master_invoice import APPROVAL_ACTIVITY


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _check_access(self, operation):
        """A master invoice's review is the managers' to change or close, and the submission's
        to schedule.

        Odoo lets whoever may write a document (or created the activity) create, change and
        close its activities; the contractor may write their own invoice, and their submission
        creates the reviews, so they could cancel the managers' to-dos and take the invoice off
        their lists, or put a review of their making on a manager's.
        """
        result = super()._check_access(operation)
        if operation not in ("create", "write", "unlink") or self.env.su:
            return result
        review_type = self.env.ref(APPROVAL_ACTIVITY, raise_if_not_found=False)
        if not review_type:
            return result
        user = self.env.user
        reviews = self.sudo().filtered(
            lambda activity: activity.activity_type_id == review_type and activity.user_id != user
        )
        if reviews and user.has_group(MANAGER_GROUP):
            # A manager may handle another manager's review, but not one of their own invoice.
            own_invoices = (
                self.env[review_type.res_model]
                .sudo()
                .search([("id", "in", reviews.mapped("res_id")), ("contractor_id", "=", user.id)])
            )
            reviews = reviews.filtered(lambda activity: activity.res_id in own_invoices.ids)
        return refuse_also(
            self,
            result,
            reviews,
            self.env._(
                "Only a manager can change, close or cancel the review of a master invoice, or "
                "schedule one."
            ),
        )
