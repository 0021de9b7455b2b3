"""Payments and cancellation: open becomes paid or cancelled, and neither turns into the other."""

from decimal import Decimal

import pytest

from .factories import created_invoice, error_of, exact, invoice_body, unique_key


@pytest.fixture
def invoice(billing_sandbox, billing_client):
    """An open invoice of 100.00 + 10% tax = 110.00."""
    body = invoice_body(lines=(("Repair", 1, 100.0),), tax_rate=10)
    return created_invoice(billing_client, billing_sandbox, body)


def pay(client, sandbox, invoice_id, amount, headers=None, **fields):
    return client.post(
        f"{sandbox.url}/v1/invoices/{invoice_id}/payments",
        json={"amount": amount, **fields},
        headers=headers,
    )


def cancel(client, sandbox, invoice_id):
    return client.post(f"{sandbox.url}/v1/invoices/{invoice_id}/cancel")


def test_partial_payments_add_up_until_the_invoice_is_paid(
    billing_sandbox, billing_client, invoice
):
    first = pay(billing_client, billing_sandbox, invoice["id"], 60.1)
    assert first.status_code == 201
    assert exact(first)["amount_paid"] == Decimal("60.10")
    assert exact(first)["status"] == "open"
    assert exact(first)["paid_at"] is None

    second = pay(
        billing_client, billing_sandbox, invoice["id"], 49.9, paid_at="2024-05-03T17:30:00+02:00"
    )

    assert second.status_code == 201
    paid = exact(second)
    assert paid["status"] == "paid"
    assert paid["amount_paid"] == Decimal("110.00")
    assert paid["paid_at"] == "2024-05-03T15:30:00Z"
    assert paid["updated_at"] >= invoice["updated_at"]
    assert exact(billing_client.get(f"{billing_sandbox.url}/v1/invoices/{invoice['id']}")) == paid


def test_a_payment_without_a_date_is_dated_now(billing_sandbox, billing_client, invoice):
    paid = exact(pay(billing_client, billing_sandbox, invoice["id"], 110))

    assert paid["status"] == "paid"
    assert paid["paid_at"] == paid["updated_at"]


@pytest.mark.parametrize(
    ("paid_at", "stored"),
    [
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("0999-06-01T12:00:00+02:00", "0999-06-01T10:00:00Z"),
    ],
)
def test_a_payment_dated_before_year_1000_keeps_a_four_digit_year(
    billing_sandbox, billing_client, invoice, paid_at, stored
):
    paid = exact(pay(billing_client, billing_sandbox, invoice["id"], 110, paid_at=paid_at))

    assert paid["status"] == "paid"
    assert paid["paid_at"] == stored


def test_paying_more_than_is_due_is_refused(billing_sandbox, billing_client, invoice):
    pay(billing_client, billing_sandbox, invoice["id"], 100)

    response = pay(billing_client, billing_sandbox, invoice["id"], 10.01)

    assert response.status_code == 409
    assert error_of(response)["code"] == "overpayment"
    after = exact(billing_client.get(f"{billing_sandbox.url}/v1/invoices/{invoice['id']}"))
    assert after["amount_paid"] == Decimal("100.00")
    assert after["status"] == "open"


def test_a_paid_invoice_takes_no_more_payments(billing_sandbox, billing_client, invoice):
    pay(billing_client, billing_sandbox, invoice["id"], 110)

    response = pay(billing_client, billing_sandbox, invoice["id"], 1)

    assert response.status_code == 409
    assert error_of(response)["code"] == "invoice_paid"


def test_a_cancelled_invoice_takes_no_payments(billing_sandbox, billing_client, invoice):
    cancel(billing_client, billing_sandbox, invoice["id"])

    response = pay(billing_client, billing_sandbox, invoice["id"], 110)

    assert response.status_code == 409
    assert error_of(response)["code"] == "invoice_cancelled"


