"""Crashes: the daemon SIGKILLed at random instants while billing events keep coming, and Odoo
SIGKILLed while a create-and-push is in flight.

    TEKTORO_RELIABILITY_SCALE=full python3 -m pytest tests/reliability/test_crashes.py -s
"""

import json
import queue
import signal
import threading
import time
from collections import Counter
from itertools import pairwise

import pytest
import requests
from daemon.e2e.harness import (
    ODOO_MISSING,
    SKIP_REASON,
    kill,
    make_odoo_twins,
    make_remote_invoices,
    run_daemon,
    start_daemon,
    wait_until,
)

from .common import Outcomes, local_invoices, make_completed_work_orders

pytestmark = pytest.mark.skipif(ODOO_MISSING, reason=SKIP_REASON)

PAID_NOTE = "Paid in the billing system"
CANCELLED_NOTE = "Cancelled in the billing system"
PENDING_GRACE_PARAMETER = "tektoro_invoicing.pending_push_grace_seconds"


def succeed(result):
    assert result.returncode == 0, f"daemon exited {result.returncode}:\n{result.stderr[-3000:]}"
    return result


def notes_per_invoice(company, invoice_ids, text):
    messages = company.admin(
        "mail.message",
        "search_read",
        [("model", "=", "tektoro.invoice"), ("res_id", "in", invoice_ids),
         ("body", "ilike", text)],
        ["res_id"],
    )
    return Counter(message["res_id"] for message in messages)


