import hashlib
from collections import defaultdict
from urllib.parse import urlsplit

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools.access import MANAGER_GROUP
from ..tools.billing_client import BillingClient

INVOICE_SEQUENCE_CODE = "tektoro.invoice"
# The TekToro settings of a company: those a manager sets, and the billing connection, which is
# for system administrators only, since its URL decides where the API key is sent.
MANAGER_SETTINGS = (
    "tektoro_invoices_enabled",
    "tektoro_invoice_prefix",
    "tektoro_default_tax_rate",
)
SYSTEM_SETTINGS = ("tektoro_billing_url", "tektoro_billing_api_key", "tektoro_billing_timeout")
DEFAULT_PORTS = {"http": 80, "https": 443}


class ResCompany(models.Model):
    _inherit = "res.company"

    tektoro_invoices_enabled = fields.Boolean(
        string="Work-Order Invoices",
        help="Show work-order invoices for this company and allow creating and cancelling them.",
    )
    tektoro_invoice_prefix = fields.Char(
        string="Invoice Prefix",
        default="TFT",
        required=True,
        help="Work-order invoices are numbered <prefix>-00001, <prefix>-00002, ...",
    )
    tektoro_default_tax_rate = fields.Float(
        string="Default Tax Rate (%)",
        digits=(16, 4),
        help="Tax rate proposed when a work-order invoice is created.",
    )
    tektoro_billing_url = fields.Char(
        string="Billing System URL",
        help="Base URL of the Billing API, e.g. https://billing.example.com. "
        "Leave empty to keep invoices local.",
    )
    tektoro_billing_api_key = fields.Char(
        string="Billing API Key",
        groups="base.group_system",
        copy=False,
    )
    tektoro_billing_timeout = fields.Float(
        string="Billing Timeout (s)",
        default=10.0,
        help="How long to wait for the billing system before the outcome counts as unknown.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._tektoro_invoice_sequence()
        companies._tektoro_sync_records()
        return companies

    def write(self, vals):
        if self._tektoro_written_by_manager(vals):
            # DESIGN gives TekToro managers the business settings of their companies, while
            # Odoo lets only Access Rights administrators write companies: these fields alone,
            # on companies of theirs, are written for them (as res.users does for the
            # preferences its users may write on themselves).
            return self.sudo().write(vals)
        result = super().write(vals)
        if {"tektoro_billing_url", "tektoro_billing_api_key"} & set(vals):
            self._tektoro_sync_records()
        return result

    @api.constrains("tektoro_invoice_prefix")
    def _check_tektoro_invoice_prefix(self):
        for company in self:
            prefix = (company.tektoro_invoice_prefix or "").strip()
            if not prefix or len(prefix) > 10 or not prefix.replace("_", "").isalnum():
                raise ValidationError(
                    _(
                        "The invoice prefix of %(company)s must be 1 to 10 letters, digits or "
                        "underscores.",
                        company=company.name,
                    )
                )

    @api.constrains(
        "tektoro_invoices_enabled",
        "tektoro_invoice_prefix",
        "tektoro_billing_url",
        "tektoro_billing_api_key",
    )
    def _check_tektoro_billing_account_prefix(self):
        """Companies that invoice on one billing account (same URL and key) number apart.

        The billing system knows an invoice by its number (``reference``): a second company's
        TFT-00001 would be refused there as a duplicate, or taken, when the totals agree, for the
        first company's invoice, whose payment and cancellation would then apply to both. A
        company that makes invoices (turned on) or has made some (turned off since, its data
        kept) holds a number series; one that never invoiced does not. Its series are its
        prefix and every prefix its invoices were numbered with before a change of prefix.
        """
        companies = self.sudo().with_context(active_test=False)
        prefixes_used = defaultdict(set)
        for company_id, prefix in self._tektoro_invoice_prefixes_used():
            prefixes_used[company_id].add(prefix)
        holders = companies.search([("tektoro_billing_url", "!=", False)]).filtered(
            lambda company: company.tektoro_invoices_enabled or company.id in prefixes_used
        )
        visible = self.env.user.company_ids
        series_of = {
            holder: {
                (holder._tektoro_billing_account(), prefix)
                for prefix in prefixes_used[holder.id]
                | {(holder.tektoro_invoice_prefix or "").strip()}
            }
            for holder in holders
        }
        for company in holders & companies:
            for other in holders - company:
                if shared := series_of[other] & series_of[company]:
                    _account, prefix = min(shared)
                    raise ValidationError(
                        _(
                            "%(company)s and %(other)s send their work-order invoices to the same "
                            "billing account with the same prefix %(prefix)s, so their invoice "
                            "numbers would collide there. Give one of them another invoice "
                            "prefix.",
                            company=company.name,
                            # Another tenant's name is not the caller's to learn.
                            other=other.name if other in visible else _("another company"),
                            prefix=prefix,
                        )
                    )

    @api.constrains("tektoro_default_tax_rate")
    def _check_tektoro_default_tax_rate(self):
        for company in self:
            if not 0 <= company.tektoro_default_tax_rate <= 100:
                raise ValidationError(_("The default tax rate must be between 0 and 100 percent."))

    @api.constrains("tektoro_billing_timeout")
    def _check_tektoro_billing_timeout(self):
        for company in self:
            if not 0 < company.tektoro_billing_timeout <= 300:
                raise ValidationError(_("The billing timeout must be between 0 and 300 seconds."))

    @api.constrains("tektoro_billing_url")
    def _check_tektoro_billing_url(self):
        for company in self:
            url = company.tektoro_billing_url
            if url and not _is_http_url(url):
                raise ValidationError(
                    _(
                        "The billing system URL must start with http:// or https:// and name a "
                        "host, without spaces: https://billing.example.com, for example."
                    )
                )

    @api.constrains("tektoro_billing_api_key")
    def _check_tektoro_billing_api_key(self):
        for company in self:
            key = company.tektoro_billing_api_key
            if key and _has_blanks(key):
                raise ValidationError(
                    _("The billing API key must be one word, without spaces or line breaks.")
                )

    def cache_invalidation_fields(self):
        # The invoices menu is shown or hidden by this flag, and menus are cached.
        return super().cache_invalidation_fields() | {"tektoro_invoices_enabled"}

    def _tektoro_invoice_sequence(self):
        """The no-gap work-order invoice sequence of each company, made if missing.

        Made with the company (and for existing companies when the addon is installed), never
        by its first invoice: two first invoices at once would each make a sequence, both get
        number 00001, and one request would fail on the unique number.
        """
        sequences = self.env["ir.sequence"].sudo()
        for company in self:
            sequence = sequences.search(
                [("code", "=", INVOICE_SEQUENCE_CODE), ("company_id", "=", company.id)], limit=1
            ) or sequences.create(
                {
                    "name": _("Work-order invoices of %s", company.name),
                    "code": INVOICE_SEQUENCE_CODE,
                    "implementation": "no_gap",
                    "padding": 5,
                    "company_id": company.id,
                }
            )
            sequences |= sequence
        return sequences

    def _tektoro_written_by_manager(self, vals):
        """A TekToro manager writing only the business settings of their active companies (as
        Odoo's multi-company rules let users change records of the companies they work in)."""
        return (
            not self.env.su
            and vals
            and set(vals) <= set(MANAGER_SETTINGS)
            and self <= self.env.companies
            and self.env.user.has_group(MANAGER_GROUP)
        )

    def _tektoro_sync_records(self):
        """A company connected to a billing system gets its event cursor and drift records now,
        not when the daemon's jobs, started together, would each try to create them at once."""
        connected = self.sudo().filtered(
            lambda company: company.tektoro_billing_url and company.tektoro_billing_api_key
        )
        if connected:
            self.env["tektoro.billing.sync"].sudo()._ensure_company_records(connected)

    def _tektoro_invoice_prefixes_used(self):
        """(company id, prefix) of each number series work-order invoices were made in."""
        self.env["tektoro.invoice"].flush_model(["name", "company_id"])
        return self.env.execute_query(
            SQL(
                "SELECT DISTINCT company_id, substring(name FROM '^(.*)-[0-9]+$') "
                "FROM tektoro_invoice WHERE name ~ '^.+-[0-9]+$'"
            )
        )

    def _tektoro_billing_account(self):
        """Which billing account the company is on, as an opaque value: equal for the same
        address (however spelt) and key, and free of the key itself, so that it can be compared
        and handed to the sync daemon (reconcile reads a shared account once)."""
        self.ensure_one()
        company = self.sudo()
        address = _normalized_url(company.tektoro_billing_url or "")
        key = company.tektoro_billing_api_key or ""
        return hashlib.sha256(f"{address}\n{key}".encode()).hexdigest()

    def _tektoro_billing_client(self):
        """A Billing API client for this company; the key never leaves this method's sudo."""
        self.ensure_one()
        company = self.sudo()
        return BillingClient(
            company.tektoro_billing_url,
            company.tektoro_billing_api_key,
            company.tektoro_billing_timeout,
        )


def _normalized_url(url):
    """One spelling of an address however it is written: the scheme's and host's case, a
    default port and a trailing slash make no difference."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        scheme, port = parts.scheme.lower(), parts.port
    except ValueError:  # not a URL a request could go to: _check_tektoro_billing_url says so
        return url
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 address: bracketed, so that no port can be read into it
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path.rstrip('/')}"


def _is_http_url(url):
    """True for an http(s) URL with a host (and a valid port, if any) that requests can send to."""
    if _has_blanks(url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number in range raises ValueError too
    except ValueError:  # such as an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and port != 0


def _has_blanks(text):
    """Spaces, line breaks or other characters that a request's URL or header cannot carry."""
    return any(char.isspace() or not char.isprintable() for char in text)
