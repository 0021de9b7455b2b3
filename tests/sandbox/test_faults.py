"""Injected faults: each mode fails the way its name says, and only as often as asked."""

import time

import pytest
import requests

from .factories import (
    create_invoice,
    created_invoice,
    error_of,
    find_by_reference,
    invoice_body,
    unique_key,
)

CREATE = "POST /v1/invoices"


def test_faults_are_listed_used_up_and_cleared(billing_sandbox, billing_client, inject):
    url = billing_sandbox.url + "/_sandbox/faults"
    listed = inject(
        {"match": CREATE, "mode": "error_before", "count": 2},
        {"match": "GET /v1/events", "mode": "delay", "seconds": 0.01},
    )
    assert listed == [
        {"match": CREATE, "mode": "error_before", "count": 2, "status": 503, "seconds": 0},
        {"match": "GET /v1/events", "mode": "delay", "count": 1, "status": 503, "seconds": 0.01},
    ]

    create_invoice(billing_client, billing_sandbox)
    assert [fault["count"] for fault in billing_client.get(url).json()["data"]] == [1, 1]

    assert billing_client.delete(url).json() == {"data": []}
    assert billing_client.get(url).json() == {"data": []}
    assert create_invoice(billing_client, billing_sandbox).status_code == 201


def test_error_before_answers_the_error_and_changes_nothing(
    billing_sandbox, billing_client, inject
):
    inject({"match": CREATE, "mode": "error_before"})
    key, body = unique_key(), invoice_body()

    failed = create_invoice(billing_client, billing_sandbox, body, key)

    assert failed.status_code == 503
    assert error_of(failed)["code"] == "sandbox_fault"
    assert find_by_reference(billing_client, billing_sandbox, body["reference"]) == []
    retried = create_invoice(billing_client, billing_sandbox, body, key)
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers


def test_a_fault_answers_the_status_asked_for(billing_sandbox, billing_client, inject):
    inject({"match": CREATE, "mode": "error_before", "status": 429})

    assert create_invoice(billing_client, billing_sandbox).status_code == 429


def test_error_after_commits_then_fails_and_the_retry_finds_the_invoice(
    billing_sandbox, billing_client, inject
):
    inject({"match": CREATE, "mode": "error_after", "status": 502})
    key, body = unique_key(), invoice_body()

    failed = create_invoice(billing_client, billing_sandbox, body, key)

    assert failed.status_code == 502
    assert error_of(failed)["code"] == "sandbox_fault"
    [stored] = find_by_reference(billing_client, billing_sandbox, body["reference"])
    retried = create_invoice(billing_client, billing_sandbox, body, key)
    assert retried.status_code == 201
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json()["id"] == stored["id"]


def test_timeout_after_commits_then_holds_the_answer_past_the_client_timeout(
    billing_sandbox, billing_client, inject
):
    inject({"match": CREATE, "mode": "timeout_after", "seconds": 2})
    body = invoice_body()

    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        create_invoice(billing_client, billing_sandbox, body, timeout=0.5)

    # Other clients are served meanwhile, and the invoice is already there.
    assert len(find_by_reference(billing_client, billing_sandbox, body["reference"])) == 1
    assert time.monotonic() - started < 1.5


def test_reset_after_commits_then_resets_the_connection(billing_sandbox, billing_client, inject):
    inject({"match": CREATE, "mode": "reset_after"})
    key, body = unique_key(), invoice_body()

    with pytest.raises(requests.ConnectionError) as raised:
        create_invoice(billing_client, billing_sandbox, body, key)

    # A reset (RST), not an orderly close without a response.
    assert any(isinstance(error, ConnectionResetError) for error in _wrapped(raised.value))
    [stored] = find_by_reference(billing_client, billing_sandbox, body["reference"])
    retried = create_invoice(billing_client, billing_sandbox, body, key)
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json()["id"] == stored["id"]
    # Gunicorn took the vanished connection in its stride: nothing failed on the server side.
    assert "Traceback" not in billing_sandbox.log()


