"""The daemon's own settings, read once from ``TEKTORO_*`` environment variables.

Billing URLs and keys are not here: they belong to each company and are read from Odoo. What is
here is how to reach Odoo, how often to run each job and how to report. Every value is checked at
start-up, and a bad one stops the daemon with a message that names the variable, rather than
surfacing later as an obscure failure inside a job.
"""

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sync_daemon.errors import ConfigError
from sync_daemon.logs import MASK

LOG_FORMATS = ("plain", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_PAGE_SIZE = 1000  # Billing API v1 refuses larger pages
# /healthz and /metrics serve no secrets and must be reachable from outside a container.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104  # nosec B104


@dataclass(frozen=True)
class Settings:
    odoo_url: str
    odoo_db: str
    odoo_login: str
    odoo_password: str = field(repr=False)
    odoo_timeout: float = 120.0
    events_interval: float = 30.0
    retry_interval: float = 300.0
    reconcile_interval: float = 3600.0
    page_size: int = 500
    retry_batch: int = 50
    http_host: str = ALL_INTERFACES
    http_port: int = 9108
    log_format: str = "plain"
    log_level: str = "INFO"
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0

    @property
    def secrets(self):
        """Values that must never reach a log line."""
        return (self.odoo_password,)

    def redacted(self):
        """The settings as they may be shown: every secret replaced."""
        shown = {name: getattr(self, name) for name in self.__dataclass_fields__}
        shown["odoo_password"] = MASK
        return shown


def _required(env, name):
    value = (env.get(name) or "").strip()
    if not value:
        raise ConfigError(f"{name} is required but not set")
    return value


def _url(env, name):
    value = _required(env, name).rstrip("/")
    parts = urlsplit(value)
    if "@" in parts.netloc:
        # Not echoed: the part before the @ is a password. odoorpc would ignore it anyway.
        raise ConfigError(
            f"{name} must not carry a user or password; set TEKTORO_ODOO_LOGIN and "
            "TEKTORO_ODOO_PASSWORD instead"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http:// or https:// URL, got {value!r}")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ConfigError(f"{name} has an invalid port: {value!r}") from None
    if parts.path or parts.query:
        raise ConfigError(f"{name} must be the server's base URL, without a path: {value!r}")
    return value


def _number(env, name, default, minimum, maximum, kind=float):
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        expected = "an integer" if kind is int else "a number"
        raise ConfigError(f"{name} must be {expected}, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name} must be between {minimum} and {maximum}, got {raw!r}")
    return value


def _choice(env, name, default, choices):
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip()
    normalised = value.upper() if choices == LOG_LEVELS else value.lower()
    if normalised not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return normalised


def load_settings(env=None):
    """Settings from the environment; raises ConfigError naming the first bad variable."""
    env = os.environ if env is None else env
    settings = Settings(
        odoo_url=_url(env, "TEKTORO_ODOO_URL"),
        odoo_db=_required(env, "TEKTORO_ODOO_DB"),
        odoo_login=_required(env, "TEKTORO_ODOO_LOGIN"),
        odoo_password=_required(env, "TEKTORO_ODOO_PASSWORD"),
        odoo_timeout=_number(env, "TEKTORO_ODOO_TIMEOUT", 120.0, 1, 3600),
        events_interval=_number(env, "TEKTORO_SYNC_EVENTS_INTERVAL", 30.0, 1, 86400),
        retry_interval=_number(env, "TEKTORO_SYNC_RETRY_INTERVAL", 300.0, 1, 86400),
        reconcile_interval=_number(env, "TEKTORO_SYNC_RECONCILE_INTERVAL", 3600.0, 1, 7 * 86400),
        page_size=_number(env, "TEKTORO_SYNC_PAGE_SIZE", 500, 1, MAX_PAGE_SIZE, int),
        retry_batch=_number(env, "TEKTORO_SYNC_RETRY_BATCH", 50, 1, 500, int),
        http_host=(env.get("TEKTORO_SYNC_HTTP_HOST") or ALL_INTERFACES).strip(),
        http_port=_number(env, "TEKTORO_SYNC_HTTP_PORT", 9108, 0, 65535, int),
        log_format=_choice(env, "TEKTORO_SYNC_LOG_FORMAT", "plain", LOG_FORMATS),
        log_level=_choice(env, "TEKTORO_SYNC_LOG_LEVEL", "INFO", LOG_LEVELS),
        max_attempts=_number(env, "TEKTORO_SYNC_MAX_ATTEMPTS", 5, 1, 20, int),
        backoff_base=_number(env, "TEKTORO_SYNC_BACKOFF_BASE", 0.5, 0.01, 60),
        backoff_max=_number(env, "TEKTORO_SYNC_BACKOFF_MAX", 30.0, 0.01, 600),
    )
    if settings.backoff_max < settings.backoff_base:
        raise ConfigError(
            "TEKTORO_SYNC_BACKOFF_MAX must be at least TEKTORO_SYNC_BACKOFF_BASE "
            f"({settings.backoff_base})"
        )
    return settings
