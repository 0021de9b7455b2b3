"""Drift: where Odoo and the billing system disagree about an invoice, sorted by kind.

Pure functions over two lists, so the rules are tested without either system. An invoice is
matched to its billing twin by billing id first, then by reference (our invoice number), the
same order the addon uses when it resolves a push whose outcome was unknown.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

PAID_OUTSIDE = "paid_outside"
CANCELLED_OUTSIDE = "cancelled_outside"
MISSING_HERE = "missing_here"
MISSING_THERE = "missing_there"
AMOUNT_DIFFERS = "amount_differs"
STATUS_DIFFERS = "status_differs"

KIND_LABELS = {
    PAID_OUTSIDE: "paid in billing, open in Odoo",
    CANCELLED_OUTSIDE: "cancelled in billing, active in Odoo",
    MISSING_HERE: "in billing, missing in Odoo",
    MISSING_THERE: "in Odoo, missing in billing",
    AMOUNT_DIFFERS: "amount differs",
    STATUS_DIFFERS: "status differs",
}
DRIFT_KINDS = tuple(KIND_LABELS)

# Local invoices expected to exist outside. `failed` and `unknown` are the push retry's business
# (it resolves them by reference), `local` ones were never meant to leave Odoo.
_EXPECTED_OUTSIDE = ("synced",)
# Amounts are compared to the finest minor unit of any ISO 4217 currency (CLF's ten-thousandth):
# fine enough for a fils (BHD, 0.001), coarse enough to ignore a float's binary noise.
_MONEY_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True)
class Drift:
    kind: str
    reference: str
    invoice_id: int | None
    billing_id: str | None
    detail: str

    def as_dict(self):
        return asdict(self)


def classify(local_invoices, remote_invoices, neighbour_invoices=(), answers_for_unheld=None):
    """Every disagreement between the two lists, ordered by kind then reference.

    ``local_invoices``: dicts with ``id``, ``name``, ``state``, ``billing_state``, ``billing_id``,
    ``amount_total`` (a decimal string). ``remote_invoices``: Billing API invoice objects.
    ``neighbour_invoices``: the local invoices of the other companies on the same billing
    account; a billing invoice that one of them holds, and this company does not, is theirs,
    not missing here. ``answers_for_unheld(remote)``: whether this company, rather than one of
    those others, reports a billing invoice that no company holds (by default it does).
    """
    by_billing_id = {inv["billing_id"]: inv for inv in local_invoices if inv.get("billing_id")}
    by_reference = {inv["name"]: inv for inv in local_invoices}
    neighbour_ids = {inv["billing_id"] for inv in neighbour_invoices if inv.get("billing_id")}
    neighbour_references = {inv["name"] for inv in neighbour_invoices}
    matched = set()
    drift = []
    for remote in remote_invoices:
        local = by_billing_id.get(remote["id"]) or by_reference.get(remote["reference"])
        if local is None:
            if remote["id"] in neighbour_ids or remote["reference"] in neighbour_references:
                continue
            if answers_for_unheld is not None and not answers_for_unheld(remote):
                continue
            drift.append(
                Drift(
                    MISSING_HERE,
                    remote["reference"],
                    None,
                    remote["id"],
                    f"{remote['status']} in billing, no invoice {remote['reference']} in Odoo",
                )
            )
            continue
        matched.add(local["id"])
        drift.extend(_compare(local, remote))
    for local in local_invoices:
        if local["id"] not in matched and local["billing_state"] in _EXPECTED_OUTSIDE:
            drift.append(
                Drift(
                    MISSING_THERE,
                    local["name"],
                    local["id"],
                    local.get("billing_id") or None,
                    f"{local['state']} in Odoo, not found in billing",
                )
            )
    return sorted(drift, key=lambda d: (DRIFT_KINDS.index(d.kind), d.reference))


def _compare(local, remote):
    def found(kind, detail):
        return Drift(kind, local["name"], local["id"], remote["id"], detail)

    status, state = remote["status"], local["state"]
    if status == "paid" and state == "sent":
        yield found(PAID_OUTSIDE, f"paid in billing at {remote.get('paid_at')}, sent in Odoo")
    elif status == "cancelled" and state in ("sent", "paid"):
        yield found(CANCELLED_OUTSIDE, f"cancelled in billing, {state} in Odoo")
    elif (status, state) not in (("open", "sent"), ("paid", "paid"), ("cancelled", "cancelled")):
        yield found(STATUS_DIFFERS, f"{status} in billing, {state} in Odoo")
    local_total, remote_total = local["amount_total"], remote["total"]
    if _money(local_total) != _money(remote_total):
        yield found(AMOUNT_DIFFERS, f"{local_total} in Odoo, {remote_total} in billing")


def _money(value):
    try:
        return Decimal(str(value)).quantize(_MONEY_QUANTUM)
    except InvalidOperation:
        return None


def counts_by_kind(drift):
    counts = dict.fromkeys(DRIFT_KINDS, 0)
    for item in drift:
        counts[item.kind] += 1
    return counts
