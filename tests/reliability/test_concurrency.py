"""Two office users each fire many simultaneous "create invoice" calls at one work order, over
real RPC sessions to a multi-worker Odoo: one invoice, every other call refused with a clear
error, no internal error and no HTTP 500.

    TEKTORO_RELIABILITY_SCALE=full python3 -m pytest tests/reliability/test_concurrency.py
"""

import threading

import pytest
from daemon.e2e.harness import ODOO_MISSING, SKIP_REASON

from .common import Outcomes, local_invoices, make_completed_work_orders, make_office_user

pytestmark = pytest.mark.skipif(ODOO_MISSING, reason=SKIP_REASON)

REFUSALS = ("already has the active invoice", "was invoiced by someone else at the same moment")


def test_simultaneous_create_invoice_calls_on_one_work_order_make_one_invoice(
    company, scale
):
    [order_id] = make_completed_work_orders(company, 1)
    users = [
        make_office_user(company, f"office-{company.company_id}-{number}") for number in (1, 2)
    ]
    sessions = []
    for login in users:
        for _call in range(scale.concurrent_per_user):
            rpc = company.odoo.rpc(login)
            rpc.company_ids = [company.company_id]
            sessions.append(rpc)
    # The winner's push is slow, so the other calls arrive while it is in flight.
    company.sandbox.inject({"match": "POST /v1/invoices", "mode": "delay", "seconds": 1})
    barrier = threading.Barrier(len(sessions))
    outcomes = Outcomes(retry_resets=5)

    def click(rpc):
        barrier.wait()
        outcomes.call(rpc, "tektoro.work.order", "action_create_invoice", order_id)

    threads = [threading.Thread(target=click, args=(rpc,)) for rpc in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    print(f"{len(sessions)} calls at once, {outcomes.resets} connection resets retried")
    assert not outcomes.http_errors, outcomes.http_errors[:3]
    assert not outcomes.internal_errors, outcomes.internal_errors[:3]
    assert len(outcomes.results) == 1, outcomes.results
    assert len(outcomes.user_errors) == len(sessions) - 1
    unclear = [e.message for e in outcomes.user_errors if not any(r in e.message for r in REFUSALS)]
    assert not unclear, unclear[:3]
    invoices = local_invoices(company)
    assert [(i["work_order_id"][0], i["state"], i["billing_state"]) for i in invoices] == [
        (order_id, "sent", "synced")
    ]
    assert [r["reference"] for r in company.sandbox.every_invoice()] == [invoices[0]["name"]]
