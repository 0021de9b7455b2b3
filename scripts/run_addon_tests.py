"""Install the addon in a throwaway database and run its Odoo tests.

Odoo reports a failing test, an error logged by any module and a skipped browser tour all in its log
rather than in its exit status, so this reads the log: any ERROR or CRITICAL line, any failed test
and any skipped test fails the run. A whole-addon run also checks that the committed translation
template is what Odoo exports from the same database. The database and its filestore are dropped
afterwards.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULE = "tektoro_invoicing"
POT = ROOT / "addons" / MODULE / "i18n" / f"{MODULE}.pot"
DATED_HEADERS = ('"Project-Id-Version:', '"POT-Creation-Date:', '"PO-Revision-Date:')
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) ")
RESULT = re.compile(r"(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<tests>\d+) tests")
SKIPPED = re.compile(r": skipped \S+ : ")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odoo_cli(database, data_dir, *options):
    """The command that runs Odoo's CLI on ``database`` with this checkout's addon."""
    return [
        sys.executable,
        "-c",
        "import odoo.cli; odoo.cli.main()",
        f"--database={database}",
        f"--addons-path={ROOT / 'addons'},{odoo_addons_path()}",
        f"--data-dir={data_dir}",
        *options,
    ]


def odoo_command(database, data_dir, test_tags):
    return odoo_cli(
        database,
        data_dir,
        f"--init={MODULE}",
        "--test-enable",
        f"--test-tags={test_tags}",
        "--stop-after-init",
        "--log-level=test",
        f"--http-port={free_port()}",
        "--http-interface=127.0.0.1",
        "--max-cron-threads=0",
        "--no-database-list",
    )


def odoo_addons_path():
    import odoo.addons

    return ",".join(p for p in odoo.addons.__path__ if Path(p, "base").is_dir())


def drop_database(database):
    subprocess.run(["dropdb", "--if-exists", "--force", database], check=False)


def pot_entries(text):
    """A translation template without the header lines that change with every export or build."""
    return [line for line in text.splitlines() if not line.startswith(DATED_HEADERS)]


def stale_translation_template(database, data_dir):
    """Export the template from the suite's database; problems if it differs from the file."""
    with tempfile.TemporaryDirectory(prefix="tektoro-pot-") as pot_dir:
        exported = Path(pot_dir, f"{MODULE}.pot")
        export = subprocess.run(
            odoo_cli(
                database,
                data_dir,
                f"--i18n-export={exported}",
                f"--modules={MODULE}",
                "--log-level=warn",
                "--stop-after-init",
                "--no-http",
            ),
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        errors = [line for line in export.stderr.splitlines() if " ERROR " in line]
        if export.returncode or errors or not exported.exists():
            return [f"exporting the translation template failed: {errors or export.returncode}"]
        if pot_entries(exported.read_text()) != pot_entries(POT.read_text()):
            return [f"{POT.relative_to(ROOT)} is not up to date: run python3 scripts/export_pot.py"]
    return []


def run(test_tags):
    database = f"tektoro_test_{os.getpid()}_{int(time.time())}"
    problems = []
    result = None
    with tempfile.TemporaryDirectory(prefix="tektoro-odoo-") as data_dir:
        proc = subprocess.Popen(
            odoo_command(database, data_dir, test_tags),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
        )
        try:
            for line in proc.stdout:
                sys.stdout.write(line)
                match = LOG_LINE.match(line)
                if match and match["level"] in ("ERROR", "CRITICAL"):
                    problems.append(line.strip())
                if SKIPPED.search(line):
                    problems.append(f"skipped (a skipped tour counts as a failure): {line.strip()}")
                found = RESULT.search(line)
                if found:
                    result = {k: int(v) for k, v in found.groupdict().items()}
            returncode = proc.wait()
            if returncode == 0 and test_tags == f"/{MODULE}":
                problems += stale_translation_template(database, data_dir)
        finally:
            if proc.poll() is None:
                proc.kill()
            drop_database(database)
    if returncode:
        problems.append(f"odoo exited with status {returncode}")
    if result is None:
        problems.append("odoo printed no test result line")
    elif result["tests"] == 0:
        problems.append("no addon test ran")
    print()
    print(f"addon suite: {MODULE} installed in fresh database {database} (dropped afterwards)")
    if result:
        print(
            f"addon suite: {result['tests']} tests run, {result['failed']} failed, "
            f"{result['errors']} errors"
        )
    for problem in problems:
        print(f"addon suite problem: {problem}")
    print("addon suite:", "FAILED" if problems else "PASSED")
    return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--test-tags",
        default=f"/{MODULE}",
        help="Odoo --test-tags, e.g. /tektoro_invoicing:TestSettingsTour (default: whole addon)",
    )
    sys.exit(run(parser.parse_args().test_tags))


if __name__ == "__main__":
    main()
