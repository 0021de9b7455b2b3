"""Who may do what, over real JSON-RPC: one table per concern, one row per cell.

The feature tests already check the main refusals with ``with_user`` (test_invoice_access,
test_billing_sync, test_settings). These tables add every remaining group x model x operation
cell, every public action, the API key through every read path, the PDF route per group and
escaping of user text, all through ``/web/dataset/call_kw`` as a caller outside Odoo meets it.
"""

import itertools

from lxml import etree
from markupsafe import Markup
from odoo.addons.base.models.res_users import name_boolean_group, name_selection_groups
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from .common import TektoroMasterInvoiceCase
from .rpc_common import RpcMixin
from .work_order_common import WorkOrderCase

ROLES = ("contractor", "office", "manager", "sync", "internal", "portal")
ACCESS_ERROR = "AccessError"
_names = itertools.count(1)

# Model → the operations each role may perform (R read, C create, W write, U unlink). A role
# not listed may do nothing. Work-order invoices and their lines change only through actions.
MODEL_RIGHTS = {
    "tektoro.device.model": {"office": "R", "manager": "RCWU"},
    "tektoro.work.order": {"office": "RCWU", "manager": "RCWU"},
    "tektoro.work.order.line": {"office": "RCWU", "manager": "RCWU"},
    "tektoro.invoice": {"office": "R", "manager": "R", "sync": "R"},
    "tektoro.invoice.line": {"office": "R", "manager": "R", "sync": "R"},
    "tektoro.billing.cursor": {"manager": "R", "sync": "R"},
    "tektoro.billing.drift": {"manager": "R"},
}

# Public methods → the roles that may call them. Every other role gets an AccessError.
OFFICE = ("office", "manager")
ACTION_RIGHTS = {
    ("tektoro.work.order", "action_start"): OFFICE,
    ("tektoro.work.order", "action_complete"): OFFICE,
    ("tektoro.work.order", "action_create_invoice"): OFFICE,
    ("tektoro.work.order", "action_open_create_invoice_wizard"): OFFICE,
    ("tektoro.work.order", "action_view_invoices"): OFFICE,
    ("tektoro.work.order", "message_post"): OFFICE,
    ("tektoro.invoice", "action_cancel"): OFFICE,
    ("tektoro.invoice", "action_retry_push"): OFFICE,
    ("tektoro.invoice", "action_print_pdf"): (*OFFICE, "sync"),
    ("tektoro.invoice", "message_post"): (*OFFICE, "sync"),
    ("tektoro.invoice.create.wizard", "create"): OFFICE,
    ("tektoro.company.settings", "create"): ("manager",),
    ("tektoro.billing.sync", "get_sync_configs"): ("sync",),
    ("tektoro.billing.sync", "apply_events"): ("sync",),
    ("tektoro.billing.sync", "retry_pushes"): ("sync",),
    ("tektoro.billing.sync", "local_snapshot"): ("sync",),
    ("tektoro.billing.sync", "report_drift"): ("sync",),
}


