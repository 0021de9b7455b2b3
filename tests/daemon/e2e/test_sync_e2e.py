"""The daemon against real processes: Odoo with the addon, the billing sandbox, the daemon."""

import json
import os
import random
import signal
import time

import pytest
import requests

from .harness import (
    ODOO_MISSING,
    SKIP_REASON,
    BilledCompany,
    Sandbox,
    free_port,
    kill,
    run_daemon,
    start_daemon,
    wait_until,
)

pytestmark = pytest.mark.skipif(ODOO_MISSING, reason=SKIP_REASON)

PAID_NOTE = "Paid in the billing system"
CANCELLED_NOTE = "Cancelled in the billing system"


def odoo_datetime(timestamp):
    """The Billing API's ``2025-01-02T03:04:05Z`` as Odoo returns datetimes over RPC."""
    return timestamp.replace("T", " ").rstrip("Z")


def succeed(result):
    assert result.returncode == 0, f"daemon exited {result.returncode}:\n{result.stderr[-3000:]}"
    return result


def pay(company, invoice_id):
    invoice = company.invoice(invoice_id)
    return company.sandbox.pay(invoice["billing_id"], invoice["amount_total"])


def test_a_payment_in_billing_marks_the_invoice_paid(odoo_server, company):
    invoice_id = company.make_invoice()
    assert company.invoice(invoice_id)["billing_state"] == "synced"
    remote = pay(company, invoice_id)

    result = succeed(run_daemon(odoo_server, "once"))

    invoice = company.invoice(invoice_id)
    assert (invoice["state"], invoice["paid_at"]) == ("paid", odoo_datetime(remote["paid_at"]))
    notes = company.notes(invoice_id, PAID_NOTE)
    assert len(notes) == 1
    assert notes[0]["author_id"][1] == "Billing Sync Daemon"
    # The office user who created the invoice follows it: the note is in their inbox.
    admin_partner = company.admin.read_one("res.users", company.admin.uid, ["partner_id"])
    assert company.admin(
        "mail.notification",
        "search_count",
        [("mail_message_id", "=", notes[0]["id"]),
         ("res_partner_id", "=", admin_partner["partner_id"][0])],
    ) == 1
    assert company.sandbox.api_key not in result.stderr
    assert "billing-sync" not in result.stderr  # the password (equal to the login here)


def test_reads_get_through_a_proxys_error_page_and_an_answer_cut_short(odoo_server, company):
    invoice_id = company.make_invoice()
    pay(company, invoice_id)
    company.sandbox.inject(
        {"match": "GET /v1/events", "mode": "gateway_error"},
        {"match": "GET /v1/events", "mode": "truncate_after"},
    )

    result = succeed(run_daemon(odoo_server, "once"))

    assert company.invoice(invoice_id)["state"] == "paid"
    assert len(company.notes(invoice_id, PAID_NOTE)) == 1
    # Both faults were met, and retried: the third read of the feed applied the payment.
    assert company.sandbox.request("GET", "/_sandbox/faults")["data"] == []
    retries = [line for line in result.stderr.splitlines() if "sync_daemon.retry" in line]
    assert len(retries) == 2, result.stderr[-3000:]
    assert "/v1/events answered 502" in retries[0]
    assert "/v1/events answered a body that is not JSON" in retries[1]


def test_a_proxys_not_found_page_is_reported_once_not_retried(odoo_server, company):
    """A proxy's HTML 404 at the billing URL: the address is wrong, asking again changes nothing."""
    invoice_id = company.make_invoice()
    pay(company, invoice_id)
    company.sandbox.inject(
        {"match": "GET /v1/events", "mode": "gateway_error", "status": 404, "count": 5}
    )

    result = run_daemon(odoo_server, "once")

    assert result.returncode == 1
    assert company.invoice(invoice_id)["state"] == "sent"
    assert "/v1/events answered 404 with a body that is not the Billing API's" in result.stderr
    assert "check that the company's billing system URL in Odoo" in result.stderr
    assert "sync_daemon.retry" not in result.stderr, result.stderr[-3000:]
    faults = company.sandbox.request("GET", "/_sandbox/faults")["data"]
    assert [fault["count"] for fault in faults] == [4]  # asked once


