"""Each tier's honours rules from domain.md, with worked examples."""
import copy

from services.awards.domain.honours import honours_for_result, titles_held_from
from services.awards.domain.policy import Policy
from services.awards.domain.results import Competition, ContestantResult


def _codes(honours):
    return [t.code for t in honours.titles]


def _level(honours):
    return honours.promotion.to_level if honours.promotion else None


# --- worldskills -------------------------------------------------------------------------------

def test_worldskills_gold(policy, make):
    h = honours_for_result(policy, make.competition("worldskills", year=2017),
                           make.contestant(1, medal="gold", current_level=3))
    assert h.cash_yuan == 500_000
    assert (h.promotion.from_level, h.promotion.to_level, h.promotion.rule) == (3, 1, "worldskills.gold")
    assert _codes(h) == ["shanghai_outstanding_technical_expert"]
    assert h.rules_applied == ("worldskills.gold", "worldskills.award_winner_title")
    assert any("worldskills.gold" in r and "policy v1" in r and "¥500,000" in r for r in h.reasons)


def test_worldskills_medallion(policy, make):
    h = honours_for_result(policy, make.competition("worldskills"),
                           make.contestant(8, medallion=True, current_level=4))
    assert h.cash_yuan == 100_000
    assert (h.promotion.from_level, h.promotion.to_level) == (4, 2)
    assert _codes(h) == ["shanghai_outstanding_technical_expert"]


def test_worldskills_silver_design_default(policy, make):
    h = honours_for_result(policy, make.competition("worldskills"), make.contestant(2, medal="silver", current_level=3))
    assert h.cash_yuan == 100_000 and _level(h) == 2
    assert _codes(h) == ["shanghai_outstanding_technical_expert"]


def test_worldskills_other_competitor_one_level_up(policy, make):
    h = honours_for_result(policy, make.competition("worldskills"), make.contestant(20, current_level=4))
    assert h.cash_yuan == 50_000
    assert (h.promotion.from_level, h.promotion.to_level) == (4, 3)
    assert h.titles == ()


def test_worldskills_other_competitor_unknown_level_is_not_determinable(policy, make):
    h = honours_for_result(policy, make.competition("worldskills"), make.contestant(20, current_level=None))
    assert h.cash_yuan == 50_000
    assert h.promotion.determinable is False
    assert h.promotion.to_level is None and h.promotion.from_level is None
    assert "unknown" in h.promotion.note
    assert any("not determinable" in r for r in h.reasons)


def test_worldskills_to_level_still_applies_when_level_unknown(policy, make):
    h = honours_for_result(policy, make.competition("worldskills"), make.contestant(9, medallion=True, current_level=None))
    assert h.promotion.determinable is True
    assert (h.promotion.from_level, h.promotion.to_level) == (None, 2)
    assert "unknown" in h.promotion.note


def test_one_level_up_is_capped_at_highest_level(policy, make):
    h = honours_for_result(policy, make.competition("worldskills"), make.contestant(20, current_level=1))
    assert h.cash_yuan == 50_000
    assert h.promotion is None
    assert any("never lowers" in r for r in h.reasons)


def test_promotion_never_lowers_a_level(policy, make):
    h = honours_for_result(policy, make.competition("worldskills"), make.contestant(9, medallion=True, current_level=1))
    assert h.promotion is None and h.cash_yuan == 100_000


def test_worldskills_selection_trial_earns_no_grant(policy, make):
    h = honours_for_result(policy, make.competition("worldskills", selection_trial=True), make.contestant(1, medal="gold"))
    assert h.is_empty
    assert "No honours rule" in h.reasons[0]


def test_team_event_each_member_honoured_by_default(policy, make):
    comp = make.competition("worldskills", team=True)
    members = [make.contestant(1, person_key=k, medal="gold", team="上海队", current_level=3) for k in ("a", "b")]
    honours = [honours_for_result(policy, comp, m) for m in members]
    assert [h.cash_yuan for h in honours] == [500_000, 500_000]
    assert all(_level(h) == 1 for h in honours)
    assert any("Team event" in r for r in honours[0].reasons)


