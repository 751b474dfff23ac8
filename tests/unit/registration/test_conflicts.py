import pytest

from services.registration.domain.competition import CONFLICT_RELATIONS
from services.registration.domain.conflicts import (
    Conflict,
    DeclaredConflict,
    Judge,
    conflict_pairs,
    derive_conflicts,
)
from services.registration.domain.contestant import Delegation
from tests.unit.registration.factories import contestant

ALL = CONFLICT_RELATIONS

JUDGES = [
    {"judge_id": "J2", "username": "wang", "employer": "上海 电气", "training_base": None,
     "delegation": "浦东新区"},
    {"username": "li", "employer": "Baosteel", "training_base": "上海市第一培训基地",
     "delegation": {"kind": "enterprise_group", "name": "Shanghai Electric Group"}},
]
CONTESTANTS = [
    {"contestant_id": "C1", "employer": "上海电气",
     "delegation": {"kind": "district", "name": "浦东 新区"}},
    {"contestant_id": "C2", "employer": "SAIC",
     "delegation": {"kind": "training_base", "name": "上海市第一培训基地"}},
    {"contestant_id": "C3", "employer": "baosteel ", "training_base": "上海市第一培训基地",
     "delegation": {"kind": "district", "name": "Shanghai Electric Group"}},
    {"contestant_id": "C4", "employer": None, "delegation": None},
]


def as_tuples(conflicts):
    return [(c.judge, c.contestant_id, c.reasons) for c in conflicts]


def test_all_relations():
    declared = [{"judge": "wang", "contestant_id": "C4", "relation": "师徒", "note": "trained C4"},
                {"judge": "J2", "contestant_id": "C1", "relation": "relative", "note": None}]
    conflicts = derive_conflicts(ALL, JUDGES, CONTESTANTS, declared)
    assert as_tuples(conflicts) == [
        ("J2", "C1", ["same_employer", "same_delegation", "declared"]),
        ("J2", "C4", ["declared"]),
        ("li", "C2", ["same_training_base"]),
        ("li", "C3", ["same_employer", "same_training_base"]),
    ]
    assert conflicts[1].notes == ["师徒: trained C4"]
    assert conflicts[0].notes == ["relative"]


def test_judge_delegation_kind_must_match_when_given():
    # li's delegation is an enterprise group; C3's same-named delegation is a district
    conflicts = derive_conflicts(["same_delegation"], JUDGES, CONTESTANTS)
    assert as_tuples(conflicts) == [("J2", "C1", ["same_delegation"])]


def test_policy_narrows_the_relations():
    declared = [DeclaredConflict("J2", "C4", "relative")]
    assert as_tuples(derive_conflicts(["same_employer"], JUDGES, CONTESTANTS, declared)) == [
        ("J2", "C1", ["same_employer"]), ("li", "C3", ["same_employer"])]
    assert derive_conflicts([], JUDGES, CONTESTANTS, declared) == []


def test_declarations_for_unknown_people_are_ignored():
    declared = [{"judge": "ghost", "contestant_id": "C1"}, {"judge": "J2", "contestant_id": "C9"}]
    assert derive_conflicts(["declared"], JUDGES, CONTESTANTS, declared) == []


def test_dataclasses_are_accepted_too():
    judges = [Judge("J1", employer="SAIC", delegation=Delegation("district", "徐汇区"))]
    people = [contestant(1, employer=" saic", delegation=Delegation("district", "徐汇区")),
              contestant(2, employer="Other", training_base=None)]
    conflicts = derive_conflicts(ALL, judges, people)
    assert conflicts == [Conflict("J1", "C001", ["same_employer", "same_delegation"])]
    assert conflict_pairs(conflicts) == {("J1", "C001")}


def test_empty_names_never_match():
    judges = [{"judge_id": "J1", "employer": "", "training_base": " ", "delegation": None}]
    people = [{"contestant_id": "C1", "employer": "", "training_base": " ", "delegation": None}]
    assert derive_conflicts(ALL, judges, people) == []


def test_order_is_deterministic_whatever_the_input_order():
    forward = derive_conflicts(ALL, JUDGES, CONTESTANTS)
    backward = derive_conflicts(ALL, list(reversed(JUDGES)), list(reversed(CONTESTANTS)))
    assert forward == backward


def test_bad_input():
    with pytest.raises(ValueError):
        derive_conflicts(["same_school"], JUDGES, CONTESTANTS)
    with pytest.raises(ValueError):
        derive_conflicts(ALL, [{"employer": "x"}], CONTESTANTS)
    with pytest.raises(ValueError):
        derive_conflicts(ALL, JUDGES, [{"employer": "x"}])
