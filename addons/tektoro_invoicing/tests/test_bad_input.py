# ruff: noqa: E501 - one input per line reads as the table it is
"""Bad input over real JSON-RPC: one row per input, each refused clearly and writing nothing.

"Clearly" means an Odoo error a user can read (UserError, ValidationError, AccessError,
MissingError), never a database error, a Python ValueError or an HTTP 500. "Nothing" is
counted: the rows of every TekToro table, the chatter, and the invoices in the billing sandbox,
before and after each call.
"""

from odoo.tests import HttpCase, tagged

from .common import TektoroMasterInvoiceCase
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
    "tektoro.billing.drift",
    "mail.message",
)
CLEAR_ERRORS = ("UserError", "ValidationError", "AccessError", "MissingError")


def assert_refused_clearly(case, outcome, label):
    """The RPC call answered (no HTTP error) with a user-facing error and a message of its own."""
    case.assertEqual(outcome.status, 200, f"{label}: HTTP {outcome.status}")
    case.assertIn(
        outcome.error_class,
        CLEAR_ERRORS,
        f"{label}: not refused clearly: {outcome.error} {outcome.message[:300]}",
    )
    case.assertTrue(outcome.message.strip(), label)
    case.assertNotIn("psycopg2", outcome.message, label)


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
            ("work order created billed", office, wo, "create", new_wo(state="billed"), {}),
            (
                "work order state forced through the actions' context key",
                office,
                wo,
                "write",
                [invoiced.ids, {"state": "draft"}],
                {"context": {"tektoro_work_order_transition": True}},
            ),
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
            ("item sequence past 32 bits", office, wol, "create", new_line(sequence=10**10), {}),
            ("item name with NUL", office, wol, "create", new_line(name="Fu\x00se"), {}),
            ("item name lone surrogate", office, wol, "create", new_line(name="Fuse \ud800"), {}),
            ("items created from a text", office, wo, "write", [draft.ids, {"line_ids": [(0, 0, "Fuse")]}], {}),
            ("item updated from a text", office, wo, "write", [draft.ids, {"line_ids": [(1, line.id, "Fuse")]}], {}),
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
            ("invoice dialog tax rate as text", office, "tektoro.invoice.create.wizard", "create", [{"work_order_id": completed.id, "tax_rate": "abc"}], {}),
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
            ("sync event id past 64 bits", sync, syncm, "apply_events", [company_id, 0, [{"id": 2**63}]], {}),
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
                assert_refused_clearly(self, outcome, label)
                self.assertEqual(self.counts(), before, f"{label}: something was written")


MASTER_COUNTED = (
    "tektoro.master.invoice.create.wizard",
    "tektoro.client.invoice.generate.wizard",
    "tektoro.ticket",
    "tektoro.master.invoice",
    "tektoro.master.invoice.counter",
    "tektoro.client.invoice",
    "tektoro.master.invoice.review.wizard",
    "mail.message",
    "mail.mail",
    "mail.activity",
)
# What a refused call must leave as it was on the records the rows act on.
MASTER_WATCHED = {
    "tektoro.ticket": ["state", "description", "hours", "amount", "work_date", "contractor_id"],
    "tektoro.master.invoice": ["name", "state", "note", "ticket_ids", "amount_total"],
    "tektoro.client.invoice": ["state", "note", "ticket_ids", "amount_total"],
}


