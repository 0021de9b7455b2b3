import logging

import psycopg2.errors
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.service.model import MAX_TRIES_ON_CONCURRENCY_FAILURE, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, OrderedSet, float_round
from odoo.tools.sql import index_exists

from ..tools.actions import RELOAD_VIEW, notification
from ..tools.billing_client import BillingConflict, BillingError

_logger = logging.getLogger(__name__)

ACTIVE_INVOICE_INDEX = "tektoro_invoice_one_active_per_work_order"
ACTIVE_STATES = ("sent", "paid")
# Billing states in which the billing system may or may not have the invoice yet.
UNRESOLVED_BILLING_STATES = ("pending", "failed", "unknown")
# Post-commit data of a request: the ids of the invoices it created, pushed once it commits.
PUSH_AFTER_COMMIT = "tektoro_invoicing.invoices_to_push"


class TektoroInvoice(models.Model):
    _name = "tektoro.invoice"
    _description = "Work-Order Invoice"
    _inherit = ["mail.thread", "tektoro.made.by.code"]
    # Invoices are written only by their own actions; reading one is enough to discuss it.
    _mail_post_access = "read"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="Number", required=True, readonly=True, copy=False, index=True)
    work_order_id = fields.Many2one(
        "tektoro.work.order",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, tracking=True
    )
    invoice_date = fields.Date(string="Issued On", required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    include_unit_price = fields.Boolean(readonly=True)
    device_model_name = fields.Char(string="Device Model", readonly=True)
    unit_subtotal = fields.Monetary(readonly=True)
    items_subtotal = fields.Monetary(readonly=True)
    tax_rate = fields.Float(string="Tax Rate (%)", digits=(16, 4), readonly=True)
    tax_amount = fields.Monetary(string="Tax", readonly=True)
    amount_total = fields.Monetary(string="Total", readonly=True, tracking=True)
    line_ids = fields.One2many("tektoro.invoice.line", "invoice_id", string="Items", readonly=True)
    state = fields.Selection(
        [("sent", "Sent"), ("paid", "Paid"), ("cancelled", "Cancelled")],
        string="Status",
        default="sent",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
        index=True,
    )
    paid_at = fields.Datetime(readonly=True, copy=False)
    cancelled_at = fields.Datetime(readonly=True, copy=False)
    billing_id = fields.Char(string="Billing System ID", readonly=True, copy=False, index=True)
    billing_state = fields.Selection(
        [
            ("local", "Local"),
            ("pending", "Pending"),
            ("synced", "Synced"),
            ("failed", "Failed"),
            ("unknown", "Unknown"),
        ],
        default="local",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
        index=True,
        help="Local: no billing system is configured. Failed: the billing system refused the "
        "invoice or could not be reached. Unknown: its answer did not come through, so it may "
        "have the invoice; Retry looks it up before pushing again.",
    )
    billing_error = fields.Text(readonly=True, copy=False)
    billing_key = fields.Char(
        string="Idempotency Key",
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="Sent with every push of this invoice, so the billing system makes it only once.",
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    tektoro_invoices_enabled = fields.Boolean(related="company_id.tektoro_invoices_enabled")

    _sql_constraints = [
        (
            "name_company_uniq",
            "UNIQUE (company_id, name)",
            "Work-order invoice numbers must be unique per company.",
        ),
        (
            "cancelled_at_when_cancelled",
            "CHECK ((state = 'cancelled') = (cancelled_at IS NOT NULL))",
            "A cancelled invoice records when it was cancelled, and only a cancelled one does.",
        ),
    ]

    def init(self):
        """At most one active invoice per work order, whoever writes and however many at once.

        Every company gets its invoice sequence now, not from its first invoice (see
        ``res.company._tektoro_invoice_sequence``).
        """
        self.env["res.company"].with_context(active_test=False).search(
            []
        )._tektoro_invoice_sequence()
        if not index_exists(self.env.cr, ACTIVE_INVOICE_INDEX):
            self.env.cr.execute(
                SQL(
                    "CREATE UNIQUE INDEX %s ON %s (work_order_id) WHERE state IN %s",
                    SQL.identifier(ACTIVE_INVOICE_INDEX),
                    SQL.identifier(self._table),
                    ACTIVE_STATES,
                )
            )

    # ------------------------------------------------------------------ CRUD

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("Invoices are never deleted: cancel them instead."))

    # ------------------------------------------------------------------ actions

    def action_cancel(self):
        """Cancel in the billing system first; only when that succeeded, here."""
        self._check_office_action()
        if len(self) != 1:
            raise UserError(_("Cancel invoices one at a time."))
        if self.state == "paid":
            raise UserError(
                _(
                    "Cannot cancel %s: it is paid. Reverse the payment in the accounting "
                    "system first.",
                    self.name,
                )
            )
        if self.state == "cancelled":
            raise UserError(_("%s is already cancelled.", self.name))
        self._cancel_in_billing_system()
        self._do_cancel()
        return True

    def action_retry_push(self):
        """Settle failed or unknown pushes, never making a second external invoice."""
        self._check_office_action()
        for invoice in self:
            if invoice.state != "sent" or invoice.billing_state not in UNRESOLVED_BILLING_STATES:
                raise UserError(
                    _(
                        "%(invoice)s has nothing to retry: it is %(state)s and %(billing_state)s.",
                        invoice=invoice.name,
                        state=dict(self._fields["state"].selection)[invoice.state],
                        billing_state=dict(self._fields["billing_state"].selection)[
                            invoice.billing_state
                        ],
                    )
                )
        self._billing_push()
        pending = self.filtered(lambda invoice: invoice.billing_state != "synced")
        if pending.filtered(lambda invoice: not invoice.company_id.tektoro_billing_url):
            message = _(
                "%s stays here only: no billing system is configured for its company.",
                ", ".join(pending.mapped("name")),
            )
        elif pending:
            message = _(
                "%s is still not in the billing system: see the message on the invoice. The "
                "sync service retries it too.",
                ", ".join(pending.mapped("name")),
            )
        else:
            message = _("%s is in the billing system now.", ", ".join(self.mapped("name")))
        return notification(message, "warning" if pending else "success", RELOAD_VIEW)

    def action_print_pdf(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_url",
            "url": f"/tektoro/invoices/{self.id}/pdf",
            "target": "new",
        }

    # ------------------------------------------------------------------ guards

    def _check_office_action(self):
        if not self.env.user.has_group("tektoro_invoicing.group_office"):
            raise AccessError(_("Only office users can change work-order invoices."))
        self.check_access("read")
        for company in self.company_id:
            if not company.tektoro_invoices_enabled:
                raise UserError(
                    _(
                        "Work-order invoices are turned off for %s. "
                        "A manager can turn them on in TekToro > Configuration > Settings.",
                        company.name,
                    )
                )

    # ------------------------------------------------------------------ creation

    @api.model
    def _create_from_work_order(self, work_order, include_unit_price, tax_rate):
        """Snapshot the work order, number the invoice, mark the work order billed; push it once
        the request has committed all that (see ``_billing_push_after_commit``).

        The caller has checked rights and rules.
        """
        company = work_order.company_id
        vals = self._prepare_snapshot(work_order, include_unit_price, tax_rate)
        vals["name"] = self._next_number(company)
        vals["billing_key"] = self._idempotency_key(company, vals["name"])
        vals["billing_state"] = "pending" if company.tektoro_billing_url else "local"
        try:
            with self.env.cr.savepoint():
                invoice = self.sudo().create(vals)
                invoice.flush_recordset()
        except psycopg2.errors.UniqueViolation as exc:
            if exc.diag.constraint_name != ACTIVE_INVOICE_INDEX:
                raise
            raise UserError(
                _(
                    "%s was invoiced by someone else at the same moment: it already has an "
                    "active invoice.",
                    work_order.name,
                )
            ) from None
        work_order._set_state("billed")
        work_order.flush_recordset()
        invoice._billing_push_after_commit()
        return invoice.with_env(self.env)

    @api.model
    def _prepare_snapshot(self, work_order, include_unit_price, tax_rate):
        return {
            "work_order_id": work_order.id,
            "partner_id": work_order.partner_id.id,
            "company_id": work_order.company_id.id,
            "currency_id": work_order.currency_id.id,
            "invoice_date": fields.Date.context_today(self),
            "include_unit_price": include_unit_price,
            "device_model_name": work_order.device_model_id.name,
            **self._snapshot_amounts(work_order, include_unit_price, tax_rate),
            "line_ids": [
                fields.Command.create(
                    {
                        "sequence": line.sequence,
                        "name": line.name,
                        "quantity": line.quantity,
                        "price_unit": line.price_unit,
                        "price_subtotal": line.price_subtotal,
                    }
                )
                for line in work_order.line_ids
            ],
        }

    @api.model
    def _snapshot_amounts(self, work_order, include_unit_price, tax_rate):
        """The amounts an invoice of ``work_order`` gets, as the Create Invoice dialog shows them.

        ``tax_rate`` None: the company's default rate.
        """
        currency = work_order.currency_id
        unit = currency.round(work_order.device_model_id.cost) if include_unit_price else 0.0
        items = currency.round(sum(work_order.line_ids.mapped("price_subtotal")))
        if tax_rate is None:
            tax_rate = work_order.company_id.tektoro_default_tax_rate
        rate = float_round(tax_rate, precision_digits=4)
        return {
            "unit_subtotal": unit,
            "items_subtotal": items,
            "tax_rate": rate,
            **self._compute_amounts(currency, unit, items, rate),
        }

    @api.model
    def _compute_amounts(self, currency, unit_subtotal, items_subtotal, tax_rate):
        subtotal = unit_subtotal + items_subtotal
        tax = currency.round(subtotal * tax_rate / 100)
        return {"tax_amount": tax, "amount_total": currency.round(subtotal + tax)}

    @api.model
    def _next_number(self, company):
        """``<prefix>-00001``, from a no-gap sequence of the company's own.

        A no-gap sequence lives in a table row, locked until the request commits, and a
        rolled-back transaction gives its number back. Nothing has been pushed under a number
        before its invoice is committed (the push runs after the commit), so a number given back
        was never seen by the billing system, and whoever takes it next may push it.
        """
        sequence = company._tektoro_invoice_sequence()
        return f"{company.tektoro_invoice_prefix}-{sequence._next()}"

    @api.model
    def _idempotency_key(self, company, number):
        """Fixed by what the invoice is, so every replay and retry sends the same key."""
        database_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        return f"tektoro-{database_uuid}-{company.id}-{number}"

    def _get_form_action(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------------ billing system

    def _billing_push_after_commit(self):
        """Push these new invoices once the request's transaction has committed them.

        Still in the same request: Odoo commits the request's cursor, which runs its post-commit
        hooks, before it sends the response, so the user sees the outcome. Pushing only after the
        commit means that a request rolled back (and maybe replayed by Odoo) has pushed nothing,
        that a number is never pushed before it is committed, so never given back afterwards,
        and that the invoice sequence's row lock is released before the HTTP call. If the process
        dies between the commit and the push, the invoice stays ``pending``: the sync daemon's
        retry takes it after a grace period (``tektoro.billing.sync._retry_pushes``).
        """
        to_push = self.filtered(lambda i: i.billing_state == "pending")
        if not to_push:
            return
        postcommit = self.env.cr.postcommit
        if PUSH_AFTER_COMMIT not in postcommit.data:
            postcommit.data[PUSH_AFTER_COMMIT] = OrderedSet()
            registry, uid, context = self.env.registry, self.env.uid, dict(self.env.context)

            @postcommit.add
            def push_committed_invoices():
                invoice_ids = list(postcommit.data.pop(PUSH_AFTER_COMMIT, ()))
                _push_committed_invoices(registry, uid, context, invoice_ids)

        postcommit.data[PUSH_AFTER_COMMIT].update(to_push.ids)

    def _billing_push(self, first_push=False):
        """Push every unresolved invoice of ``self``; resolve failed and unknown ones first.

        Batch entry point for the post-commit push of new invoices (``first_push``: their
        number was never pushed before, so they are pushed without a look-up), the Retry button
        and the sync daemon (which look every invoice up by reference first, a ``pending`` one
        too: its post-commit push may have reached the billing system). Never raises for a
        billing failure: each invoice ends ``synced``, ``failed`` or ``unknown`` (``local``
        without a billing system), with the reason in ``billing_error``.
        """
        invoices = self.sudo().filtered(
            lambda i: i.state == "sent" and i.billing_state in UNRESOLVED_BILLING_STATES
        )
        for company, company_invoices in invoices.grouped("company_id").items():
            if not company.tektoro_billing_url:
                company_invoices._billing_push_without_system()
                continue
            with company._tektoro_billing_client() as client:
                for invoice in company_invoices:
                    invoice._billing_push_one(client, first_push)
        return True

    def _billing_push_without_system(self):
        self.filtered(lambda i: i.billing_state == "pending").write(
            {"billing_state": "local", "billing_error": False}
        )
        self.filtered(lambda i: i.billing_state != "local").write(
            {"billing_error": _("No billing system URL is configured: nothing was retried.")}
        )

    def _billing_push_one(self, client, first_push=False):
        remote = None
        if not (first_push and self.billing_state == "pending"):
            # It may have reached the billing system on an earlier attempt: look first.
            try:
                remote = client.find_invoice_by_reference(self.name)
            except BillingError as exc:
                # Still unresolved: an invoice that may have been pushed (unknown, or pending
                # since a push that never recorded its outcome) stays unknown, whatever the
                # look-up says.
                maybe_pushed = self.billing_state in ("unknown", "pending")
                outcome = "unknown" if maybe_pushed else exc.outcome
                self._billing_record_failure(exc, outcome)
                return
        if remote is None:
            try:
                remote = self._billing_create(client)
            except BillingError as exc:
                self._billing_record_failure(exc)
                return
        self._billing_adopt(remote)

    def _billing_create(self, client):
        try:
            return client.create_invoice(self._billing_payload(), self.billing_key)
        except BillingConflict as exc:
            if exc.code not in ("duplicate_reference", "idempotency_conflict"):
                raise
            remote = client.find_invoice_by_reference(self.name)
            if remote is None:
                raise
            return remote

    def _billing_adopt(self, remote):
        """Take the billing system's invoice as ours only if it bills the same amount and no
        other invoice of ours is it (another company's, numbered alike on the same account)."""
        holder = self.sudo().search(
            [("billing_id", "=", remote["id"]), ("id", "!=", self.id)], limit=1
        )
        if holder:
            self._billing_record_failure(
                BillingError(
                    _(
                        "The billing system's invoice %(billing_id)s under reference "
                        "%(reference)s is another Odoo invoice's, made with the same number "
                        "series on the same billing account. Give this company an invoice "
                        "prefix of its own.",
                        billing_id=remote.get("id"),
                        reference=self.name,
                    )
                )
            )
            return
        remote_total = remote.get("total")
        if not isinstance(remote_total, (int, float)) or self.currency_id.compare_amounts(
            remote_total, self.amount_total
        ):
            self._billing_record_failure(
                BillingError(
                    _(
                        "The billing system already has invoice %(billing_id)s under reference "
                        "%(reference)s, for a total of %(remote_total)s instead of %(total)s.",
                        billing_id=remote.get("id"),
                        reference=self.name,
                        remote_total=remote_total,
                        total=self.amount_total,
                    )
                )
            )
            return
        self.write({"billing_id": remote["id"], "billing_state": "synced", "billing_error": False})

    def _billing_record_failure(self, error, outcome=None):
        outcome = outcome or error.outcome
        _logger.warning(
            "Invoice %s (id %s) is %s in the billing system: %s",
            self.name,
            self.id,
            outcome,
            error.message,
        )
        reason = self._billing_reason(error)
        if outcome == "unknown":
            message = _(
                "The billing system's answer did not come through, so it may or may not have "
                "this invoice. Retry looks it up before pushing again. (%s)",
                reason,
            )
        else:
            message = _("The billing system did not take this invoice: %s", reason)
        self.write({"billing_state": outcome, "billing_error": message})

    def _billing_reason(self, error):
        """Why a call to the billing system failed, in the user's language.

        The transport's own exception text stays in the server log (``error.message``); what
        the billing system itself said, on an error answer, is quoted as it came.
        """
        params = error.params
        if error.reason == "unreachable":
            return _("could not connect to %(url)s", url=params["url"])
        if error.reason == "not_sent":
            return _(
                "the request could not be sent: check the billing system URL and API key in the "
                "settings"
            )
        if error.reason == "no_answer":
            return _(
                "no answer from %(url)s within %(seconds)s s",
                url=params["url"],
                seconds=params["seconds"],
            )
        if error.reason == "connection_broken":
            return _(
                "the connection to %(url)s broke before the whole answer came", url=params["url"]
            )
        if error.reason == "not_json":
            return _(
                "its answer, %(status)s %(phrase)s, was not the JSON the Billing API sends",
                status=error.status,
                phrase=error.params["phrase"],
            )
        if error.reason == "redirected":
            return _(
                "its address answered %(status)s %(phrase)s, pointing to %(location)s: put the "
                "billing system's own address in the settings",
                status=error.status,
                phrase=error.params["phrase"],
                location=error.params["location"],
            )
        if error.reason == "refused":
            return _(
                "it answered %(status)s %(code)s: %(message)s",
                status=error.status,
                code=error.code,
                message=params["remote_message"],
            )
        return error.message

    def _billing_payload(self):
        """The invoice as Billing API v1 wants it: the unit price, if billed, is its first line."""
        digits = self.currency_id.decimal_places
        lines = []
        if self.include_unit_price:
            lines.append(
                {
                    "description": self.device_model_name or self.work_order_id.name,
                    "quantity": 1,
                    "unit_price": self.unit_subtotal,
                }
            )
        lines += [
            {
                "description": line.name[:1000],
                "quantity": float_round(line.quantity, precision_digits=6),
                "unit_price": float_round(line.price_unit, precision_digits=6),
            }
            for line in self.line_ids
        ]
        customer = {"name": (self.partner_id.name or self.partner_id.display_name)[:200]}
        email = (self.partner_id.email or "").strip()
        if email.count("@") == 1 and " " not in email and len(email) <= 254:
            customer["email"] = email
        return {
            "reference": self.name,
            "customer": customer,
            "currency": self.currency_id.name,
            "issued_on": self.invoice_date.isoformat(),
            "lines": lines,
            "subtotal": float_round(
                self.unit_subtotal + self.items_subtotal, precision_digits=digits
            ),
            "tax_rate": self.tax_rate,
            "tax": self.tax_amount,
            "total": self.amount_total,
        }

    def _cancel_in_billing_system(self):
        """Cancel the billing system's copy, if it has one. Raise, changing nothing, if it fails."""
        invoice = self.sudo()
        if invoice.billing_state == "local":
            return
        company = invoice.company_id
        if not company.tektoro_billing_url:
            raise UserError(
                _(
                    "Cannot cancel %s: it was sent to a billing system, and none is configured "
                    "now to cancel it there.",
                    invoice.name,
                )
            )
        cancel_sent = False
        try:
            with company._tektoro_billing_client() as client:
                billing_id = invoice.billing_id
                if not billing_id:
                    remote = client.find_invoice_by_reference(invoice.name)
                    if remote is None:
                        return
                    invoice._billing_adopt(remote)
                    if invoice.billing_state != "synced":
                        raise UserError(
                            _(
                                "Cannot cancel %(invoice)s: %(reason)s",
                                invoice=invoice.name,
                                reason=invoice.billing_error,
                            )
                        )
                    billing_id = invoice.billing_id
                cancel_sent = True
                client.cancel_invoice(billing_id)
        except BillingConflict as exc:
            if exc.code == "invoice_paid":
                raise UserError(
                    _(
                        "Cannot cancel %s: the billing system has recorded its payment. "
                        "It will show as paid here after the next sync.",
                        invoice.name,
                    )
                ) from None
            raise self._cancel_error(exc) from None
        except BillingError as exc:
            raise self._cancel_error(exc, cancel_sent) from None

    def _cancel_error(self, error, cancel_sent=False):
        _logger.warning("Cancelling invoice %s in the billing system failed: %s", self.name, error)
        if cancel_sent and error.outcome == "unknown":
            return UserError(
                _(
                    "Cannot cancel %(invoice)s yet: the billing system's answer did not come "
                    "through (%(reason)s), so it may have cancelled it there. Nothing was changed "
                    "here; cancel again to settle it: the billing system takes a second "
                    "cancellation of the same invoice as the first.",
                    invoice=self.name,
                    reason=self._billing_reason(error),
                )
            )
        return UserError(
            _(
                "Cannot cancel %(invoice)s: the billing system did not confirm the cancellation "
                "(%(reason)s). Nothing was changed; try again later.",
                invoice=self.name,
                reason=self._billing_reason(error),
            )
        )

    def _do_cancel(self):
        self.sudo().write({"state": "cancelled", "cancelled_at": fields.Datetime.now()})


def _push_committed_invoices(registry, uid, context, invoice_ids):
    """The post-commit push: in a cursor of its own, committed when the push is recorded.

    Runs after the request's commit, where an exception would reach nobody who can act on it
    (the request has succeeded): it is logged and the invoices stay ``pending`` for the sync
    daemon's retry, which looks them up before pushing.

    The sync daemon's retry may have taken the same invoices while this push was in flight (a
    push slower than its grace period) and recorded its outcome first: recording ours then
    meets a serialization failure. The invoices are read again in a new transaction, which
    leaves alone those the retry settled and pushes again, with the same idempotency key, those
    it left unresolved.
    """
    for tries_left in reversed(range(MAX_TRIES_ON_CONCURRENCY_FAILURE)):
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, uid, context)
                env["tektoro.invoice"].browse(invoice_ids)._billing_push(first_push=True)
            return
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as exc:
            if not tries_left:
                _logger.warning(
                    "Recording the push of the new invoices (ids %s) met concurrent updates "
                    "%s times; they stay as the last update left them. (%s)",
                    invoice_ids,
                    MAX_TRIES_ON_CONCURRENCY_FAILURE,
                    exc,
                )
                return
            _logger.info(
                "The new invoices (ids %s) were updated while their push was in flight (%s); "
                "reading them again.",
                invoice_ids,
                exc.pgcode,
            )
        except Exception:
            _logger.warning(
                "Pushing the new invoices (ids %s) after their commit failed; they stay pending "
                "until the sync daemon retries them.",
                invoice_ids,
                exc_info=True,
            )
            return
