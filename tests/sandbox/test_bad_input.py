# ruff: noqa: E501 - one input per line reads as the table it is
"""Bad input against every Billing API route: one row per input, each refused in the error shape
with a stable code (and the field, for validation), and nothing written.

test_invoices and test_lifecycle already refuse each invoice and payment field's bad values;
this table adds the classes they leave out: SQL and HTML payloads, oversized strings, unknown
ids, wrong types in paths and query strings, and the fault endpoint. "Nothing written" is
counted on the whole ledger: every invoice and every event, before and after each request.
"""

import json

import pytest

from tests.sandbox.factories import created_invoice, invoice_body, unique_key

SQL = "x' OR '1'='1'; DROP TABLE invoices; --"
HTML = "<script>alert(1)</script>"


def _body(**overrides):
    return invoice_body(**overrides)


def _with_line(**line):
    body = invoice_body()
    body["lines"][0].update(line)
    return body


def _with_customer(**customer):
    body = invoice_body()
    body["customer"].update(customer)
    return body


# (label, method, path, body, headers, status, code, field); {id} is an existing open invoice.
ROWS = [
    # -- creation: payloads and sizes the field tables do not cover
    ("reference SQL too long", "POST", "/v1/invoices", _body(reference=SQL * 3), None, 422, "validation_error", "reference"),
    ("currency HTML", "POST", "/v1/invoices", _body(currency=HTML), None, 422, "validation_error", "currency"),
    ("currency SQL", "POST", "/v1/invoices", _body(currency=SQL), None, 422, "validation_error", "currency"),
    ("issued_on SQL", "POST", "/v1/invoices", _body(issued_on=SQL), None, 422, "validation_error", "issued_on"),
    ("issued_on as number", "POST", "/v1/invoices", _body(issued_on=20240501), None, 422, "validation_error", "issued_on"),
    ("customer name oversized", "POST", "/v1/invoices", _with_customer(name="A" * 201), None, 422, "validation_error", "customer.name"),
    ("customer email HTML", "POST", "/v1/invoices", _with_customer(email=HTML), None, 422, "validation_error", "customer.email"),
    ("line description oversized", "POST", "/v1/invoices", _with_line(description="D" * 1001), None, 422, "validation_error", "lines[0].description"),
    ("line description as list", "POST", "/v1/invoices", _with_line(description=[HTML]), None, 422, "validation_error", "lines[0].description"),
    ("line quantity above maximum", "POST", "/v1/invoices", _with_line(quantity=10**7), None, 422, "validation_error", "lines[0].quantity"),
    ("line price with 7 decimals", "POST", "/v1/invoices", _with_line(unit_price=0.1234567), None, 422, "validation_error", "lines[0].unit_price"),
    ("501 lines", "POST", "/v1/invoices", _body(lines=[("x", 1, 1.0)] * 501), None, 422, "validation_error", "lines"),
    ("total negative", "POST", "/v1/invoices", _body(total=-1), None, 422, "validation_error", "total"),
    ("total above maximum", "POST", "/v1/invoices", _body(total=10**15), None, 422, "validation_error", "total"),
    ("tax_rate as text", "POST", "/v1/invoices", _body(tax_rate="15"), None, 422, "validation_error", "tax_rate"),
    ("body is a string", "POST", "/v1/invoices", SQL, None, 422, "validation_error", "body"),
    ("body is null", "POST", "/v1/invoices", None, None, 422, "validation_error", "body"),
    ("idempotency key oversized", "POST", "/v1/invoices", _body(), {"Idempotency-Key": "k" * 256}, 422, "validation_error", "Idempotency-Key"),
    # -- unknown ids, payloads in paths
    ("read unknown id", "GET", "/v1/invoices/inv_doesnotexist", None, None, 404, "not_found", None),
    ("read SQL id", "GET", "/v1/invoices/x'%20OR%20'1'='1", None, None, 404, "not_found", None),
    ("cancel unknown id", "POST", "/v1/invoices/inv_doesnotexist/cancel", None, None, 404, "not_found", None),
    ("cancel SQL id", "POST", "/v1/invoices/1%20OR%201=1/cancel", None, None, 404, "not_found", None),
    ("pay unknown id", "POST", "/v1/invoices/inv_doesnotexist/payments", {"amount": 1}, None, 404, "not_found", None),
    # -- payments: negative, wrong type, missing, extra
    ("pay negative", "POST", "/v1/invoices/{id}/payments", {"amount": -5}, None, 422, "validation_error", "amount"),
    ("pay zero", "POST", "/v1/invoices/{id}/payments", {"amount": 0}, None, 422, "validation_error", "amount"),
    ("pay as text", "POST", "/v1/invoices/{id}/payments", {"amount": "5"}, None, 422, "validation_error", "amount"),
    ("pay without amount", "POST", "/v1/invoices/{id}/payments", {}, None, 422, "validation_error", "amount"),
    ("pay dated SQL", "POST", "/v1/invoices/{id}/payments", {"amount": 1, "paid_at": SQL}, None, 422, "validation_error", "paid_at"),
    ("pay more than due", "POST", "/v1/invoices/{id}/payments", {"amount": 999999}, None, 409, "overpayment", None),
    ("pay with an unknown field", "POST", "/v1/invoices/{id}/payments", {"amount": 1, "method": HTML}, None, 422, "validation_error", "method"),
    # -- query strings
    ("list limit as text", "GET", "/v1/invoices?limit=ten", None, None, 422, "validation_error", "limit"),
    ("list limit negative", "GET", "/v1/invoices?limit=-1", None, None, 422, "validation_error", "limit"),
    ("list limit SQL", "GET", "/v1/invoices?limit=1%20OR%201=1", None, None, 422, "validation_error", "limit"),
    ("list reference oversized", "GET", "/v1/invoices?reference=" + "R" * 65, None, None, 422, "validation_error", "reference"),
    ("list unknown parameter", "GET", "/v1/invoices?status=open", None, None, 422, "validation_error", "status"),
    ("events after negative", "GET", "/v1/events?after=-1", None, None, 422, "validation_error", "after"),
    ("events after SQL", "GET", "/v1/events?after=0;DELETE", None, None, 422, "validation_error", "after"),
    ("events limit above maximum", "GET", "/v1/events?limit=1001", None, None, 422, "validation_error", "limit"),
    # -- the fault endpoint
    ("fault unknown mode", "POST", "/_sandbox/faults", {"faults": [{"match": "POST /v1/invoices", "mode": HTML}]}, None, 422, "validation_error", None),
    ("fault count negative", "POST", "/_sandbox/faults", {"faults": [{"match": "POST /v1/invoices", "mode": "error_before", "count": -1}]}, None, 422, "validation_error", None),
    ("faults not a list", "POST", "/_sandbox/faults", {"faults": SQL}, None, 422, "validation_error", None),
]


