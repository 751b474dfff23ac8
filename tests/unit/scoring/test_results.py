"""Results: standardisation, ranks, medals, awards, policy, whole-competition results."""
from __future__ import annotations

from decimal import Decimal

import pytest

from services.scoring.domain.errors import MarkingRuleViolation, PolicyInvalid
from services.scoring.domain.medals import (
    SPREAD_RULES,
    allocate_medals,
    best_of_delegation,
    medal_points,
    medallion,
    rank_with_ties,
    standardise,
    top_score_award,
)
from services.scoring.domain.policy import (
    DEFAULT_POLICY_PATH,
    POLICY_SCHEMA_PATH,
    load_default_policy,
    resolve_policy,
    validate_policy,
)
from services.scoring.domain.results import Contestant, compute_results, result_to_json
from services.scoring.domain.scheme_json import load_scheme

D = Decimal


def raws(*values: str) -> dict[str, Decimal]:
    return {f"c{i}": D(v) for i, v in enumerate(values, start=1)}


def medals_for(*scores: int, threshold: int = 2) -> list[str | None]:
    scale = {f"c{i}": s for i, s in enumerate(scores, start=1)}
    medals = allocate_medals(scale, threshold)
    return [medals[f"c{i}"] for i in range(1, len(scores) + 1)]


# --------------------------------------------------------------------------- standardisation


def test_standardise_median_mad_odd_count():
    # median 70, MAD 10: 700 ± 30 × 10 / 14.826 = 700 ± 20.235
    assert standardise(raws("60", "70", "80")) == {"c1": 680, "c2": 700, "c3": 720}


def test_standardise_median_mad_even_count():
    # median 75, deviations 15, 5, 5, 15 -> MAD 10
    assert standardise(raws("60", "70", "80", "90")) == {"c1": 670, "c2": 690, "c3": 710, "c4": 730}


def test_median_competitor_is_at_the_centre():
    scale = standardise(raws("41.5", "77.25", "63", "58.75", "90.1"))
    assert scale["c4"] != 700 and scale["c3"] == 700  # 63 is the median


def test_standardise_falls_back_to_standard_deviation_when_mad_is_zero():
    # median 70, MAD 0; population SD of 70,70,70,80 = sqrt(18.75) = 4.3301
    assert standardise(raws("70", "70", "70", "80")) == {"c1": 700, "c2": 700, "c3": 700, "c4": 769}


def test_standardise_all_equal_and_single_and_empty():
    assert standardise(raws("55.5", "55.50", "55.5")) == {"c1": 700, "c2": 700, "c3": 700}
    assert standardise(raws("12")) == {"c1": 700}
    assert standardise({}) == {}


def test_standardise_rounds_half_up_to_whole_points():
    # spread 0.7413 makes ±10 raw exactly ±0.5 points: 699.5 -> 700 and 700.5 -> 701
    policy = {"rule": "median_mad", "centre": 700, "spread": "0.7413"}
    assert standardise(raws("0", "10", "20"), policy) == {"c1": 700, "c2": 700, "c3": 701}


def test_standardise_other_centre_and_spread():
    assert standardise(raws("60", "70", "80"), {"centre": 500, "spread": 20}) == {"c1": 487, "c2": 500, "c3": 513}


def test_spread_rule_is_a_replaceable_registry(monkeypatch):
    assert "median_mad" in SPREAD_RULES
    monkeypatch.setitem(SPREAD_RULES, "fixed", lambda raw, centre, spread: {k: centre + v for k, v in raw.items()})
    assert standardise(raws("1.4", "2.6"), {"rule": "fixed"}) == {"c1": 701, "c2": 703}
    with pytest.raises(ValueError):
        standardise(raws("1"), {"rule": "nope"})


# --------------------------------------------------------------------------- ranking


def test_rank_with_ties_is_competition_ranking():
    ranks = rank_with_ties({"d": 690, "b": 700, "a": 710, "c": 700})
    assert ranks == {"a": 1, "b": 2, "c": 2, "d": 4}
    assert list(ranks) == ["a", "b", "c", "d"]
    assert rank_with_ties({"x": D("70.10"), "y": D("70.1")}) == {"x": 1, "y": 1}
    assert rank_with_ties({}) == {}


# --------------------------------------------------------------------------- medals


