import functools
import logging
import subprocess

import lxml.html
from odoo import models
from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

_logger = logging.getLogger(__name__)

TEKTORO_REPORT_MODELS = ("tektoro.master.invoice", "tektoro.client.invoice", "tektoro.invoice")
# Without header and footer pages, the paper format's room for them is only a blank band.
INLINE_LETTERHEAD_MARGINS = {"data-report-margin-top": "12", "data-report-margin-bottom": "12"}
CLASS_XPATH = "//div[contains(concat(' ', normalize-space(@class), ' '), ' {} ')]"


@functools.cache
def wkhtmltopdf_draws_headers():
    """Whether this wkhtmltopdf prints --header-html and --footer-html pages.

    Only builds on wkhtmltopdf's patched Qt do (they say "with patched qt" in --version); the
    others, Debian's among them, ignore both and the company letterhead silently disappears.
    """
    try:
        version = subprocess.run(  # noqa: S603 (Odoo's own wkhtmltopdf binary, fixed arguments)
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

    def _prepare_html(self, html, report_model=False):
        if report_model in TEKTORO_REPORT_MODELS and not wkhtmltopdf_draws_headers():
            html = self._tektoro_inline_letterhead(html)
        return super()._prepare_html(html, report_model=report_model)

    def _tektoro_inline_letterhead(self, html):
        """Move each document's header to the top of its body and its footer to the end.

        The header and footer pages are what an unpatched wkhtmltopdf drops; in the body, the
        letterhead prints on the first page and the company footer after the totals. Page numbers
        only exist on footer pages, so they go.
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
                article.append(self._tektoro_unwrap(footer, "o_tektoro_inline_footer"))
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
