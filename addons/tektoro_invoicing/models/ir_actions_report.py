import functools
import logging
import math
import subprocess  # nosec B404

import lxml.html
from odoo import models
from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

_logger = logging.getLogger(__name__)

TEKTORO_REPORT_MODELS = ("tektoro.master.invoice", "tektoro.client.invoice", "tektoro.invoice")
# Without header and footer pages, the paper format's room for them is only a blank band.
INLINE_MARGIN_MM = 12
INLINE_LETTERHEAD_MARGINS = {
    "data-report-margin-top": str(INLINE_MARGIN_MM),
    "data-report-margin-bottom": str(INLINE_MARGIN_MM),
}
# Line tables are cut into pages before wkhtmltopdf sees them: an unpatched wkhtmltopdf neither
# repeats a table's header nor keeps a row whole. Heights are in PDF points, measured on
# wkhtmltopdf 0.12.6 with tektoro_report.scss; FILL leaves room for what the estimate misses.
MM_PT = 72 / 25.4
LINE_PT = 14.0  # one line of table text
ROW_PT = 6.0  # a row's padding and rule
HEADER_ROW_PT = 22.0
HEADING_PT = 190.0  # addresses, title and facts above the first page's table
LETTERHEAD_PT = 110.0  # the letterhead, when it prints in the page
FILL = 0.92
CLASS_XPATH = "//div[contains(concat(' ', normalize-space(@class), ' '), ' {} ')]"


@functools.cache
def wkhtmltopdf_draws_headers():
    """Whether this wkhtmltopdf prints --header-html and --footer-html pages.

    Only builds on wkhtmltopdf's patched Qt do (they say "with patched qt" in --version); the
    others, Debian's among them, ignore both and the company letterhead silently disappears.
    """
    try:
        # Odoo's own wkhtmltopdf binary, fixed arguments.
        version = subprocess.run(  # noqa: S603 # nosec B603
            [_get_wkhtmltopdf_bin(), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return True  # no usable wkhtmltopdf: Odoo reports that itself
    patched = "patched qt" in version.lower()
    if not patched:
        _logger.info(
            "wkhtmltopdf runs on unpatched Qt: TekToro invoices print the letterhead in the page"
        )
    return patched


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _get_rendering_context(self, report, docids, data):
        values = super()._get_rendering_context(report, docids, data)
        if report.model in TEKTORO_REPORT_MODELS:
            values["tektoro_line_pages"] = functools.partial(
                report._tektoro_line_pages, values.get("report_type")
            )
        return values

    def _tektoro_line_pages(self, report_type, rows, wrapped_texts, first_page_rows=0):
        """Cut ``rows`` into the groups that fit on each printed page.

        ``wrapped_texts(row)`` gives the row's wrapping cells as ``(text, characters per line)``;
        the tallest one sets the row's height. ``first_page_rows`` single-line rows are printed
        before ``rows`` on the first page. The HTML report is one page.
        """
        rows = list(rows)
        if report_type != "pdf":
            return [rows]
        page_room, first_page_room = self._tektoro_table_room()
        pages, used, room = [[]], (ROW_PT + LINE_PT) * first_page_rows, first_page_room
        for row in rows:
            lines = max(
                [1]
                + [
                    sum(math.ceil(len(part) / per_line) or 1 for part in (text or "").split("\n"))
                    for text, per_line in wrapped_texts(row)
                ]
            )
            height = ROW_PT + LINE_PT * lines
            if pages[-1] and used + height > room:
                pages.append([])
                used, room = 0.0, page_room
            pages[-1].append(row)
            used += height
        return pages

    def _tektoro_table_room(self):
        """Room for table rows on a full page and on the first page, in PDF points."""
        paper = self.get_paperformat()
        inline = not wkhtmltopdf_draws_headers()
        if inline:
            margins_mm = 2 * INLINE_MARGIN_MM
        else:
            margins_mm = paper.margin_top + paper.margin_bottom
        page = ((paper.print_page_height or 297.0) - margins_mm) * MM_PT - HEADER_ROW_PT
        first_page = page - HEADING_PT - (LETTERHEAD_PT if inline else 0.0)
        return page * FILL, first_page * FILL

    def _prepare_html(self, html, report_model=False):
        if report_model in TEKTORO_REPORT_MODELS and not wkhtmltopdf_draws_headers():
            html = self._tektoro_inline_letterhead(html)
        return super()._prepare_html(html, report_model=report_model)

    def _tektoro_inline_letterhead(self, html):
        """Move each document's header to the top of its body and its footer to the end.

        The header and footer pages are what an unpatched wkhtmltopdf drops; in the body, the
        letterhead prints on the first page and the company footer, if it says anything, after the
        totals. Page numbers only exist on footer pages, so they go.
        """
        root = lxml.html.fromstring(html, parser=lxml.html.HTMLParser(encoding="utf-8"))
        for header in root.xpath(CLASS_XPATH.format("header")):
            article = header.getnext()
            if article is not None and "article" in article.classes:
                article.insert(0, self._tektoro_unwrap(header, "o_tektoro_inline_header"))
        for footer in root.xpath(CLASS_XPATH.format("footer")):
            article = footer.getprevious()
            if article is not None and "article" in article.classes:
                for page_number in footer.xpath(".//*[span[@class='page' or @class='topage']]"):
                    page_number.getparent().remove(page_number)
                footer = self._tektoro_unwrap(footer, "o_tektoro_inline_footer")
                if footer.text_content().strip():
                    article.append(footer)
        for name, value in INLINE_LETTERHEAD_MARGINS.items():
            root.set(name, root.get(name) or value)
        return lxml.html.tostring(root, encoding="utf-8")

    def _tektoro_unwrap(self, node, css_class):
        """Take ``node`` out of the page, as a plain div that no longer reads as header/footer."""
        node.getparent().remove(node)
        node.classes.discard("header")
        node.classes.discard("footer")
        node.classes.add(css_class)
        node.tail = None
        return node
