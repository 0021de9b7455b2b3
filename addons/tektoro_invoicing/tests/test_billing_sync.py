import uuid
from datetime import datetime

from odoo import SUPERUSER_ID, api
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.registry import Registry
from odoo.tests import tagged
from odoo.tests.common import BaseCase, get_db_name
from odoo.tools import SQL

from ..models.tektoro_billing_sync import CursorMovedError
from .common import TektoroCase, committed_env
from .work_order_common import SandboxMixin, WorkOrderCase

# Nothing listens here: a push to it fails at once with "connection refused", a real failure.
UNREACHABLE_BILLING_URL = "http://127.0.0.1:9"


class BillingSyncCase(TektoroCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "tektoro_invoices_enabled": True,
                "tektoro_invoice_prefix": "SYN",
                "tektoro_default_tax_rate": 10.0,
                "tektoro_billing_url": False,
            }
        )
        cls.partner = cls.env["res.partner"].create({"name": "Acme Plumbing"})
        cls.sync = cls.env["tektoro.billing.sync"].with_user(cls.sync_user)

    @classmethod
    def _make_invoice(cls, company=None, price=50.0, billing_id=True):
        """An invoice made by the office user, as if pushed: synced with a billing id."""
        company = company or cls.company
        device = cls.env["tektoro.device.model"].search(
            [("company_id", "=", company.id), ("name", "=", "Boiler B2")], limit=1
        ) or cls.env["tektoro.device.model"].create(
            {"name": "Boiler B2", "cost": 100.0, "company_id": company.id}
        )
        order = (
            cls.env["tektoro.work.order"]
            .with_user(cls.office)
            .with_company(company)
            .create(
                {
                    "partner_id": cls.partner.id,
                    "device_model_id": device.id,
                    "company_id": company.id,
                    "line_ids": [(0, 0, {"name": "Labour", "quantity": 1, "price_unit": price})],
                }
            )
        )
        order.action_start()
        order.action_complete()
        action = order.action_create_invoice()
        invoice = cls.env["tektoro.invoice"].browse(action["res_id"])
        if billing_id:
            invoice.sudo().write(
                {"billing_id": f"inv_{invoice.name}", "billing_state": "synced"}
            )
        return invoice

    @classmethod
    def _connect_billing(cls, company=None):
        (company or cls.company).sudo().write(
            {"tektoro_billing_url": UNREACHABLE_BILLING_URL, "tektoro_billing_api_key": "sk_t"}
        )

    def _event(self, event_id, event_type, invoice, **remote):
        document = {
            "id": invoice.billing_id or f"inv_remote_{invoice.id}",
            "reference": invoice.name,
            "status": {"invoice.paid": "paid", "invoice.cancelled": "cancelled"}.get(
                event_type, "open"
            ),
            "total": str(invoice.amount_total),
            "paid_at": "2025-03-04T05:06:07Z" if event_type == "invoice.paid" else None,
            "cancelled_at": "2025-03-05T08:00:00Z"
            if event_type == "invoice.cancelled"
            else None,
        }
        document.update(remote)
        return {
            "id": event_id,
            "type": event_type,
            "created_at": "2025-03-05T09:00:00Z",
            "invoice": document,
        }

    def _cursor(self, company=None):
        return self.env["tektoro.billing.cursor"].search(
            [("company_id", "=", (company or self.company).id)]
        )

    def _notes(self, invoice, text):
        return invoice.message_ids.filtered(lambda m: text in (m.body or ""))


