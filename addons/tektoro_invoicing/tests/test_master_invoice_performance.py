from odoo.tests import tagged

from .common import TektoroMasterInvoiceCase


@tagged("post_install", "-at_install")
class TestMasterInvoicePerformance(TektoroMasterInvoiceCase):
    """Building a master invoice costs the same queries for 20 tickets as for 2,000.

    Timings live in bench/bench_master_invoice.py; this guards the shape: no per-ticket query.
    """

    def _build_queries(self, contractor):
        self.env.invalidate_all()
        Invoice = self.env["tektoro.master.invoice"].with_user(contractor)
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        invoice = Invoice.create(self.period)
        invoice.flush_recordset()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before, invoice

    def test_query_count_does_not_grow_with_tickets(self):
        few = self._make_user("tk_perf_few", "Fay Few", "tektoro_invoicing.group_contractor")
        many = self._make_user("tk_perf_many", "Manny Many", "tektoro_invoicing.group_contractor")
        warm = self._make_user("tk_perf_warm", "Walt Warm", "tektoro_invoicing.group_contractor")
        for user, count in ((warm, 20), (few, 20), (many, 2000)):
            days = [1 + i % 28 for i in range(count)]
            self._tickets(user, self.client_a, days, amount=1.25)
            self._tickets(user, self.client_b, [1])
        self._build_queries(warm)  # fills the caches a first build needs, like any warm server

        few_queries, few_invoice = self._build_queries(few)
        many_queries, many_invoice = self._build_queries(many)

        self.assertRecordValues(
            few_invoice | many_invoice,
            [
                {"ticket_count": 21, "client_count": 2, "amount_total": 125.0},
                {"ticket_count": 2001, "client_count": 2, "amount_total": 2600.0},
            ],
        )
        self.assertEqual(few_queries, many_queries)
        self.assertLessEqual(many_queries, 40, "a build is a small, fixed number of queries")
