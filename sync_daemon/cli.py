"""``tektoro-sync``: run the sync daemon, run each job once, check the set-up, report drift."""

import argparse
import json
import logging
import sys
import threading

from sync_daemon import __version__
from sync_daemon.config import load_settings
from sync_daemon.drift import DRIFT_KINDS
from sync_daemon.errors import ConfigError, SyncError
from sync_daemon.jobs import JobFailed, Jobs
from sync_daemon.logs import SECRETS, setup_logging
from sync_daemon.metrics import Metrics
from sync_daemon.odoo import OdooGateway
from sync_daemon.retry import Backoff, Retrier
from sync_daemon.scheduler import (
    JobRunner,
    install_stop_handlers,
    intervals_of,
    run_forever,
    run_once,
)
from sync_daemon.status_server import StatusServer

_logger = logging.getLogger(__name__)

ENVIRONMENT_HELP = """\
environment:
  TEKTORO_ODOO_URL                 Odoo base URL, e.g. http://odoo:8069 (required)
  TEKTORO_ODOO_DB                  Odoo database (required)
  TEKTORO_ODOO_LOGIN               login of the daemon user, in group Billing Sync or an
                                   administrator (required)
  TEKTORO_ODOO_PASSWORD            its password or API key (required, never logged)
  TEKTORO_ODOO_TIMEOUT             seconds to wait for one Odoo call (120)
  TEKTORO_SYNC_EVENTS_INTERVAL     seconds between event runs (30)
  TEKTORO_SYNC_RETRY_INTERVAL      seconds between push retry runs (300)
  TEKTORO_SYNC_RECONCILE_INTERVAL  seconds between reconcile runs (3600)
  TEKTORO_SYNC_PAGE_SIZE           events per page and per Odoo call, 1-1000 (500)
  TEKTORO_SYNC_RETRY_BATCH         invoices pushed again per Odoo call (50)
  TEKTORO_SYNC_HTTP_HOST           address of /healthz and /metrics (0.0.0.0)
  TEKTORO_SYNC_HTTP_PORT           their port, 0 to disable (9108)
  TEKTORO_SYNC_LOG_FORMAT          plain or json (plain)
  TEKTORO_SYNC_LOG_LEVEL           DEBUG, INFO, WARNING or ERROR (INFO)
  TEKTORO_SYNC_MAX_ATTEMPTS        tries per request on transport errors and 5xx (5)
  TEKTORO_SYNC_BACKOFF_BASE        first backoff ceiling in seconds, doubled per retry (0.5)
  TEKTORO_SYNC_BACKOFF_MAX         largest backoff ceiling in seconds (30)

Billing URLs and API keys are read from each company's settings in Odoo.
"""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tektoro-sync",
        description="Keep Odoo's work-order invoices and the billing system in agreement.",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "run",
        help="run every job on its interval until SIGTERM",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands.add_parser("once", help="run every job once; exit 0 if all succeeded")
    commands.add_parser("check", help="check the configuration and reach Odoo and billing")
    reconcile = commands.add_parser("reconcile", help="compare both sides and report drift")
    reconcile.add_argument("--json", action="store_true", help="print the report as JSON")
    reconcile.add_argument(
        "--no-report",
        action="store_true",
        help="only print; do not record the drift in Odoo (no manager activity)",
    )
    return parser


class Daemon:
    """The daemon's parts, wired once from the settings."""

    def __init__(self, settings):
        self.settings = settings
        self.metrics = Metrics()
        self.stopping = threading.Event()
        self.retrier = Retrier(
            Backoff(settings.backoff_base, settings.backoff_max, settings.max_attempts),
            stopping=self.stopping,
            on_retry=lambda target: self.metrics.retries.labels(target).inc(),
        )
        self.gateway = OdooGateway(settings, self.retrier, self.metrics)
        self.jobs = Jobs(settings, self.gateway, self.metrics, self.retrier)
        self.runner = JobRunner(self.jobs, self.metrics)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"tektoro-sync: configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings)
    daemon = Daemon(settings)
    return COMMANDS[args.command](daemon, args)


