from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, tagged

from .common import TektoroCase


@tagged("post_install", "-at_install")
class TestCompanySettings(TektoroCase):
    def test_defaults_of_a_new_company(self):
        company = self.env["res.company"].create({"name": "Fresh Co"})
        self.assertRecordValues(
            company,
            [
                {
                    "tektoro_invoices_enabled": False,
                    "tektoro_invoice_prefix": "TFT",
                    "tektoro_billing_url": False,
                    "tektoro_billing_timeout": 10.0,
                }
            ],
        )

    def test_settings_page_writes_the_current_company(self):
        settings = self.env["res.config.settings"].create(
            {
                "tektoro_invoices_enabled": True,
                "tektoro_invoice_prefix": "ACME",
                "tektoro_default_tax_rate": 7.5,
                "tektoro_billing_url": "http://127.0.0.1:8070",
                "tektoro_billing_api_key": "sk_test",
                "tektoro_billing_timeout": 4,
            }
        )
        settings.execute()
        self.assertRecordValues(
            self.company,
            [
                {
                    "tektoro_invoices_enabled": True,
                    "tektoro_invoice_prefix": "ACME",
                    "tektoro_default_tax_rate": 7.5,
                    "tektoro_billing_url": "http://127.0.0.1:8070",
                    "tektoro_billing_api_key": "sk_test",
                    "tektoro_billing_timeout": 4.0,
                }
            ],
        )

    def test_api_key_is_for_system_administrators_only(self):
        self.company.sudo().tektoro_billing_api_key = "sk_secret"
        for user in (self.manager, self.office, self.contractor):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.company.with_user(user).read(["tektoro_billing_api_key"])
        with self.assertRaises(AccessError):
            self.company.with_user(self.manager).write({"tektoro_billing_api_key": "sk_stolen"})
        self.assertEqual(self.company.sudo().tektoro_billing_api_key, "sk_secret")
        # The daemon reads the key only through its own batch method, never as a plain field.
        self.assertNotIn(
            "tektoro_billing_api_key",
            self.company.with_user(self.manager).fields_get(),
        )

    def test_bad_values_are_refused(self):
        bad_values = [
            ("tektoro_invoice_prefix", "TF T"),
            ("tektoro_default_tax_rate", -1),
            ("tektoro_billing_timeout", 0),
            ("tektoro_billing_url", "ftp://billing"),
            # Each of these a request could not even be sent to.
            ("tektoro_billing_url", "http://"),
            ("tektoro_billing_url", "https://billing example.com"),
            ("tektoro_billing_url", "http://[::1"),
            ("tektoro_billing_url", "http://billing:port"),
            ("tektoro_billing_url", "http://billing:70000"),
            ("tektoro_billing_url", "https://billing.example.com\n"),
            ("tektoro_billing_api_key", "sk_live one"),
            ("tektoro_billing_api_key", "sk_live\nX-Other: header"),
            ("tektoro_billing_api_key", "sk_live\x00"),
        ]
        for field, value in bad_values:
            with self.subTest(field=field, value=value), self.assertRaises(ValidationError):
                self.company.sudo().write({field: value})

    def test_billing_urls_and_keys_that_work_are_taken(self):
        for url, key in (
            ("https://billing.example.com", "sk_live_0123456789abcdef"),
            ("http://127.0.0.1:8070/", "sk-test.with:punctuation/+="),
            ("http://[::1]:8070/api", "K"),
        ):
            with self.subTest(url=url):
                company = self.company.sudo()
                company.write({"tektoro_billing_url": url, "tektoro_billing_api_key": key})
                self.assertRecordValues(
                    company, [{"tektoro_billing_url": url, "tektoro_billing_api_key": key}]
                )


@tagged("post_install", "-at_install")
class TestSettingsTour(HttpCase):
    def test_settings_tour(self):
        company = self.env.ref("base.main_company")
        company.write({"tektoro_invoices_enabled": False, "tektoro_invoice_prefix": "TFT"})
        self.start_tour(
            "/odoo/action-tektoro_invoicing.res_config_settings_action",
            "tektoro_settings_tour",
            login="admin",
        )
        self.assertRecordValues(
            company, [{"tektoro_invoices_enabled": True, "tektoro_invoice_prefix": "ACME"}]
        )
