from odoo import _, fields, models

from ..tools.actions import CLOSE_DIALOG, notification


class TektoroMasterInvoiceReviewWizard(models.TransientModel):
    """The approve / reject dialog: the manager's message goes to the contractor."""

    _name = "tektoro.master.invoice.review.wizard"
    _description = "Approve or Reject Master Invoices"
    _inherit = ["tektoro.checked.values"]

    master_invoice_ids = fields.Many2many(
        "tektoro.master.invoice", string="Invoices", required=True
    )
    decision = fields.Selection(
        [("approve", "Approve"), ("reject", "Reject")], required=True, default="approve"
    )
    message = fields.Text(
        help="Sent to the contractor. Optional when approving, required when rejecting."
    )

    def action_confirm(self):
        self.ensure_one()
        invoices = self.master_invoice_ids
        names = ", ".join(invoices.mapped("name"))
        if self.decision == "approve":
            invoices.action_approve(message=self.message)
            message = _("%s approved; the contractor is notified.", names)
        else:
            invoices.action_reject(message=self.message)
            message = _("%s rejected; the contractor is notified.", names)
        return notification(
            message, "success" if self.decision == "approve" else "warning", CLOSE_DIALOG
        )
