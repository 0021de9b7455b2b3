"""Creating, reading and listing invoices, and every way a create request is refused."""

import re
from decimal import Decimal

import pytest

from .factories import (
    all_pages,
    create_invoice,
    created_invoice,
    error_of,
    exact,
    find_by_reference,
    invoice_body,
    unique_key,
)

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def test_create_answers_the_invoice_with_the_exact_amounts_sent(billing_sandbox, billing_client):
    body = invoice_body(
        lines=(("Unit: Galaxy S24", 1, 399.99), ("Battery", 2, 24.95), ("Labour h", 0.75, 60.0)),
        tax_rate=7.25,
    )
    response = create_invoice(billing_client, billing_sandbox, body)

    assert response.status_code == 201
    invoice = exact(response)
    assert re.fullmatch(r"inv_[0-9a-f]{24}", invoice["id"])
    assert invoice["reference"] == body["reference"]
    assert invoice["status"] == "open"
    assert invoice["currency"] == "USD"
    assert invoice["customer"] == {"name": "Acme Repairs Ltd", "email": "billing@acme.test"}
    assert invoice["issued_on"] == "2024-05-01"
    assert invoice["lines"] == [
        {"description": "Unit: Galaxy S24", "quantity": 1, "unit_price": Decimal("399.99")},
        {"description": "Battery", "quantity": 2, "unit_price": Decimal("24.95")},
        {"description": "Labour h", "quantity": Decimal("0.75"), "unit_price": Decimal("60.0")},
    ]
    assert invoice["subtotal"] == Decimal("494.89")
    assert invoice["tax_rate"] == Decimal("7.25")
    assert invoice["tax"] == Decimal("35.88")
    assert invoice["total"] == Decimal("530.77")
    assert invoice["amount_paid"] == Decimal("0.00")
    assert invoice["paid_at"] is None and invoice["cancelled_at"] is None
    assert TIMESTAMP.fullmatch(invoice["created_at"])
    assert invoice["updated_at"] == invoice["created_at"]


def test_money_is_written_with_cents(billing_sandbox, billing_client):
    response = create_invoice(
        billing_client, billing_sandbox, invoice_body(lines=(("Flat fee", 1, 100),), tax_rate=0)
    )
    assert '"subtotal":100.00' in response.text
    assert '"total":100.00' in response.text


@pytest.mark.parametrize(
    ("currency", "price", "subtotal", "tax", "total"),
    [
        # 8.25 % of 3,003 yen is 247.7475: a yen has no cents, so the tax is 248.
        ("JPY", 1001, 3003, 248, 3251),
        # 8.25 % of 940.5 dinars is 77.59125: a dinar has 1,000 fils, so the tax is 77.591.
        ("BHD", 313.5, 940.5, 77.591, 1018.091),
    ],
)
def test_money_is_counted_in_the_currencys_own_unit(
    billing_sandbox, billing_client, currency, price, subtotal, tax, total
):
    body = invoice_body(
        lines=(("Repair", 3, price),),
        tax_rate=8.25,
        currency=currency,
        subtotal=subtotal,
        tax=tax,
        total=total,
    )
    response = create_invoice(billing_client, billing_sandbox, body)

    assert response.status_code == 201, response.text
    assert f'"tax":{tax},"total":{total},' in response.text


def test_the_tax_may_be_off_by_one_unit_of_the_currency_not_by_a_cent(
    billing_sandbox, billing_client
):
    """77.591 BHD is the tax on 940.5 at 8.25 %; 77.592 is a fils off, 77.593 two."""
    for tax, status in ((77.592, 201), (77.593, 422)):
        body = invoice_body(
            lines=(("Repair", 3, 313.5),),
            tax_rate=8.25,
            currency="BHD",
            subtotal=940.5,
            tax=tax,
            total=round(940.5 + tax, 3),
        )
        response = create_invoice(billing_client, billing_sandbox, body)
        assert response.status_code == status, response.text
    assert error_of(response)["field"] == "tax"


