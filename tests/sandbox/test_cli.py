"""The command line: how operators and docker-compose start, watch and stop the sandbox."""

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from billing_sandbox.testing import REPO_ROOT, SandboxProcess

from .factories import create_invoice, created_invoice

MODULE = [sys.executable, "-m", "billing_sandbox"]
CONSOLE_SCRIPT = shutil.which("tektoro-billing-sandbox")


def run(args, **kwargs):
    return subprocess.run(
        args, capture_output=True, text=True, timeout=30, cwd=REPO_ROOT, check=False, **kwargs
    )


def test_help_lists_the_options():
    result = run([*MODULE, "--help"])

    assert result.returncode == 0
    for option in ("--host", "--port", "--db", "--api-key", "TEKTORO_BILLING_API_KEY"):
        assert option in result.stdout


def test_without_an_api_key_it_refuses_to_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TEKTORO_BILLING_API_KEY"}

    result = run([*MODULE, "--db", str(tmp_path / "b.sqlite3")], env=env)

    assert result.returncode == 2
    assert "API key" in result.stderr


def test_an_unusable_database_path_fails_plainly(tmp_path):
    db = tmp_path / "missing-directory" / "billing.sqlite3"

    result = run([*MODULE, "--db", str(db), "--api-key", "k", "--port", "1"])

    assert result.returncode == 2
    assert "cannot use database" in result.stderr


@pytest.mark.skipif(CONSOLE_SCRIPT is None, reason="package not installed (pip install -e .)")
def test_the_console_script_serves_the_api():
    with SandboxProcess(command=[CONSOLE_SCRIPT]) as sandbox, sandbox.client() as client:
        assert created_invoice(client, sandbox)["status"] == "open"


def test_the_api_key_can_come_from_the_environment_and_stays_off_the_command_line():
    with SandboxProcess(api_key_in_env=True) as sandbox, sandbox.client() as client:
        assert client.get(sandbox.url + "/v1/events").status_code == 200
        command_line = Path(f"/proc/{sandbox.pid}/cmdline").read_bytes()
        assert sandbox.api_key.encode() not in command_line


def _event_ids(client, sandbox):
    return [event["id"] for event in client.get(sandbox.url + "/v1/events").json()["data"]]


def test_event_ids_can_start_beyond_32_bits_and_never_go_back(tmp_path):
    db = tmp_path / "billing.sqlite3"
    first = 2**40 + 7
    with SandboxProcess(db_path=db, extra_args=["--first-event-id", str(first)]) as sandbox:
        with sandbox.client() as client:
            create_invoice(client, sandbox)
            create_invoice(client, sandbox)
            assert _event_ids(client, sandbox) == [first, first + 1]
    # Started again asking for lower ids: the sequence only grows, so a cursor stays complete.
    with SandboxProcess(db_path=db, extra_args=["--first-event-id", "5"]) as sandbox:
        with sandbox.client() as client:
            create_invoice(client, sandbox)
            assert _event_ids(client, sandbox) == [first, first + 1, first + 2]


def test_a_first_event_id_that_is_not_a_64_bit_key_is_refused(tmp_path):
    for value, reason in (("0", "must be at least 1"), (str(2**63), "must be at most")):
        db = str(tmp_path / "b.sqlite3")
        result = run([*MODULE, "--db", db, "--api-key", "k", "--first-event-id", value])
        assert result.returncode == 2, value
        assert f"argument --first-event-id: {reason}" in result.stderr, result.stderr


def test_each_request_is_logged_once_with_status_and_duration_but_never_the_key(fresh_sandbox):
    with fresh_sandbox.client() as client:
        create_invoice(client, fresh_sandbox)
        client.get(fresh_sandbox.url + "/v1/invoices/inv_missing")
        requests.get(fresh_sandbox.url + "/v1/events", timeout=10)
    fresh_sandbox.stop()

    log = fresh_sandbox.log()
    for method, path, status in [
        ("POST", "/v1/invoices", 201),
        ("GET", "/v1/invoices/inv_missing", 404),
        ("GET", "/v1/events", 401),
    ]:
        line = re.compile(rf"{method} {re.escape(path)} {status} \d+\.\dms$", re.MULTILINE)
        assert len(line.findall(log)) == 1, log
    assert fresh_sandbox.api_key not in log


def test_sigterm_stops_promptly_even_while_a_response_is_held(fresh_sandbox):
    with fresh_sandbox.client() as client:
        client.post(
            fresh_sandbox.url + "/_sandbox/faults",
            json={"faults": [{"match": "GET /v1/events", "mode": "timeout_after"}]},
        )
        held = threading.Thread(
            target=lambda: _ignore_errors(client.get, fresh_sandbox.url + "/v1/events"),
            daemon=True,
        )
        held.start()
        time.sleep(0.3)

        started = time.monotonic()
        assert fresh_sandbox.stop() == 0
        assert time.monotonic() - started < 5
        held.join(timeout=5)


def _ignore_errors(call, *args):
    try:
        call(*args)
    except requests.RequestException:
        pass
