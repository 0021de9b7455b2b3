import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import TektoroMasterInvoiceCase


@tagged("post_install", "-at_install")
class TestTicketChatter(TektoroMasterInvoiceCase):
    def _draft_ticket(self):
        ticket = self._tickets(self.contractor, self.client_a, [1], state="draft")
        self.flush_tracking()  # each step below is a request of its own
        return ticket

    def test_who_approved_a_ticket_and_when_is_on_its_chatter(self):
        ticket = self._draft_ticket()
        ticket.with_user(self.contractor).write({"hours": 7.5})
        self.flush_tracking()
        ticket.with_user(self.manager).action_approve()
        self.flush_tracking()

        approval, correction = ticket.message_ids[:2]  # newest first
        self.assertEqual(approval.author_id, self.manager.partner_id)
        self.assertEqual(
            [
                (t.field_id.name, t.old_value_char, t.new_value_char)
                for t in approval.tracking_value_ids
            ],
            [("state", "Draft", "Approved")],
        )
        self.assertEqual(correction.author_id, self.contractor.partner_id)
        self.assertEqual(
            [
                (t.field_id.name, t.old_value_float, t.new_value_float)
                for t in correction.tracking_value_ids
            ],
            [("hours", 1.0, 7.5)],
        )

    def test_the_contractor_discusses_their_ticket_and_no_other_contractor_reads_it(self):
        ticket = self._tickets(self.contractor, self.client_a, [1])
        ticket.with_user(self.contractor).message_post(body="Day 1 ran to 8 hours, not 7.")
        self.assertEqual(ticket.message_ids[0].author_id, self.contractor.partner_id)
        with self.assertRaises(AccessError):
            ticket.with_user(self.contractor_2).message_post(body="Not mine to see.")
        with self.assertRaises(AccessError):
            ticket.message_ids.with_user(self.contractor_2).read(["body"])

    def test_the_contractor_follows_their_ticket_whoever_records_it(self):
        tickets = (
            self.env["tektoro.ticket"]
            .with_user(self.manager)
            .create(
                [
                    {
                        "contractor_id": contractor.id,
                        "client_id": self.client_a.id,
                        "description": "x",
                    }
                    for contractor in (self.contractor, self.contractor, self.contractor_2)
                ]
            )
        )
        for ticket in tickets:
            self.assertIn(ticket.contractor_id.partner_id, ticket.message_partner_ids)
        # Given to another contractor in one write, they no longer reach the ones they left.
        tickets.with_user(self.manager).write({"contractor_id": self.manager.id})
        for ticket in tickets:
            self.assertIn(self.manager.partner_id, ticket.message_partner_ids)
            self.assertFalse(
                (self.contractor | self.contractor_2).partner_id & ticket.message_partner_ids
            )


