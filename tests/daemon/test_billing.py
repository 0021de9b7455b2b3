"""The billing client against answers with the right status but not the Billing API's shape.

A real HTTP server answers the bodies, so the client's whole path is tried: transport, parsing,
shape. Such an answer is a ``BillingMisconfigured`` (another service at the company's billing
URL, or a bug on the billing side): it would come back the same if asked again, so it is not
retried, and it fails that company's job only.
"""

import contextlib
import json
import logging
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest

from sync_daemon import billing
from sync_daemon.billing import BillingClient
from sync_daemon.errors import BillingApiError, BillingMisconfigured, BillingUnavailable
from sync_daemon.jobs import JobFailed, Jobs, compact_event
from sync_daemon.metrics import Metrics
from sync_daemon.retry import Backoff, Retrier
from sync_daemon.scheduler import JobRunner

from .http_servers import QuietHandler, serving

NOT_THE_API = "a body that is not the Billing API's"


def invoice(id_="inv_0123456789abcdef01234567", reference="TFT-00001", **overrides):
    return {
        "id": id_,
        "reference": reference,
        "status": "paid",
        "currency": "USD",
        "total": Decimal("103.50"),
        "paid_at": "2025-01-01T00:00:00Z",
        "cancelled_at": None,
        **overrides,
    }


def event(id_=7, **overrides):
    return {
        "id": id_,
        "type": "invoice.paid",
        "created_at": "2025-01-01T00:00:00Z",
        "invoice": invoice(),
        **overrides,
    }


def page(data, has_more=False):
    return {"data": data, "has_more": has_more}


class Answers(QuietHandler):
    """Answers each path (without its query) with the body set for it, counting requests."""

    def do_GET(self):
        path = self.path.partition("?")[0]
        self.server.requests.append(self.path)
        status, body = self.server.answers.get(path, (404, b'{"error": {"code": "not_found"}}'))
        self.send_body(status, "application/json", body)


@pytest.fixture
def billing_server():
    with contextlib.ExitStack() as servers:

        def start(answers):
            encoded = {
                path: (status, body if isinstance(body, bytes) else body.encode())
                for path, (status, body) in answers.items()
            }
            return servers.enter_context(serving(Answers, answers=encoded, requests=[]))

        yield start


def raw(text):
    """JSON text where a string ``"=TOKEN=!"`` becomes the bare token: a number JSON's encoder
    would not write (``NaN``, ``1e9999999999999999999``)."""
    return text.replace('"=', "").replace('=!"', "")


def to_json(value):
    """JSON text with Decimal amounts written as numbers, as the Billing API writes them."""
    return raw(json.dumps(value, default=lambda amount: f"={amount}=!"))


def client_for(server):
    return BillingClient(server.url, "sk_test_key", 5, Retrier(Backoff(0.001, 0.002, 3)))


DEEP = "[" * 100_000 + "]" * 100_000

MALFORMED_EVENT_PAGES = {
    "a list, not a page": "[]",
    "a string": '"ok"',
    "data missing": '{"has_more": false}',
    "data a string": '{"data": "events", "has_more": false}',
    "has_more missing": to_json({"data": [event()]}),
    "has_more a string": to_json(page([event()], "no")),
    "an event a string": to_json(page(["evt_1"])),
    "event id missing": to_json(page([{k: v for k, v in event().items() if k != "id"}])),
    "event id a string": to_json(page([event("7")])),
    "event id a float": '{"data": [{"id": 7.5, "type": "invoice.paid"}], "has_more": false}',
    "event id a boolean": to_json(page([event(True)])),
    "event type missing": to_json(page([{k: v for k, v in event().items() if k != "type"}])),
    "created_at missing": to_json(page([{k: v for k, v in event().items() if k != "created_at"}])),
    "invoice a list": to_json(page([event(invoice=[])])),
    "invoice id an object": to_json(page([event(invoice=invoice(id_={"id": 1}))])),
    "total a string": to_json(page([event(invoice=invoice(total="103.50"))])),
    "total past any exponent": to_json(
        page([event(invoice=invoice(total="=1e9999999999999999999=!"))])
    ),
    "total NaN": to_json(page([event(invoice=invoice(total="=NaN=!"))])),
    "total Infinity": to_json(page([event(invoice=invoice(total="=Infinity=!"))])),
    "an integer of 5000 digits": '{"data": [], "has_more": false, "n": ' + "9" * 5000 + "}",
    "nested too deep": '{"data": ' + DEEP + ', "has_more": false}',
}


