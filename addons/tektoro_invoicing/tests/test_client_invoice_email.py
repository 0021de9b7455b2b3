from odoo.addons.mail.tests.common import MockEmail
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, tagged

from .common import TektoroMasterInvoiceCase


@tagged("post_install", "-at_install")
class TestClientInvoiceEmail(TektoroMasterInvoiceCase, MockEmail, HttpCase):
    """A manager emails a client invoice to the client, its PDF attached; that marks it sent.

    Odoo's mail gateway mock records what would reach the SMTP server. An HttpCase, so that
    wkhtmltopdf can fetch the report's assets from the test server while the PDF is made.
    """

    def setUp(self):
        super().setUp()
        self.client_a.email = "billing@client-a.example.com"
        self._tickets(self.contractor, self.client_a, [1, 2], amount=125)
        self.invoice = (
            self.env["tektoro.client.invoice"]
            .with_user(self.manager)
            .generate_for_period("2020-01-01", "2020-01-31")
        )

    def _send(self, invoice):
        """Open the composer as the button does, and send it; return the emails sent out."""
        action = invoice.action_send_by_email()
        context = dict(action["context"], force_report_rendering=True)
        with self.mock_mail_gateway():
            composer = Form(invoice.env[action["res_model"]].with_context(**context))
            composer.save().action_send_mail()
        return [mail for mail in self._mails if self.client_a.email in str(mail["email_to"])]

    def test_send_by_email_reaches_the_client_with_the_pdf_and_marks_sent(self):
        [email] = self._send(self.invoice.with_user(self.manager))

        self.assertEqual(self.invoice.state, "sent")
        self.assertTrue(self.invoice.sent_at)
        self.assertIn(self.invoice.name, email["subject"])
        self.assertIn("250.00", email["body"])
        [(filename, content, mimetype)] = email["attachments"]
        self.assertEqual((filename, mimetype), (f"{self.invoice.name}.pdf", "application/pdf"))
        self.assertTrue(content.startswith(b"%PDF"))
        # The chatter keeps the email, addressed to the client, with the same attachment.
        message = self.invoice.message_ids.filtered(lambda m: self.client_a in m.partner_ids)
        self.assertEqual(len(message), 1)
        self.assertEqual(message.attachment_ids.mapped("name"), [filename])

    def test_sending_again_keeps_it_sent_and_the_first_date(self):
        self._send(self.invoice.with_user(self.manager))
        sent_at = self.invoice.sent_at
        self.assertEqual(len(self._send(self.invoice.with_user(self.manager))), 1)
        self.assertRecordValues(self.invoice, [{"state": "sent", "sent_at": sent_at}])

    def test_refused_without_email_to_non_managers_and_after_payment(self):
        self.client_a.email = False
        with self.assertRaisesRegex(UserError, "Client A has no email address"):
            self.invoice.with_user(self.manager).action_send_by_email()
        self.assertEqual(self.invoice.state, "draft")

        self.client_a.email = "billing@client-a.example.com"
        for user in (self.contractor, self.office):
            with self.assertRaises(AccessError):
                self.invoice.with_user(user).action_send_by_email()

        self.invoice.with_user(self.manager).action_send()
        self.invoice.with_user(self.manager).action_mark_paid()
        with self.assertRaisesRegex(UserError, "Only draft or sent client invoices can be emailed"):
            self.invoice.with_user(self.manager).action_send_by_email()

    def test_a_plain_chatter_message_does_not_mark_it_sent(self):
        self.invoice.with_user(self.manager).message_post(body="Checked the hours.")
        self.assertEqual(self.invoice.state, "draft")
