import psycopg2
from odoo import _, api, fields, models
from odoo.exceptions import UserError


class TektoroTicketBundle(models.AbstractModel):
    """What master and client invoices share: a set of tickets whose totals are stored on the
    invoice, recounted in one grouped query whenever tickets join or leave."""

    _name = "tektoro.ticket.bundle"
    _description = "Bundle of Tickets"

    # The tektoro.ticket field that points at the bundle.
    _ticket_link_field = None

    ticket_count = fields.Integer(readonly=True, copy=False)
    amount_total = fields.Monetary(
        string="Total", currency_field="currency_id", readonly=True, copy=False, tracking=True
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id", store=True)
    note = fields.Text(string="Notes")

    @api.model
    def retrieve_dashboard(self, domain=None):
        """Figures of the review page's header for the invoices matching ``domain``.

        The total is in the current company's currency: invoices of companies in another
        currency are converted at today's rate, as Odoo's purchase dashboard does.
        """
        domain = self._dashboard_domain(domain)
        company = self.env.company
        today = fields.Date.context_today(self)
        count, total = 0, 0.0
        for currency, group_count, amount in self._read_group(
            domain, ["currency_id"], ["__count", "amount_total:sum"]
        ):
            count += group_count
            total += currency._convert(amount or 0.0, company.currency_id, company, today)
        return {
            "invoice_count": count,
            "amount_total": company.currency_id.round(total),
            "client_count": self._dashboard_client_count(domain) or 0,
            "currency_id": company.currency_id.id,
        }

    def _dashboard_client_count(self, domain):
        """How many clients the invoices matching ``domain`` bill."""
        raise NotImplementedError

    def _dashboard_domain(self, domain):
        """The caller's filter as a domain of the bundles they may read, or a UserError.

        Odoo reports a malformed domain with whatever Python error its parser meets first.
        """
        self.check_access("read")
        if domain in (None, False):
            return []
        if not isinstance(domain, list):
            raise UserError(_("The filter must be a list of conditions."))
        try:
            query = self._search(domain, limit=1)
            # Run it too: a value of the wrong type (("id", "in", ["abc"])) only fails in SQL.
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query.select(), log_exceptions=False)
        except (ValueError, TypeError, IndexError, AssertionError, KeyError) as error:
            raise UserError(_("This filter is not valid: %s", error)) from None
        except (psycopg2.DataError, psycopg2.ProgrammingError) as error:
            raise UserError(_("This filter is not valid: %s", error.diag.message_primary)) from None
        return domain

    def _update_totals(self):
        """Recount tickets, amount and, where the bundle shows them, clients for all of ``self``."""
        link = self._ticket_link_field
        counts_clients = "client_count" in self._fields
        aggregates = ["__count", "amount:sum"]
        if counts_clients:
            aggregates.append("client_id:count_distinct")
        groups = (
            self.env["tektoro.ticket"]
            .sudo()
            ._read_group([(link, "in", self.ids)], [link], aggregates)
        )
        totals = {bundle.id: values for bundle, *values in groups}
        for bundle in self:
            count, amount, *clients = totals.get(bundle.id, (0, 0.0, 0))
            values = {"ticket_count": count, "amount_total": amount}
            if counts_clients:
                values["client_count"] = clients[0]
            bundle.sudo().write(values)