@pytest.mark.parametrize("scores, expected", [
    ((720, 710, 700, 690), ["gold", "silver", "bronze", None]),
    # within the threshold means "no more than 2 points"
    ((720, 718, 710, 705), ["gold", "gold", "bronze", None]),
    ((720, 717, 710), ["gold", "silver", "bronze"]),
    # two golds: no silver, next score and its ties get bronze
    ((720, 719, 710, 709, 700), ["gold", "gold", "bronze", "bronze", None]),
    # shares are anchored on the medal's top score, never chained: 717 is 3 below 720
    ((720, 719, 717, 690), ["gold", "gold", "bronze", None]),
    # one gold, two or more silvers: no bronze
    ((730, 720, 719, 710), ["gold", "silver", "silver", None]),
    ((730, 720, 719, 718, 710), ["gold", "silver", "silver", "silver", None]),
    # one gold, one silver, shared bronze
    ((730, 720, 710, 709, 708, 700), ["gold", "silver", "bronze", "bronze", "bronze", None]),
    # three or more golds: no silver; bronze only within the threshold of the last gold
    ((720, 719, 718, 717, 716, 715), ["gold", "gold", "gold", "bronze", "bronze", None]),
    ((720, 719, 718, 716, 714), ["gold", "gold", "gold", "bronze", None]),
    ((720, 719, 718, 710), ["gold", "gold", "gold", None]),
    ((720, 720, 720, 720), ["gold", "gold", "gold", "gold"]),
    # small fields
    ((700,), ["gold"]),
    ((700, 650), ["gold", "silver"]),
    ((700, 699), ["gold", "gold"]),
])
def test_allocate_medals(scores, expected):
    assert medals_for(*scores) == expected


def test_worldskills_2015_three_way_tie_for_gold():
    # three within two points of the top share gold; the fourth is 2 below the last gold: bronze
    assert medals_for(560, 559, 558, 556, 540) == ["gold", "gold", "gold", "bronze", None]


def test_tie_threshold_zero_means_exact_ties_only():
    assert medals_for(720, 719, 718, threshold=0) == ["gold", "silver", "bronze"]
    assert medals_for(720, 720, 718, threshold=0) == ["gold", "gold", "bronze"]


def test_allocate_medals_is_independent_of_input_order():
    scale = {"z": 700, "a": 730, "m": 729}
    assert allocate_medals(scale) == {"a": "gold", "m": "gold", "z": "bronze"}
    assert allocate_medals({}) == {}


def test_medallion():
    assert medallion(700, None) is True
    assert medallion(699, None) is False
    assert medallion(760, "gold") is False
    assert medallion(650, None, threshold=650) is True


# --------------------------------------------------------------------------- awards


def test_best_of_delegation_ties_and_missing_delegation():
    rows = [
        {"id": "a", "delegation": "Pudong", "scale": 720},
        {"id": "b", "delegation": "Pudong", "scale": 720},
        {"id": "c", "delegation": "Pudong", "scale": 700},
        {"id": "d", "delegation": "Minhang", "scale": 650},
        {"id": "e", "delegation": None, "scale": 800},
    ]
    assert best_of_delegation(rows) == {"a", "b", "d"}
    assert best_of_delegation([]) == set()


def test_top_score_award_three_joint_winners_like_2015():
    rows = [
        {"id": "welding-1", "scale": 790}, {"id": "cnc-4", "scale": 801},
        {"id": "web-2", "scale": 801}, {"id": "joinery-7", "scale": 801}, {"id": "web-9", "scale": 640},
    ]
    assert top_score_award(rows) == ["cnc-4", "joinery-7", "web-2"]
    assert top_score_award([{"id": "x", "scale": 700}]) == ["x"]
    assert top_score_award([]) == []


def test_medal_points_china_2019():
    assert medal_points({"gold": 16, "silver": 14, "bronze": 5, "medallion": 17}) == 133
    assert medal_points({"gold": 1}) == 4
    assert medal_points({"gold": 1, "medallion": 2}, {"gold": 10, "silver": 0, "bronze": 0, "medallion": 1}) == 12
    with pytest.raises(ValueError):
        medal_points({"platinum": 1})


# --------------------------------------------------------------------------- policy