@tagged("post_install", "-at_install")
class TestKeptHistory(TektoroMasterInvoiceCase):
    def test_a_contractor_can_not_erase_or_rewrite_who_approved_their_ticket(self):
        ticket = self._tickets(self.contractor, self.client_a, [1], state="draft")
        self.flush_tracking()
        ticket.with_user(self.manager).action_approve()
        self.flush_tracking()
        approval = ticket.message_ids[0].with_user(self.contractor)
        self.assertTrue(approval.tracking_value_ids)

        with self.assertRaises(AccessError):
            approval.unlink()
        with self.assertRaises(AccessError):
            approval.write(
                {"body": "Nobody approved this.", "author_id": self.contractor.partner_id.id}
            )
        self.assertEqual(approval.sudo().author_id, self.manager.partner_id)
        # Their own comments stay theirs to edit and delete; a manager may clean up the rest.
        comment = ticket.with_user(self.contractor).message_post(
            body="Typo", message_type="comment"
        )
        comment.write({"body": "Fixed"})
        comment.unlink()
        approval.with_user(self.manager).unlink()
        self.assertFalse(approval.exists())

    def test_a_contractor_can_not_erase_the_rejection_of_their_invoice(self):
        self._tickets(self.contractor, self.client_a, [1, 2, 3])
        invoice = self._submitted_invoice()
        invoice.with_user(self.manager).action_reject("Day 3 is not billable.")
        self.flush_tracking()
        # Rejected, the invoice is the contractor's to change again; its history is not.
        for message in invoice.message_ids.with_user(self.contractor):
            with self.subTest(message=message.id), self.assertRaises(AccessError):
                message.unlink()
        self.assertIn("Day 3 is not billable.", "".join(invoice.message_ids.mapped("body")))

    def test_a_contractor_can_not_post_an_approval_or_post_as_someone_else(self):
        self._tickets(self.contractor, self.client_a, [1])
        invoice = self._submitted_invoice().with_user(self.contractor)
        before = invoice.message_ids
        manager = self.manager.partner_id
        forged = (
            {"author_id": manager.id},
            {"email_from": manager.email_formatted},
            {"author_id": self.contractor.partner_id.id, "email_from": manager.email_formatted},
            {"subtype_xmlid": "tektoro_invoicing.mt_master_invoice_approved"},
            {"subtype_id": self.env.ref("tektoro_invoicing.mt_master_invoice_paid").id},
        )
        for kwargs in forged:
            with self.subTest(kwargs=kwargs), self.assertRaises(AccessError):
                invoice.message_post(body="Approved. -- Max", message_type="comment", **kwargs)
        self.assertEqual(invoice.message_ids, before)
        # Comments and notes of their own, as the chatter posts them, still go through.
        for subtype in ("mail.mt_comment", "mail.mt_note"):
            message = invoice.message_post(
                body="Day 3 was a Sunday.", message_type="comment", subtype_xmlid=subtype
            )
            self.assertEqual(message.author_id, self.contractor.partner_id)
        # The workflow still posts its events, and a manager may post a note for a colleague.
        invoice.with_user(self.manager).action_approve("Fine.")
        invoice.with_user(self.manager).message_post(
            body="Checked with Jane.", author_id=manager.id, subtype_xmlid="mail.mt_note"
        )
        self.assertEqual(invoice.state, "approved")

    def test_nor_create_a_forged_message_or_turn_their_comment_into_one(self):
        self._tickets(self.contractor, self.client_a, [1])
        invoice = self._submitted_invoice()
        manager = self.manager.partner_id
        approved = self.env.ref("tektoro_invoicing.mt_master_invoice_approved")
        Message = self.env["mail.message"].with_user(self.contractor)
        on_invoice = {"model": invoice._name, "res_id": invoice.id, "message_type": "comment"}
        for vals in (
            {"author_id": manager.id},
            {"author_id": False},
            {"subtype_id": approved.id},
            {"email_from": manager.email_formatted},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                Message.create({**on_invoice, "body": "Approved. -- Max", **vals})
        comment = invoice.with_user(self.contractor).message_post(
            body="Day 3 was a Sunday.", message_type="comment"
        )
        for vals in (
            {"author_id": manager.id},
            {"subtype_id": approved.id},
            {"message_type": "notification"},
            {"res_id": self.env["tektoro.master.invoice"].search([], limit=1, order="id").id},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                comment.with_user(self.contractor).write(vals)
        comment.with_user(self.contractor).write({"body": "Day 3 was a Saturday."})
        self.assertRecordValues(
            comment, [{"author_id": self.contractor.partner_id.id, "message_type": "comment"}]
        )
        self.assertIn("Saturday", comment.body)

    def test_nor_mass_mail_a_message_signed_by_someone_else(self):
        self._tickets(self.contractor, self.client_a, [1])
        invoice = self._submitted_invoice()
        before = invoice.message_ids
        Composer = self.env["mail.compose.message"].with_user(self.contractor)
        values = {
            "model": invoice._name,
            "res_ids": invoice.ids,
            "composition_mode": "mass_mail",
            "subject": "Approved",
            "body": "<p>Approved by Max Manager</p>",
        }
        for forged in (
            {"author_id": self.manager.partner_id.id},
            {
                "author_id": self.contractor.partner_id.id,
                "email_from": self.manager.partner_id.email_formatted,
            },
            {"subtype_id": self.env.ref("tektoro_invoicing.mt_master_invoice_approved").id},
        ):
            with self.subTest(forged=forged), self.assertRaises(AccessError):
                Composer.create({**values, **forged}).action_send_mail()
        self.assertEqual(invoice.message_ids, before)
        # Under their own name, it goes out.
        Composer.create({**values, "subject": "Question"}).action_send_mail()
        self.assertEqual((invoice.message_ids - before).author_id, self.contractor.partner_id)

    def test_nor_change_or_delete_the_files_of_a_manager_s_message(self):
        self._tickets(self.contractor, self.client_a, [1])
        invoice = self._submitted_invoice()
        Attachment = self.env["ir.attachment"]
        evidence = Attachment.with_user(self.manager).create(
            {"name": "evidence.txt", "raw": b"hours checked", **self._on(invoice)}
        )
        invoice.with_user(self.manager).message_post(
            body="See the evidence.", message_type="comment", attachment_ids=evidence.ids
        )
        for change in (
            lambda attachment: attachment.unlink(),
            lambda attachment: attachment.write({"raw": b"tampered"}),
        ):
            with self.assertRaises(AccessError):
                change(evidence.with_user(self.contractor))
        self.assertEqual(evidence.raw, b"hours checked")
        # The files of their own comments stay theirs.
        own = Attachment.with_user(self.contractor).create(
            {"name": "mine.txt", "raw": b"draft", **self._on(invoice)}
        )
        invoice.with_user(self.contractor).message_post(
            body="Mine.", message_type="comment", attachment_ids=own.ids
        )
        own.with_user(self.contractor).write({"raw": b"final"})
        own.with_user(self.contractor).unlink()
        self.assertFalse(own.exists())

    def test_the_files_of_an_activity_they_mark_done_go_with_its_note(self):
        self._tickets(self.contractor, self.client_a, [1])
        invoice = self._master_invoice().with_user(self.contractor)
        todo = invoice.activity_schedule("mail.mail_activity_data_todo", user_id=self.contractor.id)
        screenshot = (
            self.env["ir.attachment"]
            .with_user(self.contractor)
            .create({"name": "screenshot.png", "raw": b"png", **self._on(todo)})
        )
        [note] = todo.with_user(self.contractor)._action_done(
            feedback="Checked.", attachment_ids=[]
        )[0]
        self.assertEqual(note.attachment_ids, screenshot)
        self.assertRecordValues(screenshot, [{"res_model": "mail.message", "res_id": note.id}])

    @staticmethod
    def _on(record):
        return {"res_model": record._name, "res_id": record.id}


@tagged("post_install", "-at_install")
class TestKeptHistoryInTheChatter(TektoroMasterInvoiceCase, HttpCase):
    def test_the_chatter_route_posts_no_workflow_event_by_hand(self):
        self._tickets(self.contractor, self.client_a, [1])
        invoice = self._submitted_invoice()
        self.authenticate(self.contractor.login, self.contractor.login)

        def post(subtype_xmlid):
            """The chatter's own call; the JSON-RPC answer, error included."""
            body = {
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "thread_model": invoice._name,
                    "thread_id": invoice.id,
                    "post_data": {
                        "body": "Approved. -- Max",
                        "message_type": "comment",
                        "subtype_xmlid": subtype_xmlid,
                    },
                },
            }
            headers = {"Content-Type": "application/json"}
            return self.url_open("/mail/message/post", json.dumps(body), headers=headers).json()

        before = invoice.message_ids
        refused = post("tektoro_invoicing.mt_master_invoice_approved")["error"]["data"]
        self.assertEqual(refused["name"], "odoo.exceptions.AccessError")
        self.assertIn("posted by the workflow itself", refused["message"])
        self.assertEqual(invoice.message_ids, before)
        # The Log note button, as the chatter sends it.
        self.assertNotIn("error", post("mail.mt_note"))
        self.assertEqual(len(invoice.message_ids - before), 1)
        self.assertEqual((invoice.message_ids - before).subtype_id, self.env.ref("mail.mt_note"))
