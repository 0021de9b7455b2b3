"""Who may do what, over real JSON-RPC: one table per concern, one row per cell.

The feature tests already check the main refusals with ``with_user`` (test_invoice_access,
test_billing_sync, test_settings). These tables add every remaining group x model x operation
cell, every public action, the API key through every read path, the PDF route per group and
escaping of user text, all through ``/web/dataset/call_kw`` as a caller outside Odoo meets it.
"""

import itertools

from markupsafe import Markup
from odoo.tests import HttpCase, tagged

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
        }[model]

    WRITE_VALUES = {
        "tektoro.device.model": {"cost": 7.0},
        "tektoro.work.order": {"description": "Changed"},
        "tektoro.work.order.line": {"price_unit": 2.0},
        "tektoro.invoice": {"amount_total": 1.0},
        "tektoro.invoice.line": {"price_unit": 1.0},
        "tektoro.billing.cursor": {"last_event_id": 99},
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
