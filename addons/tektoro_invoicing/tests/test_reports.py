"""The printed invoices, as a reader gets them: real wkhtmltopdf PDFs, read back as text."""

import io
import json
import logging
import re
from datetime import date, timedelta
from html import unescape
from urllib.parse import urlencode

from odoo import Command
from odoo.tests import HttpCase, tagged
from pypdf import PdfReader

from .common import TektoroMasterInvoiceCase

_logger = logging.getLogger(__name__)

SCRIPT_NOTE = "Call before 9am <script>alert('pwned')</script> & bring the badge"


def normalize(text):
    """Text as a reader searches it: any case, one plain space wherever the layout put blanks.

    Labels and badges are set in capitals by the stylesheet, so the PDF says SENT where the
    HTML says Sent.
    """
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip().casefold()


class ReportCase(TektoroMasterInvoiceCase, HttpCase):
    """Renders TekToro reports for real (wkhtmltopdf fetches the assets from the test server)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sudo().write(
            {"name": "TekToro Field Services", "tektoro_invoices_enabled": True}
        )
        cls.currency = cls.company.currency_id

    def render_pdf(self, report_ref, records):
        pdf, report_type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report_ref, records.ids)
        )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF-"), "wkhtmltopdf did not produce a PDF")
        return pdf

    def render_html(self, report_ref, records):
        html, report_type = self.env["ir.actions.report"]._render_qweb_html(report_ref, records.ids)
        self.assertEqual(report_type, "html")
        return html.decode()

    def pdf_pages(self, pdf):
        """The text of each page; an empty list when wkhtmltopdf drew the text as outlines."""
        reader = PdfReader(io.BytesIO(pdf))
        pages = [normalize(page.extract_text() or "") for page in reader.pages]
        self.assertTrue(pages, "the PDF has no page")
        if not any(pages):
            _logger.warning(
                "wkhtmltopdf drew the report's text as outlines on this machine (%d pages): "
                "its fonts are missing; content is checked on the HTML rendering only",
                len(pages),
            )
            return []
        return pages

    def html_text(self, html):
        """The visible text of an HTML report, entities decoded."""
        return normalize(unescape(re.sub(r"<[^>]+>", " ", html)))

    def assert_document(self, report_ref, records, expected):
        """Every expected string is in the PDF's text (if it has text) and in the HTML report.

        Returns the PDF's page texts.
        """
        pdf = self.render_pdf(report_ref, records)
        pages = self.pdf_pages(pdf)
        pdf_text = " ".join(pages)
        html_text = self.html_text(self.render_html(report_ref, records))
        for text in expected:
            text = normalize(text)
            if pages:
                self.assertIn(text, pdf_text, "missing from the PDF")
            self.assertIn(text, html_text, "missing from the HTML report")
        return pages or PdfReader(io.BytesIO(pdf)).pages

    def assert_downloads_as(self, user, report_xmlid, record, filename):
        """The Print menu's download, as ``user`` gets it: the file is named ``filename``."""
        report = self.env.ref(report_xmlid)
        self.assertEqual(report.binding_model_id.model, record._name, "not in the Print menu")
        if hasattr(record, "action_print"):
            action = record.with_user(user).action_print()
            self.assertEqual(action["report_name"], report.report_name, "the form's Print button")
            self.assertEqual(action["context"]["active_ids"], record.ids)
        self.authenticate(user.login, user.login)
        data = json.dumps([f"/report/pdf/{report.report_name}/{record.id}", "qweb-pdf"])
        response = self.url_open("/report/download?" + urlencode({"data": data, "context": "{}"}))
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"''{filename}", response.headers["Content-Disposition"])

    def money(self, amount, currency=None):
        """An amount as the documents print it, e.g. "$ 1,234.50"."""
        html = self.env["ir.qweb.field.monetary"].value_to_html(
            amount, {"display_currency": currency or self.currency}
        )
        return normalize(re.sub(r"<[^>]+>", "", html))


