"""Real processes for the end-to-end tests: Odoo with the addon, billing sandboxes, the daemon.

Nothing here is mocked. Odoo is installed once per session into a throwaway database (dropped at
the end) and served over HTTP; each test gets its own billing sandbox (its own SQLite file) and
its own Odoo company pointing at it, so event cursors and drift never leak between tests.
"""

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import requests

from billing_sandbox.testing import SandboxProcess

ROOT = Path(__file__).resolve().parents[3]
ODOO_ADMIN = ("admin", "admin")
SYNC_LOGIN = ("billing-sync", "billing-sync")
MODULE = "tektoro_invoicing"
ODOO_MISSING = importlib.util.find_spec("odoo") is None
SKIP_REASON = "end-to-end tests need Odoo 18 importable in this Python (import odoo failed)"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout, what, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def answers(url):
    try:
        return requests.get(url, timeout=1).status_code < 500
    except requests.RequestException:
        return False


def odoo_addons_path(*extra, addons=ROOT / "addons"):
    """The addons path of a server with ``addons`` (this checkout's), ``extra`` and Odoo's own."""
    code = (
        "import odoo.addons, pathlib; print(','.join(p for p in odoo.addons.__path__ "
        "if pathlib.Path(p, 'base').is_dir()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/"
    )
    return ",".join([str(addons), *map(str, extra), result.stdout.strip()])


# ---------------------------------------------------------------------------------------------
# Odoo


class OdooServer:
    """An Odoo 18 server with the addon (and its demo data) in a fresh database.

    ``workers`` > 0 runs Odoo's prefork server: each request in a process of its own, as in
    production, so concurrent RPC calls really run in parallel transactions. ``extra_addons``
    are test-only addon directories (never shipped) installed beside the addon. ``addons`` is
    the directory the addon comes from (this checkout's, or an older release's).
    """

    def __init__(self, workdir, workers=0, extra_addons=(), addons=ROOT / "addons"):
        self.database = f"tektoro_e2e_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.port = free_port()
        self.gevent_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(workdir) / "odoo-data"
        self.log_path = Path(workdir) / "odoo.log"
        self.workers = workers
        self.extra_addons = [Path(path) for path in extra_addons]
        self.addons = Path(addons)
        self._process = None

    def _command(self, *extra):
        return [
            sys.executable,
            str(Path(__file__).with_name("run_odoo.py")),
            f"--addons-path={self.addons_path()}",
            f"--database={self.database}",
            f"--data-dir={self.data_dir}",
            f"--db-filter=^{self.database}$",
            "--max-cron-threads=0",
            "--http-interface=127.0.0.1",
            f"--http-port={self.port}",
            f"--gevent-port={self.gevent_port}",
            f"--workers={self.workers}",
            # Batch sync calls and pushes held by faults take longer than the defaults allow.
            "--limit-time-real=900",
            "--limit-time-cpu=600",
            f"--logfile={self.log_path}",
            "--log-level=warn",
            # Each replay after a serialization failure ("... tries left, try again"), counted
            # by the concurrency runs.
            "--log-handler=odoo.service.model:INFO",
            *extra,
        ]

    def install(self):
        self._run_once(f"--init={self._modules()}")

    def update(self):
        """Update the addon to the code of ``self.addons``, as an upgrade does."""
        self._run_once(f"--update={self._modules()}")

    def _modules(self):
        return ",".join([MODULE, *(path.name for path in self.extra_addons)])

    def _run_once(self, *options):
        subprocess.run(
            self._command(*options, "--stop-after-init"), check=True, cwd=ROOT, timeout=600
        )

    def start(self):
        # A process group of its own: kill() must take the prefork workers down with it.
        self._process = subprocess.Popen(self._command(), cwd=ROOT, start_new_session=True)
        wait_until(lambda: answers(f"{self.url}/web/health"), 120, "Odoo to serve HTTP")
        return self

    def addons_path(self):
        return odoo_addons_path(*(path.parent for path in self.extra_addons), addons=self.addons)

    def kill(self):
        """SIGKILL the server and its workers at once, as a crash or an OOM kill would."""
        os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()
        wait_until(lambda: not answers(f"{self.url}/web/health"), 30, "Odoo to be gone")

    def stop(self):
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        subprocess.run(["dropdb", "--if-exists", "--force", self.database], check=False)

    def rpc(self, login=ODOO_ADMIN):
        return OdooRpc(self.url, self.database, *login)


