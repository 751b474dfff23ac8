"""Marks for single aspects: validity of entries, judgement aggregation, disputes, raw totals.

Measurement (M) aspects get one mark per competitor, entered as the mark itself or, on an aspect
with a CIS measurement type (:mod:`.measurement`), as what was observed (the choice, the number
completed, the measured value, pass or fail), from which the mark is computed. Judgement (J)
aspects get a 0-3 score from each judge; an aggregation policy turns the scores into the share
of the aspect's max mark:

``worldskills_mean`` (default)
    mark = max × sum(scores) / (3 × number of judges). Needs at least 1 judge.
``trimmed_mean`` (Chinese national practice, usually 5 judges)
    needs at least 3 judges; one highest and one lowest score are dropped and
    mark = max × mean(remaining) / 3 = max × sum(remaining) / (3 × (n - 2)).

Precision: an aggregation yields an exact fraction of the max mark (thirds do not terminate in
decimal), so :func:`aspect_mark_exact` returns a :class:`~fractions.Fraction`; totals are summed
exactly and rounded half-up to 2 places once, at the edge (:func:`raw_total`).
:func:`aspect_mark` gives the same mark as a Decimal rounded half-up to **4 places**, for display
and storage per aspect only; never sum those rounded values for a result.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .errors import MarkingRuleViolation, Problem
from .measurement import PASS_FAIL, MeasurementError, observe, possible_marks
from .numbers import Exact, format_mark, has_at_most_places, parse_decimal, round_half_up
from .scheme import Aspect

MAX_JUDGEMENT_SCORE = 3
ASPECT_MARK_PLACES = 4
RAW_TOTAL_MIN = Decimal("0")
RAW_TOTAL_MAX = Decimal("100")
DEFAULT_AGGREGATION = "worldskills_mean"

Scores = Mapping[str, int] | Sequence[int]


@dataclass(frozen=True)
class JudgementAggregation:
    """A named way to turn judge scores into ``(numerator, denominator)`` of the max mark."""

    name: str
    min_judges: int
    share: Callable[[Sequence[int]], tuple[int, int]]


def _worldskills_mean(scores: Sequence[int]) -> tuple[int, int]:
    return sum(scores), MAX_JUDGEMENT_SCORE * len(scores)


def _trimmed_mean(scores: Sequence[int]) -> tuple[int, int]:
    kept = sum(scores) - max(scores) - min(scores)
    return kept, MAX_JUDGEMENT_SCORE * (len(scores) - 2)


AGGREGATIONS: dict[str, JudgementAggregation] = {
    "worldskills_mean": JudgementAggregation("worldskills_mean", 1, _worldskills_mean),
    "trimmed_mean": JudgementAggregation("trimmed_mean", 3, _trimmed_mean),
}


def aggregation(policy: str | Mapping[str, Any] | None = None) -> JudgementAggregation:
    """The aggregation named directly or by a policy's ``judgement_aggregation``."""
    name = policy.get("judgement_aggregation", DEFAULT_AGGREGATION) if isinstance(policy, Mapping) else policy
    name = name or DEFAULT_AGGREGATION
    try:
        return AGGREGATIONS[name]
    except KeyError:
        raise ValueError(f"unknown judgement aggregation {name!r}; known: {sorted(AGGREGATIONS)}") from None


def score_list(scores: Scores) -> list[int]:
    """Scores as a list, whether given per judge (mapping) or as a sequence."""
    return list(scores.values()) if isinstance(scores, Mapping) else list(scores)


# --------------------------------------------------------------------------- entry validity


def measurement_mark_valid(aspect: Aspect, value: object) -> str | None:
    """Why a measurement mark cannot be accepted for ``aspect``, or None when it can.

    A valid mark is a number (Decimal, int, numeric text; floats via ``str``) with at most 2
    decimals, 0 <= mark <= max mark, and a multiple of the aspect's step when it has one.
    """
    if not aspect.is_measurement:
        return f"aspect {aspect.id} is a judgement aspect: enter judge scores, not a mark"
    try:
        mark = parse_decimal(value)
    except ValueError:
        return f"mark must be a number, got {value!r}"
    if not has_at_most_places(mark, 2):
        return f"mark {mark} has more than 2 decimals"
    if mark < 0 or mark > aspect.max_mark:
        return f"mark {mark} is outside 0 to {format_mark(aspect.max_mark)}"
    if aspect.step is not None and mark % aspect.step != 0:
        return f"mark {mark} is not a multiple of the step {format_mark(aspect.step)}"
    return _measurement_mark_problem(aspect, mark)