@tagged("post_install", "-at_install")
class TestWorkOrderInvoiceReport(ReportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Acme Hospital", "street": "12 Harbour Road", "city": "Portsmouth"}
        )
        cls.device = cls.env["tektoro.device.model"].create(
            {"name": "Mesh Gateway MG-3", "cost": 249.0}
        )

    def make_invoice(self, include_unit_price=True, tax_rate=10.0):
        office = self.env(user=self.office)
        work_order = office["tektoro.work.order"].create(
            {
                "partner_id": self.customer.id,
                "device_model_id": self.device.id,
                "line_ids": [
                    Command.create({"name": "On-site labour", "quantity": 2.5, "price_unit": 85.0}),
                    Command.create({"name": "Cat6 patch cable", "quantity": 6, "price_unit": 7.5}),
                ],
            }
        )
        work_order.action_start()
        work_order.action_complete()
        work_order.action_create_invoice(include_unit_price=include_unit_price, tax_rate=tax_rate)
        return work_order.invoice_ids

    def test_pdf_holds_number_customer_items_and_total(self):
        invoice = self.make_invoice()
        self.assertRecordValues(
            invoice,
            [
                {
                    "state": "sent",
                    "unit_subtotal": 249.0,
                    "items_subtotal": 257.5,
                    "amount_total": 557.15,
                }
            ],
        )
        pages = self.assert_document(
            "tektoro_invoicing.report_tektoro_invoice",
            invoice,
            [
                invoice.name,
                "TekToro Field Services",
                "Acme Hospital",
                "12 Harbour Road",
                invoice.work_order_id.name,
                "Mesh Gateway MG-3 1 " + self.money(249.0),
                "On-site labour 2.500 " + self.money(85.0) + " " + self.money(212.5),
                "Cat6 patch cable 6.000 " + self.money(7.5) + " " + self.money(45.0),
                "Subtotal " + self.money(506.5),
                "Tax (10.00 %) " + self.money(50.65),
                "Total " + self.money(557.15),
                "Sent",
            ],
        )
        self.assertEqual(len(pages), 1)

    def test_without_unit_price_the_device_is_not_billed(self):
        invoice = self.make_invoice(include_unit_price=False, tax_rate=0.0)
        text = self.html_text(self.render_html("tektoro_invoicing.report_tektoro_invoice", invoice))
        self.assertNotIn(self.money(249.0), text)
        self.assertIn(normalize("Subtotal " + self.money(257.5)), text)
        self.assertIn(normalize("Total " + self.money(257.5)), text)

    def test_download_is_named_after_the_number(self):
        invoice = self.make_invoice()
        self.assertRegex(invoice.name, r"^TFT-\d{5,}$")
        self.assert_downloads_as(
            self.office, "tektoro_invoicing.report_tektoro_invoice", invoice, f"{invoice.name}.pdf"
        )

    def test_badge_follows_the_state(self):
        invoice = self.make_invoice()
        report = "tektoro_invoicing.report_tektoro_invoice"
        html = self.render_html(report, invoice)
        self.assertIn('o_tektoro_badge o_tektoro_badge_sent">Sent<', html)
        invoice.with_user(self.office).action_cancel()
        self.assertRecordValues(invoice, [{"state": "cancelled"}])
        html = self.render_html(report, invoice)
        self.assertIn('o_tektoro_badge o_tektoro_badge_cancelled">Cancelled<', html)