def test_team_members_not_honoured_individually_when_policy_says_so(policy, make):
    document = copy.deepcopy(dict(policy.document))
    document["tiers"]["worldskills"]["team_members_each_honoured"] = False
    edited = Policy.from_dict(document)
    h = honours_for_result(edited, make.competition("worldskills", team=True),
                           make.contestant(1, medal="gold", team="上海队"))
    assert h.is_empty
    assert "does not honour team members individually" in h.reasons[0]
    # individual events of the same tier are unaffected
    solo = honours_for_result(edited, make.competition("worldskills"), make.contestant(1, medal="gold"))
    assert solo.cash_yuan == 500_000


# --- national class 1 --------------------------------------------------------------------------

def test_national_class_1_top5_employee(policy, make):
    h = honours_for_result(policy, make.competition("national_class_1"), make.contestant(3, current_level=4))
    assert _codes(h) == ["national_technical_expert"]
    assert (h.promotion.from_level, h.promotion.to_level, h.promotion.rule) == (4, 3, "national_class_1.top20_promotion")
    assert h.cash_yuan == 0


def test_national_class_1_top5_student_gets_no_title_but_promotion(policy, make):
    h = honours_for_result(policy, make.competition("national_class_1"),
                           make.contestant(2, employment="student", current_level=5))
    assert h.titles == () and _level(h) == 4


def test_national_class_1_sixth_to_twentieth_promoted_only(policy, make):
    h = honours_for_result(policy, make.competition("national_class_1"), make.contestant(20, current_level=3))
    assert h.titles == () and _level(h) == 2


def test_national_class_1_below_twentieth_earns_nothing(policy, make):
    h = honours_for_result(policy, make.competition("national_class_1"), make.contestant(21))
    assert h.is_empty and "rank 21" in h.reasons[0]


def test_national_class_1_senior_technician_keeps_level(policy, make):
    h = honours_for_result(policy, make.competition("national_class_1"), make.contestant(1, current_level=1))
    assert _codes(h) == ["national_technical_expert"] and h.promotion is None


# --- national class 2 --------------------------------------------------------------------------

def test_national_class_2_employee_top5_to_technician(policy, make):
    h = honours_for_result(policy, make.competition("national_class_2"), make.contestant(2, current_level=3))
    assert _codes(h) == ["national_technical_expert"]
    assert (h.promotion.from_level, h.promotion.to_level) == (3, 2)


def test_national_class_2_employee_top5_already_technician_to_senior(policy, make):
    h = honours_for_result(policy, make.competition("national_class_2"), make.contestant(5, current_level=2))
    assert (h.promotion.from_level, h.promotion.to_level) == (2, 1)
    assert "already 二级/技师" in h.promotion.note


def test_national_class_2_employee_top5_senior_technician_not_lowered(policy, make):
    h = honours_for_result(policy, make.competition("national_class_2"), make.contestant(1, current_level=1))
    assert h.promotion is None and _codes(h) == ["national_technical_expert"]


def test_national_class_2_employee_top5_unknown_level(policy, make):
    h = honours_for_result(policy, make.competition("national_class_2"), make.contestant(1, current_level=None))
    assert (h.promotion.from_level, h.promotion.to_level, h.promotion.determinable) == (None, 2, True)
    assert "could not be checked" in h.promotion.note


def test_national_class_2_employee_6_to_20(policy, make):
    comp = make.competition("national_class_2")
    assert _level(honours_for_result(policy, comp, make.contestant(10, current_level=4))) == 3
    assert _level(honours_for_result(policy, comp, make.contestant(6, current_level=3))) == 2
    kept = honours_for_result(policy, comp, make.contestant(20, current_level=2))
    assert kept.promotion is None and kept.titles == ()


def test_national_class_2_student_group(policy, make):
    comp = make.competition("national_class_2")
    h = honours_for_result(policy, comp, make.contestant(3, employment="student", current_level=5))
    assert h.titles == () and (h.promotion.from_level, h.promotion.to_level) == (5, 3)
    assert honours_for_result(policy, comp, make.contestant(7, employment="student")).is_empty


# --- municipal class 1 -------------------------------------------------------------------------