class SecurityCase(RpcMixin, WorkOrderCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_plain_users()
        cls.users = {
            "contractor": cls.contractor,
            "office": cls.office,
            "manager": cls.manager,
            "sync": cls.sync_user,
            "internal": cls.internal,
            "portal": cls.portal,
        }

    def assert_outcome(self, outcome, allowed, label):
        if allowed:
            self.assertIsNone(outcome.error, f"{label}: refused: {outcome.message}")
            self.assertEqual(outcome.status, 200, label)
        else:
            self.assertEqual(outcome.error_class, ACCESS_ERROR, f"{label}: {outcome}")


@tagged("post_install", "-at_install")
class TestAccessMatrix(SecurityCase):
    # ------------------------------------------------------------------ fixtures per cell

    def fresh(self, model):
        """A new record of ``model`` that a cell may read, change or delete."""
        env = self.env(user=self.office)
        if model == "tektoro.device.model":
            return self.env[model].create({"name": f"Device {next(_names)}", "cost": 1.0})
        if model == "tektoro.work.order":
            return self.make_work_order(state="draft")
        if model == "tektoro.work.order.line":
            return self.make_work_order(state="draft").line_ids[:1]
        if model in ("tektoro.invoice", "tektoro.invoice.line"):
            # Local invoices: the cells test rights, not the billing system.
            self.company.sudo().tektoro_billing_url = False
            invoice = self.create_invoice(self.make_work_order())
            return invoice if model == "tektoro.invoice" else invoice.line_ids[:1]
        if model == "tektoro.billing.cursor":
            self.company.sudo().tektoro_billing_url = "http://127.0.0.1:9"
            return env["tektoro.billing.sync"].sudo()._ensure_cursors(self.company)[self.company]
        if model == "tektoro.billing.drift":
            sync = env["tektoro.billing.sync"].sudo()
            return sync._company_records(model, self.company)[self.company]
        raise AssertionError(model)

    def create_values(self, model):
        work_order = self.make_work_order(state="draft")
        return {
            "tektoro.device.model": {"name": f"Device {next(_names)}", "cost": 5.0},
            "tektoro.work.order": {
                "partner_id": self.customer.id,
                "device_model_id": self.router.id,
            },
            "tektoro.work.order.line": {
                "work_order_id": work_order.id,
                "name": "Fuse",
                "price_unit": 1.0,
            },
            "tektoro.invoice": {"name": "FAKE-1", "work_order_id": work_order.id},
            "tektoro.invoice.line": {
                "invoice_id": self.fresh("tektoro.invoice").id,
                "name": "Forged",
            },
            "tektoro.billing.cursor": {"company_id": self.company.id},
            "tektoro.billing.drift": {"company_id": self.company.id},
        }[model]

    WRITE_VALUES = {
        "tektoro.device.model": {"cost": 7.0},
        "tektoro.work.order": {"description": "Changed"},
        "tektoro.work.order.line": {"price_unit": 2.0},
        "tektoro.invoice": {"amount_total": 1.0},
        "tektoro.invoice.line": {"price_unit": 1.0},
        "tektoro.billing.cursor": {"last_event_id": 99},
        "tektoro.billing.drift": {"drift_count": 99},
    }

    def call_operation(self, user, model, operation):
        if operation == "R":
            record = self.fresh(model)
            outcome = self.rpc(
                user, model, "search_read", [("id", "=", record.id)], ["display_name"]
            )
            if not outcome.error:
                self.assertEqual([row["id"] for row in outcome.result], record.ids)
            return outcome
        if operation == "C":
            return self.rpc(user, model, "create", [self.create_values(model)])
        record = self.fresh(model)
        if operation == "W":
            return self.rpc(user, model, "write", record.ids, self.WRITE_VALUES[model])
        outcome = self.rpc(user, model, "unlink", record.ids)
        if not outcome.error:
            self.assertFalse(record.exists())
        return outcome

    def test_every_group_against_every_model_and_operation(self):
        for role, (model, rights) in itertools.product(ROLES, MODEL_RIGHTS.items()):
            for operation in "RCWU":
                allowed = operation in rights.get(role, "")
                label = f"{role} {operation} {model}"
                with self.subTest(role=role, model=model, operation=operation):
                    outcome = self.call_operation(self.users[role], model, operation)
                    self.assert_outcome(outcome, allowed, label)

    # ------------------------------------------------------------------ public methods

    def action_call(self, model, method):
        """The arguments of one call of ``method``, on a record prepared for it."""
        company_id = self.company.id
        if model == "tektoro.work.order":
            state = {"action_start": "draft", "action_complete": "in_progress"}.get(
                method, "completed"
            )
            record = self.make_work_order(state=state)
            if method == "message_post":
                return [record.ids], {"body": "Hello"}
            return [record.ids], {}
        if model == "tektoro.invoice":
            invoice = self.fresh("tektoro.invoice")
            if method == "action_retry_push":
                invoice.sudo().write({"billing_state": "failed"})
            if method == "message_post":
                return [invoice.ids], {"body": "Hello"}
            return [invoice.ids], {}
        if model == "tektoro.invoice.create.wizard":
            return [{"work_order_id": self.make_work_order().id}], {}
        if model == "tektoro.company.settings":
            return [{"tektoro_invoice_prefix": "MGR"}], {}
        self.company.sudo().write(
            {"tektoro_billing_url": "http://127.0.0.1:9", "tektoro_billing_api_key": "sk_x"}
        )
        self.env["tektoro.billing.sync"].sudo()._ensure_cursors(self.company)
        return {
            "get_sync_configs": ([], {}),
            "apply_events": ([company_id, 0, []], {}),
            "retry_pushes": ([company_id, 10, 0], {}),
            "local_snapshot": ([company_id, 0, 10], {}),
            "report_drift": ([company_id, []], {}),
        }[method]

    def test_every_group_against_every_public_method(self):
        for role, ((model, method), allowed_roles) in itertools.product(
            ROLES, ACTION_RIGHTS.items()
        ):
            with self.subTest(role=role, model=model, method=method):
                args, kwargs = self.action_call(model, method)
                outcome = self.rpc(self.users[role], model, method, *args, **kwargs)
                self.assert_outcome(outcome, role in allowed_roles, f"{role} {model}.{method}")

    def test_private_methods_are_not_callable_over_rpc(self):
        invoice = self.fresh("tektoro.invoice")
        for role in ("office", "manager", "sync"):
            for model, method, args in (
                ("tektoro.invoice", "_do_cancel", [invoice.ids]),
                ("tektoro.invoice", "_billing_push", [invoice.ids]),
                ("tektoro.billing.sync", "_get_sync_configs", []),
            ):
                with self.subTest(role=role, method=method):
                    outcome = self.rpc(self.users[role], model, method, *args)
                    self.assertEqual(outcome.error_class, ACCESS_ERROR, outcome)
        self.assertRecordValues(invoice, [{"state": "sent"}])


@tagged("post_install", "-at_install")
class TestApiKeyStaysSecret(SecurityCase):
    SECRET = "sk_live_do_not_leak"  # noqa: S105 - the secret the test makes sure never leaks

    def test_no_read_path_shows_the_key_to_non_administrators(self):
        self.company.sudo().tektoro_billing_api_key = self.SECRET
        invoice = self.create_invoice(self.make_work_order())
        company_ids = self.company.ids
        key = "tektoro_billing_api_key"
        # path → (model, method, args, kwargs, how it is kept secret): "refused" is an
        # AccessError, "dropped" an answer without the field.
        refused, dropped = "refused", "dropped"
        paths = {
            "read": ("res.company", "read", [company_ids, [key]], {}, refused),
            "search_read": ("res.company", "search_read", [[], [key]], {}, refused),
            "web_read": (
                "res.company",
                "web_read",
                [company_ids],
                {"specification": {key: {}}},
                refused,
            ),
            "read_group by key": (
                "res.company",
                "read_group",
                [[], ["id:count"], [key]],
                {"lazy": False},
                refused,
            ),
            "read_group aggregate": (
                "res.company",
                "read_group",
                [[], [f"{key}:array_agg"], []],
                {},
                refused,
            ),
            "export_data": ("res.company", "export_data", [company_ids, [key]], {}, refused),
            "search on the key": (
                "res.company",
                "search_count",
                [[(key, "=like", "sk_%")]],
                {},
                refused,
            ),
            "search through a relation": (
                "res.users",
                "search_count",
                [[("company_id." + key, "=like", "sk_%")]],
                {},
                refused,
            ),
            "order by the key": ("res.company", "search", [[]], {"order": key}, refused),
            "settings default_get": ("res.config.settings", "default_get", [[key]], {}, dropped),
            "settings create": ("res.config.settings", "create", [{}], {}, refused),
            "TekToro settings default_get": (
                "tektoro.company.settings",
                "default_get",
                [[key]],
                {},
                dropped,
            ),
            "TekToro settings create": (
                "tektoro.company.settings",
                "create",
                [{key: "sk_mine"}],
                {},
                refused,
            ),
            "fields_get": ("res.company", "fields_get", [], {"attributes": ["string"]}, dropped),
            "invoice idempotency key": (
                "tektoro.invoice",
                "read",
                [invoice.ids, ["billing_key"]],
                {},
                refused,
            ),
        }
        # Exporting needs its own right: grant it, so the export row tests the field itself.
        exporters = self.env.ref("base.group_allow_export")
        exporters.users |= self.office | self.manager | self.contractor | self.sync_user
        exporters.users |= self.internal
        for role in ("contractor", "office", "manager", "sync", "internal", "portal"):
            for path, (model, method, args, kwargs, how) in paths.items():
                with self.subTest(role=role, path=path):
                    outcome = self.rpc(self.users[role], model, method, *args, **kwargs)
                    self.assertNotIn(self.SECRET, str(outcome.result))
                    self.assertNotIn(invoice.sudo().billing_key, str(outcome.result))
                    if how == dropped:
                        self.assertIsNone(outcome.error, outcome)
                        self.assertNotIn(key, outcome.result)
                    elif role == "portal" and path == "export_data":
                        self.assertRegex(outcome.message, "rights to export")
                    else:
                        self.assertEqual(outcome.error_class, ACCESS_ERROR, outcome)
        # An administrator does read it, so the rows above can fail.
        admin = self.env.ref("base.user_admin")
        admin.password = "admin"  # noqa: S105 - the test database's own admin
        self.authenticate("admin", "admin")
        self._rpc_user = admin
        outcome = self.rpc(admin, "res.company", "read", company_ids, [key])
        self.assertEqual(outcome.result[0][key], self.SECRET)


@tagged("post_install", "-at_install")
class TestRoutesAndEscaping(SecurityCase):
    def test_pdf_route_per_group(self):
        invoice = self.create_invoice(self.make_work_order())
        expected = {
            "contractor": 404,
            "office": 200,
            "manager": 200,
            "sync": 200,
            "internal": 404,
            "portal": 404,
        }
        urls = {
            "the invoice": (f"/tektoro/invoices/{invoice.id}/pdf", None),
            "a missing id": (f"/tektoro/invoices/{invoice.id + 10**6}/pdf", 404),
            "a negative id": (f"/tektoro/invoices/-{invoice.id}/pdf", 404),
            "a non-integer id": ("/tektoro/invoices/1%20OR%201=1/pdf", 404),
        }
        for role, status in expected.items():
            self.authenticate(self.users[role].login, self.users[role].login)
            for what, (url, fixed_status) in urls.items():
                with self.subTest(role=role, url=what):
                    response = self.url_open(url)
                    self.assertEqual(response.status_code, fixed_status or status)
                    if response.status_code == 404:
                        self.assertNotIn(invoice.name.encode(), response.content)

    def test_user_text_is_escaped_in_the_report_and_the_chatter(self):
        payload = "<script>alert('x')</script><img src=x onerror=alert(1)>"
        escaped = "&lt;script&gt;"
        self.customer.name = f"Evil {payload}"
        work_order = self.make_work_order(lines=[(payload, 1.0, 10.0)])
        invoice = self.create_invoice(work_order)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("tektoro_invoicing.report_tektoro_invoice", invoice.ids)[0]
            .decode()
        )
        self.assertNotIn("<script>", html)
        self.assertNotIn("<img src=x", html)
        self.assertIn(escaped, html)

        # A note typed by an office user on the work order and on the invoice, over RPC.
        for record in (work_order, invoice):
            with self.subTest(model=record._name):
                outcome = self.rpc(
                    self.office,
                    record._name,
                    "message_post",
                    record.ids,
                    body=payload,
                    message_type="comment",
                )
                self.assertIsNone(outcome.error, outcome)
                message = self.env["mail.message"].browse(outcome.result)
                self.assertNotIn("<script>", message.body)
                self.assertIn(escaped, message.body)

        # Text the billing system sends back lands in a manager's activity: escaped too.
        self.company.sudo().write(
            {"tektoro_billing_url": "http://127.0.0.1:9", "tektoro_billing_api_key": "sk_x"}
        )
        drift = [{"kind": "amount_differs", "reference": payload, "detail": payload}]
        for _attempt in range(2):
            outcome = self.rpc(
                self.sync_user, "tektoro.billing.sync", "report_drift", self.company.id, drift
            )
            self.assertIsNone(outcome.error, outcome)
        activities = self.env["mail.activity"].browse(outcome.result["activity_ids"])
        self.assertTrue(activities)
        for note in activities.mapped("note"):
            self.assertIsInstance(note, Markup)
            self.assertNotIn("<script>", note)
            self.assertIn(escaped, note)


