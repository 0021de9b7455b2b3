from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, HttpCase, new_test_user, tagged

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

    def test_companies_on_one_billing_account_need_their_own_prefixes(self):
        account = {
            "tektoro_billing_url": "https://billing.example.com",
            "tektoro_billing_api_key": "sk_a",
            "tektoro_invoices_enabled": True,
        }
        self.company.sudo().write({**account, "tektoro_invoice_prefix": "TFT"})
        # A company that makes no invoices numbers nothing: it may share the series.
        neighbour = (
            self.env["res.company"]
            .sudo()
            .create({"name": "Neighbour Co", **account, "tektoro_invoices_enabled": False})
        )
        with self.assertRaisesRegex(ValidationError, "same prefix TFT"), self.cr.savepoint():
            neighbour.write({"tektoro_invoices_enabled": True})
        # Alone on its account, or numbered apart on a shared one: taken.
        neighbour.write({**account, "tektoro_billing_api_key": "sk_b"})
        neighbour.write({**account, "tektoro_invoice_prefix": "NBR"})
        # Then the same number series on the same account: refused, whichever field makes it so.
        for values in (
            {"tektoro_invoice_prefix": "TFT"},
            {
                "tektoro_billing_url": "https://billing.example.com/",
                "tektoro_invoice_prefix": "TFT",
            },
            {
                "tektoro_billing_url": "HTTPS://Billing.Example.com:443",
                "tektoro_invoice_prefix": "TFT",
            },
        ):
            with (
                self.subTest(values=values),
                self.assertRaisesRegex(ValidationError, "same prefix TFT"),
                self.cr.savepoint(),
            ):
                neighbour.write(values)
        neighbour.write({"tektoro_billing_api_key": "sk_b", "tektoro_invoice_prefix": "TFT"})
        with (
            self.assertRaisesRegex(ValidationError, "Neighbour Co and .* same billing account"),
            self.cr.savepoint(),
        ):
            neighbour.write({"tektoro_billing_api_key": "sk_a"})
        with self.assertRaisesRegex(ValidationError, "same billing account"), self.cr.savepoint():
            self.env["res.company"].sudo().create({"name": "Third Co", **account})
        # A manager of the neighbour only is not told the name of the other tenant.
        outsider = new_test_user(
            self.env,
            "tk_neighbour_manager",
            groups="base.group_user,base.group_system",
            company_id=neighbour.id,
            company_ids=[(6, 0, neighbour.ids)],
        )
        with (
            self.assertRaisesRegex(
                ValidationError, "^Neighbour Co and another company send their work-order"
            ),
            self.cr.savepoint(),
        ):
            neighbour.with_user(outsider).write({"tektoro_billing_api_key": "sk_a"})
        neighbour.invalidate_recordset()
        self.assertRecordValues(
            neighbour, [{"tektoro_invoice_prefix": "TFT", "tektoro_billing_api_key": "sk_b"}]
        )

    def test_ipv6_billing_addresses_are_told_apart_by_their_port(self):
        invoicing = {"tektoro_invoices_enabled": True, "tektoro_billing_api_key": "sk_a"}
        self.company.sudo().write({**invoicing, "tektoro_billing_url": "http://[::1]:8070"})
        # Host ::1 on port 8070, and host ::1:8070 on the default port: two accounts.
        neighbour = (
            self.env["res.company"]
            .sudo()
            .create(
                {"name": "Neighbour Co", **invoicing, "tektoro_billing_url": "http://[::1:8070]"}
            )
        )
        self.assertEqual(neighbour.tektoro_invoice_prefix, self.company.tektoro_invoice_prefix)
        with self.assertRaisesRegex(ValidationError, "same prefix TFT"), self.cr.savepoint():
            neighbour.write({"tektoro_billing_url": "HTTP://[::1]:8070/"})

    def test_the_settings_page_checks_a_save_as_a_whole(self):
        """Turning invoices on with a prefix of its own, in one save, on a shared account."""
        account = {
            "tektoro_billing_url": "https://billing.example.com",
            "tektoro_billing_api_key": "sk_a",
        }
        self.company.sudo().write(
            {**account, "tektoro_invoices_enabled": True, "tektoro_invoice_prefix": "TFT"}
        )
        neighbour = self.env["res.company"].sudo().create({"name": "Neighbour Co", **account})
        self.env.user.company_ids |= neighbour
        settings = (
            self.env["res.config.settings"]
            .with_company(neighbour)
            .create({"tektoro_invoices_enabled": True, "tektoro_invoice_prefix": "NBR"})
        )
        settings.execute()
        self.assertRecordValues(
            neighbour, [{"tektoro_invoices_enabled": True, "tektoro_invoice_prefix": "NBR"}]
        )
        with self.assertRaisesRegex(ValidationError, "same prefix TFT"), self.cr.savepoint():
            self.env["res.config.settings"].with_company(neighbour).create(
                {"tektoro_invoice_prefix": "TFT"}
            )

    def test_prefixes_of_letters_digits_and_underscores_are_taken(self):
        for prefix in ("T", "TFT_2", "ABCDEFGHIJ"):
            with self.subTest(prefix=prefix):
                self.company.write({"tektoro_invoice_prefix": prefix})
                self.assertEqual(self.company.tektoro_invoice_prefix, prefix)

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
class TestManagerSettings(TektoroCase):
    """TekToro > Configuration > Settings: the company's settings for managers too."""

    def open_settings(self, user):
        return Form(self.env["tektoro.company.settings"].with_user(user))

    def test_a_manager_who_is_no_administrator_changes_the_business_settings(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        self.company.write(
            {
                "tektoro_invoices_enabled": False,
                "tektoro_invoice_prefix": "TFT",
                "tektoro_default_tax_rate": 5.0,
            }
        )
        with self.open_settings(self.manager) as settings:
            # The dialog opens on the company's current values.
            self.assertEqual(settings.company_id, self.company)
            self.assertFalse(settings.tektoro_invoices_enabled)
            self.assertEqual(settings.tektoro_invoice_prefix, "TFT")
            self.assertEqual(settings.tektoro_default_tax_rate, 5.0)
            settings.tektoro_invoices_enabled = True
            settings.tektoro_invoice_prefix = "ACME"
            settings.tektoro_default_tax_rate = 7.5
        action = settings.record.action_save()
        self.assertEqual(action["tag"], "reload")  # the invoices menu follows the flag
        self.assertRecordValues(
            self.company,
            [
                {
                    "tektoro_invoices_enabled": True,
                    "tektoro_invoice_prefix": "ACME",
                    "tektoro_default_tax_rate": 7.5,
                }
            ],
        )
        # The flag unchanged, no menu moves: the dialog closes on a word that the save took.
        with self.open_settings(self.manager) as settings:
            settings.tektoro_default_tax_rate = 8.875
        action = settings.record.action_save()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn(self.company.name, action["params"]["message"])
        self.assertIn("saved", action["params"]["message"])
        self.assertEqual(action["params"]["next"], {"type": "ir.actions.act_window_close"})
        self.assertEqual(self.company.tektoro_default_tax_rate, 8.875)
        with self.open_settings(self.manager) as settings:
            pass
        action = settings.record.action_save()
        self.assertIn("unchanged", action["params"]["message"])

    def test_a_manager_writes_the_business_settings_on_the_company_over_rpc(self):
        company = self.company.with_user(self.manager)
        company.write(
            {
                "tektoro_invoices_enabled": True,
                "tektoro_invoice_prefix": "RPC",
                "tektoro_default_tax_rate": 6.5,
            }
        )
        self.assertRecordValues(
            self.company,
            [
                {
                    "tektoro_invoices_enabled": True,
                    "tektoro_invoice_prefix": "RPC",
                    "tektoro_default_tax_rate": 6.5,
                }
            ],
        )
        with self.assertRaises(ValidationError), self.cr.savepoint():
            company.write({"tektoro_invoice_prefix": "R P C"})
        # Nothing else of a company, nor its billing connection, nor another company's settings.
        other = self.env["res.company"].create({"name": "Other Co"})
        for record, vals in (
            (company, {"name": "Renamed"}),
            (company, {"tektoro_invoice_prefix": "RPC2", "name": "Renamed"}),
            (company, {"tektoro_billing_url": "https://thief.example"}),
            (other.with_user(self.manager), {"tektoro_invoices_enabled": True}),
            (self.company.with_user(self.office), {"tektoro_invoices_enabled": False}),
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError), self.cr.savepoint():
                record.write(vals)
        self.assertRecordValues(
            self.company,
            [{"tektoro_invoices_enabled": True, "tektoro_billing_url": False}],
        )
        self.assertFalse(other.tektoro_invoices_enabled)
        self.assertNotEqual(self.company.name, "Renamed")

    def test_a_manager_changes_only_the_settings_of_their_active_companies(self):
        """As Odoo's multi-company rules have it: a company the manager works for, but not
        selected in the company switcher, is not changed (any more than it is read)."""
        other = self.env["res.company"].create(
            {"name": "Other Co", "tektoro_invoice_prefix": "OTH"}
        )
        self.manager.company_ids |= other
        only_here = {"allowed_company_ids": self.company.ids}
        with self.assertRaises(AccessError):
            other.with_user(self.manager).with_context(**only_here).write(
                {"tektoro_default_tax_rate": 33.0}
            )
        settings = (
            self.env["tektoro.company.settings"]
            .with_user(self.manager)
            .with_context(**only_here)
            .create({"company_id": other.id, "tektoro_invoice_prefix": "STOLEN"})
        )
        with self.assertRaisesRegex(AccessError, "not one of your active companies"):
            settings.action_save()
        self.assertRecordValues(
            other, [{"tektoro_invoice_prefix": "OTH", "tektoro_default_tax_rate": 0.0}]
        )
        # Selected in the switcher, it is theirs to change.
        both = (
            self.env["res.company"]
            .with_user(self.manager)
            .with_context(allowed_company_ids=[self.company.id, other.id])
        )
        both.browse(other.id).write({"tektoro_default_tax_rate": 33.0})
        self.assertEqual(other.tektoro_default_tax_rate, 33.0)

    def test_the_billing_connection_stays_with_system_administrators(self):
        self.company.sudo().write(
            {
                "tektoro_billing_url": "https://billing.example.com",
                "tektoro_billing_api_key": "sk_a",
            }
        )
        Settings = self.env["tektoro.company.settings"]
        billing_fields = {
            "tektoro_billing_url",
            "tektoro_billing_api_key",
            "tektoro_billing_timeout",
        }
        self.assertFalse(billing_fields & set(Settings.with_user(self.manager).fields_get()))
        self.assertNotIn(
            "tektoro_billing_url",
            Settings.with_user(self.manager).get_view(view_type="form")["arch"],
        )
        with self.assertRaises(AccessError):
            Settings.with_user(self.manager).create(
                {"tektoro_invoice_prefix": "TFT", "tektoro_billing_url": "https://thief.example"}
            )
        # An administrator sees and changes it in the same dialog.
        admin = self.env.ref("base.user_admin")
        with self.open_settings(admin) as settings:
            self.assertEqual(settings.tektoro_billing_url, "https://billing.example.com")
            self.assertEqual(settings.tektoro_billing_api_key, "sk_a")
            settings.tektoro_billing_url = "https://billing2.example.com"
            settings.tektoro_billing_api_key = "sk_b"
            settings.tektoro_billing_timeout = 4
        settings.record.action_save()
        self.assertRecordValues(
            self.company.sudo(),
            [
                {
                    "tektoro_billing_url": "https://billing2.example.com",
                    "tektoro_billing_api_key": "sk_b",
                    "tektoro_billing_timeout": 4.0,
                }
            ],
        )

    def test_only_managers_open_it(self):
        for user in (self.office, self.contractor):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["tektoro.company.settings"].with_user(user).create(
                    {"tektoro_invoice_prefix": "OOPS"}
                )
        # A record made for someone else does not let them save it either.
        settings = self.env["tektoro.company.settings"].create({"tektoro_invoice_prefix": "OOPS"})
        with self.assertRaises(AccessError):
            settings.with_user(self.office).action_save()
        self.assertNotEqual(self.company.tektoro_invoice_prefix, "OOPS")

    def test_a_company_the_manager_does_not_work_for_is_refused(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        settings = (
            self.env["tektoro.company.settings"]
            .with_user(self.manager)
            .create({"company_id": other.id, "tektoro_invoice_prefix": "MINE"})
        )
        with self.assertRaisesRegex(AccessError, "Other Co"):
            settings.action_save()
        self.assertEqual(other.tektoro_invoice_prefix, "TFT")

    def test_bad_values_are_refused_and_nothing_changes(self):
        self.company.write({"tektoro_invoice_prefix": "TFT", "tektoro_invoices_enabled": False})
        settings = (
            self.env["tektoro.company.settings"]
            .with_user(self.manager)
            .create({"tektoro_invoices_enabled": True, "tektoro_invoice_prefix": "TF T"})
        )
        # assertRaises, not assertRaisesRegex: it rolls back as the failed request would.
        with self.assertRaises(ValidationError) as refused:
            settings.action_save()
        self.assertIn("must be 1 to 10 letters, digits or underscores", str(refused.exception))
        self.assertRecordValues(
            self.company, [{"tektoro_invoice_prefix": "TFT", "tektoro_invoices_enabled": False}]
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

    def test_manager_settings_tour(self):
        company = self.env.ref("base.main_company")
        company.write({"tektoro_invoices_enabled": False, "tektoro_invoice_prefix": "TFT"})
        new_test_user(
            self.env,
            login="tk_settings_manager",
            groups="base.group_user,tektoro_invoicing.group_manager",
        )
        self.start_tour(
            "/odoo/action-tektoro_invoicing.tektoro_master_invoice_action_review",
            "tektoro_manager_settings_tour",
            login="tk_settings_manager",
        )
        self.assertRecordValues(
            company,
            [
                {
                    "tektoro_invoices_enabled": True,
                    "tektoro_invoice_prefix": "MGR",
                    "tektoro_default_tax_rate": 8.875,
                }
            ],
        )
