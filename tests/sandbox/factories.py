"""Request bodies and calls the way a client (the Odoo addon) makes them.

Bodies carry plain JSON floats rounded to the cent, as Odoo sends them; responses are read with
exact decimals, so a test sees precisely the amounts the server wrote.
"""

import json
import uuid
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# The addon sends the device's cost as a unit line, then the work order's item lines.
DEFAULT_LINES = (
    ("Unit: Pixel 8 Pro", 1, 450.0),
    ("Screen replacement", 1, 89.9),
    ("Labour h", 1.5, 40.0),
)


def unique_reference():
    return "TFT-" + uuid.uuid4().hex[:12]


def unique_key():
    return "key-" + uuid.uuid4().hex


def invoice_body(reference=None, lines=DEFAULT_LINES, tax_rate=15.0, **overrides):
    """A valid invoice body whose subtotal, tax and total add up."""
    subtotal = sum(
        (Decimal(str(quantity)) * Decimal(str(price)) for _, quantity, price in lines), Decimal(0)
    ).quantize(CENT, ROUND_HALF_UP)
    tax = (subtotal * Decimal(str(tax_rate)) / 100).quantize(CENT, ROUND_HALF_UP)
    body = {
        "reference": reference or unique_reference(),
        "customer": {"name": "Acme Repairs Ltd", "email": "billing@acme.test"},
        "currency": "USD",
        "issued_on": "2024-05-01",
        "lines": [
            {"description": description, "quantity": quantity, "unit_price": price}
            for description, quantity, price in lines
        ],
        "subtotal": float(subtotal),
        "tax_rate": tax_rate,
        "tax": float(tax),
        "total": float(subtotal + tax),
    }
    body.update(overrides)
    return body


def create_invoice(client, sandbox, body=None, key=None, **kwargs):
    return client.post(
        sandbox.url + "/v1/invoices",
        json=body if body is not None else invoice_body(),
        headers={"Idempotency-Key": key or unique_key()},
        **kwargs,
    )


def created_invoice(client, sandbox, body=None, key=None):
    response = create_invoice(client, sandbox, body, key)
    assert response.status_code == 201, response.text
    return exact(response)


def exact(response):
    """The response body with numbers as Decimal, exactly as the server wrote them."""
    return json.loads(response.text, parse_float=Decimal)


def error_of(response):
    return response.json()["error"]


def find_by_reference(client, sandbox, reference):
    response = client.get(sandbox.url + "/v1/invoices", params={"reference": reference})
    assert response.status_code == 200, response.text
    return exact(response)["data"]


def all_pages(client, url, cursor_param, cursor_of, limit=100, start=None):
    """Every item of a paged list, following the cursor until has_more is false."""
    items, params = [], {"limit": limit}
    if start is not None:
        params[cursor_param] = start
    while True:
        response = client.get(url, params=params)
        assert response.status_code == 200, response.text
        page = exact(response)
        items += page["data"]
        if not page["has_more"]:
            return items
        params[cursor_param] = cursor_of(page["data"][-1])


def events_after(client, sandbox, after=0, limit=1000):
    return all_pages(
        client, sandbox.url + "/v1/events", "after", lambda event: event["id"], limit, after
    )
