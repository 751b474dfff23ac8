"""CIS measurement types: how an observation on a measurement (M) aspect becomes its mark.

CIS keeps one row per typed measurement aspect in its ``Calculations`` sheet: a label, the type,
a flag and the parameters, encoded ``KEY:::<number>#x~x#<text>`` and joined by ``#-#``
(``DEDUCTION_TYPE:::#x~x#UNIT#-#DEDUCTION:::0.25000000#x~x#``). Numbers come as ``66.60000000``
or ``0E-8``. The types and how the mark is computed here (``max`` is the aspect's max mark;
a mark never goes below 0 nor above ``max``):

``PASS_FAIL``
    observed pass or fail: ``max`` or 0.
``REGULAR_DIFFERENCE_DEDUCTION``
    observed a measured value ``v``; ``d = |v - TARGET_VALUE|`` (as a percentage of the target
    when ``DIFFERENCE_TYPE`` is PERCENT); every whole ``DIFFERENCE`` in ``d`` deducts
    ``DEDUCTION`` (marks for ``DEDUCTION_TYPE`` UNIT, percent of ``max`` for PERCENT).
    "Deduct 0.25 per error" is target 0, difference 1, deduction 0.25: the observation is the
    number of errors.
``NUMBER_COMPLETED``
    observed ``k`` of ``NUM_POSSIBLE`` ``n`` completed: ``max × k / n``.
``CHOICE``
    observed one of the listed choices (its number or label): ``max`` minus its deduction.
``RANGED_SCORE``
    observed a value ``v``; the first range k with ``RANGEk_LOWER <= |v - TARGET_VALUE| <=
    RANGEk_UPPER`` gives the deduction; outside every range the mark is 0.

Marks are Decimals rounded half-up to 2 places once, at the end.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import partial
from typing import Any

from .errors import Problem
from .numbers import format_mark, parse_decimal, round_half_up

PASS_FAIL = "PASS_FAIL"
REGULAR_DIFFERENCE = "REGULAR_DIFFERENCE_DEDUCTION"
NUMBER_COMPLETED = "NUMBER_COMPLETED"
CHOICE = "CHOICE"
RANGED_SCORE = "RANGED_SCORE"
KINDS = (PASS_FAIL, REGULAR_DIFFERENCE, NUMBER_COMPLETED, CHOICE, RANGED_SCORE)
UNIT, PERCENT = "UNIT", "PERCENT"
HUNDRED = Decimal(100)
LIMIT = Decimal(10) ** 9  # no parameter or observation beyond this: keeps the arithmetic exact
PARAM_SEPARATOR, VALUE_SEPARATOR, KEY_SEPARATOR = "#-#", "#x~x#", ":::"
_INDEXED = re.compile(r"^(CHOICE|RANGE)(\d{1,3})_(LABEL|DEDUCTION|LOWER|UPPER)$")
PASSED = {"pass", "passed", "yes", "y", "true", "1", "通过", "合格", "是"}
FAILED = {"fail", "failed", "no", "n", "false", "0", "不通过", "不合格", "否"}


class MeasurementError(ValueError):
    """A measurement definition or an observation that cannot be used."""


@dataclass(frozen=True)
class Choice:
    label: str
    deduction: Decimal


@dataclass(frozen=True)
class Range:
    lower: Decimal
    upper: Decimal
    deduction: Decimal


@dataclass(frozen=True)
class Measurement:
    """One CIS measurement type with its parameters (see the module text)."""

    kind: str
    label: str = ""
    flag: bool = True
    deduction_type: str = UNIT
    target: Decimal = Decimal(0)
    difference: Decimal = Decimal(1)
    difference_type: str = UNIT
    deduction: Decimal = Decimal(0)
    possible: int = 0
    choices: tuple[Choice, ...] = ()
    ranges: tuple[Range, ...] = ()


# --------------------------------------------------------------------------- parameters


def decode_params(text: str) -> dict[str, str]:
    """``KEY:::<number>#x~x#<text>#-#...`` as ``{KEY: number or text}`` (the number wins when both)."""
    params: dict[str, str] = {}
    for part in (text or "").split(PARAM_SEPARATOR):
        if not part.strip():
            continue
        key, found, rest = part.partition(KEY_SEPARATOR)
        if not found or not key.strip():
            raise MeasurementError(f"parameter {part[:40]!r} is not KEY:::value")
        number, _, words = rest.partition(VALUE_SEPARATOR)
        params[key.strip().upper()] = number.strip() or words.strip()
    return params


