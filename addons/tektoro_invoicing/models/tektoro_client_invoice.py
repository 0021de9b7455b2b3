from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date

from ..tools.access import MANAGER_GROUP
from ..tools.values import check_values, optional

ACTIVE_STATES = ("draft", "sent", "paid")


class TektoroClientInvoice(models.Model):
    """What a client is billed for a period: one per client, made from approved tickets.

    Like master invoices, they claim tickets with one set-based UPDATE on the tickets' single
    ``client_invoice_id`` column; cancelling gives the tickets back.
    """

    _name = "tektoro.client.invoice"
    _description = "Client Invoice"
    _inherit = [
        "tektoro.ticket.bundle",
        "tektoro.made.by.code",
        "mail.thread",
        "mail.activity.mixin",
    ]
    _ticket_link_field = "client_invoice_id"
    _order = "date_to desc, id desc"
    _check_company_auto = True

    # Set by generation and the actions only.
    _LOCKED_FIELDS = frozenset(
        {
            "name",
            "client_id",
            "date_from",
            "date_to",
            "ticket_ids",
            "ticket_count",
            "amount_total",
            "company_id",
            "state",
            "sent_at",
            "paid_at",
            "cancelled_at",
        }
    )

    name = fields.Char(string="Number", readonly=True, copy=False, default="/", index="trigram")
    client_id = fields.Many2one(
        "res.partner",
        required=True,
        readonly=True,
        index=True,
        check_company=True,
        tracking=True,
    )
    date_from = fields.Date(string="From", required=True, readonly=True)
    date_to = fields.Date(string="To", required=True, readonly=True)
    ticket_ids = fields.One2many(
        "tektoro.ticket", "client_invoice_id", string="Tickets", readonly=True
    )
    state = fields.Selection(
        [("draft", "Draft"), ("sent", "Sent"), ("paid", "Paid"), ("cancelled", "Cancelled")],
        string="Status",
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    sent_at = fields.Datetime(readonly=True, copy=False)
    paid_at = fields.Datetime(readonly=True, copy=False)
    cancelled_at = fields.Datetime(readonly=True, copy=False)

    _sql_constraints = [
        ("period_ordered", "CHECK(date_to >= date_from)", "The period must end after it starts."),
    ]

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            # Who may not touch client invoices at all hears that, not how they are made.
            self.check_access("create")
            raise UserError(
                _("Client invoices are generated for a period, not created one by one.")
            )
        invoices = super().create(vals_list)
        sequence = self.env["ir.sequence"]
        for invoice in invoices:
            invoice.name = sequence.with_company(invoice.company_id).next_by_code(
                "tektoro.client.invoice"
            )
        return invoices

    def write(self, vals):
        if not self.env.su:
            check_values(self, vals)
            if self._LOCKED_FIELDS & set(vals):
                raise UserError(
                    _("Client invoices change through their actions (send, mark as paid, cancel).")
                )
            if "note" in vals:
                self._check_manager()
                for invoice in self:
                    if invoice.state not in ("draft", "sent"):
                        raise UserError(_("%s can no longer be changed.", invoice.name))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_draft_or_cancelled(self):
        for invoice in self:
            if invoice.state not in ("draft", "cancelled"):
                raise UserError(_("%s can't be deleted: cancel it instead.", invoice.name))
            if invoice.sent_at:
                # Its number is in the client's hands: it stays, cancelled, with its history.
                raise UserError(
                    _(
                        "%s was sent to the client, so it can't be deleted; it stays cancelled.",
                        invoice.name,
                    )
                )

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    @api.model
    @api.returns("self")
    def generate_for_period(self, date_from, date_to, client_ids=None):
        """One draft invoice per client, from approved tickets on no active client invoice."""
        self._check_manager()
        self.check_access("create")
        self.env["tektoro.master.invoice"]._check_period_values(date_from, date_to)
        client_ids = optional(client_ids)
        if client_ids is not None and (
            not isinstance(client_ids, (list, tuple))
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in client_ids)
        ):
            raise UserError(_("Clients must be given as a list of ids."))
        clients = self.env["res.partner"].browse(client_ids or [])
        clients.check_access("read")
        return self._do_generate(
            fields.Date.to_date(date_from), fields.Date.to_date(date_to), client_ids
        )

    def action_send(self):
        self._check_transition(("draft",), _("Only draft client invoices can be sent."))
        self._do_send()
        return True

    def action_send_by_email(self):
        """Open the email composer on the client's invoice email, the PDF attached.

        Sending it marks a draft invoice as sent, as "Mark as Sent" does (see ``message_post``).
        """
        self.ensure_one()
        self._check_transition(
            ("draft", "sent"), _("Only draft or sent client invoices can be emailed.")
        )
        if not self.client_id.email:
            raise UserError(
                _(
                    "%(client)s has no email address: add one to the contact, or print the "
                    "invoice and use Mark as Sent.",
                    client=self.client_id.display_name,
                )
            )
        template = self.env.ref("tektoro_invoicing.mail_template_client_invoice_send")
        return {
            "type": "ir.actions.act_window",
            "name": _("Send Invoice"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
                "force_email": True,
                "mark_client_invoice_as_sent": True,
            },
        }

    def action_mark_paid(self):
        self._check_transition(("sent",), _("Only sent client invoices can be marked as paid."))
        self._do_mark_paid()
        return True

    def action_cancel(self):
        self._check_transition(
            ("draft", "sent"),
            _("Only draft or sent client invoices can be cancelled; a paid one stays."),
        )
        self._do_cancel()
        return True

    def action_print(self):
        """The PDF document, named after the invoice number."""
        self.check_access("read")
        return self.env.ref("tektoro_invoicing.report_tektoro_client_invoice").report_action(self)

    def _dashboard_client_count(self, domain):
        """A client invoice bills its own client, tickets or not (a cancelled one has none)."""
        [(clients,)] = self._read_group(domain, [], ["client_id:count_distinct"])
        return clients

    # ------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------

    def _check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(_("Only TekToro managers can manage client invoices."))

    def _check_transition(self, from_states, message):
        self._check_manager()
        self.check_access("write")
        for invoice in self:
            if invoice.state not in from_states:
                raise UserError(
                    _("%(message)s (%(invoice)s)", message=message, invoice=invoice.name)
                )

    # ------------------------------------------------------------
    # Mutations
    # ------------------------------------------------------------

    def _do_send(self):
        self.sudo().write({"state": "sent", "sent_at": fields.Datetime.now()})

    def _do_mark_paid(self):
        self.sudo().write({"state": "paid", "paid_at": fields.Datetime.now()})

    def _do_generate(self, date_from, date_to, client_ids):
        Ticket = self.env["tektoro.ticket"]
        Ticket.flush_model()
        company = self.env.company
        ticket_scope = SQL(
            """
                 t.client_invoice_id IS NULL
             AND t.state = 'approved'
             AND t.company_id = %(company)s
             AND t.work_date BETWEEN %(date_from)s AND %(date_to)s
            """,
            company=company.id,
            date_from=date_from,
            date_to=date_to,
        )
        if client_ids:
            ticket_scope = SQL("%s AND t.client_id = ANY(%s)", ticket_scope, list(client_ids))
        rows = self.env.execute_query(
            SQL(
                "SELECT DISTINCT t.client_id FROM tektoro_ticket t WHERE %s ORDER BY 1",
                ticket_scope,
            )
        )
        if not rows:
            raise UserError(
                _(
                    "No approved ticket from %(date_from)s to %(date_to)s awaits a client invoice.",
                    date_from=format_date(self.env, date_from),
                    date_to=format_date(self.env, date_to),
                )
            )
        invoices = self.sudo().create(
            [
                {
                    "client_id": client_id,
                    "date_from": date_from,
                    "date_to": date_to,
                    "company_id": company.id,
                }
                for (client_id,) in rows
            ]
        )
        invoices.flush_recordset()
        claimed = self.env.execute_query(
            SQL(
                """
                UPDATE tektoro_ticket t
                   SET client_invoice_id = m.invoice_id
                  FROM unnest(%(clients)s::int[], %(invoices)s::int[]) AS m(client_id, invoice_id)
                 WHERE t.client_id = m.client_id AND %(scope)s
             RETURNING t.client_invoice_id
                """,
                clients=[invoice.client_id.id for invoice in invoices],
                invoices=invoices.ids,
                scope=ticket_scope,
            )
        )
        Ticket.invalidate_model(["client_invoice_id"])
        invoices.invalidate_recordset(["ticket_ids"])
        used = invoices.browse({invoice_id for (invoice_id,) in claimed})
        (invoices - used).unlink()
        used._update_totals()
        return used.with_env(self.env)

    def _do_cancel(self):
        """Release the tickets, to be invoiced again, and recount: the invoice then holds none,
        as its lines and total say; what it billed stays in its chatter (the total's tracking,
        the PDF sent by email)."""
        self.env["tektoro.ticket"].sudo().search([("client_invoice_id", "in", self.ids)]).write(
            {"client_invoice_id": False}
        )
        self.sudo().write({"state": "cancelled", "cancelled_at": fields.Datetime.now()})
        self._update_totals()

    # ------------------------------------------------------------
    # Mail
    # ------------------------------------------------------------

    def message_post(self, **kwargs):
        """An email sent from "Send by Email" marks the draft invoices it was sent on as sent."""
        if self.env.context.get("mark_client_invoice_as_sent"):
            drafts = self.filtered(lambda invoice: invoice.state == "draft")
            if drafts:
                drafts._check_transition(("draft",), _("Only draft client invoices can be sent."))
                drafts._do_send()
        return super().message_post(**kwargs)

    def _track_subtype(self, init_values):
        self.ensure_one()
        if "state" in init_values:
            subtype = {
                "sent": "tektoro_invoicing.mt_client_invoice_sent",
                "paid": "tektoro_invoicing.mt_client_invoice_paid",
                "cancelled": "tektoro_invoicing.mt_client_invoice_cancelled",
            }.get(self.state)
            if subtype:
                return self.env.ref(subtype)
        return super()._track_subtype(init_values)
