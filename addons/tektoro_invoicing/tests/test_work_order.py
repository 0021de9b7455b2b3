from lxml import etree
from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger
from odoo.tools.safe_eval import safe_eval

from .work_order_common import WorkOrderCase


@tagged("post_install", "-at_install")
class TestWorkOrderStates(WorkOrderCase):
    def test_draft_to_billed(self):
        work_order = self.make_work_order(state="draft")
        self.assertRecordValues(work_order, [{"state": "draft", "amount_items": 113.5}])
        self.assertTrue(work_order.name.startswith("WO-"))
        work_order.action_start()
        self.assertRecordValues(work_order, [{"state": "in_progress"}])
        work_order.action_complete()
        self.assertRecordValues(work_order, [{"state": "completed", "active_invoice_id": False}])
        invoice = self.create_invoice(work_order)
        self.assertRecordValues(
            work_order, [{"state": "billed", "active_invoice_id": invoice.id, "invoice_count": 1}]
        )

    def test_to_invoice_lists_completed_ones_and_billed_ones_whose_invoice_was_cancelled(self):
        arch = etree.fromstring(
            self.env.ref("tektoro_invoicing.tektoro_work_order_view_search").arch
        )
        [to_invoice] = arch.xpath("//filter[@name='to_invoice']")
        completed = self.make_work_order()
        billed = self.make_work_order()
        self.create_invoice(billed)
        rebill = self.make_work_order()
        self.create_invoice(rebill).action_cancel()
        in_progress = self.make_work_order(state="in_progress")
        self.assertRecordValues(rebill, [{"state": "billed", "active_invoice_id": False}])
        ours = completed | billed | rebill | in_progress  # the demo data has work orders too
        found = (
            self.env["tektoro.work.order"]
            .with_user(self.office)
            .search([("id", "in", ours.ids), *safe_eval(to_invoice.get("domain"))])
        )
        self.assertEqual(found.sorted("id"), completed | rebill)

    def test_transitions_out_of_order_are_refused(self):
        work_order = self.make_work_order(state="draft")
        with self.assertRaisesRegex(UserError, "Only work orders in progress"):
            work_order.action_complete()
        work_order.action_start()
        with self.assertRaisesRegex(UserError, "Only draft work orders"):
            work_order.action_start()
        self.assertRecordValues(work_order, [{"state": "in_progress"}])

    def test_only_draft_work_orders_are_deleted(self):
        draft = self.make_work_order(state="draft")
        completed = self.make_work_order()
        with self.assertRaisesRegex(UserError, "only draft work orders"):
            completed.unlink()
        draft.unlink()
        self.assertFalse(draft.exists())
        self.assertTrue(completed.exists())

    def test_bad_lines_and_device_models_are_refused(self):
        work_order = self.make_work_order(state="draft")
        for values in ({"quantity": 0}, {"quantity": -1}, {"price_unit": -0.01}):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                work_order.write({"line_ids": [Command.create({"name": "Bad", **values})]})
        with self.assertRaises(ValidationError):
            self.env["tektoro.device.model"].create({"name": "Free lunch", "cost": -5})

    def test_a_duplicated_device_model_gets_a_name_of_its_own(self):
        original = self.env["tektoro.device.model"].create({"name": "Pump X2", "cost": 75})
        duplicate = original.copy()
        self.assertRecordValues(
            duplicate,
            [{"name": "Pump X2 (copy)", "cost": 75, "company_id": original.company_id.id}],
        )
        self.assertEqual(original.copy({"name": "Pump X3"}).name, "Pump X3")
        # Archived ones keep their names too.
        original.copy().active = False
        self.assertEqual(original.copy().name, "Pump X2 (copy 3)")