class OdooRpc:
    """JSON-RPC as one user, with an explicit company context on every call."""

    def __init__(self, url, database, login, password):
        self.url, self.database, self.password = url, database, password
        self._session = requests.Session()
        self.uid = self._call("common", "login", database, login, password)
        assert self.uid, f"Odoo refused the login {login}"
        self.company_ids = None

    def _call(self, service, method, *args):
        response = self._session.post(
            f"{self.url}/jsonrpc",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"service": service, "method": method, "args": list(args)},
            },
            timeout=120,
        )
        response.raise_for_status()
        body = response.json()
        if body.get("error"):
            raise OdooRpcError(body["error"]["data"]["name"], body["error"]["data"]["message"])
        return body["result"]

    def __call__(self, model, method, *args, **kwargs):
        if self.company_ids:
            context = kwargs.setdefault("context", {})
            context.setdefault("allowed_company_ids", self.company_ids)
        return self._call(
            "object", "execute_kw", self.database, self.uid, self.password, model, method,
            list(args), kwargs,
        )

    def read_one(self, model, record_id, fields):
        return self(model, "read", [record_id], fields)[0]


class OdooRpcError(Exception):
    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


# ---------------------------------------------------------------------------------------------
# Billing sandbox


class Sandbox:
    """A billing sandbox process with its own database file, and the calls tests make to it."""

    def __init__(self, workdir, first_event_id=1):
        self.process = SandboxProcess(
            db_path=Path(workdir) / f"billing-{uuid.uuid4().hex[:8]}.sqlite3",
            api_key="sk_e2e_" + uuid.uuid4().hex[:12],
            extra_args=["--first-event-id", str(first_event_id)],
        )
        self.session = None

    @property
    def url(self):
        return self.process.url

    @property
    def api_key(self):
        return self.process.api_key

    def start(self):
        self.process.start()
        self.session = self.process.client(timeout=30)
        return self

    def stop(self):
        if self.session is not None:
            self.session.close()
        self.process.close()

    def request(self, method, path, expect=(200, 201), **kwargs):
        response = self.session.request(method, self.url + path, **kwargs)
        assert response.status_code in expect, (method, path, response.status_code, response.text)
        return response.json()

    def pay(self, billing_id, amount):
        return self.request(
            "POST", f"/v1/invoices/{billing_id}/payments", json={"amount": float(amount)}
        )

    def cancel(self, billing_id):
        return self.request("POST", f"/v1/invoices/{billing_id}/cancel")

    def invoices_with_reference(self, reference):
        return self.request("GET", "/v1/invoices", params={"reference": reference})["data"]

    def every_invoice(self):
        """Every invoice, page by page, however many there are."""
        invoices, params = [], {"limit": 100}
        while True:
            page = self.request("GET", "/v1/invoices", params=params)
            invoices += page["data"]
            if not page["has_more"]:
                return invoices
            params["starting_after"] = page["data"][-1]["id"]

    def all_invoices(self):
        return self.request("GET", "/v1/invoices", params={"limit": 1000})["data"]

    def events(self):
        return self.request("GET", "/v1/events", params={"after": 0, "limit": 1000})["data"]

    def inject(self, *faults):
        return self.request("POST", "/_sandbox/faults", json={"faults": list(faults)})

    def clear_faults(self):
        return self.request("DELETE", "/_sandbox/faults")

    def create_foreign_invoice(self, reference, total="10.00"):
        """An invoice made in the billing system directly, as another tool would."""
        amount = Decimal(total)
        return self.request(
            "POST",
            "/v1/invoices",
            headers={"Idempotency-Key": f"foreign-{reference}"},
            json={
                "reference": reference,
                "customer": {"name": "Walk-in customer"},
                "currency": "USD",
                "issued_on": "2025-01-02",
                "lines": [
                    {"description": "Counter sale", "quantity": 1, "unit_price": float(amount)}
                ],
                "subtotal": float(amount),
                "tax_rate": 0,
                "tax": 0,
                "total": float(amount),
            },
        )


