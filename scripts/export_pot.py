"""Regenerate addons/tektoro_invoicing/i18n/tektoro_invoicing.pot from the addon's source.

Installs the addon without demo data into a throwaway database, exports the translation template
with Odoo's own exporter, and drops the database.
"""

import subprocess
import sys
import tempfile
import time

from run_addon_tests import MODULE, POT, ROOT, drop_database, odoo_cli


def odoo(*args):
    """Run Odoo; fail on any ERROR it logs (a file whose terms can't be extracted, say)."""
    result = subprocess.run(
        odoo_cli(*args),
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    sys.stderr.write(result.stderr)
    if any(" ERROR " in line for line in result.stderr.splitlines()):
        sys.exit("export_pot: Odoo logged errors (above); the template would miss terms")


def main():
    database = f"tektoro_pot_{int(time.time())}"
    common = ["--log-level=warn", "--stop-after-init", "--no-http"]
    with tempfile.TemporaryDirectory(prefix="tektoro-pot-") as data_dir:
        try:
            odoo(database, data_dir, *common, f"--init={MODULE}", "--without-demo=all")
            odoo(database, data_dir, *common, f"--i18n-export={POT}", f"--modules={MODULE}")
        finally:
            drop_database(database)
    print(f"wrote {POT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
