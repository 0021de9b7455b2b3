"""Model-based test: random sequences of what users, the billing system and failures do.

Hypothesis drives create, fault injection, cancel, external pay and cancel, sync (the daemon's
two RPC batch methods), retry and two kinds of crash (the sandbox SIGKILLed and restarted; an
Odoo request rolled back after its push went out, then replayed by the user) against the real
sandbox, checking after every step:

- at most one active invoice per work order;
- no invoice ever seen paid is cancelled;
- an invoice cancelled here is cancelled in billing (or billing never had it);

and, once quiet (faults cleared, retry and sync run), that both sides agree: state, total, one
external invoice per reference.

Default run: TEKTORO_MBT_EXAMPLES=30 examples of TEKTORO_MBT_STEPS=12 steps (well under a
minute). A long run: TEKTORO_MBT_EXAMPLES=200 TEKTORO_MBT_STEPS=40.
"""

import logging
import os
from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from odoo.exceptions import UserError
from odoo.tests import tagged

from .work_order_common import SANDBOX_FAULT_MODES, SandboxMixin, WorkOrderCase

_logger = logging.getLogger(__name__)
EXAMPLES = int(os.environ.get("TEKTORO_MBT_EXAMPLES", "30"))
STEPS = int(os.environ.get("TEKTORO_MBT_STEPS", "12"))
# Every way the sandbox can fail a request (a delay is not a failure).
FAULT_MODES = tuple(mode for mode in SANDBOX_FAULT_MODES if mode != "delay")
REMOTE_STATE = {"sent": "open", "paid": "paid", "cancelled": "cancelled"}


class _Crash(Exception):
    """The request died after its push: everything it wrote here is rolled back."""


@tagged("post_install", "-at_install")
class TestModelBased(SandboxMixin, WorkOrderCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sandbox()

    def test_random_histories_keep_both_sides_in_agreement(self):
        case = self
        tally = Counter()

        class InvoicingMachine(RuleBasedStateMachine):
            def __init__(self):
                RuleBasedStateMachine.__init__(self)
                self.savepoint = case.env.cr.savepoint()
                case.connect_company(case.company, timeout=0.5)
                case.clear_faults()
                self.work_orders = [case.make_work_order() for _index in range(2)]
                self.ever_paid = set()

            # -------------------------------------------------------------- helpers

            def invoices(self):
                return case.env["tektoro.invoice"].search(
                    [("work_order_id", "in", [wo.id for wo in self.work_orders])]
                )

            def remote(self, invoice):
                return case.remote_invoices(reference=invoice.name)

            # -------------------------------------------------------------- rules

            @rule(index=st.integers(0, 1), crash=st.booleans())
            def create_invoice(self, index, crash):
                work_order = self.work_orders[index].with_user(case.office)
                try:
                    if crash:
                        try:
                            with case.env.cr.savepoint():
                                case.create_invoice(work_order)
                                raise _Crash
                        except _Crash:
                            case.env.invalidate_all()
                    invoice = case.create_invoice(work_order)
                    tally[f"created {invoice.billing_state}"] += 1
                except UserError:
                    tally["create refused"] += 1
                    case.assertTrue(work_order.sudo().active_invoice_id)

            @rule(mode=st.sampled_from(FAULT_MODES), what=st.sampled_from(["create", "cancel"]))
            def inject_fault(self, mode, what):
                match = "POST /v1/invoices" if what == "create" else "POST /v1/invoices/"
                case.inject(match, mode, count=1, seconds=1)
                tally[f"fault {mode}"] += 1

            @rule()
            def clear_faults(self):
                case.clear_faults()

            @rule(index=st.integers(0, 3))
            def cancel(self, index):
                invoices = self.invoices()
                if not invoices:
                    return
                invoice = invoices[index % len(invoices)].with_user(case.office)
                before = invoice.state
                try:
                    invoice.action_cancel()
                    tally["cancelled"] += 1
                except UserError:
                    tally["cancel refused"] += 1
                    case.assertEqual(invoice.state, before)

            @rule(index=st.integers(0, 3), pay=st.booleans())
            def external_change(self, index, pay):
                invoices = self.invoices()
                remote = invoices and self.remote(invoices[index % len(invoices)])
                if not remote:
                    return
                url = f"{case.sandbox.url}/v1/invoices/{remote[0]['id']}"
                case.clear_faults()
                if pay:
                    case.billing.post(url + "/payments", json={"amount": remote[0]["total"]})
                else:
                    case.billing.post(url + "/cancel")

            @rule()
            def sync(self):
                case.clear_faults()
                sync = case.env["tektoro.billing.sync"].with_user(case.sync_user)
                (config,) = [
                    c for c in sync.get_sync_configs() if c["company_id"] == case.company.id
                ]
                cursor = config["cursor"]
                while True:
                    page = case.billing.get(
                        case.sandbox.url + "/v1/events", params={"after": cursor, "limit": 100}
                    ).json()
                    if not page["data"]:
                        break
                    cursor = sync.apply_events(case.company.id, cursor, page["data"])["cursor"]
                sync.retry_pushes(case.company.id, 100, 0)

            @rule()
            def crash_sandbox(self):
                tally["sandbox killed"] += 1
                case.sandbox.kill()
                case.sandbox.start()
                case.company.sudo().tektoro_billing_url = case.sandbox.url

            # -------------------------------------------------------------- invariants

            @invariant()
            def one_active_invoice_per_work_order(self):
                for work_order in self.work_orders:
                    active = work_order.invoice_ids.filtered(lambda i: i.state != "cancelled")
                    case.assertLessEqual(len(active), 1, work_order.name)

            @invariant()
            def paid_is_never_cancelled(self):
                invoices = self.invoices()
                self.ever_paid |= set(invoices.filtered(lambda i: i.state == "paid").ids)
                cancelled = invoices.filtered(lambda i: i.state == "cancelled")
                case.assertFalse(self.ever_paid & set(cancelled.ids))

            @invariant()
            def cancelled_here_is_cancelled_there(self):
                for invoice in self.invoices().filtered(lambda i: i.state == "cancelled"):
                    for remote in self.remote(invoice):
                        case.assertEqual(remote["status"], "cancelled", invoice.name)

            def teardown(self):
                try:
                    case.clear_faults()
                    self.sync()
                    self.sync()
                    tally["quiet checks"] += 1
                    for invoice in self.invoices():
                        tally[f"final {invoice.state}"] += 1
                        remote = self.remote(invoice)
                        if invoice.state == "cancelled" and not remote:
                            continue  # cancelled before billing ever had it
                        case.assertEqual(len(remote), 1, invoice.name)
                        case.assertEqual(invoice.billing_state, "synced", invoice.name)
                        case.assertEqual(
                            remote[0]["status"], REMOTE_STATE[invoice.state], invoice.name
                        )
                        case.assertEqual(
                            float(remote[0]["total"]), invoice.amount_total, invoice.name
                        )
                finally:
                    self.savepoint.close(rollback=True)
                    case.env.invalidate_all()

        run_state_machine_as_test(
            InvoicingMachine,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
        _logger.info("Model-based run: %s", dict(sorted(tally.items())))
        self.assertGreaterEqual(tally["quiet checks"], EXAMPLES)
