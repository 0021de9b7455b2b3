"""Fixtures of the sandbox suite. The shared sandbox comes from tests/conftest.py."""

import pytest

from billing_sandbox.testing import SandboxProcess


@pytest.fixture
def fresh_sandbox():
    """A sandbox of the test's own, for tests that restart, kill or damage it."""
    with SandboxProcess() as sandbox:
        yield sandbox


@pytest.fixture
def inject(billing_sandbox, billing_client):
    """Add faults to the shared sandbox; they are cleared after the test whatever happens."""
    url = billing_sandbox.url + "/_sandbox/faults"

    def add(*faults):
        response = billing_client.post(url, json={"faults": list(faults)})
        assert response.status_code == 201, response.text
        return response.json()["data"]

    yield add
    assert billing_client.delete(url).status_code == 200