@pytest.mark.parametrize(
    ("currency", "amounts"),
    [
        ("JPY", {"subtotal": 300.5, "total": 300.5}),  # half a yen
        ("USD", {"subtotal": 300.005, "total": 300.005}),  # half a cent
        ("BHD", {"subtotal": 300.0005, "total": 300.0005}),  # half a fils
    ],
)
def test_amounts_finer_than_the_currencys_unit_are_refused(
    billing_sandbox, billing_client, currency, amounts
):
    body = invoice_body(lines=(("Repair", 1, 300),), tax_rate=0, currency=currency, **amounts)
    response = create_invoice(billing_client, billing_sandbox, body)

    assert response.status_code == 422
    assert error_of(response)["field"] == "subtotal"
    assert "decimal places" in error_of(response)["message"]


@pytest.mark.parametrize("currency", ["ABC", "XAU", "XXX"])
def test_a_code_that_money_cannot_be_counted_in_is_refused(
    billing_sandbox, billing_client, currency
):
    """Not an ISO 4217 code at all, or one without a minor unit (gold, "no currency")."""
    response = create_invoice(billing_client, billing_sandbox, invoice_body(currency=currency))

    assert response.status_code == 422
    assert error_of(response) == {
        "code": "validation_error",
        "message": "currency: must be an ISO 4217 currency code",
        "field": "currency",
    }


def test_an_invoice_reads_back_as_created(billing_sandbox, billing_client):
    invoice = created_invoice(billing_client, billing_sandbox)

    response = billing_client.get(f"{billing_sandbox.url}/v1/invoices/{invoice['id']}")

    assert response.status_code == 200
    assert exact(response) == invoice


def test_an_unknown_invoice_is_not_found(billing_sandbox, billing_client):
    response = billing_client.get(billing_sandbox.url + "/v1/invoices/inv_000000000000000000000000")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_invoice_is_found_by_its_reference(billing_sandbox, billing_client):
    invoice = created_invoice(billing_client, billing_sandbox)
    created_invoice(billing_client, billing_sandbox)

    assert find_by_reference(billing_client, billing_sandbox, invoice["reference"]) == [invoice]
    assert find_by_reference(billing_client, billing_sandbox, "TFT-never-sent") == []


def test_pages_list_every_invoice_once_in_creation_order(billing_sandbox, billing_client):
    mine = [created_invoice(billing_client, billing_sandbox)["id"] for _ in range(5)]

    listed = all_pages(
        billing_client,
        billing_sandbox.url + "/v1/invoices",
        "starting_after",
        lambda invoice: invoice["id"],
        limit=2,
    )

    ids = [invoice["id"] for invoice in listed]
    assert len(ids) == len(set(ids))
    assert [invoice_id for invoice_id in ids if invoice_id in mine] == mine


def test_a_page_says_whether_more_follow(billing_sandbox, billing_client):
    first, second, _third = (created_invoice(billing_client, billing_sandbox) for _ in range(3))
    url = billing_sandbox.url + "/v1/invoices"

    page = billing_client.get(url, params={"starting_after": first["id"], "limit": 1}).json()
    assert [invoice["id"] for invoice in page["data"]] == [second["id"]]
    assert page["has_more"] is True

    last_id = all_pages(billing_client, url, "starting_after", lambda i: i["id"])[-1]["id"]
    page = billing_client.get(url, params={"starting_after": last_id}).json()
    assert page == {"data": [], "has_more": False}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"starting_after": "inv_not_an_invoice"}, "starting_after"),
        ({"reference": ""}, "reference"),
        ({"referense": "TFT-00001"}, "referense"),
    ],
)
def test_bad_list_parameters_are_refused_by_name(billing_sandbox, billing_client, params, field):
    response = billing_client.get(billing_sandbox.url + "/v1/invoices", params=params)

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"
    assert error_of(response)["field"] == field


def test_the_largest_page_is_allowed(billing_sandbox, billing_client):
    response = billing_client.get(billing_sandbox.url + "/v1/invoices", params={"limit": 1000})
    assert response.status_code == 200


def _without(name):
    def mutate(body):
        del body[name]

    return mutate


