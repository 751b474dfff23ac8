import copy

import pytest
import yaml

from services.awards.domain.policy import (
    DEFAULT_POLICY_PATH,
    Policy,
    PolicyError,
    load_default_policy,
    load_policy_yaml,
    validate_policy,
)


def _default() -> dict:
    return copy.deepcopy(dict(load_default_policy().document))


def _paths(problems) -> list[str]:
    return [p.path for p in problems]


def test_default_policy_is_valid_and_versioned(policy):
    assert validate_policy(_default()) == []
    assert policy.version == 1
    assert set(policy.document["tiers"]) == {
        "worldskills", "national_class_1", "national_class_2",
        "municipal_class_1", "municipal_class_2", "enterprise",
    }
    assert set(policy.programme_codes) == {
        "shanghai_craftsman", "chief_technician", "master_studio", "outstanding_technical_expert",
    }
    assert policy.notice_days_min == 5


def test_levels_table_names_the_five_levels(policy):
    assert policy.level_label(5) == "五级/初级工"
    assert policy.level_label(2) == "二级/技师"
    assert policy.level_label(1) == "一级/高级技师"
    assert policy.level_label(None) == "unknown level"


def test_titles_resolve_by_code_or_chinese_name(policy):
    assert policy.title_code_for("全国技术能手") == "national_technical_expert"
    assert policy.title_code_for("national_technical_expert") == "national_technical_expert"
    assert policy.title_code_for("劳动模范") is None


def test_unknown_tier_is_rejected():
    document = _default()
    document["tiers"]["olympics"] = {"rules": []}
    problems = validate_policy(document)
    assert "/tiers/olympics" in _paths(problems)
    assert "unknown tier" in problems[0].problem


def test_unknown_tier_in_programme_weights_is_rejected():
    document = _default()
    document["programmes"]["chief_technician"]["weights"]["achievements"]["tiers"]["olympics"] = {"participation": 1}
    assert "/programmes/chief_technician/weights/achievements/tiers/olympics" in _paths(validate_policy(document))


def test_negative_cash_is_rejected():
    document = _default()
    document["tiers"]["worldskills"]["rules"][0]["grant"]["cash_yuan"] = -1
    assert _paths(validate_policy(document)) == ["/tiers/worldskills/rules/0/grant/cash_yuan"]


def test_fractional_cash_is_rejected():
    document = _default()
    document["tiers"]["worldskills"]["rules"][0]["grant"]["cash_yuan"] = 100.5
    assert _paths(validate_policy(document)) == ["/tiers/worldskills/rules/0/grant/cash_yuan"]


def test_missing_version_is_rejected():
    document = _default()
    del document["version"]
    problems = validate_policy(document)
    assert problems and problems[0].path == "/version" and problems[0].problem == "is required"


def test_missing_tier_is_rejected():
    document = _default()
    del document["tiers"]["enterprise"]
    assert "/tiers/enterprise" in _paths(validate_policy(document))


def test_unknown_condition_is_rejected():
    document = _default()
    document["tiers"]["enterprise"]["rules"][0]["when"]["age"] = {"max": 35}
    assert "/tiers/enterprise/rules/0/when/age" in _paths(validate_policy(document))


def test_promotion_must_be_either_to_level_or_by_levels():
    document = _default()
    document["tiers"]["national_class_1"]["rules"][1]["grant"]["promotion"] = {"to_level": 2, "by_levels": 1}
    problems = validate_policy(document)
    assert _paths(problems) == ["/tiers/national_class_1/rules/1/grant/promotion"]
    assert "either to_level" in problems[0].problem
    document["tiers"]["national_class_1"]["rules"][1]["grant"]["promotion"] = {}
    assert validate_policy(document)


def test_level_outside_one_to_five_is_rejected():
    document = _default()
    document["tiers"]["worldskills"]["rules"][0]["grant"]["promotion"] = {"to_level": 0}
    assert validate_policy(document)


def test_duplicate_rule_ids_are_rejected():
    document = _default()
    rules = document["tiers"]["enterprise"]["rules"]
    rules.append(copy.deepcopy(rules[0]))
    assert _paths(validate_policy(document)) == ["/tiers/enterprise/rules/1/id"]


def test_levels_must_cover_one_to_five_once():
    document = _default()
    document["levels"][0]["level"] = 4
    assert _paths(validate_policy(document)) == ["/levels"]


def test_granted_title_must_be_in_catalogue():
    document = _default()
    document["tiers"]["enterprise"]["rules"][0]["grant"]["titles"] = [
        {"code": "golden_hands", "name_zh": "金手", "name_en": "Golden hands"}
    ]
    assert _paths(validate_policy(document)) == ["/tiers/enterprise/rules/0/grant/titles/0/code"]


def test_if_current_must_be_a_promotion():
    document = _default()
    promotion = document["tiers"]["national_class_2"]["rules"][0]["grant"]["promotion"]
    promotion["if_current"] = [{"current_level": 2, "to_level": 3}]
    assert _paths(validate_policy(document)) == ["/tiers/national_class_2/rules/0/grant/promotion/if_current/0"]


def test_rank_range_and_bands_must_be_ordered():
    document = _default()
    document["tiers"]["enterprise"]["rules"][0]["when"]["rank"] = {"min": 5, "max": 3}
    bands = document["programmes"]["master_studio"]["weights"]["achievements"]["tiers"]["enterprise"]["rank_bands"]
    bands.append({"from": 3, "to": 4, "points": 1})
    paths = _paths(validate_policy(document))
    assert "/tiers/enterprise/rules/0/when/rank" in paths
    assert "/programmes/master_studio/weights/achievements/tiers/enterprise/rank_bands" in paths


def test_eligibility_check_parameters_are_checked_per_kind():
    document = _default()
    document["programmes"]["chief_technician"]["eligibility"][1] = {
        "kind": "min_skill_level", "code": "LEVEL_TOO_LOW", "years": 3,
    }
    paths = _paths(validate_policy(document))
    assert "/programmes/chief_technician/eligibility/1/level" in paths
    assert "/programmes/chief_technician/eligibility/1/years" in paths


def test_load_policy_yaml_raises_with_every_problem():
    document = _default()
    del document["version"]
    document["tiers"]["worldskills"]["rules"][0]["grant"]["cash_yuan"] = -5
    with pytest.raises(PolicyError) as raised:
        load_policy_yaml(yaml.safe_dump(document, allow_unicode=True))
    assert {"/version"} <= set(_paths(raised.value.problems))


def test_non_mapping_policy_is_rejected():
    with pytest.raises(PolicyError):
        load_policy_yaml("- just a list")


def test_policy_keeps_its_own_copy():
    document = _default()
    policy = Policy.from_dict(document)
    document["version"] = 99
    assert policy.version == 1


def test_default_file_is_yaml_with_provenance_comments():
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    assert "[published]" in text and "[design default]" in text