def _number(params: Mapping[str, str], key: str, default: Decimal | None = None) -> Decimal:
    raw = params.get(key, "")
    if raw == "":
        if default is None:
            raise MeasurementError(f"{key} is missing")
        return default
    return cis_decimal(raw, key)


def cis_decimal(raw: str, what: str) -> Decimal:
    """A CIS parameter number: ``66.60000000``, ``0E-8`` (exponent form) or plain text digits."""
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise MeasurementError(f"{what} must be a number, got {raw!r}") from None
    if not value.is_finite() or abs(value) > LIMIT:
        raise MeasurementError(f"{what} must be a number between -{LIMIT} and {LIMIT}, got {raw!r}")
    return value.normalize() + 0


def _kind_of(params: Mapping[str, str], key: str) -> str:
    value = (params.get(key) or UNIT).upper()
    if value not in (UNIT, PERCENT):
        raise MeasurementError(f"{key} must be UNIT or PERCENT, got {value!r}")
    return value


def _indexed(params: Mapping[str, str], prefix: str) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    for key, value in params.items():
        match = _INDEXED.match(key)
        if match and match.group(1) == prefix:
            found.setdefault(int(match.group(2)), {})[match.group(3)] = value
    return dict(sorted(found.items()))


def measurement_from_cis(kind: str, params_text: str, label: str = "", flag: bool = True) -> Measurement:
    """A :class:`Measurement` from a ``Calculations`` row; ``MeasurementError`` says what is wrong."""
    kind = (kind or "").strip().upper()
    if kind not in KINDS:
        raise MeasurementError(f"unknown measurement type {kind!r}; known: {', '.join(KINDS)}")
    params = decode_params(params_text)
    base = partial(Measurement, kind=kind, label=label.strip(), flag=bool(flag))
    if kind == PASS_FAIL:
        return base()
    if kind == NUMBER_COMPLETED:
        possible = _number(params, "NUM_POSSIBLE")
        if possible < 1 or possible != possible.to_integral_value():
            raise MeasurementError(f"NUM_POSSIBLE must be a whole number of 1 or more, got {possible}")
        return base(possible=int(possible))
    deduction_type = _kind_of(params, "DEDUCTION_TYPE")
    if kind == REGULAR_DIFFERENCE:
        return base(deduction_type=deduction_type, target=_number(params, "TARGET_VALUE", Decimal(0)),
                           difference=_number(params, "DIFFERENCE"), difference_type=_kind_of(params, "DIFFERENCE_TYPE"),
                           deduction=_number(params, "DEDUCTION"))
    if kind == CHOICE:
        choices = tuple(Choice(parts.get("LABEL", "").strip(), _number(parts, "DEDUCTION", Decimal(0)))
                        for parts in _indexed(params, "CHOICE").values())
        return base(deduction_type=deduction_type, choices=choices)
    ranges = tuple(Range(_number(parts, "LOWER"), _number(parts, "UPPER"), _number(parts, "DEDUCTION", Decimal(0)))
                   for parts in _indexed(params, "RANGE").values())
    return base(deduction_type=deduction_type, target=_number(params, "TARGET_VALUE", Decimal(0)),
                       ranges=ranges)


def _cis_number(value: Decimal) -> str:
    return f"{value:.8f}"


def measurement_to_cis(measurement: Measurement) -> str:
    """The ``Calculations`` parameter text of a measurement (CIS's own encoding)."""
    def num(key: str, value: Decimal) -> str:
        return f"{key}{KEY_SEPARATOR}{_cis_number(value)}{VALUE_SEPARATOR}"

    def word(key: str, value: str) -> str:
        return f"{key}{KEY_SEPARATOR}{VALUE_SEPARATOR}{value}"

    m = measurement
    parts: list[str] = []
    if m.kind == NUMBER_COMPLETED:
        parts.append(num("NUM_POSSIBLE", Decimal(m.possible)))
    elif m.kind == REGULAR_DIFFERENCE:
        parts += [word("DEDUCTION_TYPE", m.deduction_type), num("TARGET_VALUE", m.target),
                  num("DIFFERENCE", m.difference), word("DIFFERENCE_TYPE", m.difference_type),
                  num("DEDUCTION", m.deduction)]
    elif m.kind == CHOICE:
        parts.append(word("DEDUCTION_TYPE", m.deduction_type))
        for k, choice in enumerate(m.choices, start=1):
            parts += [word(f"CHOICE{k}_LABEL", choice.label), num(f"CHOICE{k}_DEDUCTION", choice.deduction)]
    elif m.kind == RANGED_SCORE:
        parts += [word("DEDUCTION_TYPE", m.deduction_type), num("TARGET_VALUE", m.target)]
        for k, band in enumerate(m.ranges, start=1):
            parts += [num(f"RANGE{k}_LOWER", band.lower), num(f"RANGE{k}_UPPER", band.upper),
                      num(f"RANGE{k}_DEDUCTION", band.deduction)]
    return PARAM_SEPARATOR.join(parts)


