import re

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import TektoroMasterInvoiceCase


@tagged("post_install", "-at_install")
class TestMasterInvoiceAccess(TektoroMasterInvoiceCase):
    """Who may do what, per group and model, called the way an RPC client would (with_user)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_tickets = cls._tickets(cls.contractor, cls.client_a, [1, 2])
        cls.other_tickets = cls._tickets(cls.contractor_2, cls.client_a, [1])
        cls.own_invoice = (
            cls.env["tektoro.master.invoice"]
            .with_user(cls.contractor)
            .create({**cls.period, "date_to": "2020-01-01"})
        )
        cls.other_invoice = (
            cls.env["tektoro.master.invoice"].with_user(cls.contractor_2).create(cls.period)
        )
        cls.draft_ticket = cls._tickets(cls.contractor, cls.client_b, [10], state="draft")
        cls.other_draft_ticket = cls._tickets(cls.contractor_2, cls.client_b, [10], state="draft")

    def _allowed(self, records, user, operation):
        try:
            records.with_user(user).check_access(operation)
        except AccessError:
            return False
        return True

    def _assert_matrix(self, records, matrix):
        for user, expected in matrix.items():
            for operation, allowed in zip(
                ("read", "write", "create", "unlink"), expected, strict=True
            ):
                with self.subTest(model=records._name, user=user.login, operation=operation):
                    if operation == "create":
                        may_create = records.browse().with_user(user).has_access("create")
                        self.assertEqual(may_create, allowed)
                    else:
                        self.assertEqual(self._allowed(records, user, operation), allowed)

    def test_ticket_matrix(self):
        no = (False, False, False, False)
        self._assert_matrix(
            self.draft_ticket,
            {
                self.contractor: (True, True, True, True),
                self.contractor_2: (False, False, True, False),  # creates their own only
                self.office: no,
                self.manager: (True, True, True, True),
                self.sync_user: no,
            },
        )

    def test_master_invoice_matrix(self):
        no = (False, False, False, False)
        self._assert_matrix(
            self.own_invoice,
            {
                self.contractor: (True, True, True, True),
                self.contractor_2: (False, False, True, False),  # creates their own only
                self.office: no,
                self.manager: (True, True, True, True),
                self.sync_user: no,
            },
        )

    def test_client_invoice_matrix(self):
        invoice = (
            self.env["tektoro.client.invoice"]
            .with_user(self.manager)
            .generate_for_period("2020-01-01", "2020-01-31")
        )
        no = (False, False, False, False)
        self._assert_matrix(
            invoice,
            {
                self.contractor: no,
                self.contractor_2: no,
                self.office: no,
                self.manager: (True, True, True, True),
                self.sync_user: no,
            },
        )

    def test_contractors_see_only_their_own(self):
        Ticket = self.env["tektoro.ticket"].with_user(self.contractor)
        self.assertEqual(
            Ticket.search([("work_date", "<", "2020-02-01")]), self.own_tickets | self.draft_ticket
        )
        Invoice = self.env["tektoro.master.invoice"].with_user(self.contractor)
        self.assertEqual(Invoice.search([("date_from", "=", "2020-01-01")]), self.own_invoice)
        self.assertEqual(
            Invoice.retrieve_dashboard([("date_from", "=", "2020-01-01")])["invoice_count"], 1
        )

    def test_contractors_record_tickets_for_themselves_only(self):
        Ticket = self.env["tektoro.ticket"].with_user(self.contractor)
        own = Ticket.create(
            {
                "client_id": self.client_a.id,
                "work_date": "2020-01-05",
                "description": "Own",
                "amount": 5,
            }
        )
        self.assertRecordValues(own, [{"contractor_id": self.contractor.id, "state": "draft"}])
        with self.assertRaises(AccessError):
            Ticket.create(
                {
                    "contractor_id": self.contractor_2.id,
                    "client_id": self.client_a.id,
                    "work_date": "2020-01-05",
                    "description": "For someone else",
                }
            )
        with self.assertRaises(AccessError):
            own.write({"contractor_id": self.contractor_2.id})
        with self.assertRaises(AccessError):
            self.env["tektoro.master.invoice"].with_user(self.contractor).create(
                {**self.period, "contractor_id": self.contractor_2.id}
            )

    def test_ticket_actions(self):
        for user in (self.contractor, self.office, self.sync_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.draft_ticket.with_user(user).action_approve()
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.own_tickets[0].with_user(user).action_reset_to_draft()
        with self.assertRaises(AccessError):
            self.own_invoice.ticket_ids.with_user(
                self.contractor_2
            ).action_remove_from_master_invoice()
        with self.assertRaises(AccessError):
            self.own_invoice.ticket_ids.with_user(self.office).action_remove_from_master_invoice()
        self.draft_ticket.with_user(self.manager).action_approve()
        self.assertRecordValues(self.draft_ticket, [{"state": "approved"}])

    def test_master_invoice_actions_of_the_contractor(self):
        for user in (self.contractor_2, self.office, self.sync_user):
            for action in ("action_submit", "action_refresh_tickets"):
                with self.subTest(user=user.login, action=action), self.assertRaises(AccessError):
                    getattr(self.own_invoice.with_user(user), action)()
        self.assertRecordValues(self.own_invoice, [{"state": "draft"}])
        self.own_invoice.with_user(self.contractor).action_submit()
        self.assertRecordValues(self.own_invoice, [{"state": "submitted"}])

    def test_only_managers_review_and_pay(self):
        invoice = self.own_invoice.with_user(self.contractor)
        invoice.action_submit()
        calls = {
            "action_approve": lambda inv: inv.action_approve("ok"),
            "action_reject": lambda inv: inv.action_reject("no"),
            "action_mark_paid": lambda inv: inv.action_mark_paid(),
            "action_open_review_wizard": lambda inv: inv.with_context(
                review_decision="approve"
            ).action_open_review_wizard(),
        }
        for user in (self.contractor, self.contractor_2, self.office, self.sync_user):
            for name, call in calls.items():
                with self.subTest(user=user.login, action=name), self.assertRaises(AccessError):
                    call(invoice.with_user(user))
        self.assertRecordValues(invoice, [{"state": "submitted", "approver_id": False}])
        invoice.with_user(self.manager).action_approve("ok")
        invoice.with_user(self.manager).action_mark_paid()
        self.assertRecordValues(invoice, [{"state": "paid", "approver_id": self.manager.id}])

    def test_nobody_reviews_their_own_invoice(self):
        self._tickets(self.manager, self.client_a, [3])
        own = self.env["tektoro.master.invoice"].with_user(self.manager).create(self.period)
        own.action_submit()
        with self.assertRefused(UserError, "your own invoice"):
            own.action_approve("self-service")
        with self.assertRefused(UserError, "your own invoice"):
            own.action_reject("self-service")
        self.assertRecordValues(own, [{"state": "submitted"}])
        with self.assertRefused(UserError, "your own ticket"):
            self._tickets(self.manager, self.client_a, [4], state="draft").with_user(
                self.manager
            ).action_approve()

    def test_review_buttons_hide_on_the_reviewers_own_work(self):
        """On their own invoice or ticket they could only ever answer "your own"."""
        own_work = r'invisible="[^"]* or contractor_id == uid"'
        for model, view_type, button, count in (
            ("tektoro.master.invoice", "list", "action_open_review_wizard", 2),
            ("tektoro.master.invoice", "form", "action_open_review_wizard", 2),
            ("tektoro.ticket", "form", "action_approve", 1),
        ):
            with self.subTest(model=model, view_type=view_type):
                arch = self.env[model].with_user(self.manager).get_view(view_type=view_type)["arch"]
                self.assertEqual(
                    len(re.findall(rf'name="{button}"[^>]*{own_work}', arch)), count, arch
                )

    def test_client_invoice_actions_are_for_managers(self):
        Client = self.env["tektoro.client.invoice"]
        for user in (self.contractor, self.office, self.sync_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                Client.with_user(user).generate_for_period("2020-01-01", "2020-01-31")
        invoice = Client.with_user(self.manager).generate_for_period("2020-01-01", "2020-01-31")
        for user in (self.contractor, self.office, self.sync_user):
            for action in ("action_send", "action_mark_paid", "action_cancel"):
                with self.subTest(user=user.login, action=action), self.assertRaises(AccessError):
                    getattr(invoice.with_user(user), action)()
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                Client.with_user(user).retrieve_dashboard([])
        self.assertRecordValues(invoice, [{"state": "draft"}])

    def test_dashboard_needs_read_access(self):
        for user in (self.office, self.sync_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["tektoro.master.invoice"].with_user(user).retrieve_dashboard([])

    def test_no_rights_means_no_answer_about_linked_records(self):
        """A caller who may not write learns nothing from the values they send: whether the
        linked record exists or not, the refusal is the same AccessError."""
        missing_partner = self.env["res.partner"].search([], order="id desc", limit=1).id + 1
        for client_id in (self.client_b.id, missing_partner):
            with self.subTest(client_id=client_id):
                with self.assertRaises(AccessError):
                    self.other_draft_ticket.with_user(self.contractor).write(
                        {"client_id": client_id}
                    )
                with self.assertRaises(AccessError):
                    self.env["tektoro.ticket"].with_user(self.office).create(
                        {"client_id": client_id, "work_date": "2020-01-05", "description": "x"}
                    )
                with self.assertRaises(AccessError):
                    self.own_invoice.with_user(self.office).write({"client_id": client_id})
        # Allowed callers still get the value checked, by name.
        with self.assertRaisesRegex(ValidationError, "no record with id"):
            self.draft_ticket.with_user(self.contractor).write({"client_id": missing_partner})
