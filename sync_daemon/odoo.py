"""The RPC gateway to Odoo: the daemon's only way in, one batch method per call.

Every call goes to ``tektoro.billing.sync``, whose methods take a whole page of work; nothing here
reads or writes records one by one. Failures are sorted into the daemon's kinds: a transport
error, an HTTP 5xx or a serialisation conflict is retryable; an access or business error is
fatal; the addon's ``CursorMovedError`` means another daemon got there first.

odoorpc logs every request at DEBUG, password included, so its logger is held at INFO whatever
the daemon's own level (see ``logs.py``).
"""

import http.client
import json
import logging
import socket
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

import odoorpc
import odoorpc.error

from sync_daemon.errors import (
    CursorMoved,
    FatalError,
    OdooError,
    OdooOutcomeUnknown,
    OdooUnavailable,
)

_logger = logging.getLogger(__name__)

SYNC_MODEL = "tektoro.billing.sync"
_CURSOR_MOVED = "CursorMovedError"
# Raised by the server when a transaction lost a race; the next attempt sees the winner's data.
_CONCURRENCY_ERRORS = ("SerializationFailure", "TransactionRollbackError", "LockNotAvailable")
_TRANSPORT_ERRORS = (URLError, socket.timeout, ConnectionError, http.client.HTTPException)
# What odoorpc raises when the answer is not JSON-RPC at all: a maintenance page or a proxy's
# page answered with status 200. Usually temporary, so retried like an unreachable Odoo.
_NOT_JSON_RPC = json.JSONDecodeError
_NOT_ODOO = "the answer was not Odoo's JSON-RPC (a maintenance page, or a proxy's page?)"
# The calls that may be sent again after Odoo may have run them: applying a page compares the
# cursor first, and the others only read. Retrying pushes and reporting drift are not: a second
# run of report_drift counts the same findings as seen twice, and each run of retry_pushes
# pushes a batch, however long it takes, while the daemon sends the next copy.
SAFE_TO_RESEND = frozenset({"get_sync_configs", "apply_events", "local_snapshot"})


class OdooGateway:
    def __init__(self, settings, retrier, metrics):
        self._settings = settings
        self._retrier = retrier
        self._metrics = metrics
        self._odoo = None

    def __repr__(self):
        return f"<OdooGateway {self._settings.odoo_url} db={self._settings.odoo_db}>"

    def connect(self):
        """Log in; the session is kept for every later call."""
        if self._odoo is None:
            self._odoo = self._retrier.call(self._login, "Odoo login", "odoo")
        return self

    def call(self, method, *args):
        """``tektoro.billing.sync.<method>(*args)`` in one RPC call (retried if safe)."""
        self.connect()
        return self._retrier.call(
            lambda: self._execute_once(method, args), f"Odoo {SYNC_MODEL}.{method}", "odoo"
        )

    def _execute_once(self, method, args):
        """``_execute``, refusing to send again a call that Odoo may have run already."""
        try:
            return self._execute(method, args)
        except OdooUnavailable as exc:
            if exc.maybe_applied and method not in SAFE_TO_RESEND:
                raise OdooOutcomeUnknown(
                    f"{exc}; Odoo may have run it, so it is not sent again before the job's "
                    "next run"
                ) from None
            raise

    # ------------------------------------------------------------------ the addon's methods

    def get_sync_configs(self):
        return self.call("get_sync_configs")

    def apply_events(self, company_id, expected_cursor, events):
        return self.call("apply_events", company_id, expected_cursor, events)

    def retry_pushes(self, company_id, limit, after_id):
        return self.call("retry_pushes", company_id, limit, after_id)

    def local_snapshot(self, company_id, after_id, limit):
        return self.call("local_snapshot", company_id, after_id, limit)

    def report_drift(self, company_id, drift):
        return self.call("report_drift", company_id, drift)

    # ------------------------------------------------------------------ transport

    def _login(self):
        url = urlsplit(self._settings.odoo_url)
        https = url.scheme == "https"
        try:
            odoo = odoorpc.ODOO(
                url.hostname,
                protocol="jsonrpc+ssl" if https else "jsonrpc",
                port=url.port or (443 if https else 80),
                timeout=self._settings.odoo_timeout,
            )
            odoo.login(
                self._settings.odoo_db, self._settings.odoo_login, self._settings.odoo_password
            )
        except odoorpc.error.RPCError as exc:
            raise FatalError(
                f"Odoo refused the login of {self._settings.odoo_login!r} on database "
                f"{self._settings.odoo_db!r}: {exc}"
            ) from None
        except HTTPError as exc:
            raise _http_error(exc, "login") from None
        except _TRANSPORT_ERRORS as exc:
            raise OdooUnavailable(
                f"cannot reach Odoo at {self._settings.odoo_url}: {exc}"
            ) from None
        except _NOT_JSON_RPC:
            raise OdooUnavailable(
                f"cannot log in to Odoo at {self._settings.odoo_url}: {_NOT_ODOO}"
            ) from None
        _logger.info(
            "Logged in to Odoo %s as %s", self._settings.odoo_url, self._settings.odoo_login
        )
        return odoo

    def _execute(self, method, args):
        self._metrics.rpc_calls.labels(method).inc()
        try:
            return self._odoo.execute_kw(SYNC_MODEL, method, list(args), {})
        except odoorpc.error.RPCError as exc:
            raise _rpc_error(exc, method) from None
        except HTTPError as exc:
            raise _http_error(exc, method) from None
        except _TRANSPORT_ERRORS as exc:
            raise OdooUnavailable(
                f"Odoo {method}: {type(exc).__name__}: {exc}", maybe_applied=_was_sent(exc)
            ) from None
        except _NOT_JSON_RPC:
            raise OdooUnavailable(f"Odoo {method}: {_NOT_ODOO}", maybe_applied=True) from None


def _rpc_error(exc, method):
    data = (exc.info or {}).get("data", {}) if isinstance(exc.info, dict) else {}
    name = data.get("name", "")
    message = data.get("message") or str(exc)
    if name.endswith(_CURSOR_MOVED):
        return CursorMoved(message)
    if any(marker in name for marker in _CONCURRENCY_ERRORS):
        return OdooUnavailable(f"Odoo {method}: {name}")
    return OdooError(f"Odoo {method} failed: {message}", name)


def _was_sent(exc):
    """False when the connection was never made (refused, or no such host): Odoo saw nothing."""
    reason = exc.reason if isinstance(exc, URLError) else exc
    return not isinstance(reason, (ConnectionRefusedError, socket.gaierror))


def _http_error(exc, what):
    if exc.code >= 500:
        # A proxy's 502 or 504 may come after Odoo ran the call.
        return OdooUnavailable(f"Odoo {what}: HTTP {exc.code}", maybe_applied=True)
    return FatalError(f"Odoo {what}: HTTP {exc.code} {exc.reason}")
