"""Sizes of the reliability runs, and what several RPC clients at once need.

The default test command runs small versions; ``TEKTORO_RELIABILITY_SCALE=full`` runs the
sizes published in docs/RELIABILITY.md. The Odoo server, sandboxes and companies are the
end-to-end fixtures of tests/conftest.py.
"""

import os
import random
import time
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Scale:
    creations: int  # work-order invoices created under billing faults
    clients: int  # RPC client threads creating them
    concurrent_per_user: int  # simultaneous "create invoice" calls per user on one work order
    master_invoices: int  # simultaneous master invoice builds over overlapping tickets
    daemon_kills: int
    events: int  # billing events flowing while the daemon is killed


SCALES = {
    "small": Scale(creations=60, clients=4, concurrent_per_user=10, master_invoices=8,
                   daemon_kills=5, events=500),
    "full": Scale(creations=1000, clients=6, concurrent_per_user=50, master_invoices=20,
                  daemon_kills=50, events=5000),
}


@pytest.fixture(scope="session")
def scale():
    name = os.environ.get("TEKTORO_RELIABILITY_SCALE", "small")
    if name not in SCALES:
        pytest.fail(f"TEKTORO_RELIABILITY_SCALE must be one of {sorted(SCALES)}, not {name!r}")
    return SCALES[name]


@pytest.fixture
def rng():
    """Seeded per run; the seed is printed so a failing run can be replayed."""
    seed = int(os.environ.get("TEKTORO_RELIABILITY_SEED", time.time()))
    print(f"TEKTORO_RELIABILITY_SEED={seed}")
    return random.Random(seed)
