from decimal import Decimal

from sync_daemon.drift import (
    AMOUNT_DIFFERS,
    CANCELLED_OUTSIDE,
    MISSING_HERE,
    MISSING_THERE,
    PAID_OUTSIDE,
    STATUS_DIFFERS,
    classify,
    counts_by_kind,
)
from sync_daemon.jobs import _ReconcileRun


def local(id_, name, state="sent", billing_state="synced", billing_id=None, total="100.00"):
    return {
        "id": id_,
        "name": name,
        "state": state,
        "billing_state": billing_state,
        "billing_id": billing_id or f"inv_{id_}",
        "amount_total": total,
    }


def remote(id_, reference, status="open", total="100.00"):
    return {
        "id": f"inv_{id_}",
        "reference": reference,
        "status": status,
        "total": Decimal(total),
        "paid_at": "2025-01-01T00:00:00Z" if status == "paid" else None,
    }


def kinds(drift):
    return [(item.kind, item.reference) for item in drift]


def test_agreeing_sides_have_no_drift():
    assert classify(
        [local(1, "TFT-00001"), local(2, "TFT-00002", state="paid"),
         local(3, "TFT-00003", state="cancelled")],
        [remote(1, "TFT-00001"), remote(2, "TFT-00002", "paid"),
         remote(3, "TFT-00003", "cancelled")],
    ) == []


def test_each_kind_of_drift_is_named():
    drift = classify(
        [
            local(1, "TFT-00001"),
            local(2, "TFT-00002", state="paid"),
            local(3, "TFT-00003"),
            local(4, "TFT-00004", total="99.99"),
            local(5, "TFT-00005", state="cancelled"),
        ],
        [
            remote(1, "TFT-00001", "paid"),
            remote(2, "TFT-00002", "cancelled"),
            remote(4, "TFT-00004"),
            remote(5, "TFT-00005", "open"),
            remote(9, "TFT-00009"),
        ],
    )
    assert kinds(drift) == [
        (PAID_OUTSIDE, "TFT-00001"),
        (CANCELLED_OUTSIDE, "TFT-00002"),
        (MISSING_HERE, "TFT-00009"),
        (MISSING_THERE, "TFT-00003"),
        (AMOUNT_DIFFERS, "TFT-00004"),
        (STATUS_DIFFERS, "TFT-00005"),
    ]
    amount = next(item for item in drift if item.kind == AMOUNT_DIFFERS)
    assert amount.detail == "99.99 in Odoo, 100.00 in billing"
    assert counts_by_kind(drift)[PAID_OUTSIDE] == 1


def test_cancelled_outside_while_sent_here_is_one_drift_not_two():
    drift = classify([local(1, "TFT-00001")], [remote(1, "TFT-00001", "cancelled")])
    assert kinds(drift) == [(CANCELLED_OUTSIDE, "TFT-00001")]


def test_an_unknown_push_is_matched_by_reference():
    """An invoice whose push outcome was never learnt has no billing id yet."""
    unknown = local(1, "TFT-00001", billing_state="unknown")
    unknown["billing_id"] = False
    assert classify([unknown], [remote(77, "TFT-00001")]) == []


def test_invoices_not_meant_to_be_outside_are_not_missing_there():
    never_pushed = local(1, "TFT-00001", billing_state="local", billing_id=False)
    failed = local(2, "TFT-00002", billing_state="failed")
    failed["billing_id"] = False
    assert classify([never_pushed, failed], []) == []


def test_amounts_compare_as_money_not_as_text_or_floats():
    drift = classify(
        [local(1, "TFT-00001", total="0.3"), local(2, "TFT-00002", total=0.1 + 0.2)],
        [remote(1, "TFT-00001", total="0.30"), remote(2, "TFT-00002", total="0.30")],
    )
    assert drift == []


def test_amounts_compare_to_the_currencys_smallest_unit_not_the_cent():
    """A Bahraini dinar has 1,000 fils: 12.345 and 12.346 BHD are different amounts."""
    drift = classify(
        [local(1, "TFT-00001", total="12.345"), local(2, "TFT-00002", total="12.350")],
        [remote(1, "TFT-00001", total="12.346"), remote(2, "TFT-00002", total="12.35")],
    )
    assert kinds(drift) == [(AMOUNT_DIFFERS, "TFT-00001")]
    assert drift[0].detail == "12.345 in Odoo, 12.346 in billing"


def test_invoices_of_companies_on_the_same_billing_account_are_theirs_not_missing_here():
    ours = [local(1, "TFT-00001")]
    neighbours = [local(2, "NBR-00001"), local(3, "NBR-00002", billing_state="unknown")]
    billing = [
        remote(1, "TFT-00001"),
        remote(2, "NBR-00001"),  # theirs, by billing id
        remote(99, "NBR-00002"),  # theirs, by reference (their push's outcome is unknown)
        remote(4, "EXT-0001"),  # nobody's
    ]

    assert kinds(classify(ours, billing, neighbours)) == [(MISSING_HERE, "EXT-0001")]
    # Without the neighbours' invoices, theirs look missing here.
    assert kinds(classify(ours, billing)) == [
        (MISSING_HERE, "EXT-0001"),
        (MISSING_HERE, "NBR-00001"),
        (MISSING_HERE, "NBR-00002"),
    ]


def test_an_invoice_matching_ours_is_compared_even_if_a_neighbour_names_it_too():
    ours = [local(1, "TFT-00001", total="100.00")]
    neighbours = [local(7, "TFT-00001", billing_id="inv_1")]

    drift = classify(ours, [remote(1, "TFT-00001", total="90.00")], neighbours)

    assert kinds(drift) == [(AMOUNT_DIFFERS, "TFT-00001")]


def test_an_invoice_nobody_holds_is_reported_only_where_it_is_answered_for():
    billing = [remote(4, "EXT-0001"), remote(5, "TFT-00077")]

    def answers_for_unheld(invoice):
        return invoice["reference"].startswith("TFT-")

    assert kinds(classify([], billing, (), answers_for_unheld)) == [(MISSING_HERE, "TFT-00077")]


def _sharing_run(*companies):
    """A reconcile run over companies given as (id, prefix, account); it reads nothing here."""
    return _ReconcileRun(
        None,
        [
            {"company_id": id_, "invoice_prefix": prefix, "billing_account": account}
            for id_, prefix, account in companies
        ],
    )


def test_each_invoice_nobody_holds_on_a_shared_account_is_answered_for_by_one_company():
    run = _sharing_run((1, "TFT", "account a"), (2, "NBR", "account a"), (3, "OTH", "account b"))
    configs = {config["company_id"]: config for config in run._configs}
    answers = {company: run.answers_for_unheld(config) for company, config in configs.items()}
    owners = {
        reference: [company for company in (1, 2) if answers[company]({"reference": reference})]
        for reference in ("TFT-00009", "NBR-00009", "EXT-0001", "OTH-00001", "no-prefix", "")
    }

    assert owners == {
        "TFT-00009": [1],  # by prefix
        "NBR-00009": [2],  # by prefix
        "EXT-0001": [1],  # no company of the account has that prefix: the first company
        "OTH-00001": [1],  # company 3 has it, but bills another account
        "no-prefix": [1],
        "": [1],
    }
    # Alone on its account, a company answers for everything there.
    assert answers[3]({"reference": "TFT-00009"}) is True
