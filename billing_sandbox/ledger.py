"""The invoice lifecycle: open, then paid or cancelled, never both, never back.

Each function runs inside the caller's write transaction and returns the invoice as the client
should see it. A change clients must learn about (created, paid, cancelled) appends an event in
the same transaction, so the event feed can never disagree with the invoices.
"""

import secrets

from billing_sandbox.errors import conflict, not_found
from billing_sandbox.validation import check_places, currency_places, now_timestamp

OPEN, PAID, CANCELLED = "open", "paid", "cancelled"


def create_invoice(tx, draft):
    owner = tx.invoice_id_for_reference(draft.reference)
    if owner is not None:
        raise conflict(
            "duplicate_reference",
            f"Reference {draft.reference!r} is already used by invoice {owner}.",
            invoice_id=owner,
        )
    invoice_id = "inv_" + secrets.token_hex(12)
    now = now_timestamp()
    tx.insert_invoice(invoice_id, draft, now)
    created = tx.record_event("invoice.created", invoice_id, now)
    if draft.total > 0:
        return created
    # Nothing is owed: the amount paid (none) already reaches the total, so the invoice is
    # settled as it is made. No payment could ever do it: paying anything would overpay.
    tx.mark_paid(invoice_id, now)
    return tx.record_event("invoice.paid", invoice_id, now)


def pay_invoice(tx, invoice_id, payment):
    """Partial payments add up; the one that reaches the total settles the invoice."""
    invoice = _existing(tx, invoice_id)
    _refuse_if_closed(invoice, "paid")
    places = _money_places(invoice["currency"])
    check_places("amount", payment.amount, places, f" in {invoice['currency']}")
    amount_paid = invoice["amount_paid"] + payment.amount
    if amount_paid > invoice["total"]:
        due = invoice["total"] - invoice["amount_paid"]
        raise conflict(
            "overpayment",
            f"Payment of {payment.amount} exceeds the {due} still due on {invoice_id}.",
        )
    now = now_timestamp()
    settled = amount_paid >= invoice["total"]
    tx.apply_payment(
        invoice_id, places, payment.amount, amount_paid, payment.paid_at or now, settled, now
    )
    if settled:
        return tx.record_event("invoice.paid", invoice_id, now)
    return tx.invoice(invoice_id)


def cancel_invoice(tx, invoice_id):
    """Cancelling twice is not an error: a client retrying a lost response must not fail."""
    invoice = _existing(tx, invoice_id)
    if invoice["status"] == CANCELLED:
        return invoice
    _refuse_if_closed(invoice, "cancelled")
    now = now_timestamp()
    tx.mark_cancelled(invoice_id, now)
    return tx.record_event("invoice.cancelled", invoice_id, now)


def _existing(tx, invoice_id):
    invoice = tx.invoice(invoice_id)
    if invoice is None:
        raise not_found("invoice")
    return invoice


def _refuse_if_closed(invoice, action):
    status = invoice["status"]
    if status in (PAID, CANCELLED):
        raise conflict(
            f"invoice_{status}", f"Invoice {invoice['id']} is {status} and cannot be {action}."
        )


def _money_places(currency):
    """The invoice currency's decimal places; 2 for an invoice stored before codes were checked
    against ISO 4217 (any three capitals were taken then)."""
    places = currency_places(currency)
    return 2 if places is None else places
