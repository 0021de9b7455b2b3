"""The three jobs, each one pass over every company with billing configured.

Each job reads the companies from Odoo (one RPC call), then works company by company, so one
company whose billing system is down does not hold up the others; the run fails at the end if any
company failed. All the writing happens in the addon's batch methods: a page of events, a batch of
pushes or a drift report is one RPC call and one Odoo transaction.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sync_daemon import drift as drift_rules
from sync_daemon.billing import BillingClient
from sync_daemon.errors import CursorMoved, SyncError
from sync_daemon.logs import SECRETS

_logger = logging.getLogger(__name__)

LOCAL_SNAPSHOT_PAGE = 2000
STUCK_BILLING_STATES = ("failed", "unknown")
_EVENT_INVOICE_FIELDS = ("id", "reference", "status", "total", "paid_at", "cancelled_at")


class JobFailed(SyncError):
    """Some companies failed; the others were synced, and ``results`` holds what they gave."""

    def __init__(self, job, failures, results=()):
        names = ", ".join(f"{company} ({exc})" for company, exc in failures)
        super().__init__(f"{job} failed for {len(failures)} company(ies): {names}")
        self.failures = failures
        self.results = list(results)
        self.retryable = all(exc.retryable for _company, exc in failures)


@dataclass
class CompanyDrift:
    company_id: int
    company_name: str
    drift: list = field(default_factory=list)
    persistent: int = 0

    def as_dict(self):
        return {
            "company_id": self.company_id,
            "company": self.company_name,
            "counts": drift_rules.counts_by_kind(self.drift),
            "persistent": self.persistent,
            "drift": [item.as_dict() for item in self.drift],
        }


class Jobs:
    def __init__(self, settings, gateway, metrics, retrier, billing_factory=BillingClient):
        self._settings = settings
        self._gateway = gateway
        self._metrics = metrics
        self._retrier = retrier
        self._billing_factory = billing_factory

    @property
    def stopping(self):
        return self._retrier.stopping

    # ------------------------------------------------------------------ job 1: apply events

    def apply_events(self):
        """Apply the event feed of every company, page by page, from its cursor in Odoo."""
        return self._for_each_company("apply_events", self._apply_company_events)

    def _apply_company_events(self, config):
        company, name = config["company_id"], config["company_name"]
        cursor = config["cursor"]
        applied = 0
        with self.billing_client(config) as billing:
            while not self.stopping.is_set():
                events, has_more = billing.events(cursor, self._settings.page_size)
                if not events:
                    break
                self._metrics.events_read.labels(name).inc(len(events))
                try:
                    result = self._gateway.apply_events(
                        company, cursor, [compact_event(event) for event in events]
                    )
                except CursorMoved:
                    cursor = self._current_cursor(company)
                    _logger.info(
                        "%s: another daemon applied these events first; continuing from event %s",
                        name,
                        cursor,
                    )
                    continue
                cursor = result["cursor"]
                applied += self._record_applied_page(name, events, result)
                if not has_more:
                    break
        self._metrics.event_cursor.labels(name).set(cursor)
        return {"company": name, "applied": applied, "cursor": cursor}

    def _record_applied_page(self, company_name, events, result):
        for event_type, count in result["applied"].items():
            self._metrics.events_applied.labels(company_name, event_type).inc(count)
        self._metrics.event_lag.labels(company_name).set(_age_seconds(events[-1]["created_at"]))
        for skipped in result.get("skipped", []):
            _logger.warning(
                "%s: billing event %s (%s on %s) not applied: %s",
                company_name,
                skipped["event_id"],
                skipped["type"],
                skipped["reference"],
                skipped["reason"],
            )
        applied = sum(result["applied"].values())
        _logger.info(
            "%s: events %s..%s read, %s applied, cursor now %s",
            company_name,
            events[0]["id"],
            events[-1]["id"],
            applied,
            result["cursor"],
        )
        return applied

    def _current_cursor(self, company_id):
        for config in self._gateway.get_sync_configs():
            if config["company_id"] == company_id:
                return config["cursor"]
        raise SyncError(f"company {company_id} no longer has billing configured")

    # ------------------------------------------------------------------ job 2: retry pushes

    def retry_pushes(self):
        """Push again every invoice in `failed` or `unknown` (and `pending` ones whose push after
        creation was lost, past Odoo's grace period), one batch per call, oldest first."""
        return self._for_each_company("retry_pushes", self._retry_company_pushes)

    def _retry_company_pushes(self, config):
        company, name = config["company_id"], config["company_name"]
        after_id = 0
        totals = {}
        while not self.stopping.is_set():
            result = self._gateway.retry_pushes(company, self._settings.retry_batch, after_id)
            for outcome, count in result["outcomes"].items():
                totals[outcome] = totals.get(outcome, 0) + count
                self._metrics.pushes.labels(name, outcome).inc(count)
            if result["processed"] < self._settings.retry_batch:
                break
            after_id = result["last_id"]
        if totals:
            # Invoices still not in the billing system want someone's attention.
            stuck = any(totals.get(state) for state in STUCK_BILLING_STATES)
            _logger.log(
                logging.WARNING if stuck else logging.INFO,
                "%s: pushes retried: %s",
                name,
                _format_counts(totals),
            )
        return {"company": name, "outcomes": totals}

    # ------------------------------------------------------------------ job 3: reconcile

    def reconcile(self, report=True):
        """Compare both sides of every company; report drift to Odoo unless ``report`` is off.

        Companies may share one billing account (same URL and key): its invoices are read once
        per run, and each company's comparison knows the other companies' invoices, so that
        theirs are not reported as missing here. A billing invoice that none of them holds is
        reported by one company only (see ``_ReconcileRun.answers_for_unheld``).
        """
        configs = self._gateway.get_sync_configs()
        run = _ReconcileRun(self, configs)
        return self._for_each_company(
            "reconcile", lambda config: self._reconcile_company(config, report, run), configs
        )

    def _reconcile_company(self, config, report, run):
        company, name = config["company_id"], config["company_name"]
        local = run.local(company)
        remote = run.remote(config)
        found = drift_rules.classify(
            local, remote, run.neighbours(config), run.answers_for_unheld(config)
        )
        result = CompanyDrift(company, name, found)
        for kind, count in drift_rules.counts_by_kind(found).items():
            self._metrics.drift.labels(name, kind).set(count)
        for item in found:
            _logger.warning("%s: drift %s on %s: %s", name, item.kind, item.reference, item.detail)
        if report:
            reported = self._gateway.report_drift(company, [item.as_dict() for item in found])
            result.persistent = reported["persistent"]
        _logger.info(
            "%s: reconciled %s invoices in Odoo with %s in billing: %s drift (%s persistent)",
            name,
            len(local),
            len(remote),
            len(found),
            result.persistent,
        )
        return result

    def _local_snapshot(self, company_id):
        invoices, after_id = [], 0
        while True:
            page = self._gateway.local_snapshot(company_id, after_id, LOCAL_SNAPSHOT_PAGE)
            invoices.extend(page["invoices"])
            if not page["has_more"] or not page["invoices"]:
                return invoices
            after_id = page["invoices"][-1]["id"]

    # ------------------------------------------------------------------ shared

    def _for_each_company(self, job, work, configs=None):
        results, failures = [], []
        if configs is None:
            configs = self._gateway.get_sync_configs()
        for config in configs:
            if self.stopping.is_set():
                break
            try:
                results.append(work(config))
            except SyncError as exc:
                _logger.error("%s: %s failed: %s", config["company_name"], job, exc)
                failures.append((config["company_name"], exc))
        if failures:
            raise JobFailed(job, failures, results)
        return results

    def billing_client(self, config):
        """A Billing API client for one company, its key registered for masking in logs."""
        SECRETS.add(config["api_key"])
        return self._billing_factory(
            config["billing_url"], config["api_key"], config["timeout"], self._retrier
        )


class _ReconcileRun:
    """What one reconcile run reads, each once: a company's invoices in Odoo, and a billing
    account's invoices (an account is an address and a key, which companies may share)."""

    def __init__(self, jobs, configs):
        self._jobs = jobs
        self._configs = configs
        self._local = {}
        self._remote = {}

    @staticmethod
    def _account(config):
        """The company's billing account as Odoo identifies it (its address however spelt, and
        its key): the same value Odoo checks when companies share an account."""
        return config["billing_account"]

    def local(self, company_id):
        if company_id not in self._local:
            self._local[company_id] = self._jobs._local_snapshot(company_id)
        return self._local[company_id]

    def remote(self, config):
        account = self._account(config)
        if account not in self._remote:
            with self._jobs.billing_client(config) as billing:
                self._remote[account] = list(billing.invoices())
        return self._remote[account]

    def _sharing(self, config):
        """The companies on this company's billing account, itself included."""
        return [other for other in self._configs if self._account(other) == self._account(config)]

    def neighbours(self, config):
        """The invoices in Odoo of the other companies on this company's billing account."""
        return [
            invoice
            for other in self._sharing(config)
            if other["company_id"] != config["company_id"]
            for invoice in self.local(other["company_id"])
        ]

    def answers_for_unheld(self, config):
        """A test, for one billing invoice that no company holds: does this company report it?

        One company per invoice: the one whose invoice prefix begins the reference
        (``<prefix>-...``; a prefix has no hyphen), or else the account's first company (the
        lowest id). Without this rule every company on the account would report the same
        invoice.
        """
        sharing = self._sharing(config)
        owner_by_prefix = {}
        for other in sharing:
            if other.get("invoice_prefix"):
                owner_by_prefix.setdefault(other["invoice_prefix"], other["company_id"])
        first = min(other["company_id"] for other in sharing)

        def answers(remote):
            prefix, hyphen, _rest = (remote.get("reference") or "").partition("-")
            owner = owner_by_prefix.get(prefix, first) if hyphen else first
            return owner == config["company_id"]

        return answers


def compact_event(event):
    """What the addon needs of an event: the rest of the invoice stays out of the RPC payload.

    The total is how Odoo recognises an invoice it knows only by its number (its push went
    unanswered, so it has no billing id yet). It travels as text: exact, where JSON-RPC would
    need a float, and the billing client reads amounts as ``Decimal``, which JSON can't carry.
    """
    invoice = event.get("invoice") or {}
    compact = {key: invoice.get(key) for key in _EVENT_INVOICE_FIELDS}
    if compact["total"] is not None:
        compact["total"] = str(compact["total"])
    # The event's time stands in for an invoice's paid_at or cancelled_at that is missing.
    return {
        "id": event["id"],
        "type": event["type"],
        "created_at": event.get("created_at"),
        "invoice": compact,
    }


def _age_seconds(timestamp):
    try:
        moment = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, time.time() - moment.timestamp())


def _format_counts(counts):
    return ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
