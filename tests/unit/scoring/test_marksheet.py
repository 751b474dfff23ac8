"""The service's mark-path helpers: Mongo-safe keys and the fast payload check agreeing with the schema."""
from pathlib import Path

import pytest

from services.scoring.marksheet import shape_ok
from services.scoring.storage import key, unkey
from shared.validation import schema_problems

SCHEMA = Path(__file__).resolve().parents[3] / "services" / "scoring" / "schemas" / "marks_submit.json"


@pytest.mark.parametrize("text", ["plain", "a.b", "$x", "50%.", "%2E", "张.三"])
def test_keys_round_trip_and_are_mongo_safe(text):
    encoded = key(text)
    assert "." not in encoded and not encoded.startswith("$") and unkey(encoded) == text


@pytest.mark.parametrize("payload", [
    {"request_id": "r", "marks": [{"contestant_id": "c", "aspect": "A1.1", "value": "0.50"}]},
    {"request_id": "r", "reason": "fix", "marks": [{"team": "T", "aspect": "A1.1", "score": 2}]},
    {"request_id": "r", "marks": [{"contestant_id": "c", "aspect": "A1.1", "value": 1.5}]},
    {"request_id": "r", "marks": []},
    {"marks": [{"contestant_id": "c", "aspect": "A1.1", "value": "1"}]},
    {"request_id": "r", "marks": [{"contestant_id": "c", "aspect": "A1.1", "value": True}]},
    {"request_id": "r", "marks": [{"contestant_id": "c", "aspect": "A1.1", "score": 2.0}]},
    {"request_id": "r", "marks": [{"contestant_id": "c", "value": "1"}]},
    {"request_id": "r", "marks": [{"contestant_id": "c", "aspect": "A1.1", "other": 1}]},
    {"request_id": "", "marks": [{"contestant_id": "c", "aspect": "A1.1"}]},
    {"request_id": "r", "marks": ["not an object"]},
])
def test_fast_shape_check_never_accepts_what_the_schema_refuses(payload):
    valid = not schema_problems(payload, SCHEMA)
    assert valid or not shape_ok(payload)  # stricter is fine: the schema (then the domain) decides
    if isinstance(payload.get("marks"), list) and payload["marks"] and payload.get("request_id") == "r" and valid:
        assert shape_ok(payload) or payload["marks"][0].get("score") == 2.0
