"""Marking scheme: JSON conversion, JSON Schema, marking rules, WSOS variation."""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from jsonschema import Draft202012Validator

from services.scoring.domain.errors import Problem, SchemeInvalid
from services.scoring.domain.scheme import Aspect, MarkingScheme, SubCriterion, wsos_variation, wsos_warnings
from services.scoring.domain.scheme_json import (
    load_scheme,
    marking_scheme_json_schema,
    scheme_from_json,
    scheme_to_json,
)
from services.scoring.domain.scheme_rules import validate_scheme

DESCRIPTORS = {"0": "below", "1": "meets", "2": "exceeds", "3": "excellent"}


def scheme_json() -> dict:
    """A small valid scheme: A 60 (A1: M 10 + J 30, A2: M 20), B 40 (B1: J 40)."""
    return {
        "wsos_sections": [
            {"number": 1, "name": "Work organisation", "marks": "30.00"},
            {"number": 2, "name": "Build", "marks": 70},
        ],
        "criteria": [
            {"letter": "A", "name": "Design", "mark": "60.00"},
            {"letter": "B", "name": "Build", "mark": 40},
        ],
        "sub_criteria": [
            {"id": "A1", "name": "Drawing", "day": 1, "aspects": [
                {"type": "M", "description": "Dimensions", "requirement": "Deduct 0.25 per error",
                 "wsos_section": 1, "max_mark": "10.00", "step": "0.25"},
                {"type": "J", "description": "Quality", "wsos_section": 2, "max_mark": 30, "descriptors": dict(DESCRIPTORS)},
            ]},
            {"id": "A2", "name": "Plan", "day": None, "aspects": [
                {"id": "PLAN", "type": "M", "description": "Plan", "wsos_section": 1, "max_mark": 20.0},
            ]},
            {"id": "B1", "name": "Build", "day": 2, "aspects": [
                {"type": "J", "description": "Finish", "wsos_section": 2, "max_mark": "40", "descriptors": dict(DESCRIPTORS)},
            ]},
        ],
    }


def paths(problems: list[Problem]) -> list[str]:
    return [p.path for p in problems]


# --------------------------------------------------------------------------- conversion


def test_from_json_builds_ids_types_and_decimals():
    scheme = scheme_from_json(scheme_json())
    assert [a.id for a in scheme.aspects] == ["A1.1", "A1.2", "PLAN", "B1.1"]
    first = scheme.aspect("A1.1")
    assert first.max_mark == Decimal("10.00") and isinstance(first.max_mark, Decimal)
    assert first.step == Decimal("0.25") and first.is_measurement
    assert scheme.aspect("PLAN").max_mark == Decimal("20.0")
    assert scheme.aspect("A1.2").descriptors == {0: "below", 1: "meets", 2: "exceeds", 3: "excellent"}
    assert scheme.sub_criterion("A2").day is None
    assert scheme.sub_criterion("B1").criterion == "B"
    assert [a.id for a in scheme.aspects_of("A1")] == ["A1.1", "A1.2"]
    assert scheme.aspects_of("Z9") == ()
    assert scheme.criterion_of(scheme.aspect("B1.1")) == "B"
    assert scheme.total_max_mark == Decimal("100")
    assert validate_scheme(scheme) == []


def test_float_numbers_go_through_str_not_binary():
    data = scheme_json()
    data["sub_criteria"][0]["aspects"][0]["max_mark"] = 0.1
    assert scheme_from_json(data).aspect("A1.1").max_mark == Decimal("0.1")


def test_to_json_round_trip_and_marks_as_text():
    scheme = scheme_from_json(scheme_json())
    data = scheme_to_json(scheme)
    assert data["criteria"][1]["mark"] == "40.00"
    aspect = data["sub_criteria"][0]["aspects"][0]
    assert aspect == {"id": "A1.1", "type": "M", "description": "Dimensions", "requirement": "Deduct 0.25 per error",
                      "wsos_section": 1, "max_mark": "10.00", "step": "0.25", "reference": "A1.M1"}
    assert data["sub_criteria"][0]["aspects"][1]["descriptors"]["2"] == "exceeds"
    assert scheme_from_json(data) == scheme
    assert load_scheme(data) == scheme


def test_from_json_reports_every_conversion_problem():
    data = scheme_json()
    del data["criteria"][0]["mark"]
    data["sub_criteria"][0]["aspects"][0]["max_mark"] = "abc"
    data["sub_criteria"][1]["aspects"][0]["wsos_section"] = "1"
    with pytest.raises(SchemeInvalid) as caught:
        scheme_from_json(data)
    assert paths(caught.value.problems) == [
        "/criteria/0/mark",
        "/sub_criteria/0/aspects/0/max_mark",
        "/sub_criteria/1/aspects/0/wsos_section",
    ]


