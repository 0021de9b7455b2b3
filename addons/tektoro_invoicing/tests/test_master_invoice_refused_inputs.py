from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import TektoroMasterInvoiceCase


@tagged("post_install", "-at_install")
class TestMasterInvoiceRefusedInputs(TektoroMasterInvoiceCase):
    """Every input the rules refuse, with the message the user reads; nothing half-written."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_currency = (
            cls.env["res.currency"]
            .with_context(active_test=False)
            .search([("id", "!=", cls.company.currency_id.id)], limit=1)
        )
        assert cls.other_currency

    def test_period_that_ends_before_it_starts(self):
        self._tickets(self.contractor, self.client_a, [1])
        Invoice = self.env["tektoro.master.invoice"].with_user(self.contractor)
        # Dates as the user reads them (en_US here), not as stored.
        with self.assertRefused(ValidationError, r"ends \(01/01/2020\) before it starts \(01/31"):
            Invoice.create({"date_from": "2020-01-31", "date_to": "2020-01-01"})
        with self.assertRefused(ValidationError, "both the start and the end"):
            Invoice.create({"date_from": "2020-01-01"})
        wizard = Form(self.env["tektoro.master.invoice.create.wizard"].with_user(self.contractor))
        wizard.date_from = "2020-01-31"
        wizard.date_to = "2020-01-01"
        with self.assertRefused(ValidationError, "before it starts"):
            wizard.save().action_create()
        with self.assertRefused(ValidationError, "before it starts"):
            self.env["tektoro.client.invoice"].with_user(self.manager).generate_for_period(
                "2020-01-31", "2020-01-01"
            )
        self.assertFalse(Invoice.search([("contractor_id", "=", self.contractor.id)]))

    def test_negative_hours_or_amount(self):
        Ticket = self.env["tektoro.ticket"].with_user(self.contractor)
        values = {"client_id": self.client_a.id, "work_date": "2020-01-03", "description": "x"}
        with self.assertRefused(ValidationError, "hours .* can't be negative"):
            Ticket.create({**values, "hours": -1})
        with self.assertRefused(ValidationError, "amount .* can't be negative"):
            Ticket.create({**values, "amount": -0.01})
        ticket = Ticket.create({**values, "hours": 1, "amount": 10})
        with self.assertRefused(ValidationError, "can't be negative"):
            ticket.write({"amount": -5})
        self.assertRecordValues(ticket, [{"amount": 10, "hours": 1}])

    def test_empty_bundle(self):
        self._tickets(self.contractor, self.client_a, [1], state="draft")
        self._tickets(self.contractor_2, self.client_a, [1])
        with self.assertRefused(
            UserError,
            "^John Doe has no approved ticket waiting for a master invoice from 01/01/2020 to "
            "01/31/2020.$",
        ):
            self._master_invoice()
        self._tickets(self.contractor, self.client_a, [2])
        with self.assertRefused(UserError, "no approved ticket for Client B waiting"):
            self._master_invoice(client_id=self.client_b.id)
        self._master_invoice()
        with self.assertRefused(UserError, "has no approved ticket waiting"):
            self._master_invoice()
        # A failed build gives its number back.
        self._tickets(self.contractor, self.client_a, [3])
        self.assertEqual(self._master_invoice().name, "JD-MINV-002")

    def test_submitting_an_emptied_invoice(self):
        self._tickets(self.contractor, self.client_a, [1])
        invoice = self._master_invoice()
        invoice.ticket_ids.action_remove_from_master_invoice()
        self.assertRecordValues(invoice, [{"ticket_count": 0, "amount_total": 0}])
        with self.assertRefused(UserError, "has no tickets"):
            invoice.action_submit()

    def test_rejection_needs_a_message(self):
        self._tickets(self.contractor, self.client_a, [1])
        invoice = self._submitted_invoice().with_user(self.manager)
        for message in (None, "", "   ", 42):
            with (
                self.subTest(message=message),
                self.assertRefused(UserError, "message is required"),
            ):
                invoice.action_reject(message)
        wizard = Form(
            self.env["tektoro.master.invoice.review.wizard"]
            .with_user(self.manager)
            .with_context(default_master_invoice_ids=invoice.ids, default_decision="reject")
        )
        wizard.message = "  "
        with self.assertRefused(UserError, "message is required"):
            wizard.save().action_confirm()
        self.assertRecordValues(invoice, [{"state": "submitted", "rejection_message": False}])

    def test_only_the_right_states_move(self):
        self._tickets(self.contractor, self.client_a, [1])
        invoice = self._master_invoice()
        as_manager = invoice.with_user(self.manager)
        with self.assertRefused(UserError, "Only submitted invoices can be reviewed"):
            as_manager.action_approve()
        with self.assertRefused(UserError, "Only submitted invoices can be reviewed"):
            as_manager.action_reject("no")
        with self.assertRefused(UserError, "Only approved invoices can be marked as paid"):
            as_manager.action_mark_paid()
        invoice.action_submit()
        with self.assertRefused(UserError, "is Submitted and can no longer be changed"):
            invoice.action_submit()
        with self.assertRefused(UserError, "Only approved invoices can be marked as paid"):
            as_manager.action_mark_paid()
        as_manager.action_approve()
        with self.assertRefused(UserError, "Only submitted invoices can be reviewed"):
            as_manager.action_reject("too late")
        with self.assertRefused(UserError, "can no longer be changed"):
            invoice.action_submit()
        as_manager.action_mark_paid()
        with self.assertRefused(UserError, "Only approved invoices can be marked as paid"):
            as_manager.action_mark_paid()
        self.assertRecordValues(invoice, [{"state": "paid"}])

    def test_submitted_and_approved_invoices_are_frozen(self):
        tickets = self._tickets(self.contractor, self.client_a, [1, 2])
        invoice = self._submitted_invoice()
        late = self._tickets(self.contractor, self.client_a, [3])
        for state in ("submitted", "approved"):
            with self.subTest(state=state):
                with self.assertRefused(UserError, "can no longer be changed"):
                    invoice.write({"note": "changed"})
                with self.assertRefused(UserError, "can no longer be changed"):
                    invoice.action_refresh_tickets()
                with self.assertRefused(UserError, "can no longer be changed"):
                    tickets[0].action_remove_from_master_invoice()
                with self.assertRefused(UserError, "Only draft invoices can be deleted"):
                    invoice.unlink()
            if state == "submitted":
                invoice.with_user(self.manager).action_approve()
        self.assertEqual(invoice.ticket_ids, tickets)
        self.assertFalse(late.master_invoice_id)

    def test_only_drafts_can_be_deleted(self):
        for state in ("submitted", "approved", "rejected", "paid"):
            invoice = self._master_invoice_in(state)
            tickets = invoice.ticket_ids
            with (
                self.subTest(state=state),
                self.assertRefused(UserError, "Only draft invoices can be deleted"),
            ):
                invoice.unlink()
            self.assertEqual(tickets.master_invoice_id, invoice)

    def test_a_rejected_invoice_takes_tickets_approved_since(self):
        invoice = self._master_invoice_in("rejected")
        late = self._tickets_on(invoice.date_from)
        invoice.action_refresh_tickets()
        self.assertEqual(late.master_invoice_id, invoice)
        self.assertRecordValues(invoice, [{"state": "rejected", "ticket_count": 2}])

    def _tickets_on(self, day):
        return (
            self.env["tektoro.ticket"]
            .sudo()
            .create(
                {
                    "contractor_id": self.contractor.id,
                    "client_id": self.client_a.id,
                    "work_date": day,
                    "description": "Approved late",
                    "amount": 5.0,
                    "state": "approved",
                }
            )
        )

    def test_workflow_fields_are_not_writable(self):
        self._tickets(self.contractor, self.client_a, [1])
        invoice = self._master_invoice()
        refused = {
            "state": "approved",
            "approver_id": self.contractor.id,
            "name": "JD-MINV-999",
            "amount_total": 1e6,
            "ticket_ids": [(5, 0, 0)],
        }
        for user in (self.contractor, self.manager):
            for field, value in refused.items():
                with (
                    self.subTest(user=user.login, field=field),
                    self.assertRefused(UserError, "can't be set directly"),
                ):
                    invoice.with_user(user).write({field: value})
            with self.subTest(user=user.login), self.assertRefused(UserError, "chosen when"):
                invoice.with_user(user).write({"date_to": "2020-12-31"})
            # A stored related field: writable through the ORM unless refused.
            with (
                self.subTest(user=user.login, field="currency_id"),
                self.assertRefused(UserError, "Currency follows from Company"),
            ):
                invoice.with_user(user).write({"currency_id": self.other_currency.id})
        with self.assertRefused(UserError, "can't be set directly"):
            self.env["tektoro.master.invoice"].with_user(self.contractor).create(
                {**self.period, "state": "approved"}
            )
        self.assertRecordValues(
            invoice,
            [{"state": "draft", "name": "JD-MINV-001", "currency_id": self.company.currency_id.id}],
        )

    def test_tickets_join_invoices_only_through_bundling(self):
        ticket = self._tickets(self.contractor, self.client_a, [1])
        invoice = self._master_invoice()
        loose = self._tickets(self.contractor, self.client_a, [2])
        for user in (self.contractor, self.manager):
            with self.subTest(user=user.login), self.assertRefused(UserError, "own actions only"):
                loose.with_user(user).write({"master_invoice_id": invoice.id})
        with self.assertRefused(UserError, "approved with the Approve action"):
            self.env["tektoro.ticket"].with_user(self.contractor).create(
                {"client_id": self.client_a.id, "description": "x", "state": "approved"}
            )
        self.assertEqual(invoice.ticket_ids, ticket)

    def test_a_tickets_reference_and_currency_are_never_the_callers(self):
        draft = (
            self.env["tektoro.ticket"]
            .with_user(self.contractor)
            .create({"client_id": self.client_a.id, "description": "x", "name": "/"})
        )
        self.assertNotEqual(draft.name, "/")
        approved = self._tickets(self.contractor, self.client_a, [1])
        self._master_invoice()
        refused = (
            ({"name": "FORGED"}, "reference of a ticket can't be set"),
            ({"currency_id": self.other_currency.id}, "Currency follows from Company"),
        )
        for ticket in (draft, approved):
            for user in (self.contractor, self.manager):
                for vals, message in refused:
                    with (
                        self.subTest(ticket=ticket.state, user=user.login, vals=vals),
                        self.assertRefused(UserError, message),
                    ):
                        ticket.with_user(user).write(vals)
        for vals, message in refused:
            with self.subTest(vals=vals), self.assertRefused(UserError, message):
                self.env["tektoro.ticket"].with_user(self.contractor).create(
                    {"client_id": self.client_a.id, "description": "x", **vals}
                )
        currency = self.company.currency_id
        self.assertRecordValues(
            draft | approved,
            [
                {"name": draft.name, "currency_id": currency.id},
                {"name": approved.name, "currency_id": currency.id},
            ],
        )

    def test_approved_tickets_are_frozen(self):
        ticket = self._tickets(self.contractor, self.client_a, [1])
        with self.assertRefused(UserError, "is approved and can no longer be changed"):
            ticket.with_user(self.contractor).write({"amount": 1})
        with self.assertRefused(UserError, "is approved and can't be deleted"):
            ticket.with_user(self.contractor).unlink()
        with self.assertRefused(UserError, "already approved"):
            ticket.with_user(self.manager).action_approve()
        self._master_invoice()
        with self.assertRefused(UserError, "is on an invoice"):
            ticket.with_user(self.manager).action_reset_to_draft()

    def test_client_invoice_refusals(self):
        Client = self.env["tektoro.client.invoice"].with_user(self.manager)
        with self.assertRefused(UserError, "No approved ticket from 01/01/2020 to 01/31/2020"):
            Client.generate_for_period("2020-01-01", "2020-01-31")
        with self.assertRefused(UserError, "generated for a period"):
            Client.create({"client_id": self.client_a.id, **self.period})
        with self.assertRefused(UserError, "list of ids"):
            Client.generate_for_period("2020-01-01", "2020-01-31", client_ids="1,2")
        self._tickets(self.contractor, self.client_a, [1])
        invoice = Client.generate_for_period("2020-01-01", "2020-01-31")
        with self.assertRefused(UserError, "Only sent client invoices can be marked as paid"):
            invoice.action_mark_paid()
        invoice.action_send()
        with self.assertRefused(UserError, "Only draft client invoices can be sent"):
            invoice.action_send()
        with self.assertRefused(UserError, "change through their"):
            invoice.write({"state": "draft"})
        with self.assertRefused(UserError, "Currency follows from Company"):
            invoice.write({"currency_id": self.other_currency.id})
        invoice.action_mark_paid()
        with self.assertRefused(UserError, "a paid one stays"):
            invoice.action_cancel()
        with self.assertRefused(UserError, "cancel it instead"):
            invoice.unlink()
        self.assertRecordValues(invoice, [{"state": "paid", "ticket_count": 1}])
        self.assertTrue(invoice.ticket_ids)

    def test_a_client_invoice_once_sent_is_never_deleted(self):
        sent = self._client_invoice_in("sent").with_user(self.manager)
        sent.action_cancel()
        with self.assertRefused(UserError, "was sent to the client, so it can't be deleted"):
            sent.unlink()
        self.assertRecordValues(sent, [{"state": "cancelled"}])
        # One cancelled before it was ever sent goes, as a draft does.
        never_sent = self._client_invoice_in("cancelled").with_user(self.manager)
        never_sent.unlink()
        self.assertFalse(never_sent.exists())

    def test_refusals_speak_the_callers_language(self):
        """The value checks translate through the caller's environment, field labels included
        (here a French label for the ticket's client, as a French translation would give)."""
        self.env["res.lang"]._activate_lang("fr_FR")
        client_field = self.env["ir.model.fields"]._get("tektoro.ticket", "client_id")
        client_field.with_context(lang="fr_FR").field_description = "Client final"
        missing = self.env["res.partner"].search([], order="id desc", limit=1).id + 1
        # An RPC call carries the user's language in its context.
        Ticket = self.env["tektoro.ticket"].with_user(self.contractor).with_context(lang="fr_FR")
        with (
            self.assertNoLogs("odoo.tools.translate", "WARNING"),
            self.assertRaisesRegex(ValidationError, r"^Client final: there is no record with id"),
        ):
            Ticket.create({"client_id": missing, "work_date": "2020-01-05", "description": "x"})
