import threading
import uuid
from functools import partial

from odoo import SUPERUSER_ID, api
from odoo.api import Transaction
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.service.model import (
    MAX_TRIES_ON_CONCURRENCY_FAILURE,
    PG_CONCURRENCY_EXCEPTIONS_TO_RETRY,
)
from odoo.tests.common import BaseCase, get_db_name, tagged
from odoo.tools import SQL, mute_logger

from .common import committed_env


@tagged("post_install", "-at_install")
class TestMasterInvoiceConcurrency(BaseCase):
    """Two real transactions building invoices from the same tickets at the same moment.

    A TransactionCase can't show this (everything runs in its one transaction), so this class
    commits its own data through separate cursors and deletes it afterwards. Each build runs the
    way an RPC call does: a serialization failure rolls the transaction back and replays it, as
    ``odoo.service.model.retrying`` does.
    """

    TICKETS = 30

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        tag = uuid.uuid4().hex[:8]
        with committed_env(cls.registry) as env:
            contractor = env["res.users"].create(
                {
                    "name": "Cora Current",
                    "login": f"tk_concurrency_{tag}",
                    "groups_id": [
                        (
                            6,
                            0,
                            [
                                env.ref("base.group_user").id,
                                env.ref("tektoro_invoicing.group_contractor").id,
                            ],
                        )
                    ],
                }
            )
            client = env["res.partner"].create({"name": f"Concurrent Client {tag}"})
            env["tektoro.ticket"].create(
                [
                    {
                        "contractor_id": contractor.id,
                        "client_id": client.id,
                        "work_date": f"2019-06-{1 + i % 30:02d}",
                        "description": f"Concurrent work {i}",
                        "amount": 10,
                        "state": "approved",
                    }
                    for i in range(cls.TICKETS)
                ]
            )
            cls.contractor_id = contractor.id
            cls.partner_id = contractor.partner_id.id
            cls.client_id = client.id
        cls.addClassCleanup(cls._delete_test_data)

    @classmethod
    def _delete_test_data(cls):
        with committed_env(cls.registry) as env:
            env["tektoro.client.invoice"].search([("client_id", "=", cls.client_id)]).unlink()
            env["tektoro.master.invoice"].search(
                [("contractor_id", "=", cls.contractor_id)]
            ).unlink()
            # Approved tickets refuse deletion through the ORM, by design.
            env.flush_all()
            env.cr.execute(
                SQL("DELETE FROM tektoro_ticket WHERE contractor_id = %s", cls.contractor_id)
            )
            env["res.users"].browse(cls.contractor_id).unlink()
            env["res.partner"].browse([cls.partner_id, cls.client_id]).unlink()

    def setUp(self):
        super().setUp()
        self.addCleanup(self._release_tickets)

    def _release_tickets(self):
        with committed_env(self.registry) as env:
            env["tektoro.client.invoice"].search([("client_id", "=", self.client_id)]).unlink()
            env["tektoro.master.invoice"].search(
                [("contractor_id", "=", self.contractor_id)]
            ).unlink()
            env.cr.execute(
                SQL(
                    "DELETE FROM tektoro_master_invoice_counter WHERE contractor_id = %s",
                    self.contractor_id,
                )
            )

    def _env(self, cr, uid):
        # Environment() would look the registry up under Registry's class lock, which the test
        # runner holds while it runs post-install tests: hand the registry over directly.
        cr.transaction = Transaction(self.registry)
        return api.Environment(cr, uid, {})

    def _run_at_once(self, *builds):
        """Run each ``build(env)`` in its own thread and transaction, all starting together."""
        barrier = threading.Barrier(len(builds))
        self.conflicts = 0
        results = [None] * len(builds)

        def run(index, build, uid):
            with self.registry.cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = '30s'")
                env = self._env(cr, uid)
                # Each transaction takes its snapshot before any of them writes.
                env["tektoro.ticket"].search_count([])
                barrier.wait(timeout=10)
                for _attempt in range(MAX_TRIES_ON_CONCURRENCY_FAILURE):
                    try:
                        results[index] = build(env)
                        env.flush_all()
                        break
                    except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                        # What odoo.service.model.retrying does for an RPC call: roll back and
                        # replay the whole request in a fresh transaction.
                        self.conflicts += 1
                        cr.rollback()
                        env = self._env(cr, uid)
                    except UserError as error:
                        results[index] = error
                        cr.rollback()
                        break

        threads = [
            threading.Thread(target=run, args=(index, build, uid))
            for index, (build, uid) in enumerate(builds)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertFalse(any(thread.is_alive() for thread in threads), "a build hung")
        return results

    def _committed(self, query):
        with self.registry.cursor() as cr:
            cr.execute(query)
            return cr.fetchall()

    def _build_master(self, date_from, date_to, env):
        invoice = env["tektoro.master.invoice"].create({"date_from": date_from, "date_to": date_to})
        return invoice.name, invoice.ticket_count

    @mute_logger("odoo.sql_db", "odoo.service.model")
    def test_two_master_invoices_of_the_same_tickets(self):
        build = partial(self._build_master, "2019-06-01", "2019-06-30")
        results = self._run_at_once((build, self.contractor_id), (build, self.contractor_id))

        self.assertGreaterEqual(self.conflicts, 1, "the database made the later build start over")
        built = [r for r in results if isinstance(r, tuple)]
        refused = [r for r in results if isinstance(r, UserError)]
        self.assertEqual(built, [(built[0][0], self.TICKETS)], results)
        self.assertEqual(len(refused), 1, results)
        self.assertIn("has no approved ticket waiting", str(refused[0]))
        rows = self._committed(
            SQL(
                """SELECT mi.name, count(t.id) FROM tektoro_master_invoice mi
                     LEFT JOIN tektoro_ticket t ON t.master_invoice_id = mi.id
                    WHERE mi.contractor_id = %s GROUP BY mi.name""",
                self.contractor_id,
            )
        )
        self.assertEqual(rows, [(built[0][0], self.TICKETS)], "one invoice holds every ticket")

    @mute_logger("odoo.sql_db", "odoo.service.model")
    def test_two_invoices_of_one_contractor_never_share_a_number(self):
        first_half = partial(self._build_master, "2019-06-01", "2019-06-15")
        second_half = partial(self._build_master, "2019-06-16", "2019-06-30")
        results = self._run_at_once(
            (first_half, self.contractor_id), (second_half, self.contractor_id)
        )

        self.assertGreaterEqual(self.conflicts, 1, "the counter row serialised the two numbers")
        self.assertEqual(sorted(count for _name, count in results), [15, 15], results)
        names = sorted(name for name, _count in results)
        self.assertEqual(names, ["CC-MINV-001", "CC-MINV-002"])

    @mute_logger("odoo.sql_db", "odoo.service.model")
    def test_adding_new_tickets_while_a_new_invoice_takes_them(self):
        """Add New Tickets takes no counter row: only the tickets' own rows keep them apart."""
        with committed_env(self.registry) as env:
            # Ten tickets approved after the invoice was built: both calls go for them.
            later = env["tektoro.ticket"].search([("contractor_id", "=", self.contractor_id)])[:10]
            later.write({"state": "draft"})
            invoice = (
                env["tektoro.master.invoice"]
                .with_user(self.contractor_id)
                .create({"date_from": "2019-06-01", "date_to": "2019-06-30"})
            )
            later.write({"state": "approved"})
            invoice_id = invoice.id

        def refresh(env):
            env["tektoro.master.invoice"].browse(invoice_id).action_refresh_tickets()
            return "refreshed"

        build = partial(self._build_master, "2019-06-01", "2019-06-30")
        results = self._run_at_once((refresh, self.contractor_id), (build, self.contractor_id))

        self.assertGreaterEqual(
            self.conflicts, 1, "the ticket rows made the later claim start over"
        )
        rows = self._committed(
            SQL(
                """SELECT mi.id, mi.ticket_count, mi.amount_total, count(t.id), sum(t.amount)
                     FROM tektoro_master_invoice mi
                     JOIN tektoro_ticket t ON t.master_invoice_id = mi.id
                    WHERE mi.contractor_id = %s
                 GROUP BY mi.id""",
                self.contractor_id,
            )
        )
        # Whichever claimed the ten tickets counts them, and only it: totals match the rows.
        for _id, stored_count, stored_total, count, total in rows:
            self.assertEqual((stored_count, stored_total), (count, total), rows)
        self.assertEqual(sum(row[3] for row in rows), self.TICKETS, rows)
        held = {row[0]: row[3] for row in rows}
        if held[invoice_id] == self.TICKETS:
            self.assertIsInstance(results[1], UserError, results)
        else:
            self.assertEqual((held[invoice_id], results[1][1]), (20, 10), results)

    @mute_logger("odoo.sql_db", "odoo.service.model")
    def test_two_client_invoice_generations_of_the_same_tickets(self):
        def generate(env):
            invoices = env["tektoro.client.invoice"].generate_for_period(
                "2019-06-01", "2019-06-30", client_ids=[self.client_id]
            )
            return invoices.ticket_count

        results = self._run_at_once((generate, SUPERUSER_ID), (generate, SUPERUSER_ID))

        self.assertGreaterEqual(self.conflicts, 1, "the database made the later run start over")
        self.assertIn(self.TICKETS, results)
        refused = [r for r in results if isinstance(r, UserError)]
        self.assertEqual(len(refused), 1, results)
        self.assertIn("awaits a client invoice", str(refused[0]))
        rows = self._committed(
            SQL(
                """SELECT count(DISTINCT ci.id), count(t.id) FROM tektoro_client_invoice ci
                     JOIN tektoro_ticket t ON t.client_invoice_id = ci.id
                    WHERE ci.client_id = %s""",
                self.client_id,
            )
        )
        self.assertEqual(rows, [(1, self.TICKETS)])
