"""Data outlives the process: a clean stop, a SIGKILL, and a SIGKILL in the middle of writes."""

import random
import sqlite3
import threading
import time
from decimal import Decimal

import pytest
import requests

from .factories import (
    all_pages,
    create_invoice,
    created_invoice,
    events_after,
    invoice_body,
    unique_key,
)


def snapshot(client, sandbox):
    """Everything a client can read: all invoices and all events."""
    invoices = all_pages(
        client, sandbox.url + "/v1/invoices", "starting_after", lambda i: i["id"], 1000
    )
    return invoices, events_after(client, sandbox)


@pytest.mark.parametrize("stop", ["restart", "kill"])
def test_data_survives_the_process(fresh_sandbox, stop):
    with fresh_sandbox.client() as client:
        paid = created_invoice(client, fresh_sandbox)
        client.post(
            f"{fresh_sandbox.url}/v1/invoices/{paid['id']}/payments",
            json={"amount": float(paid["total"])},
        )
        cancelled = created_invoice(client, fresh_sandbox)
        client.post(f"{fresh_sandbox.url}/v1/invoices/{cancelled['id']}/cancel")
        key, body = unique_key(), invoice_body()
        replayable = create_invoice(client, fresh_sandbox, body, key)
        before = snapshot(client, fresh_sandbox)

        if stop == "restart":
            assert fresh_sandbox.stop() == 0
        else:
            fresh_sandbox.kill()
        fresh_sandbox.start()

        assert snapshot(client, fresh_sandbox) == before
        assert [invoice["status"] for invoice in before[0]] == ["paid", "cancelled", "open"]
        again = create_invoice(client, fresh_sandbox, body, key)
        assert again.text == replayable.text


def test_faults_do_not_survive_a_restart(fresh_sandbox):
    with fresh_sandbox.client() as client:
        faults_url = fresh_sandbox.url + "/_sandbox/faults"
        client.post(faults_url, json={"faults": [{"match": "GET /v1/", "mode": "error_before"}]})

        fresh_sandbox.restart()

        assert client.get(faults_url).json() == {"data": []}
        assert client.get(fresh_sandbox.url + "/v1/events").status_code == 200


class WriteBurst:
    """Writer threads creating large invoices and paying some, until the server goes away.

    It remembers every body it ever sent (acknowledged or not) and which writes were
    acknowledged, over all its bursts, so what survives each crash can be checked against what
    the clients were told.
    """

    def __init__(self, sandbox, writers=6):
        self._sandbox = sandbox
        self._writers = writers
        self.sent = {}
        self.created = {}
        self.paid = set()
        self._lock = threading.Lock()
        self._threads = []

    def start(self):
        first_seed = len(self.sent)
        self._threads = [
            threading.Thread(target=self._write, args=(first_seed + n,), daemon=True)
            for n in range(self._writers)
        ]
        for thread in self._threads:
            thread.start()

    def wait_for_more(self, created, timeout=20):
        deadline = time.monotonic() + timeout
        target = len(self.created) + created
        while len(self.created) < target:
            assert time.monotonic() < deadline, "the burst made too little progress"
            time.sleep(0.01)

    def join(self):
        for thread in self._threads:
            thread.join(timeout=20)

    def _write(self, seed):
        generator = random.Random(seed)
        with self._sandbox.client(timeout=5) as client:
            while True:
                lines = [
                    (f"Part {n}", generator.randint(1, 3), generator.randint(100, 9999) / 100)
                    for n in range(generator.randint(1, 60))
                ]
                body = invoice_body(lines=lines)
                with self._lock:
                    self.sent[body["reference"]] = body
                try:
                    response = create_invoice(client, self._sandbox, body)
                    if response.status_code != 201:
                        return
                    invoice = response.json()
                    with self._lock:
                        self.created[body["reference"]] = invoice["id"]
                    if generator.random() < 0.5:
                        self._pay(client, invoice)
                except requests.RequestException:
                    return

    def _pay(self, client, invoice):
        response = client.post(
            f"{self._sandbox.url}/v1/invoices/{invoice['id']}/payments",
            json={"amount": invoice["total"]},
        )
        if response.status_code == 201:
            with self._lock:
                self.paid.add(invoice["id"])


def assert_consistent(client, sandbox, burst):
    invoices, events = snapshot(client, sandbox)
    by_reference = {invoice["reference"]: invoice for invoice in invoices}

    for reference, invoice_id in burst.created.items():
        assert by_reference[reference]["id"] == invoice_id, "an acknowledged invoice was lost"
    for invoice in invoices:
        sent = burst.sent[invoice["reference"]]
        assert [
            (line["description"], line["quantity"], line["unit_price"]) for line in invoice["lines"]
        ] == [
            (line["description"], Decimal(str(line["quantity"])), Decimal(str(line["unit_price"])))
            for line in sent["lines"]
        ], f"torn lines on {invoice['id']}"
        assert invoice["total"] == Decimal(str(sent["total"]))
        assert invoice["total"] == invoice["subtotal"] + invoice["tax"]
        if invoice["id"] in burst.paid:
            assert invoice["status"] == "paid"
        if invoice["status"] == "paid":
            assert invoice["amount_paid"] == invoice["total"]

    event_types = {}
    for event in events:
        event_types.setdefault(event["invoice"]["id"], []).append(event["type"])
    ids = [event["id"] for event in events]
    assert ids == sorted(set(ids))
    assert set(event_types) == {invoice["id"] for invoice in invoices}
    for invoice in invoices:
        expected = ["invoice.created"] + (["invoice.paid"] if invoice["status"] == "paid" else [])
        assert event_types[invoice["id"]] == expected, f"events of {invoice['id']}"

    with sqlite3.connect(sandbox.db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    return invoices


def test_sigkill_during_a_burst_of_writes_leaves_no_torn_invoice(fresh_sandbox):
    """Crash cycles: each kills master and worker while six clients are writing."""
    burst = WriteBurst(fresh_sandbox)
    with fresh_sandbox.client() as client:
        for _cycle in range(5):
            burst.start()
            burst.wait_for_more(created=30)
            fresh_sandbox.kill()
            burst.join()
            fresh_sandbox.start()

            invoices = assert_consistent(client, fresh_sandbox, burst)
            assert len(invoices) >= len(burst.created)

        assert created_invoice(client, fresh_sandbox)["status"] == "open"