@pytest.mark.parametrize(
    "body", list(MALFORMED_EVENT_PAGES.values()), ids=list(MALFORMED_EVENT_PAGES)
)
def test_an_event_page_of_the_wrong_shape_is_a_misconfiguration_not_retried(billing_server, body):
    server = billing_server({"/v1/events": (200, body)})
    with client_for(server) as client, pytest.raises(BillingMisconfigured) as raised:
        client.events(0, 10)
    assert not raised.value.retryable
    message = str(raised.value)
    assert f"GET {server.url}/v1/events answered 200 with {NOT_THE_API}" in message
    assert "\n" not in message
    assert len(message) < 400  # names the problem, does not echo the body
    assert len(server.requests) == 1  # the same answer would come back


MALFORMED_INVOICE_PAGES = {
    "data an object": to_json({"data": {}, "has_more": False}),
    "has_more null": to_json(page([invoice()], None)),
    "an invoice null": to_json(page([None])),
    "invoice id missing": to_json(page([{k: v for k, v in invoice().items() if k != "id"}])),
    "invoice id an integer": to_json(page([invoice(id_=12)])),
    "invoice id empty": to_json(page([invoice(id_="")])),
    "reference missing": to_json(page([{k: v for k, v in invoice().items() if k != "reference"}])),
    "reference null": to_json(page([invoice(reference=None)])),
    "status a number": to_json(page([invoice(status=3)])),
    "total missing": to_json(page([{k: v for k, v in invoice().items() if k != "total"}])),
    "total past any exponent": to_json(page([invoice(total="=1e9999999999999999999=!")])),
    "total beyond the API's maximum": to_json(page([invoice(total="=1e400=!")])),
    "paid_at a number": to_json(page([invoice(paid_at=5)])),
}


@pytest.mark.parametrize(
    "body",
    list(MALFORMED_INVOICE_PAGES.values()),
    ids=list(MALFORMED_INVOICE_PAGES),
)
def test_an_invoice_page_of_the_wrong_shape_is_a_misconfiguration_not_retried(billing_server, body):
    server = billing_server({"/v1/invoices": (200, body)})
    with client_for(server) as client, pytest.raises(BillingMisconfigured) as raised:
        list(client.invoices())
    assert not raised.value.retryable
    assert f"GET {server.url}/v1/invoices answered 200 with {NOT_THE_API}" in str(raised.value)
    assert len(server.requests) == 1


def test_the_problem_is_named_by_its_place_in_the_body():
    with pytest.raises(
        ValueError, match=r"data\[1\]\.invoice\.total: '1' is not of type 'number', 'null'"
    ):
        billing.check_events_page(page([event(1), event(2, invoice=invoice(total="1"))]))
    with pytest.raises(ValueError, match=r"data\[0\]: 'reference' is a required property"):
        billing.check_invoices_page(
            page([{k: v for k, v in invoice().items() if k != "reference"}])
        )
    with pytest.raises(ValueError, match=r"has_more: None is not of type 'boolean'"):
        billing.check_invoices_page(page([], None))


def test_a_page_of_the_right_shape_passes_as_it_is():
    events = page([event(1, invoice=invoice(total=Decimal("103.50"))), event(2, invoice=None)])
    assert billing.check_events_page(events) == (events["data"], False)
    invoices = page([invoice(total=1000, paid_at=None)], True)
    assert billing.check_invoices_page(invoices) == (invoices["data"], True)


def test_a_second_page_of_the_wrong_shape_is_caught_too(billing_server):
    """The client pages with ``starting_after``; the server here answers both pages alike."""
    first = to_json(page([invoice()], True))
    server = billing_server({"/v1/invoices": (200, first)})
    with client_for(server) as client:
        invoices = client.invoices()
        assert next(invoices)["reference"] == "TFT-00001"
        server.answers["/v1/invoices"] = (200, b'{"data": [], "has_more": "yes"}')
        with pytest.raises(BillingMisconfigured, match="has_more: 'yes' is not of type 'boolean'"):
            next(invoices)


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ('{"error": "invoice not found"}', "unknown", "invoice not found"),
        ('{"error": ["not", "found"]}', "unknown", "Not Found"),
        ('{"error": {"code": 404, "message": {"text": "gone"}}}', "unknown", "Not Found"),
        ('{"error": {"code": "not_found", "message": "No such route."}}', "not_found", "No such"),
        ("[1, 2]", "unknown", "Not Found"),
        (DEEP, "unknown", "Not Found"),
    ],
    ids=["error-string", "error-list", "code-number", "error-object", "body-list", "body-deep"],
)
def test_a_refusal_whose_error_is_not_an_object_is_still_a_refusal(
    billing_server, body, code, message
):
    server = billing_server({"/v1/events": (404, body)})
    with client_for(server) as client, pytest.raises(BillingApiError) as raised:
        client.events(0, 10)
    assert raised.value.status == 404
    assert raised.value.code == code
    assert message in str(raised.value)
    assert len(server.requests) == 1


