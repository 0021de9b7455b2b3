import logging
import random
import threading
import time

import pytest

from sync_daemon.billing import BillingClient
from sync_daemon.errors import BillingApiError, BillingUnavailable
from sync_daemon.retry import Backoff, Retrier


class Flaky:
    """Fails with the given errors, in order, then answers "done"."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def test_ceiling_doubles_up_to_the_cap():
    backoff = Backoff(base=0.5, cap=3.0, max_attempts=6)
    assert [backoff.ceiling(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_delays_are_jittered_within_the_ceiling():
    backoff = Backoff(base=1.0, cap=8.0)
    rng = random.Random(7)
    delays = [backoff.delay(3, rng) for _ in range(200)]
    assert all(0 <= delay <= 4.0 for delay in delays)
    # Jitter spreads retries out instead of sending them all at the ceiling.
    assert len({round(delay, 3) for delay in delays}) > 150
    assert min(delays) < 1.0 < 3.0 < max(delays)


def test_transport_errors_are_retried_until_success():
    retries = []
    retrier = Retrier(Backoff(0.001, 0.002, 5), on_retry=retries.append)
    flaky = Flaky(BillingUnavailable("503"), BillingUnavailable("reset"))
    assert retrier.call(flaky, "GET /v1/events", "billing") == "done"
    assert flaky.calls == 3
    assert retries == ["billing", "billing"]


def test_attempts_run_out():
    retrier = Retrier(Backoff(0.001, 0.002, 3))
    flaky = Flaky(*[BillingUnavailable("503")] * 5)
    with pytest.raises(BillingUnavailable):
        retrier.call(flaky, "GET /v1/events", "billing")
    assert flaky.calls == 3


def test_business_errors_are_never_retried():
    retrier = Retrier(Backoff(0.001, 0.002, 5))
    flaky = Flaky(BillingApiError(409, "invoice_paid", "paid"))
    with pytest.raises(BillingApiError):
        retrier.call(flaky, "POST", "billing")
    assert flaky.calls == 1


def test_shutdown_cuts_a_backoff_wait_short():
    stopping = threading.Event()
    stopping.set()
    retrier = Retrier(Backoff(60, 60, 5), stopping=stopping)
    flaky = Flaky(BillingUnavailable("503"))
    with pytest.raises(BillingUnavailable):
        retrier.call(flaky, "GET", "billing")
    assert flaky.calls == 1


def test_a_retry_after_is_waited_for_up_to_the_cap(caplog):
    retrier = Retrier(Backoff(0.001, 0.2, 5))
    asked = Flaky(
        BillingUnavailable("429", retry_after=0.1), BillingUnavailable("429", retry_after=60)
    )
    with caplog.at_level(logging.WARNING, "sync_daemon.retry"):
        assert retrier.call(asked, "GET /v1/events", "billing") == "done"
    # Jitter alone would wait at most 0.001 s, then 0.002 s.
    assert [record.args[-1] for record in caplog.records] == [0.1, 0.2]


def test_the_daemon_waits_as_long_as_the_billing_system_asks(billing_sandbox, billing_client):
    """A rate limiter answers 429 with Retry-After: 1; retrying sooner would only be refused."""
    billing_client.post(
        billing_sandbox.url + "/_sandbox/faults",
        json={
            "faults": [
                {"match": "GET /v1/events", "mode": "error_before", "status": 429, "retry_after": 1}
            ]
        },
    ).raise_for_status()
    client = BillingClient(
        billing_sandbox.url, billing_sandbox.api_key, 10, Retrier(Backoff(0.001, 30, 3))
    )
    with client:
        started = time.monotonic()
        events, _has_more = client.events(0, 10)
        waited = time.monotonic() - started
    assert isinstance(events, list)
    assert 1 <= waited < 5
