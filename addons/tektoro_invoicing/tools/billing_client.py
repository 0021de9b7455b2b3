"""A small HTTP client for Billing API v1, free of Odoo so it can be reasoned about on its own.

What a caller must decide after a failed call depends on whether the billing system may have acted
on it, so every failure is a :class:`BillingError` of one of three kinds:

- :class:`BillingUnreachable`: nothing reached the billing system (connection refused, connect
  timeout). Nothing happened there; ``outcome`` is ``"failed"``.
- :class:`BillingOutcomeUnknown`: the request was sent but no answer came back (read timeout,
  connection reset). It may have been applied; ``outcome`` is ``"unknown"`` and the caller must
  look before acting again.
- :class:`BillingHTTPError`: the billing system answered with a 4xx/5xx; :class:`BillingConflict`
  is its 409, whose ``code`` (``duplicate_reference``, ``idempotency_conflict``, ``invoice_paid``)
  names the business rule that refused the request.

``message`` is for logs: it carries the technical detail (the transport's own exception). For
users, ``reason`` says what went wrong, and ``params`` its particulars, so that the caller can
word it in the user's language:

- ``unreachable`` (``url``): the connection was never made;
- ``not_sent``: the request could not even be sent;
- ``no_answer`` (``url``, ``seconds``): sent, and no answer came within the timeout;
- ``connection_broken`` (``url``): sent, and the connection broke before the answer;
- ``not_json``: an answer that is not a JSON object (``status`` is the error's);
- ``refused`` (``remote_message``): an error answer, with the error's ``status`` and ``code``.
"""

import json
import logging
from urllib.parse import quote

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

_logger = logging.getLogger(__name__)

USER_AGENT = "tektoro-invoicing-odoo/18.0"


class BillingError(Exception):
    """Root of every failure talking to the billing system."""

    outcome = "failed"

    def __init__(self, message, status=None, code=None, details=None, reason=None, **params):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details = details or {}
        self.reason = reason
        self.params = params


class BillingUnreachable(BillingError):
    """The request never reached the billing system."""


class BillingOutcomeUnknown(BillingError):
    """The request may have been applied: the answer was lost."""

    outcome = "unknown"


class BillingHTTPError(BillingError):
    """The billing system answered with an error status."""


class BillingConflict(BillingHTTPError):
    """A 409: a business rule of the billing system refused the request."""


class BillingClient:
    """One session per client: connections are reused across the calls of one batch."""

    def __init__(self, base_url, api_key, timeout):
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Bearer {api_key or ''}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            }
        )

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # ------------------------------------------------------------------ API calls

    def create_invoice(self, payload, idempotency_key):
        return self._call(
            "POST", "/v1/invoices", payload, headers={"Idempotency-Key": idempotency_key}
        )

    def find_invoice_by_reference(self, reference):
        """The billing system's invoice for our number, or None when it has none."""
        found = self._call("GET", "/v1/invoices?reference=" + quote(reference, safe=""))
        invoices = found.get("data") or []
        return invoices[0] if invoices else None

    def cancel_invoice(self, billing_id):
        return self._call("POST", f"/v1/invoices/{quote(billing_id, safe='')}/cancel")

    # ------------------------------------------------------------------ transport

    def _call(self, method, path, payload=None, headers=None):
        url = self.base_url + path
        data = None
        all_headers = dict(headers or {})
        if payload is not None:
            data = json.dumps(payload, allow_nan=False).encode()
            all_headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(
                method, url, data=data, headers=all_headers, timeout=self.timeout
            )
        except requests.ConnectTimeout as exc:
            raise self._unreachable(exc) from exc
        except requests.Timeout as exc:
            raise BillingOutcomeUnknown(
                f"no answer from {self.base_url} within {self.timeout:g} s",
                reason="no_answer",
                url=self.base_url,
                seconds=f"{self.timeout:g}",
            ) from exc
        except requests.ConnectionError as exc:
            if _never_connected(exc):
                raise self._unreachable(exc) from exc
            raise BillingOutcomeUnknown(
                f"the connection to {self.base_url} broke before an answer: {exc}",
                reason="connection_broken",
                url=self.base_url,
            ) from exc
        except requests.RequestException as exc:
            raise BillingUnreachable(
                f"could not send the request: {exc}", reason="not_sent"
            ) from exc
        return self._decode(method, path, response)

    def _unreachable(self, exc):
        return BillingUnreachable(
            f"could not connect to {self.base_url}: {exc}", reason="unreachable", url=self.base_url
        )

    def _decode(self, method, path, response):
        try:
            document = response.json()
        except ValueError:
            document = None
        if response.ok:
            if not isinstance(document, dict):
                raise BillingHTTPError(
                    f"{method} {path} answered {response.status_code} without a JSON object",
                    status=response.status_code,
                    reason="not_json",
                )
            return document
        error = (document or {}).get("error") if isinstance(document, dict) else None
        error = error if isinstance(error, dict) else {}
        code = error.get("code") or f"http_{response.status_code}"
        message = error.get("message") or response.reason or "no message"
        details = {k: v for k, v in error.items() if k not in ("code", "message")}
        error_class = BillingConflict if response.status_code == 409 else BillingHTTPError
        raise error_class(
            f"{response.status_code} {code}: {message}",
            status=response.status_code,
            code=code,
            details=details,
            reason="refused",
            remote_message=message,
        )


def _never_connected(exc):
    """True when the TCP connection was never made, so the request cannot have been applied."""
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))
