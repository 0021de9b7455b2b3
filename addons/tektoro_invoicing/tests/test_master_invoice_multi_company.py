from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import TektoroMasterInvoiceCase


@tagged("post_install", "-at_install")
class TestMasterInvoiceMultiCompany(TektoroMasterInvoiceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.env["res.company"].create({"name": "TekToro West"})
        cls.env.user.company_ids |= cls.company_2
        for user in (cls.contractor, cls.manager):
            user.company_ids |= cls.company_2
        cls.manager_2 = cls._make_user(
            "tk_manager_west", "Wes West", "tektoro_invoicing.group_manager", company=cls.company_2
        )
        cls.client_west = cls.env["res.partner"].create(
            {"name": "West Client", "company_id": cls.company_2.id}
        )

    def test_bundling_stays_in_the_invoice_company(self):
        here = self._tickets(self.contractor, self.client_a, [1])
        there = self._tickets(self.contractor, self.client_west, [1], company=self.company_2)
        invoice = self._master_invoice()
        self.assertRecordValues(invoice, [{"company_id": self.company.id, "ticket_count": 1}])
        self.assertEqual(invoice.ticket_ids, here)

        west = (
            self.env["tektoro.master.invoice"]
            .with_user(self.contractor)
            .with_company(self.company_2)
            .create(self.period)
        )
        self.assertRecordValues(west, [{"company_id": self.company_2.id, "ticket_count": 1}])
        self.assertEqual(west.ticket_ids, there)
        # One counter per contractor across companies: numbers never repeat for them.
        self.assertEqual((invoice | west).mapped("name"), ["JD-MINV-001", "JD-MINV-002"])

    def test_users_only_see_their_companies(self):
        self._tickets(self.contractor, self.client_a, [1])
        self._tickets(self.contractor, self.client_west, [1], company=self.company_2)
        invoice = self._master_invoice()
        Invoice = self.env["tektoro.master.invoice"].with_user(self.manager_2)
        self.assertFalse(Invoice.search([("id", "=", invoice.id)]))
        with self.assertRaises(AccessError):
            invoice.with_user(self.manager_2).read(["name"])
        with self.assertRaises(AccessError):
            invoice.with_user(self.manager_2).action_submit()
        self.assertFalse(
            self.env["tektoro.ticket"]
            .with_user(self.manager_2)
            .search([("id", "in", invoice.ticket_ids.ids)])
        )
        self.assertEqual(Invoice.retrieve_dashboard([("id", "=", invoice.id)])["invoice_count"], 0)

    def test_the_review_figures_add_up_in_the_current_company_currency(self):
        """A manager of two companies in two currencies sees one total, in the current one's."""
        euro = self.env.ref("base.EUR")
        euro.active = True
        self.company_2.currency_id = euro
        # 1 unit of the first company's currency buys 0.5 EUR: 100 EUR are worth 200.
        euro.rate_ids.unlink()
        self.env["res.currency.rate"].create(
            {
                "currency_id": euro.id,
                "rate": 0.5,
                "name": "2000-01-01",
                "company_id": self.company.id,
            }
        )
        self.assertNotEqual(self.company.currency_id, euro)
        self._tickets(self.contractor, self.client_a, [1], amount=100)
        self._tickets(self.contractor, self.client_west, [1], amount=100, company=self.company_2)
        self._master_invoice()
        (
            self.env["tektoro.master.invoice"]
            .with_user(self.contractor)
            .with_company(self.company_2)
            .create(self.period)
        )
        Invoice = (
            self.env["tektoro.master.invoice"]
            .with_user(self.manager)
            .with_context(allowed_company_ids=[self.company.id, self.company_2.id])
        )
        figures = Invoice.retrieve_dashboard([("contractor_id", "=", self.contractor.id)])
        self.assertEqual(
            figures,
            {
                "invoice_count": 2,
                "amount_total": 300.0,
                "client_count": 2,
                "currency_id": self.company.currency_id.id,
            },
        )

    def test_client_invoices_per_company(self):
        self._tickets(self.contractor, self.client_a, [1])
        there = self._tickets(self.contractor, self.client_west, [2], company=self.company_2)
        west = (
            self.env["tektoro.client.invoice"]
            .with_user(self.manager_2)
            .generate_for_period("2020-01-01", "2020-01-31")
        )
        self.assertRecordValues(
            west, [{"company_id": self.company_2.id, "client_id": self.client_west.id}]
        )
        self.assertEqual(west.ticket_ids, there)
        with self.assertRaises(AccessError):
            west.with_user(self.manager).with_company(self.company).action_send()

    def test_a_ticket_client_from_another_company_is_refused(self):
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            self.env["tektoro.ticket"].with_user(self.contractor).create(
                {
                    "client_id": self.client_west.id,
                    "company_id": self.company.id,
                    "work_date": "2020-01-03",
                    "description": "Wrong company",
                }
            )