def test_default_policy_file_and_schema():
    assert DEFAULT_POLICY_PATH.name == "default.json" and POLICY_SCHEMA_PATH.exists()
    policy = load_default_policy()
    assert policy["spread"] == {"rule": "median_mad", "centre": 700, "spread": 30}
    assert (policy["judgement_aggregation"], policy["dispute_limit"], policy["tie_threshold"], policy["medallion_threshold"]) == (
        "worldskills_mean", 1, 2, 700)
    assert validate_policy(policy) == []
    policy["tie_threshold"] = 99
    assert load_default_policy()["tie_threshold"] == 2  # copies, not the cached original


@pytest.mark.parametrize("change, path", [
    ({"judgement_aggregation": "olympic"}, "/judgement_aggregation"),
    ({"spread": {"rule": "zscore"}}, "/spread/rule"),
    ({"spread": {"spread": 0}}, "/spread/spread"),
    ({"tie_threshold": -1}, "/tie_threshold"),
    ({"dispute_limit": "1"}, "/dispute_limit"),
    ({"surprise": True}, "/"),
])
def test_invalid_policies(change, path):
    with pytest.raises(PolicyInvalid) as caught:
        resolve_policy(change)
    assert [p.path for p in caught.value.problems] == [path]


def test_resolve_policy_merges_over_defaults():
    policy = resolve_policy({"spread": {"centre": 500}, "judgement_aggregation": "trimmed_mean", "dispute_limit": None})
    assert policy["spread"] == {"rule": "median_mad", "centre": 500, "spread": 30}
    assert policy["judgement_aggregation"] == "trimmed_mean" and policy["dispute_limit"] is None
    assert validate_policy({"version": 1}) != []


# --------------------------------------------------------------------------- compute_results

DESCRIPTORS = {"0": "a", "1": "b", "2": "c", "3": "d"}


@pytest.fixture
def scheme():
    return load_scheme({
        "wsos_sections": [{"number": 1, "name": "All", "marks": 100}],
        "criteria": [{"letter": "A", "name": "Design", "mark": 50}, {"letter": "B", "name": "Build", "mark": 50}],
        "sub_criteria": [
            {"id": "A1", "name": "Drawing", "day": 1, "aspects": [
                {"type": "M", "description": "Dimensions", "wsos_section": 1, "max_mark": "20", "step": "0.5"},
                {"type": "J", "description": "Quality", "wsos_section": 1, "max_mark": "30", "descriptors": DESCRIPTORS},
            ]},
            {"id": "B1", "name": "Build", "day": 2, "aspects": [
                {"type": "M", "description": "Square", "wsos_section": 1, "max_mark": "40"},
                {"type": "J", "description": "Finish", "wsos_section": 1, "max_mark": "10", "descriptors": DESCRIPTORS},
            ]},
        ],
    })


FULL = {"j1": 3, "j2": 3, "j3": 3}


def marks_for(entries: dict[str, tuple[str, str]]) -> tuple[dict, dict]:
    """Entries get full judgement marks (40) plus the two measurement marks given."""
    measurements, judgements = {}, {}
    for entry, (a11, b11) in entries.items():
        measurements[(entry, "A1.1")], measurements[(entry, "B1.1")] = D(a11), D(b11)
        judgements[(entry, "A1.2")], judgements[(entry, "B1.2")] = dict(FULL), dict(FULL)
    return measurements, judgements


FIELD = {"c1": ("20", "30"), "c2": ("20", "20"), "c3": ("10", "20"), "c4": ("0", "20"), "c5": ("0", "10")}
PEOPLE = [
    {"id": "c1", "delegation": "Pudong"}, {"id": "c2", "delegation": "Minhang"}, {"id": "c3", "delegation": "Pudong"},
    {"id": "c4", "delegation": "Minhang"}, Contestant("c5", "Jiading"),
]


def test_compute_results_end_to_end(scheme):
    measurements, judgements = marks_for(FIELD)
    results = compute_results(scheme, measurements, judgements, PEOPLE)
    table = [(r.contestant_id, str(r.raw_total), r.scale, r.rank, r.medal, r.medallion, r.best_of_delegation) for r in results]
    # raws 90, 80, 70, 60, 50: median 70, MAD 10
    assert table == [
        ("c1", "90.00", 740, 1, "gold", False, True),
        ("c2", "80.00", 720, 2, "silver", False, True),
        ("c3", "70.00", 700, 3, "bronze", False, False),
        ("c4", "60.00", 680, 4, None, False, False),
        ("c5", "50.00", 660, 5, None, False, True),
    ]
    assert results[0].criterion_marks == {"A": D("50.00"), "B": D("40.00")}
    assert results[0].missing == 0 and results[0].disputed == ()