def command_run(daemon, args):
    settings = daemon.settings
    server = None
    if settings.http_port:
        address = f"{settings.http_host}:{settings.http_port}"
        try:
            server = StatusServer(
                settings.http_host, settings.http_port, daemon.metrics, intervals_of(settings)
            ).start()
        except OSError as exc:  # the port is taken, or the host is not one of this machine's
            print(
                f"tektoro-sync: cannot serve /healthz and /metrics on {address}: {exc} "
                "(TEKTORO_SYNC_HTTP_HOST, TEKTORO_SYNC_HTTP_PORT)",
                file=sys.stderr,
            )
            return 2
    try:
        run_forever(daemon.runner, settings, daemon.stopping)
    finally:
        if server is not None:
            server.stop()
    return 0


def command_once(daemon, args):
    install_stop_handlers(daemon.stopping)
    return 0 if run_once(daemon.runner, daemon.stopping) else 1


def command_check(daemon, args):
    settings = daemon.settings
    print(f"configuration: ok ({_describe(settings)})")
    try:
        configs = daemon.gateway.connect().get_sync_configs()
    except SyncError as exc:
        print(f"odoo: FAILED: {_masked(exc)}")
        return 1
    print(f"odoo: ok, {len(configs)} company(ies) with billing configured")
    healthy = True
    for config in configs:
        try:
            with daemon.jobs.billing_client(config) as billing:
                billing.check()
        except SyncError as exc:
            healthy = False
            print(f"billing for {config['company_name']}: FAILED: {_masked(exc)}")
        else:
            print(
                f"billing for {config['company_name']}: ok ({config['billing_url']}, "
                f"events applied up to {config['cursor']})"
            )
    return 0 if healthy else 1


def command_reconcile(daemon, args):
    """Print the drift of every company compared, even when another failed or a signal came."""
    install_stop_handlers(daemon.stopping)
    failed = None
    try:
        reports = daemon.jobs.reconcile(report=not args.no_report)
    except JobFailed as exc:
        reports, failed = exc.results, exc
    except SyncError as exc:  # before any company: Odoo itself could not be read
        print(f"tektoro-sync: reconcile failed: {_masked(exc)}", file=sys.stderr)
        return 1
    stopped = daemon.stopping.is_set()
    if args.json:
        failures = failed.failures if failed else []
        document = {
            "companies": [report.as_dict() for report in reports],
            "failed": [{"company": name, "error": _masked(exc)} for name, exc in failures],
            "stopped": stopped,  # by a signal: companies not listed were not compared
        }
        json.dump(document, sys.stdout, indent=2)
        print()
    elif reports or not (failed or stopped):
        print(format_drift_table(reports))
    if failed:
        print(f"tektoro-sync: reconcile failed: {_masked(failed)}", file=sys.stderr)
    if stopped:
        print(
            "tektoro-sync: reconcile stopped by a signal; companies not shown were not compared",
            file=sys.stderr,
        )
    return 1 if failed or stopped else 0


def format_drift_table(reports):
    header = ("COMPANY", "KIND", "REFERENCE", "BILLING ID", "DETAIL")
    rows = [
        (report.company_name, item.kind, item.reference, item.billing_id or "-", item.detail)
        for report in reports
        for item in report.drift
    ]
    lines = []
    if rows:
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(4)]
        for row in [header, *rows]:
            cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
            lines.append("  ".join([*cells, row[4]]))
        lines.append("")
    for report in reports:
        counts = [
            f"{kind} {sum(1 for item in report.drift if item.kind == kind)}"
            for kind in DRIFT_KINDS
            if any(item.kind == kind for item in report.drift)
        ]
        summary = ", ".join(counts) if counts else "no drift"
        lines.append(
            f"{report.company_name}: {summary}"
            + (f" ({report.persistent} persistent)" if report.persistent else "")
        )
    if not reports:
        lines.append("no company has billing configured")
    return "\n".join(lines)


def _describe(settings):
    shown = settings.redacted()
    return ", ".join(f"{name}={shown[name]}" for name in ("odoo_url", "odoo_db", "odoo_login"))


COMMANDS = {
    "run": command_run,
    "once": command_once,
    "check": command_check,
    "reconcile": command_reconcile,
}


def _masked(error):
    """An error's text for the terminal, which no log filter stands in front of."""
    return SECRETS.mask(str(error))
