"""The Billing API v1 client: the few reads the daemon needs, over one ``requests.Session``.

The daemon only reads from the billing system (events, invoice lists); every write to it is made
by the addon, which owns the idempotency keys. Reads are always safe to send again, so transport
failures, 429 and 5xx are retried with backoff here; a 4xx is a refusal and is raised as is,
and one whose body is not JSON (a proxy's error page at a wrong address) is a misconfiguration.
Amounts are parsed as ``Decimal``: comparing money as floats would report drift that is not there.

A page is checked once, here, against the shape the daemon relies on (``check_events_page``,
``check_invoices_page``), so the jobs and the drift rules can index it without a guard. A body of
another shape (or JSON too deep, or a number no ``Decimal`` holds) is not a page that the
maintenance of a proxy put in the way: it comes from a service that speaks JSON, most likely not
the Billing API (a wrong URL) or one with a bug, and it would come back the same if asked again.
It is a ``BillingMisconfigured`` for that company, not retried.
"""

import json
import logging
from decimal import Decimal

import requests
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from requests.exceptions import URLRequired
from urllib3.exceptions import InvalidHeader
from urllib3.util.retry import Retry

from sync_daemon import __version__
from sync_daemon.errors import BillingApiError, BillingMisconfigured, BillingUnavailable

_logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
LIST_PAGE_SIZE = 1000
# What requests raises before sending anything: a malformed URL or header value (the ValueError
# subclasses: InvalidURL, MissingSchema, InvalidHeader, ...). Sending again cannot help.
_NEVER_SENT = (ValueError, URLRequired)
# What json.loads raises, besides a JSONDecodeError, for a body that is JSON but not one the
# daemon can hold: a number past Decimal's exponents or past int's 4300 digits, NaN or Infinity
# (refused by ``_no_constant``), nesting deeper than the interpreter's stack.
_UNREADABLE_JSON = (ValueError, ArithmeticError, RecursionError)
# The Billing API's largest amount is 999999999999.99; a total far past it is not an amount.
_MAX_AMOUNT = Decimal("1e15")