def test_a_retried_payment_with_its_key_is_paid_once(billing_sandbox, billing_client, invoice):
    headers = {"Idempotency-Key": unique_key()}
    first = pay(billing_client, billing_sandbox, invoice["id"], 50, headers=headers)

    again = pay(billing_client, billing_sandbox, invoice["id"], 50, headers=headers)

    assert again.status_code == 201
    assert again.text == first.text
    assert exact(again)["amount_paid"] == Decimal("50.00")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 1.005}, "amount"),
        ({"amount": "10"}, "amount"),
        ({}, "amount"),
        ({"amount": 10, "paid_at": "yesterday"}, "paid_at"),
        ({"amount": 10, "paid_at": "2024-05-03T17:30:00"}, "paid_at"),
        ({"amount": 10, "method": "card"}, "method"),
    ],
)
def test_an_invalid_payment_is_refused_naming_the_field(
    billing_sandbox, billing_client, invoice, body, field
):
    response = billing_client.post(
        f"{billing_sandbox.url}/v1/invoices/{invoice['id']}/payments", json=body
    )

    assert response.status_code == 422
    assert error_of(response)["field"] == field


@pytest.mark.parametrize(
    ("currency", "price", "accepted", "refused"),
    [("BHD", 10.5, 0.001, 0.0005), ("JPY", 1000, 1, 0.5), ("USD", 10.5, 0.01, 0.001)],
)
def test_payments_are_counted_in_the_invoice_currencys_unit(
    billing_sandbox, billing_client, currency, price, accepted, refused
):
    body = invoice_body(lines=(("Repair", 1, price),), tax_rate=0, currency=currency)
    invoice = created_invoice(billing_client, billing_sandbox, body)

    response = pay(billing_client, billing_sandbox, invoice["id"], refused)
    assert response.status_code == 422
    assert error_of(response)["field"] == "amount"
    assert currency in error_of(response)["message"]

    response = pay(billing_client, billing_sandbox, invoice["id"], accepted)
    assert response.status_code == 201, response.text
    assert exact(response)["amount_paid"] == Decimal(str(accepted))


def test_paying_an_unknown_invoice_is_not_found(billing_sandbox, billing_client):
    response = pay(billing_client, billing_sandbox, "inv_000000000000000000000000", 10)

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_cancelling_twice_answers_the_same_cancelled_invoice(
    billing_sandbox, billing_client, invoice
):
    first = cancel(billing_client, billing_sandbox, invoice["id"])
    assert first.status_code == 200
    cancelled = exact(first)
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelled_at"] is not None

    again = cancel(billing_client, billing_sandbox, invoice["id"])

    assert again.status_code == 200
    assert exact(again) == cancelled


def test_a_partly_paid_invoice_can_be_cancelled(billing_sandbox, billing_client, invoice):
    pay(billing_client, billing_sandbox, invoice["id"], 10)

    response = cancel(billing_client, billing_sandbox, invoice["id"])

    assert response.status_code == 200
    assert exact(response)["status"] == "cancelled"
    assert exact(response)["amount_paid"] == Decimal("10.00")


def test_a_paid_invoice_cannot_be_cancelled(billing_sandbox, billing_client, invoice):
    pay(billing_client, billing_sandbox, invoice["id"], 110)

    response = cancel(billing_client, billing_sandbox, invoice["id"])

    assert response.status_code == 409
    assert error_of(response)["code"] == "invoice_paid"
    after = billing_client.get(f"{billing_sandbox.url}/v1/invoices/{invoice['id']}").json()
    assert after["status"] == "paid"


def test_cancelling_an_unknown_invoice_is_not_found(billing_sandbox, billing_client):
    response = cancel(billing_client, billing_sandbox, "inv_000000000000000000000000")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_invoice_that_owes_nothing_is_paid_as_it_is_made(billing_sandbox, billing_client):
    body = invoice_body(lines=(("Warranty repair", 1, 0),), tax_rate=10)
    invoice = created_invoice(billing_client, billing_sandbox, body)

    assert invoice["total"] == 0
    assert invoice["status"] == "paid"
    assert invoice["amount_paid"] == 0
    assert invoice["paid_at"] == invoice["created_at"]
    events = exact(billing_client.get(f"{billing_sandbox.url}/v1/events?after=0&limit=1000"))
    mine = [event for event in events["data"] if event["invoice"]["id"] == invoice["id"]]
    assert [event["type"] for event in mine] == ["invoice.created", "invoice.paid"]
    assert mine[0]["invoice"]["status"] == "open"
    assert mine[1]["invoice"] == invoice
    # Settled: neither a payment nor a cancellation can follow.
    for response in (
        pay(billing_client, billing_sandbox, invoice["id"], 0.01),
        cancel(billing_client, billing_sandbox, invoice["id"]),
    ):
        assert response.status_code == 409
        assert error_of(response)["code"] == "invoice_paid"
