"""Session-wide Odoo server, per-test billing sandbox and company. See harness.py."""

import itertools

import pytest

from .harness import ODOO_MISSING, BilledCompany, OdooServer, Sandbox

_company_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def odoo_server(tmp_path_factory):
    if ODOO_MISSING:
        pytest.skip("end-to-end tests need Odoo 18 importable in this Python (import odoo failed)")
    server = OdooServer(tmp_path_factory.mktemp("odoo"))
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
