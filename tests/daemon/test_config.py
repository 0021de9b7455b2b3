import pytest

from sync_daemon.config import load_settings
from sync_daemon.errors import ConfigError

REQUIRED = {
    "TEKTORO_ODOO_URL": "http://odoo:8069",
    "TEKTORO_ODOO_DB": "tektoro",
    "TEKTORO_ODOO_LOGIN": "billing-sync",
    "TEKTORO_ODOO_PASSWORD": "s3cret-password",
}


def test_defaults_with_only_the_required_variables():
    settings = load_settings(dict(REQUIRED))
    assert settings.odoo_url == "http://odoo:8069"
    assert settings.page_size == 500
    assert settings.events_interval == 30.0
    assert settings.http_port == 9108
    assert settings.log_format == "plain"


def test_values_are_read_and_normalised():
    settings = load_settings(
        {
            **REQUIRED,
            "TEKTORO_ODOO_URL": "https://odoo.example.com/",
            "TEKTORO_SYNC_EVENTS_INTERVAL": "2.5",
            "TEKTORO_SYNC_PAGE_SIZE": "1000",
            "TEKTORO_SYNC_LOG_FORMAT": "JSON",
            "TEKTORO_SYNC_LOG_LEVEL": "debug",
            "TEKTORO_SYNC_HTTP_PORT": "0",
        }
    )
    assert settings.odoo_url == "https://odoo.example.com"
    assert settings.events_interval == 2.5
    assert settings.page_size == 1000
    assert settings.log_format == "json"
    assert settings.log_level == "DEBUG"
    assert settings.http_port == 0


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_a_missing_required_variable_is_named(name):
    env = {**REQUIRED, name: "  "}
    with pytest.raises(ConfigError, match=f"^{name} is required"):
        load_settings(env)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TEKTORO_ODOO_URL", "odoo:8069", "must be an http:// or https:// URL"),
        ("TEKTORO_ODOO_URL", "http://odoo:80a", "invalid port"),
        ("TEKTORO_ODOO_URL", "http://odoo:8069/web", "without a path"),
        ("TEKTORO_ODOO_URL", "http://sync:hunter2@odoo:8069", "must not carry a user or password"),
        ("TEKTORO_SYNC_PAGE_SIZE", "0", "between 1 and 1000"),
        ("TEKTORO_SYNC_PAGE_SIZE", "1001", "between 1 and 1000"),
        ("TEKTORO_SYNC_PAGE_SIZE", "5.5", "must be an integer"),
        ("TEKTORO_SYNC_EVENTS_INTERVAL", "soon", "must be a number"),
        ("TEKTORO_SYNC_RETRY_INTERVAL", "0", "between 1 and"),
        ("TEKTORO_SYNC_HTTP_PORT", "70000", "between 0 and 65535"),
        ("TEKTORO_SYNC_LOG_FORMAT", "xml", "one of plain, json"),
        ("TEKTORO_SYNC_LOG_LEVEL", "chatty", "one of DEBUG"),
        ("TEKTORO_SYNC_BACKOFF_MAX", "0.1", "at least TEKTORO_SYNC_BACKOFF_BASE"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(name, value, message):
    with pytest.raises(ConfigError) as raised:
        load_settings({**REQUIRED, name: value})
    assert name in str(raised.value)
    assert message in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_the_password_never_shows_in_the_settings_repr_or_redacted_view():
    settings = load_settings(dict(REQUIRED))
    assert "s3cret-password" not in repr(settings)
    assert "s3cret-password" not in str(settings.redacted())
    assert settings.secrets == ("s3cret-password",)
