"""18.0.1.0.1: the last reconcile's drift moves off the event cursor, into tektoro.billing.drift.

Up to 18.0.1.0.0 the drift report lived on the cursor record, with the managers' activities
about it (see the model's docstring for why they are apart now). Odoo keeps the old columns on
update, until the end of it (then it drops the columns of removed fields): each company's
report, and the activities, messages and followers on its cursor, move to the company's new
drift record.
"""

import logging

from odoo.tools import SQL, sql

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version or not sql.column_exists(cr, "tektoro_billing_cursor", "drift_keys"):
        return
    cr.execute(
        SQL(
            """
            INSERT INTO tektoro_billing_drift (company_id, last_reconciled_at, drift_count,
                                               drift_keys, create_uid, create_date, write_uid,
                                               write_date)
            SELECT company_id, last_reconciled_at, drift_count, drift_keys, create_uid,
                   create_date, write_uid, write_date
              FROM tektoro_billing_cursor
            ON CONFLICT (company_id) DO NOTHING
            """
        )
    )
    cr.execute(SQL("SELECT id FROM ir_model WHERE model = 'tektoro.billing.drift'"))
    [drift_model_id] = cr.fetchone()
    moved = {}
    for table, model_column, extra in (
        ("mail_activity", "res_model", SQL(", res_model_id = %s", drift_model_id)),
        ("mail_message", "model", SQL()),
        ("mail_followers", "res_model", SQL()),
    ):
        cr.execute(
            SQL(
                """
                UPDATE %(table)s moved
                   SET %(model_column)s = 'tektoro.billing.drift', res_id = drift.id %(extra)s
                  FROM tektoro_billing_cursor old
                  JOIN tektoro_billing_drift drift ON drift.company_id = old.company_id
                 WHERE moved.%(model_column)s = 'tektoro.billing.cursor'
                   AND moved.res_id = old.id
                """,
                table=SQL.identifier(table),
                model_column=SQL.identifier(model_column),
                extra=extra,
            )
        )
        moved[table] = cr.rowcount
    _logger.info(
        "Billing drift moved off the event cursors: %s activities, %s messages, %s followers",
        moved["mail_activity"],
        moved["mail_message"],
        moved["mail_followers"],
    )