# ---------------------------------------------------------------------- master-invoice side

# A contractor's records are John Doe's ("contractor"); Mary Major ("other_contractor") is a
# contractor too, and must never reach them.
MASTER_ROLES = ("contractor", "other_contractor", "office", "manager", "sync", "internal", "portal")
OWNER = ("contractor", "manager")
MANAGER = ("manager",)

# Model → the operations each role may perform on (or, for C, create as) John's records. A role
# not listed gets an AccessError; REFUSED_OTHERWISE names the cells refused with another error.
MASTER_MODEL_RIGHTS = {
    "tektoro.ticket": {"contractor": "RCWU", "manager": "RCWU"},
    "tektoro.master.invoice": {"contractor": "RCWU", "manager": "RCWU"},
    "tektoro.client.invoice": {"manager": "RWU"},
}
REFUSED_OTHERWISE = {
    # Client invoices are only ever generated (generate_for_period), even by a manager.
    ("tektoro.client.invoice", "manager", "C"): ("UserError", "generated for a period"),
}

# (model, method, fixture, kwargs, context, roles that may call it); every other role gets an
# AccessError and the fixture is left as it was. Fixtures belong to John.
EVERY_CONTRACTOR = (*OWNER, "other_contractor")
MASTER_ACTION_RIGHTS = [
    ("tektoro.ticket", "action_approve", "draft ticket", {}, {}, MANAGER),
    ("tektoro.ticket", "action_reset_to_draft", "approved ticket", {}, {}, MANAGER),
    ("tektoro.ticket", "action_remove_from_master_invoice", "bundled ticket", {}, {}, OWNER),
    ("tektoro.ticket", "message_post", "approved ticket", {"body": "Hello"}, {}, OWNER),
    ("tektoro.master.invoice", "action_refresh_tickets", "draft", {}, {}, OWNER),
    ("tektoro.master.invoice", "action_submit", "draft", {}, {}, OWNER),
    ("tektoro.master.invoice", "action_approve", "submitted", {"message": "OK"}, {}, MANAGER),
    ("tektoro.master.invoice", "action_reject", "submitted", {"message": "No"}, {}, MANAGER),
    ("tektoro.master.invoice", "action_mark_paid", "approved", {}, {}, MANAGER),
    (
        "tektoro.master.invoice",
        "action_open_review_wizard",
        "submitted",
        {},
        {"review_decision": "reject"},
        MANAGER,
    ),
    ("tektoro.master.invoice", "action_print", "draft", {}, {}, OWNER),
    ("tektoro.master.invoice", "message_post", "draft", {"body": "Hello"}, {}, OWNER),
    ("tektoro.master.invoice", "retrieve_dashboard", None, {"domain": []}, {}, EVERY_CONTRACTOR),
    ("tektoro.master.invoice.create.wizard", "create", "period", {}, {}, EVERY_CONTRACTOR),
    ("tektoro.master.invoice.review.wizard", "create", "review", {}, {}, MANAGER),
    ("tektoro.client.invoice", "generate_for_period", "generate", {}, {}, MANAGER),
    ("tektoro.client.invoice", "action_send", "draft client", {}, {}, MANAGER),
    ("tektoro.client.invoice", "action_send_by_email", "draft client", {}, {}, MANAGER),
    ("tektoro.client.invoice", "action_mark_paid", "sent client", {}, {}, MANAGER),
    ("tektoro.client.invoice", "action_cancel", "draft client", {}, {}, MANAGER),
    ("tektoro.client.invoice", "action_print", "draft client", {}, {}, MANAGER),
    ("tektoro.client.invoice", "message_post", "draft client", {"body": "Hello"}, {}, MANAGER),
    ("tektoro.client.invoice", "retrieve_dashboard", None, {"domain": []}, {}, MANAGER),
    ("tektoro.client.invoice.generate.wizard", "create", "period", {}, {}, MANAGER),
]

