import logging
import math
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from markupsafe import Markup
from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_repr

from ..tools.access import MANAGER_GROUP

_logger = logging.getLogger(__name__)

SYNC_GROUP = "tektoro_invoicing.group_billing_sync"
PAID, CANCELLED = "invoice.paid", "invoice.cancelled"
MAX_EVENTS_PER_CALL = 1000
MAX_BATCH = 5000
MAX_EVENT_ID = 2**63 - 1  # the cursor is a bigint column
MAX_RECORD_ID = 2**31 - 1  # Odoo's ids are integer columns
# A billing invoice is matched to ours by reference only while we do not know its id yet.
UNRESOLVED_BILLING_STATES = ("pending", "failed", "unknown")
RETRIED_BILLING_STATES = ("failed", "unknown")
# A new invoice is pushed right after its request commits; one still ``pending`` this long after
# its creation lost that push (the process died in between) and is retried like an unknown one.
PENDING_PUSH_GRACE_PARAMETER = "tektoro_invoicing.pending_push_grace_seconds"
PENDING_PUSH_GRACE_SECONDS = 120
# A retry_pushes call stops taking invoices once it has pushed this long, well within the daemon's
# Odoo timeout and Odoo's own time limit for a request (120 s each by default): a batch that
# outlived either would be rolled back, or abandoned by the daemon, and make no progress.
RETRY_PUSH_BUDGET_PARAMETER = "tektoro_invoicing.retry_push_budget_seconds"
RETRY_PUSH_BUDGET_SECONDS = 60
DRIFT_KINDS = (
    "paid_outside",
    "cancelled_outside",
    "missing_here",
    "missing_there",
    "amount_differs",
    "status_differs",
)


class CursorMovedError(UserError):
    """The company's event cursor is not the one the caller read: another daemon applied first.

    Raised before anything is written, and the whole call rolls back with it, so a page is
    applied by exactly one caller. The daemon recognises this class by name.
    """