@tagged("post_install", "-at_install")
class TestMasterInvoiceBadInputOverRpc(RpcMixin, TektoroMasterInvoiceCase, HttpCase):
    """The master-invoice side's bad inputs, over JSON-RPC, as TestBadInputOverRpc."""

    def state_of_everything(self, records):
        self.env.cr.precommit.run()
        self.env.flush_all()
        self.env.invalidate_all()
        state = {model: self.env[model].sudo().search_count([]) for model in MASTER_COUNTED}
        for record in records:
            state[f"{record._name},{record.id}"] = record.sudo().read(MASTER_WATCHED[record._name])
        return state

    def rows(self):
        """(label, user, model, method, args, kwargs) and the records they must not change."""
        ticket = self._ticket_on_fresh_day(state="draft")
        loose = self._ticket_on_fresh_day()  # approved, on no invoice: what creation would take
        free_day = loose.work_date.isoformat()
        draft = self._master_invoice_in("draft")
        submitted = self._master_invoice_in("submitted")
        approved = self._master_invoice_in("approved")
        client_draft = self._client_invoice_in("draft")
        client_paid = self._client_invoice_in("paid")
        john, manager = self.contractor, self.manager
        tk, mi, ci = "tektoro.ticket", "tektoro.master.invoice", "tektoro.client.invoice"
        review = "tektoro.master.invoice.review.wizard"
        client = self.client_a.id

        def new_ticket(**values):
            base = {"client_id": client, "work_date": "2015-06-01", "description": "Visit"}
            return [{**base, "hours": 1.0, "amount": 10.0, **values}]

        def period(date_from=free_day, date_to=free_day, **values):
            return [{"date_from": date_from, "date_to": date_to, **values}]

        def review_of(*invoices, **values):
            ids = [(6, 0, [i.id if hasattr(i, "id") else i for i in invoices])]
            return [{"master_invoice_ids": ids, "decision": "approve", **values}]

        rows = [
            # -- tickets: missing fields, wrong types, negative, oversized, unknown ids, payloads
            ("ticket without client", john, tk, "create", new_ticket(client_id=False), {}),
            ("ticket without description", john, tk, "create", new_ticket(description=False), {}),
            ("ticket negative hours", john, tk, "create", new_ticket(hours=-1), {}),
            ("ticket negative amount", john, tk, "create", new_ticket(amount=-0.01), {}),
            ("ticket hours as text", john, tk, "create", new_ticket(hours="two"), {}),
            ("ticket amount as list", john, tk, "create", new_ticket(amount=[10]), {}),
            ("ticket amount infinite", john, tk, "create", new_ticket(amount=float("inf")), {}),
            ("ticket unknown client", john, tk, "create", new_ticket(client_id=MISSING_ID), {}),
            ("ticket client as text", john, tk, "create", new_ticket(client_id="Acme"), {}),
            ("ticket SQL in client id", john, tk, "create", new_ticket(client_id=SQL), {}),
            ("ticket date as text", john, tk, "create", new_ticket(work_date="yesterday"), {}),
            ("ticket SQL in date", john, tk, "create", new_ticket(work_date=SQL), {}),
            ("ticket HTML in date", john, tk, "create", new_ticket(work_date=HTML), {}),
            ("ticket date as number", john, tk, "create", new_ticket(work_date=20150601), {}),
            ("ticket oversized description", john, tk, "create", new_ticket(description=HUGE), {}),
            ("ticket forced approved", john, tk, "create", new_ticket(state="approved"), {}),
            ("ticket HTML state", john, tk, "create", new_ticket(state=HTML), {}),
            ("ticket state as list", john, tk, "create", new_ticket(state=["approved"]), {}),
            ("ticket description with NUL", john, tk, "create", new_ticket(description="Vi\x00sit"), {}),
            ("ticket for another", john, tk, "create", new_ticket(contractor_id=self.contractor_2.id), {}),
            ("ticket onto an invoice", john, tk, "create", new_ticket(master_invoice_id=draft.id), {}),
            ("ticket unknown field", john, tk, "create", new_ticket(billed=True), {}),
            ("ticket write negative", john, tk, "write", [ticket.ids, {"amount": -5}], {}),
            ("ticket write SQL date", john, tk, "write", [ticket.ids, {"work_date": SQL}], {}),
            ("ticket write oversized", john, tk, "write", [ticket.ids, {"description": HUGE}], {}),
            ("ticket write unknown id", john, tk, "write", [[MISSING_ID], {"description": "x"}], {}),
            ("ticket write approved", john, tk, "write", [loose.ids, {"amount": 1}], {}),
            ("ticket approve unknown id", manager, tk, "action_approve", [[MISSING_ID]], {}),
            ("ticket approve twice", manager, tk, "action_approve", [loose.ids], {}),
            ("ticket approve draft and approved", manager, tk, "action_approve", [ticket.ids + loose.ids], {}),
            ("ticket reset a bundled one", manager, tk, "action_reset_to_draft", [draft.ticket_ids.ids], {}),
            ("delete an approved ticket", john, tk, "unlink", [loose.ids], {}),
            # -- master invoices: periods, wrong types, unknown ids, forced fields
            ("invoice reversed period", john, mi, "create", period("2015-12-31", "2015-01-01"), {}),
            ("invoice without end", john, mi, "create", [{"date_from": free_day}], {}),
            ("invoice without period", john, mi, "create", [{}], {}),
            ("invoice date as text", john, mi, "create", period(date_to="next week"), {}),
            ("invoice SQL in date", john, mi, "create", period(date_from=SQL), {}),
            ("invoice HTML in date", john, mi, "create", period(date_from=HTML), {}),
            ("invoice date as number", john, mi, "create", period(date_from=20150101), {}),
            ("invoice date as list", john, mi, "create", period(date_to=[2015, 1, 1]), {}),
            ("invoice unknown client", john, mi, "create", period(client_id=MISSING_ID), {}),
            ("invoice client as text", john, mi, "create", period(client_id="Client A"), {}),
            ("invoice unknown contractor", manager, mi, "create", period(contractor_id=MISSING_ID), {}),
            ("invoice for another", john, mi, "create", period(contractor_id=self.contractor_2.id), {}),
            ("invoice forced state", john, mi, "create", period(state="paid"), {}),
            ("invoice forced total", john, mi, "create", period(amount_total=-100), {}),
            ("invoice oversized note", john, mi, "create", period(note=HUGE + HUGE), {}),
            ("invoice nothing to bundle", john, mi, "create", period("2014-01-01", "2014-01-31"), {}),
            ("invoice write period", john, mi, "write", [draft.ids, {"date_to": "2016-01-01"}], {}),
            ("invoice write state", john, mi, "write", [draft.ids, {"state": "approved"}], {}),
            ("invoice write note as list", john, mi, "write", [draft.ids, {"note": ["x"]}], {}),
            ("invoice write note submitted", john, mi, "write", [submitted.ids, {"note": "x"}], {}),
            ("invoice write unknown id", john, mi, "write", [[MISSING_ID], {"note": "x"}], {}),
            ("delete a submitted invoice", john, mi, "unlink", [submitted.ids], {}),
            ("submit unknown id", john, mi, "action_submit", [[MISSING_ID]], {}),
            ("submit twice", john, mi, "action_submit", [submitted.ids], {}),
            ("approve a draft", manager, mi, "action_approve", [draft.ids], {}),
            ("approve with a dict", manager, mi, "action_approve", [submitted.ids], {"message": {"a": 1}}),
            ("approve with a number", manager, mi, "action_approve", [submitted.ids], {"message": 5}),
            ("approve oversized message", manager, mi, "action_approve", [submitted.ids], {"message": HUGE + HUGE}),
            ("approve one of two reviewable", manager, mi, "action_approve", [submitted.ids + draft.ids], {}),
            ("reject without message", manager, mi, "action_reject", [submitted.ids], {}),
            ("reject blank message", manager, mi, "action_reject", [submitted.ids], {"message": "  "}),
            ("reject with a list", manager, mi, "action_reject", [submitted.ids], {"message": ["no"]}),
            ("reject oversized message", manager, mi, "action_reject", [submitted.ids], {"message": HUGE + HUGE}),
            ("reject an approved", manager, mi, "action_reject", [approved.ids], {"message": "no"}),
            ("pay a submitted", manager, mi, "action_mark_paid", [submitted.ids], {}),
            ("pay unknown id", manager, mi, "action_mark_paid", [[MISSING_ID]], {}),
            ("review dialog without decision", manager, mi, "action_open_review_wizard", [submitted.ids], {}),
            ("review dialog HTML decision", manager, mi, "action_open_review_wizard", [submitted.ids], {"context": {"review_decision": HTML}}),
            ("review dialog unknown invoice", manager, review, "create", review_of(MISSING_ID), {}),
            ("review dialog SQL invoice", manager, review, "create", [{"master_invoice_ids": SQL}], {}),
            ("review dialog HTML decision value", manager, review, "create", review_of(submitted, decision=HTML), {}),
            ("create dialog date as text", john, "tektoro.master.invoice.create.wizard", "create", period(date_from="today"), {}),
            ("create dialog unknown client", john, "tektoro.master.invoice.create.wizard", "create", period(client_id=MISSING_ID), {}),
            ("generate dialog SQL date", manager, "tektoro.client.invoice.generate.wizard", "create", period(date_to=SQL), {}),
            ("generate dialog unknown client", manager, "tektoro.client.invoice.generate.wizard", "create", [{"client_ids": [(6, 0, [MISSING_ID])]}], {}),
            ("dashboard domain as text", john, mi, "retrieve_dashboard", [SQL], {}),
            ("dashboard unknown field", john, mi, "retrieve_dashboard", [[("password", "=", "x")]], {}),
            ("dashboard malformed domain", john, mi, "retrieve_dashboard", [[("id", "in")]], {}),
            ("dashboard id as text", john, mi, "retrieve_dashboard", [[("id", "in", ["abc"])]], {}),
            ("dashboard id as a list", john, mi, "retrieve_dashboard", [[("id", "in", [[1]])]], {}),
            # -- client invoices
            ("generate reversed period", manager, ci, "generate_for_period", ["2015-12-31", "2015-01-01"], {}),
            ("generate without end", manager, ci, "generate_for_period", [free_day, None], {}),
            ("generate date as text", manager, ci, "generate_for_period", ["soon", free_day], {}),
            ("generate SQL date", manager, ci, "generate_for_period", [SQL, free_day], {}),
            ("generate date as number", manager, ci, "generate_for_period", [20150101, free_day], {}),
            ("generate clients as text", manager, ci, "generate_for_period", [free_day, free_day], {"client_ids": "1,2"}),
            ("generate SQL in clients", manager, ci, "generate_for_period", [free_day, free_day], {"client_ids": [SQL]}),
            ("generate unknown client", manager, ci, "generate_for_period", [free_day, free_day], {"client_ids": [MISSING_ID]}),
            ("generate clients as booleans", manager, ci, "generate_for_period", [free_day, free_day], {"client_ids": [True]}),
            ("generate nothing to invoice", manager, ci, "generate_for_period", ["2014-01-01", "2014-01-31"], {}),
            ("client invoice created directly", manager, ci, "create", [{"client_id": client, **period()[0]}], {}),
            ("client invoice write state", manager, ci, "write", [client_draft.ids, {"state": "paid"}], {}),
            ("client invoice write note as number", manager, ci, "write", [client_draft.ids, {"note": 7}], {}),
            ("client invoice oversized note", manager, ci, "write", [client_draft.ids, {"note": HUGE + HUGE}], {}),
            ("client invoice note when paid", manager, ci, "write", [client_paid.ids, {"note": "x"}], {}),
            ("send a paid client invoice", manager, ci, "action_send", [client_paid.ids], {}),
            ("pay a draft client invoice", manager, ci, "action_mark_paid", [client_draft.ids], {}),
            ("cancel a paid client invoice", manager, ci, "action_cancel", [client_paid.ids], {}),
            ("cancel unknown client invoice", manager, ci, "action_cancel", [[MISSING_ID]], {}),
            ("delete a paid client invoice", manager, ci, "unlink", [client_paid.ids], {}),
            ("client dashboard domain as text", manager, ci, "retrieve_dashboard", [HTML], {}),
        ]
        watched = ticket | loose, draft | submitted | approved, client_draft | client_paid
        return rows, [record for records in watched for record in records]

    def test_every_bad_input_is_refused_clearly_and_writes_nothing(self):
        rows, watched = self.rows()
        for label, user, model, method, args, kwargs in rows:
            with self.subTest(input=label):
                before = self.state_of_everything(watched)
                outcome = self.rpc(user, model, method, *args, **kwargs)
                assert_refused_clearly(self, outcome, label)
                after = self.state_of_everything(watched)
                self.assertEqual(after, before, f"{label}: something was written")
