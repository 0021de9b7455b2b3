"""The Billing API v1 routes, as a falcon WSGI application.

Responders stay thin: read and validate the request, run one ledger operation in one store
transaction, answer. The rules are in ledger.py, the SQL in store.py, the failure shapes in
errors.py.
"""

import hashlib
import hmac
import logging
import time
from importlib import resources

import falcon
import falcon.media

from billing_sandbox import jsonio, ledger
from billing_sandbox.errors import (
    ApiError,
    handle_unexpected,
    invalid_json,
    not_found,
    serialize_error,
    unauthorized,
    validation_error,
)
from billing_sandbox.faults import FaultMiddleware, parse_faults
from billing_sandbox.store import MAX_EVENT_ID, Idempotency
from billing_sandbox.validation import (
    parse_invoice,
    parse_payment,
    query_integer,
    query_page_size,
    query_text,
    refuse_unknown_params,
)

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
MAX_BODY_DEPTH = 32
MAX_IDEMPOTENCY_KEY_LENGTH = 255
MAX_ID_LENGTH = 64
PUBLIC_PATHS = frozenset({"/openapi.json"})


def create_app(store, api_key, faults):
    app = falcon.App(
        middleware=[RequestLog(), BearerAuth(api_key), FaultMiddleware(faults)],
    )
    json_handler = falcon.media.JSONHandler(dumps=jsonio.dumps)
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    app.set_error_serializer(serialize_error)
    app.add_error_handler(Exception, handle_unexpected)

    app.add_route("/v1/invoices", InvoiceCollection(store))
    app.add_route("/v1/invoices/{invoice_id}", InvoiceItem(store))
    app.add_route("/v1/invoices/{invoice_id}/cancel", InvoiceCancellation(store))
    app.add_route("/v1/invoices/{invoice_id}/payments", InvoicePayments(store))
    app.add_route("/v1/events", EventFeed(store))
    app.add_route("/_sandbox/faults", FaultCollection(faults))
    app.add_route("/openapi.json", OpenApiDocument())
    return app


# ---------------------------------------------------------------------------------------------
# Middleware


class RequestLog:
    """One log line per request, written last, so it shows the final status and full duration."""

    def process_request(self, req, resp):
        req.context.started = time.monotonic()

    def process_response(self, req, resp, resource, req_succeeded):
        elapsed_ms = (time.monotonic() - req.context.get("started", time.monotonic())) * 1000
        outcome = req.context.get("connection_fault") or falcon.code_to_http_status(resp.status)[:3]
        _logger.info("%s %s %s %.1fms", req.method, req.path, outcome, elapsed_ms)


class BearerAuth:
    def __init__(self, api_key):
        self._api_key = api_key.encode()

    def process_request(self, req, resp):
        if req.path in PUBLIC_PATHS:
            return
        scheme, _, token = (req.get_header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self._api_key
        ):
            raise unauthorized()


# ---------------------------------------------------------------------------------------------
# Request and response helpers


def read_json(req):
    if (req.content_length or 0) > MAX_BODY_BYTES:
        raise _too_large()
    data = req.bounded_stream.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        raise _too_large()
    if not data.strip():
        raise invalid_json("the body is empty")
    try:
        body = jsonio.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise invalid_json(str(exc)[:200]) from None
    if _depth(body) > MAX_BODY_DEPTH:
        # No request of the API nests this deep, and the idempotency fingerprint, taken before
        # validation, walks the body recursively.
        raise validation_error("body", f"is nested more than {MAX_BODY_DEPTH} levels deep")
    return body


def _depth(value):
    """How deep ``value`` nests lists and objects, counted without recursion."""
    deepest, level = 0, [(value, 1)]
    while level:
        item, depth = level.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            level.extend((child, depth + 1) for child in children)
    return deepest


def _too_large():
    return ApiError(413, "request_too_large", f"The body exceeds {MAX_BODY_BYTES} bytes.")


