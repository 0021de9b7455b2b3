"""Real transactions, committed and concurrent, as Odoo's RPC layer runs them.

Each "request" here is what Odoo does for one RPC call: a cursor of its own and the whole call
inside ``odoo.service.model.retrying``, which replays it after a serialization failure and
commits at the end. The data these tests need is committed too, and removed afterwards.
"""

import threading
from functools import partial
from unittest.mock import patch

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.modules.registry import DummyRLock, Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import SQL, mute_logger

from .common import committed_env
from .work_order_common import SandboxMixin

COMPANY_FIELDS = [
    "tektoro_invoices_enabled",
    "tektoro_invoice_prefix",
    "tektoro_billing_url",
    "tektoro_billing_api_key",
    "tektoro_billing_timeout",
]


@tagged("post_install", "-at_install")
class TestInvoiceConcurrency(SandboxMixin, BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.start_sandbox()

    def setUp(self):
        super().setUp()
        with committed_env(self.registry) as env:
            company = env.ref("base.main_company")
            saved = company.read(COMPANY_FIELDS)[0]
            # Every company has its invoice sequence from the start: the invoices these tests
            # commit advance it, so it is put back where it was afterwards.
            number_next = self._invoice_sequences(env, company).number_next
            self.connect_company(company)
            company.tektoro_invoices_enabled = True
            self.reference = f"{company.tektoro_invoice_prefix}-00001"
            office = env.ref("tektoro_invoicing.group_office")
            self.users = env.ref("base.user_admin") + env.ref("base.user_demo")
            added_to_office = self.users - office.users
            office.write({"users": [Command.link(user.id) for user in added_to_office]})
            self.partner = env["res.partner"].create({"name": "Concurrent Customer"})
            device = env["tektoro.device.model"].create(
                {"name": "Concurrency Router", "cost": 100.0}
            )
            work_order = env["tektoro.work.order"].create(
                {
                    "partner_id": self.partner.id,
                    "device_model_id": device.id,
                    "line_ids": [Command.create({"name": "Labour", "price_unit": 40})],
                    "state": "completed",
                }
            )
            self.work_order_id = work_order.id
            self.addCleanup(
                self._remove, work_order.id, device.id, saved, number_next, added_to_office.ids
            )

    @staticmethod
    def _invoice_sequences(env, company):
        return env["ir.sequence"].search(
            [("code", "=", "tektoro.invoice"), ("company_id", "=", company.id)]
        )

    def _remove(self, work_order_id, device_id, saved, number_next, added_user_ids):
        with committed_env(self.registry) as env:
            # Invoices are never deleted through the ORM: these are test data.
            cr = env.cr
            cr.execute(SQL("DELETE FROM tektoro_invoice WHERE work_order_id = %s", work_order_id))
            cr.execute(SQL("DELETE FROM tektoro_work_order WHERE id = %s", work_order_id))
            env["tektoro.device.model"].browse(device_id).unlink()
            self.partner.with_env(env).unlink()
            company = env.ref("base.main_company")
            company.write({name: value for name, value in saved.items() if name != "id"})
            self._invoice_sequences(env, company).number_next = number_next
            env.ref("tektoro_invoicing.group_office").write(
                {"users": [Command.unlink(user_id) for user_id in added_user_ids]}
            )

    def run_request(self, uid, func):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, uid, {})
            return retrying(partial(func, env), env)

    def read_committed(self, func):
        with committed_env(self.registry) as env:
            return func(env)

    def invoices_of_work_order(self, env):
        invoices = env["tektoro.work.order"].browse(self.work_order_id).invoice_ids
        return invoices.read(["name", "state", "billing_state", "billing_id"])

    def test_two_users_invoicing_one_work_order_get_one_invoice_and_one_clear_error(self):
        remote_before = len(self.remote_invoices())
        # The first push is slow, so the second click arrives while the first is in flight.
        self.inject("POST /v1/invoices", "delay", seconds=1)
        barrier = threading.Barrier(2)
        outcomes = {}
        calls = dict.fromkeys(self.users.ids, 0)

        def click(uid):
            def create_invoice(env):
                calls[uid] += 1
                work_order = env["tektoro.work.order"].browse(self.work_order_id)
                return work_order.action_create_invoice()

            barrier.wait()
            try:
                outcomes[uid] = self.run_request(uid, create_invoice)
            except UserError as exc:
                outcomes[uid] = exc

        threads = [threading.Thread(target=click, args=(uid,)) for uid in self.users.ids]
        # The test runner holds the registry lock for the whole run; the requests' retry loop
        # takes it too. Odoo's own HttpCase swaps in a dummy lock for its server threads alike.
        with (
            patch.object(Registry, "_lock", DummyRLock()),
            mute_logger("odoo.sql_db"),
        ):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        errors = {uid: value for uid, value in outcomes.items() if isinstance(value, UserError)}
        actions = [value for value in outcomes.values() if isinstance(value, dict)]
        self.assertEqual((len(actions), len(errors)), (1, 1), outcomes)
        # The loser really ran concurrently: it waited for the winner, then Odoo replayed it.
        [(loser, error)] = errors.items()
        self.assertEqual(calls[loser], 2, calls)
        errors = [error]
        self.assertIn("already has the active invoice", str(errors[0]))
        self.assertIn(self.reference, str(errors[0]))
        invoices = self.read_committed(self.invoices_of_work_order)
        self.assertEqual(len(invoices), 1)
        self.assertEqual(
            (invoices[0]["name"], invoices[0]["state"], invoices[0]["billing_state"]),
            (self.reference, "sent", "synced"),
        )
        self.assertEqual(len(self.remote_invoices()), remote_before + 1)
        self.assertEqual(len(self.remote_invoices(reference=self.reference)), 1)

    def test_a_request_replayed_after_numbering_its_invoice_makes_one_external_invoice(self):
        """The push runs after the request commits: a rolled-back attempt pushed nothing."""
        remote_before = len(self.remote_invoices())
        attempts = []

        def create_then_conflict(env):
            action = env["tektoro.work.order"].browse(self.work_order_id).action_create_invoice()
            invoice = env["tektoro.invoice"].browse(action["res_id"])
            attempts.append((invoice.name, invoice.billing_state, invoice.billing_id))
            if len(attempts) == 1:
                # The invoice is numbered and flushed, its push registered; now another user's
                # committed edit of the customer collides with this request's own, and
                # PostgreSQL refuses to serialize them.
                def edit_elsewhere(other_env):
                    other_env["res.partner"].browse(self.partner.id).comment = "edited elsewhere"

                self.run_request(SUPERUSER_ID, edit_elsewhere)
                env["res.partner"].browse(self.partner.id).comment = "edited here"
                env.flush_all()
            return action

        with mute_logger("odoo.sql_db"):
            self.run_request(self.users[0].id, create_then_conflict)

        # Odoo replayed the request; each attempt numbered the invoice the same, pushed nothing.
        self.assertEqual(attempts, [(self.reference, "pending", False)] * 2)
        # Only the committed attempt pushed, once.
        remote = self.remote_invoices(reference=self.reference)
        self.assertEqual(len(remote), 1, remote)
        self.assertEqual(len(self.remote_invoices()), remote_before + 1)
        invoices = self.read_committed(self.invoices_of_work_order)
        self.assertEqual(
            [(i["name"], i["billing_state"], i["billing_id"]) for i in invoices],
            [(self.reference, "synced", remote[0]["id"])],
        )
