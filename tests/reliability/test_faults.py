"""Work-order invoices created by several RPC clients at once on a multi-worker Odoo, while
about 30% of the billing system's answers fail in every way the sandbox can fail them; then
one ``tektoro-sync once``. Every invoice must end with exactly one external invoice.

    TEKTORO_RELIABILITY_SCALE=full python3 -m pytest tests/reliability/test_faults.py -s
"""

import threading
from collections import Counter

import pytest
from daemon.e2e.harness import ODOO_MISSING, SKIP_REASON, run_daemon

from .common import (
    Outcomes,
    assert_one_external_invoice_each,
    local_invoices,
    make_completed_work_orders,
)

pytestmark = pytest.mark.skipif(ODOO_MISSING, reason=SKIP_REASON)

FAILURE_RATE = 0.3
BILLING_TIMEOUT = 1.0  # the company waits this long for the billing system
# One fault per injection; all but ``delay`` make the push fail or leave it unanswered.
FAULTS = [
    {"mode": "error_before", "status": 503},
    {"mode": "gateway_error", "status": 504},
    {"mode": "error_after", "status": 502},
    {"mode": "timeout_after", "seconds": BILLING_TIMEOUT + 1.5},
    {"mode": "reset_after"},
    {"mode": "truncate_after"},
    {"mode": "delay", "seconds": BILLING_TIMEOUT / 2},
]
SERIALIZATION_RATE_PARAMETER = "tektoro_reliability_hooks.serialization_failure_rate"
# What the test-only hooks addon logs each time it forces one.
FORCED_SERIALIZATION_FAILURE = "tektoro_reliability_hooks: forcing a serialization failure"


def create_invoices_under_faults(company, order_ids, clients, rng):
    """Each client thread invoices its share of the work orders; before ~30% of the calls it
    injects one fault. The threads share one sandbox, so a fault may hit another thread's push:
    what counts is that ~30% of pushes meet one."""
    sandbox = company.sandbox
    inject_lock = threading.Lock()
    injected = Counter()
    outcomes = Outcomes()
    plan = [(order_id, rng.random() < FAILURE_RATE, rng.choice(FAULTS)) for order_id in order_ids]

    def client(share):
        rpc = company.odoo.rpc()
        rpc.company_ids = [company.company_id]
        for order_id, faulty, fault in share:
            if faulty:
                with inject_lock:
                    sandbox.inject({"match": "POST /v1/invoices", "count": 1, **fault})
                    injected[fault["mode"]] += 1
            outcomes.call(rpc, "tektoro.work.order", "action_create_invoice", order_id)

    threads = [
        threading.Thread(target=client, args=(plan[number::clients],)) for number in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, injected


def run_faults(company, scale, rng, serialization_rate=0.0):
    company.admin(
        "res.company", "write", [company.company_id], {"tektoro_billing_timeout": BILLING_TIMEOUT}
    )
    company.admin(
        "ir.config_parameter", "set_param", SERIALIZATION_RATE_PARAMETER, str(serialization_rate)
    )
    try:
        order_ids = make_completed_work_orders(company, scale.creations)
        outcomes, injected = create_invoices_under_faults(company, order_ids, scale.clients, rng)
    finally:
        company.admin("ir.config_parameter", "set_param", SERIALIZATION_RATE_PARAMETER, "0")
    assert not (outcomes.user_errors or outcomes.internal_errors or outcomes.http_errors), (
        outcomes.user_errors[:3], outcomes.internal_errors[:3], outcomes.http_errors[:3]
    )
    assert len(outcomes.results) == scale.creations
    before_sync = Counter(invoice["billing_state"] for invoice in local_invoices(company))
    unused = company.sandbox.request("GET", "/_sandbox/faults")
    company.sandbox.clear_faults()
    print(f"faults injected {dict(injected)}, left unused {unused}")
    print(f"billing states before the sync: {dict(before_sync)}")
    # The faults really bit: pushes were left failed and unknown for the sync to settle.
    assert before_sync["failed"] and before_sync["unknown"], before_sync

    result = run_daemon(company.odoo, "once", timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]

    invoices = local_invoices(company)
    assert len(invoices) == scale.creations
    assert len({invoice["work_order_id"][0] for invoice in invoices}) == scale.creations
    assert_one_external_invoice_each(company, invoices)


def test_creations_under_billing_faults_make_one_external_invoice_each(company, scale, rng):
    run_faults(company, scale, rng)


def test_serialization_failures_in_invoicing_requests_make_no_second_invoice(
    company, scale, rng
):
    """~30% of the creations meet a real serialization failure once the invoice is numbered,
    and Odoo replays them. The push runs only after a commit, so no rolled-back attempt pushed
    anything, and no number it gave back is in the billing system."""
    log = company.odoo.log_path
    forced_before = log.read_text().count(FORCED_SERIALIZATION_FAILURE)
    run_faults(company, scale, rng, serialization_rate=0.3)
    forced = log.read_text().count(FORCED_SERIALIZATION_FAILURE) - forced_before
    print(f"serialization failures forced (each replayed by Odoo): {forced}")
    assert forced, "no serialization failure was forced: the run proves nothing"
