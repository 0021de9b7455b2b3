"""Logging set-up: plain or JSON lines on stderr, with secrets masked.

Secrets are kept out of log calls in the first place; the filter is the second line of defence,
masking the Odoo password and every billing API key the daemon has learnt, wherever they would
appear in a formatted message. odoorpc writes whole requests, password included, at DEBUG: its
logger is held at INFO even when the daemon runs at DEBUG.
"""

import json
import logging
import sys
import threading
import time

MASK = "***"
# Loggers that print request payloads or headers at DEBUG.
_CHATTY_LOGGERS = ("odoorpc", "urllib3")


class SecretFilter(logging.Filter):
    """Replaces known secret values in the formatted message (and exception text)."""

    def __init__(self):
        super().__init__()
        self._secrets = set()
        self._lock = threading.Lock()

    def add(self, secret):
        """Mask ``secret``, and its escaped spellings (in a repr or a JSON text) too."""
        if secret and len(secret) >= 4:
            with self._lock:
                self._secrets.update({secret, repr(secret)[1:-1], json.dumps(secret)[1:-1]})

    def mask(self, text):
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record):
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        return True


SECRETS = SecretFilter()


class JsonFormatter(logging.Formatter):
    def format(self, record):
        document = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info or record.exc_text:
            document["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False, default=str)


def setup_logging(settings, stream=None):
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(SECRETS)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for secret in settings.secrets:
        SECRETS.add(secret)
    quiet_chatty_loggers()


def quiet_chatty_loggers():
    """Never DEBUG for loggers that would print credentials, whatever the root level."""
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