def test_a_cancellation_in_billing_cancels_the_invoice(odoo_server, company):
    invoice_id = company.make_invoice()
    remote = company.sandbox.cancel(company.invoice(invoice_id)["billing_id"])

    succeed(run_daemon(odoo_server, "once"))

    invoice = company.invoice(invoice_id)
    assert invoice["state"] == "cancelled"
    assert invoice["cancelled_at"] == odoo_datetime(remote["cancelled_at"])
    assert len(company.notes(invoice_id, CANCELLED_NOTE)) == 1


def test_event_ids_beyond_32_bits_are_applied(odoo_server, tmp_path):
    """Odoo's integer columns stop at 2**31 - 1; the Billing API's ids only promise to grow."""
    sandbox = Sandbox(tmp_path, first_event_id=2**40).start()
    company = BilledCompany(odoo_server, sandbox, "E2E event ids beyond 32 bits")
    try:
        paid_id, cancelled_id = company.make_invoice(), company.make_invoice()
        pay(company, paid_id)
        sandbox.cancel(company.invoice(cancelled_id)["billing_id"])

        succeed(run_daemon(odoo_server, "once"))

        states = [invoice["state"] for invoice in company.invoices([paid_id, cancelled_id])]
        assert states == ["paid", "cancelled"]
        last_event = sandbox.events()[-1]["id"]
        assert last_event > 2**40
        assert company.cursor()["last_event_id"] == last_event
    finally:
        company.disconnect()
        sandbox.stop()


def test_failed_and_unknown_pushes_end_synced_with_one_external_invoice_each(
    odoo_server, company
):
    sandbox = company.sandbox
    sandbox.inject({"match": "POST /v1/invoices", "mode": "error_before", "status": 503})
    failed_id = company.make_invoice(10.0)
    # The company waits 2 s: the sandbox makes the invoice, then holds the answer for 4 s.
    sandbox.inject({"match": "POST /v1/invoices", "mode": "timeout_after", "seconds": 4})
    unknown_id = company.make_invoice(20.0)
    sandbox.inject({"match": "POST /v1/invoices", "mode": "reset_after"})
    reset_id = company.make_invoice(30.0)
    ids = [failed_id, unknown_id, reset_id]
    assert [inv["billing_state"] for inv in company.invoices(ids)] == [
        "failed", "unknown", "unknown"
    ]

    succeed(run_daemon(odoo_server, "once"))

    for invoice in company.invoices(ids):
        remote = sandbox.invoices_with_reference(invoice["name"])
        assert len(remote) == 1, f"{invoice['name']} exists {len(remote)} times in billing"
        assert (invoice["billing_state"], invoice["billing_id"]) == ("synced", remote[0]["id"])


@pytest.mark.parametrize("outcome", ["paid", "cancelled"])
def test_an_event_for_an_invoice_whose_push_went_unanswered_is_applied(
    odoo_server, company, outcome
):
    """The push made the invoice in billing but its answer never came: Odoo has no billing id.

    The event finds the invoice by its number, and its total shows it is the same invoice.
    """
    sandbox = company.sandbox
    sandbox.inject({"match": "POST /v1/invoices", "mode": "timeout_after", "seconds": 4})
    invoice_id = company.make_invoice(20.0)
    local = company.invoice(invoice_id)
    assert (local["billing_state"], local["billing_id"]) == ("unknown", False)
    [remote] = sandbox.invoices_with_reference(local["name"])
    if outcome == "paid":
        sandbox.pay(remote["id"], remote["total"])
    else:
        sandbox.cancel(remote["id"])

    succeed(run_daemon(odoo_server, "once"))

    invoice = company.invoice(invoice_id)
    assert (invoice["state"], invoice["billing_state"], invoice["billing_id"]) == (
        outcome, "synced", remote["id"]
    )
    note = PAID_NOTE if outcome == "paid" else CANCELLED_NOTE
    assert len(company.notes(invoice_id, note)) == 1


