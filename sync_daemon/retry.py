"""Exponential backoff with full jitter, for requests that are safe to send again.

Only ``RetryableError`` is retried: a transport failure or a 5xx says nothing was refused. A
business error would fail the same way again, so it goes straight up to the job. Jitter keeps
several daemons (or several companies) that failed together from retrying in lock-step. A server
that says how long to wait (``Retry-After`` on a 429 or 503) is waited for at least that long,
but never longer than the backoff's cap: SIGTERM and the job's next run are not held up by it.
"""

import logging
import random
import threading
from dataclasses import dataclass

from sync_daemon.errors import RetryableError

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    base: float = 0.5
    cap: float = 30.0
    max_attempts: int = 5

    def ceiling(self, retry_number):
        """The longest wait before retry ``retry_number`` (1 for the first retry)."""
        return min(self.cap, self.base * 2 ** (retry_number - 1))

    def delay(self, retry_number, rng=random):
        """A wait drawn uniformly from [0, ceiling]: "full jitter"."""
        return rng.uniform(0, self.ceiling(retry_number))


class Retrier:
    """Runs a call, retrying retryable failures with backoff until attempts run out.

    ``stopping`` is the daemon's shutdown event: a SIGTERM during a backoff wait ends the wait
    and the retries, so shutdown is never held up by a billing system that is down.
    """

    def __init__(self, backoff, stopping=None, on_retry=None, rng=random):
        self.backoff = backoff
        self.stopping = stopping or threading.Event()
        self.on_retry = on_retry
        self._rng = rng

    def call(self, func, what, target):
        retry_number = 0
        while True:
            try:
                return func()
            except RetryableError as exc:
                retry_number += 1
                if retry_number >= self.backoff.max_attempts or self.stopping.is_set():
                    raise
                delay = self.backoff.delay(retry_number, self._rng)
                if exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, self.backoff.cap))
                _logger.warning(
                    "%s failed (%s); retry %s of %s in %.2fs",
                    what,
                    exc,
                    retry_number,
                    self.backoff.max_attempts - 1,
                    delay,
                )
                if self.on_retry is not None:
                    self.on_retry(target)
                if self.stopping.wait(delay):
                    raise
