"""Push, retry and cancel against the real billing sandbox, through every fault it can inject."""

import ast

import urllib3
from lxml import etree
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL
from odoo.tools.translate import code_translations

from .work_order_common import SandboxMixin, WorkOrderCase, unique_prefix

INVOICE_LOGGER = "odoo.addons.tektoro_invoicing.models.tektoro_invoice"
CREATE = "POST /v1/invoices"
CANCEL = "POST /v1/invoices/"
LOOKUP = "GET /v1/invoices"


class BillingCase(SandboxMixin, WorkOrderCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sandbox()

    def setUp(self):
        super().setUp()
        self.connect_company(self.company)
        self.prefix = self.company.tektoro_invoice_prefix

    def invoice_with_fault(self, match, mode, **options):
        """Create an invoice while the sandbox injects one fault; expect the warning."""
        self.inject(match, mode, **options)
        with self.assertLogs(INVOICE_LOGGER, "WARNING") as logs:
            invoice = self.create_invoice(self.make_work_order())
        self.assertIn(invoice.name, logs.output[0])
        return invoice.with_user(self.office)

    def assert_remote(self, invoice, **expected):
        """The billing system holds exactly one invoice under this number."""
        remote = self.remote_invoices(reference=invoice.name)
        self.assertEqual(len(remote), 1, remote)
        for key, value in expected.items():
            self.assertEqual(remote[0][key], value, key)
        return remote[0]


@tagged("post_install", "-at_install")
class TestInvoicePush(BillingCase):
    def test_create_pushes_in_the_same_request(self):
        invoice = self.create_invoice(self.make_work_order())
        self.assertRecordValues(
            invoice,
            [{"name": f"{self.prefix}-00001", "billing_state": "synced", "billing_error": False}],
        )
        remote = self.assert_remote(invoice, status="open", total=339.36)
        self.assertEqual(invoice.billing_id, remote["id"])

    def test_currencies_with_no_cents_or_with_fils_are_pushed_in_their_own_unit(self):
        """A yen has no cents and a Bahraini dinar has 1,000 fils: the billing system takes both.

        With the router (200) and the items (113.5), the 8.25 % tax is 25.905 in yen terms,
        which Odoo rounds to 26 JPY, and 25.864 BHD: neither is a whole number of cents.
        """
        for code, tax in (("JPY", 26.0), ("BHD", 25.864)):
            with self.subTest(currency=code):
                currency = self.env.ref(f"base.{code}")
                currency.active = True
                self.company.currency_id = currency
                invoice = self.create_invoice(self.make_work_order())
                self.assertRecordValues(
                    invoice,
                    [{"currency_id": currency.id, "tax_amount": tax, "billing_state": "synced"}],
                )
                self.assert_remote(
                    invoice, currency=code, tax=tax, total=invoice.amount_total, status="open"
                )

    def test_a_redirect_is_reported_where_it_points_not_followed(self):
        """A billing URL that moved (to HTTPS, say). Followed, requests would have sent a GET of
        the same URL instead of the POST, and the list of invoices would have come back as if
        it were the invoice created."""
        https = "https://" + self.sandbox.url.split("://", 1)[1] + "/v1/invoices"
        for location in (https, self.sandbox.url + "/v1/invoices"):
            with self.subTest(location=location):
                invoice = self.invoice_with_fault(CREATE, "redirect", location=location)
                self.assertRecordValues(invoice, [{"billing_state": "failed", "billing_id": False}])
                self.assertIn(
                    f"answered 301 Moved Permanently, pointing to {location}: put the billing "
                    "system's own address in the settings",
                    invoice.billing_error,
                )
                self.assertEqual(self.remote_invoices(reference=invoice.name), [])

    def test_the_push_waits_for_the_request_to_commit(self):
        work_order = self.make_work_order()
        action = work_order.action_create_invoice()
        invoice = self.env["tektoro.invoice"].browse(action["res_id"])
        # Numbered and committed first: until then the billing system has heard nothing.
        self.assertRecordValues(
            invoice, [{"name": f"{self.prefix}-00001", "billing_state": "pending"}]
        )
        self.assertEqual(self.remote_invoices(reference=invoice.name), [])

        self.run_post_commit_hooks()

        self.assertRecordValues(invoice, [{"billing_state": "synced", "billing_error": False}])
        remote = self.assert_remote(invoice, status="open", total=339.36)
        self.assertEqual(invoice.billing_id, remote["id"])

    def test_the_not_in_billing_system_filter_lists_every_invoice_not_there_yet(self):
        failed = self.invoice_with_fault(CREATE, "error_before", status=503)
        synced = self.create_invoice(self.make_work_order())
        action = self.make_work_order().action_create_invoice()
        pending = self.env["tektoro.invoice"].browse(action["res_id"])  # its push never ran
        Invoice = self.env["tektoro.invoice"].with_user(self.office)
        arch = Invoice.get_views([(False, "search")])["views"]["search"]["arch"]
        [domain] = etree.fromstring(arch).xpath("//filter[@name='needs_retry']/@domain")
        listed = Invoice.search(ast.literal_eval(domain))
        self.assertEqual(listed & (failed | synced | pending), failed | pending)

    def test_toggle_off_pushes_the_items_only(self):
        invoice = self.create_invoice(self.make_work_order(), include_unit_price=False)
        self.assertRecordValues(invoice, [{"billing_state": "synced", "amount_total": 122.86}])
        self.assert_remote(invoice, total=122.86)

    def test_http_error_fails_and_retry_pushes_it_once(self):
        invoice = self.invoice_with_fault(CREATE, "error_before", status=503)
        self.assertRecordValues(invoice, [{"state": "sent", "billing_state": "failed"}])
        self.assertIn("503", invoice.billing_error)
        self.assertFalse(self.remote_invoices(reference=invoice.name))
        # The button says how it went: still down...
        self.inject(CREATE, "error_before", status=503)
        with self.assertLogs(INVOICE_LOGGER, "WARNING"):
            notice = invoice.action_retry_push()["params"]
        self.assertEqual(notice["type"], "warning")
        self.assertIn(f"{invoice.name} is still not in the billing system", notice["message"])
        self.assertEqual(notice["next"], {"type": "ir.actions.client", "tag": "soft_reload"})
        # ...then through.
        notice = invoice.action_retry_push()["params"]
        self.assertEqual(
            (notice["type"], notice["message"]),
            ("success", f"{invoice.name} is in the billing system now."),
        )
        self.assertRecordValues(invoice, [{"billing_state": "synced", "billing_error": False}])
        self.assert_remote(invoice, status="open")
        with self.assertRaisesRegex(UserError, "nothing to retry"):
            invoice.action_retry_push()

    def test_retry_without_a_billing_system_says_the_invoice_stays_here(self):
        invoice = self.invoice_with_fault(CREATE, "error_before", status=503)
        self.company.sudo().tektoro_billing_url = False
        notice = invoice.action_retry_push()["params"]
        self.assertEqual(
            notice["message"],
            f"{invoice.name} stays here only: no billing system is configured for its company.",
        )

    def test_error_after_commit_fails_and_retry_adopts_the_existing_invoice(self):
        invoice = self.invoice_with_fault(CREATE, "error_after", status=500)
        self.assertRecordValues(invoice, [{"billing_state": "failed", "billing_id": False}])
        remote = self.assert_remote(invoice)
        invoice.action_retry_push()
        self.assertRecordValues(invoice, [{"billing_state": "synced", "billing_id": remote["id"]}])
        self.assert_remote(invoice)

    def test_timeout_is_unknown_and_retry_looks_it_up(self):
        self.company.sudo().tektoro_billing_timeout = 0.5
        invoice = self.invoice_with_fault(CREATE, "timeout_after", seconds=2)
        self.assertRecordValues(invoice, [{"state": "sent", "billing_state": "unknown"}])
        self.assertIn("may or may not", invoice.billing_error)
        self.assertIn(f"(no answer from {self.sandbox.url} within 0.5 s)", invoice.billing_error)
        remote = self.assert_remote(invoice)
        invoice.action_retry_push()
        self.assertRecordValues(invoice, [{"billing_state": "synced", "billing_id": remote["id"]}])
        self.assert_remote(invoice)

    def test_connection_reset_is_unknown_and_retry_resolves_it(self):
        invoice = self.invoice_with_fault(CREATE, "reset_after")
        self.assertRecordValues(invoice, [{"billing_state": "unknown"}])
        self.assertIn(
            f"(the connection to {self.sandbox.url} broke before the whole answer came)",
            invoice.billing_error,
        )
        invoice.action_retry_push()
        self.assertRecordValues(invoice, [{"billing_state": "synced"}])
        self.assert_remote(invoice)

    def test_an_answer_cut_short_is_unknown_and_retry_resolves_it(self):
        """A 201 that stops mid-body: the billing system made the invoice, only the answer broke."""
        invoice = self.invoice_with_fault(CREATE, "truncate_after")
        self.assertRecordValues(invoice, [{"billing_state": "unknown", "billing_id": False}])
        # urllib3 1.x (Odoo 18's pin) hands over the half body it got; 2.x refuses it as broken.
        if urllib3.__version__.startswith("1."):
            reason = "its answer, 201 Created, was not the JSON the Billing API sends"
        else:
            reason = f"the connection to {self.sandbox.url} broke before the whole answer came"
        self.assertEqual(
            invoice.billing_error,
            "The billing system's answer did not come through, so it may or may not have this "
            f"invoice. Retry looks it up before pushing again. ({reason})",
        )
        remote = self.assert_remote(invoice)
        invoice.action_retry_push()
        self.assertRecordValues(invoice, [{"billing_state": "synced", "billing_id": remote["id"]}])
        self.assert_remote(invoice)

    def test_an_answer_that_is_not_the_invoice_is_unknown_and_retry_resolves_it(self):
        """A 201 whose JSON is not the invoice (no id): made there, but not known by its id."""
        invoice = self.invoice_with_fault(CREATE, "empty_json_after")
        self.assertRecordValues(invoice, [{"billing_state": "unknown", "billing_id": False}])
        self.assertIn(
            "(its answer, 201 Created, was not the JSON the Billing API sends)",
            invoice.billing_error,
        )
        remote = self.assert_remote(invoice)
        invoice.action_retry_push()
        self.assertRecordValues(invoice, [{"billing_state": "synced", "billing_id": remote["id"]}])
        self.assert_remote(invoice)

    def test_a_proxys_error_page_fails_and_retry_pushes_it_once(self):
        invoice = self.invoice_with_fault(CREATE, "gateway_error")
        self.assertRecordValues(invoice, [{"billing_state": "failed"}])
        self.assertEqual(
            invoice.billing_error,
            "The billing system did not take this invoice: its answer, 502 Bad Gateway, was not "
            "the JSON the Billing API sends",
        )
        self.assertFalse(self.remote_invoices(reference=invoice.name))
        invoice.action_retry_push()
        self.assertRecordValues(invoice, [{"billing_state": "synced", "billing_error": False}])
        self.assert_remote(invoice)

    def test_slow_answer_within_the_timeout_syncs(self):
        self.inject(CREATE, "delay", seconds=0.3)
        invoice = self.create_invoice(self.make_work_order())
        self.assertRecordValues(invoice, [{"billing_state": "synced"}])

    def test_connection_refused_fails_and_retry_pushes_once_it_is_back(self):
        self.sandbox.stop()
        try:
            with self.assertLogs(INVOICE_LOGGER, "WARNING") as logs:
                invoice = self.create_invoice(self.make_work_order()).with_user(self.office)
            self.assertRecordValues(invoice, [{"billing_state": "failed"}])
            # The user reads what happened; the transport's exception is for the server log.
            self.assertEqual(
                invoice.billing_error,
                "The billing system did not take this invoice: could not connect to "
                f"{self.sandbox.url}",
            )
            self.assertIn("Connection refused", logs.output[0])
            with self.assertLogs(INVOICE_LOGGER, "WARNING"):
                invoice.action_retry_push()
            self.assertRecordValues(invoice, [{"billing_state": "failed"}])
        finally:
            self.sandbox.start()
        invoice.action_retry_push()
        self.assertRecordValues(invoice, [{"billing_state": "synced"}])
        self.assert_remote(invoice)

    def test_a_url_saved_before_urls_were_checked_fails_with_a_reason(self):
        """Settings refuse such a URL now; one saved by an older version is still stored."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE res_company SET tektoro_billing_url = %s WHERE id = %s",
                "http://",
                self.company.id,
            )
        )
        self.company.invalidate_recordset(["tektoro_billing_url"])
        with self.assertLogs(INVOICE_LOGGER, "WARNING") as logs:
            invoice = self.create_invoice(self.make_work_order())
        self.assertRecordValues(invoice, [{"billing_state": "failed"}])
        self.assertEqual(
            invoice.billing_error,
            "The billing system did not take this invoice: the request could not be sent: check "
            "the billing system URL and API key in the settings",
        )
        self.assertIn("No host supplied", logs.output[0])

    def test_wrong_api_key_fails(self):
        self.company.sudo().tektoro_billing_api_key = "sk_wrong"
        with self.assertLogs(INVOICE_LOGGER, "WARNING"):
            invoice = self.create_invoice(self.make_work_order())
        self.assertRecordValues(invoice, [{"billing_state": "failed"}])
        self.assertRegex(invoice.billing_error, r": it answered 401 \w+: .+")

    def test_failure_reasons_speak_the_users_language(self):
        """The addon words the reason itself, so it translates with the rest of the sentence.

        The French terms are what a French translation file would load for these two strings.
        """
        self.env["res.lang"]._activate_lang("fr_FR")
        key = ("tektoro_invoicing", "fr_FR")
        self.addCleanup(code_translations.python_translations.pop, key, None)
        code_translations.python_translations[key] = {
            "The billing system did not take this invoice: %s": (
                "Le système de facturation n'a pas pris cette facture : %s"
            ),
            "could not connect to %(url)s": "connexion impossible à %(url)s",
        }
        self.company.sudo().tektoro_billing_url = "http://127.0.0.1:9"
        with self.assertLogs(INVOICE_LOGGER, "WARNING"):
            invoice = self.create_invoice(self.make_work_order())
        with self.assertLogs(INVOICE_LOGGER, "WARNING"):
            invoice.with_user(self.office).with_context(lang="fr_FR").action_retry_push()
        self.assertEqual(
            invoice.billing_error,
            "Le système de facturation n'a pas pris cette facture : "
            "connexion impossible à http://127.0.0.1:9",
        )

    def test_failed_lookup_keeps_an_unknown_invoice_unknown(self):
        invoice = self.invoice_with_fault(CREATE, "reset_after")
        self.inject(LOOKUP, "error_before", status=502)
        with self.assertLogs(INVOICE_LOGGER, "WARNING"):
            invoice.action_retry_push()
        self.assertRecordValues(invoice, [{"billing_state": "unknown"}])
        self.assertIn("502", invoice.billing_error)
        invoice.action_retry_push()
        self.assertRecordValues(invoice, [{"billing_state": "synced"}])
        self.assert_remote(invoice)

    def _push_directly(self, reference, total_delta=0.0):
        """Another client already used this reference, under its own idempotency key."""
        response = self.billing.post(
            self.sandbox.url + "/v1/invoices",
            headers={"Idempotency-Key": f"elsewhere-{reference}"},
            json={
                "reference": reference,
                "customer": {"name": "Acme Repairs"},
                "currency": self.currency.name,
                "issued_on": "2024-01-31",
                "lines": [{"description": "All of it", "quantity": 1, "unit_price": 313.5}],
                "subtotal": 313.5,
                "tax_rate": 8.25,
                "tax": 25.86,
                "total": round(339.36 + total_delta, 2),
            }
            if not total_delta
            else {
                "reference": reference,
                "customer": {"name": "Somebody else"},
                "currency": self.currency.name,
                "issued_on": "2024-01-31",
                "lines": [{"description": "Other", "quantity": 1, "unit_price": 10}],
                "subtotal": 10,
                "tax_rate": 0,
                "tax": 0,
                "total": 10,
            },
        )
        response.raise_for_status()
        return response.json()

    def test_duplicate_reference_of_the_same_invoice_is_adopted(self):
        existing = self._push_directly(f"{self.prefix}-00001")
        invoice = self.create_invoice(self.make_work_order())
        self.assertRecordValues(
            invoice, [{"billing_state": "synced", "billing_id": existing["id"]}]
        )

    def test_duplicate_reference_of_another_invoice_fails(self):
        self._push_directly(f"{self.prefix}-00001", total_delta=1)
        with self.assertLogs(INVOICE_LOGGER, "WARNING"):
            invoice = self.create_invoice(self.make_work_order())
        self.assertRecordValues(invoice, [{"billing_state": "failed", "billing_id": False}])
        self.assertIn("for a total of 10", invoice.billing_error)

    def test_batch_push_resolves_many_invoices(self):
        """The sync daemon's entry point: one call settles a page of failed invoices."""
        self.inject(CREATE, "error_before", count=3)
        with self.assertLogs(INVOICE_LOGGER, "WARNING"):
            invoices = self.env["tektoro.invoice"].union(
                *(self.create_invoice(self.make_work_order()) for _i in range(3))
            )
        self.assertEqual(set(invoices.mapped("billing_state")), {"failed"})
        invoices._billing_push()
        self.assertEqual(set(invoices.mapped("billing_state")), {"synced"})
        for invoice in invoices:
            self.assert_remote(invoice)

    def test_the_daemon_s_retry_stops_taking_invoices_once_its_time_is_spent(self):
        """Within the daemon's timeout, whatever the billing system's pace: at least one invoice
        per call, then none once the budget is spent; the next call takes the rest."""
        self.inject(CREATE, "error_before", count=3)
        with self.assertLogs(INVOICE_LOGGER, "WARNING"):
            invoices = self.env["tektoro.invoice"].union(
                *(self.create_invoice(self.make_work_order()) for _i in range(3))
            )
        sync = self.env["tektoro.billing.sync"].with_user(self.sync_user)
        budget = self.env["ir.config_parameter"].sudo()
        budget.set_param("tektoro_invoicing.retry_push_budget_seconds", "0")
        first = sync.retry_pushes(self.company.id, 10, 0)
        self.assertEqual((first["processed"], first["last_id"]), (1, invoices[0].id))
        self.assertEqual(invoices.mapped("billing_state"), ["synced", "failed", "failed"])
        budget.set_param("tektoro_invoicing.retry_push_budget_seconds", "60")
        rest = sync.retry_pushes(self.company.id, 10, first["last_id"])
        self.assertEqual((rest["processed"], rest["outcomes"]), (2, {"synced": 2}))

    def test_without_billing_url_invoices_stay_local(self):
        self.company.sudo().tektoro_billing_url = False
        count = len(self.remote_invoices())
        invoice = self.create_invoice(self.make_work_order())
        self.assertRecordValues(invoice, [{"billing_state": "local", "billing_id": False}])
        self.assertEqual(len(self.remote_invoices()), count)
        with self.assertRaisesRegex(UserError, "nothing to retry"):
            invoice.with_user(self.office).action_retry_push()


@tagged("post_install", "-at_install")
class TestInvoiceCancel(BillingCase):
    def synced_invoice(self):
        invoice = self.create_invoice(self.make_work_order()).with_user(self.office)
        self.assertRecordValues(invoice, [{"billing_state": "synced"}])
        return invoice

    def test_cancel_cancels_in_the_billing_system_first(self):
        invoice = self.synced_invoice()
        invoice.action_cancel()
        self.assertRecordValues(invoice, [{"state": "cancelled"}])
        self.assertTrue(invoice.cancelled_at)
        self.assertRecordValues(invoice.work_order_id, [{"state": "billed"}])
        self.assert_remote(invoice, status="cancelled")

    def assert_cancel_refused(self, invoice, message="did not confirm"):
        with self.assertLogs(INVOICE_LOGGER, "WARNING"), self.assertRaisesRegex(UserError, message):
            invoice.action_cancel()
        self.assertRecordValues(invoice, [{"state": "sent", "cancelled_at": False}])

    def test_failed_external_cancel_changes_nothing_here(self):
        refused = "the billing system did not confirm the cancellation"
        maybe = "did not come through .+, so it may have cancelled it there.+cancel again"
        for mode, message in (
            ("error_before", refused),
            ("gateway_error", refused),
            ("error_after", refused),
            ("timeout_after", maybe),
            ("reset_after", maybe),
            ("truncate_after", maybe),
        ):
            with self.subTest(mode=mode):
                self.company.sudo().tektoro_billing_timeout = 0.5
                invoice = self.synced_invoice()
                self.inject(CANCEL, mode, seconds=2)
                self.assert_cancel_refused(invoice, message)
                # The billing system answers again: cancelling is idempotent there.
                invoice.action_cancel()
                self.assertRecordValues(invoice, [{"state": "cancelled"}])
                self.assert_remote(invoice, status="cancelled")

    def test_invoice_paid_in_the_billing_system_is_not_cancelled(self):
        invoice = self.synced_invoice()
        self.billing.post(
            f"{self.sandbox.url}/v1/invoices/{invoice.billing_id}/payments",
            json={"amount": invoice.amount_total},
        ).raise_for_status()
        with self.assertRaisesRegex(UserError, "recorded its payment"):
            invoice.action_cancel()
        self.assertRecordValues(invoice, [{"state": "sent", "cancelled_at": False}])
        self.assert_remote(invoice, status="paid")

    def test_failed_invoice_missing_there_is_cancelled_here_only(self):
        self.inject(CREATE, "error_before")
        with self.assertLogs(INVOICE_LOGGER, "WARNING"):
            invoice = self.create_invoice(self.make_work_order()).with_user(self.office)
        invoice.action_cancel()
        self.assertRecordValues(invoice, [{"state": "cancelled", "billing_state": "failed"}])
        self.assertFalse(self.remote_invoices(reference=invoice.name))

    def test_failed_invoice_found_there_is_cancelled_there_first(self):
        self.inject(CREATE, "error_after")
        with self.assertLogs(INVOICE_LOGGER, "WARNING"):
            invoice = self.create_invoice(self.make_work_order()).with_user(self.office)
        remote = self.assert_remote(invoice, status="open")
        invoice.action_cancel()
        self.assertRecordValues(
            invoice, [{"state": "cancelled", "billing_state": "synced", "billing_id": remote["id"]}]
        )
        self.assert_remote(invoice, status="cancelled")

    def test_failed_lookup_before_cancel_changes_nothing(self):
        self.inject(CREATE, "reset_after")
        with self.assertLogs(INVOICE_LOGGER, "WARNING"):
            invoice = self.create_invoice(self.make_work_order()).with_user(self.office)
        # A lost answer to the look-up is no reason to think the invoice is cancelled there.
        for mode in ("error_before", "reset_after"):
            with self.subTest(mode=mode):
                self.inject(LOOKUP, mode)
                self.assert_cancel_refused(invoice, "did not confirm the cancellation")
                self.assertRecordValues(
                    invoice, [{"billing_state": "unknown", "billing_id": False}]
                )
                self.assert_remote(invoice, status="open")

    def test_cancel_needs_the_billing_system_it_was_sent_to(self):
        invoice = self.synced_invoice()
        self.company.sudo().tektoro_billing_url = False
        with self.assertRaisesRegex(UserError, "none is configured"):
            invoice.action_cancel()
        self.assertRecordValues(invoice, [{"state": "sent"}])
        self.assert_remote(invoice, status="open")


@tagged("post_install", "-at_install")
class TestSharedBillingAccount(BillingCase):
    """Two companies on one billing account: one company's number series is never the other's,
    not even one it numbered with before changing its prefix."""

    def other_company_on_the_account(self, prefix):
        other = self.env["res.company"].create({"name": "Neighbour Co"})
        other.write(
            {
                "tektoro_billing_url": self.sandbox.url,
                "tektoro_billing_api_key": self.sandbox.api_key,
                "tektoro_billing_timeout": 2.0,
                "tektoro_invoice_prefix": prefix,
                "tektoro_invoices_enabled": True,
            }
        )
        return other

    def first_invoice_of(self, company):
        office = self._make_user(
            "tk_office_neighbour", "Nora Neighbour", "tektoro_invoicing.group_office", company
        )
        router = self.env["tektoro.device.model"].create(
            {"name": "Router R1", "cost": 200.0, "company_id": company.id}
        )
        work_order = self.make_work_order(user=office, device_model_id=router.id)
        return self.create_invoice(work_order)

    def test_a_prefix_given_up_stays_taken_on_its_billing_account(self):
        invoice = self.create_invoice(self.make_work_order())
        self.assertRecordValues(invoice, [{"billing_state": "synced"}])
        self.company.tektoro_invoice_prefix = unique_prefix()
        with (
            self.assertRaisesRegex(ValidationError, f"same prefix {self.prefix}"),
            self.cr.savepoint(),
        ):
            self.other_company_on_the_account(self.prefix)
        other = self.other_company_on_the_account(self.company.tektoro_invoice_prefix + "N")
        # The company that gave the prefix up may not take the other's either.
        with self.assertRaisesRegex(ValidationError, "same prefix"):
            self.company.tektoro_invoice_prefix = other.tektoro_invoice_prefix

    def test_invoices_numbered_outside_any_series_hold_none(self):
        """An invoice named by hand (imported, say) numbers in no series: two such names in two
        companies on one account don't make their prefixes collide."""
        ours = self.create_invoice(self.make_work_order())
        other = self.other_company_on_the_account(self.prefix + "N")
        theirs = self.first_invoice_of(other)
        (ours | theirs).sudo().write({"name": "IMPORTED"})
        other.tektoro_invoice_prefix = self.prefix + "M"
        self.assertEqual(other.tektoro_invoice_prefix, self.prefix + "M")

    def test_another_company_s_invoice_is_never_taken_for_ours(self):
        """The first company leaves the account, its invoices stay there: a second company on
        the account with the same prefix numbers an invoice alike, for the same total."""
        ours = self.create_invoice(self.make_work_order())
        self.company.tektoro_billing_url = False
        other = self.other_company_on_the_account(self.prefix)
        with self.assertLogs(INVOICE_LOGGER, "WARNING"):
            theirs = self.first_invoice_of(other)
        self.assertEqual(theirs.name, ours.name)
        self.assertRecordValues(theirs, [{"billing_state": "failed", "billing_id": False}])
        self.assertIn("is another Odoo invoice's", theirs.billing_error)
        # Nothing of the first company's changed, here or in the billing system.
        self.assertRecordValues(ours, [{"state": "sent", "billing_state": "synced"}])
        self.assert_remote(ours, status="open")
