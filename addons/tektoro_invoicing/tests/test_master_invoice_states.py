from freezegun import freeze_time
from lxml import etree
from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import TektoroMasterInvoiceCase


@tagged("post_install", "-at_install")
class TestMasterInvoiceStates(TektoroMasterInvoiceCase):
    def test_create_bundles_approved_unbundled_tickets_of_the_period(self):
        in_period = self._tickets(self.contractor, self.client_a, [2, 3], amount=150)
        in_period |= self._tickets(self.contractor, self.client_b, [31], amount=75.5, hours=2)
        draft = self._tickets(self.contractor, self.client_a, [4], state="draft")
        other_contractor = self._tickets(self.contractor_2, self.client_a, [5])
        outside = (
            self.env["tektoro.ticket"]
            .sudo()
            .create(
                {
                    "contractor_id": self.contractor.id,
                    "client_id": self.client_a.id,
                    "work_date": "2020-02-01",
                    "description": "Next month",
                    "amount": 10,
                    "state": "approved",
                }
            )
        )

        invoice = self._master_invoice(note="January")

        self.assertRecordValues(
            invoice,
            [
                {
                    "name": "JD-MINV-001",
                    "contractor_id": self.contractor.id,
                    "state": "draft",
                    "ticket_count": 3,
                    "client_count": 2,
                    "amount_total": 375.5,
                    "note": "January",
                }
            ],
        )
        self.assertEqual(invoice.ticket_ids, in_period)
        self.assertFalse((draft | other_contractor | outside).master_invoice_id)

    def test_numbers_follow_each_contractor(self):
        self._tickets(self.contractor, self.client_a, [1, 2])
        self._tickets(self.contractor_2, self.client_a, [1])
        first = self._master_invoice(date_from="2020-01-01", date_to="2020-01-01")
        other = self._master_invoice(self.contractor_2)
        second = self._master_invoice(date_from="2020-01-02", date_to="2020-01-02")
        self.assertEqual(
            (first | other | second).mapped("name"), ["JD-MINV-001", "MM-MINV-001", "JD-MINV-002"]
        )

    def test_one_call_creates_several_invoices_of_one_contractor(self):
        tickets = self._tickets(self.contractor, self.client_a, [1, 2])
        invoices = (
            self.env["tektoro.master.invoice"]
            .with_user(self.contractor)
            .create(
                [
                    {"date_from": "2020-01-01", "date_to": "2020-01-01"},
                    {"date_from": "2020-01-02", "date_to": "2020-01-02"},
                ]
            )
        )
        self.assertEqual(invoices.mapped("name"), ["JD-MINV-001", "JD-MINV-002"])
        self.assertEqual(invoices.mapped("ticket_ids"), tickets)

    def test_client_filter_bundles_only_that_client(self):
        tickets_a = self._tickets(self.contractor, self.client_a, [1, 2])
        tickets_b = self._tickets(self.contractor, self.client_b, [3])
        invoice = self._master_invoice(client_id=self.client_a.id)
        self.assertRecordValues(
            invoice, [{"ticket_count": 2, "client_count": 1, "amount_total": 200}]
        )
        self.assertEqual(invoice.ticket_ids, tickets_a)
        self.assertFalse(tickets_b.master_invoice_id)

    def test_full_workflow_with_rejection_and_resubmission(self):
        self._tickets(self.contractor, self.client_a, [1, 2])
        invoice = self._master_invoice()
        self.flush_tracking()  # created in one request, submitted in the next
        invoice.action_submit()
        self.flush_tracking()
        self.assertRecordValues(invoice, [{"state": "submitted", "approver_id": False}])
        self.assertTrue(invoice.submitted_at)

        as_manager = invoice.with_user(self.manager)
        as_manager.action_reject("Day 2 is not ours.")
        self.flush_tracking()
        self.assertRecordValues(
            invoice, [{"state": "rejected", "rejection_message": "Day 2 is not ours."}]
        )
        self.assertTrue(invoice.rejected_at)

        # Revise: take a ticket off, then resubmit.
        invoice.ticket_ids.filtered(
            lambda t: t.work_date.day == 2
        ).action_remove_from_master_invoice()
        self.assertRecordValues(invoice, [{"ticket_count": 1, "amount_total": 100}])
        invoice.action_submit()
        self.flush_tracking()
        self.assertRecordValues(invoice, [{"state": "submitted"}])

        as_manager.action_approve("Thanks, John.")
        self.flush_tracking()
        self.assertRecordValues(
            invoice,
            [
                {
                    "state": "approved",
                    "approver_id": self.manager.id,
                    "approval_message": "Thanks, John.",
                }
            ],
        )
        self.assertTrue(invoice.approved_at)

        as_manager.action_mark_paid()
        self.flush_tracking()
        self.assertRecordValues(invoice, [{"state": "paid"}])
        self.assertTrue(invoice.paid_at)

        tracked = invoice.sudo().message_ids.tracking_value_ids.filtered(
            lambda v: v.field_id.name == "state"
        )
        self.assertEqual(
            sorted(tracked.mapped("new_value_char")),
            sorted(["Submitted", "Rejected", "Submitted", "Approved", "Paid"]),
        )

    def test_approve_without_message(self):
        self._tickets(self.contractor, self.client_a, [1])
        invoice = self._submitted_invoice()
        invoice.with_user(self.manager).action_approve()
        self.assertRecordValues(invoice, [{"state": "approved", "approval_message": False}])

    def test_refresh_adds_newly_approved_tickets(self):
        self._tickets(self.contractor, self.client_a, [1])
        invoice = self._master_invoice()
        late = self._tickets(self.contractor, self.client_a, [20], amount=50)
        elsewhere = self._tickets(self.contractor, self.client_a, [21], state="draft")
        invoice.action_refresh_tickets()
        self.assertRecordValues(invoice, [{"ticket_count": 2, "amount_total": 150}])
        self.assertIn(late, invoice.ticket_ids)
        self.assertNotIn(elsewhere, invoice.ticket_ids)

    def test_refresh_leaves_out_the_tickets_taken_off(self):
        """Rejected with "take TKT off": the contractor removes it, then picks up new tickets."""
        kept, dropped, *both = self._tickets(self.contractor, self.client_a, [1, 2, 3, 3])
        unlinked = both[0] | both[1]
        invoice = self._master_invoice()
        invoice.action_submit()
        invoice.with_user(self.manager).action_reject("Take day 2 and day 3 off.")
        dropped.with_user(self.contractor).action_remove_from_master_invoice()
        invoice.write({"ticket_ids": [Command.unlink(ticket.id) for ticket in unlinked]})
        late = self._tickets(self.contractor, self.client_a, [20], amount=50)

        invoice.action_refresh_tickets()

        self.assertEqual(invoice.ticket_ids, kept | late)
        self.assertEqual(invoice.removed_ticket_ids, dropped | unlinked)
        self.assertRecordValues(invoice, [{"ticket_count": 2, "amount_total": 150}])
        # Sent back to draft, corrected and approved again, a ticket is new to the invoice.
        dropped.with_user(self.manager).action_reset_to_draft()
        dropped.with_user(self.contractor).write({"amount": 80})
        dropped.with_user(self.manager).action_approve()
        invoice.action_refresh_tickets()
        self.assertEqual(invoice.ticket_ids, kept | late | dropped)
        self.assertEqual(invoice.removed_ticket_ids, unlinked)
        # Another invoice may bundle the ones taken off.
        other = self._master_invoice(date_from="2020-01-02", date_to="2020-01-03")
        self.assertEqual(other.ticket_ids, unlinked)

    def test_deleting_a_draft_releases_its_tickets(self):
        tickets = self._tickets(self.contractor, self.client_a, [1, 2])
        invoice = self._master_invoice()
        invoice.unlink()
        self.assertFalse(tickets.master_invoice_id)
        # Released tickets go on the next invoice.
        self.assertEqual(self._master_invoice().ticket_ids, tickets)

    def test_review_is_not_asked_of_the_invoices_contractor_nor_of_another_companys_manager(self):
        other_company = self.env["res.company"].create({"name": "Elsewhere Co"})
        colleague = self._make_user(
            "tk_manager_2", "Nina Colleague", "tektoro_invoicing.group_manager"
        )
        far_manager = self._make_user(
            "tk_manager_far", "Felix Far", "tektoro_invoicing.group_manager", other_company
        )
        self._tickets(self.manager, self.client_a, [1])
        own = self._submitted_invoice(self.manager)
        activity_type = self.env.ref("tektoro_invoicing.mail_act_master_invoice_approval")
        reviewers = own.activity_ids.filtered(lambda a: a.activity_type_id == activity_type).user_id
        self.assertIn(colleague, reviewers)
        self.assertNotIn(self.manager, reviewers)
        self.assertNotIn(far_manager, reviewers)

    def test_submitting_schedules_review_for_managers_and_review_closes_it(self):
        self._tickets(self.contractor, self.client_a, [1])
        invoice = self._submitted_invoice()
        activity_type = self.env.ref("tektoro_invoicing.mail_act_master_invoice_approval")
        activities = invoice.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        self.assertIn(self.manager, activities.user_id)

        invoice.with_user(self.manager).action_approve("OK")
        self.assertFalse(invoice.activity_ids)
        done = self.env["mail.message"].search(
            [
                ("model", "=", invoice._name),
                ("res_id", "=", invoice.id),
                ("mail_activity_type_id", "=", activity_type.id),
            ]
        )
        self.assertEqual(len(done), 1, "the reviewer's activity is marked done, once")

    def test_only_managers_change_or_close_the_review(self):
        self._tickets(self.contractor, self.client_a, [1])
        invoice = self._submitted_invoice()
        reviews = invoice.activity_ids
        self.assertTrue(reviews)
        # The contractor, whom only this rule stops; an office user, whom Odoo's rules already do.
        for user, refusal in ((self.contractor, "Only a manager can change"), (self.office, "")):
            theirs = reviews.with_user(user)
            for attempt in (
                theirs.unlink,
                theirs.action_feedback,
                lambda theirs=theirs: theirs.write({"user_id": self.contractor.id}),
                lambda theirs=theirs: theirs.write({"date_deadline": "2030-01-01"}),
            ):
                with (
                    self.subTest(user=user.login),
                    self.assertRaisesRegex(AccessError, refusal),
                    self.cr.savepoint(),
                ):
                    attempt()
        # Nor does the contractor schedule a review of their own making.
        with (
            self.assertRaisesRegex(AccessError, "or schedule one"),
            self.cr.savepoint(),
        ):
            invoice.with_user(self.contractor).activity_schedule(
                "tektoro_invoicing.mail_act_master_invoice_approval", user_id=self.manager.id
            )
        reviews.invalidate_recordset()
        self.assertEqual(invoice.activity_ids, reviews)
        self.assertIn(self.manager, reviews.user_id)
        # A manager may move another manager's review to a later day.
        reviews.with_user(self.manager).write({"date_deadline": "2030-01-01"})
        self.assertEqual(set(reviews.mapped("date_deadline")), {fields.Date.to_date("2030-01-01")})

    def test_a_manager_who_bills_does_not_close_the_review_of_their_own_invoice(self):
        billing_manager = self._make_user(
            "tk_billing_manager",
            "Bill Manager",
            "tektoro_invoicing.group_contractor,tektoro_invoicing.group_manager",
        )
        self._tickets(billing_manager, self.client_a, [1])
        invoice = self._submitted_invoice(billing_manager)
        review = invoice.activity_ids.filtered(lambda activity: activity.user_id == self.manager)
        self.assertTrue(review)
        with self.assertRaisesRegex(AccessError, "Only a manager can change"):
            review.with_user(billing_manager).unlink()
        self.assertTrue(review.exists())

    def test_grouped_lists_do_not_add_up_client_counts(self):
        """Two invoices for the same client are one client, not two: no sum in group rows."""
        self._tickets(self.contractor, self.client_a, [1])
        self._tickets(self.contractor_2, self.client_a, [1])
        invoices = self._master_invoice() | self._master_invoice(self.contractor_2)
        [group] = self.env["tektoro.master.invoice"].read_group(
            [("id", "in", invoices.ids)], ["client_count", "ticket_count"], []
        )
        self.assertEqual(group["ticket_count"], 2)
        self.assertNotIn("client_count", group)

    def test_managers_approve_the_selected_invoices_at_once(self):
        self._tickets(self.contractor, self.client_a, [1, 2])
        first = self._submitted_invoice(date_from="2020-01-01", date_to="2020-01-01")
        second = self._submitted_invoice(date_from="2020-01-02", date_to="2020-01-02")
        # The review list offers it on a selection, to managers only.
        selected = './/header/button[@name="action_open_review_wizard"]'
        for user, count in ((self.manager, 2), (self.contractor, 0)):
            arch = self.env["tektoro.master.invoice"].with_user(user).get_view(view_type="list")
            with self.subTest(user=user.login):
                self.assertEqual(len(etree.fromstring(arch["arch"]).findall(selected)), count)
        action = (
            (first | second)
            .with_user(self.manager)
            .with_context(review_decision="approve")
            .action_open_review_wizard()
        )
        self.assertEqual(action["name"], "Approve Invoices")
        wizard = Form(
            self.env[action["res_model"]].with_user(self.manager).with_context(**action["context"])
        )
        wizard.message = "Both match the logs"
        wizard.save().action_confirm()
        self.assertRecordValues(
            first | second,
            [
                {"state": "approved", "approval_message": "Both match the logs"},
                {"state": "approved", "approval_message": "Both match the logs"},
            ],
        )

    def test_review_wizard_approves_and_rejects(self):
        self._tickets(self.contractor, self.client_a, [1, 2])
        first = self._submitted_invoice(date_from="2020-01-01", date_to="2020-01-01")
        second = self._submitted_invoice(date_from="2020-01-02", date_to="2020-01-02")

        action = (
            first.with_user(self.manager)
            .with_context(review_decision="approve")
            .action_open_review_wizard()
        )
        wizard = Form(
            self.env[action["res_model"]].with_user(self.manager).with_context(**action["context"])
        )
        self.assertEqual(action["name"], f"Approve {first.name}")
        wizard.message = "Well done"
        done = wizard.save().action_confirm()
        self.assertRecordValues(first, [{"state": "approved", "approval_message": "Well done"}])
        self.assertEqual(
            done["params"]["message"], f"{first.name} approved; the contractor is notified."
        )

        action = (
            second.with_user(self.manager)
            .with_context(review_decision="reject")
            .action_open_review_wizard()
        )
        wizard = Form(
            self.env[action["res_model"]].with_user(self.manager).with_context(**action["context"])
        )
        self.assertEqual(action["name"], f"Reject {second.name}")
        wizard.message = "Hours are wrong"
        done = wizard.save().action_confirm()
        self.assertRecordValues(
            second, [{"state": "rejected", "rejection_message": "Hours are wrong"}]
        )
        self.assertEqual(
            done["params"]["message"], f"{second.name} rejected; the contractor is notified."
        )
        self.assertEqual(done["params"]["next"], {"type": "ir.actions.act_window_close"})

    def test_create_wizard_opens_the_new_invoice(self):
        self._tickets(self.contractor, self.client_a, [1])
        wizard = Form(self.env["tektoro.master.invoice.create.wizard"].with_user(self.contractor))
        wizard.date_from = "2020-01-01"
        wizard.date_to = "2020-01-31"
        wizard.client_id = self.client_a
        action = wizard.save().action_create()
        invoice = self.env["tektoro.master.invoice"].browse(action["res_id"])
        self.assertRecordValues(
            invoice, [{"name": "JD-MINV-001", "client_id": self.client_a.id, "ticket_count": 1}]
        )

    @freeze_time("2020-02-10")
    def test_create_wizard_starts_at_the_oldest_ticket_left_behind(self):
        Wizard = self.env["tektoro.master.invoice.create.wizard"]

        def proposed_start(user):
            return str(Form(Wizard.with_user(user)).date_from)

        self.assertEqual(proposed_start(self.contractor), "2020-02-01")
        self._tickets(self.contractor, self.client_a, [3], state="draft")
        self._tickets(self.contractor_2, self.client_a, [2])
        self._tickets(self.contractor, self.client_a, [8, 5])
        self.assertEqual(proposed_start(self.contractor), "2020-01-05")
        self.assertEqual(proposed_start(self.contractor_2), "2020-01-02")
        self._master_invoice(date_from="2020-01-05", date_to="2020-01-05")
        self.assertEqual(proposed_start(self.contractor), "2020-01-08")

    def test_a_new_ticket_reads_new_until_saved_then_gets_its_number(self):
        form = Form(self.env["tektoro.ticket"].with_user(self.contractor))
        self.assertEqual(form.name, "New")
        form.client_id = self.client_a
        form.work_date = "2020-01-05"
        form.description = "Front desk"
        form.amount = 10
        ticket = form.save()
        self.assertRegex(ticket.name, r"^TKT-\d{5}$")

    def test_ticket_approval_by_a_manager(self):
        ticket = self._tickets(self.contractor, self.client_a, [1], state="draft")
        ticket.with_user(self.manager).action_approve()
        self.assertRecordValues(ticket, [{"state": "approved"}])
        ticket.with_user(self.manager).action_reset_to_draft()
        self.assertRecordValues(ticket, [{"state": "draft"}])

    def test_unlinking_tickets_from_a_draft_takes_them_off(self):
        """``Command.unlink`` on ``ticket_ids`` removes, under the Remove button's rules."""
        tickets = self._tickets(self.contractor, self.client_a, [1, 2, 3])
        unbundled = self._tickets(self.contractor, self.client_a, [4], state="draft")
        invoice = self._master_invoice()
        as_contractor = invoice.with_user(self.contractor)

        as_contractor.write({"ticket_ids": [Command.unlink(tickets[1].id)], "note": "Day 2 out."})
        self.assertRecordValues(
            invoice, [{"ticket_count": 2, "amount_total": 200, "note": "Day 2 out."}]
        )
        self.assertFalse(tickets[1].master_invoice_id)
        with self.assertRefused(UserError, "TKT-.* can't be removed: not on JD-MINV-001"):
            as_contractor.write({"ticket_ids": [Command.unlink(unbundled.id)]})
        # Another contractor's ticket is not even named.
        theirs = self._tickets(self.contractor_2, self.client_a, [5])
        with self.assertRaises(AccessError):
            as_contractor.write({"ticket_ids": [Command.unlink(theirs.id)]})
        with self.assertRefused(UserError, "can't be set directly"):
            as_contractor.write({"ticket_ids": [Command.link(tickets[1].id)]})
        with self.assertRefused(UserError, "can't be set directly"):
            as_contractor.write({"ticket_ids": [Command.delete(tickets[0].id)]})
        with self.assertRaises(AccessError):  # another contractor
            invoice.with_user(self.contractor_2).write(
                {"ticket_ids": [Command.unlink(tickets[0].id)]}
            )

        as_contractor.action_submit()
        with self.assertRefused(UserError, "can no longer be changed"):
            as_contractor.write({"ticket_ids": [Command.unlink(tickets[0].id)]})
        self.assertEqual(invoice.ticket_ids, tickets[0] | tickets[2])
        self.assertTrue(tickets[0].exists())

    def test_clearing_the_invoice_or_setting_fewer_tickets_takes_them_off(self):
        """The other ways an ORM caller removes tickets, under the Remove button's rules."""
        tickets = self._tickets(self.contractor, self.client_a, [1, 2, 3, 4])
        invoice = self._master_invoice()
        as_contractor = invoice.with_user(self.contractor)

        tickets[0].with_user(self.contractor).write({"master_invoice_id": False})
        as_contractor.write({"ticket_ids": [Command.set(tickets[2:].ids)]})
        self.assertRecordValues(invoice, [{"ticket_count": 2, "amount_total": 200}])
        self.assertEqual(invoice.removed_ticket_ids, tickets[:2])
        self.assertFalse(tickets[:2].master_invoice_id)
        # Setting tickets the invoice does not have still adds none.
        with self.assertRefused(UserError, "can't be set directly"):
            as_contractor.write({"ticket_ids": [Command.set(tickets.ids)]})
        with self.assertRaises(AccessError):  # another contractor
            tickets[2].with_user(self.contractor_2).write({"master_invoice_id": False})

        as_contractor.action_submit()
        with self.assertRefused(UserError, "can no longer be changed"):
            tickets[2].with_user(self.contractor).write({"master_invoice_id": False})
        with self.assertRefused(UserError, "can no longer be changed"):
            as_contractor.write({"ticket_ids": [Command.set(tickets[3:].ids)]})
        self.assertEqual(invoice.ticket_ids, tickets[2:])


