"""Authentication, and the one error shape for every failure, including the unplanned ones."""

import json
import sqlite3
from pathlib import Path

import pytest
import requests

from billing_sandbox import __file__ as package_init

from .factories import created_invoice, error_of

PACKAGED_OPENAPI = Path(package_init).with_name("openapi.json")
EVERY_ROUTE = [
    ("POST", "/v1/invoices"),
    ("GET", "/v1/invoices"),
    ("GET", "/v1/invoices/inv_000000000000000000000000"),
    ("POST", "/v1/invoices/inv_000000000000000000000000/cancel"),
    ("POST", "/v1/invoices/inv_000000000000000000000000/payments"),
    ("GET", "/v1/events"),
    ("GET", "/_sandbox/faults"),
    ("POST", "/_sandbox/faults"),
    ("DELETE", "/_sandbox/faults"),
    ("GET", "/no/such/route"),
]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-key", "Basic c2tfdGVzdDo=", "Bearer", "sk_test_tektoro_sandbox"],
)
@pytest.mark.parametrize(("method", "path"), EVERY_ROUTE)
def test_every_route_needs_the_bearer_key(billing_sandbox, method, path, authorization):
    headers = {"Authorization": authorization} if authorization else {}

    response = requests.request(method, billing_sandbox.url + path, headers=headers, timeout=10)

    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_the_openapi_document_is_public_and_is_the_packaged_one(billing_sandbox):
    response = requests.get(billing_sandbox.url + "/openapi.json", timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == json.loads(PACKAGED_OPENAPI.read_text())


def test_an_unknown_route_is_not_found(billing_sandbox, billing_client):
    response = billing_client.get(billing_sandbox.url + "/v2/invoices")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_unsupported_method_is_refused_with_the_allowed_ones(billing_sandbox, billing_client):
    response = billing_client.delete(billing_sandbox.url + "/v1/invoices")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_errors_are_json_whatever_the_client_accepts(billing_sandbox, billing_client):
    response = billing_client.get(
        billing_sandbox.url + "/v1/invoices/inv_missing", headers={"Accept": "application/xml"}
    )

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert error_of(response)["code"] == "not_found"


def test_an_unexpected_failure_is_a_500_in_the_error_shape(fresh_sandbox):
    """Damaged data (an amount that is not a number) stands in for a bug."""
    with fresh_sandbox.client() as client:
        damaged = created_invoice(client, fresh_sandbox)
        healthy = created_invoice(client, fresh_sandbox)
        with sqlite3.connect(fresh_sandbox.db_path) as db:
            db.execute("UPDATE invoices SET total = 'garbage' WHERE id = ?", (damaged["id"],))
        db.close()

        response = client.get(f"{fresh_sandbox.url}/v1/invoices/{damaged['id']}")

        assert response.status_code == 500
        assert error_of(response) == {
            "code": "internal_error",
            "message": "The server failed to handle the request.",
        }
        assert "garbage" not in response.text
        assert client.get(f"{fresh_sandbox.url}/v1/invoices/{healthy['id']}").status_code == 200
    assert "Traceback" in fresh_sandbox.log()