# --------------------------------------------------------------------------- rules


def measurement_problems(measurement: Measurement, max_mark: Decimal) -> list[str]:
    """What makes a measurement unusable for an aspect with ``max_mark`` (empty: fine)."""
    m = measurement
    problems: list[str] = []
    deductions: list[Decimal] = []
    if m.kind == REGULAR_DIFFERENCE:
        if m.difference < Decimal("0.0001"):
            problems.append(f"DIFFERENCE must be at least 0.0001, got {m.difference}")
        deductions.append(m.deduction)
    elif m.kind == CHOICE:
        if not m.choices:
            problems.append("a CHOICE needs at least one choice")
        if any(not c.label for c in m.choices):
            problems.append("every choice needs a label")
        labels = [c.label.casefold() for c in m.choices]
        if len(set(labels)) != len(labels):
            problems.append("two choices have the same label")
        deductions += [c.deduction for c in m.choices]
    elif m.kind == RANGED_SCORE:
        if not m.ranges:
            problems.append("a RANGED_SCORE needs at least one range")
        problems += [f"range {k}: lower {r.lower} is above upper {r.upper}"
                     for k, r in enumerate(m.ranges, start=1) if r.lower > r.upper]
        deductions += [r.deduction for r in m.ranges]
    limit = HUNDRED if m.deduction_type == PERCENT else max_mark
    if any(d < 0 for d in deductions):
        problems.append("deductions must not be negative")
    if m.kind != REGULAR_DIFFERENCE and any(d > limit for d in deductions):
        unit = "%" if m.deduction_type == PERCENT else f" (max mark {format_mark(max_mark)})"
        problems.append(f"a deduction is more than {format_mark(limit)}{unit}")
    return problems


# --------------------------------------------------------------------------- marks


def _deduct(measurement: Measurement, max_mark: Decimal, amount: Fraction) -> Fraction:
    if measurement.deduction_type == PERCENT:
        amount = Fraction(max_mark) * amount / 100
    return min(max(Fraction(max_mark) - amount, Fraction(0)), Fraction(max_mark))


def _observed_number(observed: Any, what: str) -> Decimal:
    if isinstance(observed, bool):
        raise MeasurementError(f"{what} must be a number, got {observed!r}")
    try:
        value = parse_decimal(observed, allow_comma=True)
    except ValueError:
        raise MeasurementError(f"{what} must be a number, got {observed!r}") from None
    if abs(value) > LIMIT:
        raise MeasurementError(f"{what} must be between -{LIMIT} and {LIMIT}, got {observed!r}")
    return value


def _pass_fail(observed: Any) -> bool:
    if isinstance(observed, bool):
        return observed
    text = str(observed).strip().casefold()
    if text in PASSED:
        return True
    if text in FAILED:
        return False
    raise MeasurementError(f"observed must be pass or fail (true/false), got {observed!r}")


def _choice(measurement: Measurement, observed: Any) -> tuple[int, Choice]:
    choices = measurement.choices
    if isinstance(observed, int) and not isinstance(observed, bool) and 1 <= observed <= len(choices):
        return observed, choices[observed - 1]
    text = str(observed).strip().casefold()
    for k, choice in enumerate(choices, start=1):
        if text in (choice.label.casefold(), str(k)):
            return k, choice
    options = "; ".join(f"{k} {c.label}" for k, c in enumerate(choices, start=1))
    raise MeasurementError(f"observed must be one of the choices ({options}), got {observed!r}")