def test_judgement_thirds_are_summed_exactly(scheme):
    measurements, judgements = marks_for({"c1": ("20", "40")})
    judgements[("c1", "B1.2")] = {"j1": 3, "j2": 3, "j3": 2}  # 10 × 8/9 = 8.888…
    judgements[("c1", "A1.2")] = {"j1": 2, "j2": 2, "j3": 3}  # 30 × 7/9 = 23.333…
    [result] = compute_results(scheme, measurements, judgements, [{"id": "c1"}])
    assert result.criterion_marks == {"A": D("43.33"), "B": D("48.89")}
    assert result.raw_total == D("92.22")  # 92.2222…, rounded once
    assert (result.scale, result.rank, result.medal, result.medallion) == (700, 1, "gold", False)


def test_medallion_in_results(scheme):
    field = {"c1": ("20", "40"), "c2": ("20", "30"), "c3": ("20", "30"), "c4": ("20", "20"), "c5": ("19.5", "20"),
             "c6": ("10", "20"), "c7": ("0", "0")}
    measurements, judgements = marks_for(field)
    results = {r.contestant_id: r for r in compute_results(scheme, measurements, judgements, [{"id": k} for k in field])}
    assert results["c1"].medal == "gold" and results["c2"].medal == results["c3"].medal == "silver"
    assert results["c4"].medal is None and results["c4"].scale == 700 and results["c4"].medallion is True
    assert results["c5"].medallion is False and results["c5"].scale < 700


def test_team_entries_share_figures(scheme):
    people = [
        {"id": "m1", "delegation": "Pudong", "team": "T1"}, {"id": "m2", "delegation": "Pudong", "team": "T1"},
        {"id": "m3", "delegation": "Pudong", "team": "T2"}, {"id": "m4", "delegation": "Jiading", "team": "T2"},
    ]
    measurements, judgements = marks_for({"T1": ("20", "30"), "T2": ("10", "20")})
    results = compute_results(scheme, measurements, judgements, people)
    by_id = {r.contestant_id: r for r in results}
    assert [r.contestant_id for r in results] == ["m1", "m2", "m3", "m4"]
    assert by_id["m1"].entry_id == "T1" and by_id["m1"].team == "T1"
    assert (by_id["m1"].raw_total, by_id["m1"].medal, by_id["m1"].rank) == (D("90.00"), "gold", 1)
    assert by_id["m2"].raw_total == by_id["m1"].raw_total and by_id["m2"].scale == by_id["m1"].scale
    assert (by_id["m3"].medal, by_id["m4"].medal) == ("silver", "silver")
    assert {k for k, r in by_id.items() if r.best_of_delegation} == {"m1", "m2", "m4"}


def test_missing_marks_block_final_results_but_not_provisional(scheme):
    measurements, judgements = marks_for({"c1": ("20", "30"), "c2": ("10", "20")})
    del measurements[("c2", "B1.1")]
    del judgements[("c2", "A1.2")]
    with pytest.raises(MarkingRuleViolation) as caught:
        compute_results(scheme, measurements, judgements, [{"id": "c1"}, {"id": "c2"}])
    assert [(p.path, p.problem) for p in caught.value.problems] == [
        ("/judgements/c2/A1.2", "no mark entered"), ("/measurements/c2/B1.1", "no mark entered"),
    ]
    results = compute_results(scheme, measurements, judgements, [{"id": "c1"}, {"id": "c2"}], provisional=True)
    c2 = next(r for r in results if r.contestant_id == "c2")
    assert (c2.raw_total, c2.missing) == (D("20.00"), 2)


def test_disputes_block_final_results(scheme):
    measurements, judgements = marks_for({"c1": ("20", "30")})
    judgements[("c1", "B1.2")] = {"j1": 1, "j2": 3, "j3": 2}
    with pytest.raises(MarkingRuleViolation) as caught:
        compute_results(scheme, measurements, judgements, [{"id": "c1"}])
    assert caught.value.problems[0].path == "/judgements/c1/B1.2"
    assert "re-score" in caught.value.problems[0].problem
    [result] = compute_results(scheme, measurements, judgements, [{"id": "c1"}], provisional=True)
    assert result.disputed == ("B1.2",)
    [result] = compute_results(scheme, measurements, judgements, [{"id": "c1"}], {"dispute_limit": 2})
    assert result.disputed == ()
    [result] = compute_results(scheme, measurements, judgements, [{"id": "c1"}], {"dispute_limit": None})
    assert result.raw_total == D("86.67")  # 20 + 30 + 30 + 10 × 6/9