# ---------------------------------------------------------------------------------------------
# A company of Odoo billed by one sandbox


class BilledCompany:
    """An Odoo company with invoices on, billing pointed at ``sandbox``; made through RPC."""

    def __init__(self, odoo, sandbox, name, invoice_prefix="TFT", billing_url=None):
        self.odoo, self.sandbox, self.name = odoo, sandbox, name
        self.admin = odoo.rpc()
        self.company_id = self.admin(
            "res.company",
            "create",
            {
                "name": name,
                "currency_id": self.admin("res.currency", "search", [("name", "=", "USD")])[0],
                "tektoro_invoices_enabled": True,
                # Companies on one billing account need prefixes of their own.
                "tektoro_invoice_prefix": invoice_prefix,
                "tektoro_default_tax_rate": 10.0,
                "tektoro_billing_url": billing_url or sandbox.url,
                "tektoro_billing_api_key": sandbox.api_key,
                "tektoro_billing_timeout": 2.0,
            },
        )
        self.admin("res.users", "write", [self.admin.uid], {"company_ids": [(4, self.company_id)]})
        self.admin.company_ids = [self.company_id]
        self.partner_id = self.admin(
            "res.partner", "create", {"name": f"Customer of {name}", "email": "c@example.com"}
        )
        self.device_model_id = self.admin(
            "tektoro.device.model",
            "create",
            {"name": "Pump X1", "cost": 100.0, "company_id": self.company_id},
        )
        self._orders = 0

    def disconnect(self):
        """Stop syncing this company: later tests' daemons must not reach its dead sandbox."""
        self.admin("res.company", "write", [self.company_id], {"tektoro_billing_url": False})

    def make_invoice(self, items_price=50.0):
        """A work order taken to completion and invoiced (pushed to billing on creation)."""
        self._orders += 1
        order_id = self.admin(
            "tektoro.work.order",
            "create",
            {
                "partner_id": self.partner_id,
                "device_model_id": self.device_model_id,
                "company_id": self.company_id,
                "line_ids": [(0, 0, {"name": "Labour", "quantity": 1, "price_unit": items_price})],
            },
        )
        self.admin("tektoro.work.order", "action_start", [order_id])
        self.admin("tektoro.work.order", "action_complete", [order_id])
        action = self.admin("tektoro.work.order", "action_create_invoice", [order_id])
        return action["res_id"]

    def invoice(self, invoice_id):
        return self.admin.read_one(
            "tektoro.invoice",
            invoice_id,
            ["name", "state", "paid_at", "cancelled_at", "billing_id", "billing_state",
             "billing_error", "amount_total"],
        )

    def invoices(self, invoice_ids):
        return self.admin(
            "tektoro.invoice",
            "read",
            invoice_ids,
            ["name", "state", "paid_at", "cancelled_at", "billing_id", "billing_state",
             "amount_total"],
        )

    def notes(self, invoice_id, text):
        """Chatter messages on the invoice whose body contains ``text``."""
        return self.admin(
            "mail.message",
            "search_read",
            [("model", "=", "tektoro.invoice"), ("res_id", "=", invoice_id),
             ("body", "ilike", text)],
            ["body", "author_id"],
        )

    def cursor(self):
        cursors = self.admin(
            "tektoro.billing.cursor",
            "search_read",
            [("company_id", "=", self.company_id)],
            ["last_event_id"],
        )
        return cursors[0] if cursors else None

    def applied_up_to(self):
        """The id of the last billing event applied in Odoo; 0 before the first."""
        cursor = self.cursor()
        return cursor["last_event_id"] if cursor else 0