def _set(path, value):
    """Set a value at a path such as ("lines", 0, "quantity") in the body."""

    def mutate(body):
        target = body
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_without("reference"), "reference"),
        (_set(("reference",), "R" * 65), "reference"),
        (_set(("reference",), "   "), "reference"),
        (_set(("reference",), 42), "reference"),
        (_without("customer"), "customer"),
        (_set(("customer",), "Acme"), "customer"),
        (_set(("customer", "name"), None), "customer.name"),
        (_set(("customer", "email"), "not-an-address"), "customer.email"),
        (_set(("customer", "vat"), "BE0123"), "customer.vat"),
        (_set(("currency",), "usd"), "currency"),
        (_set(("issued_on",), "2024-02-30"), "issued_on"),
        (_set(("issued_on",), "01/05/2024"), "issued_on"),
        (_set(("lines",), []), "lines"),
        (_set(("lines",), {"description": "x"}), "lines"),
        (_set(("lines", 0, "quantity"), 0), "lines[0].quantity"),
        (_set(("lines", 0, "quantity"), -1), "lines[0].quantity"),
        (_set(("lines", 0, "quantity"), "1"), "lines[0].quantity"),
        (_set(("lines", 1, "unit_price"), -5), "lines[1].unit_price"),
        (_set(("lines", 1, "unit_price"), True), "lines[1].unit_price"),
        (_set(("lines", 2, "description"), ""), "lines[2].description"),
        (_set(("lines", 2, "sku"), "SCR-1"), "lines[2].sku"),
        (_set(("subtotal",), 9999.0), "subtotal"),
        (_set(("subtotal",), -1), "subtotal"),
        (_set(("tax",), 1.0), "tax"),
        (_set(("tax",), 88.994), "tax"),
        (_set(("tax_rate",), 101), "tax_rate"),
        (_set(("total",), 1.0), "total"),
        (_set(("notes",), "Thanks"), "notes"),
    ],
)
def test_an_invalid_invoice_is_refused_naming_the_field(
    billing_sandbox, billing_client, mutate, field
):
    body = invoice_body()
    reference = body["reference"]
    mutate(body)

    response = create_invoice(billing_client, billing_sandbox, body)

    assert response.status_code == 422, response.text
    assert error_of(response)["code"] == "validation_error"
    assert error_of(response)["field"] == field
    assert find_by_reference(billing_client, billing_sandbox, reference) == []


def test_a_body_that_is_not_an_object_is_refused(billing_sandbox, billing_client):
    response = create_invoice(billing_client, billing_sandbox, body=[invoice_body()])

    assert response.status_code == 422
    assert error_of(response)["field"] == "body"


def test_a_subtotal_rounded_line_by_line_is_accepted(billing_sandbox, billing_client):
    """Three lines of 0.335 round to 0.34 each: 1.02 against an exact sum of 1.005."""
    lines = (("Clip", 1, 0.335), ("Clip", 1, 0.335), ("Clip", 1, 0.335))
    body = invoice_body(lines=lines, tax_rate=0, subtotal=1.02, tax=0.0, total=1.02)

    assert create_invoice(billing_client, billing_sandbox, body).status_code == 201

    off_by_more_than_a_cent_per_line = dict(body, reference=body["reference"] + "b", subtotal=1.04)
    off_by_more_than_a_cent_per_line["total"] = 1.04
    response = create_invoice(billing_client, billing_sandbox, off_by_more_than_a_cent_per_line)
    assert response.status_code == 422
    assert error_of(response)["field"] == "subtotal"


def test_a_customer_without_email_is_accepted(billing_sandbox, billing_client):
    body = invoice_body(customer={"name": "Walk-in customer", "email": None})

    invoice = created_invoice(billing_client, billing_sandbox, body)

    assert invoice["customer"] == {"name": "Walk-in customer", "email": None}


def test_creating_without_an_idempotency_key_is_refused(billing_sandbox, billing_client):
    body = invoice_body()

    response = billing_client.post(billing_sandbox.url + "/v1/invoices", json=body)

    assert response.status_code == 400
    assert error_of(response)["code"] == "idempotency_key_required"
    assert find_by_reference(billing_client, billing_sandbox, body["reference"]) == []


@pytest.mark.parametrize(
    "payload", [b'{"reference": "TFT-1",', b"", b'{"total": NaN}', b"\xff\xfe", b"[" * 100_000]
)
def test_a_body_that_is_not_json_is_refused(billing_sandbox, billing_client, payload):
    response = billing_client.post(
        billing_sandbox.url + "/v1/invoices",
        data=payload,
        headers={"Idempotency-Key": unique_key(), "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


def test_a_body_over_one_mebibyte_is_refused(billing_sandbox, billing_client):
    body = invoice_body(reference="TFT-" + "x" * (1024 * 1024))

    response = create_invoice(billing_client, billing_sandbox, body)

    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"
