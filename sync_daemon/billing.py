"""The Billing API v1 client: the few reads the daemon needs, over one ``requests.Session``.

The daemon only reads from the billing system (events, invoice lists); every write to it is made
by the addon, which owns the idempotency keys. Reads are always safe to send again, so transport
failures, 429 and 5xx are retried with backoff here; a 4xx is a refusal and is raised as is.
Amounts are parsed as ``Decimal``: comparing money as floats would report drift that is not there.
"""

import json
import logging
from decimal import Decimal

import requests
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
        page = self._get("/v1/events", {"after": after, "limit": limit})
        return page["data"], bool(page["has_more"])

    def invoices(self, page_size=LIST_PAGE_SIZE):
        """Every invoice, oldest first, fetched page by page."""
        starting_after = None
        while True:
            params = {"limit": page_size}
            if starting_after:
                params["starting_after"] = starting_after
            page = self._get("/v1/invoices", params)
            yield from page["data"]
            if not page["has_more"] or not page["data"]:
                return
            starting_after = page["data"][-1]["id"]

    def check(self):
        """Reach the API with the configured key; raises on any failure."""
        self._get("/v1/events", {"after": 0, "limit": 1})

    # ------------------------------------------------------------------ transport

    def _get(self, path, params):
        return self._retrier.call(
            lambda: self._request("GET", path, params), f"GET {self.base_url}{path}", "billing"
        )

    def _request(self, method, path, params):
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
            body = json.loads(response.text, parse_float=Decimal)
        except ValueError as exc:
            raise BillingUnavailable(f"{method} {url} answered a body that is not JSON") from exc
        if response.status_code >= 400:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            raise BillingApiError(
                response.status_code,
                error.get("code", "unknown"),
                error.get("message", response.reason),
            )
        return body


def _retry_after(response):
    """Seconds the ``Retry-After`` header asks for (a delay or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return Retry().parse_retry_after(value)
    except InvalidHeader:
        return None
