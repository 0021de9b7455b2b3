"""Contractors build master invoices over overlapping periods, several at once for the same
contractor, while managers generate client invoices over overlapping periods of the same
tickets: all at the same instant, one RPC session per call, against a multi-worker Odoo. No ticket
ends up on two invoices of a kind, every ticket a build could take is taken exactly once, every
call either builds or is refused with a clear error, totals are the sum of their tickets and each
contractor's numbers run from 001 with no gap.

    python3 -m pytest tests/reliability/test_master_invoice_concurrency.py -s
"""

import threading
import time
from collections import Counter, defaultdict
from datetime import date

import pytest
from daemon.e2e.harness import ODOO_MISSING, SKIP_REASON

from .common import Outcomes, make_user

pytestmark = pytest.mark.skipif(ODOO_MISSING, reason=SKIP_REASON)

YEAR, MONTH, DAYS = 2026, 3, 31
# Each contractor's builds: (first day, last day, index of the client filter or None). They
# overlap each other; days 29-31 are outside all of them.
MASTER_BUILDS = [(1, 14, None), (8, 21, None), (10, 28, 0), (1, 28, None)]
# The managers' generations: (first day, last day, indexes of the clients or None for all).
CLIENT_GENERATIONS = [(1, 14, None), (8, 28, None), (1, 28, (0, 1)), (15, 28, (2,))]
CLIENTS = 3
MASTER_REFUSAL = "waiting for a master invoice from"
CLIENT_REFUSAL = "awaits a client invoice"
# What Odoo logs each time it replays a request after a serialization failure.
REPLAY = "tries left, try again in"


def day(number):
    return date(YEAR, MONTH, number).isoformat()


def covers(first, last, client_ids, ticket):
    return first <= ticket["work_date"] <= last and (
        client_ids is None or ticket["client_id"][0] in client_ids
    )


