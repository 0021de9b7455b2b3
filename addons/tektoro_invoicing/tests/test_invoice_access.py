from ast import literal_eval

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged

from .work_order_common import WorkOrderCase


@tagged("post_install", "-at_install")
class TestWorkOrderAccess(WorkOrderCase):
    def test_office_runs_work_orders_and_their_invoices(self):
        work_order = self.make_work_order(user=self.office)
        invoice = self.create_invoice(work_order.with_user(self.office))
        self.assertEqual(invoice.env.user, self.office)
        self.assertRecordValues(invoice, [{"state": "sent", "create_uid": self.office.id}])
        invoice.action_cancel()
        self.assertRecordValues(invoice, [{"state": "cancelled"}])

    def test_invoices_change_only_through_their_actions(self):
        work_order = self.make_work_order()
        invoice = self.create_invoice(work_order)
        for user in (self.office, self.manager):
            as_user = invoice.with_user(user)
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    as_user.write({"amount_total": 1.0})
                with self.assertRaises(AccessError):
                    as_user.line_ids.write({"price_unit": 1.0})
                with self.assertRaises(AccessError):
                    as_user.create({"name": "FAKE-1", "work_order_id": work_order.id})
                with self.assertRaises(AccessError):
                    as_user.unlink()
        self.assertRecordValues(invoice, [{"amount_total": 339.36, "state": "sent"}])

    def test_only_managers_configure_device_models(self):
        with self.assertRaises(AccessError):
            self.env["tektoro.device.model"].with_user(self.office).create({"name": "X", "cost": 1})
        self.assertEqual(self.router.with_user(self.office).cost, 200.0)
        device = (
            self.env["tektoro.device.model"]
            .with_user(self.manager)
            .create({"name": "Switch", "cost": 80})
        )
        self.assertRecordValues(device, [{"company_id": self.company.id, "cost": 80.0}])

    def test_contractors_see_no_work_orders_or_invoices(self):
        work_order = self.make_work_order()
        invoice = self.create_invoice(work_order)
        contractor = self.contractor
        for model in ("tektoro.work.order", "tektoro.invoice", "tektoro.device.model"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(contractor).search([])
        with self.assertRaises(AccessError):
            work_order.with_user(contractor).action_create_invoice()
        with self.assertRaises(AccessError):
            invoice.with_user(contractor).action_cancel()
        with self.assertRaises(AccessError):
            invoice.with_user(contractor).action_retry_push()
        with self.assertRaises(AccessError):
            self.env["tektoro.work.order"].with_user(contractor).create(
                {"partner_id": self.customer.id, "device_model_id": self.router.id}
            )
        self.assertRecordValues(invoice, [{"state": "sent"}])

    def test_other_companies_stay_out_of_reach(self):
        other = self.env["res.company"].create(
            {"name": "Other Co", "tektoro_invoices_enabled": True}
        )
        outsider = self._make_user(
            "tk_office_other", "Otto Other", "tektoro_invoicing.group_office", company=other
        )
        invoice = self.create_invoice(self.make_work_order())
        self.assertFalse(self.env["tektoro.invoice"].with_user(outsider).search([]))
        self.assertFalse(self.env["tektoro.work.order"].with_user(outsider).search([]))
        with self.assertRaises(AccessError):
            invoice.with_user(outsider).action_cancel()
        with self.assertRaises(AccessError):
            invoice.work_order_id.with_user(outsider).action_create_invoice()

    def test_an_invoiced_work_order_stays_in_the_company_of_its_invoices(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        self.office.write({"company_ids": [(4, other.id)]})
        device = self.env["tektoro.device.model"].create(
            {"name": "Their router", "cost": 50.0, "company_id": other.id}
        )
        work_order = self.make_work_order()
        moved = {"company_id": other.id, "device_model_id": device.id}
        office = self.office.with_context(allowed_company_ids=[self.company.id, other.id])
        invoice = self.create_invoice(work_order)
        invoice.with_user(self.office).action_cancel()  # even a cancelled invoice stays put
        with (
            self.assertRaisesRegex(ValidationError, "stays in the company of its invoices"),
            self.cr.savepoint(),
        ):
            work_order.with_user(office).write(moved)
        work_order.invalidate_recordset()
        self.assertRecordValues(work_order, [{"company_id": self.company.id}])
        # Before its first invoice, it may move.
        draft = self.make_work_order(state="draft")
        draft.with_user(office).write(moved)
        self.assertRecordValues(draft, [{"company_id": other.id}])

    def test_another_companys_work_order_is_neither_changed_nor_read_through_a_side_door(self):
        other = self.env["res.company"].create(
            {"name": "Other Co", "tektoro_invoices_enabled": True, "tektoro_default_tax_rate": 33}
        )
        outsider = self._make_user(
            "tk_office_other", "Otto Other", "tektoro_invoicing.group_office", company=other
        )
        device = self.env["tektoro.device.model"].create(
            {"name": "Their router", "cost": 50.0, "company_id": other.id}
        )
        theirs = self.env["tektoro.work.order.line"].create(
            {
                "work_order_id": self.env["tektoro.work.order"]
                .create(
                    {
                        "partner_id": self.customer.id,
                        "device_model_id": device.id,
                        "company_id": other.id,
                    }
                )
                .id,
                "name": "Injected",
                "price_unit": 999.0,
            }
        )
        ours = self.make_work_order(state="draft")
        # An item moved into our work order would change it from the other company.
        with self.assertRaisesRegex(UserError, "can't move to another work order"):
            theirs.with_user(outsider).write({"work_order_id": ours.id})
        # Nor may an item say it is of another company than its work order.
        with self.assertRaisesRegex(UserError, "Company follows from Work Order"):
            ours.line_ids[0].with_user(self.office).write({"company_id": other.id})
        self.assertEqual(ours.line_ids.company_id, self.company)
        self.assertEqual(ours.line_ids.mapped("name"), ["Labour", "Cable"])
        self.assertRecordValues(ours, [{"amount_items": 113.5}])
        # The invoice dialog computes its figures from the work order: not for outsiders.
        Wizard = self.env["tektoro.invoice.create.wizard"].with_user(outsider)
        with self.assertRaises(AccessError):
            Wizard.create({"work_order_id": ours.id}).read(["tax_rate", "unit_cost"])
        with self.assertRaises(AccessError):
            Wizard.onchange(
                {"work_order_id": ours.id},
                ["work_order_id"],
                {"work_order_id": {}, "tax_rate": {}, "unit_cost": {}, "amount_items": {}},
            )
        # Within the company, the dialog shows the company's rate and the work order's figures.
        wizard = Wizard.with_user(self.office).create({"work_order_id": ours.id})
        self.assertRecordValues(
            wizard, [{"tax_rate": self.company.tektoro_default_tax_rate, "amount_items": 113.5}]
        )


@tagged("post_install", "-at_install")
class TestFeatureFlag(WorkOrderCase):
    def visible_menus(self, user):
        return set(self.env["ir.ui.menu"].with_user(user).load_menus(False))

    def listed_invoices(self, user):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "tektoro_invoicing.tektoro_invoice_action"
        )
        return self.env["tektoro.invoice"].with_user(user).search(literal_eval(action["domain"]))

    def test_turning_invoices_off_hides_and_refuses_then_on_restores(self):
        invoice_menu = self.env.ref("tektoro_invoicing.tektoro_invoice_menu").id
        work_order_menu = self.env.ref("tektoro_invoicing.tektoro_work_order_menu").id
        billed = self.make_work_order()
        invoice = self.create_invoice(billed).with_user(self.office)
        completed = self.make_work_order()
        snapshot = invoice.read(["name", "amount_total", "state", "line_ids"])

        self.company.tektoro_invoices_enabled = False
        self.assertNotIn(invoice_menu, self.visible_menus(self.office))
        self.assertIn(work_order_menu, self.visible_menus(self.office))
        self.assertFalse(self.listed_invoices(self.office))
        # The Create Invoice button and the invoices smart button hide on this field.
        self.assertRecordValues(completed, [{"tektoro_invoices_enabled": False}])
        with self.assertRaisesRegex(UserError, "turned off"):
            completed.action_create_invoice()
        with self.assertRaisesRegex(UserError, "turned off"):
            completed.action_open_create_invoice_wizard()
        with self.assertRaisesRegex(UserError, "turned off"):
            invoice.action_cancel()
        with self.assertRaisesRegex(UserError, "turned off"):
            invoice.action_retry_push()
        self.assertFalse(completed.invoice_ids)

        self.company.tektoro_invoices_enabled = True
        self.assertIn(invoice_menu, self.visible_menus(self.office))
        self.assertEqual(self.listed_invoices(self.office), invoice)
        self.assertEqual(invoice.read(["name", "amount_total", "state", "line_ids"]), snapshot)
        self.assertRecordValues(completed, [{"tektoro_invoices_enabled": True}])
        self.assertTrue(self.create_invoice(completed))
        invoice.action_cancel()
        self.assertRecordValues(invoice, [{"state": "cancelled"}])

    def test_the_invoice_buttons_follow_the_flag(self):
        arch = self.env["tektoro.work.order"].get_view(view_type="form")["arch"]
        self.assertRegex(
            arch,
            r'name="action_open_create_invoice_wizard"[^>]*invisible="not tektoro_invoices_enabled',
        )
        self.assertRegex(
            arch, r'name="action_view_invoices"[^>]*invisible="not tektoro_invoices_enabled'
        )
        # An invoice opened by its address while the flag is off shows no button that acts on it.
        arch = self.env["tektoro.invoice"].get_view(view_type="form")["arch"]
        for button in ("action_retry_push", "action_print_pdf", "action_cancel"):
            self.assertRegex(
                arch, rf'name="{button}"[^>]*invisible="not tektoro_invoices_enabled( |")'
            )


@tagged("post_install", "-at_install")
class TestInvoicePdfRoute(WorkOrderCase, HttpCase):
    def test_pdf_for_readers_404_for_everyone_else(self):
        invoice = self.create_invoice(self.make_work_order())
        url = f"/tektoro/invoices/{invoice.id}/pdf"

        self.authenticate(self.office.login, self.office.login)
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        # Odoo renders reports as HTML under test (see test_the_report_is_a_real_pdf).
        self.assertIn(invoice.name.encode(), response.content)
        self.assertIn(b"339.36", response.content)
        self.assertIn(invoice.name, response.headers["Content-Disposition"])
        self.assertEqual(
            self.url_open(f"/tektoro/invoices/{invoice.id + 1000}/pdf").status_code, 404
        )

        self.company.tektoro_invoices_enabled = False
        self.assertEqual(self.url_open(url).status_code, 404)
        self.company.tektoro_invoices_enabled = True
        self.assertEqual(self.url_open(url).status_code, 200)

        self.authenticate(self.contractor.login, self.contractor.login)
        self.assertEqual(self.url_open(url).status_code, 404)

        other = self.env["res.company"].create(
            {"name": "Other Co", "tektoro_invoices_enabled": True}
        )
        outsider = self._make_user(
            "tk_office_other", "Otto Other", "tektoro_invoicing.group_office", company=other
        )
        self.authenticate(outsider.login, outsider.login)
        self.assertEqual(self.url_open(url).status_code, 404)

        self.authenticate(None, None)
        response = self.url_open(url, allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])

    def test_odoo_report_urls_answer_404_like_the_pdf_route(self):
        invoice = self.create_invoice(self.make_work_order())
        # Odoo renders a report named by its report_name or by the XML id of either action.
        reports = (
            "tektoro_invoicing.report_tektoro_invoice_document",
            "tektoro_invoicing.report_tektoro_invoice",
            "tektoro_invoicing.report_tektoro_invoice_html",
        )
        urls = [
            f"/report/{converter}/{report}/{invoice.id}"
            for report in reports
            for converter in ("pdf", "html")
        ]
        self.authenticate(self.office.login, self.office.login)
        for url in urls:
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200, url)
            self.assertIn(invoice.name.encode(), response.content)
            self.assertEqual(
                self.url_open(f"{url},{invoice.id + 1000}").status_code, 404, "one id missing"
            )
            # A digit int() refuses (superscript two), and no id at all: 404, not a 500.
            for bad in ("\u00b2", "abc"):
                self.assertEqual(self.url_open(f"{url},{bad}").status_code, 404, bad)

        self.company.tektoro_invoices_enabled = False
        for url in urls:
            self.assertEqual(self.url_open(url).status_code, 404, url)
        self.company.tektoro_invoices_enabled = True

        self.authenticate(self.contractor.login, self.contractor.login)
        for url in urls:
            self.assertEqual(self.url_open(url).status_code, 404, url)

    def test_the_report_is_a_real_pdf(self):
        invoice = self.create_invoice(self.make_work_order())
        pdf, report_type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("tektoro_invoicing.report_tektoro_invoice", invoice.ids)
        )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))


