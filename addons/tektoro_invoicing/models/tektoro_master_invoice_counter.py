from odoo import fields, models


class TektoroMasterInvoiceCounter(models.Model):
    """The last master invoice number of each contractor, one row each (see _do_assign_numbers)."""

    _name = "tektoro.master.invoice.counter"
    _description = "Master Invoice Number Counter"
    _log_access = False

    contractor_id = fields.Many2one("res.users", required=True, ondelete="cascade", index=True)
    last_number = fields.Integer(required=True, default=0)

    _sql_constraints = [
        ("contractor_unique", "UNIQUE(contractor_id)", "One counter per contractor."),
    ]
