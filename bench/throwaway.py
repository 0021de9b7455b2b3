"""What the Odoo benches share: this checkout's addons path, Odoo's command line, and a
throwaway database with the addon installed (no demo data), dropped when the bench ends.

The benches run as scripts (``python3 bench/bench_x.py``), so this folder is on their path.
"""

import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULE = "tektoro_invoicing"


def odoo_addons_path():
    """This checkout's addons, then Odoo's own (the folders of ``odoo.addons`` holding base)."""
    import odoo.addons

    paths = [p for p in odoo.addons.__path__ if Path(p, "base").is_dir()]
    return ",".join([str(ROOT / "addons"), *paths])


def odoo_cli(*options):
    """The command that runs Odoo's command line with ``options``, in this Python."""
    return [sys.executable, "-c", "import odoo.cli; odoo.cli.main()", *options]


def odoo_options(database, data_dir):
    """The options every bench's Odoo takes: the database, this checkout's addons, quiet."""
    options = [
        f"--database={database}",
        f"--addons-path={odoo_addons_path()}",
        "--log-level=warn",
        "--max-cron-threads=0",
    ]
    return [*options, f"--data-dir={data_dir}"] if data_dir else options


def drop_database(database):
    subprocess.run(["dropdb", "--if-exists", "--force", database], check=False)


@contextmanager
def throwaway_database():
    """Yield ``(database, data_dir)``: a new database with the addon installed, dropped after."""
    database = f"tektoro_bench_{os.getpid()}_{int(time.time())}"
    with tempfile.TemporaryDirectory(prefix="tektoro-bench-") as data_dir:
        print(f"installing {MODULE} in throwaway database {database} ...", flush=True)
        try:
            subprocess.run(
                odoo_cli(
                    *odoo_options(database, data_dir),
                    f"--init={MODULE}",
                    "--without-demo=all",
                    "--stop-after-init",
                    "--no-http",
                ),
                check=True,
                cwd=ROOT,
            )
            yield database, data_dir
        finally:
            drop_database(database)
