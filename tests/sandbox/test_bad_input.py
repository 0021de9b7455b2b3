# ruff: noqa: E501 - one input per line reads as the table it is
"""Bad input against every Billing API route: one row per input, each refused in the error shape
with a stable code (and the field, for validation), and nothing written.

test_invoices and test_lifecycle already refuse each invoice and payment field's bad values;
this table adds the classes they leave out: SQL and HTML payloads, oversized strings, unknown
ids, wrong types in paths and query strings, numbers beyond what Decimal or int can hold, text
no UTF-8 can hold (unpaired surrogates), and the fault endpoint. "Nothing written" is counted on
the whole ledger: every invoice and every event, before and after each request; and no request
leaves a traceback in the sandbox's log.
"""

import json

import pytest

from tests.sandbox.factories import created_invoice, invoice_body, unique_key

SQL = "x' OR '1'='1'; DROP TABLE invoices; --"
HTML = "<script>alert(1)</script>"
# Valid JSON numbers beyond what Decimal holds, and an integer longer than Python converts.
HUGE = "1e9999999999999999999"
TINY = "1e-9999999999999999999"
LONG_INTEGER = "1" + "0" * 5000
# Lists inside lists, deeper than any request of the API nests.
DEEP = json.loads("[" * 500 + "]" * 500)
# json.dumps writes it as the escape "\ud800": a lone half of a UTF-16 pair, no UTF-8 for it.
SURROGATE = "\ud800"


class Raw(str):
    """A body sent as this exact text, for JSON that json.dumps cannot write."""


