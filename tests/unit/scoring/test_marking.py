"""Aspect marks: entry validity, judgement aggregation, disputes, raw totals."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from services.scoring.domain.errors import MarkingRuleViolation
from services.scoring.domain.marking import (
    AGGREGATIONS,
    aggregation,
    aspect_mark,
    aspect_mark_exact,
    is_disputed,
    judgement_score_valid,
    judgement_share,
    measurement_mark_valid,
    raw_total,
)
from services.scoring.domain.numbers import format_mark, parse_decimal, round_half_up
from services.scoring.domain.scheme import Aspect

DESCRIPTORS = {0: "a", 1: "b", 2: "c", 3: "d"}
M = Aspect("A1.1", "A1", "M", "Dimensions", "Deduct 0.25 per error", 1, Decimal("1.00"), Decimal("0.25"))
M_FREE = Aspect("A1.2", "A1", "M", "Free", "", 1, Decimal("2.00"))
J = Aspect("A1.3", "A1", "J", "Quality", "", 1, Decimal("0.50"), None, DESCRIPTORS)
J2 = Aspect("A1.4", "A1", "J", "Quality", "", 1, Decimal("2.00"), None, DESCRIPTORS)


# --------------------------------------------------------------------------- measurement validity


@pytest.mark.parametrize("value", [Decimal("0"), Decimal("0.25"), Decimal("0.75"), Decimal("1.00"), 1, 0, "0.50", 0.25])
def test_valid_measurement_marks(value):
    assert measurement_mark_valid(M, value) is None


@pytest.mark.parametrize("value, fragment", [
    (Decimal("-0.25"), "outside 0 to 1.00"),
    (Decimal("1.25"), "outside 0 to 1.00"),
    (Decimal("0.30"), "not a multiple of the step 0.25"),
    (Decimal("0.125"), "more than 2 decimals"),
    ("abc", "must be a number"),
    (True, "must be a number"),
    (None, "must be a number"),
    (Decimal("NaN"), "must be a number"),
    (float("inf"), "must be a number"),
])
def test_invalid_measurement_marks(value, fragment):
    assert fragment in measurement_mark_valid(M, value)


def test_measurement_without_step_takes_any_cent_value():
    assert measurement_mark_valid(M_FREE, Decimal("1.37")) is None
    assert "more than 2 decimals" in measurement_mark_valid(M_FREE, Decimal("1.375"))


def test_measurement_mark_on_judgement_aspect():
    assert "judgement aspect" in measurement_mark_valid(J, Decimal("0.5"))


# --------------------------------------------------------------------------- judgement validity


@pytest.mark.parametrize("value", [0, 1, 2, 3])
def test_valid_judgement_scores(value):
    assert judgement_score_valid(value) is None


@pytest.mark.parametrize("value", [-1, 4, 1.5, 2.0, True, False, "2", None, Decimal("2")])
def test_invalid_judgement_scores(value):
    assert judgement_score_valid(value) is not None


@pytest.mark.parametrize("scores, limit, disputed", [
    ([2, 2, 3], 1, False),
    ([1, 2, 3], 1, True),
    ([0, 3], 1, True),
    ([0, 2], 2, False),
    ([3], 1, False),
    ([], 1, False),
    ({"j1": 0, "j2": 2, "j3": 1}, 1, True),
    ([0, 3, 3], None, False),
])
def test_is_disputed(scores, limit, disputed):
    assert is_disputed(scores, limit) is disputed


# --------------------------------------------------------------------------- aggregation


def test_worldskills_mean_formula():
    # max × sum / (3 × judges): 0.50 × (2+2+3) / 9 = 0.3888…
    assert aspect_mark_exact(J, {"j1": 2, "j2": 2, "j3": 3}) == Fraction(7, 18)
    assert aspect_mark(J, {"j1": 2, "j2": 2, "j3": 3}) == Decimal("0.3889")
    assert aspect_mark(J, [3, 3, 3]) == Decimal("0.5000")
    assert aspect_mark(J, [0, 0, 0]) == Decimal("0.0000")
    assert aspect_mark(J2, [1, 1, 1]) == Decimal("0.6667")
    assert aspect_mark(J2, [2]) == Decimal("1.3333")  # one judge is allowed


def test_trimmed_mean_drops_one_highest_and_one_lowest():
    # 5 judges 1,2,2,3,3 -> keep 2,2,3 -> mean 7/3 -> 2.00 × 7/9
    scores = [1, 2, 2, 3, 3]
    assert aspect_mark_exact(J2, scores, "trimmed_mean") == Fraction(14, 9)
    assert aspect_mark(J2, scores, {"judgement_aggregation": "trimmed_mean"}) == Decimal("1.5556")
    # 3 judges: only the middle score counts
    assert aspect_mark_exact(J2, [0, 2, 3], "trimmed_mean") == Fraction(4, 3)


def test_trimmed_mean_needs_three_judges():
    with pytest.raises(MarkingRuleViolation) as caught:
        aspect_mark(J2, [2, 3], "trimmed_mean")
    assert "at least 3" in caught.value.problems[0].problem


def test_worldskills_mean_needs_a_judge():
    with pytest.raises(MarkingRuleViolation):
        judgement_share([])


def test_unknown_aggregation():
    with pytest.raises(ValueError):
        aggregation("olympic")
    assert aggregation(None).name == "worldskills_mean"
    assert set(AGGREGATIONS) == {"worldskills_mean", "trimmed_mean"}


def test_invalid_scores_raise_with_every_problem():
    with pytest.raises(MarkingRuleViolation) as caught:
        aspect_mark(J, [4, 1.5, 2])
    assert len(caught.value.problems) == 2


def test_aspect_mark_of_measurement_is_the_mark():
    assert aspect_mark(M, Decimal("0.75")) == Decimal("0.7500")
    assert aspect_mark_exact(M, "0.75") == Fraction(3, 4)
    with pytest.raises(MarkingRuleViolation):
        aspect_mark(M, Decimal("0.8"))
    with pytest.raises(MarkingRuleViolation):
        aspect_mark(J, Decimal("0.5"))  # a J aspect needs scores


# --------------------------------------------------------------------------- raw total and numbers


def test_raw_total_rounds_half_up_once_on_the_exact_sum():
    assert raw_total([Decimal("10.005")]) == Decimal("10.01")  # half-up, not banker's
    assert raw_total([Decimal("10.125")]) == Decimal("10.13")
    # nine thirds-of-a-cent style marks: exact sum 1/6+1/6+1/6 = 0.5, no drift
    assert raw_total([Fraction(1, 6)] * 3) == Decimal("0.50")
    # exact 1/3 × 3 + 0.005 = 1.005 -> 1.01; summing 4-place roundings (0.9999 + 0.005) would give 1.00
    assert raw_total([Fraction(1, 3)] * 3 + [Decimal("0.005")]) == Decimal("1.01")


def test_raw_total_is_clamped():
    assert raw_total([Decimal("60"), Decimal("50")]) == Decimal("100.00")
    assert raw_total([Decimal("-1")]) == Decimal("0.00")
    assert raw_total([]) == Decimal("0.00")
    assert str(raw_total([Decimal("1")])) == "1.00"


def test_numbers_helpers():
    assert parse_decimal(" 0,5 ", allow_comma=True) == Decimal("0.5")
    with pytest.raises(ValueError):
        parse_decimal("0,5")
    with pytest.raises(ValueError):
        parse_decimal("1e5")
    assert round_half_up(Decimal("-2.5"), 0) == Decimal("-3")
    assert round_half_up(Fraction(2, 3), 4) == Decimal("0.6667")
    assert format_mark(Decimal("0.5")) == "0.50"
    assert format_mark(Decimal("0.125")) == "0.125"