@pytest.fixture
def open_invoice(billing_sandbox, billing_client):
    return created_invoice(billing_client, billing_sandbox)


def ledger(client, sandbox):
    """Every invoice (id, status, amount paid) and the number of events: the whole state."""
    invoices, after = {}, None
    while True:
        params = {"limit": 1000, **({"starting_after": after} if after else {})}
        page = client.get(sandbox.url + "/v1/invoices", params=params).json()
        invoices.update((i["id"], (i["status"], i["amount_paid"])) for i in page["data"])
        if not page["has_more"]:
            break
        after = page["data"][-1]["id"]
    events, cursor = 0, 0
    while True:
        page = client.get(sandbox.url + "/v1/events", params={"after": cursor, "limit": 1000})
        data = page.json()
        events += len(data["data"])
        if not data["has_more"]:
            break
        cursor = data["data"][-1]["id"]
    faults = client.get(sandbox.url + "/_sandbox/faults").json()["data"]
    return invoices, events, faults


@pytest.mark.parametrize(
    ("label", "method", "path", "body", "headers", "status", "code", "field"),
    ROWS,
    ids=[row[0] for row in ROWS],
)
def test_bad_input_is_refused_in_the_error_shape_and_writes_nothing(
    billing_sandbox, billing_client, open_invoice, label, method, path, body, headers, status,
    code, field,
):
    before = ledger(billing_client, billing_sandbox)
    all_headers = {"Idempotency-Key": unique_key(), "Content-Type": "application/json"}
    all_headers.update(headers or {})
    response = billing_client.request(
        method,
        billing_sandbox.url + path.format(id=open_invoice["id"]),
        data=None if method == "GET" else json.dumps(body),
        headers=all_headers,
    )
    assert response.status_code == status, f"{label}: {response.status_code} {response.text}"
    assert response.headers["Content-Type"].startswith("application/json"), label
    error = response.json()["error"]
    assert error["code"] == code, f"{label}: {error}"
    assert error["message"].strip(), label
    if field is not None:
        assert error["field"] == field, f"{label}: {error}"
    assert ledger(billing_client, billing_sandbox) == before, f"{label}: something was written"