@tagged("post_install", "-at_install")
class TestBillingSyncAccess(BillingSyncCase):
    def test_only_the_sync_group_and_administrators_may_call_the_daemon_methods(self):
        self._connect_billing()
        company_id = self.company.id
        calls = {
            "get_sync_configs": (),
            "apply_events": (company_id, 0, []),
            "retry_pushes": (company_id, 10, 0),
            "local_snapshot": (company_id, 0, 10),
            "report_drift": (company_id, []),
        }
        for user in (self.office, self.manager, self.contractor):
            for method, args in calls.items():
                with self.subTest(user=user.login, method=method), self.assertRaises(AccessError):
                    getattr(self.env["tektoro.billing.sync"].with_user(user), method)(*args)
        # The daemon's user, and an administrator (the daemon run as admin).
        for user in (self.sync_user, self.env.ref("base.user_admin")):
            for method, args in calls.items():
                with self.subTest(user=user.login, method=method):
                    getattr(self.env["tektoro.billing.sync"].with_user(user), method)(*args)

    def test_configs_list_every_company_with_billing_and_its_key(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        unconfigured = self.env["res.company"].create({"name": "Local Only Co"})
        self._connect_billing()
        other.sudo().write(
            {"tektoro_billing_url": "http://billing.other:8070", "tektoro_billing_api_key": "sk_o"}
        )
        # The same account spelt otherwise, and the same address with another key.
        same_account, other_key = self.env["res.company"].sudo().create(
            [
                {"name": "Same Account Co", "tektoro_billing_url": "HTTP://Billing.Other:8070/"},
                {"name": "Other Key Co", "tektoro_billing_url": "http://billing.other:8070"},
            ]
        )
        same_account.tektoro_billing_api_key = "sk_o"
        other_key.tektoro_billing_api_key = "sk_x"
        configs = {c["company_id"]: c for c in self.sync.get_sync_configs()}
        self.assertNotIn(unconfigured.id, configs)
        account = configs[other.id].pop("billing_account")
        self.assertEqual(
            configs[other.id],
            {
                "company_id": other.id,
                "company_name": "Other Co",
                "invoice_prefix": "TFT",
                "billing_url": "http://billing.other:8070",
                "api_key": "sk_o",
                "timeout": 10.0,
                "cursor": 0,
            },
        )
        self.assertEqual(configs[self.company.id]["api_key"], "sk_t")
        # The daemon reads a shared account once: it learns which companies share one here.
        self.assertEqual(configs[same_account.id]["billing_account"], account)
        self.assertNotEqual(configs[other_key.id]["billing_account"], account)
        self.assertNotEqual(configs[self.company.id]["billing_account"], account)
        # The key stays out of reach of the daemon's user everywhere else.
        with self.assertRaises(AccessError):
            other.with_user(self.sync_user).read(["tektoro_billing_api_key"])

    def test_batch_sizes_and_ids_are_checked(self):
        self._connect_billing()
        for limit in (0, -1, 5001, "10", True):
            with self.subTest(limit=limit), self.assertRaises(ValidationError):
                self.sync.retry_pushes(self.company.id, limit, 0)
        with self.assertRaises(ValidationError):
            self.sync.local_snapshot(self.company.id, -1, 10)

    def test_a_company_without_billing_is_refused(self):
        with self.assertRaisesRegex(UserError, "no billing system configured"):
            self.sync.apply_events(self.company.id, 0, [])
        with self.assertRaises(ValidationError):
            self.sync.apply_events(999999, 0, [])


@tagged("post_install", "-at_install")
class TestApplyEvents(BillingSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoices = cls.env["tektoro.invoice"]
        for price in (10.0, 20.0, 30.0):
            cls.invoices |= cls._make_invoice(price=price)
        cls._connect_billing()

    def test_paid_and_cancelled_events_close_invoices_and_move_the_cursor(self):
        paid, cancelled, untouched = self.invoices
        result = self.sync.apply_events(
            self.company.id,
            0,
            [
                self._event(3, "invoice.created", untouched),
                self._event(4, "invoice.paid", paid),
                self._event(7, "invoice.cancelled", cancelled),
            ],
        )
        self.assertEqual(
            result,
            {
                "cursor": 7,
                "applied": {"invoice.paid": 1, "invoice.cancelled": 1},
                "skipped": [],
            },
        )
        self.assertRecordValues(
            paid | cancelled | untouched,
            [
                {"state": "paid", "paid_at": datetime(2025, 3, 4, 5, 6, 7), "cancelled_at": False},
                {"state": "cancelled", "paid_at": False,
                 "cancelled_at": datetime(2025, 3, 5, 8, 0, 0)},
                {"state": "sent", "paid_at": False, "cancelled_at": False},
            ],
        )
        self.assertRecordValues(self._cursor(), [{"last_event_id": 7}])
        self.assertEqual(len(self._notes(paid, "Paid in the billing system")), 1)
        self.assertEqual(len(self._notes(cancelled, "Cancelled in the billing system")), 1)
        note = self._notes(paid, "Paid in the billing system")
        self.assertEqual(note.author_id, self.sync_user.partner_id)
        # The office user who made the invoice follows it and finds the news in their inbox.
        self.assertIn(self.office.partner_id, note.notification_ids.res_partner_id)
        self.assertEqual(set(note.notification_ids.mapped("notification_type")), {"inbox"})

    def test_event_ids_beyond_32_bits_move_the_cursor(self):
        paid, cancelled = self.invoices[:2]
        past_int32, near_int64 = 2**31 + 5, 2**63 - 1
        self.sync.apply_events(self.company.id, 0, [self._event(past_int32, "invoice.paid", paid)])
        self.assertRecordValues(self._cursor(), [{"last_event_id": past_int32}])
        # The compare-and-set matches the stored cursor, so the next page applies after it.
        result = self.sync.apply_events(
            self.company.id, past_int32, [self._event(near_int64, "invoice.cancelled", cancelled)]
        )
        self.assertEqual(result["cursor"], near_int64)
        self.env.invalidate_all()
        self.assertRecordValues(self._cursor(), [{"last_event_id": near_int64}])
        self.assertRecordValues(paid | cancelled, [{"state": "paid"}, {"state": "cancelled"}])

    def test_an_event_applied_twice_changes_nothing(self):
        paid = self.invoices[0]
        self.sync.apply_events(self.company.id, 0, [self._event(1, "invoice.paid", paid)])
        # A second feed entry for the same payment (or the same page replayed under a new
        # cursor) leaves the invoice, its chatter and its paid_at as they were.
        replay = self._event(2, "invoice.paid", paid, paid_at="2030-01-01T00:00:00Z")
        result = self.sync.apply_events(self.company.id, 1, [replay])
        self.assertEqual(result["applied"], {"invoice.paid": 0, "invoice.cancelled": 0})
        self.assertRecordValues(paid, [{"state": "paid", "paid_at": datetime(2025, 3, 4, 5, 6, 7)}])
        self.assertEqual(len(self._notes(paid, "Paid in the billing system")), 1)
        self.assertRecordValues(self._cursor(), [{"last_event_id": 2}])

    def test_a_stale_cursor_is_refused_and_changes_nothing(self):
        first, second = self.invoices[:2]
        self.sync.apply_events(self.company.id, 0, [self._event(5, "invoice.paid", first)])
        # A second daemon that read the cursor before the first one applied its page.
        with self.assertRaises(CursorMovedError):
            self.sync.apply_events(
                self.company.id,
                0,
                [self._event(5, "invoice.paid", first), self._event(6, "invoice.paid", second)],
            )
        self.assertRecordValues(self.invoices[:2], [{"state": "paid"}, {"state": "sent"}])
        self.assertRecordValues(self._cursor(), [{"last_event_id": 5}])
        self.assertEqual(len(self._notes(first, "Paid in the billing system")), 1)

    def test_conflicting_events_are_reported_not_applied(self):
        paid, cancelled, _third = self.invoices
        self.sync.apply_events(
            self.company.id,
            0,
            [self._event(1, "invoice.paid", paid), self._event(2, "invoice.cancelled", cancelled)],
        )
        result = self.sync.apply_events(
            self.company.id,
            2,
            [
                self._event(3, "invoice.cancelled", paid),
                self._event(4, "invoice.paid", cancelled),
                self._event(5, "invoice.paid", paid, id="inv_nobody", reference="XYZ-1"),
            ],
        )
        self.assertEqual(
            [(s["event_id"], s["reference"]) for s in result["skipped"]],
            [(3, paid.name), (4, cancelled.name), (5, "XYZ-1")],
        )
        self.assertIn("paid in Odoo", result["skipped"][0]["reason"])
        self.assertRecordValues(paid | cancelled, [{"state": "paid"}, {"state": "cancelled"}])
        self.assertRecordValues(self._cursor(), [{"last_event_id": 5}])

    def test_an_unknown_push_is_resolved_by_reference_when_the_amount_agrees(self):
        unknown, mismatched, _third = self.invoices
        (unknown | mismatched).sudo().write({"billing_id": False, "billing_state": "unknown"})
        result = self.sync.apply_events(
            self.company.id,
            0,
            [
                self._event(1, "invoice.paid", unknown, id="inv_found"),
                self._event(2, "invoice.paid", mismatched, id="inv_other", total="999.00"),
            ],
        )
        self.assertEqual([s["event_id"] for s in result["skipped"]], [2])
        self.assertRecordValues(
            unknown | mismatched,
            [
                {"state": "paid", "billing_id": "inv_found", "billing_state": "synced"},
                {"state": "sent", "billing_id": False, "billing_state": "unknown"},
            ],
        )

    def test_odd_totals_texts_and_times_skip_their_event_not_the_feed(self):
        """Values no billing system should send: each event is judged alone, the cursor moves."""
        first, second, third = self.invoices
        self.invoices.sudo().write({"billing_id": False, "billing_state": "unknown"})
        result = self.sync.apply_events(
            self.company.id,
            0,
            [
                self._event(1, "invoice.paid", first, id="inv_a", total="1E+400"),
                self._event(2, "invoice.paid", second, id="inv_b", total=10**400),
                self._event(3, "invoice.paid", first, id="inv_a", total="nan"),
                self._event(
                    4,
                    "invoice.paid",
                    third,
                    id="inv\x00c\ud800",
                    paid_at="0001-01-01T00:30:00+01:00",
                ),
            ],
        )
        self.assertEqual(result["cursor"], 4)
        self.assertEqual([s["event_id"] for s in result["skipped"]], [1, 2, 3])
        self.assertRecordValues(
            self.invoices,
            [
                {"state": "sent", "billing_id": False, "billing_state": "unknown"},
                {"state": "sent", "billing_id": False, "billing_state": "unknown"},
                {"state": "paid", "billing_id": "invc?", "billing_state": "synced"},
            ],
        )
        self.assertTrue(third.paid_at)  # the unreadable time falls back to the time applied

    def test_another_company_invoices_are_out_of_reach(self):
        other = self.env["res.company"].create(
            {"name": "Other Co", "tektoro_invoices_enabled": True, "tektoro_invoice_prefix": "OTH"}
        )
        self.office.write({"company_ids": [(4, other.id)]})
        theirs = self._make_invoice(company=other)
        self._connect_billing(other)
        event = self._event(1, "invoice.paid", theirs)
        result = self.sync.apply_events(self.company.id, 0, [event])
        self.assertEqual(len(result["skipped"]), 1)
        self.assertRecordValues(theirs, [{"state": "sent"}])
        self.assertFalse(self._cursor(other).last_event_id)

    def test_an_invoice_of_another_company_is_never_taken_for_ours(self):
        """A company that left the billing account left its invoices there: an invoice of ours,
        numbered alike and for the same total, is not it."""
        ours = self._make_invoice(price=40.0, billing_id=False)
        ours.sudo().billing_state = "failed"
        former = self.env["res.company"].create(
            {
                "name": "Former Co",
                "tektoro_invoices_enabled": True,
                "tektoro_invoice_prefix": "FMR",
                "tektoro_default_tax_rate": 10.0,
            }
        )
        self.office.write({"company_ids": [(4, former.id)]})
        theirs = self._make_invoice(company=former, price=40.0)
        theirs.sudo().write({"name": ours.name, "billing_id": "inv_former"})
        self.assertEqual(theirs.amount_total, ours.amount_total)
        result = self.sync.apply_events(
            self.company.id, 0, [self._event(1, "invoice.paid", theirs)]
        )
        self.assertEqual(
            [skip["reason"] for skip in result["skipped"]],
            ["the billing invoice is another company's invoice in Odoo"],
        )
        self.assertRecordValues(
            ours, [{"state": "sent", "billing_id": False, "billing_state": "failed"}]
        )
        self.assertRecordValues(theirs, [{"state": "sent", "billing_id": "inv_former"}])

    def test_events_must_follow_the_cursor_in_order(self):
        invoice = self.invoices[0]
        bad_pages = {
            "not after the cursor": (3, [self._event(3, "invoice.paid", invoice)]),
            "out of order": (0, [self._event(5, "invoice.paid", invoice),
                                 self._event(4, "invoice.paid", invoice)]),
            "not an id": (0, [self._event("5", "invoice.paid", invoice)]),
            "not a list": (0, {"id": 1}),
        }
        for label, (cursor, events) in bad_pages.items():
            with self.subTest(label), self.assertRaises(ValidationError):
                self.sync.apply_events(self.company.id, cursor, events)
        self.assertRecordValues(invoice, [{"state": "sent"}])

    def test_a_bigger_page_costs_no_more_queries_per_page(self):
        """Set-based: one search for the page, grouped writes, batch notes."""
        invoices = self.invoices
        for price in range(40, 70):
            invoices |= self._make_invoice(price=float(price))
        small, large = invoices[:3], invoices[3:]

        def queries_for(page, cursor):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.sync.apply_events(
                self.company.id,
                cursor,
                [self._event(cursor + i + 1, "invoice.paid", inv) for i, inv in enumerate(page)],
            )
            return self.env.cr.sql_log_count - before

        small_count = queries_for(small, 0)
        large_count = queries_for(large, len(small))
        self.assertEqual(set(invoices.mapped("state")), {"paid"})
        self.assertLessEqual(large_count, small_count + 5, "queries grow with the page size")


@tagged("post_install", "-at_install")
class TestRetryAndSnapshot(BillingSyncCase):
    def test_retry_pushes_goes_through_failed_and_unknown_invoices_in_batches(self):
        failed = self._make_invoice(billing_id=False)
        synced = self._make_invoice()
        unknown = self._make_invoice(billing_id=False)
        also_failed = self._make_invoice(billing_id=False)
        (failed | also_failed).sudo().write({"billing_state": "failed"})
        unknown.sudo().write({"billing_state": "unknown"})
        self._connect_billing()
        first = self.sync.retry_pushes(self.company.id, 2, 0)
        self.assertEqual(first["processed"], 2)
        self.assertEqual(first["last_id"], unknown.id)
        # Nothing listens at the billing URL: both were really tried, and neither could be
        # resolved, so each keeps its state (an unknown one may still exist in billing).
        self.assertEqual(first["outcomes"], {"failed": 1, "unknown": 1})
        self.assertIn("127.0.0.1", failed.billing_error or "")
        second = self.sync.retry_pushes(self.company.id, 2, first["last_id"])
        self.assertEqual((second["processed"], second["last_id"]), (1, also_failed.id))
        self.assertRecordValues(synced, [{"billing_state": "synced", "billing_error": False}])

    def test_local_snapshot_pages_through_the_company_invoices(self):
        invoices = self._make_invoice(price=12.5) | self._make_invoice() | self._make_invoice()
        self._connect_billing()
        first = self.sync.local_snapshot(self.company.id, 0, 2)
        second = self.sync.local_snapshot(self.company.id, first["invoices"][-1]["id"], 2)
        self.assertTrue(first["has_more"])
        self.assertFalse(second["has_more"])
        rows = first["invoices"] + second["invoices"]
        self.assertEqual([row["id"] for row in rows], sorted(invoices.ids))
        self.assertEqual(
            rows[0],
            {
                "id": invoices[0].id,
                "name": invoices[0].name,
                "state": "sent",
                "billing_state": "synced",
                "billing_id": f"inv_{invoices[0].name}",
                "amount_total": "123.75",
                "currency": self.company.currency_id.name,
            },
        )


@tagged("post_install", "-at_install")
class TestReportDrift(BillingSyncCase):
    def _drift(self, *references):
        return [
            {"kind": "paid_outside", "reference": ref, "billing_id": "inv_1", "detail": "paid"}
            for ref in references
        ]

    def _drift_record(self):
        return self.env["tektoro.billing.drift"].search([("company_id", "=", self.company.id)])

    def _activities(self):
        return self._drift_record().activity_ids

    def test_drift_seen_twice_in_a_row_becomes_a_manager_activity(self):
        self._connect_billing()
        first = self.sync.report_drift(self.company.id, self._drift("SYN-00001", "SYN-00002"))
        self.assertEqual(first["persistent"], 0)
        self.assertFalse(self._activities(), "drift seen once may be a race: no activity yet")
        self.assertRecordValues(self._drift_record(), [{"drift_count": 2}])

        second = self.sync.report_drift(self.company.id, self._drift("SYN-00002", "SYN-00003"))
        self.assertEqual(second["persistent"], 1)
        activities = self._activities()
        # One to-do for each manager of the company (the administrator is one too, and so is the
        # demo data's manager when demo data is loaded).
        demo_manager = self.env.ref(
            "tektoro_invoicing.demo_user_manager", raise_if_not_found=False
        ) or self.env["res.users"]
        self.assertEqual(
            activities.user_id, self.manager | self.env.ref("base.user_admin") | demo_manager
        )
        activity = activities.filtered(lambda a: a.user_id == self.manager)
        self.assertIn("SYN-00002", activity.note)
        self.assertNotIn("SYN-00003", activity.note)
        self.assertEqual(activity.summary, "Billing drift persists on 1 invoice(s)")
        # The activity opens the drift record: the manager reads what disagrees there.
        [shown] = self._drift_record().with_user(self.manager).read(["drift_summary"])
        self.assertEqual(
            shown["drift_summary"],
            "SYN-00002: paid in billing, open in Odoo\nSYN-00003: paid in billing, open in Odoo",
        )
        Drift = self.env["tektoro.billing.drift"].with_user(self.manager)
        form = Drift.get_views([(False, "form")])
        self.assertIn("drift_summary", form["views"]["form"]["arch"])

        # Still there at the next run: the same activity is brought up to date, not doubled.
        self.sync.report_drift(self.company.id, self._drift("SYN-00002", "SYN-00003"))
        self.assertEqual(self._activities(), activities)
        self.assertIn("SYN-00003", activity.note)

        # Gone: the activity is marked done.
        self.sync.report_drift(self.company.id, [])
        self.assertFalse(self._activities())
        self.assertRecordValues(self._drift_record(), [{"drift_count": 0}])

    def test_unknown_kinds_of_drift_are_refused(self):
        self._connect_billing()
        with self.assertRaises(ValidationError):
            self.sync.report_drift(self.company.id, [{"kind": "gremlins", "reference": "X"}])


@tagged("post_install", "-at_install")
class TestRetryPushesAgainstTheSandbox(SandboxMixin, WorkOrderCase):
    """The daemon's retry batch, through the addon's push, against real injected faults."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sandbox()

    def test_failed_and_unknown_pushes_end_synced_with_one_external_invoice_each(self):
        self.connect_company(self.company, timeout=0.5)
        self.inject("POST /v1/invoices", "error_before", status=503)
        with self.assertLogs("odoo.addons.tektoro_invoicing.models.tektoro_invoice", "WARNING"):
            failed = self.create_invoice(self.make_work_order())
        self.inject("POST /v1/invoices", "timeout_after", seconds=2)
        with self.assertLogs("odoo.addons.tektoro_invoicing.models.tektoro_invoice", "WARNING"):
            unknown = self.create_invoice(self.make_work_order())
        self.assertRecordValues(
            failed | unknown, [{"billing_state": "failed"}, {"billing_state": "unknown"}]
        )
        sync = self.env["tektoro.billing.sync"].with_user(self.sync_user)

        result = sync.retry_pushes(self.company.id, 50, 0)

        self.assertEqual(result["outcomes"], {"synced": 2})
        for invoice in failed | unknown:
            remote = self.remote_invoices(reference=invoice.name)
            self.assertEqual(len(remote), 1, f"{invoice.name} must exist once in billing")
            self.assertRecordValues(
                invoice, [{"billing_state": "synced", "billing_id": remote[0]["id"]}]
            )

    def test_a_pending_invoice_whose_push_was_lost_is_retried_after_a_grace_period(self):
        """The process died after the commit: one push never ran, one ran but was not recorded."""
        self.connect_company(self.company)
        lost, unrecorded = (
            self.env["tektoro.invoice"].browse(
                self.make_work_order().action_create_invoice()["res_id"]
            )
            for _i in range(2)
        )
        # The hooks of a request that died never run.
        self.env.cr.postcommit.clear()
        response = self.billing.post(
            self.sandbox.url + "/v1/invoices",
            json=unrecorded.sudo()._billing_payload(),
            headers={"Idempotency-Key": unrecorded.sudo().billing_key},
        )
        response.raise_for_status()
        already_there = response.json()["id"]
        sync = self.env["tektoro.billing.sync"].with_user(self.sync_user)

        # Just created: the push after the commit may still be in flight, so it is left alone.
        self.assertEqual(sync.retry_pushes(self.company.id, 50, 0)["processed"], 0)
        self.assertRecordValues(
            lost | unrecorded, [{"billing_state": "pending"}, {"billing_state": "pending"}]
        )

        self.env.cr.execute(
            SQL(
                "UPDATE tektoro_invoice SET create_date = create_date - INTERVAL '3 minutes' "
                "WHERE id IN %s",
                tuple((lost | unrecorded).ids),
            )
        )
        self.env.invalidate_all()
        result = sync.retry_pushes(self.company.id, 50, 0)

        self.assertEqual(result["outcomes"], {"synced": 2})
        for invoice in lost | unrecorded:
            remote = self.remote_invoices(reference=invoice.name)
            self.assertEqual(len(remote), 1, f"{invoice.name} must exist once in billing")
            self.assertRecordValues(
                invoice, [{"billing_state": "synced", "billing_id": remote[0]["id"]}]
            )
        self.assertEqual(unrecorded.billing_id, already_there)


@tagged("post_install", "-at_install")
class TestSyncJobsSideBySide(BaseCase):
    """The events job and the reconcile job of one company, in two real transactions at once.

    The daemon starts both together. Each must write its own row: a transaction that meets a
    row the other is updating waits for it, then fails with a serialization error. A lock
    timeout turns such a wait into an error here, where a real call would hang, then be
    replayed.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with committed_env(cls.registry) as env:
            company = env["res.company"].create(
                {
                    "name": f"Side by Side {uuid.uuid4().hex[:8]}",
                    "tektoro_billing_url": UNREACHABLE_BILLING_URL,
                    "tektoro_billing_api_key": "sk_t",
                }
            )
            # Connected to billing at creation: its cursor and drift records exist from now on,
            # so even the daemon's very first jobs only update rows.
            cls.company_id = company.id
        cls.addClassCleanup(cls._delete_company)

    @classmethod
    def _delete_company(cls):
        with committed_env(cls.registry) as env:
            # Its cursor and drift records go with it (ondelete cascade).
            company = env["res.company"].browse(cls.company_id)
            partner = company.partner_id
            company.unlink()
            partner.unlink()

    def _jobs(self):
        events_cr = self.registry.cursor()
        reconcile_cr = self.registry.cursor()
        self.addCleanup(events_cr.close)
        self.addCleanup(reconcile_cr.close)
        for cr in (events_cr, reconcile_cr):
            cr.execute(SQL("SET LOCAL lock_timeout = '3s'"))
        events = api.Environment(events_cr, SUPERUSER_ID, {})["tektoro.billing.sync"]
        reconcile = api.Environment(reconcile_cr, SUPERUSER_ID, {})["tektoro.billing.sync"]
        return events, reconcile

    def _cursor_and_drift(self):
        with committed_env(self.registry) as env:
            domain = [("company_id", "=", self.company_id)]
            return (
                env["tektoro.billing.cursor"].search(domain).last_event_id,
                env["tektoro.billing.drift"].search(domain).drift_count,
            )

    def _drift(self, count):
        return [
            {"kind": "missing_here", "reference": f"EXT-{n}", "detail": "x"} for n in range(count)
        ]

    def test_connecting_a_company_to_billing_creates_its_sync_records(self):
        with committed_env(self.registry) as env:
            domain = [("company_id", "=", self.company_id)]
            cursor = env["tektoro.billing.cursor"].search(domain)
            self.assertRecordValues(cursor, [{"last_event_id": 0}])
            self.assertEqual(len(env["tektoro.billing.drift"].search(domain)), 1)
            other = env["res.company"].create({"name": f"Later {uuid.uuid4().hex[:8]}"})
            domain = [("company_id", "=", other.id)]
            self.assertFalse(env["tektoro.billing.cursor"].search(domain))
            other.write(
                {"tektoro_billing_url": UNREACHABLE_BILLING_URL, "tektoro_billing_api_key": "k"}
            )
            self.assertEqual(len(env["tektoro.billing.cursor"].search(domain)), 1)
            self.assertEqual(len(env["tektoro.billing.drift"].search(domain)), 1)
            env.cr.rollback()

    def test_reconcile_runs_while_the_events_job_holds_the_cursor(self):
        cursor, _drift = self._cursor_and_drift()
        events, reconcile = self._jobs()
        events.apply_events(self.company_id, cursor, [])  # the cursor row is now locked
        configs = reconcile.get_sync_configs()
        reconcile.report_drift(self.company_id, self._drift(2))
        events.env.cr.commit()
        reconcile.env.cr.commit()
        self.assertIn(self.company_id, [config["company_id"] for config in configs])
        self.assertEqual(self._cursor_and_drift(), (cursor, 2))

    def test_events_apply_while_the_reconcile_job_reports_drift(self):
        cursor, _drift = self._cursor_and_drift()
        events, reconcile = self._jobs()
        reconcile.report_drift(self.company_id, self._drift(3))  # the drift row is now locked
        events.get_sync_configs()
        events.apply_events(self.company_id, cursor, [])
        reconcile.env.cr.commit()
        events.env.cr.commit()
        self.assertEqual(self._cursor_and_drift(), (cursor, 3))