class HtmlPages(QuietHandler):
    """Answers every request with an HTML page and the status set on the server."""

    def do_GET(self):
        self.server.requests.append(self.path)
        self.send_body(self.server.status, "text/html", b"<html><body>Not here</body></html>")


@pytest.mark.parametrize("status", [401, 403, 404, 405, 410])
def test_a_refusal_in_html_is_a_misconfiguration_asked_once(status):
    """A proxy's or another server's error page at the billing URL: the same page would answer
    again, so it is reported for an administrator, not retried like an outage."""
    with (
        serving(HtmlPages, status=status, requests=[]) as server,
        client_for(server) as client,
        pytest.raises(BillingMisconfigured) as raised,
    ):
        client.events(0, 10)
    assert not raised.value.retryable
    assert f"answered {status} with {NOT_THE_API} (not JSON)" in str(raised.value)
    assert "check that the company's billing system URL" in str(raised.value)
    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [200, 408, 502])
def test_an_html_page_that_may_pass_is_retried_like_an_outage(status):
    """A maintenance page, a proxy's timeout: the next attempt may reach the billing system."""
    with (
        serving(HtmlPages, status=status, requests=[]) as server,
        client_for(server) as client,
        pytest.raises(BillingUnavailable) as raised,
    ):
        client.events(0, 10)
    assert raised.value.retryable
    assert len(server.requests) == 3  # every attempt the backoff allows


def test_check_reports_an_answer_of_the_wrong_shape(billing_server):
    server = billing_server({"/v1/events": (200, '{"status": "ok"}')})
    with (
        client_for(server) as client,
        pytest.raises(BillingMisconfigured, match="the body: 'data' is a required property"),
    ):
        client.check()


