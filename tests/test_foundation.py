"""The parts of the foundation no other test exercises: the Compose file, the Dockerfile, the
manifest and the installed console scripts. No Docker engine runs here, so the Compose file is
checked by reading it."""

import ast
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from daemon.e2e.harness import ODOO_MISSING

ROOT = Path(__file__).resolve().parent.parent
ADDON = ROOT / "addons" / "tektoro_invoicing"


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def manifest():
    return ast.literal_eval((ADDON / "__manifest__.py").read_text())


def test_compose_runs_the_four_services(compose):
    assert {"db", "odoo", "billing", "sync"} <= set(compose["services"])


def test_compose_db_is_postgres_with_a_healthcheck(compose):
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_compose_odoo_is_the_official_image_with_the_addon_installed(compose):
    odoo = compose["services"]["odoo"]
    assert odoo["image"] == "odoo:18"
    assert "./addons:/mnt/extra-addons:ro" in odoo["volumes"]
    assert odoo["depends_on"]["db"]["condition"] == "service_healthy"
    assert "8069:8069" in odoo["ports"]
    start = ROOT / "docker" / "odoo-start.sh"
    assert f"./{start.relative_to(ROOT)}:/usr/local/bin/{odoo['command'][0]}:ro" in odoo["volumes"]
    assert "--init=tektoro_invoicing" in _install_options(start.read_text(), "--init=")
    assert odoo["environment"]["TEKTORO_BILLING_URL"] == "http://billing:8070"


def _install_options(text, containing=""):
    """The options of the first ``odoo`` command in ``text`` (among those that contain
    ``containing``), but the database connection and the addons path (shell expansions)."""
    lines = [line.strip() for line in re.sub(r"\\\n", " ", text).splitlines()]
    line = next(line for line in lines if re.match(r"(exec )?odoo ", line) and containing in line)
    words = shlex.split(line.removeprefix("exec "))[1:]
    return [word for word in words if "$" not in word]