@tagged("post_install", "-at_install")
class TestInvoiceMenuFollowsTheShownCompany(WorkOrderCase, HttpCase):
    """The web client loads its menus again on a company switch: the invoices menu shows only
    while the company it shows (the first of its ``cids`` cookie) has invoices turned on."""

    def menus(self, cids):
        self.opener.cookies.set("cids", cids)
        response = self.url_open("/web/webclient/load_menus/x")
        self.assertEqual(response.status_code, 200)
        return {int(key) for key in response.json() if key != "root"}

    def test_menu_shows_for_a_company_with_invoices_only(self):
        flagless = self.env["res.company"].create({"name": "Flagless Ltd"})
        self.office.company_ids |= flagless
        self.company.tektoro_invoices_enabled = True
        invoice_menu = self.env.ref("tektoro_invoicing.tektoro_invoice_menu").id
        # Olive works in Operations; Invoicing holds nothing else for her.
        invoicing_menu = self.env.ref("tektoro_invoicing.menu_invoicing").id
        work_order_menu = self.env.ref("tektoro_invoicing.tektoro_work_order_menu").id
        self.authenticate(self.office.login, self.office.login)

        shown_with = self.menus(f"{self.company.id}-{flagless.id}")
        self.assertTrue({invoice_menu, invoicing_menu, work_order_menu} <= shown_with)

        shown_without = self.menus(f"{flagless.id}-{self.company.id}")
        self.assertNotIn(invoice_menu, shown_without)
        self.assertNotIn(invoicing_menu, shown_without, "an empty parent menu must go too")
        self.assertIn(work_order_menu, shown_without)

        # A company the user may not use counts as no choice: the default company is shown.
        self.assertIn(invoice_menu, self.menus("999999"))
        self.office.company_id = flagless
        self.assertNotIn(invoice_menu, self.menus("999999"))
        self.assertIn(invoice_menu, self.menus(str(self.company.id)))

    def test_no_empty_invoicing_menu_when_no_company_has_invoices(self):
        """The blacklist hides the invoices menu when none of the user's companies has them on;
        its parent, left with nothing to open, goes too."""
        self.company.tektoro_invoices_enabled = False
        self.authenticate(self.office.login, self.office.login)
        shown = self.menus(str(self.company.id))
        self.assertNotIn(self.env.ref("tektoro_invoicing.tektoro_invoice_menu").id, shown)
        self.assertNotIn(self.env.ref("tektoro_invoicing.menu_invoicing").id, shown)
        self.assertIn(self.env.ref("tektoro_invoicing.tektoro_work_order_menu").id, shown)

    def test_menu_follows_the_company_an_rpc_caller_gives(self):
        flagless = self.env["res.company"].create({"name": "Flagless Ltd"})
        self.office.company_ids |= flagless
        self.company.tektoro_invoices_enabled = True
        invoice_menu = self.env.ref("tektoro_invoicing.tektoro_invoice_menu").id
        Menu = self.env["ir.ui.menu"].with_user(self.office)

        def menus(*company_ids):
            return Menu.with_context(allowed_company_ids=list(company_ids)).load_menus(False)

        self.assertIn(invoice_menu, menus(self.company.id, flagless.id))
        self.assertNotIn(invoice_menu, menus(flagless.id, self.company.id))
        with self.assertRaises(AccessError):
            menus(self.env["res.company"].create({"name": "Not Hers"}).id)

    def test_without_a_request_or_companies_the_default_company_decides(self):
        """An Odoo shell or a server action calls ``load_menus`` with neither a web request nor
        ``allowed_company_ids``: the user's default company is the one shown."""
        flagless = self.env["res.company"].create({"name": "Flagless Ltd"})
        self.office.company_ids |= flagless
        self.company.tektoro_invoices_enabled = True
        invoice_menu = self.env.ref("tektoro_invoicing.tektoro_invoice_menu").id
        Menu = self.env["ir.ui.menu"].with_user(self.office)
        self.assertNotIn("allowed_company_ids", Menu.env.context)

        self.assertIn(invoice_menu, Menu.load_menus(False))
        self.office.company_id = flagless
        self.assertNotIn(invoice_menu, Menu.load_menus(False))

    def test_an_app_left_empty_leaves_the_home_screen(self):
        """Removing the invoices menu prunes every menu it leaves empty, up to the app itself."""
        act = "ir.actions.act_window,7"
        menus = {
            "root": {"id": False, "parent_id": [-1, ""], "children": [1, 9]},
            1: {"id": 1, "parent_id": False, "children": [2], "action": False},
            2: {"id": 2, "parent_id": [1, "App"], "children": [3], "action": False},
            3: {"id": 3, "parent_id": [2, "App/Invoicing"], "children": [], "action": act},
            9: {"id": 9, "parent_id": False, "children": [], "action": act},
        }
        without = self.env["ir.ui.menu"]._tektoro_without_menu
        pruned = without(menus, 3, 2)
        self.assertEqual(set(pruned), {"root", 9})
        self.assertEqual(pruned["root"]["children"], [9])
        self.assertEqual(menus["root"]["children"], [1, 9], "load_menus' cached answer is kept")
        self.assertEqual(menus[1]["children"], [2])
        # Already taken out by the blacklist: the parents it left empty go all the same.
        blacklisted = {**menus, 2: {**menus[2], "children": []}}
        del blacklisted[3]
        self.assertEqual(set(without(blacklisted, 3, 2)), {"root", 9})

        # A parent that keeps another entry, or opens something itself, stays.
        menus[2]["children"] = [3, 4]
        menus[4] = {"id": 4, "parent_id": [2, "App/Invoicing"], "children": [], "action": act}
        self.assertEqual(without(menus, 3, 2)[2]["children"], [4])
        menus[2].update(children=[3], action=act)
        self.assertEqual(set(without(menus, 3, 2)), {"root", 1, 2, 4, 9})
