from odoo.tests import TransactionCase, new_test_user


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
