"""Ranking with explained, deterministic tie-breaks, and the quota/budget cut line."""
from decimal import Decimal

import pytest

from services.awards.domain.programmes import CandidateRecord, Score, ScoreLine, draw_cut_line, rank_nominees


def _score(key: str, total: str, achievements: tuple[tuple[str, int], ...] = ()) -> Score:
    """A score whose achievement lines are (points, year) and whose total is ``total``."""
    lines = tuple(ScoreLine("achievement", f"c{i}", {"year": year}, Decimal(p), Decimal(p))
                  for i, (p, year) in enumerate(achievements))
    rest = Decimal(total) - sum((line.points for line in lines), Decimal("0"))
    lines += (ScoreLine("years", "years of service", {}, Decimal("1"), rest),)
    return Score("shanghai_craftsman", key, 2023, 1, "fp", Decimal(total), lines)


def _entry(key: str, total: str, achievements=()):
    return CandidateRecord(person_key=key, name=key), _score(key, total, achievements)


def _order(ranked):
    return [n.person_key for n in ranked]


def test_ranked_by_total_without_tie_breaks():
    ranked = rank_nominees([_entry("a", "10.00"), _entry("b", "30.00"), _entry("c", "20.00")])
    assert _order(ranked) == ["b", "c", "a"]
    assert [n.position for n in ranked] == [1, 2, 3]
    assert all(n.tie_break is None for n in ranked)


def test_tie_broken_by_best_single_achievement_and_explained():
    ranked = rank_nominees([_entry("a", "80.00", (("40.00", 2022), ("40.00", 2021))),
                            _entry("b", "80.00", (("60.00", 2018),))])
    assert _order(ranked) == ["b", "a"]
    assert ranked[0].tie_break == "tied on total 80.00 with a; placed above a by best single achievement (60.00 vs 40.00)"
    assert ranked[1].tie_break == "tied on total 80.00 with b; placed below b by best single achievement (40.00 vs 60.00)"


def test_tie_broken_by_most_recent_achievement_year():
    ranked = rank_nominees([_entry("a", "50.00", (("50.00", 2019),)), _entry("b", "50.00", (("50.00", 2022),))])
    assert _order(ranked) == ["b", "a"]
    assert "most recent achievement year (2022 vs 2019)" in ranked[0].tie_break


def test_tie_broken_by_person_key_as_last_resort():
    ranked = rank_nominees([_entry("p-9", "50.00"), _entry("p-10", "50.00")])
    assert _order(ranked) == ["p-10", "p-9"]  # lexical, not numeric
    assert "person key (lexical order, last resort)" in ranked[0].tie_break
    assert "(p-10 vs p-9)" in ranked[0].tie_break


def test_three_way_tie_explains_each_neighbour():
    ranked = rank_nominees([
        _entry("c", "70.00"),
        _entry("a", "70.00", (("30.00", 2020),)),
        _entry("b", "70.00", (("30.00", 2021),)),
        _entry("d", "90.00"),
    ])
    assert _order(ranked) == ["d", "b", "a", "c"]
    middle = ranked[2].tie_break
    assert middle.startswith("tied on total 70.00 with b, c")
    assert "placed below b by most recent achievement year (2020 vs 2021)" in middle
    assert "placed above c by best single achievement (30.00 vs 0.00)" in middle
    assert ranked[0].tie_break is None


def test_ranking_is_independent_of_input_order():
    entries = [_entry(k, "10.00") for k in ("e", "a", "d", "b", "c")] + [_entry("z", "11.00")]
    first = rank_nominees(entries)
    second = rank_nominees(list(reversed(entries)))
    assert [(n.person_key, n.tie_break) for n in first] == [(n.person_key, n.tie_break) for n in second]


# --- cut line ----------------------------------------------------------------------------------

def _ranked(count: int):
    return rank_nominees([_entry(f"p{i:02d}", str(100 - i)) for i in range(1, count + 1)])


def test_cut_by_quota():
    cut = draw_cut_line(_ranked(5), quota=3, budget_yuan=1_000_000, amount_per_person_yuan=50_000)
    assert (cut.capacity, cut.cut_after, cut.limited_by) == (3, 3, "quota")
    assert cut.inside == ("p01", "p02", "p03")
    assert [e.inside for e in cut.entries] == [True, True, True, False, False]
    assert "quota" in cut.entries[3].note
    assert cut.funds_committed_yuan == 150_000 and cut.budget_left_yuan == 850_000
    assert "Cut after position 3" in cut.why and "budget ¥1,000,000 ÷ ¥50,000 per person = 20" in cut.why


def test_cut_by_budget():
    cut = draw_cut_line(_ranked(5), quota=4, budget_yuan=250_000, amount_per_person_yuan=100_000)
    assert (cut.capacity, cut.cut_after, cut.limited_by) == (2, 2, "budget")
    assert "set by the budget" in cut.why
    assert cut.budget_left_yuan == 50_000


def test_quota_and_budget_equal():
    cut = draw_cut_line(_ranked(5), quota=2, budget_yuan=200_000, amount_per_person_yuan=100_000)
    assert cut.limited_by == "quota_and_budget" and cut.cut_after == 2


def test_everyone_fits():
    cut = draw_cut_line(_ranked(3), quota=10, budget_yuan=None, amount_per_person_yuan=None)
    assert cut.capacity == 10 and cut.cut_after == 3 and all(e.inside for e in cut.entries)
    assert "All 3 nominees fit" in cut.why


def test_no_limits():
    cut = draw_cut_line(_ranked(3), quota=None, budget_yuan=None, amount_per_person_yuan=None)
    assert cut.capacity is None and cut.limited_by is None and cut.cut_after == 3


def test_budget_without_amount_does_not_limit():
    cut = draw_cut_line(_ranked(4), quota=2, budget_yuan=100, amount_per_person_yuan=None)
    assert cut.limited_by == "quota" and "does not limit" in cut.why


def test_nobody_fits_when_budget_below_one_amount():
    cut = draw_cut_line(_ranked(2), quota=5, budget_yuan=40_000, amount_per_person_yuan=50_000)
    assert cut.capacity == 0 and cut.cut_after == 0 and cut.inside == ()


def test_tie_across_the_cut_line_is_explained():
    ranked = rank_nominees([_entry("a", "90.00"), _entry("b", "80.00", (("50.00", 2021),)),
                            _entry("c", "80.00", (("40.00", 2022),))])
    cut = draw_cut_line(ranked, quota=2, budget_yuan=None, amount_per_person_yuan=None)
    assert cut.inside == ("a", "b")
    assert "Positions 2 and 3 are tied on total 80.00" in cut.why
    assert "best single achievement (50.00 vs 40.00)" in cut.why


def test_negative_limits_are_refused():
    with pytest.raises(ValueError):
        draw_cut_line(_ranked(1), quota=-1, budget_yuan=None, amount_per_person_yuan=None)