def test_simultaneous_master_and_client_invoices_never_take_a_ticket_twice(company, scale):
    tag = company.company_id
    client_ids = [
        company.admin("res.partner", "create", {"name": f"Client {letter} of {tag}"})
        for letter in "ABC"[:CLIENTS]
    ]
    contractor_count = -(-scale.master_invoices // len(MASTER_BUILDS))
    contractors = []  # (login pair, user id, initials)
    for number in range(contractor_count):
        first, last = "Ada Bea Cleo Dora Eve Fay".split()[number % 6], f"Worker{tag}x{number}"
        login, user_id = make_user(
            company, f"contractor-{tag}-{number}", "group_contractor", f"{first} {last}"
        )
        contractors.append((login, user_id, (first[0] + last[0]).upper()))
    managers = [make_user(company, f"manager-{tag}-{n}", "group_manager")[0] for n in (1, 2)]

    # One ticket per contractor and day; every seventh stays a draft (never to be taken).
    ticket_ids = company.admin(
        "tektoro.ticket",
        "create",
        [
            {
                "contractor_id": user_id,
                "client_id": client_ids[(number + work_day) % CLIENTS],
                "work_date": day(work_day),
                "description": f"Work of day {work_day}",
                "hours": 1 + work_day % 5,
                "amount": 10 + (work_day * 7 + number * 3) % 50 + 0.25,
                "company_id": company.company_id,
            }
            for number, (_login, user_id, _initials) in enumerate(contractors)
            for work_day in range(1, DAYS + 1)
        ],
    )
    approved = [ticket_id for n, ticket_id in enumerate(ticket_ids) if n % 7 != 3]
    company.admin("tektoro.ticket", "action_approve", approved)

    master_calls = []  # (rpc, contractor id, first, last, client id or None)
    for number in range(scale.master_invoices):
        login, user_id, _initials = contractors[number // len(MASTER_BUILDS)]
        first, last, client = MASTER_BUILDS[number % len(MASTER_BUILDS)]
        master_calls.append(
            (session(company, login), user_id, day(first), day(last),
             None if client is None else client_ids[client])
        )
    client_calls = []  # (rpc, first, last, client ids or None)
    for number, (first, last, clients) in enumerate(CLIENT_GENERATIONS):
        client_calls.append(
            (session(company, managers[number % len(managers)]), day(first), day(last),
             None if clients is None else [client_ids[c] for c in clients])
        )

    barrier = threading.Barrier(len(master_calls) + len(client_calls))
    masters, clients = Outcomes(retry_resets=5), Outcomes(retry_resets=5)

    def build(rpc, _contractor, first, last, client):
        values = {"date_from": first, "date_to": last}
        if client:
            values["client_id"] = client
        barrier.wait()
        masters.call(rpc, "tektoro.master.invoice", "create", values)

    def generate(rpc, first, last, client_filter):
        barrier.wait()
        clients.call(
            rpc, "tektoro.client.invoice", "generate_for_period", first, last, client_filter
        )

    threads = [threading.Thread(target=build, args=call) for call in master_calls]
    threads += [threading.Thread(target=generate, args=call) for call in client_calls]
    log = company.odoo.log_path
    replays_before = log.read_text().count(REPLAY)
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(
        f"{time.monotonic() - started:.1f} s for {len(master_calls)} master builds: "
        f"{len(masters.results)} built, "
        f"{len(masters.user_errors)} refused; {len(client_calls)} client generations: "
        f"{len(clients.results)} made {sum(len(r) for r in clients.results)} invoices, "
        f"{len(clients.user_errors)} refused; "
        f"{masters.resets + clients.resets} connection resets retried; "
        f"{log.read_text().count(REPLAY) - replays_before} serialization failures replayed"
    )

    # Every call built something or was refused with a clear message; nothing else.
    for outcomes, refusal in ((masters, MASTER_REFUSAL), (clients, CLIENT_REFUSAL)):
        assert not outcomes.http_errors, outcomes.http_errors[:3]
        assert not outcomes.internal_errors, outcomes.internal_errors[:3]
        unclear = [e.message for e in outcomes.user_errors if refusal not in e.message]
        assert not unclear, unclear[:3]
    assert len(masters.results) + len(masters.user_errors) == len(master_calls)
    assert len(clients.results) + len(clients.user_errors) == len(client_calls)
    assert masters.results, "no master invoice was built at all"

    tickets = company.admin(
        "tektoro.ticket",
        "search_read",
        [("id", "in", ticket_ids)],
        ["contractor_id", "client_id", "work_date", "amount", "state", "master_invoice_id",
         "client_invoice_id"],
    )
    assert len(tickets) == len(ticket_ids)
    by_id = {ticket["id"]: ticket for ticket in tickets}
    master_invoices = company.admin(
        "tektoro.master.invoice",
        "search_read",
        [("company_id", "=", company.company_id)],
        ["name", "contractor_id", "date_from", "date_to", "client_id", "ticket_ids",
         "ticket_count", "client_count", "amount_total", "state"],
    )
    client_invoices = company.admin(
        "tektoro.client.invoice",
        "search_read",
        [("company_id", "=", company.company_id)],
        ["name", "client_id", "date_from", "date_to", "ticket_ids", "ticket_count",
         "amount_total", "state"],
    )

    # The invoices are exactly those the successful calls returned: none left by a refused or
    # replayed attempt.
    assert sorted(i["id"] for i in master_invoices) == sorted(masters.results)
    assert sorted(i["id"] for i in client_invoices) == sorted(
        invoice_id for result in clients.results for invoice_id in result
    )
    assert {i["state"] for i in master_invoices} == {"draft"}
    assert {i["state"] for i in client_invoices} <= {"draft"}

    # No ticket twice: the invoices' ticket lists are disjoint and agree with the tickets' links.
    for invoices, link in ((master_invoices, "master_invoice_id"),
                           (client_invoices, "client_invoice_id")):
        listed = Counter(t for invoice in invoices for t in invoice["ticket_ids"])
        twice = [t for t, n in listed.items() if n > 1]
        assert not twice, f"tickets on two {link} invoices: {twice}"
        linked = {t["id"]: t[link][0] for t in tickets if t[link]}
        assert {t: i["id"] for i in invoices for t in i["ticket_ids"]} == linked
        assert all(invoice["ticket_ids"] for invoice in invoices), "an invoice with no ticket"

    # Every ticket some build could take was taken exactly once, by an invoice whose period
    # (and client filter) covers it; no other ticket was taken.
    master_by_id = {invoice["id"]: invoice for invoice in master_invoices}
    client_by_id = {invoice["id"]: invoice for invoice in client_invoices}
    for ticket in tickets:
        contractor_id = ticket["contractor_id"][0]
        master_claimable = ticket["state"] == "approved" and any(
            covers(first, last, None if client is None else [client], ticket)
            for _rpc, who, first, last, client in master_calls
            if who == contractor_id
        )
        assert bool(ticket["master_invoice_id"]) == master_claimable, ticket
        if master_claimable:
            invoice = master_by_id[ticket["master_invoice_id"][0]]
            assert invoice["contractor_id"][0] == contractor_id, (ticket, invoice)
            client_filter = [invoice["client_id"][0]] if invoice["client_id"] else None
            assert covers(invoice["date_from"], invoice["date_to"], client_filter, ticket)
        client_claimable = ticket["state"] == "approved" and any(
            covers(first, last, client_filter, ticket)
            for _rpc, first, last, client_filter in client_calls
        )
        assert bool(ticket["client_invoice_id"]) == client_claimable, ticket
        if client_claimable:
            invoice = client_by_id[ticket["client_invoice_id"][0]]
            assert invoice["client_id"][0] == ticket["client_id"][0], (ticket, invoice)
            assert covers(invoice["date_from"], invoice["date_to"], None, ticket)

    # Totals are the sums of their tickets.
    for invoice in master_invoices + client_invoices:
        mine = [by_id[t] for t in invoice["ticket_ids"]]
        assert invoice["ticket_count"] == len(mine), invoice
        assert abs(invoice["amount_total"] - sum(t["amount"] for t in mine)) < 0.005, invoice
        if "client_count" in invoice:
            assert invoice["client_count"] == len({t["client_id"][0] for t in mine}), invoice

    # Each contractor's numbers: INITIALS-MINV-001 upwards, unique, no gap.
    numbers = defaultdict(list)
    for invoice in master_invoices:
        numbers[invoice["contractor_id"][0]].append(invoice["name"])
    for _login, user_id, initials in contractors:
        names = sorted(numbers[user_id])
        assert names == [f"{initials}-MINV-{n:03d}" for n in range(1, len(names) + 1)], names
    client_names = [invoice["name"] for invoice in client_invoices]
    assert len(set(client_names)) == len(client_names), client_names


def session(company, login):
    rpc = company.odoo.rpc(login)
    rpc.company_ids = [company.company_id]
    return rpc