@tagged("post_install", "-at_install")
class TestMasterInvoiceReport(ReportCase):
    REPORT = "tektoro_invoicing.report_tektoro_master_invoice"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contractor.partner_id.write({"street": "4 Mill Lane", "city": "Bristol"})

    def test_approved_invoice_prints_tickets_total_and_approval(self):
        self._tickets(self.contractor, self.client_a, [3], amount=450.0, hours=5.0)
        self._tickets(self.contractor, self.client_b, [9], amount=120.5, hours=1.5)
        invoice = self._submitted_invoice(note="Thanks!")
        invoice.with_user(self.manager).action_approve("Matches the site logs.")
        self.assertRecordValues(
            invoice, [{"name": "JD-MINV-001", "state": "approved", "amount_total": 570.5}]
        )
        pages = self.assert_document(
            self.REPORT,
            invoice,
            [
                "Master Invoice JD-MINV-001 Approved",
                "TekToro Field Services",
                "John Doe",
                "4 Mill Lane",
                "01/01/2020 \N{EN DASH} 01/31/2020",
                "Client A Work of day 3 5.00 " + self.money(450.0),
                "Client B Work of day 9 1.50 " + self.money(120.5),
                "Subtotal " + self.money(570.5),
                "Tax " + self.money(0.0),
                "Total " + self.money(570.5),
                "Approved by Max Manager",
                "Matches the site logs.",
                "Thanks!",
            ],
        )
        self.assertEqual(len(pages), 1)
        html = self.render_html(self.REPORT, invoice)
        self.assertIn('o_tektoro_badge o_tektoro_badge_approved">Approved<', html)

    def test_rejected_invoice_prints_the_rejection_message(self):
        self._tickets(self.contractor, self.client_a, [3])
        invoice = self._submitted_invoice()
        invoice.with_user(self.manager).action_reject("Day 3 was billed last month.")
        self.assertRecordValues(invoice, [{"state": "rejected"}])
        text = self.html_text(self.render_html(self.REPORT, invoice))
        self.assertIn(normalize("Rejected on"), text)
        self.assertIn(normalize("Day 3 was billed last month."), text)
        self.assertNotIn("approved by", text)
        html = self.render_html(self.REPORT, invoice)
        self.assertIn('o_tektoro_badge o_tektoro_badge_rejected">Rejected<', html)

    def test_a_note_with_a_script_tag_is_printed_as_text(self):
        self._tickets(self.contractor, self.client_a, [3])
        invoice = self._master_invoice(note=SCRIPT_NOTE)
        html = self.render_html(self.REPORT, invoice)
        self.assertNotIn("<script>alert(", html)
        self.assertIn("&lt;script&gt;alert(", html)
        pages = self.pdf_pages(self.render_pdf(self.REPORT, invoice))
        if pages:
            self.assertIn(normalize(SCRIPT_NOTE), " ".join(pages))

    def test_download_is_named_after_the_number(self):
        self._tickets(self.contractor, self.client_a, [3])
        invoice = self._master_invoice()
        self.assert_downloads_as(self.contractor, self.REPORT, invoice, "JD-MINV-001.pdf")
        self.assertEqual(
            self.env.ref(f"{self.REPORT}_html").binding_model_id.model, "tektoro.master.invoice"
        )

    def test_long_invoice_pages_repeat_the_header_and_keep_rows_whole(self):
        tickets = (
            self.env["tektoro.ticket"]
            .sudo()
            .create(
                [
                    {
                        "contractor_id": self.contractor.id,
                        "client_id": (self.client_a, self.client_b)[day % 2].id,
                        "work_date": date(2019, 1, 1) + timedelta(days=day),
                        "description": f"Visit {day:03d}: replaced the access point"
                        + (", re-ran the cabling and tested every port" * (day % 3))
                        + f" end{day:03d}",
                        "hours": 1.0,
                        "amount": 100.0 + day,
                        "state": "approved",
                    }
                    for day in range(200)
                ]
            )
        )
        invoice = self._master_invoice(date_from="2019-01-01", date_to="2019-12-31")
        self.assertRecordValues(invoice, [{"ticket_count": 200, "amount_total": 39900.0}])
        pages = self.assert_document(
            self.REPORT, invoice, [invoice.name, "John Doe", "Total " + self.money(39900.0)]
        )
        self.assertGreaterEqual(len(pages), 5)
        if not isinstance(pages[0], str):
            return  # outlined text: the page count is all the PDF tells
        header = normalize("Ticket Work Date Client Description Hours Amount")
        for number, page in enumerate(pages, 1):
            self.assertIn(header, page, f"page {number} has no table header")
        for day, ticket in enumerate(tickets):
            holding = [n for n, page in enumerate(pages) if ticket.name.casefold() in page]
            self.assertEqual(len(holding), 1, f"{ticket.name} is on pages {holding}")
            page = pages[holding[0]]
            self.assertIn(f"end{day:03d}", page, f"{ticket.name}'s row is cut in two")
            self.assertIn(self.money(100.0 + day), page, f"{ticket.name}'s row is cut in two")


