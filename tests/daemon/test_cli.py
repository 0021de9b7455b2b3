import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sync_daemon.cli import format_drift_table
from sync_daemon.drift import Drift
from sync_daemon.jobs import CompanyDrift
from sync_daemon.metrics import Health

from .http_servers import OdooLogin, QuietHandler, serving

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, env=None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TEKTORO_")}
    return subprocess.run(
        [sys.executable, "-m", "sync_daemon", *args],
        cwd=ROOT,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_lists_the_commands_and_the_environment():
    result = run_cli("--help")
    assert result.returncode == 0
    for word in ("run", "once", "check", "reconcile", "TEKTORO_ODOO_URL", "TEKTORO_SYNC_PAGE_SIZE"):
        assert word in result.stdout
    assert run_cli("reconcile", "--help").stdout.count("--json") == 2


def test_a_bad_setting_stops_the_daemon_naming_the_variable():
    result = run_cli(
        "once",
        env={
            "TEKTORO_ODOO_URL": "http://odoo:8069",
            "TEKTORO_ODOO_DB": "tektoro",
            "TEKTORO_ODOO_LOGIN": "billing-sync",
            "TEKTORO_ODOO_PASSWORD": "hunter2-secret",
            "TEKTORO_SYNC_EVENTS_INTERVAL": "often",
        },
    )
    assert result.returncode == 2
    assert "TEKTORO_SYNC_EVENTS_INTERVAL must be a number" in result.stderr
    assert "hunter2-secret" not in result.stderr + result.stdout


def test_a_status_port_already_taken_is_one_clear_line_not_a_traceback():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(
            "run",
            env={
                "TEKTORO_ODOO_URL": "http://127.0.0.1:9",
                "TEKTORO_ODOO_DB": "tektoro",
                "TEKTORO_ODOO_LOGIN": "billing-sync",
                "TEKTORO_ODOO_PASSWORD": "secret",
                "TEKTORO_SYNC_HTTP_HOST": "127.0.0.1",
                "TEKTORO_SYNC_HTTP_PORT": str(port),
            },
        )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert f"cannot serve /healthz and /metrics on 127.0.0.1:{port}" in line
    assert "Address already in use" in line


class MaintenancePage(QuietHandler):
    """What a proxy in front of Odoo may answer while Odoo is down: a page, with status 200."""

    PAGE = b"<html><body><h1>Back soon: down for maintenance</h1></body></html>"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_body(200, "text/html", self.PAGE)


class OdooThenMaintenancePage(OdooLogin):
    """Odoo answers the login, then the proxy's page comes back for the calls that follow."""

    def answer_call(self, method, args):
        self.server.pages_served += 1
        self.send_body(200, "text/html", MaintenancePage.PAGE)


def run_against_odoo_at(url, command):
    """``command`` with the daemon pointed at ``url``; returns its exit status and output."""
    result = run_cli(
        command,
        env={
            "TEKTORO_ODOO_URL": url,
            "TEKTORO_ODOO_DB": "tektoro",
            "TEKTORO_ODOO_LOGIN": "billing-sync",
            "TEKTORO_ODOO_PASSWORD": "hunter2-secret",
            "TEKTORO_SYNC_BACKOFF_BASE": "0.01",
        },
    )
    output = result.stdout + result.stderr
    assert "hunter2-secret" not in output
    return result.returncode, output


@pytest.mark.parametrize("command", ["check", "once"])
def test_a_page_instead_of_odoo_is_reported_and_retried_not_a_traceback(command):
    with serving(MaintenancePage) as server:
        status, output = run_against_odoo_at(server.url, command)
    assert status == 1
    assert "Traceback" not in output
    assert "the answer was not Odoo's JSON-RPC (a maintenance page, or a proxy's page?)" in output
    assert "retry 1 of" in output  # temporary, as far as the daemon can tell


@pytest.mark.parametrize("command", ["check", "once"])
def test_a_page_after_the_login_is_reported_and_retried_not_a_traceback(command):
    with serving(OdooThenMaintenancePage, pages_served=0) as server:
        status, output = run_against_odoo_at(server.url, command)
    assert status == 1
    assert "Logged in to Odoo" in output
    assert "Traceback" not in output
    assert (
        "Odoo get_sync_configs: the answer was not Odoo's JSON-RPC "
        "(a maintenance page, or a proxy's page?)"
    ) in output
    assert "retry 1 of" in output
    assert server.pages_served > 1  # asked again, not given up at the first page


def test_drift_table_has_a_row_per_finding_and_a_summary_per_company():
    report = CompanyDrift(
        1,
        "Acme",
        [
            Drift("paid_outside", "TFT-00001", 7, "inv_1", "paid in billing, sent in Odoo"),
            Drift("missing_here", "EXT-9", None, "inv_9", "open in billing"),
        ],
        persistent=1,
    )
    table = format_drift_table([report, CompanyDrift(2, "Quiet Co")]).splitlines()
    assert table[0].split() == ["COMPANY", "KIND", "REFERENCE", "BILLING", "ID", "DETAIL"]
    assert table[1].split()[:4] == ["Acme", "paid_outside", "TFT-00001", "inv_1"]
    assert table[2].split()[:4] == ["Acme", "missing_here", "EXT-9", "inv_9"]
    assert table[-2] == "Acme: paid_outside 1, missing_here 1 (1 persistent)"
    assert table[-1] == "Quiet Co: no drift"


def test_health_counts_a_job_as_failing_after_three_missed_intervals():
    now = [1000.0]
    health = Health(clock=lambda: now[0])
    intervals = {"apply_events": 30, "retry_pushes": 300, "reconcile": 300}
    assert health.report(intervals)[0], "a daemon just started is healthy"
    now[0] += 89
    assert health.report(intervals)[0]
    now[0] += 2
    healthy, report = health.report(intervals)
    assert not healthy
    assert report["jobs"]["apply_events"]["ok"] is False
    health.succeeded("apply_events")
    health.failed("reconcile", "billing down")
    healthy, report = health.report(intervals)
    assert healthy
    assert report["jobs"]["reconcile"]["last_error"]["message"] == "billing down"
