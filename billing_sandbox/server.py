"""Gunicorn, embedded: one worker process with a thread pool.

One process because the SQLite file and the in-memory faults must have a single owner; threads
because a client held by a ``timeout_after`` fault, or a slow reader, must not stall everyone else.
"""

import signal
from dataclasses import dataclass

from gunicorn.app.base import BaseApplication

from billing_sandbox.app import create_app
from billing_sandbox.faults import FaultRegistry
from billing_sandbox.store import Store


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    db_path: str
    api_key: str
    threads: int = 8
    log_level: str = "info"


# Gunicorn's own default, stated: a longer request line (method, path, query) is refused with
# 414 by the HTTP server itself, before the API sees it, as an HTML page.
MAX_REQUEST_LINE = 4094


class SandboxServer(BaseApplication):
    def __init__(self, settings):
        self.settings = settings
        self.store = None
        self.faults = None
        super().__init__()

    def load_config(self):
        options = {
            "bind": f"{self.settings.host}:{self.settings.port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": self.settings.threads,
            "timeout": 60,
            "graceful_timeout": 10,
            "keepalive": 5,
            "limit_request_line": MAX_REQUEST_LINE,
            "loglevel": self.settings.log_level,
            "errorlog": "-",
            "accesslog": None,
            "proc_name": "tektoro-billing-sandbox",
            "post_worker_init": self._stop_faults_on_shutdown,
            "worker_exit": self._close_store,
            # Newer gunicorn opens a control socket at a fixed path in $HOME: two sandboxes
            # (parallel tests) would fight over it, and nothing here uses it.
            "control_socket_disable": True,
        }
        for name, value in options.items():
            if name in self.cfg.settings:
                self.cfg.set(name, value)

    def load(self):
        """Runs in the worker, after the fork: SQLite connections are never shared across it."""
        self.store = Store(self.settings.db_path)
        self.faults = FaultRegistry()
        return create_app(self.store, self.settings.api_key, self.faults)

    def _stop_faults_on_shutdown(self, worker):
        """Wake requests held by a fault when the worker is told to stop, so SIGTERM is prompt."""
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            previous = signal.getsignal(signum)

            def handler(received, frame, previous=previous):
                self.faults.stopping.set()
                if callable(previous):
                    previous(received, frame)

            signal.signal(signum, handler)

    def _close_store(self, server, worker):
        if self.store is not None:
            self.store.close()
