"""How fast the billing sandbox creates invoices with 8 clients at once.

Starts its own sandbox on a temporary database (a real process, fsync on every commit, as in
production), sends ``--count`` creations from ``--clients`` threads with one HTTP session each,
and prints creations per second and latency percentiles. Exits non-zero if any creation failed.

    python bench/bench_sandbox.py --count 2000
"""

import argparse
import itertools
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from billing_sandbox.testing import SandboxProcess

LINES = [
    {"description": "Unit: Pixel 8 Pro", "quantity": 1, "unit_price": 450.0},
    {"description": "Screen replacement", "quantity": 1, "unit_price": 89.9},
    {"description": "Labour h", "quantity": 1.5, "unit_price": 40.0},
]


def invoice_body(reference):
    return {
        "reference": reference,
        "customer": {"name": "Acme Repairs Ltd", "email": "billing@acme.test"},
        "currency": "USD",
        "issued_on": "2024-05-01",
        "lines": LINES,
        "subtotal": 599.9,
        "tax_rate": 15,
        "tax": 89.99,
        "total": 689.89,
    }


class Run:
    """Hands out invoice numbers to the clients and collects what each request took."""

    def __init__(self, sandbox, count):
        self._sandbox = sandbox
        self._numbers = iter(range(count))
        self._lock = threading.Lock()
        self._prefix = "BENCH-" + uuid.uuid4().hex[:8]
        self.latencies = []
        self.failures = []

    def client(self):
        with self._sandbox.client(timeout=30) as session:
            while (number := self._next()) is not None:
                reference = f"{self._prefix}-{number:06d}"
                started = time.perf_counter()
                response = session.post(
                    self._sandbox.url + "/v1/invoices",
                    json=invoice_body(reference),
                    headers={"Idempotency-Key": reference},
                )
                elapsed = time.perf_counter() - started
                with self._lock:
                    if response.status_code == 201:
                        self.latencies.append(elapsed)
                    else:
                        self.failures.append((response.status_code, response.text[:200]))

    def _next(self):
        with self._lock:
            return next(self._numbers, None)


def measure(sandbox, count, clients):
    run = Run(sandbox, count)
    threads = [threading.Thread(target=run.client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return run, time.perf_counter() - started


def report(run, wall_seconds, clients):
    latencies_ms = sorted(seconds * 1000 for seconds in run.latencies)
    percentiles = statistics.quantiles(latencies_ms, n=100, method="inclusive")
    print(f"clients              {clients}")
    print(f"invoices created     {len(latencies_ms)} in {wall_seconds:.2f} s")
    print(f"failed               {len(run.failures)}")
    print(f"creations per second {len(latencies_ms) / wall_seconds:.1f}")
    print(f"latency p50          {percentiles[49]:.1f} ms")
    print(f"latency p95          {percentiles[94]:.1f} ms")
    print(f"latency p99          {percentiles[98]:.1f} ms")
    print(f"latency max          {latencies_ms[-1]:.1f} ms")
    for status, text in itertools.islice(run.failures, 5):
        print(f"failure {status}: {text}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="invoices to create")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    args = parser.parse_args(argv)
    if args.count < 2:
        parser.error("--count must be at least 2")

    with SandboxProcess() as sandbox:
        measure(sandbox, min(50, args.count), args.clients)  # warm up connections and caches
        run, wall_seconds = measure(sandbox, args.count, args.clients)
    report(run, wall_seconds, args.clients)
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
