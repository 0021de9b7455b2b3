#!/bin/bash
# The Compose `odoo` service: install the addon with demo data into a new `tektoro` database, or
# update it in the existing one; point the demo company at the Compose billing sandbox unless
# someone already configured it; then serve.
set -euo pipefail
db_args=(--db_host="${HOST:-db}" --db_user="${USER:-odoo}" --db_password="${PASSWORD:-odoo}")

# --init on a database that has the addon would reload all its data as at installation, over
# what an administrator changed (mail templates, for one), and replay the demo data's actions;
# --update reloads only what the addon may update. psql comes with the official image.
addon_state=$(PGHOST="${HOST:-db}" PGUSER="${USER:-odoo}" PGPASSWORD="${PASSWORD:-odoo}" \
    psql --dbname=tektoro --no-psqlrc --tuples-only --no-align \
    --command="SELECT state FROM ir_module_module WHERE name = 'tektoro_invoicing'" \
    2>/dev/null || true)
if [ "$addon_state" = installed ]; then
    odoo "${db_args[@]}" --database=tektoro --update=tektoro_invoicing --stop-after-init --no-http
else
    # A new database gets demo data by default. No --without-demo here: on Odoo 18's command
    # line any value of it, "False" included, turns demo data off.
    odoo "${db_args[@]}" --database=tektoro --init=tektoro_invoicing --stop-after-init --no-http
fi

odoo shell "${db_args[@]}" --database=tektoro --no-http <<'PY'
import os
company = env.ref("base.main_company")
if not company.tektoro_billing_url:
    company.write({
        "tektoro_billing_url": os.environ["TEKTORO_BILLING_URL"],
        "tektoro_billing_api_key": os.environ["TEKTORO_BILLING_API_KEY"],
    })
    env.cr.commit()
PY

exec odoo "${db_args[@]}" --database=tektoro --db-filter='^tektoro$'
