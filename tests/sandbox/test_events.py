"""The event feed: every change once, in order, with the invoice as it was at that moment."""

import pytest

from .factories import created_invoice, error_of, events_after, invoice_body


def last_event_id(client, sandbox):
    events = events_after(client, sandbox)
    return events[-1]["id"] if events else 0


def test_each_change_is_one_event_carrying_the_invoice_as_it_was(billing_sandbox, billing_client):
    cursor = last_event_id(billing_client, billing_sandbox)
    body = invoice_body(lines=(("Repair", 1, 50.0),), tax_rate=0)
    paid = created_invoice(billing_client, billing_sandbox, body)
    billing_client.post(
        f"{billing_sandbox.url}/v1/invoices/{paid['id']}/payments", json={"amount": 50}
    )
    cancelled = created_invoice(billing_client, billing_sandbox)
    billing_client.post(f"{billing_sandbox.url}/v1/invoices/{cancelled['id']}/cancel")
    billing_client.post(f"{billing_sandbox.url}/v1/invoices/{cancelled['id']}/cancel")

    events = events_after(billing_client, billing_sandbox, cursor)

    assert [(event["type"], event["invoice"]["id"]) for event in events] == [
        ("invoice.created", paid["id"]),
        ("invoice.paid", paid["id"]),
        ("invoice.created", cancelled["id"]),
        ("invoice.cancelled", cancelled["id"]),
    ]
    assert [event["invoice"]["status"] for event in events] == [
        "open",
        "paid",
        "open",
        "cancelled",
    ]
    assert events[0]["invoice"] == paid
    assert all(event["created_at"] == event["invoice"]["updated_at"] for event in events)


def test_a_partial_payment_is_not_an_event(billing_sandbox, billing_client):
    invoice = created_invoice(billing_client, billing_sandbox)
    cursor = last_event_id(billing_client, billing_sandbox)

    billing_client.post(
        f"{billing_sandbox.url}/v1/invoices/{invoice['id']}/payments", json={"amount": 1}
    )

    assert events_after(billing_client, billing_sandbox, cursor) == []


def test_the_last_id_seen_is_a_complete_cursor(billing_sandbox, billing_client):
    cursor = last_event_id(billing_client, billing_sandbox)
    for _ in range(5):
        created_invoice(billing_client, billing_sandbox)

    one_by_one = events_after(billing_client, billing_sandbox, cursor, limit=1)
    at_once = events_after(billing_client, billing_sandbox, cursor)

    assert one_by_one == at_once
    assert len(at_once) == 5
    ids = [event["id"] for event in at_once]
    assert ids == sorted(ids) and len(set(ids)) == 5 and ids[0] > cursor


def test_a_page_says_whether_more_events_follow(billing_sandbox, billing_client):
    cursor = last_event_id(billing_client, billing_sandbox)
    created_invoice(billing_client, billing_sandbox)
    created_invoice(billing_client, billing_sandbox)
    url = billing_sandbox.url + "/v1/events"

    first = billing_client.get(url, params={"after": cursor, "limit": 1}).json()
    last = billing_client.get(url, params={"after": first["data"][0]["id"], "limit": 1}).json()

    assert first["has_more"] is True
    assert last["has_more"] is False and len(last["data"]) == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"after": "-1"}, "after"),
        ({"after": "first"}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"since": "1"}, "since"),
    ],
)
def test_bad_feed_parameters_are_refused_by_name(billing_sandbox, billing_client, params, field):
    response = billing_client.get(billing_sandbox.url + "/v1/events", params=params)

    assert response.status_code == 422
    assert error_of(response)["field"] == field
