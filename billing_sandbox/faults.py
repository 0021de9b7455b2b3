"""Failures on demand, so clients can prove they survive the ones real billing systems have.

A fault matches ``METHOD /path-prefix`` (``*`` for any method) by plain prefix: ``POST
/v1/invoices`` matches creating an invoice and also ``POST /v1/invoices/{id}/cancel`` and
``/payments``; ``POST /v1/invoices/`` matches only those sub-paths. Faults apply to ``/v1``
requests that passed authentication, never to ``/_sandbox`` itself (a fault must not lock the
tester out of clearing it). Each matching request uses up one unit of the first fault with units
left. Modes:

- ``error_before``: answer ``status`` (default 503) without touching any data.
- ``gateway_error``: answer ``status`` (default 502) with an HTML page instead of a JSON error,
  as a proxy in front of the billing system does when it cannot reach it; no data is touched.
- ``error_after``: handle the request (commit it), then answer ``status`` instead.
- ``timeout_after``: handle the request, then hold the answer ``seconds`` (default 30).
- ``reset_after``: handle the request, then reset the TCP connection: no response at all.
- ``truncate_after``: handle the request, then send its status, its headers and only the first
  half of its body, and close the connection: the answer arrives, cut short.
- ``empty_json_after``: handle the request, then answer its status with ``{}``: JSON, but not the
  document the API promises, as a gateway that rewrites answers, or another service at the
  address, sends.
- ``redirect``: answer ``status`` (default 301, any 3xx) with a ``Location``: ``location`` if
  given, else the request's own URL under ``https://``, as a web server that moved the billing
  system to HTTPS does; no data is touched.
- ``delay``: wait ``seconds`` (default 1), then handle the request normally.

An error answer (``error_before``, ``error_after``, ``gateway_error``) carries a ``Retry-After``
header of ``retry_after`` seconds when one is given, as rate limiters and overloaded servers send.

Faults live in the worker's memory: a restart clears them, never the data.
"""

import logging
import os
import re
import socket
import struct
import threading
from dataclasses import dataclass
from decimal import Decimal

import falcon

from billing_sandbox.errors import ApiError, render_error
from billing_sandbox.validation import Fields

_logger = logging.getLogger(__name__)

