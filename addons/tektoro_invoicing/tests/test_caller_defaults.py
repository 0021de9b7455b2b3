from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import TektoroMasterInvoiceCase
from .work_order_common import WorkOrderCase


@tagged("post_install", "-at_install")
class TestCallerDefaults(TektoroMasterInvoiceCase, WorkOrderCase):
    """Odoo completes a create from the caller's ``default_<field>`` context keys and their
    ``ir.default`` values: those meet the rules the values sent meet."""

    def set_personal_default(self, user, model, field, value):
        self.env["ir.default"].with_user(user).set(model, field, value, user_id=True)

    def test_a_contractor_defaults_nothing_the_workflow_sets_on_a_ticket(self):
        self._tickets(self.contractor, self.client_a, [1])
        invoice = self._master_invoice()
        Ticket = self.env["tektoro.ticket"].with_user(self.contractor)
        values = {
            "client_id": self.client_a.id,
            "work_date": "2020-01-02",
            "description": "Planted",
            "amount": 10,
        }
        for context, message in (
            ({"default_state": "approved"}, "approved with the Approve action only"),
            (
                {"default_master_invoice_id": invoice.id},
                "join and leave invoices through the invoices' own actions only",
            ),
            ({"default_name": "TKT-FAKE"}, "reference of a ticket can't be set"),
        ):
            with self.subTest(context=context), self.assertRefused(UserError, message):
                Ticket.with_context(**context).create(values)
        self.set_personal_default(self.contractor, "tektoro.ticket", "state", "approved")
        with self.assertRefused(UserError, "approved with the Approve action only"):
            Ticket.create(values)
        invoice.invalidate_recordset()
        self.assertRecordValues(invoice, [{"ticket_count": 1, "amount_total": 100.0}])
        self.assertEqual(len(invoice.ticket_ids), 1)
        self.assertFalse(Ticket.search([("work_date", "=", "2020-01-02")]))

    def test_defaults_a_caller_may_choose_are_taken(self):
        ticket = (
            self.env["tektoro.ticket"]
            .with_user(self.contractor)
            .with_context(default_client_id=self.client_b.id, default_state="draft")
            .create({"work_date": "2020-01-02", "description": "Mine", "amount": 10})
        )
        self.assertRecordValues(ticket, [{"client_id": self.client_b.id, "state": "draft"}])
        # A required field the context gives is given.
        work_order = (
            self.env["tektoro.work.order"]
            .with_user(self.office)
            .with_context(default_partner_id=self.customer.id)
            .create({"device_model_id": self.router.id})
        )
        self.assertRecordValues(work_order, [{"partner_id": self.customer.id, "state": "draft"}])
        # A default for a field that follows another record changes nothing, and refuses
        # nothing: Odoo computes it (here, the item's company is its work order's).
        other = self.env["res.company"].create({"name": "Other Co"})
        work_order.with_user(self.office).with_context(default_company_id=other.id).write(
            {"line_ids": [Command.create({"name": "Fuse", "quantity": 1, "price_unit": 2.0})]}
        )
        self.assertEqual(work_order.line_ids.company_id, self.company)

    def test_a_contractor_defaults_no_approval_onto_a_master_invoice(self):
        self._tickets(self.contractor, self.client_a, [1])
        Invoice = self.env["tektoro.master.invoice"].with_user(self.contractor)
        with self.assertRefused(UserError, "approver_id, state can't be set directly"):
            Invoice.with_context(
                default_state="approved", default_approver_id=self.manager.id
            ).create(self.period)
        self.set_personal_default(self.contractor, "tektoro.master.invoice", "state", "paid")
        with self.assertRefused(UserError, "state can't be set directly"):
            Invoice.create(self.period)
        self.assertFalse(Invoice.search([]))

    def test_an_office_user_defaults_no_work_order_into_billed(self):
        WorkOrder = self.env["tektoro.work.order"].with_user(self.office)
        values = {"partner_id": self.customer.id, "device_model_id": self.router.id}
        with self.assertRefused(UserError, "billed by creating its invoice"):
            WorkOrder.with_context(default_state="billed").create(values)
        self.set_personal_default(self.office, "tektoro.work.order", "state", "billed")
        with self.assertRefused(UserError, "billed by creating its invoice"):
            WorkOrder.create(values)

    def test_invoices_the_code_makes_take_no_default_of_the_caller(self):
        work_order = self.make_work_order()
        self.set_personal_default(self.office, "tektoro.invoice", "billing_error", "planted")
        self.set_personal_default(self.office, "tektoro.invoice.line", "price_subtotal", 1.0)
        invoice = self.create_invoice(
            work_order.with_context(
                default_state="paid",
                default_paid_at="2020-01-01 00:00:00",
                default_billing_id="inv_planted",
                default_billing_state="synced",
            )
        )
        self.assertRecordValues(
            invoice,
            [
                {
                    "state": "sent",
                    "paid_at": False,
                    "billing_id": False,
                    "billing_state": "local",
                    "billing_error": False,
                }
            ],
        )
        self.assertEqual(invoice.line_ids.mapped("price_subtotal"), [100.0, 13.5])

        self._tickets(self.contractor, self.client_a, [1, 2])
        self.set_personal_default(self.manager, "tektoro.client.invoice", "note", "planted")
        client_invoice = (
            self.env["tektoro.client.invoice"]
            .with_user(self.manager)
            .with_context(default_state="paid", default_amount_total=1.0)
            .generate_for_period(self.period["date_from"], self.period["date_to"])
        )
        self.assertRecordValues(
            client_invoice, [{"state": "draft", "amount_total": 200.0, "note": False}]
        )
