"""Prometheus metrics and the health record, kept in one object the jobs report into.

A registry of its own (not prometheus_client's global one) so two daemons in one test process,
or a test and a daemon, never share counters.
"""

import threading
import time
from datetime import datetime, timezone

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

JOB_NAMES = ("apply_events", "retry_pushes", "reconcile")
# A job counts as failing once it has not succeeded for three intervals, and never sooner than
# this: a run that is merely slow (a big page, a busy Odoo) must not make the daemon flap.
MIN_HEALTH_WINDOW = 60.0


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.events_read = Counter(
            "tektoro_sync_events_read", "Billing events read from the feed", ["company"], registry=r
        )
        self.events_applied = Counter(
            "tektoro_sync_events_applied",
            "Billing events that changed an invoice in Odoo",
            ["company", "type"],
            registry=r,
        )
        self.event_lag = Gauge(
            "tektoro_sync_event_lag_seconds",
            "Age of the newest event applied, when it was applied",
            ["company"],
            registry=r,
        )
        self.event_cursor = Gauge(
            "tektoro_sync_event_cursor", "Last billing event id applied", ["company"], registry=r
        )
        self.retries = Counter(
            "tektoro_sync_request_retries",
            "Requests sent again after a transport error or a 5xx",
            ["target"],
            registry=r,
        )
        self.pushes = Counter(
            "tektoro_sync_push_retries",
            "Invoices whose push was retried, by the billing state they ended in",
            ["company", "outcome"],
            registry=r,
        )
        self.drift = Gauge(
            "tektoro_sync_drift",
            "Invoices on which Odoo and billing disagree, by kind, at the last reconcile",
            ["company", "kind"],
            registry=r,
        )
        self.errors = Counter(
            "tektoro_sync_errors", "Job runs that failed", ["job", "kind"], registry=r
        )
        self.job_duration = Histogram(
            "tektoro_sync_job_duration_seconds",
            "Job run duration",
            ["job"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
            registry=r,
        )
        self.job_last_success = Gauge(
            "tektoro_sync_job_last_success_timestamp_seconds",
            "Unix time of the job's last successful run",
            ["job"],
            registry=r,
        )
        self.rpc_calls = Counter(
            "tektoro_sync_odoo_rpc_calls", "RPC calls made to Odoo", ["method"], registry=r
        )
        self.health = Health()


class Health:
    """Last success and last failure of each job, for /healthz."""

    def __init__(self, clock=time.time):
        self._clock = clock
        self._started = clock()
        self._lock = threading.Lock()
        self._jobs = {name: {"last_success": None, "last_error": None} for name in JOB_NAMES}

    def succeeded(self, job):
        with self._lock:
            self._jobs[job]["last_success"] = self._clock()

    def failed(self, job, message):
        with self._lock:
            self._jobs[job]["last_error"] = {"at": self._clock(), "message": message}

    def report(self, intervals):
        """Healthy when every job succeeded within its last three intervals (at least a minute).

        A job that has not run yet counts from start-up, so a fresh daemon is not reported dead.
        """
        now = self._clock()
        jobs = {}
        healthy = True
        with self._lock:
            for name, state in self._jobs.items():
                success = state["last_success"]
                since = self._started if success is None else success
                fresh = now - since <= max(3 * intervals[name], MIN_HEALTH_WINDOW)
                healthy = healthy and fresh
                error = state["last_error"]
                jobs[name] = {
                    "last_success": _iso(success),
                    "last_error": error and {"at": _iso(error["at"]), "message": error["message"]},
                    "ok": fresh,
                }
        return healthy, {"status": "ok" if healthy else "failing", "jobs": jobs}


def _iso(timestamp):
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