# What a refused call must leave as it was, per model.
WATCHED_FIELDS = {
    "tektoro.ticket": ["state", "description", "master_invoice_id", "client_invoice_id"],
    "tektoro.master.invoice": ["state", "note", "ticket_count", "approver_id"],
    "tektoro.client.invoice": ["state", "note", "ticket_count"],
}


class MasterSecurityCase(SecurityCase, TektoroMasterInvoiceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users["other_contractor"] = cls.contractor_2
        # Send by Email needs somewhere to send to.
        cls.client_a.email = "billing@client-a.example.com"

    def assert_refused(self, outcome, error_class, label, pattern=None):
        self.assertEqual(outcome.status, 200, f"{label}: HTTP {outcome.status}")
        self.assertEqual(outcome.error_class, error_class, f"{label}: {outcome}")
        self.assertTrue(outcome.message.strip(), f"{label}: no message")
        if pattern:
            self.assertRegex(outcome.message, pattern, label)

    def fixture(self, kind):
        """A record of John's (or a model's arguments) that one cell acts on."""
        builders = {
            "draft ticket": lambda: self._ticket_on_fresh_day(state="draft"),
            "approved ticket": lambda: self._ticket_on_fresh_day(),
            "bundled ticket": lambda: self._master_invoice_in("draft").ticket_ids,
            "draft": lambda: self._master_invoice_in("draft"),
            "submitted": lambda: self._master_invoice_in("submitted"),
            "approved": lambda: self._master_invoice_in("approved"),
            "draft client": lambda: self._client_invoice_in("draft"),
            "sent client": lambda: self._client_invoice_in("sent"),
        }
        return builders[kind]()

    def snapshot(self, record):
        self.env.invalidate_all()
        values = record.sudo().read(WATCHED_FIELDS[record._name])
        messages = (
            self.env["mail.message"]
            .sudo()
            .search_count([("model", "=", record._name), ("res_id", "in", record.ids)])
        )
        return values, messages


@tagged("post_install", "-at_install")
class TestMasterInvoiceAccessMatrix(MasterSecurityCase):
    """Tickets, master and client invoices: every group x operation x action, over JSON-RPC."""

    # ------------------------------------------------------------------ CRUD cells

    def fresh(self, model):
        return {
            "tektoro.ticket": lambda: self.fixture("draft ticket"),
            "tektoro.master.invoice": lambda: self.fixture("draft"),
            "tektoro.client.invoice": lambda: self.fixture("draft client"),
        }[model]()

    def create_values(self, model):
        """Values that make a record of John's, or a client invoice."""
        day = self._fresh_day()
        if model == "tektoro.ticket":
            return {
                "contractor_id": self.contractor.id,
                "client_id": self.client_a.id,
                "work_date": day,
                "description": "Recorded over RPC",
                "hours": 1.0,
                "amount": 10.0,
            }
        if model == "tektoro.master.invoice":
            day = self._ticket_on_fresh_day().work_date.isoformat()
            return {"contractor_id": self.contractor.id, "date_from": day, "date_to": day}
        self._ticket_on_fresh_day(client=self.client_b)
        return {"client_id": self.client_b.id, "date_from": day, "date_to": day}

    WRITE_VALUES = {
        "tektoro.ticket": {"description": "Changed over RPC"},
        "tektoro.master.invoice": {"note": "Changed over RPC"},
        "tektoro.client.invoice": {"note": "Changed over RPC"},
    }

    def call_operation(self, user, model, operation, allowed):
        """One cell; checks what it did (or that it did nothing) and returns the outcome."""
        if operation == "C":
            Model = self.env[model].sudo()
            before = Model.search_count([])
            outcome = self.rpc(user, model, "create", [self.create_values(model)])
            if not outcome.error and "contractor_id" in Model._fields:
                self.assertEqual(Model.browse(outcome.result).contractor_id, self.contractor)
            self.assertEqual(Model.search_count([]), before + (0 if outcome.error else 1))
            return outcome
        record = self.fresh(model)
        if operation == "R":
            # Searching never shows another's records; reading them by id is refused.
            found = self.rpc(user, model, "search_read", [("id", "=", record.id)], ["id"])
            if found.error:
                self.assertEqual(found.error_class, ACCESS_ERROR, found)
            else:
                self.assertEqual([r["id"] for r in found.result], record.ids if allowed else [])
            outcome = self.rpc(user, model, "read", record.ids, ["display_name"])
            if not outcome.error:
                self.assertEqual([r["id"] for r in outcome.result], record.ids)
            return outcome
        before = self.snapshot(record)
        if operation == "W":
            outcome = self.rpc(user, model, "write", record.ids, self.WRITE_VALUES[model])
            if not outcome.error:
                [(field, value)] = self.WRITE_VALUES[model].items()
                self.assertEqual(record[field], value)
        else:
            outcome = self.rpc(user, model, "unlink", record.ids)
            self.assertEqual(bool(record.exists()), bool(outcome.error))
        if outcome.error:
            self.assertEqual(self.snapshot(record), before, f"{model} {operation}: changed")
        return outcome

    def test_every_group_against_every_master_model_and_operation(self):
        for role, (model, rights) in itertools.product(MASTER_ROLES, MASTER_MODEL_RIGHTS.items()):
            for operation in "RCWU":
                allowed = operation in rights.get(role, "")
                label = f"{role} {operation} {model}"
                with self.subTest(role=role, model=model, operation=operation):
                    outcome = self.call_operation(self.users[role], model, operation, allowed)
                    if allowed:
                        self.assert_outcome(outcome, True, label)
                    else:
                        error, pattern = REFUSED_OTHERWISE.get(
                            (model, role, operation), (ACCESS_ERROR, None)
                        )
                        self.assert_refused(outcome, error, label, pattern)

    # ------------------------------------------------------------------ public methods

    def action_call(self, method, fixture, kwargs):
        """(record or None, args, kwargs) of one call of ``method`` on a fresh ``fixture``."""
        kwargs = dict(kwargs)
        if fixture is None:
            return None, [], kwargs
        if fixture == "period":
            day = self._fresh_day()
            return None, [{"date_from": day, "date_to": day}], kwargs
        if fixture == "generate":
            day = self._ticket_on_fresh_day().work_date.isoformat()
            return None, [day, day], kwargs
        if fixture == "review":
            invoice = self.fixture("submitted")
            values = {"master_invoice_ids": [(6, 0, invoice.ids)], "decision": "reject"}
            return invoice, [values], kwargs
        record = self.fixture(fixture)
        return record, [record.ids], kwargs

    def test_every_group_against_every_master_public_method(self):
        for role, row in itertools.product(MASTER_ROLES, MASTER_ACTION_RIGHTS):
            model, method, fixture, kwargs, context, allowed_roles = row
            with self.subTest(role=role, model=model, method=method):
                record, args, kwargs = self.action_call(method, fixture, kwargs)
                if context:
                    kwargs["context"] = dict(context)
                before = record and self.snapshot(record)
                outcome = self.rpc(self.users[role], model, method, *args, **kwargs)
                label = f"{role} {model}.{method}"
                if role in allowed_roles:
                    self.assert_outcome(outcome, True, label)
                else:
                    self.assert_refused(outcome, ACCESS_ERROR, label)
                    if record:
                        self.assertEqual(self.snapshot(record), before, f"{label}: changed")

    def test_a_contractor_sees_nothing_of_another_contractor(self):
        """Every read path Mary Major might try on John Doe's tickets and invoices."""
        invoice = self._master_invoice_in("submitted")
        ticket = invoice.ticket_ids
        draft_ticket = self._ticket_on_fresh_day(state="draft")
        own = self._master_invoice_in("draft", contractor=self.contractor_2)
        mary = self.contractor_2
        for model, records in (
            ("tektoro.ticket", ticket | draft_ticket),
            ("tektoro.master.invoice", invoice),
        ):
            ids = records.ids
            with self.subTest(model=model):
                found = self.rpc(mary, model, "search_read", [("id", "in", ids)], ["id"])
                self.assertEqual(found.result, [])
                counted = self.rpc(mary, model, "search_count", [("id", "in", ids)])
                self.assertEqual(counted.result, 0)
                named = self.rpc(mary, model, "name_search", records[:1].name, [("id", "in", ids)])
                self.assertEqual(named.result, [])
                grouped = self.rpc(mary, model, "read_group", [("id", "in", ids)], ["id:count"], [])
                self.assertEqual(grouped.result[0]["__count"], 0)
                for method, args, kwargs in (
                    ("read", [ids, ["display_name"]], {}),
                    ("web_read", [ids], {"specification": {"display_name": {}}}),
                ):
                    outcome = self.rpc(mary, model, method, *args, **kwargs)
                    self.assert_refused(outcome, ACCESS_ERROR, f"{model}.{method}")
        # Her own invoice shows her tickets only; her dashboard counts her invoices only.
        outcome = self.rpc(mary, "tektoro.master.invoice", "read", own.ids, ["ticket_ids"])
        self.assertEqual(outcome.result[0]["ticket_ids"], own.ticket_ids.ids)
        dashboard = self.rpc(mary, "tektoro.master.invoice", "retrieve_dashboard", [])
        theirs = self.env["tektoro.master.invoice"].sudo().search([("contractor_id", "=", mary.id)])
        self.assertEqual(dashboard.result["invoice_count"], len(theirs))
        self.assertEqual(dashboard.result["amount_total"], sum(theirs.mapped("amount_total")))

    def test_nobody_reviews_their_own_invoice_or_ticket(self):
        """Max Manager bills his own work: as its contractor he may not review it."""
        invoice = self._master_invoice_in("submitted", contractor=self.manager)
        ticket = self._ticket_on_fresh_day(contractor=self.manager, state="draft")
        wizard_values = {"master_invoice_ids": [(6, 0, invoice.ids)], "decision": "approve"}
        review = "tektoro.master.invoice.review.wizard"
        rows = (
            ("approve", invoice, "action_approve", [invoice.ids], {"message": "Self"}),
            ("reject", invoice, "action_reject", [invoice.ids], {"message": "Self"}),
            (
                "open the review dialog",
                invoice,
                "action_open_review_wizard",
                [invoice.ids],
                {"context": {"review_decision": "approve"}},
            ),
            ("approve a ticket", ticket, "action_approve", [ticket.ids], {}),
        )
        for label, record, method, args, kwargs in rows:
            with self.subTest(label):
                before = self.snapshot(record)
                outcome = self.rpc(self.manager, record._name, method, *args, **kwargs)
                self.assert_refused(outcome, "UserError", label, "your own (invoice|ticket)")
                self.assertEqual(self.snapshot(record), before, f"{label}: changed")
        # Through the dialog: it opens for the manager, confirming is refused.
        created = self.rpc(self.manager, review, "create", [wizard_values])
        self.assertIsNone(created.error, created)
        before = self.snapshot(invoice)
        outcome = self.rpc(self.manager, review, "action_confirm", created.result)
        self.assert_refused(outcome, "UserError", "the dialog", "your own invoice")
        self.assertEqual(self.snapshot(invoice), before)
        # Another manager may.
        other_manager = self._make_user(
            "tk_manager_2", "Nina Manager", "tektoro_invoicing.group_manager"
        )
        outcome = self.rpc(other_manager, invoice._name, "action_approve", invoice.ids)
        self.assertIsNone(outcome.error, outcome)
        self.assertRecordValues(invoice, [{"state": "approved", "approver_id": other_manager.id}])


PAYLOAD = "<script>alert(1)</script><b>x</b>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;"


@tagged("post_install", "-at_install")
class TestMasterInvoiceEscaping(MasterSecurityCase):
    """A manager's word and a contractor's text reach chatter, email and report as text."""

    def assert_escaped(self, html, label):
        self.assert_not_live(html, label)
        self.assertIn(ESCAPED, html, label)

    def assert_not_live(self, html, label):
        self.assertNotIn("<script>alert(1)", html, label)
        self.assertNotIn("<b>x</b>", html, label)

    def assert_review_reaches_contractor_escaped(self, invoice, act, event):
        """Run ``act`` (the manager's RPC calls); check every message and email it made."""
        Message, Mail = self.env["mail.message"].sudo(), self.env["mail.mail"].sudo()
        on_invoice = [("model", "=", invoice._name), ("res_id", "=", invoice.id)]
        seen_messages, seen_mails = Message.search(on_invoice), Mail.search(on_invoice)
        act()
        self.env.invalidate_all()
        messages = Message.search(on_invoice) - seen_messages
        mails = Mail.search(on_invoice) - seen_mails
        for message in messages:
            self.assert_not_live(message.body, f"{event}: message {message.id}")
        # The notice addressed to the contractor (the state's tracking message has the same
        # subtype, and no body).
        subtype = self.env.ref(f"tektoro_invoicing.mt_master_invoice_{event}")
        notice = messages.filtered(
            lambda m: m.subtype_id == subtype and self.contractor.partner_id in m.partner_ids
        )
        self.assertEqual(len(notice), 1, f"{event}: one notice in the chatter")
        self.assert_escaped(notice.body, f"{event}: chatter notice")
        email = mails.filtered(lambda m: self.contractor.partner_id in m.recipient_ids)
        self.assertEqual(len(email), 1, f"{event}: one email to the contractor")
        self.assert_escaped(email.body_html, f"{event}: email")
        for mail in mails:
            self.assert_not_live(mail.body_html, f"{event}: mail {mail.id}")
        return messages

    def test_rejection_and_approval_messages_are_escaped_in_chatter_and_email(self):
        rejected = self._master_invoice_in("submitted")
        messages = self.assert_review_reaches_contractor_escaped(
            rejected,
            lambda: self.assertIsNone(
                self.rpc(
                    self.manager, rejected._name, "action_reject", rejected.ids, message=PAYLOAD
                ).error
            ),
            "rejected",
        )
        # The manager's approval activity is marked done with the message as its feedback.
        feedback = messages.filtered(lambda m: "Feedback" in m.body)
        self.assertTrue(feedback, "the activity's feedback is in the chatter")
        self.assert_escaped(feedback.body, "activity feedback")

        approved = self._master_invoice_in("submitted")
        review = "tektoro.master.invoice.review.wizard"

        def approve_through_the_dialog():
            values = {
                "master_invoice_ids": [(6, 0, approved.ids)],
                "decision": "approve",
                "message": PAYLOAD,
            }
            wizard = self.rpc(self.manager, review, "create", [values])
            confirmed = self.rpc(self.manager, review, "action_confirm", wizard.result)
            self.assertIsNone(confirmed.error, confirmed)

        self.assert_review_reaches_contractor_escaped(
            approved, approve_through_the_dialog, "approved"
        )
        # The payment notice repeats the approval message.
        self.assert_review_reaches_contractor_escaped(
            approved,
            lambda: self.assertIsNone(
                self.rpc(self.manager, approved._name, "action_mark_paid", approved.ids).error
            ),
            "paid",
        )
        self.assertRecordValues(rejected, [{"state": "rejected", "rejection_message": PAYLOAD}])
        self.assertRecordValues(approved, [{"state": "paid", "approval_message": PAYLOAD}])

    def test_ticket_text_and_review_messages_are_escaped_in_the_html_reports(self):
        """The documents as the Print menu's HTML reports serve them, over HTTP."""
        values = {
            "client_id": self.client_a.id,
            "work_date": self._fresh_day(),
            "description": PAYLOAD,
            "hours": 1.0,
            "amount": 50.0,
        }
        ticket = self.rpc(self.contractor, "tektoro.ticket", "create", [values])
        self.assertIsNone(
            self.rpc(self.manager, "tektoro.ticket", "action_approve", ticket.result).error
        )
        day = values["work_date"]
        created = self.rpc(
            self.contractor,
            "tektoro.master.invoice",
            "create",
            [{"date_from": day, "date_to": day}],
        )
        invoice = self.env["tektoro.master.invoice"].browse(created.result)
        self.assertIsNone(
            self.rpc(self.contractor, invoice._name, "action_submit", invoice.ids).error
        )
        rejected = self.rpc(
            self.manager, invoice._name, "action_reject", invoice.ids, message=PAYLOAD
        )
        self.assertIsNone(rejected.error, rejected)
        approved = self._master_invoice_in("submitted")
        outcome = self.rpc(
            self.manager, approved._name, "action_approve", approved.ids, message=PAYLOAD
        )
        self.assertIsNone(outcome.error, outcome)
        client_invoice = (
            self.env["tektoro.client.invoice"].with_user(self.manager).generate_for_period(day, day)
        )
        documents = (
            ("rejected master invoice", self.contractor, invoice, 2),  # description, rejection
            ("approved master invoice", self.contractor, approved, 1),  # approval message
            ("client invoice", self.manager, client_invoice, 1),  # description
        )
        for label, user, record, payloads in documents:
            with self.subTest(label):
                report = f"{record._name.replace('.', '_')}_document"
                url = f"/report/html/tektoro_invoicing.report_{report}/{record.id}"
                self.authenticate(user.login, user.login)
                self._rpc_user = user
                response = self.url_open(url)
                self.assertEqual(response.status_code, 200, label)
                self.assert_escaped(response.text, label)
                self.assertEqual(response.text.count(ESCAPED), payloads, label)


@tagged("post_install", "-at_install")
class TestGroupsOnTheUserForm(TransactionCase):
    """An administrator gives the TekToro roles on the user form, outside developer mode."""

    def test_each_role_is_a_choice_on_the_user_form(self):
        contractor, office, manager = (
            self.env.ref(f"tektoro_invoicing.group_{name}")
            for name in ("contractor", "office", "manager")
        )
        admin = new_test_user(
            self.env, "tektoro_user_admin", groups="base.group_user,base.group_erp_manager"
        )
        self.assertFalse(admin.has_group("base.group_no_one"))
        arch = (
            self.env["res.users"]
            .with_user(admin)
            .get_views([(self.env.ref("base.view_users_form").id, "form")])["views"]["form"]["arch"]
        )
        form = etree.fromstring(arch)
        # The form a non-developer sees: one choice per category, in the TekToro section.
        section = form.xpath("//group[@string='TekToro Invoicing']")
        self.assertEqual(len(section), 1, "no TekToro Invoicing section on the user form")
        self.assertEqual(
            section[0].xpath("./field/@name"),
            [name_selection_groups(contractor.ids), name_selection_groups((office | manager).ids)],
        )
        self.assertFalse(
            form.xpath(f"//field[@name='{name_boolean_group(contractor.id)}'][not(@invisible)]"),
            "a TekToro group is a check box, which the form shows in developer mode only",
        )