@tagged("post_install", "-at_install")
class TestInvoiceSnapshot(WorkOrderCase):
    def test_amounts_are_snapshot_and_rounded_by_the_currency(self):
        work_order = self.make_work_order(lines=[("Labour", 1.5, 33.333), ("Cable", 3, 0.99)])
        # items: round(49.9995) + 2.97 = 50.00 + 2.97; unit 200; tax 8.25 % of 252.97 = 20.869...
        invoice = self.create_invoice(work_order)
        self.assertRecordValues(
            invoice,
            [
                {
                    "name": "TFT-00001",
                    "state": "sent",
                    "billing_state": "local",
                    "partner_id": self.customer.id,
                    "work_order_id": work_order.id,
                    "include_unit_price": True,
                    "unit_subtotal": 200.0,
                    "items_subtotal": 52.97,
                    "tax_rate": 8.25,
                    "tax_amount": 20.87,
                    "amount_total": 273.84,
                    "cancelled_at": False,
                }
            ],
        )
        self.assertRecordValues(
            invoice.line_ids,
            [
                {"name": "Labour", "quantity": 1.5, "price_unit": 33.333, "price_subtotal": 50.0},
                {"name": "Cable", "quantity": 3.0, "price_unit": 0.99, "price_subtotal": 2.97},
            ],
        )

    def test_toggle_off_bills_no_unit_price(self):
        invoice = self.create_invoice(self.make_work_order(), include_unit_price=False, tax_rate=10)
        self.assertRecordValues(
            invoice,
            [
                {
                    "include_unit_price": False,
                    "unit_subtotal": 0.0,
                    "items_subtotal": 113.5,
                    "tax_rate": 10.0,
                    "tax_amount": 11.35,
                    "amount_total": 124.85,
                }
            ],
        )

    def test_later_edits_of_the_work_order_change_nothing_on_the_invoice(self):
        work_order = self.make_work_order()
        invoice = self.create_invoice(work_order)
        before = invoice.read(
            ["unit_subtotal", "items_subtotal", "tax_rate", "tax_amount", "amount_total"]
        )
        work_order.line_ids[0].write({"quantity": 10, "price_unit": 99})
        work_order.write({"line_ids": [Command.create({"name": "Extra", "price_unit": 5})]})
        self.router.cost = 999
        self.company.tektoro_default_tax_rate = 20
        self.env.invalidate_all()
        self.assertEqual(invoice.read(list(before[0]))[0], before[0])
        self.assertRecordValues(
            invoice.line_ids,
            [
                {"name": "Labour", "quantity": 2.0, "price_unit": 50.0},
                {"name": "Cable", "quantity": 3.0, "price_unit": 4.5},
            ],
        )
        self.assertEqual(work_order.amount_items, 1008.5)

    def test_a_company_that_invoiced_keeps_its_number_series_with_invoices_off(self):
        """Turned off, its invoices stay in the billing account under their numbers: another
        company on that account may not start the same series."""
        account = {
            "tektoro_billing_url": "https://billing.example.com",
            "tektoro_billing_api_key": "sk_shared",
        }
        self.company.sudo().tektoro_billing_url = False  # invoiced locally, then connected
        self.create_invoice(self.make_work_order())
        self.company.sudo().write({**account, "tektoro_invoices_enabled": False})
        prefix = self.company.tektoro_invoice_prefix
        with self.assertRaisesRegex(ValidationError, f"same prefix {prefix}"):
            self.env["res.company"].sudo().create(
                {
                    "name": "Newcomer Co",
                    **account,
                    "tektoro_invoices_enabled": True,
                    "tektoro_invoice_prefix": prefix,
                }
            )

    def test_numbers_are_sequential_per_company_with_its_prefix(self):
        first = self.create_invoice(self.make_work_order())
        second = self.create_invoice(self.make_work_order())
        self.company.tektoro_invoice_prefix = "ACME"
        third = self.create_invoice(self.make_work_order())
        other = self.env["res.company"].create(
            {"name": "Other Co", "tektoro_invoices_enabled": True}
        )
        self.office.write({"company_ids": [Command.link(other.id)]})
        partner = self.env["res.partner"].create({"name": "Other customer", "company_id": other.id})
        device = self.env["tektoro.device.model"].create(
            {"name": "Router R1", "cost": 10, "company_id": other.id}
        )
        elsewhere = self.make_work_order(
            partner_id=partner.id, device_model_id=device.id, company_id=other.id
        )
        fourth = self.create_invoice(elsewhere.with_company(other))
        self.assertEqual(
            (first + second + third + fourth).mapped("name"),
            ["TFT-00001", "TFT-00002", "ACME-00003", "TFT-00001"],
        )

    def test_tax_rate_false_means_the_company_rate(self):
        # XML-RPC can't send None: its clients leave an optional argument as false.
        invoice = self.create_invoice(self.make_work_order(), tax_rate=False)
        self.assertRecordValues(invoice, [{"tax_rate": 8.25}])

    def test_tax_rate_defaults_to_the_company_rate_in_the_dialog(self):
        work_order = self.make_work_order()
        action = work_order.action_open_create_invoice_wizard()
        wizard_form = Form(
            self.env[action["res_model"]].with_user(self.office).with_context(**action["context"])
        )
        self.assertEqual(wizard_form.tax_rate, 8.25)
        self.assertTrue(wizard_form.include_unit_price)
        # The dialog shows what the invoice will say before it goes out: router 200 + items
        # 113.50, 8.25 % tax.
        self.assertEqual((wizard_form.tax_amount, wizard_form.amount_total), (25.86, 339.36))
        wizard_form.include_unit_price = False
        wizard_form.tax_rate = 5
        self.assertEqual((wizard_form.tax_amount, wizard_form.amount_total), (5.68, 119.18))
        result = wizard_form.save().action_create_invoice()
        invoice = self.env["tektoro.invoice"].browse(result["res_id"])
        self.assertRecordValues(
            invoice,
            [{"unit_subtotal": 0.0, "tax_rate": 5.0, "tax_amount": 5.68, "amount_total": 119.18}],
        )