@tagged("post_install", "-at_install")
class TestClientInvoiceStates(TektoroMasterInvoiceCase):
    def _generate(self, **kwargs):
        return (
            self.env["tektoro.client.invoice"]
            .with_user(self.manager)
            .generate_for_period("2020-01-01", "2020-01-31", **kwargs)
        )

    def test_generate_one_invoice_per_client(self):
        tickets_a = self._tickets(self.contractor, self.client_a, [1, 2], amount=100)
        tickets_a |= self._tickets(self.contractor_2, self.client_a, [3], amount=50)
        tickets_b = self._tickets(self.contractor, self.client_b, [4], amount=30)
        self._tickets(self.contractor, self.client_b, [5], state="draft")

        invoices = self._generate()

        self.assertRecordValues(
            invoices.sorted(lambda invoice: invoice.client_id.name),
            [
                {
                    "client_id": self.client_a.id,
                    "state": "draft",
                    "ticket_count": 3,
                    "amount_total": 250,
                },
                {
                    "client_id": self.client_b.id,
                    "state": "draft",
                    "ticket_count": 1,
                    "amount_total": 30,
                },
            ],
        )
        self.assertEqual(tickets_a.client_invoice_id.client_id, self.client_a)
        self.assertEqual(tickets_b.client_invoice_id.client_id, self.client_b)
        self.assertTrue(all(name.startswith("CINV-") for name in invoices.mapped("name")))

    def test_generate_skips_tickets_on_an_active_client_invoice(self):
        self._tickets(self.contractor, self.client_a, [1])
        first = self._generate()
        new = self._tickets(self.contractor, self.client_a, [2], amount=40)
        second = self._generate()
        self.assertEqual(second.ticket_ids, new)
        self.assertRecordValues(first | second, [{"ticket_count": 1}, {"ticket_count": 1}])

    def test_generate_for_chosen_clients(self):
        self._tickets(self.contractor, self.client_a, [1])
        tickets_b = self._tickets(self.contractor, self.client_b, [1])
        invoices = self._generate(client_ids=[self.client_b.id])
        self.assertEqual(invoices.ticket_ids, tickets_b)

    def test_generate_for_every_client_when_clients_are_false(self):
        # XML-RPC can't send None: its clients leave an optional argument as false.
        tickets = self._tickets(self.contractor, self.client_a, [1])
        tickets |= self._tickets(self.contractor, self.client_b, [1])
        invoices = self._generate(client_ids=False)
        self.assertEqual(invoices.client_id, self.client_a | self.client_b)
        self.assertEqual(invoices.ticket_ids, tickets)

    def test_send_pay_and_cancel(self):
        self._tickets(self.contractor, self.client_a, [1])
        tickets_b = self._tickets(self.contractor, self.client_b, [2])
        invoices = (
            self._generate().with_user(self.manager).sorted(lambda invoice: invoice.client_id.name)
        )
        paid, cancelled = invoices
        paid.action_send()
        self.assertRecordValues(paid, [{"state": "sent"}])
        paid.action_mark_paid()
        self.assertRecordValues(paid, [{"state": "paid"}])
        self.assertTrue(paid.paid_at)

        cancelled.action_send()
        self.assertRecordValues(cancelled, [{"ticket_count": 1, "amount_total": 100.0}])
        cancelled.action_cancel()
        # It bills nothing any more: neither its lines nor its figures, nor the review page's.
        self.assertRecordValues(
            cancelled, [{"state": "cancelled", "ticket_count": 0, "amount_total": 0.0}]
        )
        self.assertFalse(tickets_b.client_invoice_id)
        self.assertEqual(
            cancelled.retrieve_dashboard([("client_id", "=", self.client_b.id)])["amount_total"],
            0.0,
        )
        # The released tickets can be invoiced again.
        self.assertEqual(self._generate().ticket_ids, tickets_b)

    def test_generate_wizard(self):
        self._tickets(self.contractor, self.client_a, [1])
        wizard = Form(self.env["tektoro.client.invoice.generate.wizard"].with_user(self.manager))
        wizard.date_from = "2020-01-01"
        wizard.date_to = "2020-01-31"
        action = wizard.save().action_generate()
        invoices = self.env["tektoro.client.invoice"].search(action["domain"])
        self.assertRecordValues(invoices, [{"client_id": self.client_a.id, "ticket_count": 1}])

    @freeze_time("2026-03-05")
    def test_generate_wizard_proposes_the_last_month(self):
        wizard = Form(self.env["tektoro.client.invoice.generate.wizard"].with_user(self.manager))
        self.assertEqual((str(wizard.date_from), str(wizard.date_to)), ("2026-02-01", "2026-02-28"))

    def test_dashboards_follow_the_domain(self):
        self._tickets(self.contractor, self.client_a, [1, 2], amount=100)
        self._tickets(self.contractor, self.client_b, [3], amount=50)
        self._tickets(self.contractor_2, self.client_b, [4], amount=7)
        mine = self._submitted_invoice()
        self._master_invoice(self.contractor_2)
        Master = self.env["tektoro.master.invoice"].with_user(self.manager)
        domain = [("contractor_id", "in", [self.contractor.id, self.contractor_2.id])]
        self.assertEqual(
            Master.retrieve_dashboard(domain),
            {
                "invoice_count": 2,
                "amount_total": 257.0,
                "client_count": 2,
                "currency_id": self.env.company.currency_id.id,
            },
        )
        submitted = [*domain, ("state", "=", "submitted")]
        self.assertEqual(
            Master.retrieve_dashboard(submitted),
            {
                "invoice_count": 1,
                "amount_total": mine.amount_total,
                "client_count": 2,
                "currency_id": self.env.company.currency_id.id,
            },
        )

        invoices = self._generate()
        Client = self.env["tektoro.client.invoice"].with_user(self.manager)
        self.assertEqual(
            Client.retrieve_dashboard([("id", "in", invoices.ids)]),
            {
                "invoice_count": 2,
                "amount_total": 257.0,
                "client_count": 2,
                "currency_id": self.env.company.currency_id.id,
            },
        )
        self.assertEqual(
            Client.retrieve_dashboard(
                [("id", "in", invoices.ids), ("client_id", "=", self.client_b.id)]
            ),
            {
                "invoice_count": 1,
                "amount_total": 57.0,
                "client_count": 1,
                "currency_id": self.env.company.currency_id.id,
            },
        )


@tagged("post_install", "-at_install")
class TestMasterInvoicePrint(TektoroMasterInvoiceCase):
    def test_both_invoices_print_their_tickets(self):
        self._tickets(self.contractor, self.client_a, [1], amount=75)
        master = self._master_invoice()
        client = (
            self.env["tektoro.client.invoice"]
            .with_user(self.manager)
            .generate_for_period("2020-01-01", "2020-01-31")
        )
        Report = self.env["ir.actions.report"].with_user(self.manager)
        for xmlid, invoice in (
            ("tektoro_invoicing.report_tektoro_master_invoice", master),
            ("tektoro_invoicing.report_tektoro_client_invoice", client),
        ):
            with self.subTest(report=xmlid):
                html, _type = Report._render_qweb_html(xmlid, invoice.ids)
                html = html.decode()
                self.assertIn(invoice.name, html)
                self.assertIn(invoice.ticket_ids.name, html)
                self.assertIn("Work of day 1", html)