class TektoroBillingSync(models.AbstractModel):
    """The sync daemon's entry points: each call handles a whole page or batch.

    Every public method checks that the caller is in the Billing Sync group, validates what it
    was sent, and only then works as superuser in private methods. Each call is one Odoo
    transaction: it applies completely or not at all.
    """

    _name = "tektoro.billing.sync"
    _description = "Billing Sync Daemon Entry Points"

    # ------------------------------------------------------------------ public RPC methods

    @api.model
    def get_sync_configs(self):
        """Every company with a billing system configured, with its key and event cursor."""
        self._check_sync_access()
        return self.sudo()._get_sync_configs()

    @api.model
    def apply_events(self, company_id, expected_cursor, events):
        """Apply one page of the billing event feed and advance the cursor past it.

        ``expected_cursor`` is the cursor the caller read; if it moved since, nothing is applied
        (``CursorMovedError``). Events already reflected here change nothing, so a page replayed
        after a lost answer is harmless.
        """
        self._check_sync_access()
        company = self._get_billing_company(company_id)
        expected_cursor = self._check_event_id(expected_cursor, minimum=0)
        events = self._parse_events(expected_cursor, events)
        return self.sudo()._apply_events(company, expected_cursor, events)

    @api.model
    def retry_pushes(self, company_id, limit=50, after_id=0):
        """Push again the next ``limit`` failed or unknown invoices after id ``after_id``, and
        pending ones whose push after creation was lost (see ``_retry_pushes``)."""
        self._check_sync_access()
        company = self._get_billing_company(company_id)
        return self.sudo()._retry_pushes(
            company,
            self._check_integer(limit, "limit", 1, MAX_BATCH),
            self._check_integer(after_id, "after_id", 0, MAX_RECORD_ID),
        )

    @api.model
    def local_snapshot(self, company_id, after_id=0, limit=2000):
        """One page of the company's invoices, as the reconcile job compares them."""
        self._check_sync_access()
        company = self._get_billing_company(company_id)
        return self.sudo()._local_snapshot(
            company,
            self._check_integer(after_id, "after_id", 0, MAX_RECORD_ID),
            self._check_integer(limit, "limit", 1, MAX_BATCH),
        )

    @api.model
    def report_drift(self, company_id, drift):
        """Record the drift of one reconcile; drift seen twice in a row becomes an activity."""
        self._check_sync_access()
        company = self._get_billing_company(company_id)
        return self.sudo()._report_drift(company, self._parse_drift(drift))

    # ------------------------------------------------------------------ guards and validation

    @api.model
    def _check_sync_access(self):
        """The daemon's own user, or a system administrator (who may read the API keys these
        methods hand out anyway), say an integrator running ``tektoro-sync`` as admin."""
        user = self.env.user
        if not self.env.su and not (user.has_group(SYNC_GROUP) or user._is_system()):
            raise AccessError(
                _(
                    "Only the billing sync user or a system administrator may call the billing "
                    "sync methods."
                )
            )

    @api.model
    def _get_billing_company(self, company_id):
        if not isinstance(company_id, int) or isinstance(company_id, bool):
            raise ValidationError(_("The company must be given by its id, not %r.", company_id))
        company = self.env["res.company"].sudo().browse(company_id).exists()
        if not company:
            raise ValidationError(_("There is no company with id %s.", company_id))
        if not company.tektoro_billing_url:
            raise UserError(_("%s has no billing system configured.", company.name))
        return company

    @api.model
    def _check_event_id(self, value, minimum=1):
        return self._check_integer(value, _("A billing event id"), minimum, MAX_EVENT_ID)

    @api.model
    def _check_integer(self, value, name, minimum, maximum):
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise ValidationError(
                _(
                    "%(name)s must be an integer from %(min)s to %(max)s, not %(value)r.",
                    name=name,
                    min=minimum,
                    max=maximum,
                    value=value,
                )
            )
        return value

    @api.model
    def _parse_events(self, expected_cursor, events):
        if not isinstance(events, list) or len(events) > MAX_EVENTS_PER_CALL:
            raise ValidationError(
                _("Send a list of at most %s billing events per call.", MAX_EVENTS_PER_CALL)
            )
        parsed, previous = [], expected_cursor
        for event in events:
            if not isinstance(event, dict):
                raise ValidationError(_("Each billing event must be an object."))
            event_id = self._check_event_id(event.get("id"))
            if event_id <= previous:
                raise ValidationError(
                    _(
                        "Billing events must come in increasing id order after the cursor "
                        "%(cursor)s: %(id)s does not.",
                        cursor=expected_cursor,
                        id=event_id,
                    )
                )
            previous = event_id
            invoice = event.get("invoice") or {}
            if not isinstance(invoice, dict):
                raise ValidationError(_("Billing event %s has no invoice object.", event_id))
            parsed.append(
                {
                    "id": event_id,
                    "type": event.get("type"),
                    "billing_id": self._text(invoice.get("id")),
                    "reference": self._text(invoice.get("reference")),
                    "total": invoice.get("total"),
                    "paid_at": self._timestamp(invoice.get("paid_at") or event.get("created_at")),
                    "cancelled_at": self._timestamp(
                        invoice.get("cancelled_at") or event.get("created_at")
                    ),
                }
            )
        return parsed

    @api.model
    def _parse_drift(self, drift):
        if not isinstance(drift, list) or len(drift) > 100000:
            raise ValidationError(_("Drift must be sent as a list of findings."))
        parsed = []
        for item in drift:
            if not isinstance(item, dict) or item.get("kind") not in DRIFT_KINDS:
                raise ValidationError(
                    _("Each drift finding needs a kind among: %s.", ", ".join(DRIFT_KINDS))
                )
            parsed.append(
                {
                    "kind": item["kind"],
                    "reference": self._text(item.get("reference")) or "?",
                    "billing_id": self._text(item.get("billing_id")),
                    "detail": self._text(item.get("detail"), 500) or "",
                }
            )
        return parsed

    @staticmethod
    def _text(value, max_length=128):
        """A text of the billing system's, as PostgreSQL can store it: no NUL, valid UTF-8."""
        if not isinstance(value, str):
            return None
        text = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
        return text[:max_length] or None

    @staticmethod
    def _timestamp(value):
        """Billing API timestamps (ISO 8601, UTC) as Odoo datetimes; unreadable ones as now."""
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                if moment.tzinfo is not None:
                    # OverflowError: an offset that moves year 1 or 9999 out of range.
                    moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
            except (ValueError, OverflowError):
                moment = None
            if moment is not None:
                return moment.replace(microsecond=0)
        return fields.Datetime.now()

    # ------------------------------------------------------------------ configs and cursors

    def _get_sync_configs(self):
        companies = self.env["res.company"].search(
            [("tektoro_billing_url", "!=", False), ("tektoro_billing_api_key", "!=", False)],
            order="id",
        )
        cursors = self._ensure_cursors(companies)
        return [
            {
                "company_id": company.id,
                "company_name": company.name,
                "invoice_prefix": company.tektoro_invoice_prefix,
                "billing_url": company.tektoro_billing_url,
                "api_key": company.tektoro_billing_api_key,
                "billing_account": company._tektoro_billing_account(),
                "timeout": company.tektoro_billing_timeout,
                "cursor": cursors[company].last_event_id,
            }
            for company in companies
        ]

    def _ensure_company_records(self, companies):
        """The records the jobs keep per company, created where missing."""
        self._ensure_cursors(companies)
        self._company_records("tektoro.billing.drift", companies)

    def _ensure_cursors(self, companies):
        """The companies' cursor records, created at 0 where missing."""
        return self._company_records("tektoro.billing.cursor", companies, last_event_id=0)

    def _company_records(self, model_name, companies, **initial_values):
        """The one record of ``model_name`` per company, created where missing.

        Existing records are only read: the events and reconcile jobs run side by side, and an
        INSERT that meets a row another transaction is updating waits for it, then fails with a
        serialization error. The records are normally made when the company is connected to
        billing (``res.company._tektoro_sync_records``); should two callers create the same one
        here at once, the unique index keeps one and Odoo replays the other call.
        """
        Model = self.env[model_name]
        records = {
            rec.company_id: rec for rec in Model.search([("company_id", "in", companies.ids)])
        }
        missing = companies.filtered(lambda company: company not in records)
        if missing:
            now = fields.Datetime.now()
            columns = [
                "company_id",
                *initial_values,
                "create_uid",
                "create_date",
                "write_uid",
                "write_date",
            ]
            rows = [
                SQL(
                    "(%s)",
                    SQL(", ").join(
                        [company.id, *initial_values.values(), self.env.uid, now, self.env.uid, now]
                    ),
                )
                for company in missing
            ]
            self.env.cr.execute(
                SQL(
                    "INSERT INTO %s (%s) VALUES %s ON CONFLICT (company_id) DO NOTHING",
                    SQL.identifier(Model._table),
                    SQL(", ").join(SQL.identifier(column) for column in columns),
                    SQL(", ").join(rows),
                )
            )
            for rec in Model.search([("company_id", "in", missing.ids)]):
                records[rec.company_id] = rec
        return records

    def _advance_cursor(self, company, expected_cursor, new_cursor):
        """Compare-and-set: move the cursor only if it still is where the caller read it.

        The UPDATE takes the row lock, so a concurrent call for the same company waits here, then
        either finds the cursor moved or hits a serialisation failure that Odoo replays, and the
        replay finds the cursor moved. Nothing has been written before this point.
        """
        self._ensure_cursors(company)
        self.env.cr.execute(
            SQL(
                "UPDATE tektoro_billing_cursor SET last_event_id = %s, write_uid = %s,"
                " write_date = %s WHERE company_id = %s AND last_event_id = %s",
                new_cursor,
                self.env.uid,
                fields.Datetime.now(),
                company.id,
                expected_cursor,
            )
        )
        if self.env.cr.rowcount != 1:
            raise CursorMovedError(
                _(
                    "The billing event cursor of %(company)s is no longer %(cursor)s: another "
                    "sync has applied these events. Nothing was changed.",
                    company=company.name,
                    cursor=expected_cursor,
                )
            )
        self.env["tektoro.billing.cursor"].invalidate_model(["last_event_id", "write_date"])

    # ------------------------------------------------------------------ job 1: events

    def _apply_events(self, company, expected_cursor, events):
        new_cursor = events[-1]["id"] if events else expected_cursor
        self._advance_cursor(company, expected_cursor, new_cursor)
        relevant = [event for event in events if event["type"] in (PAID, CANCELLED)]
        invoices = self._invoices_of_events(company, relevant)
        changes = _PageChanges()
        for event in relevant:
            self._plan_event(event, invoices, changes)
        self._write_changes(changes)
        return {
            "cursor": new_cursor,
            "applied": {PAID: len(changes.paid), CANCELLED: len(changes.cancelled)},
            "skipped": changes.skipped,
        }

    def _invoices_of_events(self, company, events):
        """The page's invoices in one query, indexed by billing id and by number, and the
        billing ids that invoices of other companies hold."""
        billing_ids = list({event["billing_id"] for event in events if event["billing_id"]})
        references = list({event["reference"] for event in events if event["reference"]})
        if not events:
            return {}, {}, set()
        invoices = (
            self.env["tektoro.invoice"]
            .sudo()
            .search_fetch(
                [
                    "|",
                    ("billing_id", "in", billing_ids),
                    "&",
                    "&",
                    ("company_id", "=", company.id),
                    ("name", "in", references),
                    ("billing_state", "in", UNRESOLVED_BILLING_STATES),
                ],
                [
                    "name",
                    "state",
                    "billing_id",
                    "billing_state",
                    "amount_total",
                    "currency_id",
                    "company_id",
                ],
            )
            .with_env(self.env)
        )
        ours = invoices.filtered(lambda invoice: invoice.company_id == company)
        by_billing_id = {invoice.billing_id: invoice for invoice in ours if invoice.billing_id}
        by_reference = {invoice.name: invoice for invoice in ours if not invoice.billing_id}
        held_elsewhere = set((invoices - ours).mapped("billing_id"))
        return by_billing_id, by_reference, held_elsewhere

    def _plan_event(self, event, invoices, changes):
        """Decide what one event changes, given what earlier events of the page changed."""
        by_billing_id, by_reference, held_elsewhere = invoices
        invoice = by_billing_id.get(event["billing_id"]) or by_reference.get(event["reference"])
        if not invoice:
            changes.skip(event, _("no invoice with this billing id or number in Odoo"))
            return
        if not invoice.billing_id and event["billing_id"] in held_elsewhere:
            # Numbered alike by a company that left the account: never taken for ours.
            changes.skip(event, _("the billing invoice is another company's invoice in Odoo"))
            return
        if not invoice.billing_id and not self._same_amount(invoice, event["total"]):
            changes.skip(
                event,
                _(
                    "the billing invoice's total %(total)s differs from %(amount)s in Odoo",
                    total=event["total"],
                    amount=invoice.amount_total,
                ),
            )
            return
        state = changes.state_of(invoice)
        target = "paid" if event["type"] == PAID else "cancelled"
        if state == target:
            return  # already applied: an event replayed changes nothing
        if state != "sent":
            changes.skip(event, _("the invoice is %s in Odoo", state))
            return
        changes.plan(invoice, target, event)

    @staticmethod
    def _same_amount(invoice, total):
        try:
            remote_total = float(total)
        except (TypeError, ValueError, OverflowError):
            return False
        if not math.isfinite(remote_total):
            return False
        return not invoice.currency_id.compare_amounts(remote_total, invoice.amount_total)

    def _write_changes(self, changes):
        """Grouped writes (one UPDATE per distinct value after the ORM's flush), then notes."""
        Invoice = self.env["tektoro.invoice"].with_context(mail_notrack=True)
        for paid_at, invoices in _group_by_value(changes.paid).items():
            Invoice.browse(invoices).write({"state": "paid", "paid_at": paid_at})
        for cancelled_at, invoices in _group_by_value(changes.cancelled).items():
            Invoice.browse(invoices).write({"state": "cancelled", "cancelled_at": cancelled_at})
        for billing_id, invoice in changes.links.items():
            Invoice.browse(invoice).write(
                {"billing_id": billing_id, "billing_state": "synced", "billing_error": False}
            )
        bodies = {}
        for invoice_id, paid_at in changes.paid.items():
            bodies[invoice_id] = _(
                "Paid in the billing system on %s (UTC).", fields.Datetime.to_string(paid_at)
            )
        for invoice_id, cancelled_at in changes.cancelled.items():
            bodies[invoice_id] = _(
                "Cancelled in the billing system on %s (UTC).",
                fields.Datetime.to_string(cancelled_at),
            )
        if bodies:
            messages = Invoice.browse(list(bodies))._message_log_batch(bodies)
            self._notify_followers(messages)

    def _notify_followers(self, messages):
        """Put each note in the inbox of the internal users following its invoice."""
        followers = self.env["mail.followers"].search_fetch(
            [
                ("res_model", "=", "tektoro.invoice"),
                ("res_id", "in", messages.mapped("res_id")),
                ("partner_id.user_ids.share", "=", False),
            ],
            ["res_id", "partner_id"],
        )
        partners_by_invoice = defaultdict(set)
        for follower in followers:
            partners_by_invoice[follower.res_id].add(follower.partner_id.id)
        author = self.env.user.partner_id.id
        self.env["mail.notification"].create(
            [
                {
                    "author_id": author,
                    "mail_message_id": message.id,
                    "notification_type": "inbox",
                    "notification_status": "sent",
                    "res_partner_id": partner_id,
                }
                for message in messages
                for partner_id in sorted(partners_by_invoice[message.res_id] - {author})
            ]
        )

    # ------------------------------------------------------------------ job 2: push retries

    def _retry_pushes(self, company, limit, after_id):
        """Failed and unknown invoices, and pending ones whose post-commit push was lost.

        A pending invoice is left alone for a grace period after its creation, so the retry does
        not race the post-commit push still in flight (when it does, the idempotency key and the
        look-up by reference still make one external invoice, and whichever side records its
        outcome second reads the invoice again). Each is looked up by reference
        before any push, as the post-commit push may have reached the billing system.

        Pushes one invoice at least, then no more once the call's time budget is spent: the rest
        is the next call's, and fewer than ``limit`` tells the daemon to leave it to its next run.
        """
        # The clock create_date is written with.
        pending_before = self.env.cr.now() - timedelta(
            seconds=self._seconds_parameter(
                PENDING_PUSH_GRACE_PARAMETER, PENDING_PUSH_GRACE_SECONDS
            )
        )
        invoices = self.env["tektoro.invoice"].search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "sent"),
                "|",
                ("billing_state", "in", RETRIED_BILLING_STATES),
                "&",
                ("billing_state", "=", "pending"),
                ("create_date", "<", pending_before),
                ("id", ">", after_id),
            ],
            order="id",
            limit=limit,
        )
        budget_end = time.monotonic() + self._seconds_parameter(
            RETRY_PUSH_BUDGET_PARAMETER, RETRY_PUSH_BUDGET_SECONDS
        )
        pushed = invoices.browse()
        for invoice in invoices:
            if pushed and time.monotonic() >= budget_end:
                break
            invoice._billing_push()
            pushed |= invoice
        outcomes = defaultdict(int)
        for invoice in pushed:
            outcomes[invoice.billing_state] += 1
        return {
            "processed": len(pushed),
            "last_id": pushed[-1:].id or after_id,
            "outcomes": dict(outcomes),
        }

    def _seconds_parameter(self, name, default):
        """A whole number of seconds from the system parameter ``name``, else ``default``."""
        value = self.env["ir.config_parameter"].get_param(name)
        try:
            return max(0, int(value)) if value else default
        except ValueError:
            _logger.warning("Ignoring %s=%r: not a whole number of seconds.", name, value)
            return default

    # ------------------------------------------------------------------ job 3: reconcile

    def _local_snapshot(self, company, after_id, limit):
        invoices = self.env["tektoro.invoice"].search_fetch(
            [("company_id", "=", company.id), ("id", ">", after_id)],
            ["name", "state", "billing_state", "billing_id", "amount_total", "currency_id"],
            order="id",
            limit=limit + 1,
        )
        return {
            "invoices": [
                {
                    "id": invoice.id,
                    "name": invoice.name,
                    "state": invoice.state,
                    "billing_state": invoice.billing_state,
                    "billing_id": invoice.billing_id or None,
                    "amount_total": float_repr(
                        invoice.currency_id.round(invoice.amount_total),
                        invoice.currency_id.decimal_places,
                    ),
                    "currency": invoice.currency_id.name,
                }
                for invoice in invoices[:limit]
            ],
            "has_more": len(invoices) > limit,
        }

    def _report_drift(self, company, drift):
        drift_record = self._company_records("tektoro.billing.drift", company)[company]
        keys = sorted({f"{item['kind']}:{item['reference']}" for item in drift})
        previous = set(drift_record.drift_keys or [])
        persistent = [item for item in drift if f"{item['kind']}:{item['reference']}" in previous]
        drift_record.write(
            {
                "drift_keys": keys,
                "drift_count": len(drift),
                "last_reconciled_at": fields.Datetime.now(),
            }
        )
        activities = self._update_drift_activities(company, drift_record, persistent)
        return {"persistent": len(persistent), "activity_ids": activities.ids}

    def _update_drift_activities(self, company, drift_record, persistent):
        """One open to-do per manager of the company while drift persists; done once it is gone."""
        todo = self.env.ref("mail.mail_activity_data_todo")
        open_activities = drift_record.activity_ids.filtered(lambda a: a.activity_type_id == todo)
        if not persistent:
            if open_activities:
                open_activities.action_feedback(
                    feedback=_("The billing system and Odoo agree again.")
                )
            return self.env["mail.activity"]
        summary = _("Billing drift persists on %s invoice(s)", len(persistent))
        note = self._drift_note(persistent)
        activities = self.env["mail.activity"]
        for manager in self._company_managers(company):
            activity = open_activities.filtered(lambda a, user=manager: a.user_id == user)
            if activity:
                activity.write({"summary": summary, "note": note})
            else:
                activity = drift_record.activity_schedule(
                    activity_type_id=todo.id, summary=summary, note=note, user_id=manager.id
                )
            activities |= activity
        return activities

    @api.model
    def _drift_labels(self):
        """What each kind of drift means, as a manager reads it."""
        return {
            "paid_outside": _("paid in billing, open in Odoo"),
            "cancelled_outside": _("cancelled in billing, active in Odoo"),
            "missing_here": _("in billing, missing in Odoo"),
            "missing_there": _("in Odoo, missing in billing"),
            "amount_differs": _("amount differs"),
            "status_differs": _("status differs"),
        }

    def _drift_note(self, persistent):
        labels = self._drift_labels()
        items = Markup("").join(
            Markup("<li><b>%s</b>: %s (%s)</li>")
            % (item["reference"], labels[item["kind"]], item["detail"])
            for item in persistent
        )
        intro = _("These invoices disagreed with the billing system at two reconciles in a row:")
        return Markup("<p>%s</p><ul>%s</ul>") % (intro, items)

    def _company_managers(self, company):
        manager_group = self.env.ref(MANAGER_GROUP)
        return manager_group.users.filtered(
            lambda user: (
                user.id != SUPERUSER_ID
                and user.active
                and not user.share
                and company in user.company_ids
            )
        )


class _PageChanges:
    """What one page of events changes: per invoice id, the new state and its timestamp."""

    def __init__(self):
        self.paid = {}
        self.cancelled = {}
        self.links = {}
        self.skipped = []
        self._states = {}

    def state_of(self, invoice):
        return self._states.get(invoice.id, invoice.state)

    def plan(self, invoice, target, event):
        self._states[invoice.id] = target
        if target == "paid":
            self.paid[invoice.id] = event["paid_at"]
        else:
            self.cancelled[invoice.id] = event["cancelled_at"]
        if not invoice.billing_id and event["billing_id"]:
            self.links[event["billing_id"]] = invoice.id

    def skip(self, event, reason):
        self.skipped.append(
            {
                "event_id": event["id"],
                "type": event["type"],
                "reference": event["reference"] or event["billing_id"],
                "reason": reason,
            }
        )


def _group_by_value(values_by_id):
    groups = defaultdict(list)
    for record_id, value in values_by_id.items():
        groups[value].append(record_id)
    return groups