def test_from_json_rejects_non_object():
    with pytest.raises(SchemeInvalid):
        scheme_from_json(["not", "a", "scheme"])  # type: ignore[arg-type]


def test_booleans_are_not_marks():
    data = scheme_json()
    data["sub_criteria"][0]["aspects"][0]["max_mark"] = True
    with pytest.raises(SchemeInvalid) as caught:
        scheme_from_json(data)
    assert paths(caught.value.problems) == ["/sub_criteria/0/aspects/0/max_mark"]


# --------------------------------------------------------------------------- JSON Schema


def test_json_schema_is_draft_2020_12_and_accepts_the_shape():
    schema = marking_scheme_json_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    assert list(Draft202012Validator(schema).iter_errors(scheme_json())) == []


@pytest.mark.parametrize("change, path", [
    (lambda d: d.update(extra=1), "/"),
    (lambda d: d["sub_criteria"][0]["aspects"][0].update(type="X"), "/sub_criteria/0/aspects/0/type"),
    (lambda d: d["sub_criteria"][0]["aspects"][0].update(max_mark="-1"), "/sub_criteria/0/aspects/0/max_mark"),
    (lambda d: d["sub_criteria"][0]["aspects"][0].update(max_mark="1e3"), "/sub_criteria/0/aspects/0/max_mark"),
    (lambda d: d["sub_criteria"][0]["aspects"][1]["descriptors"].update({"4": "x"}), "/sub_criteria/0/aspects/1/descriptors"),
    (lambda d: d["sub_criteria"][0].update(id="a1"), "/sub_criteria/0/id"),
    (lambda d: d["criteria"][0].pop("name"), "/criteria/0"),
])
def test_load_scheme_reports_schema_problems(change, path):
    """Located as every service locates a schema problem (``shared.validation``): a missing field at
    the object that lacks it, named in the problem."""
    data = scheme_json()
    change(data)
    with pytest.raises(SchemeInvalid) as caught:
        load_scheme(data)
    assert path in paths(caught.value.problems)
    if path == "/criteria/0":
        assert "'name' is a required property" in caught.value.problems[0].problem


# --------------------------------------------------------------------------- marking rules


def invalid(data: dict) -> list[Problem]:
    return validate_scheme(scheme_from_json(data))


def test_total_must_be_exactly_100():
    data = scheme_json()
    data["sub_criteria"][1]["aspects"][0]["max_mark"] = "20.01"
    data["criteria"][0]["mark"] = "60.01"
    problems = invalid(data)
    assert problems == [Problem("/sub_criteria", "aspect max marks add up to 100.01, not 100.00")]


def test_criterion_mark_must_equal_its_aspects():
    data = scheme_json()
    data["criteria"][0]["mark"] = "50"
    data["criteria"][1]["mark"] = "50"
    assert paths(invalid(data)) == ["/criteria/0/mark", "/criteria/1/mark"]


def test_sub_criterion_needs_an_existing_criterion():
    data = scheme_json()
    data["sub_criteria"][2]["id"] = "C1"
    problems = invalid(data)
    assert "/sub_criteria/2/id" in paths(problems)
    assert "/criteria/1/mark" in paths(problems)  # B lost its aspects


def test_judgement_aspect_needs_all_four_descriptors():
    data = scheme_json()
    del data["sub_criteria"][0]["aspects"][1]["descriptors"]["2"]
    data["sub_criteria"][0]["aspects"][1]["descriptors"]["3"] = "  "
    problems = invalid(data)
    assert problems == [
        Problem("/sub_criteria/0/aspects/1/descriptors", "judgement aspect A1.2 has no descriptor for score 2"),
        Problem("/sub_criteria/0/aspects/1/descriptors", "judgement aspect A1.2 has no descriptor for score 3"),
    ]


def test_measurement_aspect_has_no_descriptors():
    data = scheme_json()
    data["sub_criteria"][0]["aspects"][0]["descriptors"] = dict(DESCRIPTORS)
    assert paths(invalid(data)) == ["/sub_criteria/0/aspects/0/descriptors"]


def test_unknown_wsos_section():
    data = scheme_json()
    data["sub_criteria"][2]["aspects"][0]["wsos_section"] = 7
    assert paths(invalid(data)) == ["/sub_criteria/2/aspects/0/wsos_section"]