def test_every_invalid_entry_is_reported(scheme):
    measurements, judgements = marks_for({"c1": ("20", "30")})
    measurements[("c1", "A1.1")] = D("19.75")  # not a multiple of 0.5
    measurements[("c1", "A1.2")] = D("1")  # J aspect given a mark
    measurements[("c9", "A1.1")] = D("1")  # unknown contestant
    measurements[("c1", "Z9.9")] = D("1")  # unknown aspect
    judgements[("c1", "B1.2")] = {"j1": 3, "j2": 2.5, "j3": True}
    with pytest.raises(MarkingRuleViolation) as caught:
        compute_results(scheme, measurements, judgements, [{"id": "c1"}, {"id": "c1"}])
    assert [p.path for p in caught.value.problems] == [
        "/contestants/1/id",
        "/measurements/c1/A1.1",
        "/measurements/c1/A1.2",
        "/measurements/c9/A1.1",
        "/measurements/c1/Z9.9",
        "/judgements/c1/B1.2/j2",
        "/judgements/c1/B1.2/j3",
        "/measurements/c1/A1.1",  # the rejected mark leaves the aspect unmarked
        "/judgements/c1/B1.2",
    ]


def test_trimmed_mean_policy(scheme):
    measurements, judgements = marks_for({"c1": ("20", "30")})
    judgements[("c1", "A1.2")] = {"j1": 0, "j2": 2, "j3": 2, "j4": 3, "j5": 3}  # keep 2,2,3 -> 30 × 7/9
    [result] = compute_results(scheme, measurements, judgements, [{"id": "c1"}],
                               {"judgement_aggregation": "trimmed_mean", "dispute_limit": None})
    assert result.criterion_marks["A"] == D("43.33")
    judgements[("c1", "B1.2")] = {"j1": 3, "j2": 3}
    with pytest.raises(MarkingRuleViolation) as caught:
        compute_results(scheme, measurements, judgements, [{"id": "c1"}], {"judgement_aggregation": "trimmed_mean"})
    assert any("at least 3" in p.problem for p in caught.value.problems)


def test_invalid_policy_is_rejected(scheme):
    measurements, judgements = marks_for({"c1": ("20", "30")})
    with pytest.raises(PolicyInvalid):
        compute_results(scheme, measurements, judgements, [{"id": "c1"}], {"tie_threshold": "two"})


def test_no_contestants(scheme):
    assert compute_results(scheme, {}, {}, []) == []


def test_result_to_json(scheme):
    measurements, judgements = marks_for(FIELD)
    first = compute_results(scheme, measurements, judgements, PEOPLE)[0]
    assert result_to_json(first) == {
        "contestant_id": "c1", "entry_id": "c1", "team": None, "delegation": "Pudong",
        "criterion_marks": {"A": "50.00", "B": "40.00"}, "raw_total": "90.00", "scale": 740, "rank": 1,
        "medal": "gold", "medallion": False, "best_of_delegation": True, "missing": 0, "disputed": [],
    }


def test_contestant_problems(scheme):
    measurements, judgements = marks_for({"c1": ("20", "30"), "T1": ("20", "30")})
    people = [{"id": "c1"}, {"delegation": "Pudong"}, {"id": "T1"}, {"id": "m1", "team": "T1"}]
    with pytest.raises(MarkingRuleViolation) as caught:
        compute_results(scheme, measurements, judgements, people)
    assert [(p.path, p.problem) for p in caught.value.problems] == [
        ("/contestants/1/id", "a contestant needs an id"),
        ("/contestants/2/id", "T1 is also a team id"),
    ]


def test_best_of_delegation_accepts_results(scheme):
    measurements, judgements = marks_for(FIELD)
    results = compute_results(scheme, measurements, judgements, PEOPLE)
    assert best_of_delegation(results) == {"c1", "c2", "c5"}
    assert top_score_award(results) == ["c1"]
