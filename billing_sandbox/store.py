"""Durable storage: one SQLite file in WAL mode, one transaction per request.

Everything a request changes (the invoice, its lines, its payment, its event and the idempotency
record of the response) is written in a single ``BEGIN IMMEDIATE`` transaction, so a process
killed at any instant leaves either all of it or none of it. ``synchronous=FULL`` makes a
committed transaction survive a power cut too: a 201 the client saw is never lost.

Writers are serialised, first by a lock in this process (cheaper than SQLite's busy-wait), then
by ``BEGIN IMMEDIATE`` against any other process on the same file. Serial writers are also what
makes the event cursor complete: event ids are handed out in commit order, so a reader can never
see event N+1 before event N is visible.
"""

import contextlib
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from decimal import Decimal

from billing_sandbox import jsonio
from billing_sandbox.errors import conflict, validation_error
from billing_sandbox.validation import currency_places, smallest_amount

_logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# Event ids are SQLite integer keys: signed 64-bit.
MAX_EVENT_ID = 2**63 - 1
# Keys are kept at least this long; a key older than this is forgotten and may be reused.
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
_PURGE_INTERVAL_SECONDS = 3600

_SCHEMA = """
CREATE TABLE IF NOT EXISTS invoices (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('open', 'paid', 'cancelled')),
    currency TEXT NOT NULL,
    customer_name TEXT NOT NULL,
    customer_email TEXT,
    issued_on TEXT NOT NULL,
    subtotal TEXT NOT NULL,
    tax_rate TEXT NOT NULL,
    tax TEXT NOT NULL,
    total TEXT NOT NULL,
    amount_paid TEXT NOT NULL,
    paid_at TEXT,
    cancelled_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS invoice_lines (
    invoice_seq INTEGER NOT NULL REFERENCES invoices (seq),
    position INTEGER NOT NULL,
    description TEXT NOT NULL,
    quantity TEXT NOT NULL,
    unit_price TEXT NOT NULL,
    PRIMARY KEY (invoice_seq, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_seq INTEGER NOT NULL REFERENCES invoices (seq),
    amount TEXT NOT NULL,
    paid_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_invoice_seq ON payments (invoice_seq);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    invoice_seq INTEGER NOT NULL REFERENCES invoices (seq),
    created_at TEXT NOT NULL,
    invoice TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_invoice_seq ON events (invoice_seq);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at);
"""


class StoreError(Exception):
    """The database file cannot be used (wrong journal mode, newer schema)."""


@dataclass(frozen=True)
class Idempotency:
    key: str
    fingerprint: str


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str
    replayed: bool


