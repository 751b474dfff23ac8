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
    {"request_id": "r", "marks": [{"contestant_id": "c", "aspect": "A1.1", "observed": 3}]},
    {"request_id": "r", "marks": [{"contestant_id": "c", "aspect": "A1.1", "observed": True}]},
    {"request_id": "r", "marks": [{"contestant_id": "c", "aspect": "A1.1", "observed": "Minor marks left"}]},
    {"request_id": "r", "marks": [{"contestant_id": "c", "aspect": "A1.1", "observed": "x" * 201}]},
    {"request_id": "r", "marks": [{"contestant_id": "c", "aspect": "A1.1", "observed": {"choice": 1}}]},
])
def test_fast_shape_check_never_accepts_what_the_schema_refuses(payload):
    valid = not schema_problems(payload, SCHEMA)
    assert valid or not shape_ok(payload)  # stricter is fine: the schema (then the domain) decides
    if isinstance(payload.get("marks"), list) and payload["marks"] and payload.get("request_id") == "r" and valid:
        assert shape_ok(payload) or payload["marks"][0].get("score") == 2.0


def test_observations_are_checked_and_turned_into_marks():
    from services.scoring.domain.cis_import import parse_cis_xlsx
    from services.scoring.marksheet import check_marks
    from services.scoring.storage import Roster
    from tests.unit.scoring.cis_fixture import build_cis_xlsx

    scheme = parse_cis_xlsx(build_cis_xlsx())
    index = {a.id: i for i, a in enumerate(scheme.aspects)}
    roster = Roster(1, {"c1": {"status": "active"}}, {"j": "judge"}, {}, False)
    marks = [{"contestant_id": "c1", "aspect": "A2.3", "observed": 2},
             {"contestant_id": "c1", "aspect": "C1.1", "observed": "not sanded"},
             {"contestant_id": "c1", "aspect": "A1.1", "observed": "pass", "value": "1"},
             {"contestant_id": "c1", "aspect": "A1.3", "observed": 2},
             {"contestant_id": "c1", "aspect": "A1.1", "value": "1"}]
    checked, problems = check_marks(marks, "j", roster, scheme, index)
    assert [(m.value, m.observed) for m in checked] == [("2.50", 2), ("0.00", "Not sanded"), ("1.00", "pass")]
    assert [(p["path"], p["code"]) for p in problems] == [("/marks/2/observed", "WRONG_TYPE"),
                                                          ("/marks/3/score", "WRONG_TYPE")]
