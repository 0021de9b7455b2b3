"""Fixtures shared by every test suite. The billing sandbox runs as a real process."""

import pytest

from billing_sandbox.testing import SandboxProcess


@pytest.fixture(scope="session")
def billing_sandbox():
    """One sandbox for the session; tests keep to their own invoices (unique references)."""
    with SandboxProcess() as sandbox:
        yield sandbox


@pytest.fixture
def billing_client(billing_sandbox):
    with billing_sandbox.client() as client:
        yield client