@tagged("post_install", "-at_install")
class TestInvoiceRules(WorkOrderCase):
    def test_one_active_invoice_per_work_order(self):
        work_order = self.make_work_order()
        invoice = self.create_invoice(work_order)
        with self.assertRaisesRegex(UserError, "already has the active invoice"):
            work_order.action_create_invoice()
        invoice.with_user(self.office).action_cancel()
        self.assertRecordValues(work_order, [{"state": "billed", "active_invoice_id": False}])
        again = self.create_invoice(work_order)
        self.assertRecordValues(
            work_order.invoice_ids.sorted("id"),
            [
                {"id": invoice.id, "state": "cancelled"},
                {"id": again.id, "state": "sent"},
            ],
        )

    def test_the_database_index_refuses_a_second_active_invoice(self):
        """Whoever skips the Python checks (e.g. a request that read before the other commit)."""
        work_order = self.make_work_order()
        self.create_invoice(work_order)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaisesRegex(UserError, "invoiced by someone else at the same moment"),
        ):
            self.env["tektoro.invoice"]._create_from_work_order(work_order, True, None)
        self.assertEqual(len(work_order.invoice_ids), 1)

    def test_refused_inputs(self):
        draft = self.make_work_order(state="draft")
        in_progress = self.make_work_order(state="in_progress")
        empty = self.make_work_order(lines=[])
        work_order = self.make_work_order()
        cases = [
            (draft, {}, "only completed work orders"),
            (in_progress, {}, "only completed work orders"),
            (draft + work_order, {}, "one work order at a time"),
            (work_order, {"include_unit_price": "yes"}, "true or false"),
            (work_order, {"tax_rate": -1}, "between 0 and 100"),
            (work_order, {"tax_rate": 100.5}, "between 0 and 100"),
            (work_order, {"tax_rate": "8"}, "between 0 and 100"),
            (work_order, {"tax_rate": True}, "between 0 and 100"),
            (empty, {"include_unit_price": False}, "Nothing to invoice"),
        ]
        for records, options, message in cases:
            with self.subTest(options=options, message=message):
                with self.assertRaisesRegex(UserError, message):
                    records.action_create_invoice(**options)
        self.assertFalse((draft + in_progress + empty + work_order).invoice_ids)
        # An empty work order still bills its unit price.
        self.assertEqual(self.create_invoice(empty).amount_total, 216.5)

    def test_cancel_refusals(self):
        invoice = self.create_invoice(self.make_work_order())
        invoice.sudo().write({"state": "paid"})
        with self.assertRaisesRegex(UserError, "it is paid"):
            invoice.with_user(self.office).action_cancel()
        self.assertRecordValues(invoice, [{"state": "paid", "cancelled_at": False}])
        other = self.create_invoice(self.make_work_order())
        other.with_user(self.office).action_cancel()
        with self.assertRaisesRegex(UserError, "already cancelled"):
            other.with_user(self.office).action_cancel()
        with self.assertRaisesRegex(UserError, "one at a time"):
            (invoice + other).with_user(self.office).action_cancel()
        with self.assertRaisesRegex(UserError, "nothing to retry"):
            invoice.with_user(self.office).action_retry_push()

    def test_cancel_keeps_the_invoice_and_the_work_order_state(self):
        work_order = self.make_work_order()
        invoice = self.create_invoice(work_order)
        invoice.with_user(self.office).action_cancel()
        self.assertRecordValues(invoice, [{"state": "cancelled", "billing_state": "local"}])
        self.assertTrue(invoice.cancelled_at)
        self.assertRecordValues(work_order, [{"state": "billed"}])
        with self.assertRaisesRegex(UserError, "never deleted"):
            invoice.sudo().unlink()
        self.assertTrue(invoice.exists())
