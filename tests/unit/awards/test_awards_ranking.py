"""Ranking with explained tie-breaks (policy criteria, then the round's seeded lot), and the
quota/budget cut line with the round's own approvals inside it."""
from decimal import Decimal

import pytest

from services.awards.domain.policy import Policy
from services.awards.domain.programmes import CandidateRecord, Score, ScoreLine, draw_cut_line, rank_nominees
from services.awards.domain.cut_line import Approvals, inside_cut_line
from services.awards.domain.ranking import draw_lot, tie_breaks

SEED = "seed-of-the-round"


def _result(year: int = 2022, rank: int | None = None, medal: str | None = None, tier: str = "municipal_class_1",
            code: str = "c") -> dict:
    return {"competition_code": f"{code}{year}{rank}{tier}", "tier": tier, "year": year, "rank": rank, "medal": medal}


def _entry(key: str, total: str, results=(), name: str = ""):
    record = CandidateRecord.from_dict({"person_key": key, "name": name or key, "achievements": list(results)})
    score = Score("chief_technician", key, 2026, 1, "fp", Decimal(total),
                  (ScoreLine("years", "years of service", {}, Decimal("1"), Decimal(total)),))
    return record, score


def _rank(entries, policy, seed=SEED):
    return rank_nominees(entries, policy, seed)


def _order(ranked):
    return [n.person_key for n in ranked]


def test_ranked_by_total_without_tie_breaks(policy):
    ranked = _rank([_entry("a", "10.00"), _entry("b", "30.00"), _entry("c", "20.00")], policy)
    assert _order(ranked) == ["b", "c", "a"]
    assert [n.position for n in ranked] == [1, 2, 3]
    assert all(n.tie_break is None for n in ranked)


def test_the_criteria_and_their_order_come_from_the_policy(policy):
    assert [c.name for c in tie_breaks(policy)] == ["best_medal", "best_place", "highest_tier", "latest_result_year"]
    document = dict(policy.document) | {"ranking": {"tie_breaks": [{"criterion": "latest_result_year"},
                                                                  {"criterion": "best_place"}]}}
    recent_bronze = _entry("a", "45.00", [_result(2025, 3, "bronze")])
    older_gold = _entry("b", "45.00", [_result(2020, 1, "gold")])
    assert _order(_rank([recent_bronze, older_gold], policy)) == ["b", "a"]  # the default: medal first
    assert _order(_rank([recent_bronze, older_gold], Policy.from_dict(document))) == ["a", "b"]


def test_a_policy_with_an_unknown_criterion_is_refused(policy):
    from services.awards.domain.policy import validate_policy
    document = dict(policy.document) | {"ranking": {"tie_breaks": [{"criterion": "person_key"}]}}
    assert validate_policy(document)
    document = dict(policy.document) | {"ranking": {"tie_breaks": [{"criterion": "highest_tier", "order": ["nobel"]}]}}
    assert validate_policy(document)


def test_tie_broken_by_medal_then_place_then_tier_then_recency(policy):
    ranked = _rank([
        _entry("none", "45.00"),
        _entry("older", "45.00", [_result(2021, 4, tier="national_class_1")]),
        _entry("newer", "45.00", [_result(2024, 4, tier="national_class_1")]),
        _entry("lower-tier", "45.00", [_result(2025, 4, tier="municipal_class_1")]),
        _entry("second", "45.00", [_result(2020, 2, tier="enterprise")]),
        _entry("silver", "45.00", [_result(2019, 2, "silver", tier="enterprise")]),
        _entry("gold", "45.00", [_result(2018, 1, "gold", tier="enterprise")]),
    ], policy)
    assert _order(ranked) == ["gold", "silver", "second", "newer", "older", "lower-tier", "none"]
    assert "placed above silver (silver) by best medal (gold vs silver)" in ranked[0].tie_break
    assert "placed above second (second) by best medal (silver vs none)" in ranked[1].tie_break
    assert "placed above newer (newer) by best competition place (2nd vs 4th)" in ranked[2].tie_break
    assert "placed above older (older) by most recent competition result (2024 vs 2021)" in ranked[3].tie_break
    assert ("placed above lower-tier (lower-ti) by highest competition tier (national_class_1 vs municipal_class_1)"
            in ranked[4].tie_break)


