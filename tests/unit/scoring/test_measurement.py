"""CIS measurement types: parameters as CIS writes them, and the marks observations give."""
from __future__ import annotations

from decimal import Decimal

import pytest

from services.scoring.domain.marking import measurement_mark_valid, observed_mark
from services.scoring.domain.measurement import (
    MeasurementError,
    decode_params,
    measurement_from_cis,
    measurement_problems,
    measurement_to_cis,
    observe,
    possible_marks,
)
from services.scoring.domain.scheme import Aspect

P = "#x~x#"
DEDUCT = (f"DEDUCTION_TYPE:::{P}UNIT#-#TARGET_VALUE:::0E-8{P}#-#DIFFERENCE:::1.00000000{P}#-#"
          f"DIFFERENCE_TYPE:::{P}UNIT#-#DEDUCTION:::0.25000000{P}")
CHOICE = (f"DEDUCTION_TYPE:::{P}UNIT#-#CHOICE3_LABEL:::{P}No marks#-#CHOICE2_DEDUCTION:::0.25000000{P}#-#"
          f"CHOICE2_LABEL:::{P}Partly working#-#CHOICE1_DEDUCTION:::0E-8{P}#-#CHOICE1_LABEL:::{P}Full marks#-#"
          f"CHOICE3_DEDUCTION:::0.75000000{P}")
RANGED = (f"DEDUCTION_TYPE:::{P}PERCENT#-#TARGET_VALUE:::66.60000000{P}#-#RANGE1_LOWER:::0E-8{P}#-#"
          f"RANGE1_UPPER:::0.50000000{P}#-#RANGE1_DEDUCTION:::0E-8{P}#-#RANGE2_LOWER:::0.50000000{P}#-#"
          f"RANGE2_UPPER:::2.00000000{P}#-#RANGE2_DEDUCTION:::50.00000000{P}")


def test_parameters_decode_numbers_and_words():
    assert decode_params(DEDUCT) == {"DEDUCTION_TYPE": "UNIT", "TARGET_VALUE": "0E-8", "DIFFERENCE": "1.00000000",
                                     "DIFFERENCE_TYPE": "UNIT", "DEDUCTION": "0.25000000"}
    ranged = measurement_from_cis("RANGED_SCORE", RANGED)
    assert ranged.target == Decimal("66.6") and ranged.ranges[0].lower == 0


@pytest.mark.parametrize("kind,params", [("PASS_FAIL", ""), ("REGULAR_DIFFERENCE_DEDUCTION", DEDUCT),
                                         ("CHOICE", CHOICE), ("RANGED_SCORE", RANGED),
                                         ("NUMBER_COMPLETED", f"NUM_POSSIBLE:::4.00000000{P}")])
def test_parameters_round_trip_through_the_cis_encoding(kind, params):
    measurement = measurement_from_cis(kind, params, "label")
    assert measurement_from_cis(kind, measurement_to_cis(measurement), "label") == measurement


def test_pass_fail_is_full_or_zero():
    m = measurement_from_cis("PASS_FAIL", "")
    assert observe(m, Decimal("0.5"), True) == (Decimal("0.5"), "pass")
    assert observe(m, Decimal("0.5"), "fail") == (Decimal("0"), "fail")
    assert possible_marks(m, Decimal("0.5")) == (0, Decimal("0.5"))
    with pytest.raises(MeasurementError):
        observe(m, Decimal("0.5"), "maybe")


def test_regular_difference_deducts_per_whole_difference_never_below_zero():
    m = measurement_from_cis("REGULAR_DIFFERENCE_DEDUCTION", DEDUCT)
    assert observe(m, Decimal("1"), 0) == (Decimal("1.00"), "0")
    assert observe(m, Decimal("1"), 3)[0] == Decimal("0.25")
    assert observe(m, Decimal("1"), "1.9")[0] == Decimal("0.75")  # one whole unit of difference
    assert observe(m, Decimal("1"), 10)[0] == Decimal("0")
    percent = measurement_from_cis("REGULAR_DIFFERENCE_DEDUCTION", f"DEDUCTION_TYPE:::{P}PERCENT#-#DIFFERENCE:::1{P}"
                                   f"#-#DEDUCTION:::10.00000000{P}")
    assert observe(percent, Decimal("2"), 2)[0] == Decimal("1.60")  # 2 × 10 % of 2.00


def test_difference_in_percent_of_the_target():
    m = measurement_from_cis("REGULAR_DIFFERENCE_DEDUCTION", f"DEDUCTION_TYPE:::{P}UNIT#-#TARGET_VALUE:::200{P}#-#"
                             f"DIFFERENCE:::1{P}#-#DIFFERENCE_TYPE:::{P}PERCENT#-#DEDUCTION:::0.5{P}")
    assert observe(m, Decimal("3"), 205)[0] == Decimal("2.00")  # 2.5 % off: two whole percent