def test_gateway_error_answers_an_html_page_and_changes_nothing(
    billing_sandbox, billing_client, inject
):
    inject({"match": CREATE, "mode": "gateway_error"})
    key, body = unique_key(), invoice_body()

    failed = create_invoice(billing_client, billing_sandbox, body, key)

    # What a proxy in front of the API answers: its own page, not the API's JSON error.
    assert failed.status_code == 502
    assert failed.headers["Content-Type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in failed.text
    assert find_by_reference(billing_client, billing_sandbox, body["reference"]) == []
    assert create_invoice(billing_client, billing_sandbox, body, key).status_code == 201


def test_error_answers_can_say_when_to_retry(billing_sandbox, billing_client, inject):
    inject(
        {"match": CREATE, "mode": "error_before", "status": 429, "retry_after": 7},
        {"match": CREATE, "mode": "gateway_error", "status": 503, "retry_after": 0},
        {"match": CREATE, "mode": "error_after", "status": 503},
    )
    answers = [create_invoice(billing_client, billing_sandbox) for _ in range(3)]

    assert [(a.status_code, a.headers.get("Retry-After")) for a in answers] == [
        (429, "7"),
        (503, "0"),
        (503, None),
    ]


def test_redirect_points_elsewhere_and_changes_nothing(billing_sandbox, billing_client, inject):
    inject(
        {"match": CREATE, "mode": "redirect"},
        {"match": CREATE, "mode": "redirect", "status": 308, "location": "http://elsewhere.test/"},
    )
    key, body = unique_key(), invoice_body()
    url = billing_sandbox.url + "/v1/invoices"

    for status, location in (
        (301, "https://" + url.split("://", 1)[1]),  # what moving a site to HTTPS answers
        (308, "http://elsewhere.test/"),
    ):
        moved = billing_client.post(
            url, json=body, headers={"Idempotency-Key": key}, allow_redirects=False
        )
        assert (moved.status_code, moved.headers["Location"]) == (status, location)
    assert find_by_reference(billing_client, billing_sandbox, body["reference"]) == []
    assert create_invoice(billing_client, billing_sandbox, body, key).status_code == 201


def test_truncate_after_commits_then_cuts_the_answer_short(billing_sandbox, billing_client, inject):
    inject({"match": CREATE, "mode": "truncate_after"})
    key, body = unique_key(), invoice_body()
    url = billing_sandbox.url + "/v1/invoices"

    # Read raw, so the test sees what came over the wire whatever the client library makes of it.
    with billing_client.post(
        url, json=body, headers={"Idempotency-Key": key}, stream=True, timeout=5
    ) as cut:
        announced = int(cut.headers["Content-Length"])
        received = b"".join(iter(lambda: cut.raw.read(announced, decode_content=False), b""))

    assert cut.status_code == 201
    assert cut.headers["Content-Type"] == "application/json"
    assert 0 < len(received) == announced // 2
    [stored] = find_by_reference(billing_client, billing_sandbox, body["reference"])
    retried = create_invoice(billing_client, billing_sandbox, body, key)
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert len(retried.content) == announced
    assert retried.content[: len(received)] == received
    assert retried.json()["id"] == stored["id"]
    assert "Traceback" not in billing_sandbox.log()


def test_empty_json_after_commits_then_answers_an_empty_object(
    billing_sandbox, billing_client, inject
):
    inject({"match": CREATE, "mode": "empty_json_after"})
    key, body = unique_key(), invoice_body()

    answered = create_invoice(billing_client, billing_sandbox, body, key)

    assert (answered.status_code, answered.json()) == (201, {})
    assert answered.headers["Content-Type"] == "application/json"
    [stored] = find_by_reference(billing_client, billing_sandbox, body["reference"])
    assert create_invoice(billing_client, billing_sandbox, body, key).json()["id"] == stored["id"]


def _wrapped(error):
    """The exceptions a requests error wraps: urllib3 carries them in ``args``."""
    yield error
    for arg in error.args:
        if isinstance(arg, BaseException):
            yield from _wrapped(arg)


def test_delay_slows_the_request_which_then_succeeds(billing_sandbox, billing_client, inject):
    inject({"match": CREATE, "mode": "delay", "seconds": 0.4})

    started = time.monotonic()
    response = create_invoice(billing_client, billing_sandbox)

    assert response.status_code == 201
    assert time.monotonic() - started >= 0.4


def test_count_limits_how_many_requests_fail(billing_sandbox, billing_client, inject):
    inject({"match": CREATE, "mode": "error_before", "count": 2})

    statuses = [create_invoice(billing_client, billing_sandbox).status_code for _ in range(3)]

    assert statuses == [503, 503, 201]


def test_a_match_is_a_path_prefix(billing_sandbox, billing_client, inject):
    """`POST /v1/invoices` also matches cancel; `POST /v1/invoices/` matches only sub-paths."""
    invoice = created_invoice(billing_client, billing_sandbox)
    cancel_url = f"{billing_sandbox.url}/v1/invoices/{invoice['id']}/cancel"

    inject({"match": CREATE, "mode": "error_before"})
    assert billing_client.post(cancel_url).status_code == 503

    inject({"match": "POST /v1/invoices/", "mode": "error_before"})
    assert create_invoice(billing_client, billing_sandbox).status_code == 201
    assert billing_client.get(f"{billing_sandbox.url}/v1/invoices/{invoice['id']}").ok
    assert billing_client.post(cancel_url).status_code == 503
    assert billing_client.post(cancel_url).status_code == 200


def test_any_method_is_a_star(billing_sandbox, billing_client, inject):
    inject({"match": "* /v1/", "mode": "error_before", "count": 2})

    assert billing_client.get(billing_sandbox.url + "/v1/events").status_code == 503
    assert create_invoice(billing_client, billing_sandbox).status_code == 503


def test_faults_never_lock_out_the_fault_controls(billing_sandbox, billing_client, inject):
    inject({"match": "* /", "mode": "error_before", "count": 10})

    assert billing_client.get(billing_sandbox.url + "/_sandbox/faults").status_code == 200
    assert billing_client.get(billing_sandbox.url + "/openapi.json").status_code == 200


def test_unauthenticated_requests_do_not_use_up_faults(billing_sandbox, billing_client, inject):
    inject({"match": CREATE, "mode": "error_before"})

    anonymous = requests.post(billing_sandbox.url + "/v1/invoices", json={}, timeout=10)

    assert anonymous.status_code == 401
    assert create_invoice(billing_client, billing_sandbox).status_code == 503


@pytest.mark.parametrize(
    ("fault", "field"),
    [
        ({"match": CREATE, "mode": "explode"}, "faults[0].mode"),
        ({"match": "POST v1/invoices", "mode": "delay"}, "faults[0].match"),
        ({"match": "post /v1/invoices", "mode": "delay"}, "faults[0].match"),
        ({"mode": "delay"}, "faults[0].match"),
        ({"match": CREATE, "mode": "delay", "count": 0}, "faults[0].count"),
        ({"match": CREATE, "mode": "error_before", "status": 200}, "faults[0].status"),
        ({"match": CREATE, "mode": "error_before", "status": 301}, "faults[0].status"),
        ({"match": CREATE, "mode": "redirect", "status": 404}, "faults[0].status"),
        ({"match": CREATE, "mode": "gateway_error", "location": "/x"}, "faults[0].location"),
        ({"match": CREATE, "mode": "delay", "retry_after": 1}, "faults[0].retry_after"),
        ({"match": CREATE, "mode": "error_before", "retry_after": -1}, "faults[0].retry_after"),
        ({"match": CREATE, "mode": "delay", "seconds": -1}, "faults[0].seconds"),
        ({"match": CREATE, "mode": "delay", "probability": 0.5}, "faults[0].probability"),
    ],
)
def test_an_invalid_fault_is_refused_naming_the_field(
    billing_sandbox, billing_client, fault, field
):
    url = billing_sandbox.url + "/_sandbox/faults"

    response = billing_client.post(url, json={"faults": [fault]})

    assert response.status_code == 422
    assert error_of(response)["field"] == field
    assert billing_client.get(url).json() == {"data": []}
