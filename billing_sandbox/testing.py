"""Run the billing sandbox as a real process, the way clients meet it in production.

Part of the package, and free of pytest, so the addon's Odoo tests, the daemon's tests and the
benchmarks start the same server the same way::

    with SandboxProcess() as sandbox:
        client = sandbox.client()
        client.get(sandbox.url + "/v1/invoices")

Without a ``db_path`` the database lives in a temporary directory removed by ``close()``.
``kill()`` sends SIGKILL to the whole process group, master and worker at once: a real crash,
not a worker the master would replace.
"""

import contextlib
import os
import signal
import socket
import subprocess  # nosec B404
import sys
import tempfile
import time
import weakref
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_API_KEY = "sk_test_tektoro_sandbox"


class SandboxStartError(RuntimeError):
    """The sandbox exited or did not answer in time; the message carries its log."""


class TimeoutSession(requests.Session):
    """A session whose calls time out by default: a hung server fails a test instead of it."""

    def __init__(self, timeout):
        super().__init__()
        self.default_timeout = timeout

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, **kwargs)


def free_port(host="127.0.0.1"):
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class SandboxProcess:
    def __init__(
        self,
        db_path=None,
        api_key=DEFAULT_API_KEY,
        host="127.0.0.1",
        port=None,
        command=None,
        api_key_in_env=False,
        extra_args=(),
    ):
        """``command`` defaults to ``python -m billing_sandbox``; pass
        ``["tektoro-billing-sandbox"]`` to run the installed console script instead.
        ``api_key_in_env`` passes the key as TEKTORO_BILLING_API_KEY rather than --api-key."""
        self._tmpdir = None
        if db_path is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="billing-sandbox-")
            db_path = Path(self._tmpdir.name) / "billing.sqlite3"
        self.db_path = Path(db_path)
        self.api_key = api_key
        self.host = host
        self._fixed_port = port
        self.port = port or free_port(host)
        self.command = list(command or [sys.executable, "-m", "billing_sandbox"])
        self.api_key_in_env = api_key_in_env
        self.extra_args = list(extra_args)
        self.log_path = self.db_path.with_name(self.db_path.name + ".log")
        self._process = None
        self._clients = weakref.WeakSet()

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self):
        return None if self._process is None else self._process.pid

    @property
    def running(self):
        return self._process is not None and self._process.poll() is None

    def client(self, timeout=10):
        session = TimeoutSession(timeout)
        session.headers["Authorization"] = f"Bearer {self.api_key}"
        self._clients.add(session)
        return session

    def start(self, timeout=20):
        """Start and wait until the sandbox answers; a port taken meanwhile is retried."""
        for _attempt in range(3):
            self._spawn()
            if self._wait_until_ready(timeout):
                return self
            if self._fixed_port is not None or "Address already in use" not in self.log():
                break
            self.port = free_port(self.host)
        self.kill()
        raise SandboxStartError(f"billing sandbox did not start; log:\n{self.log()[-4000:]}")

    def stop(self, timeout=15):
        """SIGTERM, as an orchestrator would; returns the exit status.

        Idle keep-alive connections of the clients handed out are closed first (the sessions
        stay usable): gunicorn lingers on open ones for two seconds before it exits.
        """
        if not self.running:
            return None if self._process is None else self._process.returncode
        for client in list(self._clients):
            client.close()
        self._process.send_signal(signal.SIGTERM)
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self):
        """SIGKILL master and worker together, mid-whatever they are doing."""
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()

    def restart(self, timeout=20):
        self.stop()
        return self.start(timeout)

    def close(self):
        self.stop()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.close()

    def _spawn(self):
        args = [
            *self.command,
            *("--host", self.host, "--port", str(self.port), "--db", str(self.db_path)),
            *self.extra_args,
        ]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        if self.api_key_in_env:
            env["TEKTORO_BILLING_API_KEY"] = self.api_key
        else:
            args += ["--api-key", self.api_key]
        with open(self.log_path, "ab") as log:
            # Its own session, so kill() can take down the worker with the master. The command is
            # our interpreter (or the caller's own sandbox command) and arguments we built.
            self._process = subprocess.Popen(  # noqa: S603 # nosec B603
                args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )

    def _wait_until_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                requests.get(self.url + "/openapi.json", timeout=1)
                return True
            except requests.ConnectionError:
                time.sleep(0.05)
        return False
