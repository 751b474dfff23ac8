"""Resident identity numbers (公民身份号码, GB 11643-1999).

An 18-character number: 6-digit region code, 8-digit birth date (YYYYMMDD), 3-digit sequence
(odd for men, even for women), and a check character computed with ISO 7064 MOD 11-2 over the
first 17 digits. The check character is a digit or ``X`` (for 10).

The number itself is personal data. The service stores a keyed hash (``person_key``) to find the
same person again, and shows only the masked form (``mask_resident_id``).
"""
from __future__ import annotations

import hashlib
import hmac
import unicodedata
from datetime import date

RESIDENT_ID_LENGTH = 18
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


def normalise_resident_id(id_number: str | None) -> str:
    """Canonical spelling: full-width characters folded, whitespace removed, ``x`` upper-cased."""
    if id_number is None:
        return ""
    text = unicodedata.normalize("NFKC", str(id_number))
    return "".join(text.split()).upper()


def resident_id_check_char(first17: str) -> str:
    """The check character for the first 17 digits (ISO 7064 MOD 11-2)."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def birth_date_of(id_number: str) -> date | None:
    """The birth date embedded in characters 7-14, or None if it is not a real date."""
    digits = normalise_resident_id(id_number)[6:14]
    if len(digits) != 8 or not digits.isascii() or not digits.isdigit():
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def validate_resident_id(id_number: str, date_of_birth: date | None = None, *, today: date) -> list[str]:
    """Every problem of an identity number; an empty list means it is valid.

    ``date_of_birth``, when given, must equal the birth date the number embeds. ``today`` is the
    reference for "not in the future" (the caller's clock: the domain never reads the host's).
    """
    number = normalise_resident_id(id_number)
    problems = _format_problems(number)
    if problems:
        return problems
    expected = resident_id_check_char(number[:17])
    if number[17] != expected:
        problems.append(f"check character is {number[17]!r} but the first 17 digits give "
                        f"{expected!r} (a digit was probably mistyped)")
    problems.extend(_birth_problems(number, date_of_birth, today))
    return problems


def _format_problems(number: str) -> list[str]:
    if not number:
        return ["identity number is empty"]
    if len(number) != RESIDENT_ID_LENGTH:
        return [f"identity number must have 18 characters, got {len(number)}"]
    problems = []
    if not (number[:17].isascii() and number[:17].isdigit()):
        problems.append("the first 17 characters of an identity number must be digits")
    if not (number[17].isdigit() or number[17] == "X") or not number[17].isascii():
        problems.append("the last character of an identity number must be a digit or X")
    return problems


def _birth_problems(number: str, date_of_birth: date | None, today: date) -> list[str]:
    born = birth_date_of(number)
    if born is None:
        return [f"embedded birth date {number[6:14]} is not a real date"]
    if born > today:
        return [f"embedded birth date {born.isoformat()} is in the future"]
    if date_of_birth is not None and born != date_of_birth:
        return [f"birth date in the identity number ({born.isoformat()}) differs from the date "
                f"of birth given ({date_of_birth.isoformat()})"]
    return []


def person_key(id_number: str, key: bytes) -> str:
    """A stable, keyed pseudonym of a person: HMAC-SHA256 (hex) of the normalised number.

    Keyed so that the stored value cannot be reversed by hashing all ~10^10 plausible numbers
    without the key; the key comes from configuration and must not change once data exists.
    """
    if not key:
        raise ValueError("person_key needs a non-empty key (configure it)")
    message = normalise_resident_id(id_number).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def mask_resident_id(id_number: str) -> str:
    """First 6 + eight ``*`` + last 4 (``310101********1234``); fully starred if too short."""
    number = normalise_resident_id(id_number)
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * 8 + number[-4:]
