"""Calls made the way integrators and the web client make them: real JSON-RPC over HTTP.

Each call goes through ``/web/dataset/call_kw`` as the user given, so it meets the same method
name check, the same access checks and the same transaction handling (an error rolls the call
back) as a call from outside.
"""

import json
from dataclasses import dataclass

from odoo.tests import new_test_user


@dataclass
class RpcOutcome:
    status: int
    result: object = None
    error: str | None = None  # the exception's class path, e.g. odoo.exceptions.AccessError
    message: str = ""

    @property
    def error_class(self):
        return self.error.rsplit(".", 1)[-1] if self.error else None


class RpcMixin:
    """For an ``HttpCase``: ``rpc(user, model, method, *args, **kwargs)``."""

    _rpc_user = None

    @classmethod
    def make_plain_users(cls):
        """An internal user of no TekToro group and a portal user, beside TektoroCase's."""
        cls.internal = new_test_user(
            cls.env, login="tk_internal", name="Ivy Internal", groups="base.group_user"
        )
        cls.portal = new_test_user(
            cls.env, login="tk_portal", name="Pat Portal", groups="base.group_portal"
        )

    def rpc(self, user, model, method, *args, **kwargs):
        if self._rpc_user != user:
            self.authenticate(user.login, user.login)
            self._rpc_user = user
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        }
        response = self.url_open(
            "/web/dataset/call_kw",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        # The server wrote (or rolled back) through the test cursor: forget what we cached.
        self.env.invalidate_all()
        if response.status_code != 200:
            return RpcOutcome(response.status_code, message=response.text[:500])
        body = response.json()
        if "error" in body:
            data = body["error"].get("data") or {}
            return RpcOutcome(200, error=data.get("name"), message=data.get("message", ""))
        return RpcOutcome(200, result=body["result"])
