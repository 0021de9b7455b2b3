"""The printed invoices, as a reader gets them: real wkhtmltopdf PDFs, read back as text."""

import io
import json
import logging
import re
from html import unescape
from urllib.parse import urlencode

from odoo import Command
from odoo.tests import HttpCase, tagged
from pypdf import PdfReader

from .common import TektoroCase

_logger = logging.getLogger(__name__)

SCRIPT_NOTE = "Call before 9am <script>alert('pwned')</script> & bring the badge"


def normalize(text):
    """Text as a reader searches it: any case, one plain space wherever the layout put blanks.

    Labels and badges are set in capitals by the stylesheet, so the PDF says SENT where the
    HTML says Sent.
    """
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip().casefold()


class ReportCase(TektoroCase, HttpCase):
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
        self.authenticate(self.office.login, self.office.login)
        response = self.url_open(
            "/report/download?"
            + urlencode(
                {
                    "data": json.dumps(
                        [
                            f"/report/pdf/tektoro_invoicing.report_tektoro_invoice_document/{invoice.id}",
                            "qweb-pdf",
                        ]
                    ),
                    "context": "{}",
                }
            )
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"''{invoice.name}.pdf", response.headers["Content-Disposition"])

    def test_badge_follows_the_state(self):
        invoice = self.make_invoice()
        report = "tektoro_invoicing.report_tektoro_invoice"
        html = self.render_html(report, invoice)
        self.assertIn('o_tektoro_badge o_tektoro_badge_sent">Sent<', html)
        invoice.with_user(self.office).action_cancel()
        self.assertRecordValues(invoice, [{"state": "cancelled"}])
        html = self.render_html(report, invoice)
        self.assertIn('o_tektoro_badge o_tektoro_badge_cancelled">Cancelled<', html)
