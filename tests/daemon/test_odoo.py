"""The Odoo gateway against a real HTTP server that speaks JSON-RPC as Odoo does.

A proxy's 502 may come after Odoo ran the call: the gateway sends such a call again only when a
second run does no harm.
"""

from collections import Counter

import pytest

from sync_daemon.config import Settings
from sync_daemon.errors import OdooOutcomeUnknown
from sync_daemon.metrics import Metrics
from sync_daemon.odoo import OdooGateway
from sync_daemon.retry import Backoff, Retrier

from .http_servers import OdooLogin, serving


class OdooBehindAFlakyProxy(OdooLogin):
    """Odoo's login, then each call of the sync model: the proxy answers the first of each
    with a 502 (after Odoo ran it, as far as the client can tell), the next ones get through."""

    def answer_call(self, method, args):
        called = args[4]  # execute_kw(db, uid, password, model, method, ...)
        self.server.calls[called] += 1
        if self.server.calls[called] == 1:
            self.send_body(502, "text/html", b"<html>502 Bad Gateway</html>")
            return None
        return {"answered": called}


@pytest.fixture
def odoo():
    with serving(OdooBehindAFlakyProxy, calls=Counter()) as server:
        settings = Settings(server.url, "tektoro", "billing-sync", "secret", odoo_timeout=5)
        retrier = Retrier(Backoff(base=0.001, cap=0.002, max_attempts=3))
        yield OdooGateway(settings, retrier, Metrics()), server.calls


def test_calls_safe_to_run_twice_are_sent_again(odoo):
    gateway, calls = odoo
    assert gateway.apply_events(1, 0, []) == {"answered": "apply_events"}
    assert gateway.local_snapshot(1, 0, 100) == {"answered": "local_snapshot"}
    assert calls == {"apply_events": 2, "local_snapshot": 2}


@pytest.mark.parametrize(
    ("method", "args"), [("report_drift", (1, [])), ("retry_pushes", (1, 50, 0))]
)
def test_calls_not_safe_to_run_twice_are_left_to_the_next_run(odoo, method, args):
    gateway, calls = odoo
    with pytest.raises(OdooOutcomeUnknown, match="HTTP 502; Odoo may have run it"):
        getattr(gateway, method)(*args)
    assert calls == {method: 1}
    # The job's next run sends it again.
    assert getattr(gateway, method)(*args) == {"answered": method}