def test_the_sandbox_answers_pass_the_shape_check(billing_sandbox, billing_client):
    """The shape checked is the Billing API's: real answers, an invoice paid and one cancelled."""
    references = []
    for status in ("paid", "cancelled"):
        reference = "TFT-" + uuid.uuid4().hex[:12]
        created = billing_client.post(
            billing_sandbox.url + "/v1/invoices",
            json={
                "reference": reference,
                "customer": {"name": "Acme Repairs Ltd"},
                "currency": "USD",
                "issued_on": "2024-05-01",
                "lines": [{"description": "Screen", "quantity": 1, "unit_price": 90.0}],
                "subtotal": 90.0,
                "tax_rate": 15.0,
                "tax": 13.5,
                "total": 103.5,
            },
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        assert created.status_code == 201, created.text
        invoice_id = created.json()["id"]
        if status == "paid":
            action = billing_client.post(
                f"{billing_sandbox.url}/v1/invoices/{invoice_id}/payments", json={"amount": 103.5}
            )
        else:
            action = billing_client.post(f"{billing_sandbox.url}/v1/invoices/{invoice_id}/cancel")
        assert action.status_code < 300, action.text
        references.append(reference)
    client = BillingClient(
        billing_sandbox.url, billing_sandbox.api_key, 10, Retrier(Backoff(0.001, 0.002, 3))
    )
    with client:
        events, after = [], 0
        while True:
            page_events, has_more = client.events(after, 1000)
            events += page_events
            if not has_more or not page_events:
                break
            after = page_events[-1]["id"]
        invoices = list(client.invoices(page_size=2))
    seen = {e["invoice"]["reference"]: e["invoice"]["status"] for e in events if e["invoice"]}
    assert [seen[reference] for reference in references] == ["paid", "cancelled"]
    ours = [inv for inv in invoices if inv["reference"] in references]
    assert len(ours) == 2
    # Exact amounts (103.5 as Decimal). Only ours: the session's sandbox holds other tests'
    # invoices, whose whole-number totals come back as int.
    assert all(isinstance(inv["total"], Decimal) for inv in ours)


# ---------------------------------------------------------------------- one company, not all


class FakeOdoo:
    """The addon's batch methods, for two companies, recording what the jobs send."""

    def __init__(self, configs):
        self.configs = configs
        self.applied = []
        self.reported = []
        self.push_outcomes = {}

    def get_sync_configs(self):
        return self.configs

    def apply_events(self, company_id, expected_cursor, events):
        self.applied.append((company_id, events))
        return {"cursor": events[-1]["id"], "applied": {"invoice.paid": len(events)}}

    def retry_pushes(self, company_id, limit, after_id):
        return {"processed": 2, "last_id": 2, "outcomes": self.push_outcomes[company_id]}

    def local_snapshot(self, company_id, after_id, limit):
        return {"invoices": [], "has_more": False}

    def report_drift(self, company_id, drift):
        self.reported.append((company_id, drift))
        return {"persistent": 0}


def company(company_id, name, url):
    return {
        "company_id": company_id,
        "company_name": name,
        "billing_url": url,
        "api_key": f"sk_test_{company_id}",
        "billing_account": f"{url} sk_test_{company_id}",
        "timeout": 5,
        "cursor": 0,
        "invoice_prefix": None,
    }


@pytest.mark.parametrize(
    ("job", "path", "malformed"),
    [
        ("apply_events", "/v1/events", '{"data": "events", "has_more": false}'),
        ("apply_events", "/v1/events", '{"data": [{"id": 8}], "has_more": false}'),
        (
            "apply_events",
            "/v1/events",
            '{"data": [], "has_more": false, "x": 1e9999999999999999999}',
        ),
        ("reconcile", "/v1/invoices", '{"data": [{"id": "inv_1"}], "has_more": false}'),
        ("reconcile", "/v1/invoices", '{"data": [' + DEEP + '], "has_more": false}'),
    ],
    ids=["events-data", "event-keys", "events-number", "invoice-keys", "invoices-deep"],
)
def test_a_malformed_answer_fails_that_company_only(billing_server, caplog, job, path, malformed):
    broken = billing_server({path: (200, malformed)})
    healthy = billing_server(
        {
            "/v1/events": (200, to_json(page([event(1), event(2)]))),
            "/v1/invoices": (200, to_json(page([invoice()]))),
        }
    )
    odoo = FakeOdoo([company(1, "Broken Co", broken.url), company(2, "Healthy Co", healthy.url)])
    metrics = Metrics()
    jobs = Jobs(
        SimpleNamespace(page_size=100, retry_batch=50),
        odoo,
        metrics,
        Retrier(Backoff(0.001, 0.002, 3)),
    )

    with pytest.raises(JobFailed) as raised:
        getattr(jobs, job)()
    assert [name for name, _exc in raised.value.failures] == ["Broken Co"]
    assert not raised.value.retryable
    assert len(broken.requests) == 1
    if job == "apply_events":
        assert [(company_id, len(events)) for company_id, events in odoo.applied] == [(2, 2)]
    else:
        assert [company_id for company_id, _drift in odoo.reported] == [2]

    caplog.clear()
    with caplog.at_level(logging.INFO):
        ok, _result = JobRunner(jobs, metrics).run(job)
    assert not ok
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert all(r.exc_info is None for r in caplog.records), "no traceback"
    assert [r.getMessage().split(": ")[0] for r in errors] == ["Broken Co", f"{job} failed"]
    assert NOT_THE_API in errors[0].getMessage()
    assert all("\n" not in r.getMessage() for r in errors)
    assert metrics.errors.labels(job, "fatal")._value.get() == 1
    assert metrics.errors.labels(job, "crash")._value.get() == 0


def test_pushes_still_failing_after_a_retry_are_a_warning_and_synced_ones_news(caplog):
    odoo = FakeOdoo([company(1, "Stuck Co", "http://a"), company(2, "Fine Co", "http://b")])
    odoo.push_outcomes = {1: {"synced": 1, "failed": 1}, 2: {"synced": 2}}
    jobs = Jobs(
        SimpleNamespace(page_size=100, retry_batch=50),
        odoo,
        Metrics(),
        Retrier(Backoff(0.001, 0.002, 3)),
    )

    with caplog.at_level(logging.INFO, logger="sync_daemon.jobs"):
        jobs.retry_pushes()

    levels = {record.getMessage(): record.levelname for record in caplog.records}
    assert levels == {
        "Stuck Co: pushes retried: 1 failed, 1 synced": "WARNING",
        "Fine Co: pushes retried: 2 synced": "INFO",
    }


def test_an_event_goes_to_odoo_with_its_time():
    """Odoo dates a payment by the event when the invoice carries no paid_at."""
    paid = event(type="invoice.paid", created_at="2025-03-04T05:06:07Z")
    paid["invoice"]["paid_at"] = None
    compacted = compact_event(paid)
    assert compacted["created_at"] == "2025-03-04T05:06:07Z"
    assert compacted["invoice"]["paid_at"] is None
