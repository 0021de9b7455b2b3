"""Updating the addon from 18.0.1.0.0 keeps each company's drift report and what hangs on it.

Up to 18.0.1.0.0 the last reconcile's drift lived on the event cursor, with the managers'
activities about it; 18.0.1.0.1 moved it to ``tektoro.billing.drift``
(``migrations/18.0.1.0.1/post-migrate.py``). This installs 18.0.1.0.0 from this checkout's git
history, reports persistent drift there, updates to the code of the checkout and checks that the
report, the activities and the messages carried over, and that the next report brings the same
activity up to date. The same update widens the event cursor to 64 bits in place (Odoo converts
the column for the field's new type), keeping the position it had reached. The chatter's
subtypes and the review activity, as an administrator set them up, are kept.
"""

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from daemon.e2e.harness import ODOO_MISSING, ROOT, SKIP_REASON, OdooServer

pytestmark = pytest.mark.skipif(ODOO_MISSING, reason=SKIP_REASON)

# The last commit whose addon is 18.0.1.0.0.
RELEASE_18_0_1_0_0 = "7251719"

# Scripts run inside Odoo after PREAMBLE (``python -c``); each prints one JSON document.
PREAMBLE = r"""
import json, sys
import odoo
from odoo.tools import config

database, addons_path = sys.argv[1:3]
config.parse_config([f"--addons-path={addons_path}", f"--database={database}"])
registry = odoo.modules.registry.Registry(database)
DRIFT = [{"kind": "paid_outside", "reference": "TFT-00001", "billing_id": "inv_1",
          "detail": "paid in billing, sent in Odoo"}]
"""

REPORT_ON_18_0_1_0_0 = r"""
with registry.cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    company = env.ref("base.main_company")
    company.write({"tektoro_billing_url": "http://billing.invalid",
                   "tektoro_billing_api_key": "sk_migration"})
    sync = env["tektoro.billing.sync"]
    sync.report_drift(company.id, DRIFT)
    sync.report_drift(company.id, DRIFT)  # seen twice in a row: the managers get an activity
    cursor = env["tektoro.billing.cursor"].search([("company_id", "=", company.id)])
    cursor.message_post(body="Checked with finance: the payment is real.")
    cursor.write({"last_event_id": 2**31 - 1})  # as far as a 32-bit column goes
    # An administrator gives reviewers more time, and renames a subtype.
    env.ref("tektoro_invoicing.mail_act_master_invoice_approval").delay_count = 5
    env.ref("tektoro_invoicing.mt_master_invoice_paid").name = "Paid out"
    print(json.dumps({
        "company_id": company.id,
        "drift_count": cursor.drift_count,
        "drift_keys": cursor.drift_keys,
        "activity_ids": cursor.activity_ids.ids,
        "message_ids": cursor.message_ids.ids,
        "follower_ids": cursor.message_follower_ids.ids,
        "cursor": cursor.last_event_id,
    }))
"""

READ_AFTER_UPDATE = r"""
with registry.cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    company = env.ref("base.main_company")
    drift = env["tektoro.billing.drift"].search([("company_id", "=", company.id)])
    moved = {
        "drift_count": drift.drift_count,
        "drift_keys": drift.drift_keys,
        "activity_ids": drift.activity_ids.ids,
        "message_ids": drift.message_ids.ids,
        "follower_ids": drift.message_follower_ids.ids,
    }
    left_on_cursors = env["mail.activity"].search_count(
        [("res_model", "=", "tektoro.billing.cursor")]
    )
    old_columns = odoo.tools.sql.column_exists(cr, "tektoro_billing_cursor", "drift_keys")
    cr.execute(
        "SELECT data_type FROM information_schema.columns"
        " WHERE table_name = 'tektoro_billing_cursor' AND column_name = 'last_event_id'"
    )
    cursor_type = cr.fetchone()[0]
    cursor = env["tektoro.billing.cursor"].search([("company_id", "=", company.id)])
    cursor_kept = cursor.last_event_id
    # The next page of a billing system whose ids went past 32 bits.
    next_page = [{"id": 2**31 + 1, "type": "invoice.created", "created_at": "2025-01-02T03:04:05Z"}]
    env["tektoro.billing.sync"].apply_events(company.id, cursor_kept, next_page)
    cursor.invalidate_recordset()
    env["tektoro.billing.sync"].report_drift(company.id, DRIFT)
    print(json.dumps({
        "version": env.ref("base.module_tektoro_invoicing").latest_version,
        "moved": moved,
        "left_on_cursors": left_on_cursors,
        "old_columns": old_columns,
        "activity_ids_after_next_report": drift.activity_ids.ids,
        "cursor_type": cursor_type,
        "cursor_kept": cursor_kept,
        "cursor_after_next_page": cursor.last_event_id,
        "review_delay": env.ref("tektoro_invoicing.mail_act_master_invoice_approval").delay_count,
        "paid_subtype": env.ref("tektoro_invoicing.mt_master_invoice_paid").name,
    }))
"""


def _old_addons(workdir):
    """The addon as released in 18.0.1.0.0, taken from this checkout's git history."""
    archive = subprocess.run(
        ["git", "archive", RELEASE_18_0_1_0_0, "addons/tektoro_invoicing"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if archive.returncode:
        pytest.skip(
            f"the migration test needs this checkout's git history (commit {RELEASE_18_0_1_0_0})"
        )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(workdir, filter="data")
    return Path(workdir) / "addons"


def _orm(script, server):
    result = subprocess.run(
        [sys.executable, "-c", PREAMBLE + script, server.database, server.addons_path()],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
        timeout=300,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_update_from_18_0_1_0_0_moves_drift_reports_and_widens_the_cursor(tmp_path):
    server = OdooServer(tmp_path, addons=_old_addons(tmp_path / "old"))
    try:
        server.install()
        before = _orm(REPORT_ON_18_0_1_0_0, server)
        assert before["drift_count"] == 1 and before["activity_ids"], before

        server.addons = ROOT / "addons"
        server.update()
        after = _orm(READ_AFTER_UPDATE, server)
    finally:
        server.stop()

    assert after["version"] == "18.0.1.0.1"
    assert after["moved"] == {key: before[key] for key in after["moved"]}
    assert after["left_on_cursors"] == 0
    assert not after["old_columns"]
    # The drift persists at the next reconcile: the same activities, brought up to date.
    assert after["activity_ids_after_next_report"] == before["activity_ids"]
    assert before["cursor"] == 2**31 - 1
    assert (after["cursor_type"], after["cursor_kept"]) == ("bigint", 2**31 - 1)
    assert after["cursor_after_next_page"] == 2**31 + 1
    # What an administrator set up survives the update.
    assert (after["review_delay"], after["paid_subtype"]) == (5, "Paid out")