class BillingClient:
    def __init__(self, base_url, api_key, timeout, retrier, session=None):
        self.base_url = base_url.rstrip("/")
        self._timeout = (min(CONNECT_TIMEOUT, timeout), timeout)
        self._retrier = retrier
        self._session = session or requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": f"tektoro-sync/{__version__}",
            }
        )

    def __repr__(self):
        return f"<BillingClient {self.base_url}>"

    def close(self):
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # ------------------------------------------------------------------ reads

    def events(self, after, limit):
        """One page of the event feed after event id ``after``: (events, has_more)."""
        return self._get("/v1/events", {"after": after, "limit": limit}, check_events_page)

    def invoices(self, page_size=LIST_PAGE_SIZE):
        """Every invoice, oldest first, fetched page by page."""
        starting_after = None
        while True:
            params = {"limit": page_size}
            if starting_after:
                params["starting_after"] = starting_after
            invoices, has_more = self._get("/v1/invoices", params, check_invoices_page)
            yield from invoices
            if not has_more or not invoices:
                return
            starting_after = invoices[-1]["id"]

    def check(self):
        """Reach the API with the configured key and read a page; raises on any failure."""
        self.events(0, 1)

    # ------------------------------------------------------------------ transport

    def _get(self, path, params, check_page):
        return self._retrier.call(
            lambda: self._request("GET", path, params, check_page),
            f"GET {self.base_url}{path}",
            "billing",
        )

    def _request(self, method, path, params, check_page):
        url = self.base_url + path
        try:
            # Never followed: a moved address is for an administrator to put in the settings.
            response = self._session.request(
                method, url, params=params, timeout=self._timeout, allow_redirects=False
            )
        except _NEVER_SENT as exc:
            raise BillingMisconfigured(
                f"{method} {url} cannot be sent ({exc}): check the company's billing system URL "
                "and API key in Odoo"
            ) from exc
        except requests.RequestException as exc:
            # Refused, timed out, reset, or an answer cut short: a read is safe to send again.
            raise BillingUnavailable(f"{method} {url}: {type(exc).__name__}") from exc
        if response.is_redirect:
            raise BillingMisconfigured(
                f"{method} {url} answered {response.status_code}, redirecting to "
                f"{response.headers['Location']}: put the billing system's own address in the "
                "company's settings in Odoo"
            )
        if response.status_code >= 500 or response.status_code == 429:
            raise BillingUnavailable(
                f"{method} {url} answered {response.status_code}",
                retry_after=_retry_after(response),
            )
        try:
            body = json.loads(response.text, parse_float=Decimal, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            if 400 <= response.status_code < 500 and response.status_code != 408:
                # Another server's refusal, such as a proxy's 404 at a wrong address: it would
                # answer the same if asked again.
                raise _not_the_api(method, url, response, "not JSON") from None
            # A proxy's or a maintenance page, most likely: retried like an outage.
            raise BillingUnavailable(f"{method} {url} answered a body that is not JSON") from exc
        except _UNREADABLE_JSON as exc:
            if response.status_code >= 400:
                raise _refusal(response, None) from None
            raise _not_the_api(method, url, response, _unreadable(exc)) from None
        if response.status_code >= 400:
            raise _refusal(response, body)
        try:
            return check_page(body)
        except ShapeError as exc:
            raise _not_the_api(method, url, response, str(exc)) from None


class ShapeError(ValueError):
    """Where an answer departs from the shape the daemon relies on, e.g. ``data[3].id is
    missing``."""


def check_events_page(body):
    """An event page's (events, has_more), once every field the daemon reads is checked.

    Each event has an ``id`` (a positive integer: the cursor), a ``type`` and a ``created_at``
    (strings), and an ``invoice``, an object or null, of which only the fields sent to Odoo are
    checked, when present: strings or null, and ``total`` an amount or null.
    """
    return _check_page(_EVENTS_PAGE, body)


def check_invoices_page(body):
    """An invoice page's (invoices, has_more), once every field the daemon reads is checked.

    Each invoice has an ``id`` (a non-empty string: the next page starts after it), a
    ``reference`` and a ``status`` (strings) and a ``total``; ``paid_at``, if present, is a
    string or null. An amount is a JSON number below ``_MAX_AMOUNT`` in size.
    """
    return _check_page(_INVOICES_PAGE, body)


def _page_schema(item):
    return Draft202012Validator(
        {
            "type": "object",
            "required": ["data", "has_more"],
            "properties": {"data": {"type": "array", "items": item}, "has_more": _BOOLEAN},
        }
    )


_TEXT = {"type": "string"}
_TEXT_OR_NULL = {"type": ["string", "null"]}
_BOOLEAN = {"type": "boolean"}
_AMOUNT = {"type": "number", "exclusiveMinimum": -_MAX_AMOUNT, "exclusiveMaximum": _MAX_AMOUNT}
_AMOUNT_OR_NULL = {**_AMOUNT, "type": ["number", "null"]}
_EVENTS_PAGE = _page_schema(
    {
        "type": "object",
        "required": ["id", "type", "created_at", "invoice"],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "type": _TEXT,
            "created_at": _TEXT,
            "invoice": {
                "type": ["object", "null"],
                "properties": {
                    **dict.fromkeys(
                        ("id", "reference", "status", "paid_at", "cancelled_at"), _TEXT_OR_NULL
                    ),
                    "total": _AMOUNT_OR_NULL,
                },
            },
        },
    }
)
_INVOICES_PAGE = _page_schema(
    {
        "type": "object",
        "required": ["id", "reference", "status", "total"],
        "properties": {
            "id": {"type": "string", "minLength": 1},
            "reference": _TEXT,
            "status": _TEXT,
            "total": _AMOUNT,
            "paid_at": _TEXT_OR_NULL,
        },
    }
)


def _check_page(validator, body):
    error = best_match(validator.iter_errors(body))
    if error is not None:
        where = "".join(
            f"[{step}]" if isinstance(step, int) else f".{step}" for step in error.absolute_path
        )
        raise ShapeError(f"{where.lstrip('.') or 'the body'}: {_one_line(error.message, 200)}")
    return body["data"], body["has_more"]


def _no_constant(name):
    raise ValueError(f"{name} is not a number")


def _unreadable(exc):
    if isinstance(exc, RecursionError):
        return "JSON nested too deep"
    if isinstance(exc, ArithmeticError):
        return "a number past the exponents a Decimal holds"
    return _one_line(exc)


def _one_line(value, limit=120):
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _not_the_api(method, url, response, problem):
    return BillingMisconfigured(
        f"{method} {url} answered {response.status_code} with a body that is not the Billing "
        f"API's ({problem}): check that the company's billing system URL in Odoo is the Billing "
        "API v1's; if it is, the billing system has a bug"
    )


def _refusal(response, body):
    """A 4xx as a ``BillingApiError``, whatever the shape of its ``error`` member."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):
        error = {"message": error}
    elif not isinstance(error, dict):
        error = {}
    code, message = error.get("code"), error.get("message")
    return BillingApiError(
        response.status_code,
        code if isinstance(code, str) and code else "unknown",
        _one_line(message, 500) if isinstance(message, str) and message else response.reason,
    )


def _retry_after(response):
    """Seconds the ``Retry-After`` header asks for (a delay or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return Retry().parse_retry_after(value)
    except InvalidHeader:
        return None