@tagged("post_install", "-at_install")
class TestClientInvoiceReport(ReportCase):
    REPORT = "tektoro_invoicing.report_tektoro_client_invoice"

    def test_sent_invoice_prints_client_tickets_and_total(self):
        self.client_a.write({"street": "1 Quay Street", "city": "Dublin"})
        self._tickets(self.contractor, self.client_a, [4], amount=300.0, hours=3.0)
        self._tickets(self.contractor_2, self.client_a, [6], amount=75.25, hours=0.75)
        self._tickets(self.contractor, self.client_b, [5], amount=999.0)
        invoice = (
            self.env["tektoro.client.invoice"]
            .with_user(self.manager)
            .generate_for_period("2020-01-01", "2020-01-31", [self.client_a.id])
        )
        invoice.write({"note": SCRIPT_NOTE})
        invoice.action_send()
        self.assertRecordValues(invoice, [{"state": "sent", "amount_total": 375.25}])
        pages = self.assert_document(
            self.REPORT,
            invoice,
            [
                f"Invoice {invoice.name} Sent",
                "TekToro Field Services",
                "Client A",
                "1 Quay Street",
                "Work of day 4 3.00 " + self.money(300.0),
                "Work of day 6 0.75 " + self.money(75.25),
                "Subtotal " + self.money(375.25),
                "Total " + self.money(375.25),
                SCRIPT_NOTE,
            ],
        )
        self.assertEqual(len(pages), 1)
        text = " ".join(pages) if isinstance(pages[0], str) else ""
        self.assertNotIn("client b", text)
        self.assertNotIn(self.money(999.0), text)
        html = self.render_html(self.REPORT, invoice)
        self.assertIn('o_tektoro_badge o_tektoro_badge_sent">Sent<', html)
        self.assertIn("&lt;script&gt;alert(", html)
        self.assertNotIn("<script>alert(", html)

    def test_each_invoice_prints_in_its_clients_language(self):
        """As Odoo prints its own invoices: a French client's invoice reads as French, whoever
        prints it (here dates, 5 January 2020, in each language's format)."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.client_a.lang = "fr_FR"
        self.client_b.lang = "en_US"
        self._tickets(self.contractor, self.client_a, [5])
        self._tickets(self.contractor, self.client_b, [5])
        invoices = (
            self.env["tektoro.client.invoice"]
            .with_user(self.manager)
            .generate_for_period("2020-01-05", "2020-01-05")
        )
        self.assertEqual(invoices.client_id, self.client_a | self.client_b)
        pages = self.render_html(self.REPORT, invoices.sorted(lambda i: i.client_id.name))
        french, english = pages.split("Client B")[0], pages.split("Client B")[1]
        self.assertIn("05/01/2020", self.html_text(french))
        self.assertNotIn("01/05/2020", self.html_text(french))
        self.assertIn("01/05/2020", self.html_text(english))

    def test_download_is_named_after_the_number(self):
        self._tickets(self.contractor, self.client_a, [4])
        invoice = (
            self.env["tektoro.client.invoice"]
            .with_user(self.manager)
            .generate_for_period("2020-01-01", "2020-01-31")
        )
        self.assert_downloads_as(self.manager, self.REPORT, invoice, f"{invoice.name}.pdf")
