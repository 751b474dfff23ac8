"""Results: raw totals, the WorldSkills scale, ranks, medals and awards; all policy-driven.

Team competitions: each contestant carries an optional ``team`` id. The unit that is marked,
standardised, ranked and medalled is the **entry**: the team id for team members, the contestant
id otherwise. Marks are keyed by entry id. Results are then expanded to every member with the
same figures; only *best of delegation* is decided per member row (a member's own delegation).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .errors import MarkingRuleViolation, Problem, pointer
from .marking import AGGREGATIONS, is_disputed, judgement_score_valid, measurement_mark_valid, raw_total
from .medals import (
    MAX_REPORTED_MISSING,
    Medal,
    _field,
    allocate_medals,
    best_of_delegation,
    medallion,
    rank_with_ties,
    standardise,
)
from .numbers import format_mark, parse_decimal, round_half_up
from .policy import resolve_policy
from .scheme import Aspect, MarkingScheme

# --------------------------------------------------------------------------- whole results


@dataclass(frozen=True)
class Contestant:
    """Who takes part: ``team`` set for members of a team entry."""

    id: str
    delegation: str | None = None
    team: str | None = None

    @property
    def entry_id(self) -> str:
        return self.team or self.id


@dataclass(frozen=True)
class ContestantResult:
    """One contestant's published figures (team members share their entry's figures).

    ``criterion_marks`` are sub-totals per criterion letter rounded half-up to 2 places for
    display; ``raw_total`` is the exact sum rounded once, so sub-totals may differ from it by a
    rounding cent. ``missing``/``disputed`` are only ever non-empty in provisional results.
    """

    contestant_id: str
    entry_id: str
    team: str | None
    delegation: str | None
    criterion_marks: dict[str, Decimal] = field(hash=False)
    raw_total: Decimal
    scale: int
    rank: int
    medal: Medal | None
    medallion: bool
    best_of_delegation: bool
    missing: int = 0
    disputed: tuple[str, ...] = ()


def result_to_json(result: ContestantResult) -> dict[str, Any]:
    """A result with marks as text ("71.25"), ready for JSON."""
    return {
        "contestant_id": result.contestant_id,
        "entry_id": result.entry_id,
        "team": result.team,
        "delegation": result.delegation,
        "criterion_marks": {k: format_mark(v) for k, v in result.criterion_marks.items()},
        "raw_total": format_mark(result.raw_total),
        "scale": result.scale,
        "rank": result.rank,
        "medal": result.medal,
        "medallion": result.medallion,
        "best_of_delegation": result.best_of_delegation,
        "missing": result.missing,
        "disputed": list(result.disputed),
    }


class _Tally:
    """Exact per-entry marks: ``sums[(criterion, denominator)] += numerator`` in integer cents.

    Every aspect mark is ``numerator / (100 × denominator)``: measurement marks in cents over 1,
    judgement marks as max-in-cents × share; integers keep this exact and fast.
    """

    def __init__(self) -> None:
        self.sums: dict[tuple[str, int], int] = defaultdict(int)
        self.marked: set[str] = set()
        self.disputed: list[str] = []

    def criterion_marks(self, letters: Sequence[str]) -> dict[str, Fraction]:
        marks = {letter: Fraction(0) for letter in letters}
        for (letter, denominator), numerator in self.sums.items():
            marks[letter] = marks.get(letter, Fraction(0)) + Fraction(numerator, 100 * denominator)
        return marks


def _contestants(raw: Iterable[Contestant | Mapping[str, Any]]) -> tuple[list[Contestant], list[Problem]]:
    """Contestants from objects or mappings, with problems for missing or clashing ids."""
    items = list(raw)
    teams = {_field(item, "team") for item in items if _field(item, "team")}
    people: list[Contestant] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = pointer(["contestants", index, "id"])
        person = item if isinstance(item, Contestant) else _contestant(item)
        if person is None:
            problems.append(Problem(where, "a contestant needs an id"))
        elif person.id in seen:
            problems.append(Problem(where, f"duplicate contestant {person.id}"))
        elif not person.team and person.id in teams:
            problems.append(Problem(where, f"{person.id} is also a team id"))
        else:
            seen.add(person.id)
            people.append(person)
    return people, problems


def _contestant(item: Any) -> Contestant | None:
    if not isinstance(item, Mapping) or not item.get("id"):
        return None
    return Contestant(str(item["id"]), item.get("delegation") or None, item.get("team") or None)


class _Marker:
    """Validates and tallies all entries of one competition; collects every problem."""

    def __init__(
        self, scheme: MarkingScheme, entries: Iterable[str], policy: Mapping[str, Any], provisional: bool
    ) -> None:
        self.scheme = scheme
        self.tallies = {entry: _Tally() for entry in entries}
        self.rule = AGGREGATIONS[policy["judgement_aggregation"]]
        self.dispute_limit = policy["dispute_limit"]
        self.provisional = provisional
        self.problems: list[Problem] = []
        self.cents = {a.id: int(a.max_mark * 100) for a in scheme.aspects}
        self.letter = {a.id: scheme.criterion_of(a) for a in scheme.aspects}

    def _target(self, kind: str, key: tuple[str, str], judgement: bool) -> tuple[_Tally, Aspect] | None:
        entry, aspect_id = key
        tally = self.tallies.get(entry)
        aspect = self.scheme.aspect(aspect_id) if self.scheme.has_aspect(aspect_id) else None
        if tally is not None and aspect is not None and aspect.is_judgement == judgement:
            return tally, aspect
        if tally is None:
            message = f"unknown contestant or team entry {entry!r}"
        elif aspect is None:
            message = f"unknown aspect {aspect_id!r}"
        else:
            wanted = "judge scores" if aspect.is_judgement else "one measurement mark"
            message = f"aspect {aspect_id} is of type {aspect.type}: it takes {wanted}"
        self.problems.append(Problem(pointer([kind, entry, aspect_id]), message))
        return None

    def measurement(self, key: tuple[str, str], value: object) -> None:
        target = self._target("measurements", key, judgement=False)
        if target is None:
            return
        tally, aspect = target
        problem = measurement_mark_valid(aspect, value)
        if problem:
            self.problems.append(Problem(pointer(["measurements", *key]), problem))
            return
        tally.sums[(self.letter[aspect.id], 1)] += int(parse_decimal(value) * 100)
        tally.marked.add(aspect.id)

    def judgement(self, key: tuple[str, str], scores: Mapping[str, int]) -> None:
        target = self._target("judgements", key, judgement=True)
        if target is None or not self._scores_valid(key, scores):
            return
        tally, aspect = target
        values = list(scores.values())
        if len(values) < self.rule.min_judges:
            if not self.provisional:
                message = f"{self.rule.name} needs at least {self.rule.min_judges} judge scores, got {len(values)}"
                self.problems.append(Problem(pointer(["judgements", *key]), message))
            return
        if is_disputed(values, self.dispute_limit):
            tally.disputed.append(aspect.id)
            if not self.provisional:
                message = f"judges' scores {sorted(values)} differ by more than {self.dispute_limit}: re-score"
                self.problems.append(Problem(pointer(["judgements", *key]), message))
        numerator, denominator = self.rule.share(values)
        tally.sums[(self.letter[aspect.id], denominator)] += self.cents[aspect.id] * numerator
        tally.marked.add(aspect.id)

    def _scores_valid(self, key: tuple[str, str], scores: Any) -> bool:
        if not isinstance(scores, Mapping):
            self.problems.append(Problem(pointer(["judgements", *key]), "scores must be given per judge"))
            return False
        ok = True
        for judge, value in scores.items():
            problem = judgement_score_valid(value)
            if problem:
                self.problems.append(Problem(pointer(["judgements", *key, judge]), problem))
                ok = False
        return ok

    def completeness(self) -> None:
        if self.provisional:
            return
        expected = [a.id for a in self.scheme.aspects]
        missing = [(e, a) for e, t in self.tallies.items() for a in expected if a not in t.marked]
        for entry, aspect_id in missing[:MAX_REPORTED_MISSING]:
            kind = "judgements" if self.scheme.aspect(aspect_id).is_judgement else "measurements"
            self.problems.append(Problem(pointer([kind, entry, aspect_id]), "no mark entered"))
        if len(missing) > MAX_REPORTED_MISSING:
            more = len(missing) - MAX_REPORTED_MISSING
            self.problems.append(Problem("/measurements", f"and {more} more aspects without marks"))


def compute_results(
    scheme: MarkingScheme,
    measurements: Mapping[tuple[str, str], object],
    judgements: Mapping[tuple[str, str], Mapping[str, int]],
    contestants: Iterable[Contestant | Mapping[str, Any]],
    policy: Mapping[str, Any] | None = None,
    *,
    provisional: bool = False,
) -> list[ContestantResult]:
    """Results for every contestant, ordered by rank then entry and contestant id.

    ``measurements[(entry_id, aspect_id)]`` is a measurement mark; ``judgements[(entry_id,
    aspect_id)]`` maps judge id to a 0-3 score. ``policy`` is laid over the default policy.
    Final results (``provisional=False``) need every aspect marked for every entry and no
    dispute; otherwise :class:`MarkingRuleViolation` lists every problem (paths like
    ``/judgements/<entry>/<aspect>/<judge>``). Provisional results count missing marks as 0 and
    keep disputed aspects, reporting both per result. Invalid values always raise.
    """
    settings = resolve_policy(policy)
    people, problems = _contestants(contestants)
    marker = _Marker(scheme, dict.fromkeys(c.entry_id for c in people), settings, provisional)
    for key, value in measurements.items():
        marker.measurement(key, value)
    for key, scores in judgements.items():
        marker.judgement(key, scores)
    marker.completeness()
    problems += marker.problems
    if problems:
        raise MarkingRuleViolation(problems)
    return _publish(scheme, marker, people, settings)


def _publish(
    scheme: MarkingScheme, marker: _Marker, people: list[Contestant], settings: Mapping[str, Any]
) -> list[ContestantResult]:
    letters = [c.letter for c in scheme.criteria]
    exact = {entry: tally.criterion_marks(letters) for entry, tally in marker.tallies.items()}
    raws = {entry: raw_total(marks.values()) for entry, marks in exact.items()}
    scale = standardise(raws, settings["spread"])
    ranks = rank_with_ties(scale)
    medals = allocate_medals(scale, settings["tie_threshold"])
    rows = [{"id": p.id, "delegation": p.delegation, "scale": scale[p.entry_id]} for p in people]
    best = best_of_delegation(rows)
    total_aspects = len(scheme.aspects)
    results = [
        ContestantResult(
            contestant_id=p.id,
            entry_id=p.entry_id,
            team=p.team,
            delegation=p.delegation,
            criterion_marks={k: round_half_up(v, 2) for k, v in exact[p.entry_id].items()},
            raw_total=raws[p.entry_id],
            scale=scale[p.entry_id],
            rank=ranks[p.entry_id],
            medal=medals[p.entry_id],
            medallion=medallion(scale[p.entry_id], medals[p.entry_id], settings["medallion_threshold"]),
            best_of_delegation=p.id in best,
            missing=total_aspects - len(marker.tallies[p.entry_id].marked),
            disputed=tuple(marker.tallies[p.entry_id].disputed),
        )
        for p in people
    ]
    return sorted(results, key=lambda r: (r.rank, r.entry_id, r.contestant_id))
