"""Work orders in bulk, office users, and what both systems hold, for the reliability runs."""

import threading
from collections import Counter

import requests
from daemon.e2e.harness import OdooRpcError


def make_completed_work_orders(company, count, chunk=200):
    """``count`` completed work orders, each for a different amount (set-up, in batches)."""
    order_ids = []
    for start in range(0, count, chunk):
        order_ids += company.admin(
            "tektoro.work.order",
            "create",
            [
                {
                    "partner_id": company.partner_id,
                    "device_model_id": company.device_model_id,
                    "company_id": company.company_id,
                    "state": "completed",
                    "line_ids": [(0, 0, {"name": "Labour", "quantity": 1,
                                         "price_unit": 10.0 + number % 997})],
                }
                for number in range(start, min(start + chunk, count))
            ],
        )
    return order_ids


def make_office_user(company, login):
    """An office user of ``company`` only, with a password, for RPC sessions of its own."""
    login_pair, _user_id = make_user(company, login, "group_office")
    return login_pair


def make_user(company, login, group, name=None):
    """A user of ``company`` only in the addon's ``group``, whose password is its login."""
    [group_data] = company.admin(
        "ir.model.data",
        "search_read",
        [("module", "=", "tektoro_invoicing"), ("name", "=", group)],
        ["res_id"],
    )
    user_id = company.admin(
        "res.users",
        "create",
        {
            "name": name or login,
            "login": login,
            "password": login,
            "company_id": company.company_id,
            "company_ids": [(6, 0, [company.company_id])],
            "groups_id": [(4, group_data["res_id"])],
        },
    )
    return (login, login), user_id


class Outcomes:
    """What each RPC call came back with, counted across client threads."""

    def __init__(self, retry_resets=0):
        self._lock = threading.Lock()
        self.retry_resets = retry_resets
        self.resets = 0  # connections the kernel refused before Odoo read the request
        self.results = []
        self.user_errors = []
        self.internal_errors = []  # any other JSON-RPC error: a traceback shown to the user
        self.http_errors = []  # HTTP 500s and dropped connections

    def call(self, func, *args):
        try:
            result = self._call(func, args, self.retry_resets)
        except OdooRpcError as exc:
            bucket = self.user_errors if exc.name == "odoo.exceptions.UserError" else (
                self.internal_errors
            )
            with self._lock:
                bucket.append(exc)
            return None
        except requests.RequestException as exc:
            with self._lock:
                self.http_errors.append(exc)
            return None
        with self._lock:
            self.results.append(result)
        return result

    def _call(self, func, args, retries):
        """Odoo's prefork server listens with a backlog of 8 per worker: past it, the kernel
        resets new connections before any request is read (a proxy in front queues them in
        production). Those are retried when asked, and counted; nothing else is."""
        try:
            return func(*args)
        except requests.ConnectionError as exc:
            if not retries or "reset by peer" not in str(exc):
                raise
            with self._lock:
                self.resets += 1
            return self._call(func, args, retries - 1)


def local_invoices(company):
    return company.admin(
        "tektoro.invoice",
        "search_read",
        [("company_id", "=", company.company_id)],
        ["name", "work_order_id", "state", "billing_state", "billing_id", "amount_total"],
    )


def assert_one_external_invoice_each(company, invoices):
    """Every local invoice synced, to an external invoice of its own with its number and total."""
    remote = company.sandbox.every_invoice()
    references = Counter(item["reference"] for item in remote)
    duplicates = {ref: n for ref, n in references.items() if n > 1}
    assert not duplicates, f"references billed more than once: {duplicates}"
    states = Counter(invoice["billing_state"] for invoice in invoices)
    assert states == {"synced": len(invoices)}, f"billing states after one sync: {states}"
    by_id = {item["id"]: item for item in remote}
    mismatched = [
        invoice["name"]
        for invoice in invoices
        if invoice["billing_id"] not in by_id
        or by_id[invoice["billing_id"]]["reference"] != invoice["name"]
        or abs(by_id[invoice["billing_id"]]["total"] - invoice["amount_total"]) > 0.005
    ]
    assert not mismatched, f"local invoices not matching their external one: {mismatched[:20]}"
    assert len(remote) == len(invoices), (len(remote), len(invoices))
    return remote
