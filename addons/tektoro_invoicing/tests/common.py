import itertools
from contextlib import contextmanager
from datetime import date, timedelta

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, new_test_user


@contextmanager
def committed_env(registry):
    """A superuser environment on a cursor of its own, committed on leaving the block: for the
    tests whose data other transactions must see (real concurrency)."""
    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {})


class TektoroCase(TransactionCase):
    """Users of every TekToro group, shared by the whole suite."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.contractor = cls._make_user(
            "tk_contractor", "John Doe", "tektoro_invoicing.group_contractor"
        )
        cls.contractor_2 = cls._make_user(
            "tk_contractor_2", "Mary Major", "tektoro_invoicing.group_contractor"
        )
        cls.office = cls._make_user("tk_office", "Olive Office", "tektoro_invoicing.group_office")
        cls.manager = cls._make_user("tk_manager", "Max Manager", "tektoro_invoicing.group_manager")
        cls.sync_user = cls._make_user(
            "tk_sync", "Sync Daemon", "tektoro_invoicing.group_billing_sync"
        )

    @classmethod
    def _make_user(cls, login, name, groups, company=None):
        company = company or cls.env.company
        return new_test_user(
            cls.env,
            login=login,
            name=name,
            email=f"{login}@example.com",
            groups=f"base.group_user,{groups}",
            company_id=company.id,
            company_ids=[company.id],
        )


class TektoroMasterInvoiceCase(TektoroCase):
    """Clients, tickets and master invoices for the master-invoice tests.

    Test tickets are dated January 2020, away from the demo data's last two months, so that
    bundling and generation only ever see the tickets a test made.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client_a = cls.env["res.partner"].create({"name": "Client A", "is_company": True})
        cls.client_b = cls.env["res.partner"].create({"name": "Client B", "is_company": True})
        cls.period = {"date_from": "2020-01-01", "date_to": "2020-01-31"}

    @classmethod
    def _tickets(
        cls, contractor, client, days, amount=100.0, hours=1.0, state="approved", company=None
    ):
        """Tickets of ``contractor`` for ``client``, one per day of January 2020 in ``days``."""
        company = company or cls.env.company
        return (
            cls.env["tektoro.ticket"]
            .sudo()
            .create(
                [
                    {
                        "contractor_id": contractor.id,
                        "client_id": client.id,
                        "work_date": f"2020-01-{day:02d}",
                        "description": f"Work of day {day}",
                        "hours": hours,
                        "amount": amount,
                        "state": state,
                        "company_id": company.id,
                    }
                    for day in days
                ]
            )
            .sudo(False)
        )

    @contextmanager
    def assertRefused(self, exception, pattern):
        """assertRaisesRegex that rolls back what the refused call wrote, as a request would."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), pattern)

    def flush_tracking(self):
        """Post the chatter tracking now, as the end of a request does."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _master_invoice(self, contractor=None, **values):
        contractor = contractor or self.contractor
        return (
            self.env["tektoro.master.invoice"]
            .with_user(contractor)
            .create({**self.period, **values})
        )

    def _submitted_invoice(self, contractor=None, **values):
        invoice = self._master_invoice(contractor, **values)
        invoice.action_submit()
        return invoice

    # Days of their own for the tables that need many invoices: 2015, away from January 2020.
    _days = itertools.count()

    @classmethod
    def _fresh_day(cls):
        return str(date(2015, 1, 1) + timedelta(days=next(cls._days)))

    def _ticket_on_fresh_day(self, contractor=None, state="approved", client=None):
        contractor = contractor or self.contractor
        return (
            self.env["tektoro.ticket"]
            .sudo()
            .create(
                {
                    "contractor_id": contractor.id,
                    "client_id": (client or self.client_a).id,
                    "work_date": self._fresh_day(),
                    "description": "Fixture work",
                    "hours": 2.0,
                    "amount": 80.0,
                    "state": state,
                }
            )
            .sudo(False)
        )

    def _master_invoice_in(self, state, contractor=None):
        """A one-ticket master invoice of ``contractor`` walked to ``state`` by its users."""
        contractor = contractor or self.contractor
        day = self._ticket_on_fresh_day(contractor).work_date
        invoice = self._master_invoice(contractor, date_from=day, date_to=day)
        if state != "draft":
            invoice.action_submit()
        if state in ("approved", "paid", "rejected"):
            # A manager reviews; a manager's own invoice is reviewed by the superuser.
            reviewer = invoice.with_user(self.manager if contractor != self.manager else 1)
            if state == "rejected":
                reviewer.action_reject("Fixture rejection")
            else:
                reviewer.action_approve("Fixture approval")
        if state == "paid":
            invoice.with_user(self.manager).action_mark_paid()
        return invoice

    def _client_invoice_in(self, state):
        """A one-ticket client invoice for Client A, generated and walked by a manager."""
        day = self._ticket_on_fresh_day().work_date
        invoice = (
            self.env["tektoro.client.invoice"].with_user(self.manager).generate_for_period(day, day)
        )
        if state in ("sent", "paid"):
            invoice.action_send()
        if state == "paid":
            invoice.action_mark_paid()
        if state == "cancelled":
            invoice.action_cancel()
        return invoice
