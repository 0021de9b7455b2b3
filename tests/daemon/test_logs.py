import io
import json
import logging

from sync_daemon.config import load_settings
from sync_daemon.logs import SECRETS, setup_logging

ENV = {
    "TEKTORO_ODOO_URL": "http://odoo:8069",
    "TEKTORO_ODOO_DB": "tektoro",
    "TEKTORO_ODOO_LOGIN": "billing-sync",
    "TEKTORO_ODOO_PASSWORD": "pw-never-logged",
}


def configure(**overrides):
    stream = io.StringIO()
    setup_logging(load_settings({**ENV, **overrides}), stream)
    return stream


def test_odoorpc_never_logs_at_debug_even_when_the_daemon_does():
    stream = configure(TEKTORO_SYNC_LOG_LEVEL="DEBUG")
    logging.getLogger("odoorpc.rpc.jsonrpclib").debug("(JSON,send) args %s", "pw-never-logged")
    logging.getLogger("sync_daemon.test").debug("daemon debug line")
    assert "daemon debug line" in stream.getvalue()
    assert "JSON,send" not in stream.getvalue()


def test_secrets_are_masked_wherever_they_appear():
    stream = configure()
    SECRETS.add("sk_live_company_key")
    logger = logging.getLogger("sync_daemon.test")
    logger.warning("login with %s failed", "pw-never-logged")
    try:
        raise ValueError("header Bearer sk_live_company_key refused")
    except ValueError:
        logger.exception("request failed")
    output = stream.getvalue()
    assert "pw-never-logged" not in output
    assert "sk_live_company_key" not in output
    assert "login with *** failed" in output
    assert "ValueError: header Bearer *** refused" in output


def test_a_key_is_masked_in_its_escaped_spellings_too():
    stream = configure()
    SECRETS.add("sk_live_line\nbreak")
    logging.getLogger("sync_daemon.test").error(
        "Invalid header value %r", b"Bearer sk_live_line\nbreak"
    )
    output = stream.getvalue()
    assert "sk_live_line" not in output
    assert "Invalid header value b'Bearer ***'" in output


def test_json_lines():
    stream = configure(TEKTORO_SYNC_LOG_FORMAT="json")
    logging.getLogger("sync_daemon.test").info("applied %s events", 3)
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["message"] == "applied 3 events"
    assert line["level"] == "INFO"
    assert line["logger"] == "sync_daemon.test"