def test_sigkill_at_random_points_applies_every_event_exactly_once(odoo_server, company):
    invoice_ids = [company.make_invoice(10.0 + n) for n in range(20)]
    paid_ids, cancelled_ids = invoice_ids[:15], invoice_ids[15:]
    for invoice_id in paid_ids:
        pay(company, invoice_id)
    for invoice in company.invoices(cancelled_ids):
        company.sandbox.cancel(invoice["billing_id"])
    last_event = company.sandbox.events()[-1]["id"]
    # Each read of the feed takes a little longer, so that the 40 pages last over a second even
    # on a fast machine: otherwise a kill half a second after the first page could find the
    # feed already applied, and no kill would land mid-feed.
    company.sandbox.inject(
        {"match": "GET /v1/events", "mode": "delay", "seconds": 0.03, "count": 10_000}
    )
    seed = int(os.environ.get("TEKTORO_E2E_SEED", time.time()))
    rng = random.Random(seed)
    slow = {  # one event per page and per Odoo transaction: many instants to be killed at
        "TEKTORO_SYNC_PAGE_SIZE": 1,
        "TEKTORO_SYNC_EVENTS_INTERVAL": 1,
        "TEKTORO_SYNC_RETRY_INTERVAL": 3600,
        "TEKTORO_SYNC_RECONCILE_INTERVAL": 3600,
    }
    cursors = []
    for _round in range(8):
        before = company.applied_up_to()
        if before == last_event:
            break
        daemon = start_daemon(odoo_server, "run", **slow)
        if rng.random() < 0.25:
            time.sleep(rng.uniform(0, 2.0))  # anywhere, start-up and login included
        else:
            # Once it is applying pages, at a random instant of one of them.
            wait_until(
                lambda before=before: company.applied_up_to() > before, 60, "a page applied", 0.05
            )
            time.sleep(rng.uniform(0, 0.5))
        kill(daemon, signal.SIGKILL)
        cursors.append(company.applied_up_to())
    assert any(0 < cursor < last_event for cursor in cursors), (
        f"no kill landed mid-feed (seed {seed}, cursors {cursors}): the test proved nothing"
    )

    succeed(run_daemon(odoo_server, "once"))

    states = {inv["id"]: inv["state"] for inv in company.invoices(invoice_ids)}
    assert [states[i] for i in paid_ids] == ["paid"] * 15, f"seed {seed}"
    assert [states[i] for i in cancelled_ids] == ["cancelled"] * 5, f"seed {seed}"
    for invoice_id in paid_ids:
        assert len(company.notes(invoice_id, PAID_NOTE)) == 1, f"seed {seed}"
    for invoice_id in cancelled_ids:
        assert len(company.notes(invoice_id, CANCELLED_NOTE)) == 1, f"seed {seed}"
    assert company.cursor()["last_event_id"] == last_event


@pytest.mark.parametrize(("command", "exit_code"), [("run", 0), ("once", 1)])
def test_sigterm_mid_feed_finishes_the_page_in_flight_and_exits(
    odoo_server, company, command, exit_code
):
    invoice_ids = [company.make_invoice(10.0 + n) for n in range(30)]
    for invoice_id in invoice_ids:
        pay(company, invoice_id)
    invoice_of = {invoice["billing_id"]: invoice["id"] for invoice in company.invoices(invoice_ids)}
    paid_event = {
        invoice_of[event["invoice"]["id"]]: event["id"]
        for event in company.sandbox.events()
        if event["type"] == "invoice.paid"
    }
    last_event = max(paid_event.values())
    # One event per page, each read slowed down: the feed lasts seconds, the signal lands in it.
    company.sandbox.inject(
        {"match": "GET /v1/events", "mode": "delay", "seconds": 0.05, "count": 10_000}
    )
    daemon = start_daemon(
        odoo_server,
        command,
        TEKTORO_SYNC_PAGE_SIZE=1,
        TEKTORO_SYNC_RETRY_INTERVAL=3600,
        TEKTORO_SYNC_RECONCILE_INTERVAL=3600,
    )

    wait_until(lambda: company.applied_up_to() > 0, 60, "a page applied", 0.05)
    _out, err = kill(daemon, signal.SIGTERM)

    assert daemon.returncode == exit_code, err[-3000:]
    assert "Received SIGTERM" in err
    stopped_at = company.applied_up_to()
    assert 0 < stopped_at < last_event, f"stopped at {stopped_at} of {last_event}"
    # The page in flight was applied with its cursor, and nothing after it.
    states = {invoice["id"]: invoice["state"] for invoice in company.invoices(invoice_ids)}
    for invoice_id, event_id in paid_event.items():
        assert states[invoice_id] == ("paid" if event_id <= stopped_at else "sent"), invoice_id
        assert len(company.notes(invoice_id, PAID_NOTE)) == (event_id <= stopped_at)
    if command == "once":  # the jobs after the one stopped were not started
        assert "Stopped: retry_pushes not run" in err
        assert "Stopped: reconcile not run" in err

    company.sandbox.clear_faults()
    succeed(run_daemon(odoo_server, "once"))
    assert {invoice["state"] for invoice in company.invoices(invoice_ids)} == {"paid"}


