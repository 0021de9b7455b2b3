"""``tektoro-billing-sandbox``: serve Billing API v1 from a SQLite file.

Every option falls back to a ``TEKTORO_BILLING_*`` environment variable, so the API key can be
kept off the command line (where ``ps`` shows it) in docker-compose and CI.
"""

import argparse
import logging
import os
import sqlite3

from billing_sandbox.server import SandboxServer, Settings
from billing_sandbox.store import MAX_EVENT_ID, Store, StoreError

_logger = logging.getLogger(__name__)

ENV_PREFIX = "TEKTORO_BILLING_"
LOG_LEVELS = ("debug", "info", "warning", "error")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tektoro-billing-sandbox",
        description="Run the TekToro billing sandbox, a durable implementation of Billing API v1.",
        epilog=f"Each option defaults to the environment variable {ENV_PREFIX}<OPTION>, "
        f"e.g. {ENV_PREFIX}API_KEY, {ENV_PREFIX}DB, {ENV_PREFIX}PORT.",
    )
    parser.add_argument("--host", default=_env("HOST", "127.0.0.1"), help="address to bind")
    parser.add_argument("--port", type=_port, default=_env("PORT", "8070"), help="TCP port")
    parser.add_argument(
        "--db",
        default=_env("DB", "billing-sandbox.sqlite3"),
        help="SQLite database file, created if missing",
    )
    parser.add_argument(
        "--api-key", default=_env("API_KEY"), help="bearer key every request must carry"
    )
    parser.add_argument(
        "--threads", type=_positive, default=_env("THREADS", "8"), help="request threads"
    )
    parser.add_argument(
        "--first-event-id",
        type=_event_id,
        default=_env("FIRST_EVENT_ID", "1"),
        help="lowest id of the next event; raises the sequence, never lowers it (default 1)",
    )
    parser.add_argument(
        "--log-level", choices=LOG_LEVELS, default=_env("LOG_LEVEL", "info"), help="log level"
    )
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error(f"an API key is required: --api-key or {ENV_PREFIX}API_KEY")
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    _prepare_database(parser, args.db, args.first_event_id)
    _logger.info("Billing sandbox on http://%s:%s, data in %s", args.host, args.port, args.db)
    SandboxServer(
        Settings(
            host=args.host,
            port=args.port,
            db_path=args.db,
            api_key=args.api_key,
            threads=args.threads,
            log_level=args.log_level,
        )
    ).run()
    return 0


def _prepare_database(parser, path, first_event_id):
    """Create or upgrade the schema before serving, so a bad --db fails at once and plainly."""
    store = Store(path)
    try:
        store.migrate()
        store.start_event_ids_at(first_event_id)
    except (sqlite3.Error, StoreError, OSError) as exc:
        parser.exit(2, f"{parser.prog}: cannot use database {path}: {exc}\n")
    finally:
        store.close()


def _env(name, default=None):
    return os.environ.get(ENV_PREFIX + name, default)


def _port(text):
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError("must be between 1 and 65535")
    return port


def _positive(text):
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _event_id(text):
    number = _positive(text)
    if number > MAX_EVENT_ID:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_EVENT_ID} (64-bit ids)")
    return number