def test_daemon_killed_at_random_instants_loses_and_doubles_no_event(
    odoo_server, company, scale, rng, tmp_path
):
    sandbox = company.sandbox
    # Each invoice brings two events: invoice.created now, then invoice.paid or .cancelled
    # while the daemon is being killed.
    remote = make_remote_invoices(sandbox, f"RL{company.company_id}", scale.events // 2)
    make_odoo_twins(odoo_server, company.company_id, remote, tmp_path)
    to_cancel = {item["reference"] for item in rng.sample(remote, len(remote) // 5)}
    # One slice of the payments and cancellations per daemon life, spread over that life, and a
    # last one after the last kill: every kill lands while events are still coming.
    producer = PacedProducer(sandbox, remote, to_cancel, slices=scale.daemon_kills + 1)
    producer.start()
    quick = {
        "TEKTORO_SYNC_PAGE_SIZE": 50,
        "TEKTORO_SYNC_EVENTS_INTERVAL": 1,
        "TEKTORO_SYNC_RETRY_INTERVAL": 3600,
        "TEKTORO_SYNC_RECONCILE_INTERVAL": 3600,
    }

    cursors = [company.applied_up_to()]
    kills_before_drain = kills_with_arrivals = kills_with_unapplied = 0
    try:
        for kill_number in range(scale.daemon_kills):
            daemon = start_daemon(odoo_server, "run", **quick)
            if kill_number == 0:
                # On a loaded machine start-up alone can outlast every random delay; wait for
                # the first page so that at least one kill lands mid-flow, not only during
                # start-up.
                wait_until(
                    lambda: company.applied_up_to() > 0,
                    timeout=120,
                    what="the daemon's first page",
                )
            delay = rng.uniform(0.2, 3.0)  # start-up, login, mid-page, mid-commit: anywhere
            produced_at_start = producer.produced
            producer.next_slice(delay)
            time.sleep(delay)
            kill(daemon, signal.SIGKILL)
            produced = producer.produced
            kills_before_drain += produced < producer.total
            kills_with_arrivals += produced > produced_at_start
            cursors.append(company.applied_up_to())
            kills_with_unapplied += bool(events_after(sandbox, cursors[-1]))
    finally:
        producer.finish()  # the last slice at once (and the rest, if a kill failed)
        producer.join()
    print(f"cursor after each kill: {cursors}")
    print(
        f"{scale.daemon_kills} kills: {kills_before_drain} before the producer finished, "
        f"{kills_with_arrivals} with events arriving during the daemon's life, "
        f"{kills_with_unapplied} with events left to apply, "
        f"{sum(b > a for a, b in pairwise(cursors))} after a life that moved the cursor"
    )
    assert producer.error is None, producer.error
    assert kills_before_drain == scale.daemon_kills, "some kills landed after the feed was drained"
    assert kills_with_arrivals == scale.daemon_kills, "some daemon lives saw no event arrive"
    assert cursors == sorted(cursors), f"the cursor moved back: {cursors}"

    succeed(run_daemon(odoo_server, "once", timeout=600))

    events = every_event(sandbox)
    assert len(events) == scale.events
    assert company.cursor()["last_event_id"] == events[-1]["id"]
    invoices = {
        invoice["name"]: invoice
        for invoice in company.admin(
            "tektoro.invoice",
            "search_read",
            [("company_id", "=", company.company_id), ("billing_id", "!=", False)],
            ["name", "state"],
        )
    }
    expected = {
        item["reference"]: "cancelled" if item["reference"] in to_cancel else "paid"
        for item in remote
    }
    assert {name: invoice["state"] for name, invoice in invoices.items()} == expected
    ids_by_state = {state: [invoices[n]["id"] for n, s in expected.items() if s == state]
                    for state in ("paid", "cancelled")}
    paid_notes = notes_per_invoice(company, ids_by_state["paid"], PAID_NOTE)
    cancelled_notes = notes_per_invoice(company, ids_by_state["cancelled"], CANCELLED_NOTE)
    assert set(paid_notes.values()) == {1} and len(paid_notes) == len(ids_by_state["paid"])
    assert set(cancelled_notes.values()) == {1}
    assert len(cancelled_notes) == len(ids_by_state["cancelled"])


_sandbox_lock = threading.Lock()


def sandbox_session_call(func, *args):
    with _sandbox_lock:  # the test thread uses the same requests session
        return func(*args)


class PacedProducer(threading.Thread):
    """Pays (or cancels) the billing system's invoices in ``slices`` even slices, one slice per
    ``next_slice(seconds)``, its events spread over those seconds, so that the feed keeps flowing
    for as long as the daemon is being killed, however fast or slow the machine is."""

    def __init__(self, sandbox, remote, to_cancel, slices):
        super().__init__(daemon=True)
        self.sandbox, self.remote, self.to_cancel = sandbox, remote, to_cancel
        self.total = len(remote)
        self.bounds = [round(self.total * (n + 1) / slices) for n in range(slices)]
        self.produced = 0
        self.error = None
        self._slices = queue.Queue()

    def next_slice(self, seconds):
        self._slices.put(seconds)

    def finish(self):
        self._slices.put(None)

    def run(self):
        start, seconds = 0, 0
        try:
            for end in self.bounds:
                if seconds is not None:
                    seconds = self._slices.get()
                began = time.monotonic()
                for number, item in enumerate(self.remote[start:end]):
                    pause = began + (seconds or 0) * number / (end - start) - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    if item["reference"] in self.to_cancel:
                        sandbox_session_call(self.sandbox.cancel, item["id"])
                    else:
                        sandbox_session_call(self.sandbox.pay, item["id"], item["total"])
                    self.produced += 1
                start = end
        except (AssertionError, requests.RequestException) as exc:  # the test thread reports it
            self.error = exc


def events_after(sandbox, event_id):
    with _sandbox_lock:
        return sandbox.request("GET", "/v1/events", params={"after": event_id, "limit": 1})["data"]


def every_event(sandbox):
    events, after = [], 0
    while True:
        with _sandbox_lock:
            page = sandbox.request("GET", "/v1/events", params={"after": after, "limit": 1000})
        events += page["data"]
        if not page["has_more"]:
            return events
        after = events[-1]["id"]


def test_odoo_killed_during_a_push_leaves_a_pending_invoice_that_the_retry_resolves(
    odoo_server, company
):
    [order_id] = make_completed_work_orders(company, 1)
    sandbox = company.sandbox
    # Billing takes 4 s to answer: Odoo is killed while it waits.
    sandbox.inject({"match": "POST /v1/invoices", "mode": "delay", "seconds": 4})
    outcomes = Outcomes()
    click = threading.Thread(
        target=outcomes.call,
        args=(company.admin, "tektoro.work.order", "action_create_invoice", order_id),
    )
    click.start()
    try:
        time.sleep(1.5)
        odoo_server.kill()
        click.join()
    finally:
        odoo_server.start()
    assert outcomes.http_errors and not outcomes.results  # the user saw the request fail
    # The billing system finished the request Odoo no longer waits for.
    wait_until(lambda: len(sandbox.every_invoice()) == 1, 10, "the held push to complete")
    [orphan] = sandbox.every_invoice()

    # The push runs after the request's commit: the invoice was committed, pending, with the
    # number the billing system now holds, and the work order billed.
    [invoice] = local_invoices(company)
    assert (invoice["name"], invoice["billing_state"]) == (orphan["reference"], "pending")
    order = company.admin.read_one("tektoro.work.order", order_id, ["state"])
    assert order["state"] == "billed"
    # Within the grace period the retry leaves it alone (its push might still be in flight).
    succeed(run_daemon(odoo_server, "once"))
    [invoice] = local_invoices(company)
    assert invoice["billing_state"] == "pending"

    # Past it, the retry looks it up by reference and takes the invoice already there.
    company.admin("ir.config_parameter", "set_param", PENDING_GRACE_PARAMETER, "0")
    try:
        succeed(run_daemon(odoo_server, "once"))
    finally:
        company.admin("ir.config_parameter", "set_param", PENDING_GRACE_PARAMETER, False)
    [invoice] = local_invoices(company)
    assert (invoice["name"], invoice["billing_state"], invoice["billing_id"]) == (
        orphan["reference"], "synced", orphan["id"]
    )
    assert len(sandbox.every_invoice()) == 1
    report = json.loads(succeed(run_daemon(odoo_server, "reconcile", "--json")).stdout)
    ours = next(c for c in report["companies"] if c["company_id"] == company.company_id)
    assert ours["drift"] == []