def test_sigterm_during_reconcile_finishes_the_company_in_hand_and_exits(
    odoo_server, company, tmp_path
):
    other_sandbox = Sandbox(tmp_path).start()
    other = BilledCompany(odoo_server, other_sandbox, f"{company.name} other")
    try:
        # The first company's billing invoices come slowly (within its 2 s timeout); the
        # signal lands while they do.
        company.sandbox.inject(
            {"match": "GET /v1/invoices", "mode": "delay", "seconds": 1.5, "count": 1}
        )
        daemon = start_daemon(odoo_server, "reconcile", "--json", "--no-report")
        wait_until(
            lambda: not company.sandbox.request("GET", "/_sandbox/faults")["data"],
            60,
            "the reconcile to read the first company's billing invoices",
            0.05,
        )
        out, err = kill(daemon, signal.SIGTERM)
    finally:
        other.disconnect()
        other_sandbox.stop()

    assert daemon.returncode == 1, err[-3000:]
    assert "reconcile stopped by a signal" in err
    document = json.loads(out)
    assert [report["company_id"] for report in document["companies"]] == [company.company_id]
    assert document["stopped"] is True


def test_reconcile_prints_the_companies_it_compared_when_another_ones_billing_is_down(
    odoo_server, company
):
    company.sandbox.create_foreign_invoice("EXT-0001")
    down = BilledCompany(
        odoo_server,
        company.sandbox,
        f"{company.name} down",
        billing_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
    )
    try:
        result = run_daemon(
            odoo_server, "reconcile", "--json", "--no-report", TEKTORO_SYNC_MAX_ATTEMPTS=1
        )
    finally:
        down.disconnect()

    assert result.returncode == 1, result.stderr[-3000:]
    document = json.loads(result.stdout)
    [report] = document["companies"]
    assert report["company_id"] == company.company_id
    assert [(d["kind"], d["reference"]) for d in report["drift"]] == [("missing_here", "EXT-0001")]
    assert [failure["company"] for failure in document["failed"]] == [down.name]
    assert document["stopped"] is False
    assert f"reconcile failed for 1 company(ies): {down.name}" in result.stderr


def test_two_daemons_at_once_double_nothing(odoo_server, company):
    invoice_ids = [company.make_invoice(10.0 + n) for n in range(12)]
    for invoice_id in invoice_ids:
        pay(company, invoice_id)
    last_event = company.sandbox.events()[-1]["id"]

    daemons = [start_daemon(odoo_server, "once", TEKTORO_SYNC_PAGE_SIZE=2) for _ in range(2)]
    outputs = [daemon.communicate(timeout=120) for daemon in daemons]

    for daemon, (_out, err) in zip(daemons, outputs, strict=True):
        assert daemon.returncode == 0, err[-3000:]
    assert {inv["state"] for inv in company.invoices(invoice_ids)} == {"paid"}
    for invoice_id in invoice_ids:
        assert len(company.notes(invoice_id, PAID_NOTE)) == 1
    assert company.cursor()["last_event_id"] == last_event


