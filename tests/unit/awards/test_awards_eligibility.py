"""Eligibility checks per programme, with reasons."""
import copy

from services.awards.domain.policy import Policy
from services.awards.domain.programmes import CandidateRecord, check_eligibility


def _codes(reasons):
    return [r.code for r in reasons]


# --- 上海工匠 -----------------------------------------------------------------------------------

def test_craftsman_eligible(policy, make):
    assert check_eligibility(policy, "shanghai_craftsman", make.record(), 2023) == []


def test_craftsman_requires_union_member_and_front_line(policy, make):
    reasons = check_eligibility(policy, "shanghai_craftsman", make.record(union_member=False, front_line=False), 2023)
    assert _codes(reasons) == ["NOT_UNION_MEMBER", "NOT_FRONT_LINE"]
    assert "trade-union" in reasons[0].message and "上海工匠" in reasons[0].message


def test_craftsman_unrecorded_facts_are_reasons(policy, make):
    reasons = check_eligibility(policy, "shanghai_craftsman", make.record(union_member=None, front_line=None), 2023)
    assert _codes(reasons) == ["NOT_UNION_MEMBER", "NOT_FRONT_LINE"]
    assert all("not recorded" in r.message for r in reasons)


def test_craftsman_not_named_twice(policy, make):
    rec = make.record(titles=[{"name_zh": "上海工匠", "year": 2019}])
    reasons = check_eligibility(policy, "shanghai_craftsman", rec, 2023)
    assert _codes(reasons) == ["ALREADY_NAMED"] and "2019" in reasons[0].message


def test_craftsman_has_no_level_or_years_condition(policy, make):
    rec = make.record(current_level=None, years_of_service=None)
    assert check_eligibility(policy, "shanghai_craftsman", rec, 2023) == []


def test_craftsman_rules_are_policy_data(policy, make):
    document = copy.deepcopy(dict(policy.document))
    checks = document["programmes"]["shanghai_craftsman"]["eligibility"]
    document["programmes"]["shanghai_craftsman"]["eligibility"] = [c for c in checks if c["kind"] != "union_member"]
    checks[1]["message"] = "须为一线职工"
    edited = Policy.from_dict(document)
    reasons = check_eligibility(edited, "shanghai_craftsman", make.record(union_member=False, front_line=False), 2023)
    assert [(r.code, r.message) for r in reasons] == [("NOT_FRONT_LINE", "须为一线职工")]


# --- 技能大师工作室 -------------------------------------------------------------------------------

def test_studio_leader_without_title_or_chief_technician_funding(policy, make):
    reasons = check_eligibility(policy, "master_studio", make.record(), 2023)
    assert _codes(reasons) == ["LEADER_NOT_QUALIFIED"]
    for name in ("中华技能大奖", "全国技术能手", "上海市杰出技术能手", "首席技师"):
        assert name in reasons[0].message


def test_studio_leader_with_title_by_code_or_name(policy, make):
    by_name = make.record(titles=[{"name_zh": "全国技术能手", "year": 2018}])
    by_code = make.record(titles=[{"code": "china_skills_award", "year": 2020}])
    assert check_eligibility(policy, "master_studio", by_name, 2023) == []
    assert check_eligibility(policy, "master_studio", by_code, 2023) == []


def test_studio_leader_title_after_round_year_does_not_count(policy, make):
    rec = make.record(titles=[{"name_zh": "全国技术能手", "year": 2024}])
    assert _codes(check_eligibility(policy, "master_studio", rec, 2023)) == ["LEADER_NOT_QUALIFIED"]


def test_studio_leader_previously_funded_chief_technician(policy, make):
    assert check_eligibility(policy, "master_studio", make.record(chief_technician_funded_year=2019), 2023) == []


def test_studio_leader_funded_but_no_longer_in_post(policy, make):
    rec = make.record(chief_technician_funded_year=2019, still_in_post=False)
    reasons = check_eligibility(policy, "master_studio", rec, 2023)
    assert _codes(reasons) == ["LEADER_NOT_QUALIFIED"] and "no longer in post" in reasons[0].message