class Store:
    def __init__(self, path):
        self.path = str(path)
        self._local = threading.local()
        self._connections = []
        self._connections_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._next_purge = 0.0

    # ------------------------------------------------------------------ lifecycle

    def migrate(self):
        connection = self._connection()
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}; this sandbox knows {SCHEMA_VERSION}"
            )
        with self._write() as tx:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    tx.connection.execute(statement)
            tx.connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")

    def start_event_ids_at(self, first_event_id):
        """Make the next event id at least ``first_event_id``; ids only ever grow.

        A real billing system's ids need not be small: this lets a client be tried against
        ids beyond 32 bits. It never lowers the sequence, so a cursor stays complete.
        """
        with self._write() as tx:
            tx.connection.execute(
                "INSERT INTO sqlite_sequence (name, seq) SELECT 'events', 0"
                " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'events')"
            )
            tx.connection.execute(
                "UPDATE sqlite_sequence SET seq = max(seq, ?, (SELECT ifnull(max(id), 0)"
                " FROM events)) WHERE name = 'events'",
                (first_event_id - 1,),
            )

    def close(self):
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()

    # ------------------------------------------------------------------ writes

    def execute(self, action, idempotency=None):
        """Run ``action(tx) -> (status, document)`` in one write transaction.

        With an idempotency key, a successful response is stored with the data it describes, and
        the same key with the same request fingerprint answers that stored response again, byte
        for byte, without running the action. Failures are not stored: they changed nothing, so
        a retry may as well run again.
        """
        self._purge_expired_keys_if_due()
        with self._write() as tx:
            if idempotency is not None:
                stored = tx.stored_response(idempotency)
                if stored is not None:
                    return stored
            status, document = action(tx)
            body = jsonio.dumps(document)
            if idempotency is not None:
                tx.store_response(idempotency, status, body)
            return StoredResponse(status, body, replayed=False)

    def _purge_expired_keys_if_due(self):
        now = time.time()
        if now < self._next_purge:
            return
        self._next_purge = now + _PURGE_INTERVAL_SECONDS
        with self._write() as tx:
            purged = tx.connection.execute(
                "DELETE FROM idempotency_keys WHERE created_at < ?",
                (now - IDEMPOTENCY_TTL_SECONDS,),
            ).rowcount
        if purged:
            _logger.info("Purged %s idempotency keys older than 24 hours", purged)

    # ------------------------------------------------------------------ reads

    def invoice(self, invoice_id):
        with self._read() as tx:
            return tx.invoice(invoice_id)

    def invoices(self, limit, starting_after=None, reference=None):
        with self._read() as tx:
            after_seq = 0
            if starting_after is not None:
                after_seq = tx.invoice_seq(starting_after)
                if after_seq is None:
                    raise validation_error("starting_after", "is not the id of an invoice")
            rows = tx.connection.execute(
                "SELECT * FROM invoices WHERE seq > ? AND (? IS NULL OR reference = ?)"
                " ORDER BY seq LIMIT ?",
                (after_seq, reference, reference, limit + 1),
            ).fetchall()
            return tx.documents(rows[:limit]), len(rows) > limit

    def events(self, after, limit):
        with self._read() as tx:
            rows = tx.connection.execute(
                "SELECT id, type, created_at, invoice FROM events WHERE id > ? ORDER BY id LIMIT ?",
                (after, limit + 1),
            ).fetchall()
        events = [
            {
                "id": row["id"],
                "type": row["type"],
                "created_at": row["created_at"],
                "invoice": jsonio.RawJSON(row["invoice"]),
            }
            for row in rows[:limit]
        ]
        return events, len(rows) > limit

    # ------------------------------------------------------------------ connections

    def _connection(self):
        """One connection per thread: SQLite connections must not be shared mid-transaction."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = _connect(self.path)
            self._local.connection = connection
            with self._connections_lock:
                self._connections.append(connection)
        return connection

    @contextlib.contextmanager
    def _write(self):
        connection = self._connection()
        with self._write_lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(connection)
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def _read(self):
        """A read transaction, so an invoice and its lines come from the same snapshot."""
        connection = self._connection()
        connection.execute("BEGIN")
        try:
            yield Transaction(connection)
        finally:
            connection.execute("ROLLBACK")


def _connect(path):
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    connection.row_factory = sqlite3.Row
    journal_mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if journal_mode.lower() != "wal":
        connection.close()
        raise StoreError(f"{path} cannot use WAL journaling (got {journal_mode})")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def money_text(amount, places):
    """An amount as stored: with its currency's decimal places (12.30 USD, 1000 JPY, 1.235 BHD).

    Validation has already refused more places than that, so this never rounds.
    """
    return format(amount.quantize(smallest_amount(places)), "f")


class Transaction:
    """The SQL vocabulary of one open transaction; the rules that use it live in ledger.py."""

    def __init__(self, connection):
        self.connection = connection

    # ------------------------------------------------------------------ idempotency

    def stored_response(self, idempotency):
        row = self.connection.execute(
            "SELECT fingerprint, status, body FROM idempotency_keys"
            " WHERE key = ? AND created_at >= ?",
            (idempotency.key, time.time() - IDEMPOTENCY_TTL_SECONDS),
        ).fetchone()
        if row is None:
            return None
        if row["fingerprint"] != idempotency.fingerprint:
            raise conflict(
                "idempotency_conflict",
                "This Idempotency-Key was already used with a different request.",
            )
        return StoredResponse(row["status"], row["body"], replayed=True)

    def store_response(self, idempotency, status, body):
        # REPLACE: an expired key that was not purged yet is simply taken over.
        self.connection.execute(
            "INSERT OR REPLACE INTO idempotency_keys (key, fingerprint, status, body, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (idempotency.key, idempotency.fingerprint, status, body, time.time()),
        )

    # ------------------------------------------------------------------ invoices

    def invoice_seq(self, invoice_id):
        row = self.connection.execute(
            "SELECT seq FROM invoices WHERE id = ?", (invoice_id,)
        ).fetchone()
        return None if row is None else row["seq"]

    def invoice_id_for_reference(self, reference):
        row = self.connection.execute(
            "SELECT id FROM invoices WHERE reference = ?", (reference,)
        ).fetchone()
        return None if row is None else row["id"]

    def invoice(self, invoice_id):
        row = self.connection.execute(
            "SELECT * FROM invoices WHERE id = ?", (invoice_id,)
        ).fetchone()
        return None if row is None else self.documents([row])[0]

    def documents(self, rows):
        """Invoice documents for these rows, with their lines fetched in one query."""
        lines = {}
        for line in self.connection.execute(
            "SELECT * FROM invoice_lines WHERE invoice_seq IN (SELECT value FROM json_each(?))"
            " ORDER BY invoice_seq, position",
            (jsonio.dumps([row["seq"] for row in rows]),),
        ):
            lines.setdefault(line["invoice_seq"], []).append(
                {
                    "description": line["description"],
                    "quantity": Decimal(line["quantity"]),
                    "unit_price": Decimal(line["unit_price"]),
                }
            )
        return [_invoice_document(row, lines.get(row["seq"], [])) for row in rows]

    def insert_invoice(self, invoice_id, draft, now):
        places = currency_places(draft.currency)
        seq = self.connection.execute(
            "INSERT INTO invoices (id, reference, status, currency, customer_name,"
            " customer_email, issued_on, subtotal, tax_rate, tax, total, amount_paid,"
            " created_at, updated_at) VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                invoice_id,
                draft.reference,
                draft.currency,
                draft.customer_name,
                draft.customer_email,
                draft.issued_on,
                money_text(draft.subtotal, places),
                format(draft.tax_rate, "f"),
                money_text(draft.tax, places),
                money_text(draft.total, places),
                money_text(Decimal(0), places),
                now,
                now,
            ),
        ).lastrowid
        self.connection.executemany(
            "INSERT INTO invoice_lines (invoice_seq, position, description, quantity, unit_price)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (
                    seq,
                    position,
                    line.description,
                    format(line.quantity, "f"),
                    format(line.unit_price, "f"),
                )
                for position, line in enumerate(draft.lines)
            ],
        )

    def apply_payment(self, invoice_id, places, amount, amount_paid, paid_at, settled, now):
        """Record a payment; a settling payment also marks the invoice paid as of ``paid_at``.

        ``places`` are the decimal places of the invoice's currency."""
        seq = self.invoice_seq(invoice_id)
        self.connection.execute(
            "INSERT INTO payments (invoice_seq, amount, paid_at, created_at) VALUES (?, ?, ?, ?)",
            (seq, money_text(amount, places), paid_at, now),
        )
        self.connection.execute(
            "UPDATE invoices SET amount_paid = ?, updated_at = ?,"
            " status = CASE WHEN ? THEN 'paid' ELSE status END,"
            " paid_at = CASE WHEN ? THEN ? ELSE paid_at END"
            " WHERE seq = ?",
            (money_text(amount_paid, places), now, settled, settled, paid_at, seq),
        )

    def mark_paid(self, invoice_id, now):
        """Settle an invoice that owes nothing, without a payment."""
        self.connection.execute(
            "UPDATE invoices SET status = 'paid', paid_at = ?, updated_at = ? WHERE id = ?",
            (now, now, invoice_id),
        )

    def mark_cancelled(self, invoice_id, now):
        self.connection.execute(
            "UPDATE invoices SET status = 'cancelled', cancelled_at = ?, updated_at = ?"
            " WHERE id = ?",
            (now, now, invoice_id),
        )

    def record_event(self, event_type, invoice_id, now):
        """Append an event carrying the invoice as it is now; returns that invoice."""
        invoice = self.invoice(invoice_id)
        self.connection.execute(
            "INSERT INTO events (type, invoice_seq, created_at, invoice) VALUES (?, ?, ?, ?)",
            (event_type, self.invoice_seq(invoice_id), now, jsonio.dumps(invoice)),
        )
        return invoice


def _invoice_document(row, lines):
    return {
        "id": row["id"],
        "reference": row["reference"],
        "status": row["status"],
        "currency": row["currency"],
        "customer": {"name": row["customer_name"], "email": row["customer_email"]},
        "issued_on": row["issued_on"],
        "lines": lines,
        "subtotal": Decimal(row["subtotal"]),
        "tax_rate": Decimal(row["tax_rate"]),
        "tax": Decimal(row["tax"]),
        "total": Decimal(row["total"]),
        "amount_paid": Decimal(row["amount_paid"]),
        "paid_at": row["paid_at"],
        "cancelled_at": row["cancelled_at"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
