"""The sandbox does what its OpenAPI document says, checked with requests generated from it.

Schemathesis generates valid and invalid requests for every operation from the packaged
document and checks each response: no 5xx, a documented status, content type and headers, a
body matching the documented schema, invalid input refused, a missing key refused. Adding
faults is the one operation left out of the generated run (a random fault would break the
requests that follow); it is checked on an example instead.
"""

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from billing_sandbox import __file__ as package_init
from billing_sandbox.server import MAX_REQUEST_LINE
from billing_sandbox.testing import SandboxProcess

OPENAPI = Path(package_init).with_name("openapi.json")
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "mode": "all",
            "max-examples": 30,
            # requests drops a query parameter whose value is None, so an "unknown parameter"
            # case can arrive without its violation; unknown parameters have example tests.
            "allow-extra-parameters": False,
        }
    }
)
SCHEMA = schemathesis.openapi.from_path(OPENAPI, config=CONFIG)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.missing_required_header,
    checks.unsupported_method,
    checks.ignored_auth,
]


@pytest.fixture(scope="module")
def conformance_sandbox():
    """Its own sandbox: generated data stays out of the invoices other tests page through."""
    with SandboxProcess() as sandbox:
        yield sandbox


def call_and_validate(case, sandbox):
    response = case.call(
        base_url=sandbox.url,
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
        timeout=10,
    )
    request_line = f"{response.request.method} {response.request.path_url} HTTP/1.1"
    if len(request_line.encode()) > MAX_REQUEST_LINE:
        # Generated values can make the URL longer than the HTTP server takes: it refuses them
        # itself (documented), so the API's checks don't apply. Nothing shorter may get a 414.
        assert response.status_code == 414, (response.status_code, len(request_line))
        return response
    case.validate_response(response, checks=CHECKS)
    return response


@SCHEMA.exclude(path="/_sandbox/faults", method="POST").parametrize()
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_generated_requests_get_documented_responses(case, conformance_sandbox):
    call_and_validate(case, conformance_sandbox)


def test_adding_faults_answers_as_documented(conformance_sandbox):
    operation = SCHEMA["/_sandbox/faults"]["POST"]
    case = operation.Case(
        body={"faults": [{"match": "GET /v1/nothing-here", "mode": "delay", "count": 2}]}
    )
    try:
        response = call_and_validate(case, conformance_sandbox)
        assert response.status_code == 201
    finally:
        clear = SCHEMA["/_sandbox/faults"]["DELETE"].Case()
        assert call_and_validate(clear, conformance_sandbox).status_code == 200


def test_the_document_is_a_valid_openapi_3_1_description():
    """Every route the sandbox serves is in the document clients generate code from."""
    operations = [result.ok() for result in SCHEMA.get_all_operations()]

    assert SCHEMA.raw_schema["openapi"] == "3.1.0"
    assert {(op.method.upper(), op.path) for op in operations} >= {
        ("POST", "/v1/invoices"),
        ("GET", "/v1/invoices"),
        ("GET", "/v1/invoices/{invoice_id}"),
        ("POST", "/v1/invoices/{invoice_id}/cancel"),
        ("POST", "/v1/invoices/{invoice_id}/payments"),
        ("GET", "/v1/events"),
        ("GET", "/_sandbox/faults"),
        ("POST", "/_sandbox/faults"),
        ("DELETE", "/_sandbox/faults"),
    }


def test_a_request_line_over_the_servers_limit_is_refused_before_the_api(conformance_sandbox):
    operation = SCHEMA["/v1/events"]["GET"]
    too_long = operation.Case(query={"after": "9" * MAX_REQUEST_LINE})
    just_short = operation.Case(query={"after": "9" * (MAX_REQUEST_LINE - 100)})

    assert call_and_validate(too_long, conformance_sandbox).status_code == 414
    # Below the limit the API answers itself, with its documented JSON error.
    assert call_and_validate(just_short, conformance_sandbox).status_code == 422
