"""A real serialization failure in an invoice-creating request, on demand.

PostgreSQL, not Python, raises it: another transaction commits an update of a row that this
request then updates too, which REPEATABLE READ refuses. Odoo's RPC layer rolls the request
back and replays it, exactly as it would after a clash with another user's edit.

It strikes at the last moment of the request's work: the invoice is numbered, written and its
push registered to run after the commit. (Before pushes ran after the commit, it struck right
after a successful push, inside the request.)
"""

import logging
import random

from odoo import models
from odoo.tools import SQL

RATE_PARAMETER = "tektoro_reliability_hooks.serialization_failure_rate"
# Work orders whose invoicing already failed once, per worker process: a replay runs in the same
# process, and must get through, or Odoo gives up after 5 tries and the test measures something
# else.
_failed_once = set()
_logger = logging.getLogger(__name__)
# Logged (at WARNING, the test server's level) each time, so the test counts the failures forced.
FORCED_MESSAGE = "tektoro_reliability_hooks: forcing a serialization failure"


class TektoroInvoice(models.Model):
    _inherit = "tektoro.invoice"

    def _billing_push_after_commit(self):
        super()._billing_push_after_commit()
        if self.billing_state == "pending" and self._should_fail_before_commit():
            _logger.warning("%s for %s", FORCED_MESSAGE, self.name)
            self._fail_serialization()

    def _should_fail_before_commit(self):
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
