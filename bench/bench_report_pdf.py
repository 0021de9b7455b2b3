"""Time a 500-ticket contractor master invoice printed to PDF.

    python3 bench/bench_report_pdf.py                 # throwaway database, dropped afterwards
    python3 bench/bench_report_pdf.py --database DB [--data-dir DIR]   # tektoro_invoicing installed

The tickets and the invoice are made in a transaction that is rolled back, so a given database is
left as it was. An Odoo server runs beside the timed process only to serve the report's
stylesheets to wkhtmltopdf, as it does in production. Prints the page count and the time of each
run (HTML rendering, then the whole PDF).
"""

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request

from throwaway import odoo_cli, odoo_options, throwaway_database

# Runs inside `odoo shell`: env is the superuser's; nothing is committed.
SHELL_SCRIPT = """
import io, statistics, time, datetime
from pypdf import PdfReader
env["ir.config_parameter"].set_param("report.url", "{url}")
company = env.company
contractor = env["res.users"].create({{
    "name": "Bench Contractor", "login": "bench.contractor.{stamp}", "company_id": company.id,
    "company_ids": [(6, 0, company.ids)],
    "groups_id": [(6, 0, [env.ref("base.group_user").id,
                          env.ref("tektoro_invoicing.group_contractor").id])],
}})
clients = env["res.partner"].create([{{"name": "Bench Client %d" % i}} for i in range(5)])
start = datetime.date(1990, 1, 1)
env["tektoro.ticket"].create([{{
    "contractor_id": contractor.id, "client_id": clients[i % 5].id,
    "work_date": start + datetime.timedelta(days=i // 2),
    "description": "Site visit %d: replaced the access point" % i
                   + ", re-ran the cabling and tested every port" * (i % 3),
    "hours": 1 + (i % 4) * 0.5, "amount": 90 + i % 7 * 15, "state": "approved",
}} for i in range({tickets})])
invoice = env["tektoro.master.invoice"].with_user(contractor).create(
    {{"date_from": "1990-01-01", "date_to": "1990-12-31"}})
assert invoice.ticket_count == {tickets}, invoice.ticket_count
report = "tektoro_invoicing.report_tektoro_master_invoice"
Report = env["ir.actions.report"]
html_times, pdf_times = [], []
for run in range({runs}):
    began = time.perf_counter()
    Report._render_qweb_html(report, invoice.ids, data={{"report_type": "pdf"}})
    html_times.append(time.perf_counter() - began)
    began = time.perf_counter()
    pdf, _type = Report._render_qweb_pdf(report, invoice.ids)
    pdf_times.append(time.perf_counter() - began)
pages = len(PdfReader(io.BytesIO(pdf)).pages)
print("BENCH invoice=%s tickets=%d pages=%d bytes=%d"
      % (invoice.name, invoice.ticket_count, pages, len(pdf)))
print("BENCH html_seconds=" + ",".join("%.2f" % t for t in html_times))
print("BENCH pdf_seconds=" + ",".join("%.2f" % t for t in pdf_times))
print("BENCH pdf_median=%.2f" % statistics.median(pdf_times))
env.cr.rollback()
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/web/health", timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the Odoo server at {url} did not answer within {seconds}s")


def run(database, data_dir, tickets, runs):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        odoo_cli(
            *odoo_options(database, data_dir),
            f"--http-port={port}",
            "--http-interface=127.0.0.1",
            f"--db-filter=^{database}$",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_http(url)
        script = SHELL_SCRIPT.format(url=url, tickets=tickets, runs=runs, stamp=os.getpid())
        shell = subprocess.run(
            odoo_cli("shell", *odoo_options(database, data_dir), "--no-http"),
            input=script,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = [line for line in shell.stdout.splitlines() if line.startswith("BENCH ")]
    if shell.returncode or not lines:
        sys.stderr.write(shell.stdout[-3000:] + shell.stderr[-3000:])
        raise SystemExit("the benchmark failed")
    figures = dict(item.split("=", 1) for line in lines for item in line[6:].split())
    print(
        f"{figures['tickets']}-ticket master invoice {figures['invoice']}: "
        f"{figures['pages']} pages, {int(figures['bytes']) // 1024} KiB"
    )
    print(f"  HTML rendering (s, per run): {figures['html_seconds']}")
    print(f"  PDF, wkhtmltopdf included (s, per run): {figures['pdf_seconds']}")
    print(f"  PDF median: {figures['pdf_median']} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="existing database with the addon (default: throwaway)")
    parser.add_argument("--data-dir", help="that database's Odoo data directory (filestore)")
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.database:
        run(args.database, args.data_dir, args.tickets, args.runs)
        return
    with throwaway_database() as (database, data_dir):
        run(database, data_dir, args.tickets, args.runs)


if __name__ == "__main__":
    main()
