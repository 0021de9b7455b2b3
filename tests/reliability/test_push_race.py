"""A request's push after commit still in flight when the sync daemon's retry takes the same
invoice: one external invoice, the invoice ``synced`` to it, no error on either side.

The retry leaves a ``pending`` invoice alone for a grace period; here the grace is 0, so a slow
push (held by the sandbox) races ``tektoro-sync once``. The sandbox's faults stage each order of
arrival, and the unused ones show which order really ran. Last, a push whose outcome the
database refuses to record: it too ends with the invoice left for the retry.

    python3 -m pytest tests/reliability/test_push_race.py -s
"""

import threading
import time

import pytest
from daemon.e2e.harness import ODOO_MISSING, SKIP_REASON, run_daemon, wait_until

from .common import Outcomes, local_invoices, make_completed_work_orders

pytestmark = pytest.mark.skipif(ODOO_MISSING, reason=SKIP_REASON)

PENDING_GRACE_PARAMETER = "tektoro_invoicing.pending_push_grace_seconds"
# What PostgreSQL says (in Odoo's log) when the second of the two writers records its outcome.
CONFLICT = "ERROR: could not serialize access due to concurrent update"
# What the post-commit push logs when it could not record its outcome.
POST_COMMIT_FAILED = "after their commit failed"
# What Odoo logs when it replays a request after a serialization failure.
REPLAY = "SERIALIZATION_FAILURE, 4 tries left, try again in"
PUSH = "POST /v1/invoices"
LOOKUP = "GET /v1/invoices"


def delay(match, seconds):
    return {"match": match, "mode": "delay", "seconds": seconds, "count": 1}


def faults_left(sandbox):
    return [
        (fault["match"], float(fault["seconds"]))
        for fault in sandbox.request("GET", "/_sandbox/faults")["data"]
    ]


