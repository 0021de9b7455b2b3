"""Work orders, invoices and a real billing sandbox for the tests of both.

The sandbox runs as its own process on a free port, through the project's ``SandboxProcess``
helper, so every fault a test injects is one the real HTTP stack has to survive.
"""

import itertools
import random
import unittest
from unittest.mock import patch

from odoo import Command
from odoo.sql_db import TestCursor
from odoo.tests.common import _super_send

from .common import TektoroCase

try:
    from billing_sandbox.faults import MODES as SANDBOX_FAULT_MODES
    from billing_sandbox.testing import SandboxProcess
except ImportError:  # e.g. the plain odoo:18 image, without the project's Python package
    SandboxProcess, SANDBOX_FAULT_MODES = None, ()

SANDBOX_MISSING = (
    "the billing sandbox is not importable here (billing_sandbox.testing); "
    "install the project's Python package to run the billing tests"
)
# Sandboxes outlive a test's database rollback, so each test numbers its invoices apart.
_prefixes = itertools.count(1)
_run = random.randrange(36**3)


def unique_prefix():
    return f"T{_run:x}{next(_prefixes)}"[:10].upper()


class SandboxMixin:
    """One sandbox per test class; helpers to configure the company and inject faults."""

    sandbox = None

    @classmethod
    def _request_handler(cls, session, request, /, **kwargs):
        """Odoo's tests stretch every timeout to 10 s; the sandbox's faults need the real one."""
        if cls.sandbox is not None and request.url.startswith(cls.sandbox.url + "/"):
            return _super_send(session, request, **kwargs)
        return super()._request_handler(session, request, **kwargs)

    @classmethod
    def start_sandbox(cls):
        if SandboxProcess is None:
            raise unittest.SkipTest(SANDBOX_MISSING)
        cls.sandbox = SandboxProcess().start()
        cls.addClassCleanup(cls.sandbox.close)
        cls.billing = cls.sandbox.client()
        cls.addClassCleanup(cls.billing.close)

    def connect_company(self, company, timeout=2.0):
        company.sudo().write(
            {
                "tektoro_billing_url": self.sandbox.url,
                "tektoro_billing_api_key": self.sandbox.api_key,
                "tektoro_billing_timeout": timeout,
                "tektoro_invoice_prefix": unique_prefix(),
            }
        )

    def inject(self, match, mode, count=1, **options):
        response = self.billing.post(
            self.sandbox.url + "/_sandbox/faults",
            json={"faults": [{"match": match, "mode": mode, "count": count, **options}]},
        )
        response.raise_for_status()
        self.addCleanup(self.clear_faults)

    def clear_faults(self):
        self.billing.delete(self.sandbox.url + "/_sandbox/faults").raise_for_status()

    def remote_invoices(self, reference=None):
        params = {"reference": reference} if reference else {"limit": 1000}
        response = self.billing.get(self.sandbox.url + "/v1/invoices", params=params)
        response.raise_for_status()
        return response.json()["data"]

    def remote_invoice(self, billing_id):
        response = self.billing.get(f"{self.sandbox.url}/v1/invoices/{billing_id}")
        response.raise_for_status()
        return response.json()


class WorkOrderCase(TektoroCase):
    """Customers, device models and a work-order factory; invoices on, no billing system."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "tektoro_invoices_enabled": True,
                "tektoro_invoice_prefix": "TFT",
                "tektoro_default_tax_rate": 8.25,
            }
        )
        cls.company.sudo().write({"tektoro_billing_url": False, "tektoro_billing_api_key": False})
        cls.currency = cls.company.currency_id
        cls.customer = cls.env["res.partner"].create(
            {"name": "Acme Repairs", "email": "billing@acme.example.com"}
        )
        cls.customer_2 = cls.env["res.partner"].create({"name": "Globex"})
        cls.router = cls.env["tektoro.device.model"].create({"name": "Router R1", "cost": 200.0})

    @classmethod
    def make_work_order(cls, state="completed", lines=None, user=None, **values):
        """A work order walked through its states as an office user would."""
        lines = [("Labour", 2.0, 50.0), ("Cable", 3.0, 4.5)] if lines is None else lines
        env = cls.env(user=user or cls.office)
        work_order = env["tektoro.work.order"].create(
            {
                "partner_id": cls.customer.id,
                "device_model_id": cls.router.id,
                "line_ids": [
                    Command.create({"name": name, "quantity": quantity, "price_unit": price})
                    for name, quantity, price in lines
                ],
                **values,
            }
        )
        if state in ("in_progress", "completed"):
            work_order.action_start()
        if state == "completed":
            work_order.action_complete()
        return work_order

    def create_invoice(self, work_order, **options):
        """Invoice the work order as one request does: create, commit, then push."""
        action = work_order.action_create_invoice(**options)
        self.run_post_commit_hooks()
        return work_order.env["tektoro.invoice"].browse(action["res_id"])

    def run_post_commit_hooks(self):
        """What the request's commit would run next: the push of the invoices it created.

        A test never commits, so the hooks are run here, with the registry in test mode (as it
        is in an HttpCase): the push's own cursor is then a test cursor over this test's
        transaction, and the test reads what the push recorded.
        """
        self.env.flush_all()
        entered = not self.registry.in_test_mode()
        if entered:
            self.registry.enter_test_mode(self.env.cr)
        try:
            self.env.cr.postcommit.run()
        finally:
            if entered:
                self.registry.leave_test_mode()
        self.env.invalidate_all()

    @classmethod
    def run_post_commit_hooks_in_requests(cls):
        """Make the test cursors of HTTP requests run post-commit hooks when they commit.

        Odoo's TestCursor drops them (a test never really commits); a browser tour that creates
        an invoice needs its push to run, as after a real request's commit.
        """
        commit = TestCursor.commit

        def commit_then_run_post_commit_hooks(cr):
            cr.flush()
            # Hooks read their data from cr.postcommit: put them back after the commit drops them.
            funcs, data = list(cr.postcommit._funcs), dict(cr.postcommit.data)
            commit(cr)
            cr.postcommit._funcs.extend(funcs)
            cr.postcommit.data.update(data)
            cr.postcommit.run()

        cls.startClassPatcher(patch.object(TestCursor, "commit", commit_then_run_post_commit_hooks))
