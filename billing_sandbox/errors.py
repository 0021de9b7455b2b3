"""One error shape for every failure, so clients branch on a stable ``code``, never on prose.

Every response that is not a success carries ``{"error": {"code": ..., "message": ...}}``, plus
``field`` for validation errors and ``invoice_id`` for duplicate references. That holds for errors
raised here, for the framework's own (unknown route, wrong method) and for bugs (500).
"""

import logging

import falcon

from billing_sandbox import jsonio

_logger = logging.getLogger(__name__)


class ApiError(falcon.HTTPError):
    """An error a client is meant to handle: an HTTP status, a stable code, a message."""

    def __init__(self, status, code, message, headers=None, **details):
        super().__init__(status, title=code, description=message, headers=headers)
        self.code = code
        self.message = message
        self.details = details


def unauthorized():
    return ApiError(
        401,
        "unauthorized",
        "Missing or invalid API key: send 'Authorization: Bearer <key>'.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def not_found(what):
    return ApiError(404, "not_found", f"No such {what}.")


def invalid_json(reason):
    return ApiError(400, "invalid_json", f"The request body is not valid JSON: {reason}")


def validation_error(field, message):
    return ApiError(422, "validation_error", f"{field}: {message}", field=field)


def conflict(code, message, **details):
    return ApiError(409, code, message, **details)


# Errors the framework raises itself, by class: the code and message a client sees for each.
_FRAMEWORK_ERRORS = (
    (falcon.HTTPNotFound, "not_found", "No such route."),
    (falcon.HTTPMethodNotAllowed, "method_not_allowed", "This method is not allowed here."),
    (falcon.HTTPInternalServerError, "internal_error", "The server failed to handle the request."),
    (falcon.HTTPBadRequest, "bad_request", "The request is malformed."),
)


def error_document(error):
    if isinstance(error, ApiError):
        return {"error": {"code": error.code, "message": error.message, **error.details}}
    code, message = _framework_code_and_message(error)
    return {"error": {"code": code, "message": error.description or message}}


def _framework_code_and_message(error):
    for cls, code, message in _FRAMEWORK_ERRORS:
        if isinstance(error, cls):
            return code, message
    return "http_" + falcon.code_to_http_status(error.status)[:3], error.title


def serialize_error(req, resp, error):
    """Falcon's error serializer: always JSON, whatever the client's Accept header says."""
    resp.content_type = falcon.MEDIA_JSON
    resp.text = jsonio.dumps(error_document(error))


def render_error(resp, error):
    """Replace whatever response was prepared with this error (used by injected faults)."""
    resp.status = error.status
    serialize_error(None, resp, error)


def handle_unexpected(req, resp, exc, params):
    """A bug must still answer in the error shape, and leave its traceback in the log."""
    _logger.exception("Unexpected error on %s %s", req.method, req.path)
    raise ApiError(500, "internal_error", "The server failed to handle the request.")
