"""A small HTTP client for Billing API v1, free of Odoo so it can be reasoned about on its own.

What a caller must decide after a failed call depends on whether the billing system may have acted
on it, so every failure is a :class:`BillingError` of one of three kinds:

- :class:`BillingUnreachable`: nothing reached the billing system (connection refused, connect
  timeout). Nothing happened there; ``outcome`` is ``"failed"``.
- :class:`BillingOutcomeUnknown`: the request was sent but no usable answer came back (read
  timeout, connection reset, an answer cut short, a success status without the JSON document the
  call promises, such as an invoice without its id). It may have been applied; ``outcome`` is
  ``"unknown"`` and the caller must look before acting again.
- :class:`BillingHTTPError`: the billing system, or a proxy in front of it, answered with a
  4xx/5xx; :class:`BillingConflict` is its 409, whose ``code`` (``duplicate_reference``,
  ``idempotency_conflict``, ``invoice_paid``) names the business rule that refused the request.

``message`` is for logs: it carries the technical detail (the transport's own exception). For
users, ``reason`` says what went wrong, and ``params`` its particulars, so that the caller can
word it in the user's language:

- ``unreachable`` (``url``): the connection was never made;
- ``not_sent``: the request could not even be sent (a malformed URL or header);
- ``no_answer`` (``url``, ``seconds``): sent, and no answer came within the timeout;
- ``connection_broken`` (``url``): sent, and the connection broke before the whole answer came;
- ``not_json`` (``phrase``): an answer without the JSON the API sends, such as a proxy's HTML
  error page (``status`` is the answer's, ``phrase`` its reason phrase);
- ``refused`` (``remote_message``): an error answer, with the error's ``status`` and ``code``;
- ``redirected`` (``location``, ``phrase``): a 3xx pointing elsewhere, as a web server that moved
  the billing system to HTTPS answers. Redirects are never followed: requests would turn a POST
  into a GET of the same URL and take its answer (a list of invoices) for the invoice created.
"""

import json
import logging
from urllib.parse import quote

import requests
from requests.exceptions import ContentDecodingError, URLRequired
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

_logger = logging.getLogger(__name__)

USER_AGENT = "tektoro-invoicing-odoo/18.0"

# What requests raises before a byte is sent: a malformed URL, proxy URL or header value (the
# ValueError subclasses: InvalidURL, MissingSchema, InvalidSchema, InvalidHeader, ...).
_NEVER_SENT = (ValueError, URLRequired)


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
            "POST",
            "/v1/invoices",
            payload,
            headers={"Idempotency-Key": idempotency_key},
            expect=_is_invoice,
        )

    def find_invoice_by_reference(self, reference):
        """The billing system's invoice for our number, or None when it has none."""
        found = self._call(
            "GET", "/v1/invoices?reference=" + quote(reference, safe=""), expect=_is_invoice_page
        )
        invoices = found["data"]
        return invoices[0] if invoices else None

    def cancel_invoice(self, billing_id):
        return self._call("POST", f"/v1/invoices/{quote(billing_id, safe='')}/cancel")

    # ------------------------------------------------------------------ transport

    def _call(self, method, path, payload=None, headers=None, expect=None):
        """The answer's JSON object; ``expect``, if given, says whether it is the document
        the call promises (a success status with anything else is an unusable answer)."""
        url = self.base_url + path
        data = None
        all_headers = dict(headers or {})
        if payload is not None:
            data = json.dumps(payload, allow_nan=False).encode()
            all_headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(
                method,
                url,
                data=data,
                headers=all_headers,
                timeout=self.timeout,
                allow_redirects=False,
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
            raise self._broken(exc) from exc
        except (requests.exceptions.ChunkedEncodingError, ContentDecodingError) as exc:
            # The answer had begun: the request was sent, and may have been applied.
            raise self._broken(exc) from exc
        except requests.RequestException as exc:
            if isinstance(exc, _NEVER_SENT):
                raise BillingUnreachable(
                    f"could not send the request: {exc}", reason="not_sent"
                ) from exc
            raise BillingOutcomeUnknown(f"no usable answer from {self.base_url}: {exc}") from exc
        return self._decode(method, path, response, expect)

    def _broken(self, exc):
        return BillingOutcomeUnknown(
            f"the connection to {self.base_url} broke before the whole answer came: {exc}",
            reason="connection_broken",
            url=self.base_url,
        )

    def _unreachable(self, exc):
        return BillingUnreachable(
            f"could not connect to {self.base_url}: {exc}", reason="unreachable", url=self.base_url
        )

    def _decode(self, method, path, response, expect=None):
        status = response.status_code
        if response.is_redirect:
            location = response.headers["Location"]
            raise BillingHTTPError(
                f"{method} {path} answered {status} {response.reason}, redirecting to {location}",
                status=status,
                code=f"http_{status}",
                reason="redirected",
                location=location,
                phrase=response.reason or "",
            )
        try:
            document = response.json()
        except ValueError:
            document = None
        if response.ok and isinstance(document, dict) and (expect is None or expect(document)):
            return document
        error = document.get("error") if isinstance(document, dict) else None
        refusal_class = BillingConflict if status == 409 else BillingHTTPError
        if response.ok or not isinstance(error, dict):
            # A success status says the billing system acted: only its answer is unreadable.
            unreadable_class = BillingOutcomeUnknown if response.ok else refusal_class
            raise unreadable_class(
                f"{method} {path} answered {status} {response.reason} without the API's JSON: "
                f"{response.text[:200]!r}",
                status=status,
                code=f"http_{status}",
                reason="not_json",
                phrase=response.reason or "",
            )
        code = error.get("code") or f"http_{status}"
        message = error.get("message") or response.reason or "no message"
        details = {k: v for k, v in error.items() if k not in ("code", "message")}
        raise refusal_class(
            f"{status} {code}: {message}",
            status=status,
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


def _is_invoice(document):
    return isinstance(document.get("id"), str) and bool(document["id"])


def _is_invoice_page(document):
    invoices = document.get("data")
    return isinstance(invoices, list) and all(
        isinstance(invoice, dict) and _is_invoice(invoice) for invoice in invoices
    )
