from odoo.tests import tagged

from .common import TektoroMasterInvoiceCase


@tagged("post_install", "-at_install")
class TestMasterInvoiceNotifications(TektoroMasterInvoiceCase):
    """Approve, reject and paid reach the contractor in the Odoo inbox and by email."""

    def setUp(self):
        super().setUp()
        self._tickets(self.contractor, self.client_a, [1, 2], amount=120)
        self.invoice = self._submitted_invoice()
        self.as_manager = self.invoice.with_user(self.manager)
        self.partner = self.contractor.partner_id

    def _last_contractor_message(self, subtype_xmlid):
        return (
            self.env["mail.message"]
            .sudo()
            .search(
                [
                    ("model", "=", "tektoro.master.invoice"),
                    ("res_id", "=", self.invoice.id),
                    ("subtype_id", "=", self.env.ref(subtype_xmlid).id),
                    ("partner_ids", "in", self.partner.ids),
                ],
                order="id desc",
                limit=1,
            )
        )

    def _emails_to_contractor(self):
        return (
            self.env["mail.mail"]
            .sudo()
            .search(
                [
                    ("model", "=", "tektoro.master.invoice"),
                    ("res_id", "=", self.invoice.id),
                    ("recipient_ids", "in", self.partner.ids),
                ]
            )
        )

    def _assert_notified(self, subtype_xmlid, subject, *phrases):
        message = self._last_contractor_message(subtype_xmlid)
        self.assertEqual(len(message), 1, "one chatter message addressed to the contractor")
        for phrase in phrases:
            self.assertIn(phrase, message.body)
        notification = message.notification_ids.filtered(lambda n: n.res_partner_id == self.partner)
        self.assertRecordValues(notification, [{"notification_type": "inbox", "is_read": False}])
        # The contractor's inbox lists it.
        self.assertIn(
            message,
            self.env["mail.message"].with_user(self.contractor).search([("needaction", "=", True)]),
        )
        email = self._emails_to_contractor().filtered(lambda m: m.subject == subject)
        self.assertEqual(len(email), 1, "one email to the contractor")
        for phrase in phrases:
            self.assertIn(phrase, email.body_html)
        # The chatter shows the event once, not the email's copy too.
        self.assertNotIn(email.mail_message_id, self.invoice.message_ids)

    def test_approval(self):
        self.as_manager.action_approve("Great work, thanks.")
        self._assert_notified(
            "tektoro_invoicing.mt_master_invoice_approved",
            "JD-MINV-001 is approved",
            "JD-MINV-001",
            "was approved by",
            "Max Manager",
            "Great work, thanks.",
        )

    def test_rejection(self):
        self.as_manager.action_reject("Day 2 was billed twice.")
        self._assert_notified(
            "tektoro_invoicing.mt_master_invoice_rejected",
            "JD-MINV-001 is rejected",
            "was rejected",
            "Day 2 was billed twice.",
        )

    def test_paid(self):
        self.as_manager.action_approve("OK")
        self.as_manager.action_mark_paid()
        self._assert_notified(
            "tektoro_invoicing.mt_master_invoice_paid",
            "JD-MINV-001 is paid",
            "was paid",
            "240.00",
        )

    def test_inbox_even_for_contractors_who_prefer_email(self):
        self.contractor.sudo().notification_type = "email"
        self.as_manager.action_reject("Missing hours.")
        self._assert_notified(
            "tektoro_invoicing.mt_master_invoice_rejected",
            "JD-MINV-001 is rejected",
            "Missing hours.",
        )

    def test_submission_notifies_nobody_by_email(self):
        """Submitting asks managers through an activity, not the contractor's mailbox."""
        self.assertFalse(self._emails_to_contractor())
