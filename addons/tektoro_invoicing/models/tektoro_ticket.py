from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..tools.access import MANAGER_GROUP
from ..tools.values import caller_values, check_values


class TektoroTicket(models.Model):
    """A contractor's unit of billable work, bundled later into master and client invoices.

    The links to invoices are written only by the bundling code (set-based SQL under the
    superuser), never by a caller: a single many2one per kind of invoice is what guarantees that a
    ticket is never on two of them.
    """

    _name = "tektoro.ticket"
    _inherit = ["mail.thread"]
    _description = "Contractor Ticket"
    _order = "work_date desc, id desc"
    _check_company_auto = True

    # Written by the invoices' bundling code only.
    _BUNDLE_FIELDS = frozenset({"master_invoice_id", "client_invoice_id"})
    # What an approved ticket freezes.
    _WORK_FIELDS = frozenset(
        {"contractor_id", "client_id", "work_date", "description", "hours", "amount", "company_id"}
    )

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default=lambda self: _("New")
    )
    contractor_id = fields.Many2one(
        "res.users",
        required=True,
        index=True,
        default=lambda self: self.env.user,
        check_company=True,
        domain="[('share', '=', False)]",
    )
    client_id = fields.Many2one(
        "res.partner", required=True, index=True, check_company=True, tracking=True
    )
    work_date = fields.Date(required=True, default=fields.Date.context_today)
    description = fields.Char(required=True)
    hours = fields.Float(digits=(16, 2), tracking=True)
    amount = fields.Monetary(currency_field="currency_id", tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id", store=True)
    state = fields.Selection(
        [("draft", "Draft"), ("approved", "Approved")],
        string="Status",
        default="draft",
        required=True,
        copy=False,
        readonly=True,
        tracking=True,
    )
    master_invoice_id = fields.Many2one(
        "tektoro.master.invoice",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        check_company=True,
    )
    client_invoice_id = fields.Many2one(
        "tektoro.client.invoice",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        check_company=True,
    )

    # Bundling rewrites thousands of ticket rows at once, and every index on the table is paid for
    # on every rewritten row: the table keeps only the indexes its lookups need. The invoice links
    # index only the tickets that have one, so a ticket joining its first invoice adds no entry to
    # the other link's index. Unbundled approved tickets, the ones bundling looks for, have a
    # partial index that claimed rows simply leave.
    _sql_constraints = [
        # The bundling code only claims approved tickets; this keeps the database honest too.
        (
            "bundled_tickets_are_approved",
            "CHECK(state = 'approved' OR num_nulls(master_invoice_id, client_invoice_id) = 2)",
            "Only approved tickets can be on an invoice.",
        ),
    ]

    def init(self):
        self.env.cr.execute(
            SQL(
                """
                CREATE INDEX IF NOT EXISTS tektoro_ticket_unbundled_index
                    ON tektoro_ticket (contractor_id, work_date)
                 WHERE state = 'approved' AND master_invoice_id IS NULL
                """
            )
        )

    # ------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------

    @api.constrains("hours", "amount")
    def _check_not_negative(self):
        for ticket in self:
            if ticket.hours < 0:
                raise ValidationError(
                    _("The hours of ticket %(ticket)s can't be negative.", ticket=ticket.name)
                )
            if ticket.amount < 0:
                raise ValidationError(
                    _("The amount of ticket %(ticket)s can't be negative.", ticket=ticket.name)
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = caller_values(self, vals_list)
        if not self.env.su:
            for vals in vals_list:
                check_values(self, vals, creating=True)
                self._check_caller_vals(vals, creating=True)
        sequence = self.env["ir.sequence"].sudo()
        for vals in vals_list:
            if vals.get("name", "/") in ("/", _("New")):
                vals["name"] = sequence.next_by_code("tektoro.ticket") or "/"
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            check_values(self, vals)
            vals = self._leave_master_invoice(vals)
            if not vals:
                return True
            self._check_caller_vals(vals)
            if self._WORK_FIELDS & set(vals):
                for ticket in self:
                    if ticket.state == "approved":
                        raise UserError(
                            _("Ticket %s is approved and can no longer be changed.", ticket.name)
                        )
        if "contractor_id" not in vals:
            return super().write(vals)
        previous_contractors = self.grouped("contractor_id")
        result = super().write(vals)
        # Tickets no longer theirs: their discussion no longer reaches them.
        for contractor, tickets in previous_contractors.items():
            given_away = tickets.filtered(lambda ticket, c=contractor: ticket.contractor_id != c)
            given_away.sudo().message_unsubscribe(partner_ids=contractor.partner_id.ids)
        return result

    def _message_auto_subscribe_followers(self, updated_values, default_subtype_ids):
        """The contractor follows their tickets, whoever records them."""
        followers = super()._message_auto_subscribe_followers(updated_values, default_subtype_ids)
        contractor = self.env["res.users"].sudo().browse(updated_values.get("contractor_id"))
        if contractor:
            followers.append((contractor.partner_id.id, default_subtype_ids, False))
        return followers

    def _leave_master_invoice(self, vals):
        """Take the tickets off their master invoice for ``master_invoice_id: False``, and
        return the other values.

        It is how a caller of the ORM removes tickets from the ticket's side: it does what the
        "Remove" button does, under the same rules. Any other invoice stays refused: tickets
        join an invoice by bundling only.
        """
        if "master_invoice_id" not in vals or vals["master_invoice_id"]:
            return vals
        self.action_remove_from_master_invoice()
        return {name: value for name, value in vals.items() if name != "master_invoice_id"}

    def _check_caller_vals(self, vals, creating=False):
        """Refuse what only the workflow may set, whoever calls create() or write()."""
        if self._BUNDLE_FIELDS & set(vals):
            raise UserError(
                _("Tickets join and leave invoices through the invoices' own actions only.")
            )
        # The reference comes from the sequence; on create, its placeholder may be sent.
        if "name" in vals and not (creating and vals["name"] in ("/", _("New"))):
            raise UserError(
                _(
                    "The reference of a ticket can't be set: it is given when the ticket is "
                    "recorded."
                )
            )
        if "state" in vals and vals["state"] != "draft":
            raise UserError(_("Tickets are approved with the Approve action only."))
        if "contractor_id" in vals and not self.env.user.has_group(MANAGER_GROUP):
            if vals["contractor_id"] != self.env.uid:
                raise AccessError(_("You can only record tickets for yourself."))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_approved(self):
        for ticket in self:
            if ticket.state == "approved":
                raise UserError(_("Ticket %s is approved and can't be deleted.", ticket.name))

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_approve(self):
        self._check_manager()
        self.check_access("write")
        for ticket in self:
            if ticket.state != "draft":
                raise UserError(_("Ticket %s is already approved.", ticket.name))
            if ticket.contractor_id == self.env.user:
                raise UserError(_("You can't approve your own ticket %s.", ticket.name))
        self._do_set_state("approved")
        return True

    def action_reset_to_draft(self):
        self._check_manager()
        self.check_access("write")
        for ticket in self:
            if ticket.state != "approved":
                raise UserError(_("Ticket %s is not approved.", ticket.name))
            if ticket.master_invoice_id or ticket.client_invoice_id:
                raise UserError(
                    _("Ticket %s is on an invoice: remove it from the invoice first.", ticket.name)
                )
        self._do_set_state("draft")
        # Approved again later, it is a new ticket to the invoices it was taken off.
        self.env["tektoro.master.invoice"].sudo().search(
            [("removed_ticket_ids", "in", self.ids)]
        ).write({"removed_ticket_ids": [Command.unlink(ticket.id) for ticket in self]})
        return True

    def action_remove_from_master_invoice(self):
        """Take tickets off their master invoice while it is still being prepared."""
        invoices = self.master_invoice_id
        if not invoices:
            return True
        invoices._check_editable_by_caller()
        self.check_access("read")
        self.env["tektoro.ticket"].flush_model(["master_invoice_id"])
        for invoice in invoices.sudo():
            # Remembered, so that Add New Tickets does not bring them straight back.
            taken_off = self.filtered(lambda ticket, of=invoice: ticket.master_invoice_id == of)
            invoice.removed_ticket_ids = [Command.link(ticket.id) for ticket in taken_off]
        self.sudo()._do_unlink_master_invoice()
        invoices._update_totals()
        return True

    # ------------------------------------------------------------
    # Private
    # ------------------------------------------------------------

    def _check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(_("Only TekToro managers can do this."))

    def _do_set_state(self, state):
        self.sudo().write({"state": state})

    def _do_unlink_master_invoice(self):
        self.sudo().write({"master_invoice_id": False})
