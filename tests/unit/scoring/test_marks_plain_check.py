"""The plain check of a marks payload never accepts what the schema refuses (it only skips the schema
validator for the common case); the schema still names the problems of everything else."""
from __future__ import annotations

from pathlib import Path

import pytest

from services.scoring.handlers.marks import plainly_valid
from shared.validation import schema_problems

SCHEMA = Path(__file__).resolve().parents[3] / "services" / "scoring" / "schemas" / "marks_submit.json"
MARK = {"contestant_id": "c1", "aspect": "A1.1", "value": "0.50"}

COMMON = [
    {"request_id": "r1", "marks": [MARK]},
    {"request_id": "r1", "marks": [MARK, {"contestant_id": "c1", "aspect": "B1.1", "score": 2},
                                   {"contestant_id": "c2", "aspect": "A1.2", "value": 1.5},
                                   {"contestant_id": "c2", "aspect": "A1.3", "observed": True},
                                   {"contestant_id": "c2", "aspect": "A1.4", "observed": "pass"}] * 60},
]
OTHERS = [
    {"request_id": "r1", "marks": [MARK], "reason": "a correction"},
    {"request_id": "r1", "marks": [{"team": "Team 1", "aspect": "A1.1", "value": "1"}]},
    {"request_id": "", "marks": [MARK]},
    {"request_id": "r" * 101, "marks": [MARK]},
    {"request_id": 7, "marks": [MARK]},
    {"marks": [MARK]},
    {"request_id": "r1", "marks": []},
    {"request_id": "r1", "marks": MARK},
    {"request_id": "r1", "marks": [MARK], "extra": 1},
    {"request_id": "r1", "marks": [{**MARK, "extra": 1}]},
    {"request_id": "r1", "marks": [{"contestant_id": "c1", "value": "1"}]},
    {"request_id": "r1", "marks": [{**MARK, "aspect": ""}]},
    {"request_id": "r1", "marks": [{**MARK, "contestant_id": ""}]},
    {"request_id": "r1", "marks": [{**MARK, "contestant_id": 5}]},
    {"request_id": "r1", "marks": [{**MARK, "value": "1" * 21}]},
    {"request_id": "r1", "marks": [{**MARK, "value": True}]},
    {"request_id": "r1", "marks": [{**MARK, "value": None}]},
    {"request_id": "r1", "marks": [{"contestant_id": "c1", "aspect": "B1.1", "score": 2.0}]},
    {"request_id": "r1", "marks": [{"contestant_id": "c1", "aspect": "B1.1", "score": True}]},
    {"request_id": "r1", "marks": [{"contestant_id": "c1", "aspect": "B1.1", "score": "2"}]},
    {"request_id": "r1", "marks": [{"contestant_id": "c1", "aspect": "A1.1", "observed": None}]},
    {"request_id": "r1", "marks": [{"contestant_id": "c1", "aspect": "A1.1", "observed": "x" * 201}]},
    {"request_id": "r1", "marks": ["A1.1"]},
    [MARK],
]


@pytest.mark.parametrize("payload", COMMON)
def test_common_payloads_pass_the_plain_check_and_the_schema(payload):
    assert plainly_valid(payload) and schema_problems(payload, SCHEMA) == []


@pytest.mark.parametrize("payload", OTHERS)
def test_whatever_the_plain_check_accepts_the_schema_accepts(payload):
    assert not plainly_valid(payload) or schema_problems(payload, SCHEMA) == []
    if not plainly_valid(payload):  # left to the schema: refused there unless it uses what the plain check skips
        assert schema_problems(payload, SCHEMA) or "reason" in payload or "team" in payload["marks"][0]