def observe(measurement: Measurement, max_mark: Decimal, observed: Any) -> tuple[Decimal, Any]:
    """``(mark, canonical observation)`` for what a judge observed; ``MeasurementError`` if unusable.

    The canonical observation is what is stored: ``"pass"``/``"fail"``, the choice label, the
    number completed (int), or the measured value as decimal text.
    """
    m = measurement
    if m.kind == PASS_FAIL:
        passed = _pass_fail(observed)
        return (max_mark if passed else Decimal(0)), ("pass" if passed else "fail")
    if m.kind == CHOICE:
        _, choice = _choice(m, observed)
        return round_half_up(_deduct(m, max_mark, Fraction(choice.deduction))), choice.label
    value = _observed_number(observed, "observed")
    if m.kind == NUMBER_COMPLETED:
        if value != value.to_integral_value() or not 0 <= value <= m.possible:
            raise MeasurementError(f"observed must be a whole number from 0 to {m.possible}, got {observed!r}")
        return round_half_up(Fraction(max_mark) * int(value) / m.possible), int(value)
    difference = abs(value - m.target)
    if m.kind == REGULAR_DIFFERENCE:
        if m.difference_type == PERCENT:
            if m.target == 0:
                raise MeasurementError("a percentage difference needs a target other than 0")
            difference = difference * HUNDRED / abs(m.target)
        steps = int(difference // m.difference)
        return round_half_up(_deduct(m, max_mark, Fraction(m.deduction) * steps)), str(value.normalize() + 0)
    band = next((r for r in m.ranges if r.lower <= difference <= r.upper), None)
    mark = _deduct(m, max_mark, Fraction(band.deduction)) if band else Fraction(0)
    return round_half_up(mark), str(value.normalize() + 0)


def possible_marks(measurement: Measurement, max_mark: Decimal) -> tuple[Decimal, ...] | None:
    """Every mark the measurement can give, when that is a short list (else None: any 0..max)."""
    m = measurement
    if m.kind == PASS_FAIL:
        return (Decimal(0), max_mark)
    if m.kind == CHOICE:
        return tuple(sorted({observe(m, max_mark, k)[0] for k in range(1, len(m.choices) + 1)}))
    if m.kind == NUMBER_COMPLETED and m.possible <= 1000:
        return tuple(sorted({round_half_up(Fraction(max_mark) * k / m.possible) for k in range(m.possible + 1)}))
    return None


def observation_for(measurement: Measurement, max_mark: Decimal, mark: Decimal) -> Any:
    """The observation a mark entered directly stands for, when only one gives it (else None).

    PASS_FAIL: ``"pass"``/``"fail"``; CHOICE: the label of the only choice with that mark;
    NUMBER_COMPLETED: the only count with that mark. Measured values cannot be told from a mark.
    """
    m = measurement
    if m.kind == PASS_FAIL:
        return "pass" if mark == max_mark else "fail" if mark == 0 else None
    if m.kind == CHOICE:
        options = [(observed, label) for observed, label in
                   (observe(m, max_mark, k) for k in range(1, len(m.choices) + 1)) if observed == mark]
        return options[0][1] if len(options) == 1 else None
    if m.kind == NUMBER_COMPLETED and m.possible <= 1000:
        counts = [k for k in range(m.possible + 1) if round_half_up(Fraction(max_mark) * k / m.possible) == mark]
        return counts[0] if len(counts) == 1 else None
    return None


def describe(measurement: Measurement) -> str:
    """One line for marking forms: what to observe and how it is marked."""
    m = measurement
    unit = "%" if m.deduction_type == PERCENT else ""
    if m.kind == PASS_FAIL:
        return "Pass / fail: full marks or zero"
    if m.kind == NUMBER_COMPLETED:
        return f"Number completed of {m.possible}"
    if m.kind == CHOICE:
        return "Choose: " + "; ".join(f"{k}) {c.label} (-{format_mark(c.deduction)}{unit})"
                                      for k, c in enumerate(m.choices, start=1))
    if m.kind == REGULAR_DIFFERENCE:
        per = f"{format_mark(m.difference)}{'%' if m.difference_type == PERCENT else ''}"
        return (f"Measured value, target {format_mark(m.target)}: deduct {format_mark(m.deduction)}{unit} "
                f"per {per} of difference")
    bands = "; ".join(f"{format_mark(r.lower)}-{format_mark(r.upper)}: -{format_mark(r.deduction)}{unit}"
                      for r in m.ranges)
    return f"Measured value, target {format_mark(m.target)}, difference ranges {bands}"


# --------------------------------------------------------------------------- JSON


def measurement_to_json(measurement: Measurement) -> dict[str, Any]:
    return {"type": measurement.kind, "label": measurement.label, "flag": measurement.flag,
            "params": measurement_to_cis(measurement)}


def measurement_from_json(data: Any, path: str) -> tuple[Measurement | None, list[Problem]]:
    """A measurement from its JSON shape ``{"type", "label", "flag", "params"}``."""
    if not isinstance(data, Mapping):
        return None, [Problem(path, "must be an object with type and params")]
    try:
        return measurement_from_cis(str(data.get("type", "")), str(data.get("params") or ""),
                                    str(data.get("label") or ""), bool(data.get("flag", True))), []
    except MeasurementError as exc:
        return None, [Problem(path, str(exc))]
