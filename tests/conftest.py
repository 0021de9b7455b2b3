"""Fixtures shared by every test suite. The billing sandbox, Odoo and the daemon run as real
processes.

The end-to-end fixtures (one Odoo server for the session, a billing sandbox and an Odoo company
per test) serve both ``tests/daemon/e2e`` and ``tests/reliability``. The server runs Odoo's
prefork mode with two workers (``TEKTORO_ODOO_WORKERS`` sets another count), as production
does, so concurrent RPC calls are concurrent transactions; it also installs the test-only
addon that can force serialization failures (``tests/reliability/odoo_addons``: never on a
production addons path, inert until a test turns it on).
"""

import itertools
import os
from pathlib import Path

import pytest
from daemon.e2e.harness import ODOO_MISSING, BilledCompany, OdooServer, Sandbox

from billing_sandbox.testing import SandboxProcess

TEST_ADDONS = Path(__file__).parent / "reliability" / "odoo_addons"
_company_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def billing_sandbox():
    """One sandbox for the session; tests keep to their own invoices (unique references)."""
    with SandboxProcess() as sandbox:
        yield sandbox


@pytest.fixture
def billing_client(billing_sandbox):
    with billing_sandbox.client() as client:
        yield client


@pytest.fixture(scope="session")
def odoo_server(tmp_path_factory):
    if ODOO_MISSING:
        pytest.skip("end-to-end tests need Odoo 18 importable in this Python (import odoo failed)")
    server = OdooServer(
        tmp_path_factory.mktemp("odoo"),
        workers=int(os.environ.get("TEKTORO_ODOO_WORKERS", "2")),
        extra_addons=[TEST_ADDONS / "tektoro_reliability_hooks"],
    )
    try:
        server.install()
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox(tmp_path):
    sandbox = Sandbox(tmp_path).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def company(odoo_server, sandbox, request):
    company = BilledCompany(
        odoo_server, sandbox, f"E2E {next(_company_numbers)} {request.node.name[:40]}"
    )
    yield company
    company.disconnect()
