"""The gateway checks a JSON body in full (``check_json_values``) only when it could hold a problem;
these bodies show the shortcut refuses exactly what the full check refuses, naming the same places."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from werkzeug.test import EnvironBuilder

from services.gateway.http import GatewayRequest, _constant, _integer, check_json_values, parse_json_body
from shared.errors import ServiceError


def nested(levels: int, leaf: str = "1") -> str:
    return "[" * levels + leaf + "]" * levels


BODIES = [
    '{"request_id": "r1", "marks": [{"contestant_id": "C1-a", "aspect": "A1.1", "value": "0.25"}]}',
    nested(32), nested(33), nested(32, "[]"), nested(31, '{"a": 1}'), nested(32, '{"a": 1}'), nested(40),
    '{"a": {"b": {"c": 12345678901234567890}}}', '{"n": -9223372036854775808}', '{"n": 9223372036854775808}',
    '{"x": NaN}', '[Infinity, -Infinity]', '{"v": 1.5e400}',
    '{"name": "a\x7fb"}', '{"name": "\u0085"}', '{"name": "\ufffe"}', '{"na\x9fme": 1}',
    '{"name": "a\\u0000b"}', '{"name": "a\\bb"}', '{"name": "a\\fb"}', '{"name": "\\ud800"}', '{"\\u0001": 1}',
    '{"name": "tab\\tnewline\\nreturn\\r quote\\" slash\\/ back\\\\"}', '{"name": "上海 \\u4e0a\\u6d77"}',
    '{"deep": ' + nested(31, '"\\u0000"') + "}",
]


def request(body: str) -> GatewayRequest:
    return GatewayRequest(EnvironBuilder(method="POST", data=body.encode("utf-8"),
                                         content_type="application/json").get_environ())


def outcome(check) -> tuple:
    try:
        return ("accepted", check())
    except ServiceError as error:
        return ("refused", error.code, error.message, error.details)


def full_check(body: str):
    document = json.loads(body, parse_float=Decimal, parse_int=_integer, parse_constant=_constant)
    check_json_values(document)
    return document


@pytest.mark.parametrize("body", BODIES)
def test_the_shortcut_refuses_what_the_full_check_refuses(body):
    assert outcome(lambda: parse_json_body(request(body))) == outcome(lambda: full_check(body))


def test_the_bodies_cover_both_outcomes():
    outcomes = {outcome(lambda b=b: full_check(b))[0] for b in BODIES}
    assert outcomes == {"accepted", "refused"}