def _raw(body, path, number):
    """``body`` as JSON text with the value at ``path`` (keys and indexes) written as ``number``."""
    placeholder = "@@number@@"
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = placeholder
    return Raw(json.dumps(body).replace(json.dumps(placeholder), number))


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
# fmt: off
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
    ("body nested 500 deep", "POST", "/v1/invoices", {**_body(), "lines": DEEP}, None, 422, "validation_error", "body"),
    ("idempotency key oversized", "POST", "/v1/invoices", _body(), {"Idempotency-Key": "k" * 256}, 422, "validation_error", "Idempotency-Key"),
    # -- creation: numbers beyond Decimal and int, unpaired surrogates
    ("total exponent beyond Decimal", "POST", "/v1/invoices", _raw(_body(), ("total",), HUGE), None, 422, "validation_error", "total"),
    ("subtotal exponent below Decimal", "POST", "/v1/invoices", _raw(_body(), ("subtotal",), TINY), None, 422, "validation_error", "subtotal"),
    ("tax_rate integer of 5001 digits", "POST", "/v1/invoices", _raw(_body(), ("tax_rate",), LONG_INTEGER), None, 422, "validation_error", "tax_rate"),
    ("line price exponent beyond Decimal", "POST", "/v1/invoices", _raw(_body(), ("lines", 0, "unit_price"), HUGE), None, 422, "validation_error", "lines[0].unit_price"),
    ("line quantity negative exponent beyond Decimal", "POST", "/v1/invoices", _raw(_body(), ("lines", 0, "quantity"), "-" + HUGE), None, 422, "validation_error", "lines[0].quantity"),
    ("reference as a number beyond Decimal", "POST", "/v1/invoices", _raw(_body(), ("reference",), HUGE), None, 422, "validation_error", "reference"),
    ("reference unpaired surrogate", "POST", "/v1/invoices", _body(reference="TFT-" + SURROGATE), None, 422, "validation_error", "reference"),
    ("customer name unpaired surrogate", "POST", "/v1/invoices", _with_customer(name=SURROGATE), None, 422, "validation_error", "customer.name"),
    ("customer email unpaired surrogate", "POST", "/v1/invoices", _with_customer(email=SURROGATE + "@acme.test"), None, 422, "validation_error", "customer.email"),
    ("line description unpaired surrogate", "POST", "/v1/invoices", _with_line(description="Screen " + SURROGATE), None, 422, "validation_error", "lines[0].description"),
    ("line field named by an unpaired surrogate", "POST", "/v1/invoices", _with_line(**{SURROGATE: 1}), None, 422, "validation_error", "lines[0].\\ud800"),
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
    ("pay nested 500 deep", "POST", "/v1/invoices/{id}/payments", {"amount": 1, "note": DEEP}, None, 422, "validation_error", "body"),
    ("pay dated SQL", "POST", "/v1/invoices/{id}/payments", {"amount": 1, "paid_at": SQL}, None, 422, "validation_error", "paid_at"),
    ("pay more than due", "POST", "/v1/invoices/{id}/payments", {"amount": 999999}, None, 409, "overpayment", None),
    ("pay with an unknown field", "POST", "/v1/invoices/{id}/payments", {"amount": 1, "method": HTML}, None, 422, "validation_error", "method"),
    ("pay exponent beyond Decimal", "POST", "/v1/invoices/{id}/payments", _raw({"amount": 0}, ("amount",), HUGE), None, 422, "validation_error", "amount"),
    ("pay integer of 5001 digits", "POST", "/v1/invoices/{id}/payments", _raw({"amount": 0}, ("amount",), LONG_INTEGER), None, 422, "validation_error", "amount"),
    ("pay dated before year 1 in UTC", "POST", "/v1/invoices/{id}/payments", {"amount": 1, "paid_at": "0001-01-01T00:30:00+01:00"}, None, 422, "validation_error", "paid_at"),
    ("pay dated after year 9999 in UTC", "POST", "/v1/invoices/{id}/payments", {"amount": 1, "paid_at": "9999-12-31T23:30:00-01:00"}, None, 422, "validation_error", "paid_at"),
    ("pay with a field named by an unpaired surrogate", "POST", "/v1/invoices/{id}/payments", {"amount": 1, SURROGATE: 1}, None, 422, "validation_error", "\\ud800"),
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
    ("fault seconds exponent beyond Decimal", "POST", "/_sandbox/faults", _raw({"faults": [{"match": "POST /v1/invoices", "mode": "delay", "seconds": 0}]}, ("faults", 0, "seconds"), HUGE), None, 422, "validation_error", "faults[0].seconds"),
    ("fault count exponent beyond Decimal", "POST", "/_sandbox/faults", _raw({"faults": [{"match": "POST /v1/invoices", "mode": "delay", "count": 0}]}, ("faults", 0, "count"), HUGE), None, 422, "validation_error", "faults[0].count"),
    ("fault count of 5001 digits", "POST", "/_sandbox/faults", _raw({"faults": [{"match": "POST /v1/invoices", "mode": "delay", "count": 0}]}, ("faults", 0, "count"), LONG_INTEGER), None, 422, "validation_error", "faults[0].count"),
    ("fault match unpaired surrogate", "POST", "/_sandbox/faults", {"faults": [{"match": "GET /v1/" + SURROGATE, "mode": "delay"}]}, None, 422, "validation_error", "faults[0].match"),
    ("fault location unpaired surrogate", "POST", "/_sandbox/faults", {"faults": [{"match": "GET /v1/nowhere", "mode": "redirect", "location": SURROGATE}]}, None, 422, "validation_error", "faults[0].location"),
]
# fmt: on


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
    billing_sandbox,
    billing_client,
    open_invoice,
    label,
    method,
    path,
    body,
    headers,
    status,
    code,
    field,
):
    before = ledger(billing_client, billing_sandbox)
    log_before = len(billing_sandbox.log())
    all_headers = {"Idempotency-Key": unique_key(), "Content-Type": "application/json"}
    all_headers.update(headers or {})
    response = billing_client.request(
        method,
        billing_sandbox.url + path.format(id=open_invoice["id"]),
        data=None if method == "GET" else body if isinstance(body, Raw) else json.dumps(body),
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
    assert "Traceback" not in billing_sandbox.log()[log_before:], f"{label}: a traceback was logged"
