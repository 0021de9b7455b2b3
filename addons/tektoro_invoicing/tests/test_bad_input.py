# ruff: noqa: E501 - one input per line reads as the table it is
"""Bad input over real JSON-RPC: one row per input, each refused clearly and writing nothing.

"Clearly" means an Odoo error a user can read (UserError, ValidationError, AccessError,
MissingError), never a database error, a Python ValueError or an HTTP 500. "Nothing" is
counted: the rows of every TekToro table, the chatter, and the invoices in the billing sandbox,
before and after each call.
"""

from odoo.tests import HttpCase, tagged

from .rpc_common import RpcMixin
from .work_order_common import SandboxMixin, WorkOrderCase

SQL = "x'); DROP TABLE tektoro_invoice; --"
HTML = "<script>alert(1)</script>"
HUGE = "A" * 100_000
MISSING_ID = 2_000_000_000
COUNTED = (
    "tektoro.device.model",
    "tektoro.work.order",
    "tektoro.work.order.line",
    "tektoro.invoice",
    "tektoro.invoice.line",
    "tektoro.billing.cursor",
    "mail.message",
)
CLEAR_ERRORS = ("UserError", "ValidationError", "AccessError", "MissingError")


@tagged("post_install", "-at_install")
class TestBadInputOverRpc(RpcMixin, SandboxMixin, WorkOrderCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sandbox()

    def setUp(self):
        super().setUp()
        self.connect_company(self.company)
        self.company.sudo().tektoro_billing_api_key = self.sandbox.api_key

    def counts(self):
        # Post the tracking messages the fixtures' own writes still owe, as a commit would.
        self.env.cr.precommit.run()
        self.env.flush_all()
        counts = {model: self.env[model].sudo().search_count([]) for model in COUNTED}
        counts["billing invoices"] = len(self.remote_invoices())
        return counts

    def rows(self):
        """(label, user, model, method, args, kwargs): every one must be refused."""
        completed = self.make_work_order()
        draft = self.make_work_order(state="draft")
        invoiced = self.make_work_order()
        invoice = self.create_invoice(invoiced)
        paid = self.create_invoice(self.make_work_order())
        paid.sudo().write({"state": "paid"})
        line = draft.line_ids[:1]
        office, manager, sync = self.office, self.manager, self.sync_user
        wo, wol, inv, dev = (
            "tektoro.work.order",
            "tektoro.work.order.line",
            "tektoro.invoice",
            "tektoro.device.model",
        )
        syncm = "tektoro.billing.sync"
        company_id = self.company.id
        customer, router = self.customer.id, self.router.id

        def new_wo(**values):
            return [{"partner_id": customer, "device_model_id": router, **values}]

        def new_line(**values):
            return [{"work_order_id": draft.id, "name": "Fuse", "price_unit": 1.0, **values}]

        return [
            # -- work orders: missing fields, wrong types, unknown ids
            ("work order without customer", office, wo, "create", [{"device_model_id": router}], {}),
            ("work order without device", office, wo, "create", [{"partner_id": customer}], {}),
            ("work order customer as text", office, wo, "create", new_wo(partner_id="Acme"), {}),
            ("work order unknown customer", office, wo, "create", new_wo(partner_id=MISSING_ID), {}),
            ("work order unknown device", office, wo, "create", new_wo(device_model_id=MISSING_ID), {}),
            ("work order SQL in customer id", office, wo, "create", new_wo(partner_id=SQL), {}),
            ("work order state forced", office, wo, "write", [draft.ids, {"state": "completed"}], {}),
            ("work order billed back to draft", office, wo, "write", [invoiced.ids, {"state": "draft"}], {}),
            ("work order unknown id", office, wo, "write", [[MISSING_ID], {"description": "x"}], {}),
            ("delete a billed work order", office, wo, "unlink", [invoiced.ids], {}),
            # -- work order items: negative, zero, wrong types, oversized
            ("item negative price", office, wol, "create", new_line(price_unit=-5.0), {}),
            ("item zero quantity", office, wol, "create", new_line(quantity=0), {}),
            ("item negative quantity", office, wol, "create", new_line(quantity=-1), {}),
            ("item quantity as text", office, wol, "create", new_line(quantity="two"), {}),
            ("item price as list", office, wol, "create", new_line(price_unit=[1]), {}),
            ("item without name", office, wol, "create", new_line(name=False), {}),
            ("item oversized name", office, wol, "create", new_line(name=HUGE), {}),
            ("item unknown work order", office, wol, "create", new_line(work_order_id=MISSING_ID), {}),
            ("item price above billing maximum", office, wol, "create", new_line(price_unit=1e13), {}),
            ("item price negative by write", office, wol, "write", [line.ids, {"price_unit": -1}], {}),
            # -- device models
            ("device negative cost", manager, dev, "create", [{"name": "Neg", "cost": -1}], {}),
            ("device without name", manager, dev, "create", [{"cost": 1}], {}),
            ("device duplicate name", manager, dev, "create", [{"name": self.router.name}], {}),
            # -- invoice creation
            ("invoice tax rate negative", office, wo, "action_create_invoice", [completed.ids], {"tax_rate": -1}),
            ("invoice tax rate above 100", office, wo, "action_create_invoice", [completed.ids], {"tax_rate": 101}),
            ("invoice tax rate as text", office, wo, "action_create_invoice", [completed.ids], {"tax_rate": "8"}),
            ("invoice tax rate SQL", office, wo, "action_create_invoice", [completed.ids], {"tax_rate": SQL}),
            ("invoice unit price flag as text", office, wo, "action_create_invoice", [completed.ids], {"include_unit_price": "yes"}),
            ("invoice draft work order", office, wo, "action_create_invoice", [draft.ids], {}),
            ("invoice already invoiced", office, wo, "action_create_invoice", [invoiced.ids], {}),
            ("invoice two work orders", office, wo, "action_create_invoice", [completed.ids + draft.ids], {}),
            ("invoice unknown work order", office, wo, "action_create_invoice", [[MISSING_ID]], {}),
            ("invoice no work order", office, wo, "action_create_invoice", [[]], {}),
            # -- invoice actions
            ("cancel paid", office, inv, "action_cancel", [paid.ids], {}),
            ("cancel unknown id", office, inv, "action_cancel", [[MISSING_ID]], {}),
            ("cancel two at once", office, inv, "action_cancel", [invoice.ids + paid.ids], {}),
            ("retry a synced invoice", office, inv, "action_retry_push", [invoice.ids], {}),
            ("invoice written directly", office, inv, "write", [invoice.ids, {"state": "cancelled"}], {}),
            # -- sync entry points
            ("sync company id as text", sync, syncm, "apply_events", [str(company_id), 0, []], {}),
            ("sync unknown company", sync, syncm, "apply_events", [MISSING_ID, 0, []], {}),
            ("sync negative cursor", sync, syncm, "apply_events", [company_id, -1, []], {}),
            ("sync events not a list", sync, syncm, "apply_events", [company_id, 0, "events"], {}),
            ("sync event id as text", sync, syncm, "apply_events", [company_id, 0, [{"id": "1"}]], {}),
            ("sync events reversed", sync, syncm, "apply_events", [company_id, 0, [{"id": 5}, {"id": 3}]], {}),
            ("sync event SQL id", sync, syncm, "apply_events", [company_id, 0, [{"id": SQL}]], {}),
            ("sync batch of zero", sync, syncm, "retry_pushes", [company_id, 0, 0], {}),
            ("sync batch too big", sync, syncm, "retry_pushes", [company_id, 10**9, 0], {}),
            ("sync snapshot negative after", sync, syncm, "local_snapshot", [company_id, -1, 10], {}),
            ("sync drift unknown kind", sync, syncm, "report_drift", [company_id, [{"kind": HTML}]], {}),
            ("sync drift not a list", sync, syncm, "report_drift", [company_id, {"kind": "x"}], {}),
        ]

    def test_every_bad_input_is_refused_clearly_and_writes_nothing(self):
        rows = self.rows()
        for label, user, model, method, args, kwargs in rows:
            with self.subTest(input=label):
                before = self.counts()
                outcome = self.rpc(user, model, method, *args, **kwargs)
                self.assertEqual(outcome.status, 200, f"{label}: HTTP {outcome.status}")
                self.assertIn(
                    outcome.error_class,
                    CLEAR_ERRORS,
                    f"{label}: not refused clearly: {outcome.error} {outcome.message[:300]}",
                )
                self.assertTrue(outcome.message.strip(), label)
                self.assertNotIn("psycopg2", outcome.message, label)
                self.assertEqual(self.counts(), before, f"{label}: something was written")