def test_results_after_the_round_year_are_not_evidence(policy):
    ranked = _rank([_entry("a", "45.00", [_result(2027, 1, "gold")]), _entry("b", "45.00", [_result(2020, 3)])],
                   policy)
    assert _order(ranked) == ["b", "a"]


def test_equal_evidence_is_decided_by_the_seeded_lot_and_said_so(policy):
    keys = [f"{i:064x}" for i in range(4)]
    entries = [_entry(k, "45.00", [_result(2023, 5)], name=f"候选{i}") for i, k in enumerate(keys)]
    ranked = _rank(entries, policy)
    by_lot = sorted(keys, key=lambda k: draw_lot(SEED, k))
    assert _order(ranked) == by_lot
    assert by_lot != sorted(keys)  # not the person key's order
    first, second = ranked[0], ranked[1]
    assert first.lot == draw_lot(SEED, first.person_key)
    assert (f"placed above {second.record.name} ({second.person_key[:8]}) by lot: equal on every criterion, the "
            f"round's seeded draw gave {first.lot} vs {second.lot} (lower first)") in first.tie_break
    assert first.tie_break.startswith("tied on total 45.00 with ")


def test_the_lot_is_reproducible_from_the_seed_and_changes_with_it(policy):
    keys = [f"{i:064x}" for i in range(12)]
    entries = [_entry(k, "45.00") for k in keys]
    assert _order(_rank(entries, policy)) == _order(_rank(list(reversed(entries)), policy))
    assert _order(_rank(entries, policy, "another seed")) != _order(_rank(entries, policy))


def test_three_way_tie_explains_each_neighbour(policy):
    ranked = _rank([
        _entry("c", "70.00"),
        _entry("a", "70.00", [_result(2020, 6)]),
        _entry("b", "70.00", [_result(2020, 5)]),
        _entry("d", "90.00"),
    ], policy)
    assert _order(ranked) == ["d", "b", "a", "c"]
    middle = ranked[2].tie_break
    assert middle.startswith("tied on total 70.00 with b (b), c (c)")
    assert "placed below b (b) by best competition place (6th vs 5th)" in middle
    assert "placed above c (c) by best competition place (6th vs none)" in middle
    assert ranked[0].tie_break is None


# --- cut line ----------------------------------------------------------------------------------

def _ranked(count: int, policy):
    return _rank([_entry(f"p{i:02d}", str(100 - i)) for i in range(1, count + 1)], policy)


def test_cut_by_quota(policy):
    cut = draw_cut_line(_ranked(5, policy), quota=3, budget_yuan=1_000_000, amount_per_person_yuan=50_000)
    assert (cut.capacity, cut.cut_after, cut.limited_by) == (3, 3, "quota")
    assert cut.inside == ("p01", "p02", "p03")
    assert [e.inside for e in cut.entries] == [True, True, True, False, False]
    assert "quota" in cut.entries[3].note
    assert cut.funds_committed_yuan == 150_000 and cut.budget_left_yuan == 850_000
    assert "Cut after position 3" in cut.why and "budget ¥1,000,000 ÷ ¥50,000 per person = 20" in cut.why


def test_cut_by_budget(policy):
    cut = draw_cut_line(_ranked(5, policy), quota=4, budget_yuan=250_000, amount_per_person_yuan=100_000)
    assert (cut.capacity, cut.cut_after, cut.limited_by) == (2, 2, "budget")
    assert "set by the budget." in cut.why
    assert cut.budget_left_yuan == 50_000


def test_quota_and_budget_equal_is_worded_once(policy):
    cut = draw_cut_line(_ranked(5, policy), quota=2, budget_yuan=200_000, amount_per_person_yuan=100_000)
    assert cut.limited_by == "quota_and_budget" and cut.cut_after == 2
    assert "set by the quota and the budget." in cut.why and "and and" not in cut.why
    assert cut.entries[2].note == "below the cut line set by the quota and the budget"