def _measurement_mark_problem(aspect: Aspect, mark: Decimal) -> str | None:
    """A typed measurement accepts only the marks it can give (PASS_FAIL: full or zero)."""
    if aspect.measurement is None:
        return None
    allowed = possible_marks(aspect.measurement, aspect.max_mark)
    if allowed is None or mark in allowed:
        return None
    if aspect.measurement.kind == PASS_FAIL:
        return f"{aspect.id} is pass/fail: the mark is {format_mark(aspect.max_mark)} or 0, not {mark}"
    shown = ", ".join(format_mark(m) for m in allowed[:20]) + (" ..." if len(allowed) > 20 else "")
    return f"{aspect.id} ({aspect.measurement.kind}) can only give {shown}, not {mark}"


def observed_mark(aspect: Aspect, observed: object) -> tuple[Decimal, object] | str:
    """``(mark, canonical observation)`` for an observation on a typed measurement aspect, or why not."""
    if not aspect.is_measurement:
        return f"aspect {aspect.id} is a judgement aspect: enter judge scores, not an observation"
    if aspect.measurement is None:
        return f"aspect {aspect.id} has no measurement type: enter the mark as value"
    try:
        return observe(aspect.measurement, aspect.max_mark, observed)
    except MeasurementError as exc:
        return str(exc)


def judgement_score_valid(value: object) -> str | None:
    """Why a judge's score cannot be accepted, or None: scores are the integers 0, 1, 2, 3.

    Booleans, floats (even 2.0), Decimals and text are refused so that no rounding ever
    hides a mistyped score.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        return f"judgement score must be a whole number 0-3, got {value!r}"
    if not 0 <= value <= MAX_JUDGEMENT_SCORE:
        return f"judgement score must be 0-3, got {value}"
    return None


def is_disputed(scores: Scores, limit: int | None = 1) -> bool:
    """True when the judges' scores differ by more than ``limit`` (None: never disputed)."""
    values = score_list(scores)
    if limit is None or len(values) < 2:
        return False
    return max(values) - min(values) > limit


# --------------------------------------------------------------------------- aspect marks


def judgement_share(scores: Scores, policy: str | Mapping[str, Any] | None = None) -> Fraction:
    """The exact share (0..1) of the max mark that the scores earn under the policy."""
    values = score_list(scores)
    rule = aggregation(policy)
    problems = [judgement_score_valid(v) for v in values]
    if any(problems):
        raise MarkingRuleViolation([Problem("scores", p) for p in problems if p])
    if len(values) < rule.min_judges:
        message = f"{rule.name} needs at least {rule.min_judges} judge score(s), got {len(values)}"
        raise MarkingRuleViolation([Problem("scores", message)])
    numerator, denominator = rule.share(values)
    return Fraction(numerator, denominator)


def aspect_mark_exact(aspect: Aspect, value: object, policy: str | Mapping[str, Any] | None = None) -> Fraction:
    """The exact mark: the measurement mark itself (M) or max × judgement share (J).

    Raises :class:`MarkingRuleViolation` for an invalid mark or invalid/too few scores.
    """
    if aspect.is_judgement:
        if not isinstance(value, (Mapping, Sequence)) or isinstance(value, str):
            raise MarkingRuleViolation([Problem(aspect.id, "judgement aspects take judge scores")])
        return Fraction(aspect.max_mark) * judgement_share(value, policy)
    problem = measurement_mark_valid(aspect, value)
    if problem:
        raise MarkingRuleViolation([Problem(aspect.id, problem)])
    return Fraction(parse_decimal(value))


def aspect_mark(aspect: Aspect, value: object, policy: str | Mapping[str, Any] | None = None) -> Decimal:
    """The aspect mark rounded half-up to 4 places (display/storage; totals use exact marks)."""
    return round_half_up(aspect_mark_exact(aspect, value, policy), ASPECT_MARK_PLACES)


def raw_total(marks: Iterable[Exact]) -> Decimal:
    """Sum exact marks, clamp to 0..100 and round half-up to 2 places (the published raw total)."""
    total = sum((Fraction(m) for m in marks), Fraction(0))
    total = min(max(total, Fraction(RAW_TOTAL_MIN)), Fraction(RAW_TOTAL_MAX))
    return round_half_up(total, 2)
