#!/bin/bash
# The Compose `odoo` service: install (or update) the addon with demo data, point the demo company
# at the Compose billing sandbox unless someone already configured it, then serve.
set -euo pipefail
db_args=(--db_host="${HOST:-db}" --db_user="${USER:-odoo}" --db_password="${PASSWORD:-odoo}")

# A new database gets demo data by default. No --without-demo here: on Odoo 18's command line any
# value of it, "False" included, turns demo data off.
odoo "${db_args[@]}" --database=tektoro --init=tektoro_invoicing --stop-after-init --no-http

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
