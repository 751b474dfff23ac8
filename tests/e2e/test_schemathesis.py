"""The running gateway keeps the contract its OpenAPI document states, for every role.

The document is the one the gateway serves at /api/v1/openapi.json (a test checks they are equal);
it is built here at collection, so each operation is a test item of its own.

schemathesis generates requests for every operation (valid and invalid ones, a bounded number per
operation) with an admin token and with each other role's token, and checks every answer: never
a 5xx, a documented status code, content type, headers and body schema, and a 405 with ``Allow``
for a method an operation does not have.
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from services.gateway.openapi import openapi_document

ROLES = ("admin", "organiser", "judge", "chief_expert", "committee")
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance", "unsupported_method",
          "negative_data_rejection")
MAX_EXAMPLES = 8


def config() -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS},
                   # a request line over 8 KB is refused by the HTTP server itself (documented as 414)
                   "negative_data_rejection": {"enabled": True, "expected-statuses": [
                       "400", "401", "403", "404", "405", "409", "413", "414", "415", "422", "429"]}},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": False},
                   "fuzzing": {"enabled": True, "generation": {"mode": "all", "max-examples": MAX_EXAMPLES}},
                   "stateful": {"enabled": False}},
        "generation": {"deterministic": True, "database": "none"},
    })


@pytest.fixture(scope="module")
def tokens(admin_api, make_user) -> dict[str, str]:
    return {role: admin_api.token if role == "admin" else make_user(role).token for role in ROLES}


schema = schemathesis.openapi.from_dict(openapi_document(), config=config())


def test_the_running_gateway_serves_the_document_tested_here(anonymous_api):
    assert anonymous_api.get("/openapi.json").json() == openapi_document()


def contract_test(role: str):
    """One schemathesis test over every operation, calling with ``role``'s token."""

    @schema.parametrize()
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def test(case, tokens, platform):
        case.call_and_validate(base_url=platform.rsplit("/api/v1", 1)[0],
                               headers={"Authorization": f"Bearer {tokens[role]}"})

    return test


test_contract_as_admin = contract_test("admin")
test_contract_as_organiser = contract_test("organiser")
test_contract_as_judge = contract_test("judge")
test_contract_as_chief_expert = contract_test("chief_expert")
test_contract_as_committee = contract_test("committee")