# Faults are used up in order, one per matching call. The request's push arrives first and
# takes the first ``POST`` fault; the daemon starts once it has. ``left`` is what the daemon's
# run must leave unused; ``loser``, which writer meets the other's outcome when it records its
# own (one serialization failure): the request's post-commit push reads the invoice again, the
# daemon's ``retry_pushes`` call is replayed by Odoo.
SCENARIOS = {
    # The retry looks the number up (nothing yet) and pushes at once, while the request's push,
    # with the same key, is held 5 s: the retry's push lands and is recorded first.
    "retry_push_lands_first": ([delay(PUSH, 5), delay(PUSH, 0)], [], "request"),
    # The retry's push fails (503) and records ``failed``; the request's push, held 5 s, then
    # succeeds and must not leave the invoice ``failed`` beside its external invoice.
    "retry_push_fails_request_push_lands": (
        [delay(PUSH, 5), {"match": PUSH, "mode": "error_before", "status": 503, "count": 1}],
        [],
        "request",
    ),
    # The retry looks up (nothing yet) and pushes, but its push is held 5 s from its arrival,
    # so the request's push (held 4 s from an earlier arrival) lands and is recorded first.
    "request_push_lands_first": ([delay(PUSH, 4), delay(PUSH, 5)], [], "daemon"),
    # The retry takes the pending invoice, but its look-up is held past the request's push,
    # finds the request's external invoice and pushes nothing (the last fault stays unused).
    "retry_finds_the_request_push": (
        [delay(PUSH, 4), delay(LOOKUP, 4), delay(PUSH, 0)],
        [delay(PUSH, 0)],
        "daemon",
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_slow_push_after_commit_racing_the_retry_makes_one_external_invoice(
    odoo_server, company, scenario
):
    faults, left, loser = SCENARIOS[scenario]
    sandbox = company.sandbox
    # The held pushes must not time out: this is about a slow push that succeeds.
    company.admin("res.company", "write", [company.company_id], {"tektoro_billing_timeout": 15})
    [order_id] = make_completed_work_orders(company, 1)
    company.admin("ir.config_parameter", "set_param", PENDING_GRACE_PARAMETER, "0")
    log_before = odoo_server.log_path.read_text()
    try:
        sandbox.inject(*faults)
        outcomes = Outcomes()
        click = threading.Thread(
            target=outcomes.call,
            args=(company.admin, "tektoro.work.order", "action_create_invoice", order_id),
        )
        started = time.monotonic()
        click.start()
        wait_until(
            lambda: len(faults_left(sandbox)) < len(faults),
            20,
            "the request's push to reach the billing system",
            interval=0.05,
        )
        daemon = run_daemon(odoo_server, "once")
        daemon_done = time.monotonic() - started
        click.join(60)
        unused = faults_left(sandbox)
        sandbox.clear_faults()
    finally:
        company.admin("ir.config_parameter", "set_param", PENDING_GRACE_PARAMETER, False)
    log = odoo_server.log_path.read_text()[len(log_before):]
    print(
        f"{scenario}: daemon done after {daemon_done:.1f} s, request after "
        f"{time.monotonic() - started:.1f} s; {log.count(CONFLICT)} serialization "
        f"failure(s), {log.count(REPLAY)} replay(s)"
    )

    assert not click.is_alive(), "the create-invoice call did not return"
    assert outcomes.results and not (
        outcomes.user_errors or outcomes.internal_errors or outcomes.http_errors
    ), (outcomes.user_errors, outcomes.internal_errors, outcomes.http_errors)
    assert daemon.returncode == 0, daemon.stderr[-3000:]
    [invoice] = local_invoices(company)
    remote = sandbox.every_invoice()
    assert [item["reference"] for item in remote] == [invoice["name"]]
    assert (invoice["state"], invoice["billing_state"], invoice["billing_id"]) == (
        "sent", "synced", remote[0]["id"]
    )
    assert remote[0]["total"] == pytest.approx(invoice["amount_total"])
    # The race ran as staged: each writer took the invoice while the other's push was in flight.
    assert unused == [(fault["match"], fault["seconds"]) for fault in left], unused
    assert log.count(CONFLICT) == 1, log[-3000:]
    assert log.count(REPLAY) == (1 if loser == "daemon" else 0), log[-3000:]
    assert POST_COMMIT_FAILED not in log, log[-3000:]


def test_a_push_after_commit_that_cannot_be_recorded_leaves_the_invoice_for_the_retry(
    odoo_server, company
):
    """The post-commit push's last resort: an error that is neither a billing failure nor a
    concurrent update (here the database refuses the write, through a trigger the test adds)
    is logged, the request still succeeds, and the invoice stays ``pending`` until the daemon's
    retry finds its external invoice and adopts it."""
    import psycopg2  # Odoo's dependency: imported only where Odoo is

    [order_id] = make_completed_work_orders(company, 1)
    log_before = odoo_server.log_path.read_text()
    refused = "injected: the database refuses to record this push"
    connection = psycopg2.connect(dbname=odoo_server.database)
    connection.autocommit = True
    try:
        with connection.cursor() as cr:
            cr.execute(
                f"""
                CREATE FUNCTION tektoro_test_refuse_push() RETURNS trigger LANGUAGE plpgsql
                AS $$ BEGIN RAISE EXCEPTION '{refused}'; END $$;
                CREATE TRIGGER tektoro_test_refuse_push
                BEFORE UPDATE OF billing_state ON tektoro_invoice FOR EACH ROW
                WHEN (OLD.billing_state = 'pending' AND OLD.company_id = {company.company_id:d})
                EXECUTE FUNCTION tektoro_test_refuse_push();
                """
            )
        outcomes = Outcomes()
        outcomes.call(company.admin, "tektoro.work.order", "action_create_invoice", order_id)
    finally:
        with connection.cursor() as cr:
            cr.execute("DROP TRIGGER IF EXISTS tektoro_test_refuse_push ON tektoro_invoice")
            cr.execute("DROP FUNCTION IF EXISTS tektoro_test_refuse_push()")
        connection.close()
    log = odoo_server.log_path.read_text()[len(log_before):]

    assert outcomes.results and not (
        outcomes.user_errors or outcomes.internal_errors or outcomes.http_errors
    ), (outcomes.user_errors, outcomes.internal_errors, outcomes.http_errors)
    assert POST_COMMIT_FAILED in log and refused in log, log[-3000:]
    [invoice] = local_invoices(company)
    assert (invoice["billing_state"], invoice["billing_id"]) == ("pending", False)
    # The push itself went out before its outcome could not be recorded.
    assert [item["reference"] for item in company.sandbox.every_invoice()] == [invoice["name"]]

    company.admin("ir.config_parameter", "set_param", PENDING_GRACE_PARAMETER, "0")
    try:
        daemon = run_daemon(odoo_server, "once")
    finally:
        company.admin("ir.config_parameter", "set_param", PENDING_GRACE_PARAMETER, False)
    assert daemon.returncode == 0, daemon.stderr[-3000:]
    [invoice] = local_invoices(company)
    remote = company.sandbox.every_invoice()
    assert [item["reference"] for item in remote] == [invoice["name"]]
    assert (invoice["billing_state"], invoice["billing_id"]) == ("synced", remote[0]["id"])
