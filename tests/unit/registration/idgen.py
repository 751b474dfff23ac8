"""Test helper: valid resident identity numbers (GB 11643-1999) for any birth date.

Self-contained on purpose (it does not import the domain), so tests of the domain's checksum
cannot agree with it by sharing a bug. Import as ``from tests.unit.registration.idgen import
make_resident_id`` (pytest is run from the project root).
"""
from __future__ import annotations

from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_char(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def make_resident_id(region: str = "310101", birth: date = date(2001, 5, 3),
                     seq: str = "123") -> str:
    """An 18-character number with a correct check character.

    ``seq`` is the 3-digit sequence (odd for men, even for women). Vary ``seq`` to get distinct
    people born on the same day.
    """
    if len(region) != 6 or len(seq) != 3 or not (region + seq).isdigit():
        raise ValueError("region must be 6 digits and seq 3 digits")
    first17 = f"{region}{birth:%Y%m%d}{seq}"
    return first17 + check_char(first17)