@pytest.mark.parametrize("max_mark, step, path_end", [
    ("0", None, "max_mark"),
    ("10.005", None, "max_mark"),
    ("10", "0.3", "step"),
    ("10", "0", "step"),
    ("10", "0.125", "step"),
])
def test_max_mark_and_step_rules(max_mark, step, path_end):
    data = scheme_json()
    aspect = data["sub_criteria"][0]["aspects"][0]
    aspect["max_mark"], aspect["step"] = max_mark, step
    problems = [p for p in invalid(data) if p.path.startswith("/sub_criteria/0/aspects/0/")]
    assert paths(problems) == [f"/sub_criteria/0/aspects/0/{path_end}"]


def test_step_only_for_measurement():
    data = scheme_json()
    data["sub_criteria"][0]["aspects"][1]["step"] = "1"
    assert paths(invalid(data)) == ["/sub_criteria/0/aspects/1/step"]


def test_duplicates_are_reported():
    data = scheme_json()
    data["wsos_sections"].append({"number": 2, "name": "again", "marks": 0})
    data["criteria"].append({"letter": "A", "name": "again", "mark": "60"})
    data["sub_criteria"][1]["aspects"][0]["id"] = "A1.1"
    problems = invalid(data)
    assert "/wsos_sections/2/number" in paths(problems)
    assert "/criteria/2/letter" in paths(problems)
    assert "/sub_criteria/1/aspects/0/id" in paths(problems)


def test_programmatic_scheme_problems_without_json_origin():
    scheme = scheme_from_json(scheme_json())
    stray = Aspect("X1.1", "X1", "Q", "", "", 1, Decimal("1"))
    broken = MarkingScheme(scheme.wsos_sections, scheme.criteria,
                           scheme.sub_criteria + (SubCriterion("B2", "empty", 0, "B"),), scheme.aspects + (stray,))
    problems = validate_scheme(broken)
    messages = " | ".join(p.problem for p in problems)
    assert "aspect type must be M or J" in messages
    assert "needs a description" in messages
    assert "unknown sub-criterion" in messages
    assert "B2 has no aspects" in messages
    assert "day of marking" in messages
    assert "/aspects/4/type" in paths(problems)


def test_load_scheme_raises_rule_problems():
    data = scheme_json()
    data["criteria"][0]["mark"] = "61"
    with pytest.raises(SchemeInvalid) as caught:
        load_scheme(data)
    assert caught.value.details() == [
        {"path": "/criteria/0/mark", "problem": "criterion A is 61.00 but its aspects add up to 60.00"},
    ]


# --------------------------------------------------------------------------- WSOS variation


def test_wsos_variation_rows():
    scheme = scheme_from_json(scheme_json())
    assert wsos_variation(scheme) == [
        {"section": 1, "name": "Work organisation", "wsos_marks": Decimal("30.00"), "aspect_marks": Decimal("30.00"),
         "variation": Decimal("0.00")},
        {"section": 2, "name": "Build", "wsos_marks": Decimal("70"), "aspect_marks": Decimal("70"), "variation": Decimal("0")},
    ]
    assert wsos_warnings(scheme) == []


def test_wsos_warning_above_threshold_only():
    data = copy.deepcopy(scheme_json())
    data["wsos_sections"][0]["marks"] = "35"
    data["wsos_sections"][1]["marks"] = "65"
    scheme = scheme_from_json(data)
    assert wsos_warnings(scheme) == []  # variation 5 is not more than 5
    warnings = wsos_warnings(scheme, threshold=Decimal("4.99"))
    assert len(warnings) == 2
    assert warnings[0].startswith("WSOS section 1 (Work organisation) carries 35.00 marks")
    assert validate_scheme(scheme) == []  # a warning is never an error


def test_wsos_weights_not_adding_to_100_is_a_warning():
    data = scheme_json()
    data["wsos_sections"][1]["marks"] = "60"
    warnings = wsos_warnings(scheme_from_json(data))
    assert warnings[-1] == "The WSOS section marks add up to 90.00, not 100.00."


def test_wsos_data_is_required_at_the_worldskills_tier_only():
    data = scheme_json()
    data["wsos_sections"] = []
    for sub in data["sub_criteria"]:
        for aspect in sub["aspects"]:
            del aspect["wsos_section"]
    with pytest.raises(SchemeInvalid) as caught:
        load_scheme(data)
    assert "/wsos_sections" in paths(caught.value.problems)
    assert all(a.wsos_section is None for a in load_scheme(data, require_wsos=False).aspects)
