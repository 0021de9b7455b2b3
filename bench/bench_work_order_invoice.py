"""Work-order invoice creations per second, with the push to the billing sandbox and without.

Each creation is one request as Odoo runs it: its own cursor, ``retrying`` around the call and
a commit at the end. The push side talks to a real sandbox process on a free port; the local
side has no billing URL. Both create the same number of invoices from identical work orders.

    python3 bench/bench_work_order_invoice.py [--count 200] [--database existing_db]

Without ``--database`` a throwaway database is created with the addon installed (about a
minute) and dropped afterwards.
"""

import argparse
import statistics
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from throwaway import odoo_options, throwaway_database  # noqa: E402 - beside this script

from billing_sandbox.testing import SandboxProcess  # noqa: E402 - after the checkout is on the path


def environment(cr):
    from odoo import SUPERUSER_ID, api

    return api.Environment(cr, SUPERUSER_ID, {})


def prepare(registry, count, label):
    """Completed work orders to invoice, committed."""
    from odoo import Command

    with registry.cursor() as cr:
        env = environment(cr)
        partner = env["res.partner"].create({"name": f"Bench customer {label}"})
        device = env["tektoro.device.model"].create(
            {"name": f"Bench device {label} {time.time()}", "cost": 120}
        )
        work_orders = env["tektoro.work.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "device_model_id": device.id,
                    "state": "completed",
                    "line_ids": [
                        Command.create({"name": "Labour", "quantity": 1.5, "price_unit": 80}),
                        Command.create({"name": "Parts", "quantity": 3, "price_unit": 12.4}),
                    ],
                }
                for _i in range(count)
            ]
        )
        return work_orders.ids


def configure(registry, **values):
    with registry.cursor() as cr:
        company = environment(cr).ref("base.main_company")
        company.write({"tektoro_invoices_enabled": True, **values})


def create_invoices(registry, work_order_ids):
    """One request per invoice; returns the latency of each, in seconds."""
    from odoo.service.model import retrying

    def create(env, work_order_id):
        return env["tektoro.work.order"].browse(work_order_id).action_create_invoice()

    latencies = []
    for work_order_id in work_order_ids:
        started = time.perf_counter()
        with registry.cursor() as cr:
            env = environment(cr)
            retrying(partial(create, env, work_order_id), env)
        latencies.append(time.perf_counter() - started)
    return latencies


def billing_states(registry, work_order_ids):
    with registry.cursor() as cr:
        invoices = environment(cr)["tektoro.invoice"].search(
            [("work_order_id", "in", work_order_ids)]
        )
        return "/".join(sorted(set(invoices.mapped("billing_state")))), len(invoices)


def report(label, latencies, states):
    rate = len(latencies) / sum(latencies)
    p95 = sorted(latencies)[max(0, int(len(latencies) * 0.95) - 1)]
    print(
        f"  {label:<34} {rate:8.1f} invoices/s   "
        f"median {statistics.median(latencies) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   "
        f"({states[1]} invoices, billing_state {states[0]})"
    )
    return rate


def run(database, count, data_dir):
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(odoo_options(database, data_dir))
    registry = Registry(database)
    with SandboxProcess() as sandbox:
        pushed_ids = prepare(registry, count, "push")
        local_ids = prepare(registry, count, "local")
        configure(
            registry,
            tektoro_billing_url=sandbox.url,
            tektoro_billing_api_key=sandbox.api_key,
            tektoro_billing_timeout=10,
            tektoro_invoice_prefix=f"B{int(time.time()) % 10**8}",
        )
        pushed = create_invoices(registry, pushed_ids)
        configure(registry, tektoro_billing_url=False)
        local = create_invoices(registry, local_ids)
    print(f"\nwork-order invoice creations, {count} each, one request per invoice:")
    with_push = report(
        "with push to the billing sandbox", pushed, billing_states(registry, pushed_ids)
    )
    without = report("without billing URL (local)", local, billing_states(registry, local_ids))
    print(f"  the push adds {1000 / with_push - 1000 / without:.1f} ms per invoice")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="invoices per side")
    parser.add_argument("--database", help="an existing database with the addon installed")
    args = parser.parse_args()
    if args.database:
        run(args.database, args.count, data_dir=None)
        return
    with throwaway_database() as (database, data_dir):
        run(database, args.count, data_dir)


if __name__ == "__main__":
    main()