def test_reconcile_names_each_kind_of_drift_and_tells_managers_when_it_persists(
    odoo_server, company, tmp_path
):
    sandbox = company.sandbox
    paid_outside = company.make_invoice(10.0)
    pay(company, paid_outside)
    cancelled_outside = company.make_invoice(20.0)
    sandbox.cancel(company.invoice(cancelled_outside)["billing_id"])
    sandbox.create_foreign_invoice("EXT-0001")
    # Pushed to another billing system (say, one later restored from an older backup).
    elsewhere = Sandbox(tmp_path).start()
    try:
        company.admin(
            "res.company", "write", [company.company_id],
            {"tektoro_billing_url": elsewhere.url, "tektoro_billing_api_key": elsewhere.api_key},
        )
        missing_there = company.make_invoice(30.0)
    finally:
        company.admin(
            "res.company", "write", [company.company_id],
            {"tektoro_billing_url": sandbox.url, "tektoro_billing_api_key": sandbox.api_key},
        )
        elsewhere.stop()
    # Another tool already used the number Odoo gives next, for another amount.
    next_number = "TFT-%05d" % 4
    sandbox.create_foreign_invoice(next_number, total="999.00")
    amount_differs = company.make_invoice(40.0)
    assert company.invoice(amount_differs)["name"] == next_number

    first = succeed(run_daemon(odoo_server, "reconcile", "--json"))
    report = json.loads(first.stdout)["companies"]
    ours = next(c for c in report if c["company_id"] == company.company_id)
    found = {(item["kind"], item["reference"]) for item in ours["drift"]}
    name = {i: company.invoice(i)["name"] for i in
            (paid_outside, cancelled_outside, missing_there)}
    assert {
        ("paid_outside", name[paid_outside]),
        ("cancelled_outside", name[cancelled_outside]),
        ("missing_here", "EXT-0001"),
        ("missing_there", name[missing_there]),
        ("amount_differs", next_number),
    } <= found
    assert ours["persistent"] == 0

    second = succeed(run_daemon(odoo_server, "reconcile"))
    for kind in ("paid_outside", "cancelled_outside", "missing_here", "missing_there",
                 "amount_differs"):
        assert kind in second.stdout
    assert f"({len(found)} persistent)" in second.stdout
    drift_id = company.admin(
        "tektoro.billing.drift", "search", [("company_id", "=", company.company_id)]
    )[0]
    activities = company.admin(
        "mail.activity",
        "search_read",
        [("res_model", "=", "tektoro.billing.drift"), ("res_id", "=", drift_id),
         ("user_id", "=", company.admin.uid)],
        ["summary", "note"],
    )
    assert len(activities) == 1
    assert "EXT-0001" in activities[0]["note"]
    assert name[paid_outside] in activities[0]["note"]


def test_companies_sharing_a_billing_account_see_no_drift_in_each_others_invoices(
    odoo_server, company
):
    # One billing account takes each number once: the companies number apart. The neighbour
    # writes the account's address another way; it is the same account.
    neighbour = BilledCompany(
        odoo_server,
        company.sandbox,
        f"{company.name} neighbour",
        invoice_prefix="NBR",
        billing_url=company.sandbox.url.replace("http://", "HTTP://") + "/",
    )
    try:
        ours = company.invoice(company.make_invoice(10.0))
        theirs = neighbour.invoice(neighbour.make_invoice(20.0))
        assert (ours["billing_state"], theirs["billing_state"]) == ("synced", "synced")
        # Invoices that neither company holds: each is reported once, by the company whose
        # prefix it carries, or else by the account's first company.
        company.sandbox.create_foreign_invoice("NBR-09999")
        company.sandbox.create_foreign_invoice("EXT-0001")

        result = succeed(run_daemon(odoo_server, "reconcile", "--json"))
    finally:
        neighbour.disconnect()

    report = {c["company_id"]: c for c in json.loads(result.stdout)["companies"]}
    assert [(d["kind"], d["reference"]) for d in report[company.company_id]["drift"]] == [
        ("missing_here", "EXT-0001")
    ]
    assert [(d["kind"], d["reference"]) for d in report[neighbour.company_id]["drift"]] == [
        ("missing_here", "NBR-09999")
    ]


