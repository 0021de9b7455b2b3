import re
import unicodedata

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date

from ..tools.access import MANAGER_GROUP
from ..tools.actions import CLOSE_DIALOG, notification
from ..tools.values import MAX_TEXT, caller_values, check_values, to_date

APPROVAL_ACTIVITY = "tektoro_invoicing.mail_act_master_invoice_approval"
EDITABLE_STATES = ("draft", "rejected")
# Subtypes whose messages tell the contractor what happened to their invoice: the contractor gets
# them in the Odoo inbox whatever their notification preference, the email goes out separately.
CONTRACTOR_SUBTYPES = (
    "tektoro_invoicing.mt_master_invoice_approved",
    "tektoro_invoicing.mt_master_invoice_rejected",
    "tektoro_invoicing.mt_master_invoice_paid",
)


def contractor_initials(name):
    """`John Doe` -> `JD`: the first letter of each word, in plain capitals."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", ascii_name)
    return "".join(word[0] for word in words[:4]).upper() or "X"


class TektoroMasterInvoice(models.Model):
    """A contractor's request for payment: every approved, unbundled ticket of a period.

    Bundling and un-bundling are set-based SQL on the tickets' single ``master_invoice_id`` column,
    so a ticket is on at most one master invoice and building one costs the same number of queries
    whatever the number of tickets.
    """

    _name = "tektoro.master.invoice"
    _description = "Contractor Master Invoice"
    _inherit = ["tektoro.ticket.bundle", "mail.thread", "mail.activity.mixin"]
    _ticket_link_field = "master_invoice_id"
    _order = "date_to desc, id desc"
    _check_company_auto = True

    # Set by the workflow only, never by a caller of create() or write().
    _WORKFLOW_FIELDS = frozenset(
        {
            "name",
            "state",
            "ticket_ids",
            "removed_ticket_ids",
            "ticket_count",
            "client_count",
            "amount_total",
            "submitted_at",
            "approved_at",
            "approver_id",
            "approval_message",
            "rejected_at",
            "rejection_message",
            "paid_at",
        }
    )
    # Chosen when the invoice is created: the bundle follows from them.
    _CREATION_FIELDS = frozenset(
        {"contractor_id", "date_from", "date_to", "client_id", "company_id"}
    )

    # No placeholder: two invoices of one contractor created in one call would share it, against
    # the unique number. The number is set in the same create().
    name = fields.Char(string="Number", readonly=True, copy=False, index="trigram")
    contractor_id = fields.Many2one(
        "res.users",
        required=True,
        index=True,
        readonly=True,
        default=lambda self: self.env.user,
        check_company=True,
        tracking=True,
    )
    date_from = fields.Date(string="From", required=True, readonly=True)
    date_to = fields.Date(string="To", required=True, readonly=True)
    client_id = fields.Many2one(
        "res.partner",
        string="Client Filter",
        readonly=True,
        check_company=True,
        tracking=True,
        help="Bundle only this client's tickets. Leave empty for all clients.",
    )
    ticket_ids = fields.One2many(
        "tektoro.ticket", "master_invoice_id", string="Tickets", readonly=True
    )
    client_count = fields.Integer(readonly=True, copy=False, aggregator=None)
    removed_ticket_ids = fields.Many2many(
        "tektoro.ticket",
        "tektoro_master_invoice_removed_ticket_rel",
        "master_invoice_id",
        "ticket_id",
        string="Removed Tickets",
        readonly=True,
        copy=False,
        help="Tickets taken off this invoice. Add New Tickets leaves them out; another invoice "
        "can bundle them.",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("submitted", "Submitted"),
            # Before Approved: a rejected invoice's status bar must not read as approved first.
            ("rejected", "Rejected"),
            ("approved", "Approved"),
            ("paid", "Paid"),
        ],
        string="Status",
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    # Not tracked: the state's tracking already says when it was submitted.
    submitted_at = fields.Datetime(readonly=True, copy=False)
    approved_at = fields.Datetime(readonly=True, copy=False)
    approver_id = fields.Many2one(
        "res.users", string="Approved By", readonly=True, copy=False, tracking=True
    )
    approval_message = fields.Text(readonly=True, copy=False)
    rejected_at = fields.Datetime(readonly=True, copy=False)
    rejection_message = fields.Text(readonly=True, copy=False, tracking=True)
    paid_at = fields.Datetime(readonly=True, copy=False)

    _sql_constraints = [
        (
            "number_unique_per_contractor",
            "UNIQUE(contractor_id, name)",
            "A contractor's master invoice numbers must be unique.",
        ),
        ("period_ordered", "CHECK(date_to >= date_from)", "The period must end after it starts."),
    ]

    # ------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for invoice in self:
            self._check_period_values(invoice.date_from, invoice.date_to)

    @api.model
    def _check_period_values(self, date_from, date_to):
        if not date_from or not date_to:
            raise ValidationError(_("Choose both the start and the end of the period."))
        date_from = to_date(self.env, date_from, _("The start of the period"))
        date_to = to_date(self.env, date_to, _("The end of the period"))
        if date_to < date_from:
            raise ValidationError(
                _(
                    "The period ends (%(date_to)s) before it starts (%(date_from)s).",
                    date_from=format_date(self.env, date_from),
                    date_to=format_date(self.env, date_to),
                )
            )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        is_manager = self.env.user.has_group(MANAGER_GROUP)
        vals_list = caller_values(self, vals_list)
        for vals in vals_list:
            if not self.env.su:
                check_values(self, vals)
                self._refuse_workflow_fields(vals)
            vals.setdefault("contractor_id", self.env.uid)
            if not (is_manager or self.env.su) and vals["contractor_id"] != self.env.uid:
                raise AccessError(_("You can only create master invoices for yourself."))
            # Checked before anything is written so the message is the period's, not SQL's.
            self._check_period_values(vals.get("date_from"), vals.get("date_to"))
        invoices = super().create(vals_list)
        invoices._do_assign_numbers()
        claimed = invoices._do_claim_tickets()
        for invoice in invoices:
            count, amount, clients = claimed[invoice.id]
            if not count:
                raise UserError(invoice._nothing_to_bundle_message())
            # A new invoice holds exactly what it claimed: no need to read the tickets back.
            invoice.sudo().write(
                {"ticket_count": count, "amount_total": amount, "client_count": clients}
            )
        return invoices

    def write(self, vals):
        if not self.env.su:
            check_values(self, vals)
            vals = self._remove_unlinked_tickets(vals)
            if not vals:
                return True
            self._refuse_workflow_fields(vals)
            set_once = self._CREATION_FIELDS & set(vals)
            if set_once:
                raise UserError(
                    _(
                        "The contractor, period and client filter are chosen when the invoice is "
                        "created; create another invoice for another period."
                    )
                )
            if "note" in vals:
                self._check_editable_by_caller()
        return super().write(vals)

    def _remove_unlinked_tickets(self, vals):
        """Take off the tickets that ``ticket_ids`` unlinks, and return the other values.

        ``Command.unlink``, or ``Command.set`` of some of the invoice's tickets, is how a caller
        of the ORM removes tickets from an invoice: it does what the tickets' "Remove" button
        does, under the same rules. Any other ticket command stays refused: tickets join an
        invoice by bundling only.
        """
        commands = vals.get("ticket_ids")
        if not isinstance(commands, (list, tuple)) or not commands:
            return vals
        if _is_unlink_only(commands):
            tickets = self.env["tektoro.ticket"].browse(command[1] for command in commands)
        elif len(self) == 1 and _is_set_within(commands, self.ticket_ids):
            tickets = self.ticket_ids - self.env["tektoro.ticket"].browse(commands[0][2])
        else:
            return vals
        # Read rights first: the message must not name tickets the caller may not see.
        tickets.check_access("read")
        strangers = tickets.filtered(lambda ticket: ticket.master_invoice_id not in self)
        if strangers:
            raise UserError(
                _(
                    "%(tickets)s can't be removed: not on %(invoices)s.",
                    tickets=", ".join(strangers.mapped("name")),
                    invoices=", ".join(self.mapped("name")),
                )
            )
        tickets.action_remove_from_master_invoice()
        return {name: value for name, value in vals.items() if name != "ticket_ids"}

    def _refuse_workflow_fields(self, vals):
        refused = sorted(self._WORKFLOW_FIELDS & set(vals))
        if refused:
            raise UserError(
                _(
                    "%(fields)s can't be set directly: they follow from the tickets and the "
                    "invoice's actions (submit, approve, reject, mark as paid).",
                    fields=", ".join(refused),
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_draft(self):
        for invoice in self:
            if invoice.state != "draft":
                raise UserError(
                    _("Only draft invoices can be deleted; %s is not a draft.", invoice.name)
                )

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_refresh_tickets(self):
        """Add the tickets approved since the invoice was built (same period and client), but
        not those taken off it."""
        self._check_editable_by_caller()
        added = sum(count for count, _amount, _clients in self._do_claim_tickets().values())
        self._update_totals()
        if not added:
            message = _("No newly approved ticket to add.")
        else:
            message = _("%s ticket(s) added.", added)
        return notification(message, "success" if added else "info", CLOSE_DIALOG)

    def action_submit(self):
        self._check_editable_by_caller()
        for invoice in self:
            if not invoice.ticket_count:
                raise UserError(
                    _("%s has no tickets: add tickets before submitting it.", invoice.name)
                )
        self._do_submit()
        return True

    def action_approve(self, message=None):
        self._check_review_message(message, required=False)
        self._check_reviewable_by_caller()
        self._do_approve(message)
        return True

    def action_reject(self, message=None):
        self._check_review_message(message, required=True)
        self._check_reviewable_by_caller()
        self._do_reject(message.strip())
        return True

    def action_mark_paid(self):
        self._check_manager()
        self.check_access("write")
        for invoice in self:
            if invoice.state != "approved":
                raise UserError(
                    _(
                        "Only approved invoices can be marked as paid; %s is not approved.",
                        invoice.name,
                    )
                )
        self._do_mark_paid()
        return True

    def action_print(self):
        """The PDF document, named after the invoice number."""
        self.check_access("read")
        return self.env.ref("tektoro_invoicing.report_tektoro_master_invoice").report_action(self)

    def action_open_review_wizard(self):
        """Open the approve or reject dialog (``review_decision`` in the context)."""
        decision = self.env.context.get("review_decision")
        if decision not in ("approve", "reject"):
            raise UserError(_("Choose whether to approve or reject."))
        self._check_reviewable_by_caller()
        approve = decision == "approve"
        if len(self) == 1:
            title = _("Approve %s", self.name) if approve else _("Reject %s", self.name)
        else:
            title = _("Approve Invoices") if approve else _("Reject Invoices")
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": "tektoro.master.invoice.review.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_master_invoice_ids": self.ids,
                "default_decision": decision,
            },
        }

    def _dashboard_client_count(self, domain):
        """A master invoice bills the clients of its tickets."""
        [(clients,)] = self.env["tektoro.ticket"]._read_group(
            [("master_invoice_id", "in", self._search(domain))], [], ["client_id:count_distinct"]
        )
        return clients

    # ------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------

    def _check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                _("Only TekToro managers can approve, reject or pay master invoices.")
            )

    def _check_editable_by_caller(self):
        self.check_access("write")
        is_manager = self.env.user.has_group(MANAGER_GROUP)
        for invoice in self:
            if invoice.contractor_id != self.env.user and not is_manager:
                raise AccessError(_("Only %s can change this invoice.", invoice.contractor_id.name))
            if invoice.state not in EDITABLE_STATES:
                raise UserError(
                    _(
                        "%(invoice)s is %(state)s and can no longer be changed.",
                        invoice=invoice.name,
                        state=invoice._state_label(),
                    )
                )

    def _check_reviewable_by_caller(self):
        self._check_manager()
        self.check_access("write")
        for invoice in self:
            if invoice.contractor_id == self.env.user:
                raise UserError(_("You can't review your own invoice %s.", invoice.name))
            if invoice.state != "submitted":
                raise UserError(
                    _(
                        "Only submitted invoices can be reviewed; %(invoice)s is %(state)s.",
                        invoice=invoice.name,
                        state=invoice._state_label(),
                    )
                )

    @api.model
    def _check_review_message(self, message, required):
        if required and not (isinstance(message, str) and message.strip()):
            raise UserError(_("Say why the invoice is rejected: the message is required."))
        if message in (None, False):
            return
        if not isinstance(message, str):
            raise UserError(_("The message to the contractor must be text."))
        if len(message) > MAX_TEXT:
            raise UserError(
                _("The message to the contractor is too long: at most %s characters.", MAX_TEXT)
            )

    def _state_label(self):
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _nothing_to_bundle_message(self):
        dates = {
            "contractor": self.contractor_id.name,
            "date_from": format_date(self.env, self.date_from),
            "date_to": format_date(self.env, self.date_to),
        }
        if self.client_id:
            return _(
                "%(contractor)s has no approved ticket for %(client)s waiting for a master "
                "invoice from %(date_from)s to %(date_to)s.",
                client=self.client_id.display_name,
                **dates,
            )
        return _(
            "%(contractor)s has no approved ticket waiting for a master invoice from "
            "%(date_from)s to %(date_to)s.",
            **dates,
        )

    # ------------------------------------------------------------
    # Mutations
    # ------------------------------------------------------------

    def _do_assign_numbers(self):
        """Number each invoice from its contractor's counter row.

        The upsert locks the counter row until the transaction ends: two invoices of one contractor
        built at once take turns, and a rolled-back build gives its number back.
        """
        for invoice in self:
            [(number,)] = self.env.execute_query(
                SQL(
                    """
                    INSERT INTO tektoro_master_invoice_counter (contractor_id, last_number)
                         VALUES (%(contractor)s, 1)
                    ON CONFLICT (contractor_id) DO UPDATE
                            SET last_number = tektoro_master_invoice_counter.last_number + 1
                      RETURNING last_number
                    """,
                    contractor=invoice.contractor_id.id,
                )
            )
            initials = contractor_initials(invoice.contractor_id.name)
            invoice.sudo().name = f"{initials}-MINV-{number:03d}"

    def _do_claim_tickets(self):
        """Attach every approved, unbundled ticket of each invoice's period in one UPDATE.

        Returns, per invoice id, the count, amount and distinct clients of the tickets it took,
        added up by the same statement as it claims them.

        The UPDATE locks the rows it claims and only takes tickets whose column is still NULL: a
        concurrent build waits for ours, then finds the rows changed and fails with a
        serialization error (replayed by Odoo's RPC layer, and then finds nothing left). It sets
        nothing but the link: write_uid would cost a foreign-key check per ticket.
        """
        Ticket = self.env["tektoro.ticket"]
        Ticket.flush_model()
        self.flush_recordset()
        claimed = {}
        for invoice in self:
            client_clause = (
                SQL("AND client_id = %s", invoice.client_id.id) if invoice.client_id else SQL()
            )
            removed = invoice.sudo().removed_ticket_ids  # all of them, whoever may read which
            removed_clause = SQL("AND id NOT IN %s", tuple(removed.ids)) if removed else SQL()
            [totals] = self.env.execute_query(
                SQL(
                    """
                    WITH claimed AS (
                        UPDATE tektoro_ticket
                           SET master_invoice_id = %(invoice)s
                         WHERE master_invoice_id IS NULL
                           AND state = 'approved'
                           AND contractor_id = %(contractor)s
                           AND company_id = %(company)s
                           AND work_date BETWEEN %(date_from)s AND %(date_to)s
                           %(client_clause)s
                           %(removed_clause)s
                     RETURNING amount, client_id
                    )
                    SELECT count(*), coalesce(sum(amount), 0), count(DISTINCT client_id)
                      FROM claimed
                    """,
                    invoice=invoice.id,
                    contractor=invoice.contractor_id.id,
                    company=invoice.company_id.id,
                    date_from=invoice.date_from,
                    date_to=invoice.date_to,
                    client_clause=client_clause,
                    removed_clause=removed_clause,
                )
            )
            claimed[invoice.id] = totals
        Ticket.invalidate_model(["master_invoice_id"])
        self.invalidate_recordset(["ticket_ids"])
        return claimed

    def _do_submit(self):
        self.sudo().write({"state": "submitted", "submitted_at": fields.Datetime.now()})
        self._do_schedule_approval()

    def _do_approve(self, message):
        self.sudo().write(
            {
                "state": "approved",
                "approved_at": fields.Datetime.now(),
                "approver_id": self.env.uid,
                "approval_message": (message or "").strip() or False,
            }
        )
        self._do_close_approval(feedback=message)
        self._do_notify_contractor("approved")

    def _do_reject(self, message):
        self.sudo().write(
            {
                "state": "rejected",
                "rejected_at": fields.Datetime.now(),
                "rejection_message": message,
            }
        )
        self._do_close_approval(feedback=message)
        self._do_notify_contractor("rejected")

    def _do_mark_paid(self):
        self.sudo().write({"state": "paid", "paid_at": fields.Datetime.now()})
        self._do_notify_contractor("paid")

    def _do_schedule_approval(self):
        managers = (
            self.env.ref(MANAGER_GROUP).sudo().users.filtered(lambda u: u.active and not u.share)
        )
        for invoice in self.sudo():
            reviewers = managers.filtered(
                lambda u, inv=invoice: u != inv.contractor_id and inv.company_id in u.company_ids
            )
            for reviewer in reviewers:
                invoice.activity_schedule(
                    APPROVAL_ACTIVITY,
                    user_id=reviewer.id,
                    summary=_("Review %s", invoice.name),
                )

    def _do_close_approval(self, feedback=None):
        """The reviewer's own activity is done; the other reviewers' are no longer needed."""
        invoices = self.sudo()
        invoices.activity_feedback(
            [APPROVAL_ACTIVITY], user_id=self.env.uid, feedback=feedback or None
        )
        invoices.activity_unlink([APPROVAL_ACTIVITY])

    def _do_notify_contractor(self, event):
        """Post the event's template on the invoice for the contractor's inbox, and email it."""
        template = self.env.ref(f"tektoro_invoicing.mail_template_master_invoice_{event}").sudo()
        for invoice in self.sudo():
            invoice.message_post_with_source(
                template,
                subtype_xmlid=f"tektoro_invoicing.mt_master_invoice_{event}",
                partner_ids=invoice.contractor_id.partner_id.ids,
            )
            # The email goes to the contractor only: a user notification, as Odoo's message_notify
            # makes, stays out of the chatter, which already shows the post above.
            template.send_mail(
                invoice.id,
                email_layout_xmlid="mail.mail_notification_light",
                email_values={"message_type": "user_notification"},
            )

    # ------------------------------------------------------------
    # Mail
    # ------------------------------------------------------------

    def _track_subtype(self, init_values):
        self.ensure_one()
        if "state" in init_values:
            subtype = {
                "submitted": "tektoro_invoicing.mt_master_invoice_submitted",
                "approved": "tektoro_invoicing.mt_master_invoice_approved",
                "rejected": "tektoro_invoicing.mt_master_invoice_rejected",
                "paid": "tektoro_invoicing.mt_master_invoice_paid",
            }.get(self.state)
            if subtype:
                return self.env.ref(subtype)
        return super()._track_subtype(init_values)

    def _notify_get_recipients(self, message, msg_vals, **kwargs):
        recipients = super()._notify_get_recipients(message, msg_vals, **kwargs)
        subtype_id = msg_vals.get("subtype_id") if msg_vals else message.sudo().subtype_id.id
        contractor_subtypes = {
            self.env["ir.model.data"]._xmlid_to_res_id(xmlid) for xmlid in CONTRACTOR_SUBTYPES
        }
        if subtype_id in contractor_subtypes:
            contractor_partner = self.contractor_id.partner_id.id
            for recipient in recipients:
                if recipient["id"] == contractor_partner:
                    recipient["notif"] = "inbox"
        return recipients


def _is_unlink_only(commands):
    """Only ``Command.unlink``s (``check_values`` has checked each command's shape and ids)."""
    return all(
        isinstance(command, (list, tuple)) and command[0] == Command.UNLINK for command in commands
    )


def _is_set_within(commands, tickets):
    """One ``Command.set`` keeping some or all of ``tickets`` and adding none."""
    if len(commands) != 1:
        return False
    command = commands[0]
    return (
        isinstance(command, (list, tuple))
        and command[0] == Command.SET
        and set(command[2]) <= set(tickets.ids)
    )