def idempotency_of(req, body, required):
    """The request's Idempotency-Key, bound to what the request asks for.

    The fingerprint covers method, path and the canonical body, so the same key sent to another
    endpoint, or with other content, is a conflict rather than a silent replay. It is taken
    before the body is validated (``canonical`` writes any number briefly).
    """
    key = req.get_header("Idempotency-Key")
    if key is None:
        if required:
            raise ApiError(
                400,
                "idempotency_key_required",
                "Send an Idempotency-Key header so a retried request cannot act twice.",
            )
        return None
    if not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise validation_error(
            "Idempotency-Key", f"must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters"
        )
    request = f"{req.method} {req.path}\n{jsonio.canonical(body)}"
    # surrogatepass: a lone surrogate in a text not yet validated still has its own bytes.
    return Idempotency(key, hashlib.sha256(request.encode("utf-8", "surrogatepass")).hexdigest())


def respond(resp, stored):
    resp.status = stored.status
    resp.content_type = falcon.MEDIA_JSON
    resp.text = stored.body
    if stored.replayed:
        resp.set_header("Idempotent-Replayed", "true")


def page(data, has_more):
    return {"data": data, "has_more": has_more}


# ---------------------------------------------------------------------------------------------
# Resources


class InvoiceCollection:
    def __init__(self, store):
        self._store = store

    def on_post(self, req, resp):
        body = read_json(req)
        idempotency = idempotency_of(req, body, required=True)
        # Validated inside execute(), after the key: a key used before with another body is a
        # conflict (409), whether or not this body would pass.
        respond(
            resp,
            self._store.execute(
                lambda tx: (201, ledger.create_invoice(tx, parse_invoice(body))), idempotency
            ),
        )

    def on_get(self, req, resp):
        refuse_unknown_params(req, ("limit", "starting_after", "reference"))
        limit = query_page_size(req)
        invoices, has_more = self._store.invoices(
            limit,
            starting_after=query_text(req, "starting_after", MAX_ID_LENGTH),
            reference=query_text(req, "reference", MAX_ID_LENGTH),
        )
        resp.media = page(invoices, has_more)


class InvoiceItem:
    def __init__(self, store):
        self._store = store

    def on_get(self, req, resp, invoice_id):
        invoice = self._store.invoice(invoice_id)
        if invoice is None:
            raise not_found("invoice")
        resp.media = invoice


class InvoiceCancellation:
    """Cancel takes no body; an Idempotency-Key is accepted but cancelling is idempotent anyway."""

    def __init__(self, store):
        self._store = store

    def on_post(self, req, resp, invoice_id):
        idempotency = idempotency_of(req, None, required=False)
        respond(
            resp,
            self._store.execute(
                lambda tx: (200, ledger.cancel_invoice(tx, invoice_id)), idempotency
            ),
        )


class InvoicePayments:
    """A retried payment without an Idempotency-Key is a second payment: send one."""

    def __init__(self, store):
        self._store = store

    def on_post(self, req, resp, invoice_id):
        body = read_json(req)
        idempotency = idempotency_of(req, body, required=False)
        respond(
            resp,
            self._store.execute(
                lambda tx: (201, ledger.pay_invoice(tx, invoice_id, parse_payment(body))),
                idempotency,
            ),
        )


class EventFeed:
    def __init__(self, store):
        self._store = store

    def on_get(self, req, resp):
        refuse_unknown_params(req, ("after", "limit"))
        after = query_integer(req, "after", 0, 0, MAX_EVENT_ID)
        resp.media = page(*self._store.events(after, query_page_size(req)))


class FaultCollection:
    def __init__(self, faults):
        self._faults = faults

    def on_get(self, req, resp):
        resp.media = {"data": self._faults.documents()}

    def on_post(self, req, resp):
        resp.status = 201
        resp.media = {"data": self._faults.add(parse_faults(read_json(req)))}

    def on_delete(self, req, resp):
        self._faults.clear()
        resp.media = {"data": []}


class OpenApiDocument:
    def __init__(self):
        self._document = resources.files("billing_sandbox").joinpath("openapi.json").read_bytes()

    def on_get(self, req, resp):
        resp.content_type = falcon.MEDIA_JSON
        resp.data = self._document
