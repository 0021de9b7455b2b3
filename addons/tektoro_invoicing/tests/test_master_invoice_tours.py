from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestMasterInvoiceTours(HttpCase):
    """The review page and the contractor's invoices, clicked through in Chromium."""

    REVIEW = "/odoo/action-tektoro_invoicing.tektoro_master_invoice_action_review"
    MINE = "/odoo/action-tektoro_invoicing.tektoro_master_invoice_action"
    CLIENT = "/odoo/action-tektoro_invoicing.tektoro_client_invoice_action"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contractor = new_test_user(
            cls.env,
            login="tk_tour_contractor",
            name="Tina Contractor",
            groups="base.group_user,tektoro_invoicing.group_contractor",
        )
        cls.manager = new_test_user(
            cls.env,
            login="tk_tour_manager",
            name="Mona Manager",
            groups="base.group_user,tektoro_invoicing.group_manager",
        )
        cls.client_a = cls.env["res.partner"].create({"name": "Tour Client A"})
        cls.client_b = cls.env["res.partner"].create({"name": "Tour Client B"})

    def _tickets(self, *specs):
        """``(client, day, amount)`` tickets of the tour contractor, approved, in January 2020."""
        return self.env["tektoro.ticket"].create(
            [
                {
                    "contractor_id": self.contractor.id,
                    "client_id": client.id,
                    "work_date": f"2020-01-{day:02d}",
                    "description": f"Tour work {day}",
                    "amount": amount,
                    "state": "approved",
                }
                for client, day, amount in specs
            ]
        )

    def _submitted_invoice(self, date_from="2020-01-01", date_to="2020-01-31"):
        invoice = (
            self.env["tektoro.master.invoice"]
            .with_user(self.contractor)
            .create({"date_from": date_from, "date_to": date_to})
        )
        invoice.action_submit()
        return invoice

    def test_contractor_creates_and_submits(self):
        self._tickets((self.client_a, 1, 100), (self.client_b, 2, 50))
        self.start_tour(
            self.MINE, "tektoro_master_invoice_create_submit_tour", login="tk_tour_contractor"
        )
        invoice = self.env["tektoro.master.invoice"].search(
            [("contractor_id", "=", self.contractor.id)]
        )
        self.assertRecordValues(
            invoice,
            [{"name": "TC-MINV-001", "state": "submitted", "ticket_count": 2, "amount_total": 150}],
        )

    def test_manager_approves_with_a_message(self):
        self._tickets((self.client_a, 1, 100))
        invoice = self._submitted_invoice()
        self.start_tour(self.REVIEW, "tektoro_master_invoice_approve_tour", login="tk_tour_manager")
        self.assertRecordValues(
            invoice,
            [
                {
                    "state": "approved",
                    "approver_id": self.manager.id,
                    "approval_message": "Thanks, nice work.",
                }
            ],
        )

    def test_manager_rejects_and_contractor_resubmits(self):
        self._tickets((self.client_a, 1, 100), (self.client_a, 2, 100))
        invoice = self._submitted_invoice()
        self.start_tour(self.REVIEW, "tektoro_master_invoice_reject_tour", login="tk_tour_manager")
        self.assertRecordValues(
            invoice, [{"state": "rejected", "rejection_message": "Day 2 is billed twice."}]
        )
        self.start_tour(
            self.MINE, "tektoro_master_invoice_resubmit_tour", login="tk_tour_contractor"
        )
        self.assertRecordValues(
            invoice, [{"state": "submitted", "ticket_count": 1, "amount_total": 100}]
        )

    def test_manager_generates_client_invoices(self):
        tickets = self._tickets(
            (self.client_a, 1, 100), (self.client_a, 2, 50), (self.client_b, 3, 50)
        )
        self.start_tour(
            self.CLIENT, "tektoro_client_invoice_generate_tour", login="tk_tour_manager"
        )
        self.assertRecordValues(
            tickets.client_invoice_id.sorted(lambda invoice: invoice.client_id.name),
            [
                {"client_id": self.client_a.id, "ticket_count": 2, "amount_total": 150},
                {"client_id": self.client_b.id, "ticket_count": 1, "amount_total": 50},
            ],
        )

    def test_metrics_header_follows_the_search(self):
        self._tickets((self.client_a, 1, 100), (self.client_b, 2, 50), (self.client_a, 3, 30))
        self._submitted_invoice("2020-01-01", "2020-01-01")
        self._submitted_invoice("2020-01-02", "2020-01-02")
        self.env["tektoro.master.invoice"].with_user(self.contractor).create(
            {"date_from": "2020-01-03", "date_to": "2020-01-03"}
        )
        self.start_tour(
            self.REVIEW, "tektoro_master_invoice_dashboard_tour", login="tk_tour_manager"
        )
