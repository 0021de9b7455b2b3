from odoo import http
from odoo.addons.web.controllers.report import ReportController
from odoo.exceptions import AccessError
from odoo.http import request


class TektoroReportController(ReportController):
    @http.route()
    def report_routes(self, reportname, docids=None, converter=None, **data):
        """Odoo's own report URLs show a work-order invoice under the same terms as
        /tektoro/invoices/<id>/pdf: missing, unreadable and feature-off all answer 404.

        The report is found as Odoo's rendering finds it, by report name or by XML id.
        """
        try:
            report = request.env["ir.actions.report"]._get_report(reportname)
        except ValueError:
            report = request.env["ir.actions.report"]  # no report: Odoo answers as it does
        if report.model == "tektoro.invoice" and docids:
            parts = docids.split(",")
            # isascii: "²".isdigit() is True, and int() refuses it.
            if not all(part.isascii() and part.isdigit() for part in parts):
                raise request.not_found()
            ids = {int(part) for part in parts}
            invoices = request.env["tektoro.invoice"].browse(ids).exists()
            try:
                invoices.check_access("read")
            except AccessError:
                raise request.not_found() from None
            if len(invoices) != len(ids) or not all(
                invoices.company_id.mapped("tektoro_invoices_enabled")
            ):
                raise request.not_found()
        return super().report_routes(reportname, docids=docids, converter=converter, **data)
