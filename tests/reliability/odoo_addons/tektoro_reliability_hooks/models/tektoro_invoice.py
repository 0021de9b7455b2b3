"""A real serialization failure right after a successful push, on demand.

PostgreSQL, not Python, raises it: another transaction commits an update of a row that this
request then updates too, which REPEATABLE READ refuses. Odoo's RPC layer rolls the request
back and replays it, exactly as it would after a clash with another user's edit.
"""

import random

from odoo import models
from odoo.tools import SQL

RATE_PARAMETER = "tektoro_reliability_hooks.serialization_failure_rate"
# Work orders whose invoicing already failed once, per worker process: a replay runs in the same
# process, and must get through, or Odoo gives up after 5 tries and the test measures something
# else.
_failed_once = set()


class TektoroInvoice(models.Model):
    _inherit = "tektoro.invoice"

    def _billing_adopt(self, remote):
        super()._billing_adopt(remote)
        if self.billing_state == "synced" and self._should_fail_after_push():
            self._fail_serialization()

    def _should_fail_after_push(self):
        rate = float(self.env["ir.config_parameter"].sudo().get_param(RATE_PARAMETER) or 0)
        key = (self.env.cr.dbname, self.work_order_id.id)
        if not rate or key in _failed_once or random.random() >= rate:
            return False
        _failed_once.add(key)
        return True

    def _fail_serialization(self):
        lines = self.work_order_id.line_ids[:1]
        statement = SQL(
            "UPDATE tektoro_work_order_line SET write_date = write_date WHERE id = %s", lines.id
        )
        with self.env.registry.cursor() as other:
            other.execute(statement)
        self.env.cr.execute(statement)  # psycopg2.errors.SerializationFailure