def test_everyone_fits(policy):
    cut = draw_cut_line(_ranked(3, policy), quota=10, budget_yuan=None, amount_per_person_yuan=None)
    assert cut.capacity == 10 and cut.cut_after == 3 and all(e.inside for e in cut.entries)
    assert "All 3 nominees fit" in cut.why


def test_no_limits(policy):
    cut = draw_cut_line(_ranked(3, policy), quota=None, budget_yuan=None, amount_per_person_yuan=None)
    assert cut.capacity is None and cut.limited_by is None and cut.cut_after == 3


def test_budget_without_amount_does_not_limit(policy):
    cut = draw_cut_line(_ranked(4, policy), quota=2, budget_yuan=100, amount_per_person_yuan=None)
    assert cut.limited_by == "quota" and "does not limit" in cut.why


def test_nobody_fits_when_budget_below_one_amount(policy):
    cut = draw_cut_line(_ranked(2, policy), quota=5, budget_yuan=40_000, amount_per_person_yuan=50_000)
    assert cut.capacity == 0 and cut.cut_after == 0 and cut.inside == ()


def test_tie_across_the_cut_line_is_explained(policy):
    ranked = _rank([_entry("a", "90.00"), _entry("b", "80.00", [_result(2021, 2)]),
                    _entry("c", "80.00", [_result(2022, 3)])], policy)
    cut = draw_cut_line(ranked, quota=2, budget_yuan=None, amount_per_person_yuan=None)
    assert cut.inside == ("a", "b")
    assert "Positions 2 and 3 are tied on total 80.00" in cut.why
    assert "best competition place (2nd vs 3rd)" in cut.why


def test_negative_limits_are_refused(policy):
    with pytest.raises(ValueError):
        draw_cut_line(_ranked(1, policy), quota=-1, budget_yuan=None, amount_per_person_yuan=None)


# --- the round's own approvals -------------------------------------------------------------------

def _approvals(*keys: str, amount: int = 50_000) -> Approvals:
    return Approvals(len(keys), len(keys) * amount, keys)


def test_approved_nominees_fill_the_quota_and_the_budget(policy):
    ranked = _ranked(6, policy)
    approved = ("p01", "p02", "p03", "p04", "p05")
    cut = draw_cut_line(ranked, quota=5, budget_yuan=250_000, amount_per_person_yuan=50_000,
                        approvals=_approvals(*approved))
    assert cut.inside == approved
    assert (cut.funds_committed_yuan, cut.budget_left_yuan, cut.places_left, cut.approved) == (250_000, 0, 0, 5)
    assert cut.cut_after == 0
    assert [inside_cut_line(n.position, "approved" if n.person_key in approved else "publicised", cut.cut_after)
            for n in ranked] == [True] * 5 + [False]
    assert "5 approved in this round (¥250,000); 0 place(s) left." in cut.why
    assert "No place left: 1 nominee(s) below the line." in cut.why
    assert "All 1 nominees fit" not in cut.why


def test_an_approval_below_the_line_takes_a_place_from_the_undecided(policy):
    ranked = _ranked(6, policy)
    cut = draw_cut_line(ranked, quota=3, budget_yuan=None, amount_per_person_yuan=50_000,
                        approvals=_approvals("p05"))
    assert cut.inside == ("p01", "p02", "p05")
    assert cut.cut_after == 2 and cut.places_left == 2
    assert cut.funds_committed_yuan == 150_000
    assert cut.entries[4].note == "approved in this round"


def test_the_budget_left_after_approvals_limits_the_places(policy):
    cut = draw_cut_line(_ranked(4, policy), quota=10, budget_yuan=120_000, amount_per_person_yuan=50_000,
                        approvals=_approvals("p01"))
    assert cut.places_left == 1 and cut.inside == ("p01", "p02")
    assert cut.funds_committed_yuan == 100_000 and cut.budget_left_yuan == 20_000