def test_run_serves_health_and_metrics_and_stops_cleanly_on_sigterm(odoo_server, company):
    invoice_id = company.make_invoice()
    pay(company, invoice_id)
    port = free_port()
    log_before = odoo_server.log_path.read_text()
    daemon = start_daemon(
        odoo_server,
        "run",
        TEKTORO_SYNC_HTTP_PORT=port,
        TEKTORO_SYNC_HTTP_HOST="127.0.0.1",
        TEKTORO_SYNC_LOG_FORMAT="json",
        TEKTORO_SYNC_EVENTS_INTERVAL=1,
        TEKTORO_SYNC_RETRY_INTERVAL=1,
        TEKTORO_SYNC_RECONCILE_INTERVAL=1,
    )
    try:
        def healthy():
            try:
                return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json()
            except (requests.RequestException, ValueError):
                return None

        def every_job_succeeded():
            jobs = (healthy() or {}).get("jobs", {})
            return len(jobs) == 3 and all(job["last_success"] for job in jobs.values())

        wait_until(every_job_succeeded, 60, "every job to succeed once")
        assert healthy()["status"] == "ok"
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'tektoro_sync_events_applied_total{company="' in metrics
        assert 'type="invoice.paid"} 1.0' in metrics
        assert "tektoro_sync_job_duration_seconds_count" in metrics
        assert 'tektoro_sync_drift{company="' in metrics
        assert company.invoice(invoice_id)["state"] == "paid"
    finally:
        _out, err = kill(daemon, signal.SIGTERM)
    assert daemon.returncode == 0, err[-3000:]
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert lines[-1]["message"] == "Sync daemon stopped"
    # The three jobs start together and then run every second side by side: none of their
    # calls may collide with another in Odoo (a failed query, then a replay).
    odoo_log = odoo_server.log_path.read_text()[len(log_before):]
    for collision in ("bad query", "tries left, try again"):
        assert collision not in odoo_log, odoo_log[-3000:]


def test_check_reports_each_company_and_a_refused_key(odoo_server, company):
    result = succeed(run_daemon(odoo_server, "check"))
    assert f"billing for {company.name}: ok" in result.stdout

    company.admin(
        "res.company", "write", [company.company_id], {"tektoro_billing_api_key": "sk_wrong_key"}
    )
    result = run_daemon(odoo_server, "check")
    assert result.returncode == 1
    assert f"billing for {company.name}: FAILED" in result.stdout
    assert "401" in result.stdout
    assert "sk_wrong_key" not in result.stdout + result.stderr


def test_check_names_a_billing_url_that_no_request_can_be_sent_to(odoo_server, company):
    """A URL saved before Odoo checked them (the settings refuse it now): reported, not a crash."""
    import psycopg2  # Odoo's dependency: imported only where Odoo is

    with psycopg2.connect(dbname=odoo_server.database) as connection, connection.cursor() as cr:
        cr.execute(
            "UPDATE res_company SET tektoro_billing_url = 'http://' WHERE id = %s",
            [company.company_id],
        )
    connection.close()

    result = run_daemon(odoo_server, "check")

    assert result.returncode == 1
    assert f"billing for {company.name}: FAILED" in result.stdout
    assert "cannot be sent" in result.stdout
    assert "check the company's billing system URL and API key in Odoo" in result.stdout
    assert "Traceback" not in result.stderr


def test_check_names_a_billing_url_that_redirects_and_the_jobs_do_not_follow_it(
    odoo_server, company
):
    """Moved to HTTPS: following would carry the key to wherever the redirect points."""
    invoice_id = company.make_invoice()
    pay(company, invoice_id)
    company.sandbox.inject({"match": "GET /v1/", "mode": "redirect"})

    result = run_daemon(odoo_server, "check")
    assert result.returncode == 1
    assert f"billing for {company.name}: FAILED" in result.stdout
    https = "https://" + company.sandbox.url.split("://", 1)[1]
    assert f"answered 301, redirecting to {https}/v1/" in result.stdout
    assert "put the billing system's own address in the company's settings" in result.stdout

    company.sandbox.inject({"match": "GET /v1/events", "mode": "redirect"})
    result = run_daemon(odoo_server, "once")
    assert result.returncode == 1
    assert company.invoice(invoice_id)["state"] == "sent"  # the events were not read
    succeed(run_daemon(odoo_server, "once"))  # the redirects are used up: read again
    assert company.invoice(invoice_id)["state"] == "paid"
