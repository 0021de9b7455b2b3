import numbers

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..tools.values import caller_values, check_values, optional


class TektoroWorkOrder(models.Model):
    _name = "tektoro.work.order"
    _description = "Work Order"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default=lambda self: _("New")
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, tracking=True, check_company=True
    )
    device_model_id = fields.Many2one(
        "tektoro.device.model", required=True, tracking=True, check_company=True
    )
    description = fields.Text()
    line_ids = fields.One2many(
        "tektoro.work.order.line", "work_order_id", string="Items", copy=True
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("in_progress", "In Progress"),
            ("completed", "Completed"),
            ("billed", "Billed"),
        ],
        string="Status",
        default="draft",
        required=True,
        tracking=True,
        copy=False,
        index=True,
    )
    invoice_ids = fields.One2many("tektoro.invoice", "work_order_id", string="Invoices")
    invoice_count = fields.Integer(compute="_compute_invoice_count")
    active_invoice_id = fields.Many2one(
        "tektoro.invoice",
        compute="_compute_active_invoice_id",
        help="The sent or paid invoice of this work order, if any.",
    )
    unit_cost = fields.Monetary(related="device_model_id.cost", string="Unit Price")
    amount_items = fields.Monetary(
        string="Items Subtotal", compute="_compute_amount_items", store=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    tektoro_invoices_enabled = fields.Boolean(related="company_id.tektoro_invoices_enabled")

    # ------------------------------------------------------------------ computes

    @api.depends("invoice_ids")
    def _compute_invoice_count(self):
        for work_order in self:
            work_order.invoice_count = len(work_order.invoice_ids)

    @api.depends("invoice_ids.state")
    def _compute_active_invoice_id(self):
        for work_order in self:
            work_order.active_invoice_id = work_order.invoice_ids.filtered(
                lambda invoice: invoice.state in ("sent", "paid")
            )[:1]

    @api.depends("line_ids.price_subtotal")
    def _compute_amount_items(self):
        for work_order in self:
            work_order.amount_items = sum(work_order.line_ids.mapped("price_subtotal"))

    @api.constrains("company_id")
    def _check_company_of_invoiced(self):
        """Its invoices are its company's: moved elsewhere, the work order would read billed
        there, by an invoice nobody there may read."""
        for work_order in self.sudo():
            if work_order.invoice_ids.company_id - work_order.company_id:
                raise ValidationError(
                    _(
                        "%s has been invoiced, so it stays in the company of its invoices.",
                        work_order.name,
                    )
                )

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = caller_values(self, vals_list)
        for vals in vals_list:
            check_values(self, vals, creating=True)
            # Any state but billed: work done elsewhere may be recorded as completed, but a work
            # order is billed by its invoice only.
            if vals.get("state") == "billed" and not self.env.su:
                raise UserError(
                    _(
                        "A work order is billed by creating its invoice: record it as completed, "
                        "then use Create Invoice."
                    )
                )
            if vals.get("name", _("New")) == _("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("tektoro.work.order") or _(
                    "New"
                )
        return super().create(vals_list)

    def write(self, vals):
        check_values(self, vals)
        if "state" in vals and not self.env.su:
            raise UserError(
                _(
                    "The state of a work order changes only through its buttons: Start, "
                    "Complete and Create Invoice."
                )
            )
        return super().write(vals)

    def _set_state(self, state):
        """Move the work orders on, as their actions do: the caller must be allowed to write them,
        and only this method writes the state (not a context key, which any RPC caller sets)."""
        self.check_access("write")
        return self.sudo().write({"state": state})

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        for work_order in self:
            if work_order.state != "draft" or work_order.sudo().invoice_ids:
                raise UserError(
                    _("Cannot delete %s: only draft work orders can be deleted.", work_order.name)
                )

    # ------------------------------------------------------------------ actions

    def action_start(self):
        self._check_state("draft", _("Only draft work orders can be started."))
        self._set_state("in_progress")
        return True

    def action_complete(self):
        self._check_state("in_progress", _("Only work orders in progress can be completed."))
        self._set_state("completed")
        return True

    def action_create_invoice(self, include_unit_price=True, tax_rate=None):
        """Snapshot this work order into a sent invoice and push it to the billing system.

        Returns the window action of the new invoice.
        """
        tax_rate = optional(tax_rate)
        self._check_can_create_invoice(include_unit_price, tax_rate)
        self._lock_for_invoicing()
        invoice = self.env["tektoro.invoice"]._create_from_work_order(
            self, include_unit_price, tax_rate
        )
        return invoice._get_form_action()

    def action_open_create_invoice_wizard(self):
        self._check_can_create_invoice()
        return {
            "type": "ir.actions.act_window",
            "name": _("Create Invoice"),
            "res_model": "tektoro.invoice.create.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_work_order_id": self.id},
        }

    def action_view_invoices(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "tektoro_invoicing.tektoro_invoice_action"
        )
        action["domain"] = [("work_order_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------------ guards

    def _check_state(self, state, message):
        self.check_access("write")
        for work_order in self:
            if work_order.state != state:
                raise UserError(_("%(name)s: %(reason)s", name=work_order.name, reason=message))

    def _check_can_create_invoice(self, include_unit_price=True, tax_rate=None):
        if len(self) != 1:
            raise UserError(_("Create invoices one work order at a time."))
        if not self.env.user.has_group("tektoro_invoicing.group_office"):
            raise AccessError(_("Only office users can create work-order invoices."))
        self.check_access("write")
        if not self.company_id.tektoro_invoices_enabled:
            raise UserError(
                _(
                    "Work-order invoices are turned off for %s. "
                    "A manager can turn them on in TekToro > Configuration > Settings.",
                    self.company_id.name,
                )
            )
        if self.state not in ("completed", "billed"):
            raise UserError(
                _("Cannot invoice %s: only completed work orders can be invoiced.", self.name)
            )
        active = self.sudo().active_invoice_id
        if active:
            raise UserError(
                _(
                    "%(work_order)s already has the active invoice %(invoice)s. "
                    "Cancel it first to invoice the work order again.",
                    work_order=self.name,
                    invoice=active.name,
                )
            )
        if not isinstance(include_unit_price, bool):
            raise UserError(_("Include unit price must be true or false."))
        if tax_rate is not None and (
            isinstance(tax_rate, bool)
            or not isinstance(tax_rate, numbers.Real)
            or not 0 <= tax_rate <= 100
        ):
            raise UserError(_("The tax rate must be a number between 0 and 100 percent."))
        if not include_unit_price and not self.line_ids:
            raise UserError(
                _(
                    "Nothing to invoice on %s: it has no items and the unit price is excluded.",
                    self.name,
                )
            )

    def _lock_for_invoicing(self):
        """Make a second request invoicing the same work order wait for this one to finish.

        It then fails with a serialization error, and Odoo's retry of it sees this invoice.
        """
        self.env.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE id IN %s FOR NO KEY UPDATE",
                SQL.identifier(self._table),
                tuple(self.ids),
            )
        )