# ---------------------------------------------------------------------------------------------
# The daemon


def daemon_env(odoo, **overrides):
    env = dict(os.environ)
    env.update(
        {
            "TEKTORO_ODOO_URL": odoo.url,
            "TEKTORO_ODOO_DB": odoo.database,
            "TEKTORO_ODOO_LOGIN": SYNC_LOGIN[0],
            "TEKTORO_ODOO_PASSWORD": SYNC_LOGIN[1],
            "TEKTORO_SYNC_HTTP_PORT": "0",
            "TEKTORO_SYNC_MAX_ATTEMPTS": "3",
            "TEKTORO_SYNC_BACKOFF_BASE": "0.05",
            "TEKTORO_SYNC_BACKOFF_MAX": "0.2",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def run_daemon(odoo, *args, timeout=120, **env):
    """``python -m sync_daemon <args>`` from the worktree root, to completion."""
    return subprocess.run(
        [sys.executable, "-m", "sync_daemon", *args],
        cwd=ROOT,
        env=daemon_env(odoo, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_daemon(odoo, *args, **env):
    return subprocess.Popen(
        [sys.executable, "-m", "sync_daemon", *args],
        cwd=ROOT,
        env=daemon_env(odoo, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill(process, signum=signal.SIGKILL):
    if process.poll() is None:
        process.send_signal(signum)
    return process.communicate(timeout=60)


# ---------------------------------------------------------------------------------------------
# Many invoices at once (set-up for benches and reliability runs, not what they measure)

# Run inside Odoo (python3 -c): make the Odoo twins of the sandbox's invoices with the ORM.
MAKE_ODOO_INVOICES = r"""
import json, sys
import odoo
from odoo.tools import config

database, addons_path, company_id, data_path = sys.argv[1:5]
config.parse_config([f"--addons-path={addons_path}", f"--database={database}"])
remote = json.load(open(data_path))
registry = odoo.modules.registry.Registry(database)
with registry.cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"allowed_company_ids": [int(company_id)]})
    admin = env.ref("base.user_admin")
    env = env(user=admin.id, su=True)
    company = env["res.company"].browse(int(company_id))
    partner = env["res.partner"].create({"name": "Bench customer"})
    device = env["tektoro.device.model"].create(
        {"name": "Bench unit", "cost": 0.0, "company_id": company.id}
    )
    orders = env["tektoro.work.order"].create([
        {"partner_id": partner.id, "device_model_id": device.id, "company_id": company.id,
         "state": "billed"}
        for _ in remote
    ])
    env["tektoro.invoice"].with_context(mail_create_nolog=True).create([
        {
            "name": item["reference"], "work_order_id": order.id, "partner_id": partner.id,
            "company_id": company.id, "currency_id": company.currency_id.id,
            "invoice_date": "2025-01-02", "items_subtotal": item["total"], "tax_rate": 0.0,
            "tax_amount": 0.0, "amount_total": item["total"], "state": "sent",
            "billing_id": item["id"], "billing_state": "synced",
        }
        for item, order in zip(remote, orders)
    ])
    cr.commit()
print(len(remote))
"""


def make_remote_invoices(sandbox, prefix, count, threads=8):
    def create(number):
        reference = f"{prefix}-{number:06d}"
        invoice = sandbox.create_foreign_invoice(reference, total=f"{10 + number % 90}.00")
        return {"reference": reference, "id": invoice["id"], "total": float(invoice["total"])}

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(create, range(1, count + 1)))


def make_odoo_twins(odoo_server, company_id, remote, workdir):
    data_path = Path(workdir) / "remote.json"
    data_path.write_text(json.dumps(remote))
    subprocess.run(
        [sys.executable, "-c", MAKE_ODOO_INVOICES, odoo_server.database, odoo_server.addons_path(),
         str(company_id), str(data_path)],
        check=True,
        cwd="/",
        capture_output=True,
    )
