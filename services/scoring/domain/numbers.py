"""Exact number handling for marks: parsing, formatting and half-up rounding.

Marks are :class:`~decimal.Decimal`; floats are only ever accepted at the edge and converted
through ``str`` (``0.1`` becomes ``Decimal("0.1")``, not the binary approximation). Internal sums
that involve judgement thirds are kept as :class:`~fractions.Fraction` so that rounding half-up
happens once, on the exact value.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

Exact = Decimal | Fraction | int

_NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_decimal(value: object, *, allow_comma: bool = False) -> Decimal:
    """Convert a JSON/spreadsheet value to a finite Decimal or raise ``ValueError``.

    Accepts ``Decimal``, ``int`` and ``float`` (via ``str``) and numeric text, surrounding blanks
    ignored. ``allow_comma`` also accepts a decimal comma ("0,5"), as typed in spreadsheets.
    Booleans are rejected: ``True`` is not a mark.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, float)):
        result = Decimal(str(value))
    elif isinstance(value, str):
        result = _parse_text(value, allow_comma)
    else:
        raise ValueError(f"not a number: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def _parse_text(value: str, allow_comma: bool) -> Decimal:
    text = value.strip().replace("\u00a0", "")
    if allow_comma and text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not _NUMBER_TEXT.match(text):
        raise ValueError(f"not a number: {value!r}")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already guards this
        raise ValueError(f"not a number: {value!r}") from exc


def has_at_most_places(value: Decimal, places: int = 2) -> bool:
    """True when ``value`` needs no more than ``places`` decimals (0.50 yes, 0.125 no)."""
    exponent = value.normalize().as_tuple().exponent
    return value.is_finite() and (value.is_zero() or (isinstance(exponent, int) and exponent >= -places))


def round_half_up(value: Exact, places: int = 2) -> Decimal:
    """Round an exact value half-up (away from zero on .5) to ``places`` decimals."""
    fraction = Fraction(value)
    scaled = fraction * 10**places
    magnitude = (abs(scaled) + Fraction(1, 2)).__floor__()
    units = magnitude if scaled >= 0 else -magnitude
    return Decimal(units).scaleb(-places)


def format_mark(value: Decimal) -> str:
    """A mark as text with two decimals ("0.50"); more decimals are kept, never rounded away."""
    if has_at_most_places(value, 2):
        return format(value, ".2f")  # exact: at most 2 places, nothing to round (no context precision limit)
    return str(value.normalize())
