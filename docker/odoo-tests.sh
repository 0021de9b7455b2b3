#!/bin/bash
# The Compose `odoo-tests` service: the addon's Odoo tests, in a database made afresh each run.
set -euo pipefail
db_args=(--db_host="${HOST:-db}" --db_user="${USER:-odoo}" --db_password="${PASSWORD:-odoo}")
database=tektoro_test

# An earlier run's database would have the addon installed already: Odoo would then run only its
# post-install tests. `odoo db drop` fails when there is no such database, which is fine here.
odoo db "${db_args[@]}" drop "$database" 2>/dev/null || true

exec odoo "${db_args[@]}" --database="$database" --init=tektoro_invoicing --test-enable \
    --test-tags=/tektoro_invoicing --stop-after-init --log-level=test --http-port=8071
