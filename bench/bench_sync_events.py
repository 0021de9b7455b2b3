"""Apply 10,000 paid billing events end to end, sandbox → daemon → Odoo, and count RPC calls.

Real processes throughout: a fresh Odoo database with the addon, served over HTTP; a billing
sandbox; the daemon's own apply-events job (in this process, so its RPC counter can be read).
Then the same work done naively: one odoorpc browse and one write call per invoice.

Targets (issue 7): ≤ 20 s for 10,000 events, ≤ 3 RPC calls per page of 500, at least 20 times
the naive loop. The naive loop runs on a sample (``--naive-sample``, default 1,000 invoices) and
its time is scaled to 10,000; pass ``--naive-sample 10000`` to run it in full.

Set-up (not timed): invoices are made in the sandbox over its API, and their Odoo twins with the
ORM in one transaction (pushing 10,000 invoices one request at a time would only time the set-up).

    python3 bench/bench_sync_events.py [--events 10000] [--page-size 500] [--naive-sample 1000]
"""

import argparse
import json
import math
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import odoorpc  # noqa: E402
from daemon.e2e.harness import (  # noqa: E402
    SYNC_LOGIN,
    BilledCompany,
    OdooServer,
    Sandbox,
    make_odoo_twins,
    make_remote_invoices,
)

from sync_daemon.cli import Daemon  # noqa: E402
from sync_daemon.config import load_settings  # noqa: E402
from sync_daemon.jobs import compact_event  # noqa: E402


def pay_all(sandbox, invoices, threads=8):
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda inv: sandbox.pay(inv["id"], inv["total"]), invoices))


def daemon_settings(odoo_server, page_size):
    return load_settings(
        {
            "TEKTORO_ODOO_URL": odoo_server.url,
            "TEKTORO_ODOO_DB": odoo_server.database,
            "TEKTORO_ODOO_LOGIN": SYNC_LOGIN[0],
            "TEKTORO_ODOO_PASSWORD": SYNC_LOGIN[1],
            "TEKTORO_SYNC_PAGE_SIZE": str(page_size),
            "TEKTORO_SYNC_HTTP_PORT": "0",
        }
    )


def run_batch(odoo_server, page_size):
    """The daemon's apply-events job over everything in the feed; returns (seconds, calls)."""
    daemon = Daemon(daemon_settings(odoo_server, page_size))
    daemon.gateway.connect()  # login is once per process, not per page: keep it out of the timing
    started = time.perf_counter()
    results = daemon.jobs.apply_events()
    elapsed = time.perf_counter() - started
    calls = {
        sample.labels["method"]: int(sample.value)
        for metric in daemon.metrics.rpc_calls.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    }
    return elapsed, calls, results


def run_naive(odoo_server, sandbox, company_id, after):
    """One event at a time: browse the invoice, then write it, one RPC call each.

    Nobody may write an invoice's state directly (``tektoro.invoice`` grants no write access),
    so the write is the addon's own method called with a single event: the same Odoo work as a
    batch, without the batching. The browse reads the invoice first, as a first draft would.
    """
    host, port = odoo_server.url.split("://", 1)[1].split(":")
    reader = odoorpc.ODOO(host, port=int(port), timeout=120)
    reader.login(odoo_server.database, "admin", "admin")
    reader.env.context["allowed_company_ids"] = [company_id]
    writer = odoorpc.ODOO(host, port=int(port), timeout=120)
    writer.login(odoo_server.database, *SYNC_LOGIN)
    invoices = reader.env["tektoro.invoice"]
    started = time.perf_counter()
    applied = 0
    while True:
        page = sandbox.request("GET", "/v1/events", params={"after": after, "limit": 500})
        for event in page["data"]:
            invoice = invoices.browse(
                invoices.search([("billing_id", "=", event["invoice"]["id"])])
            )
            if event["type"] == "invoice.paid" and invoice.state == "sent":
                writer.execute_kw(
                    "tektoro.billing.sync",
                    "apply_events",
                    [company_id, after, [compact_event(event)]],
                )
                applied += 1
            after = event["id"]
        if not page["has_more"]:
            break
    return time.perf_counter() - started, applied


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--naive-sample", type=int, default=1_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tektoro-bench-") as workdir:
        odoo_server = OdooServer(workdir)
        sandbox = Sandbox(workdir)
        try:
            print("set-up: installing Odoo with the addon, starting the sandbox", flush=True)
            odoo_server.install()
            odoo_server.start()
            sandbox.start()
            company = BilledCompany(odoo_server, sandbox, "Bench Co")
            setup_started = time.perf_counter()
            batch_remote = make_remote_invoices(sandbox, "BENCH", args.events)
            naive_remote = make_remote_invoices(sandbox, "NAIVE", args.naive_sample)
            make_odoo_twins(odoo_server, company.company_id, batch_remote + naive_remote, workdir)
            # Move the cursor past the invoice.created events: only paid events are timed.
            run_batch(odoo_server, 1000)
            pay_all(sandbox, batch_remote)
            print(f"set-up: {args.events + args.naive_sample} invoices on both sides, "
                  f"{args.events} paid in billing, in {time.perf_counter() - setup_started:.1f}s",
                  flush=True)

            elapsed, calls, results = run_batch(odoo_server, args.page_size)
            applied = sum(result["applied"] for result in results)
            pages = math.ceil(args.events / args.page_size)
            apply_calls = calls.get("apply_events", 0)
            total_calls = sum(calls.values())
            paid = company.admin(
                "tektoro.invoice", "search_count",
                [("company_id", "=", company.company_id), ("state", "=", "paid")],
            )

            print(f"batch (daemon):   {applied} paid events applied in {elapsed:.2f}s "
                  f"({applied / elapsed:.0f} events/s); {paid} invoices paid in Odoo")
            print(f"rpc calls:        {total_calls} in all ({json.dumps(calls)}), "
                  f"{apply_calls} apply_events for {pages} pages of {args.page_size}: "
                  f"{total_calls / pages:.2f} calls per page", flush=True)

            cursor = company.cursor()["last_event_id"]
            pay_all(sandbox, naive_remote)
            naive_elapsed, naive_applied = run_naive(
                odoo_server, sandbox, company.company_id, cursor
            )
            naive_scaled = naive_elapsed * args.events / max(naive_applied, 1)
        finally:
            sandbox.stop()
            odoo_server.stop()

    ratio = naive_scaled / elapsed
    print(f"naive (odoorpc):  {naive_applied} events in {naive_elapsed:.2f}s, "
          f"{naive_elapsed / max(naive_applied, 1) * 1000:.1f} ms each → "
          f"{naive_scaled:.1f}s for {args.events}")
    print(f"ratio:            {ratio:.1f}x faster than the naive loop")
    targets = [
        ("time ≤ 20 s", elapsed <= 20),
        ("≤ 3 calls per page", total_calls / pages <= 3),
        ("≥ 20x naive", ratio >= 20),
        ("every event applied", applied == args.events == paid),
    ]
    for label, met in targets:
        print(f"target {label}: {'met' if met else 'MISSED'}")
    return 0 if all(met for _label, met in targets) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
