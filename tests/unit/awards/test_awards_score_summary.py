"""Totals without the breakdown (``score_summary``) equal the full explained score, line for line."""
import copy
import random
from decimal import Decimal

import pytest

from services.awards.domain.policy import Policy
from services.awards.domain.scoring import cents_to_points, score_candidate, score_summary, score_tables

from .conftest import achievement, record

TIERS = ("worldskills", "national_class_1", "national_class_2", "municipal_class_1", "municipal_class_2",
         "enterprise", "unknown_tier")
TITLES = ({"code": "national_technical_expert"}, {"name_zh": "全国技术能手"}, {"name_zh": "上海市技术能手"},
          {"code": "shanghai_technical_expert", "name_zh": "上海市技术能手"}, {"name_zh": "五一劳动奖章"},
          {"code": "china_skills_award", "name_zh": "全国技术能手"}, {"code": "no_such_title"})


def _random_record(rng: random.Random, i: int) -> dict:
    achievements = []
    for n in range(rng.randint(0, 9)):
        tier = rng.choice(TIERS)
        medal = rng.choice((None, None, "gold", "silver", "bronze", "none"))
        achievements.append(achievement(tier, rng.randint(2008, 2026), rng.choice((None, 1, 2, 3, 4, 5, 7, 12, 30)),
                                        code=f"C{rng.randint(0, 6)}", medal=medal, medallion=rng.random() < 0.2))
    titles = [dict(rng.choice(TITLES), year=rng.choice((None, 2015, 2020, 2025))) for _ in range(rng.randint(0, 4))]
    awards = [{"name": f"award{n}", "year": rng.randint(2015, 2026),
               "level": rng.choice(("national", "municipal", "industry", "district", "enterprise", "team", None))}
              for n in range(rng.randint(0, 8))]
    return record(f"{i:064x}", current_level=rng.choice((None, 1, 2, 3, 4, 5, 6)),
                  years_of_service=rng.choice((None, 0, 3, 19, 20, 21, 40)), patents=rng.choice((None, 0, 2, 10, 15)),
                  apprentices=rng.choice((None, 0, 5, 20, 25, 31)), titles=titles, innovation_awards=awards,
                  achievements=achievements)


def _variants(policy: Policy) -> list[Policy]:
    """The packaged policy and one with other decay, window and best-n settings."""
    document = copy.deepcopy(policy.document)
    for spec in document["programmes"].values():
        weights = spec["weights"]
        weights["achievements"] |= {"best_n": 2, "window_years": 6, "recency_factor_per_year": 0.85}
        weights["innovation_awards"]["max_counted"] = None
        weights["patents"] = {"per_unit": 2.5, "max_counted": None}
        weights["levels"]["2"] = 12.345
    return [policy, Policy.from_dict(document)]


@pytest.mark.parametrize("round_year", [2016, 2023, 2024])
def test_summary_equals_the_full_score_for_random_records(policy, round_year):
    rng = random.Random(round_year)
    records = [_random_record(rng, i) for i in range(400)]
    for variant in _variants(policy):
        for programme in variant.programme_codes:
            for rec in records:
                full = score_candidate(variant, programme, rec, round_year)
                fast = score_summary(variant, programme, rec, round_year)
                assert str(fast.total) == str(full.total) == str(sum((line.points for line in full.lines),
                                                                     Decimal("0.00")))
                assert fast.best_achievement_points == full.best_achievement_points
                assert fast.latest_achievement_year == full.latest_achievement_year


def test_summary_of_a_record_object_and_unusual_types(policy, make):
    from services.awards.domain.candidates import as_record

    rec = make.record(achievements=[make.achievement("worldskills", 2017, 1, medal="gold", code="W17")],
                      years_of_service=25.0)  # not a whole number: taken through the full score
    full = score_candidate(policy, "shanghai_craftsman", rec, 2023)
    assert score_summary(policy, "shanghai_craftsman", rec, 2023).total == full.total
    assert score_summary(policy, "shanghai_craftsman", as_record(rec), 2023).total == full.total


def test_tables_are_built_once_per_policy_programme_and_year(policy):
    assert score_tables(policy, "shanghai_craftsman", 2024) is score_tables(policy, "shanghai_craftsman", 2024)
    assert score_tables(policy, "shanghai_craftsman", 2023) is not score_tables(policy, "shanghai_craftsman", 2024)


def test_cents_round_trip():
    assert str(cents_to_points(0)) == "0.00" and str(cents_to_points(30050)) == "300.50"
    assert float(cents_to_points(12345)) == 12345 / 100
