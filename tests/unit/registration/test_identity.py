from datetime import date

import pytest

from services.registration.domain.identity import (
    birth_date_of,
    mask_resident_id,
    normalise_resident_id,
    person_key,
    resident_id_check_char,
    validate_resident_id,
)
from tests.unit.registration.idgen import make_resident_id

TODAY = date(2025, 3, 1)
#: the example number printed in GB 11643-1999 (check character X)
STANDARD_EXAMPLE = "11010519491231002X"


def test_standard_example_is_valid():
    assert resident_id_check_char(STANDARD_EXAMPLE[:17]) == "X"
    assert validate_resident_id(STANDARD_EXAMPLE, date(1949, 12, 31), today=TODAY) == []


def test_generated_numbers_are_valid_for_many_birth_dates_and_sequences():
    for birth in (date(1960, 1, 1), date(2000, 2, 29), date(2007, 12, 31)):
        for seq in ("001", "123", "998"):
            number = make_resident_id(birth=birth, seq=seq)
            assert validate_resident_id(number, birth, today=TODAY) == [], number


def test_lowercase_x_and_spaces_are_normalised():
    assert normalise_resident_id(" 11010519491231002x ") == STANDARD_EXAMPLE
    assert normalise_resident_id("110105 19491231 002x") == STANDARD_EXAMPLE
    assert normalise_resident_id("１１０１０５１９４９１２３１００２ｘ") == STANDARD_EXAMPLE
    assert validate_resident_id("11010519491231002x", today=TODAY) == []


def test_bad_checksum_names_the_expected_character():
    number = make_resident_id()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    problems = validate_resident_id(wrong, today=TODAY)
    assert len(problems) == 1
    assert "check character" in problems[0] and repr(number[17]) in problems[0]


def test_single_digit_typo_is_caught():
    number = make_resident_id()
    typo = number[:10] + str((int(number[10]) + 1) % 10) + number[11:]
    assert any("check character" in p for p in validate_resident_id(typo, today=TODAY))


@pytest.mark.parametrize("bad, fragment", [
    ("", "empty"),
    ("31010120010503123", "18 characters, got 17"),
    ("3101012001050312345", "18 characters, got 19"),
    ("31010120010503A234", "first 17"),
    ("31010120010503123Y", "last character"),
])
def test_format_problems(bad, fragment):
    problems = validate_resident_id(bad, today=TODAY)
    assert problems and fragment in problems[0]


def test_embedded_date_must_be_real():
    first17 = "310101" + "20010230" + "123"
    number = first17 + resident_id_check_char(first17)
    assert validate_resident_id(number, today=TODAY) == [
        "embedded birth date 20010230 is not a real date"]
    assert birth_date_of(number) is None


def test_future_birth_is_refused_relative_to_given_today():
    number = make_resident_id(birth=date(2025, 3, 2))
    assert "future" in validate_resident_id(number, today=TODAY)[0]
    assert validate_resident_id(number, today=date(2025, 3, 2)) == []


def test_birth_date_must_match_the_given_date_of_birth():
    number = make_resident_id(birth=date(2001, 5, 3))
    problems = validate_resident_id(number, date(2001, 5, 4), today=TODAY)
    assert problems == ["birth date in the identity number (2001-05-03) differs from the date "
                        "of birth given (2001-05-04)"]
    assert birth_date_of(number) == date(2001, 5, 3)


def test_person_key_is_keyed_stable_and_normalised():
    key = b"k1"
    a = person_key("11010519491231002x", key)
    assert a == person_key(" 11010519491231002X", key)
    assert len(a) == 64 and int(a, 16) >= 0
    assert a != person_key(STANDARD_EXAMPLE, b"k2")
    assert a != person_key(make_resident_id(), key)


def test_person_key_refuses_an_empty_key():
    with pytest.raises(ValueError):
        person_key(STANDARD_EXAMPLE, b"")


def test_mask_shows_first_six_and_last_four():
    assert mask_resident_id("11010519491231002x") == "110105********002X"
    assert mask_resident_id("12345") == "*****"


def test_idgen_rejects_bad_parts():
    with pytest.raises(ValueError):
        make_resident_id(region="3101", seq="1")
