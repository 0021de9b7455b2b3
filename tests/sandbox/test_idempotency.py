"""A retried create never makes a second invoice; a reused reference never makes one either."""

import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

from .factories import (
    create_invoice,
    created_invoice,
    error_of,
    events_after,
    exact,
    find_by_reference,
    invoice_body,
    unique_key,
)


def test_the_same_key_and_body_replay_the_first_response(billing_sandbox, billing_client):
    key, body = unique_key(), invoice_body()
    first = create_invoice(billing_client, billing_sandbox, body, key)

    again = create_invoice(billing_client, billing_sandbox, body, key)

    assert again.status_code == first.status_code == 201
    assert again.text == first.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(find_by_reference(billing_client, billing_sandbox, body["reference"])) == 1


def test_a_replay_is_the_stored_response_even_after_the_invoice_changed(
    billing_sandbox, billing_client
):
    key, body = unique_key(), invoice_body()
    first = create_invoice(billing_client, billing_sandbox, body, key)
    billing_client.post(f"{billing_sandbox.url}/v1/invoices/{first.json()['id']}/cancel")

    again = create_invoice(billing_client, billing_sandbox, body, key)

    assert again.text == first.text
    assert again.json()["status"] == "open"


def test_the_same_body_serialised_differently_is_still_a_replay(billing_sandbox, billing_client):
    key, body = unique_key(), invoice_body(lines=(("Fee", 1, 10.0),), tax_rate=0)
    first = create_invoice(billing_client, billing_sandbox, body, key)

    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    raw = reordered.replace('"total": 10.0', '"total": 10.000')
    assert '"total": 10.000' in raw
    again = billing_client.post(
        billing_sandbox.url + "/v1/invoices",
        data=raw,
        headers={"Idempotency-Key": key, "Content-Type": "application/json"},
    )

    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


def test_the_same_key_with_another_body_is_a_conflict(billing_sandbox, billing_client):
    key, body = unique_key(), invoice_body()
    first = created_invoice(billing_client, billing_sandbox, body, key)

    response = create_invoice(
        billing_client, billing_sandbox, dict(body, issued_on="2024-06-01"), key
    )

    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_conflict"
    assert find_by_reference(billing_client, billing_sandbox, body["reference"]) == [first]


@pytest.mark.parametrize(
    "change",
    [
        {"total": 111},  # no longer subtotal + tax
        {"lines": []},
        {"total": "1e999999999"},
    ],
    ids=["a total that does not add up", "no lines", "a number beyond every bound"],
)
def test_the_same_key_with_another_body_is_a_conflict_even_an_invalid_one(
    billing_sandbox, billing_client, change
):
    key, body = unique_key(), invoice_body()
    first = created_invoice(billing_client, billing_sandbox, body, key)
    raw = json.dumps(dict(body, **change)).replace('"1e999999999"', "1e999999999")

    response = billing_client.post(
        billing_sandbox.url + "/v1/invoices",
        data=raw,
        headers={"Idempotency-Key": key, "Content-Type": "application/json"},
    )

    assert response.status_code == 409, response.text
    assert error_of(response)["code"] == "idempotency_conflict"
    assert find_by_reference(billing_client, billing_sandbox, body["reference"]) == [first]


def test_a_payment_key_reused_with_another_invalid_amount_is_a_conflict(
    billing_sandbox, billing_client
):
    invoice = created_invoice(billing_client, billing_sandbox, invoice_body(), unique_key())
    url = f"{billing_sandbox.url}/v1/invoices/{invoice['id']}/payments"
    key = unique_key()
    paid = billing_client.post(url, json={"amount": 1}, headers={"Idempotency-Key": key})
    assert paid.status_code == 201, paid.text

    response = billing_client.post(url, json={"amount": -5}, headers={"Idempotency-Key": key})

    assert response.status_code == 409, response.text
    assert error_of(response)["code"] == "idempotency_conflict"


def test_a_reference_used_under_another_key_names_the_existing_invoice(
    billing_sandbox, billing_client
):
    body = invoice_body()
    first = created_invoice(billing_client, billing_sandbox, body)

    response = create_invoice(billing_client, billing_sandbox, body, key=unique_key())

    assert response.status_code == 409
    assert error_of(response)["code"] == "duplicate_reference"
    assert error_of(response)["invoice_id"] == first["id"]
    assert body["reference"] in error_of(response)["message"]


def test_twenty_simultaneous_retries_make_exactly_one_invoice(billing_sandbox):
    key, body = unique_key(), invoice_body()

    def post(_):
        with billing_sandbox.client() as client:
            return create_invoice(client, billing_sandbox, body, key)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(post, range(20)))

    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["id"] for response in responses}) == 1
    assert sum("Idempotent-Replayed" not in response.headers for response in responses) == 1
    with billing_sandbox.client() as client:
        assert len(find_by_reference(client, billing_sandbox, body["reference"])) == 1
        created_events = [
            event
            for event in events_after(client, billing_sandbox)
            if event["invoice"]["reference"] == body["reference"]
        ]
    assert [event["type"] for event in created_events] == ["invoice.created"]


def _age_key(sandbox, key, hours):
    with sqlite3.connect(sandbox.db_path) as db:
        db.execute(
            "UPDATE idempotency_keys SET created_at = created_at - ? WHERE key = ?",
            (hours * 3600, key),
        )
    db.close()


@pytest.mark.parametrize(("age_hours", "remembered"), [(23, True), (25, False)])
def test_keys_are_remembered_for_a_day(billing_sandbox, billing_client, age_hours, remembered):
    """Simulates the passing of time by ageing the stored key in the sandbox's database."""
    key = unique_key()
    created_invoice(billing_client, billing_sandbox, key=key)
    _age_key(billing_sandbox, key, age_hours)

    response = create_invoice(billing_client, billing_sandbox, invoice_body(), key)

    if remembered:
        assert response.status_code == 409
        assert error_of(response)["code"] == "idempotency_conflict"
    else:
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response.headers


def test_keys_older_than_a_day_are_purged_from_the_database(fresh_sandbox):
    with fresh_sandbox.client() as client:
        old_key, recent_key = unique_key(), unique_key()
        created_invoice(client, fresh_sandbox, key=old_key)
        created_invoice(client, fresh_sandbox, key=recent_key)
        _age_key(fresh_sandbox, old_key, 25)

        fresh_sandbox.restart()
        created_invoice(client, fresh_sandbox)

    with sqlite3.connect(fresh_sandbox.db_path) as db:
        keys = {row[0] for row in db.execute("SELECT key FROM idempotency_keys")}
    db.close()
    assert old_key not in keys
    assert recent_key in keys


def test_a_failed_request_does_not_burn_its_key(billing_sandbox, billing_client):
    """A key whose request was refused can carry the corrected request."""
    key, body = unique_key(), invoice_body()
    refused = create_invoice(billing_client, billing_sandbox, dict(body, total=0.01), key)
    assert refused.status_code == 422

    response = create_invoice(billing_client, billing_sandbox, body, key)

    assert response.status_code == 201
    assert exact(response)["reference"] == body["reference"]


def test_an_overlong_key_is_refused(billing_sandbox, billing_client):
    response = create_invoice(billing_client, billing_sandbox, key="k" * 256)

    assert response.status_code == 422
    assert error_of(response)["field"] == "Idempotency-Key"
