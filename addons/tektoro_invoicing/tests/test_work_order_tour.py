from odoo.tests import HttpCase, tagged

from .work_order_common import SandboxMixin, WorkOrderCase


@tagged("post_install", "-at_install")
class TestWorkOrderInvoiceTour(SandboxMixin, WorkOrderCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sandbox()
        cls.run_post_commit_hooks_in_requests()

    def test_office_user_invoices_a_work_order_and_cancels_the_invoice(self):
        self.connect_company(self.company)
        work_order = self.make_work_order(state="in_progress")
        self.start_tour(
            f"/odoo/action-tektoro_invoicing.tektoro_work_order_action/{work_order.id}",
            "tektoro_work_order_invoice_tour",
            login=self.office.login,
        )
        self.assertRecordValues(work_order, [{"state": "billed"}])
        invoice = work_order.invoice_ids
        self.assertRecordValues(
            invoice,
            [
                {
                    "state": "cancelled",
                    "include_unit_price": False,
                    "unit_subtotal": 0.0,
                    "amount_total": 122.86,
                    "billing_state": "synced",
                    "create_uid": self.office.id,
                }
            ],
        )
        remote = self.remote_invoice(invoice.billing_id)
        self.assertEqual((remote["reference"], remote["status"]), (invoice.name, "cancelled"))