def test_number_completed_is_max_times_share():
    m = measurement_from_cis("NUMBER_COMPLETED", f"NUM_POSSIBLE:::3.00000000{P}")
    assert observe(m, Decimal("1"), 2) == (Decimal("0.67"), 2)
    assert observe(m, Decimal("1"), "3")[0] == Decimal("1.00")
    for bad in (4, -1, "1.5", True):
        with pytest.raises(MeasurementError):
            observe(m, Decimal("1"), bad)


def test_choice_by_number_or_label():
    m = measurement_from_cis("CHOICE", CHOICE)
    assert observe(m, Decimal("1"), 2) == (Decimal("0.75"), "Partly working")
    assert observe(m, Decimal("1"), "no MARKS") == (Decimal("0.25"), "No marks")
    assert possible_marks(m, Decimal("1")) == (Decimal("0.25"), Decimal("0.75"), Decimal("1.00"))
    with pytest.raises(MeasurementError):
        observe(m, Decimal("1"), 4)


def test_ranged_score_by_difference_from_the_target():
    m = measurement_from_cis("RANGED_SCORE", RANGED)
    assert observe(m, Decimal("2"), "66.9")[0] == Decimal("2.00")
    assert observe(m, Decimal("2"), "65.1")[0] == Decimal("1.00")  # 1.5 off: 50 %
    assert observe(m, Decimal("2"), 70)[0] == Decimal("0")  # outside every range


def test_definition_problems():
    with pytest.raises(MeasurementError, match="unknown measurement type"):
        measurement_from_cis("GUESS", "")
    with pytest.raises(MeasurementError, match="NUM_POSSIBLE"):
        measurement_from_cis("NUMBER_COMPLETED", f"NUM_POSSIBLE:::0{P}")
    with pytest.raises(MeasurementError, match="not KEY:::value"):
        decode_params("garbage")
    choice = measurement_from_cis("CHOICE", CHOICE)
    assert measurement_problems(choice, Decimal("0.5")) == ["a deduction is more than 0.50 (max mark 0.50)"]


def typed(kind: str, params: str, max_mark: str = "1") -> Aspect:
    return Aspect("A1.1", "A1", "M", "x", "", 1, Decimal(max_mark), measurement=measurement_from_cis(kind, params))


def test_a_mark_entered_directly_must_be_one_the_type_can_give():
    assert measurement_mark_valid(typed("PASS_FAIL", ""), "1") is None
    assert "is pass/fail" in measurement_mark_valid(typed("PASS_FAIL", ""), "0.5")
    assert "can only give 0.25, 0.75, 1.00" in measurement_mark_valid(typed("CHOICE", CHOICE), "0.5")
    assert measurement_mark_valid(typed("REGULAR_DIFFERENCE_DEDUCTION", DEDUCT), "0.37") is None


def test_observed_mark_on_plain_and_judgement_aspects_is_refused():
    plain = Aspect("A1.1", "A1", "M", "x", "", 1, Decimal(1))
    assert "no measurement type" in observed_mark(plain, 1)
    assert observed_mark(typed("CHOICE", CHOICE), "Full marks") == (Decimal("1.00"), "Full marks")


def test_numbers_out_of_bounds_are_refused_not_crashed_on():
    with pytest.raises(MeasurementError, match="between"):
        measurement_from_cis("REGULAR_DIFFERENCE_DEDUCTION", f"DIFFERENCE:::1E+999{P}#-#DEDUCTION:::1{P}")
    tiny = measurement_from_cis("REGULAR_DIFFERENCE_DEDUCTION", f"DIFFERENCE:::1E-9{P}#-#DEDUCTION:::1{P}")
    assert measurement_problems(tiny, Decimal(1)) == ["DIFFERENCE must be at least 0.0001, got 1E-9"]
    m = measurement_from_cis("RANGED_SCORE", RANGED)
    with pytest.raises(MeasurementError, match="between"):
        observe(m, Decimal(1), "1" + "0" * 30)
    with pytest.raises(MeasurementError):
        observe(m, Decimal(1), "NaN")


def test_a_mark_entered_directly_stands_for_its_observation_when_only_one_gives_it():
    from services.scoring.domain.measurement import observation_for

    assert observation_for(measurement_from_cis("PASS_FAIL", ""), Decimal(1), Decimal(1)) == "pass"
    assert observation_for(measurement_from_cis("CHOICE", CHOICE), Decimal(1), Decimal("0.75")) == "Partly working"
    completed = measurement_from_cis("NUMBER_COMPLETED", f"NUM_POSSIBLE:::4{P}")
    assert observation_for(completed, Decimal(1), Decimal("0.5")) == 2
    assert observation_for(measurement_from_cis("REGULAR_DIFFERENCE_DEDUCTION", DEDUCT), Decimal(1), Decimal(1)) is None