def test_studio_funded_once_only(policy, make):
    rec = make.record(studio_funded_year=2021, titles=[{"name_zh": "全国技术能手", "year": 2018}])
    reasons = check_eligibility(policy, "master_studio", rec, 2023)
    assert _codes(reasons) == ["STUDIO_ALREADY_FUNDED"] and "2021" in reasons[0].message


# --- 首席技师 ---------------------------------------------------------------------------------

def test_chief_technician_eligible(policy, make):
    assert check_eligibility(policy, "chief_technician", make.record(current_level=2), 2023) == []


def test_chief_technician_already_funded(policy, make):
    reasons = check_eligibility(policy, "chief_technician", make.record(chief_technician_funded_year=2020), 2023)
    assert _codes(reasons) == ["ALREADY_FUNDED"]


def test_chief_technician_level_too_low_or_unknown(policy, make):
    low = check_eligibility(policy, "chief_technician", make.record(current_level=3), 2023)
    unknown = check_eligibility(policy, "chief_technician", make.record(current_level=None), 2023)
    assert _codes(low) == _codes(unknown) == ["LEVEL_TOO_LOW"]
    assert "三级/高级工" in low[0].message and "unknown" in unknown[0].message


# --- 上海市杰出技术能手 --------------------------------------------------------------------------

def test_outstanding_technical_expert_not_conferred_twice(policy, make):
    rec = make.record(front_line=False, titles=[{"code": "shanghai_outstanding_technical_expert", "year": 2017}])
    assert _codes(check_eligibility(policy, "outstanding_technical_expert", rec, 2023)) == [
        "NOT_FRONT_LINE", "ALREADY_NAMED"]


def test_record_value_and_dict_are_equivalent(policy, make):
    data = make.record(union_member=False)
    assert check_eligibility(policy, "shanghai_craftsman", data, 2023) == check_eligibility(
        policy, "shanghai_craftsman", CandidateRecord.from_dict(data), 2023)


def test_min_years_of_service_check(policy, make):
    document = copy.deepcopy(dict(policy.document))
    document["programmes"]["chief_technician"]["eligibility"].append(
        {"kind": "min_years_of_service", "code": "TOO_FEW_YEARS", "years": 15})
    edited = Policy.from_dict(document)
    assert _codes(check_eligibility(edited, "chief_technician", make.record(years_of_service=12), 2023)) == ["TOO_FEW_YEARS"]
    assert check_eligibility(edited, "chief_technician", make.record(years_of_service=15), 2023) == []


# --- what a round itself granted -----------------------------------------------------------------

def test_funding_approved_in_a_round_does_not_make_its_nominee_ineligible_there(policy, make):
    from services.awards.domain.candidates import as_of_round

    funded = make.record(chief_technician_funded_year=2026, funded_by_round={"chief_technician_funded_year": "R1"})
    assert check_eligibility(policy, "chief_technician", as_of_round(funded, "R1"), 2026) == []
    later = check_eligibility(policy, "chief_technician", as_of_round(funded, "R2"), 2027)
    assert _codes(later) == ["ALREADY_FUNDED"] and "2026" in later[0].message
    recorded = make.record(chief_technician_funded_year=2020)  # from a profile: a previous funding everywhere
    assert _codes(check_eligibility(policy, "chief_technician", as_of_round(recorded, "R1"), 2026)) == ["ALREADY_FUNDED"]


def test_a_title_conferred_by_a_round_is_not_held_before_it(policy, make):
    from services.awards.domain.candidates import as_of_round
    from services.awards.domain.scoring import score_candidate

    title = {"code": "shanghai_craftsman", "name_zh": "上海工匠", "year": 2026, "round_id": "R1"}
    named = make.record(titles=[title])
    own = as_of_round(named, "R1")
    assert check_eligibility(policy, "shanghai_craftsman", own, 2026) == []
    assert score_candidate(policy, "shanghai_craftsman", own, 2026).total == \
        score_candidate(policy, "shanghai_craftsman", make.record(), 2026).total
    assert _codes(check_eligibility(policy, "shanghai_craftsman", as_of_round(named, "R2"), 2027)) == ["ALREADY_NAMED"]