def _parsed_by_odoo(options, *keys):
    """What Odoo's own option parser makes of ``options``: ``config[key]`` for each key."""
    code = (
        "import json, sys; from odoo.tools import config; config.parse_config(sys.argv[2:]); "
        "print(json.dumps({key: config[key] for key in sys.argv[1].split(',')}))"
    )
    parsed = subprocess.run(
        [sys.executable, "-c", code, ",".join(keys), *options],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(parsed.stdout)


@pytest.mark.skipif(ODOO_MISSING, reason="asks Odoo's option parser: Odoo is not importable")
@pytest.mark.parametrize(
    ("where", "install"), [("docker/odoo-start.sh", "--init="), ("README.md", " -i ")]
)
def test_the_install_commands_load_the_demo_data_the_readme_logs_in_with(where, install):
    """Odoo's own option parser decides. ``--without-demo=False`` on the command line (as both
    once said) gives a database without the demo users."""
    options = _install_options((ROOT / where).read_text(), install)
    assert _parsed_by_odoo(options, "demo") == {"demo": {"tektoro_invoicing": 1}}, options


@pytest.mark.skipif(ODOO_MISSING, reason="asks Odoo's option parser: Odoo is not importable")
def test_compose_odoo_installs_the_addon_once_then_only_updates_it():
    """On Odoo's command line, --init of an installed module reloads its data as at installation
    (over an administrator's changes, replaying the demo data's actions, which then fail): a
    start finds the addon installed, and only updates it, or installs it, never both."""
    text = (ROOT / "docker" / "odoo-start.sh").read_text()
    update = _parsed_by_odoo(_install_options(text, "--update="), "init", "update")
    install = _parsed_by_odoo(_install_options(text, "--init="), "init", "update")
    assert update == {"init": {}, "update": {"tektoro_invoicing": 1}}
    assert install == {"init": {"tektoro_invoicing": 1}, "update": {}}
    # The update runs where the database says the addon is installed, the install elsewhere.
    assert re.search(
        r"SELECT state FROM ir_module_module WHERE name = 'tektoro_invoicing'.*\n(.*\n)*"
        r'if \[ "\$addon_state" = installed \]; then\n\s+odoo .*--update=tektoro_invoicing.*\n'
        r"else\n(\s*#.*\n)*\s+odoo .*--init=tektoro_invoicing",
        text,
    )


def test_compose_odoo_and_sandbox_share_one_api_key(compose):
    odoo, billing = compose["services"]["odoo"], compose["services"]["billing"]
    key = odoo["environment"]["TEKTORO_BILLING_API_KEY"]
    assert key and billing["environment"]["TEKTORO_BILLING_API_KEY"] == key
    assert "--api-key" not in billing["command"]


def test_compose_sandbox_and_daemon_share_the_repo_dockerfile(compose):
    billing, sync = compose["services"]["billing"], compose["services"]["sync"]
    assert billing["build"] == sync["build"] == "."
    assert billing["command"][0] == "tektoro-billing-sandbox"
    assert {"--port", "--db"} <= set(billing["command"])
    assert sync["command"] == ["tektoro-sync", "run"]
    assert {
        "TEKTORO_ODOO_URL",
        "TEKTORO_ODOO_DB",
        "TEKTORO_ODOO_LOGIN",
        "TEKTORO_ODOO_PASSWORD",
    } <= set(sync["environment"])
    assert sync["environment"]["TEKTORO_ODOO_URL"] == "http://odoo:8069"


def test_compose_runs_the_addon_tests_in_the_odoo_image(compose):
    tests = compose["services"]["odoo-tests"]
    assert tests["image"] == "odoo:18"
    assert "test" in tests["profiles"]
    script = ROOT / "docker" / "odoo-tests.sh"
    assert (
        f"./{script.relative_to(ROOT)}:/usr/local/bin/{tests['command'][0]}:ro" in tests["volumes"]
    )
    text = script.read_text()
    options = _install_options(text, "--test-enable")
    assert {"--test-enable", "--test-tags=/tektoro_invoicing", "--init=tektoro_invoicing"} <= set(
        options
    )
    # A database of its own, dropped first: one left by an earlier run has the addon installed,
    # and Odoo would run only the post-install tests in it.
    assert re.search(r'drop "\$database".*\n(.*\n)*exec odoo .*--database="\$database"', text)


def test_dockerfile_installs_both_packages():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY billing_sandbox" in dockerfile
    assert "COPY sync_daemon" in dockerfile
    assert "pip install --no-cache-dir ." in dockerfile


def test_manifest_declares_what_odoo_and_the_oca_need(manifest):
    # Odoo's series, then the addon's own version: migrations/<version>/ run on update.
    assert re.fullmatch(r"18\.0\.\d+\.\d+\.\d+", manifest["version"]), manifest["version"]
    assert manifest["license"] == "LGPL-3"
    assert {"author", "website", "category"} <= set(manifest)
    assert {"base", "mail", "web"} <= set(manifest["depends"])


def test_every_file_the_manifest_loads_exists(manifest):
    listed = manifest["data"] + manifest.get("demo", [])
    missing = [name for name in listed if not (ADDON / name).is_file()]
    assert missing == []


def test_addon_ships_icon_readme_fragments_and_translation_template():
    assert (ADDON / "static/description/icon.png").read_bytes().startswith(b"\x89PNG")
    for fragment in ("DESCRIPTION", "USAGE", "CONFIGURE"):
        assert (ADDON / "readme" / f"{fragment}.md").read_text().strip()
    assert 'msgid ""' in (ADDON / "i18n/tektoro_invoicing.pot").read_text()


@pytest.mark.parametrize("script", ["tektoro-billing-sandbox", "tektoro-sync"])
def test_console_scripts_answer_help(script):
    path = shutil.which(script)
    assert path, f"{script} is not installed: run pip install ."
    result = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout.lower()