def test_municipal_class_1_top3_at_technician_level(policy, make):
    comp = make.competition("municipal_class_1", level=2)
    h = honours_for_result(policy, comp, make.contestant(1, current_level=2))
    assert h.medal == "gold"
    assert _codes(h) == ["shanghai_technical_expert"]
    assert (h.promotion.to_level, h.promotion.rule) == (1, "municipal_class_1.technician_level_top3")
    assert honours_for_result(policy, comp, make.contestant(2)).medal == "silver"
    assert honours_for_result(policy, comp, make.contestant(3)).medal == "bronze"


def test_municipal_class_1_fourth_to_tenth_at_technician_level(policy, make):
    h = honours_for_result(policy, make.competition("municipal_class_1", level=2), make.contestant(7, current_level=3))
    assert h.titles == () and h.medal is None and _level(h) == 2


def test_municipal_class_1_other_levels_no_promotion(policy, make):
    h = honours_for_result(policy, make.competition("municipal_class_1", level=3), make.contestant(1, current_level=4))
    assert h.medal == "gold" and _codes(h) == ["shanghai_technical_expert"] and h.promotion is None


def test_municipal_class_1_below_tenth(policy, make):
    assert honours_for_result(policy, make.competition("municipal_class_1", level=2), make.contestant(11)).is_empty


# --- municipal class 2 -------------------------------------------------------------------------

def test_municipal_class_2_at_technician_level(policy, make):
    comp = make.competition("municipal_class_2", level=2)
    first = honours_for_result(policy, comp, make.contestant(1, current_level=2))
    assert _codes(first) == ["industry_technical_expert"] and _level(first) == 1
    fourth = honours_for_result(policy, comp, make.contestant(4, current_level=3))
    assert _codes(fourth) == ["industry_technical_expert"] and _level(fourth) == 2
    assert honours_for_result(policy, comp, make.contestant(6)).is_empty


def test_municipal_class_2_without_level(policy, make):
    h = honours_for_result(policy, make.competition("municipal_class_2"), make.contestant(1))
    assert _codes(h) == ["industry_technical_expert"] and h.promotion is None


# --- enterprise --------------------------------------------------------------------------------

def test_enterprise_top3_post_expert_no_government_title(policy, make):
    h = honours_for_result(policy, make.competition("enterprise"), make.contestant(3))
    assert _codes(h) == ["enterprise_post_expert"]
    assert all(t.issuer == "enterprise" for t in h.titles)
    assert h.cash_yuan == 0 and h.promotion is None
    assert honours_for_result(policy, make.competition("enterprise"), make.contestant(4)).is_empty


def test_enterprise_places_are_policy_data(policy, make):
    document = copy.deepcopy(dict(policy.document))
    document["tiers"]["enterprise"]["rules"][0]["when"]["rank"] = {"min": 1, "max": 5}
    document["version"] = 2
    h = honours_for_result(Policy.from_dict(document), make.competition("enterprise"), make.contestant(5))
    assert _codes(h) == ["enterprise_post_expert"] and h.policy_version == 2


# --- general -----------------------------------------------------------------------------------

def test_dataclass_and_dict_inputs_give_the_same_honours(policy, make):
    comp, person = make.competition("national_class_1"), make.contestant(2, current_level=3)
    from_dicts = honours_for_result(policy, comp, person)
    from_values = honours_for_result(policy, Competition.from_dict(comp), ContestantResult.from_dict(person))
    assert from_dicts == from_values
    assert honours_for_result(policy, comp, person) == from_dicts  # deterministic


def test_honours_serialise_and_become_held_titles(policy, make):
    h = honours_for_result(policy, make.competition("worldskills", year=2017), make.contestant(1, medal="gold"))
    data = h.to_dict()
    assert data["cash_yuan"] == 500_000 and data["promotion"]["to_level"] == 1
    assert titles_held_from(h) == [{"code": "shanghai_outstanding_technical_expert", "name_zh": "上海市杰出技术能手",
                                    "year": 2017}]


def test_results_published_payload_shape_is_accepted(policy, make):
    """Extra event fields (contestant_id, best_of_delegation, event) are ignored."""
    comp = make.competition("national_class_1", event="2023 全国职业技能大赛")
    person = make.contestant(1, contestant_id="c-1", best_of_delegation=True, current_level=3)
    h = honours_for_result(policy, comp, person)
    assert [t.code for t in h.titles] == ["national_technical_expert"] and h.promotion.to_level == 2
