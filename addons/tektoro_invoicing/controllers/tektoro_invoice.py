from odoo import http
from odoo.exceptions import AccessError
from odoo.http import request


class TektoroInvoiceController(http.Controller):
    @http.route("/tektoro/invoices/<int:invoice_id>/pdf", type="http", auth="user", methods=["GET"])
    def invoice_pdf(self, invoice_id):
        """Missing, unreadable and feature-off all answer the same 404: nothing leaks."""
        invoice = request.env["tektoro.invoice"].browse(invoice_id).exists()
        try:
            invoice.check_access("read")
        except AccessError:
            invoice = invoice.browse()
        if not invoice or not invoice.company_id.tektoro_invoices_enabled:
            raise request.not_found()
        # As superuser: whoever may read the invoice prints it whole, the work order's name
        # included, which a reader such as the billing sync user may not read on its own.
        pdf, _report_type = (
            request.env["ir.actions.report"]
            .sudo()
            ._render_qweb_pdf("tektoro_invoicing.report_tektoro_invoice", invoice.ids)
        )
        filename = f"{invoice.name}.pdf"
        return request.make_response(
            pdf,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Length", str(len(pdf))),
                ("Content-Disposition", http.content_disposition(filename)),
            ],
        )