MODES = (
    "error_before",
    "gateway_error",
    "error_after",
    "timeout_after",
    "reset_after",
    "truncate_after",
    "empty_json_after",
    "redirect",
    "delay",
)
_DEFAULT_SECONDS = {"timeout_after": Decimal(30), "delay": Decimal(1)}
_DEFAULT_STATUS = {"gateway_error": 502, "redirect": 301}
_ERROR_MODES = ("error_before", "error_after", "gateway_error")
# What nginx answers when its upstream is down, give or take the version line.
_GATEWAY_PAGE = (
    "<html>\r\n<head><title>{status}</title></head>\r\n<body>\r\n"
    "<center><h1>{status}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_MATCH = re.compile(r"(\*|[A-Z]+) (/\S*)")
MAX_FAULTS = 100


@dataclass
class Fault:
    method: str
    path_prefix: str
    mode: str
    count: int
    status: int
    seconds: Decimal
    location: str | None = None
    retry_after: int | None = None

    def matches(self, method, path):
        return self.method in ("*", method) and path.startswith(self.path_prefix)

    def document(self):
        document = {
            "match": f"{self.method} {self.path_prefix}",
            "mode": self.mode,
            "count": self.count,
            "status": self.status,
            "seconds": self.seconds,
        }
        if self.location is not None:
            document["location"] = self.location
        if self.retry_after is not None:
            document["retry_after"] = self.retry_after
        return document

    def error(self):
        return ApiError(
            self.status,
            "sandbox_fault",
            f"Injected fault {self.mode} for {self.method} {self.path_prefix}.",
        )


def parse_faults(body):
    fields = Fields(body)
    faults = [_parse_fault(item) for item in fields.objects("faults", MAX_FAULTS)]
    fields.finish()
    return faults


def _parse_fault(fields):
    match = fields.text(
        "match", 300, pattern=_MATCH, expected='"METHOD /path-prefix", e.g. "POST /v1/invoices"'
    )
    method, path_prefix = match.split(" ", 1)
    mode = fields.choice("mode", MODES)
    seconds = fields.number("seconds", Decimal(0), Decimal(600), 3, required=False)
    lowest, highest = (300, 399) if mode == "redirect" else (400, 599)
    fault = Fault(
        method=method,
        path_prefix=path_prefix,
        mode=mode,
        count=fields.integer("count", 1, 1, 1_000_000),
        status=fields.integer("status", _DEFAULT_STATUS.get(mode, 503), lowest, highest),
        seconds=_DEFAULT_SECONDS.get(mode, Decimal(0)) if seconds is None else seconds,
        location=fields.text("location", 2000, required=False) if mode == "redirect" else None,
        retry_after=(
            fields.integer("retry_after", None, 0, 3600) if mode in _ERROR_MODES else None
        ),
    )
    fields.finish()
    return fault


class FaultRegistry:
    def __init__(self):
        self._faults = []
        self._lock = threading.Lock()
        # Set when the worker is told to stop, so a held response does not delay shutdown.
        self.stopping = threading.Event()

    def add(self, faults):
        with self._lock:
            self._faults.extend(faults)
            return self._documents()

    def documents(self):
        with self._lock:
            return self._documents()

    def clear(self):
        with self._lock:
            self._faults.clear()

    def take(self, method, path):
        """Use up one unit of the first fault matching this request, if there is one."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    if not fault.count:
                        self._faults.remove(fault)
                    return fault
        return None

    def pause(self, seconds):
        self.stopping.wait(float(seconds))

    def _documents(self):
        return [fault.document() for fault in self._faults]


class FaultMiddleware:
    """Falcon middleware: runs after authentication, around the responder that commits."""

    def __init__(self, registry):
        self._registry = registry

    def process_request(self, req, resp):
        if not req.path.startswith("/v1/"):
            return
        fault = self._registry.take(req.method, req.path)
        if fault is None:
            return
        _logger.info("Injecting %s into %s %s", fault.mode, req.method, req.path)
        req.context.fault = fault
        if fault.mode == "error_before":
            raise fault.error()
        if fault.mode == "gateway_error":
            resp.status = fault.status
            resp.content_type = falcon.MEDIA_HTML
            resp.text = _GATEWAY_PAGE.format(status=falcon.code_to_http_status(fault.status))
            resp.complete = True
        if fault.mode == "redirect":
            resp.status = fault.status
            resp.location = fault.location or "https://" + req.url.split("://", 1)[1]
            resp.complete = True
        if fault.mode == "delay":
            self._registry.pause(fault.seconds)

    def process_response(self, req, resp, resource, req_succeeded):
        fault = req.context.get("fault")
        if fault is None:
            return
        if fault.retry_after is not None:
            resp.set_header("Retry-After", str(fault.retry_after))
        if fault.mode == "error_after":
            render_error(resp, fault.error())
        elif fault.mode == "timeout_after":
            self._registry.pause(fault.seconds)
        elif fault.mode == "reset_after":
            reset_connection(req.env["gunicorn.socket"])
            req.context.connection_fault = "reset"
        elif fault.mode == "truncate_after":
            truncate_response(req.env["gunicorn.socket"], resp)
            req.context.connection_fault = "truncated"
        elif fault.mode == "empty_json_after":
            resp.content_type = falcon.MEDIA_JSON
            resp.text = "{}"


def reset_connection(sock):
    """Abort the client's TCP connection with an RST, leaving gunicorn nothing to write to.

    Closing gunicorn's socket object under it would make its own cleanup fail. Instead the
    connection is duplicated, gunicorn's file descriptor is pointed at a fresh unconnected
    socket, and closing the duplicate with a zero linger time sends the RST. Gunicorn's attempt
    to write the response then fails on the unconnected socket, which it treats as a client gone.
    """
    connection = _take_over(sock)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def truncate_response(sock, resp):
    """Send the response's status, headers and half its body, then close the connection.

    The Content-Length announces the whole body, so the client sees an answer that stops short
    (an orderly close, not a reset). Gunicorn is left an unconnected socket, as for a reset.
    """
    body = resp.render_body() or b""
    headers = {**resp.headers, "content-type": resp.content_type, "content-length": len(body)}
    head = f"HTTP/1.1 {falcon.code_to_http_status(resp.status)}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    connection = _take_over(sock)
    with connection:
        connection.sendall(head.encode("latin-1") + b"\r\n" + body[: len(body) // 2])


def _take_over(sock):
    """The client's connection, duplicated; gunicorn's descriptor now holds a dead socket."""
    connection = sock.dup()
    with socket.socket(sock.family, socket.SOCK_STREAM) as placeholder:
        os.dup2(placeholder.fileno(), sock.fileno())
    return connection
