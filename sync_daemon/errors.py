"""One root exception; below it, the failures worth retrying and the ones that are not.

Jobs only ever branch on the kind: a ``RetryableError`` (a transport failure, a timeout, a 5xx,
a serialisation conflict) may succeed if the same request is sent again later, so it is retried
with backoff. A ``FatalError`` (bad configuration, refused credentials, a business error such as
a 409 or a validation error) will fail the same way every time, so it is reported, never retried
blindly.
"""


class SyncError(Exception):
    """Anything the daemon knows how to report."""

    retryable = False


class RetryableError(SyncError):
    """The request may succeed if sent again: nothing says it was refused.

    ``retry_after``: seconds the other side asked the client to wait first, if it said.
    """

    retryable = True
    retry_after = None


class FatalError(SyncError):
    """Sending the same request again would fail the same way."""


class ConfigError(FatalError):
    """A setting is missing or invalid; the message names the environment variable."""


class BillingUnavailable(RetryableError):
    """The billing system did not answer, or answered with a 5xx or a 429 (whose
    ``Retry-After`` header, if any, gives ``retry_after``)."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


class BillingMisconfigured(FatalError):
    """The company's billing settings make a request that cannot be sent (a malformed URL),
    point at an address that redirects elsewhere, or at one whose answer is JSON but not of the
    Billing API's shape (another service there, or a bug on the billing side: either way the
    same answer would come back)."""


class BillingApiError(FatalError):
    """The billing system refused the request (4xx) with a stable error code."""

    def __init__(self, status, code, message):
        super().__init__(f"billing API answered {status} {code}: {message}")
        self.status = status
        self.code = code


class OdooUnavailable(RetryableError):
    """Odoo did not answer, answered with an HTTP error, or hit a concurrency conflict.

    ``maybe_applied``: the call reached Odoo, or may have, and its answer was lost (a timeout,
    a 5xx from a proxy in front of it): Odoo may have run and committed it.
    """

    def __init__(self, message, maybe_applied=False):
        super().__init__(message)
        self.maybe_applied = maybe_applied


class OdooOutcomeUnknown(SyncError):
    """Odoo may have run a call that must not run twice, and its answer was lost.

    Not sent again: the job stops there, and its next run starts from what Odoo then holds.
    """


class OdooError(FatalError):
    """Odoo refused the call: access denied, a business rule, a bug on its side."""

    def __init__(self, message, exception_name=""):
        super().__init__(message)
        self.exception_name = exception_name


class CursorMoved(SyncError):
    """Another daemon applied the page first: re-read the cursor and carry on from there.

    Not a failure and not retryable as is: the same page against the same cursor would be
    refused again, so the job starts over from the cursor Odoo now holds.
    """
