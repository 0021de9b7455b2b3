from odoo import api, fields, models


class TektoroBillingDrift(models.Model):
    """Per company: what the last reconcile found in disagreement with the billing system.

    Kept apart from the event cursor on purpose: the reconcile job writes here while the events
    job moves the cursor, and two jobs writing one row at the same time would make one of them
    fail with a serialization error and be replayed. Managers are given persistent drift as
    activities on this record.
    """

    _name = "tektoro.billing.drift"
    _description = "Billing Drift"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _rec_name = "company_id"
    _order = "company_id"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    last_reconciled_at = fields.Datetime(readonly=True)
    drift_count = fields.Integer(
        string="Drift", readonly=True, help="Invoices in disagreement at the last reconcile."
    )
    drift_keys = fields.Json(readonly=True)
    drift_summary = fields.Text(
        string="Invoices in Disagreement", compute="_compute_drift_summary"
    )

    _sql_constraints = [
        ("company_uniq", "UNIQUE (company_id)", "A company has one billing drift record."),
    ]

    @api.depends("drift_keys")
    def _compute_drift_summary(self):
        labels = self.env["tektoro.billing.sync"]._drift_labels()
        for record in self:
            lines = []
            for key in record.drift_keys or []:
                kind, _sep, reference = key.partition(":")
                lines.append(f"{reference}: {labels.get(kind, kind)}")
            record.drift_summary = "\n".join(lines)
