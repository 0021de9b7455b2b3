from odoo import fields, models


class BigInteger(fields.Integer):
    """An integer field stored as PostgreSQL ``bigint``: Odoo's own is 32-bit.

    The Billing API only promises that event ids are integers that grow, and a billing system
    shared by many tenants passes 2**31 soon enough. Odoo converts an existing ``integer``
    column in place when the module is updated.
    """

    _column_type = ("int8", "int8")


class TektoroBillingCursor(models.Model):
    """Per company: how far the billing event feed has been applied.

    The sync daemon never writes here directly. ``last_event_id`` only moves inside
    ``tektoro.billing.sync.apply_events``, by compare-and-set in the same transaction as the
    invoices it covers. What the reconcile job finds lives in ``tektoro.billing.drift``.
    """

    _name = "tektoro.billing.cursor"
    _description = "Billing Sync State"
    _rec_name = "company_id"
    _order = "company_id"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    last_event_id = BigInteger(
        string="Last Applied Event",
        readonly=True,
        default=0,
        help="Id of the last billing event applied to this company's invoices.",
    )

    _sql_constraints = [
        ("company_uniq", "UNIQUE (company_id)", "A company has one billing sync state."),
        ("last_event_id_positive", "CHECK (last_event_id >= 0)", "Event ids are positive."),
    ]
