"""Marks of one competition as rules see them: checking a request, progress, disputes, results input.

Pure: the roster (:class:`~.roster.Roster`), the frozen scheme and the marks come in decoded
(:class:`RowMarks`, :class:`RowCounts`: one entry in one sub-criterion, aspects by their index in the
scheme); the adapters read and write the database around these functions.

* **Entries.** In a team competition a mark belongs to the team entry: a mark names either
  ``team`` or the ``contestant_id`` of any active member (mapped to the team). Otherwise a mark
  names ``contestant_id``.
* **Who marks.** Any judge or chief expert assigned to the competition may enter measurement
  marks (the entering user is recorded); judgement scores are each marker's own 0-3 score. Nobody
  marks an entry they have a conflict of interest with (any member, for teams).
* **Completeness for a lock.** A measurement aspect needs its mark; a judgement aspect needs
  ``policy.min_judges`` scores (default 3), or the number of judges who may mark that entry when
  fewer (judges of role ``judge`` without a conflict), and never fewer than the aggregation needs
  (trimmed mean: 3). No aspect may be in dispute.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .marking import (
    AGGREGATIONS,
    is_disputed,
    judgement_score_valid,
    measurement_mark_valid,
    observed_mark,
)
from .measurement import observation_for
from .numbers import format_mark, parse_decimal
from .roster import Roster
from .scheme import MarkingScheme

MAX_DETAILS = 200


@dataclass(frozen=True)
class Mark:
    """One checked mark of a request: where it goes and its new value."""

    index: int  # position in the request
    entry: str
    aspect: int  # index in scheme.aspects
    sub: str
    judgement: bool
    value: Any  # canonical mark text ("0.50") or int score
    named: str  # "contestant_id" or "team": the field that named the entry
    observed: Any = None  # canonical observation of a typed measurement, when one was given


def problem(path: str, text: str, code: str) -> dict:
    return {"path": path, "problem": text, "code": code}


def check_marks(marks: list[dict], judge: str, roster: Roster, scheme: MarkingScheme,
                index: dict[str, int]) -> tuple[list[Mark], list[dict]]:
    """Every mark resolved and checked against the roster and the scheme (no database).

    Problems carry the path of the offending field (``/marks/17/value``).
    """
    checked: list[Mark] = []
    problems: list[dict] = []
    seen: dict[tuple[str, int], int] = {}
    memo: dict[tuple[int, Any], tuple[str | None, str | None]] = {}
    aspects = scheme.aspects
    for i, item in enumerate(marks):
        base = f"/marks/{i}"
        entry, named = _entry(item, base, roster, problems)
        aspect_id = item.get("aspect")
        position = index.get(aspect_id) if isinstance(aspect_id, str) else None
        if position is None:
            problems.append(problem(base + "/aspect", f"no aspect {aspect_id!r} in the marking scheme", "UNKNOWN_ASPECT"))
            continue
        aspect = aspects[position]
        clashes = roster.conflicted(judge, entry) if entry is not None else []
        if clashes and entry is not None:
            reasons = roster.conflict_reasons(judge, entry)
            why = f" ({', '.join(reasons)})" if reasons else ""
            problems.append(problem(f"{base}/{named}", f"{judge} has a conflict of interest with "
                                    f"{', '.join(clashes)}{why} and may not mark this entry", "CONFLICT_OF_INTEREST"))
        found = _value(item, aspect, position, base, memo, problems)
        if entry is None or found is None or clashes:
            continue
        value, observed = found if isinstance(found, tuple) else (found, None)
        first = seen.setdefault((entry, position), i)
        if first != i:
            problems.append(problem(base, f"a second mark for {entry} on {aspect_id} (first at /marks/{first})",
                                    "DUPLICATE"))
            continue
        checked.append(Mark(i, entry, position, aspect.sub_criterion, aspect.is_judgement, value, named, observed))
    return checked, problems


def _entry(item: dict, base: str, roster: Roster, problems: list[dict]) -> tuple[str | None, str]:
    cid, team = item.get("contestant_id"), item.get("team")
    if (cid is None) == (team is None):
        text = "give contestant_id or team, not both" if cid is not None else "give contestant_id (or team)"
        problems.append(problem(base + ("/team" if cid is not None else "/contestant_id"), text, "WRONG_ENTRY"))
        return None, "contestant_id"
    if cid is not None:
        entry = roster.entry_of.get(cid)
        if entry is None:
            person = roster.contestants.get(cid)
            text, code = ((f"contestant {cid} has withdrawn", "WITHDRAWN") if person else
                          (f"no contestant {cid!r} in this competition", "UNKNOWN_CONTESTANT"))
            problems.append(problem(base + "/contestant_id", text, code))
        return entry, "contestant_id"
    if not roster.team_mode:
        problems.append(problem(base + "/team", "this is not a team competition: name the contestant_id", "WRONG_ENTRY"))
        return None, "team"
    if team not in roster.members:
        known = team in roster.all_entries
        text, code = ((f"every member of team {team} has withdrawn", "WITHDRAWN") if known else
                      (f"no team {team!r} in this competition", "UNKNOWN_CONTESTANT"))
        problems.append(problem(base + "/team", text, code))
        return None, "team"
    return team, "team"


def _value(item: dict, aspect, position: int, base: str, memo: dict, problems: list[dict]) -> Any:
    if aspect.is_judgement:
        if "value" in item:
            problems.append(problem(base + "/value", f"{aspect.id} is a judgement aspect: give your score (0-3), "
                                    "not a value", "WRONG_TYPE"))
            return None
        if "score" not in item:
            problems.append(problem(base + "/score", f"{aspect.id} is a judgement aspect: score is required",
                                    "WRONG_TYPE"))
            return None
        trouble = judgement_score_valid(item["score"])
        if trouble:
            problems.append(problem(base + "/score", trouble, "OUT_OF_RANGE"))
            return None
        return item["score"]
    if "observed" in item:
        if "value" in item or "score" in item:
            problems.append(problem(base + "/observed", f"{aspect.id}: give either the observation or the mark "
                                    "(value), not both", "WRONG_TYPE"))
            return None
        return _observed(item["observed"], aspect, position, base, memo, problems)
    if "score" in item:
        problems.append(problem(base + "/score", f"{aspect.id} is a measurement aspect: give the mark as value, "
                                "not a score", "WRONG_TYPE"))
        return None
    if "value" not in item:
        wanted = "value (the mark) or observed" if aspect.measurement else "value"
        problems.append(problem(base + "/value", f"{aspect.id} is a measurement aspect: {wanted} is required",
                                "WRONG_TYPE"))
        return None
    raw = item["value"]
    memo_key = (position, raw if not isinstance(raw, float) else repr(raw))
    found = memo.get(memo_key)
    if found is None:
        trouble = measurement_mark_valid(aspect, raw)
        found = (trouble, None if trouble else format_mark(parse_decimal(raw)))
        memo[memo_key] = found
    if found[0]:
        problems.append(problem(base + "/value", found[0], "OUT_OF_RANGE"))
        return None
    if aspect.measurement is not None:
        return found[1], observation_for(aspect.measurement, aspect.max_mark, parse_decimal(found[1]))
    return found[1]


def _observed(raw: Any, aspect, position: int, base: str, memo: dict, problems: list[dict]) -> tuple | None:
    """(mark text, canonical observation) computed from what the judge observed."""
    memo_key = ("observed", position, repr(raw))
    found = memo.get(memo_key)
    if found is None:
        outcome = observed_mark(aspect, raw)
        found = (outcome, None) if isinstance(outcome, str) else (None, (format_mark(outcome[0]), outcome[1]))
        memo[memo_key] = found
    if found[0]:
        code = "WRONG_TYPE" if "no measurement type" in found[0] or "judgement aspect" in found[0] else "OUT_OF_RANGE"
        problems.append(problem(base + "/observed", found[0], code))
        return None
    return found[1]


# --------------------------------------------------------------------------- marks held


@dataclass
class RowMarks:
    """The marks of one entry in one sub-criterion, aspects by their position in the scheme."""

    entry: str
    sub: str
    marks: dict[int, tuple[str, str, Any]] = field(default_factory=dict)  # (mark text, entered by, observed)
    scores: dict[int, dict[str, int]] = field(default_factory=dict)  # judge -> score


@dataclass
class RowCounts:
    """The counters of one entry in one sub-criterion: marks in, scores per J aspect, J aspects in dispute."""

    entry: str
    sub: str
    marks_in: int
    scores: dict[int, int]
    disputed: int


def required_scores(roster: Roster, entry: str, policy: dict) -> tuple[int, int]:
    """(scores a judgement aspect of ``entry`` needs, judges who may give them)."""
    floor = AGGREGATIONS[policy["judgement_aggregation"]].min_judges
    eligible = len(roster.eligible_judges(entry))
    return max(floor, min(int(policy.get("min_judges") or 3), eligible)), eligible


def _status(scheme: MarkingScheme, sub: str, entries: int, complete: int, partial: int, disputed: int,
            locked: bool) -> dict:
    aspects = len(scheme.aspects_of(sub))
    expected = entries * aspects
    return {"sub_criterion": sub, "name": scheme.sub_criterion(sub).name, "aspects": aspects,
            "entries": entries, "expected": expected, "in": complete, "missing": expected - complete,
            "partial": partial, "disputed": disputed, "locked": locked}


def sub_counts(scheme: MarkingScheme, sub: str, rows: Iterable[RowCounts], roster: Roster, policy: dict,
               locked: bool) -> dict:
    """Progress of one sub-criterion from the rows' counters (no marks read)."""
    complete = partial = disputed = 0
    for row in rows:
        if row.entry not in roster.members:
            continue
        need, _ = required_scores(roster, row.entry, policy)
        complete += row.marks_in + sum(1 for n in row.scores.values() if n >= need)
        partial += sum(1 for n in row.scores.values() if 0 < n < need)
        disputed += row.disputed
    return _status(scheme, sub, len(roster.members), complete, partial, disputed, locked)


def sub_status(scheme: MarkingScheme, sub: str, rows: Iterable[RowMarks], roster: Roster, policy: dict,
               locked: bool) -> dict:
    """Progress of one sub-criterion with the list of what is missing (``_missing``) or disputed (``_disputed``)."""
    held = {row.entry: row for row in rows}
    limit = policy.get("dispute_limit")
    missing: list[dict] = []
    disputed: list[dict] = []
    complete = partial = 0
    positions = {a.id: scheme.aspects.index(a) for a in scheme.aspects_of(sub)}
    for entry in sorted(roster.members):
        row = held.get(entry) or RowMarks(entry, sub)
        need, eligible = required_scores(roster, entry, policy)
        for aspect_id, position in positions.items():
            if position in row.marks:
                complete += 1
                continue
            if not scheme.aspects[position].is_judgement:
                missing.append({"entry": entry, "aspect": aspect_id, "problem": "no mark"})
                continue
            given = row.scores.get(position) or {}
            if is_disputed(given, limit):
                values = list(given.values())
                disputed.append({"entry": entry, "aspect": aspect_id, "sub_criterion": sub,
                                 "scores": dict(sorted(given.items())), "spread": max(values) - min(values)})
            if len(given) >= need:
                complete += 1
                continue
            partial += bool(given)
            text = f"{len(given)} of {need} judge scores"
            if eligible < need:
                text += f" (only {eligible} judge(s) may mark this entry)"
            missing.append({"entry": entry, "aspect": aspect_id, "problem": text})
    status = _status(scheme, sub, len(roster.members), complete, partial, len(disputed), locked)
    return {**status, "_missing": missing, "_disputed": disputed}


def public(status: dict) -> dict:
    return {k: v for k, v in status.items() if not k.startswith("_")}


def results_input(scheme: MarkingScheme, rows: Iterable[RowMarks], entries: set[str]) -> tuple[dict, dict]:
    """Measurements and judgements of the active entries in the shape ``compute_results`` takes."""
    aspects = scheme.aspects
    measurements: dict[tuple[str, str], str] = {}
    judgements: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        if row.entry not in entries:
            continue
        for position, held in row.marks.items():
            measurements[(row.entry, aspects[position].id)] = held[0]
        for position, scores in row.scores.items():
            if scores:
                judgements[(row.entry, aspects[position].id)] = dict(scores)
    return measurements, judgements


def delegation_label(delegation: dict | None) -> str | None:
    return f"{delegation['kind']}:{delegation['name']}" if delegation else None


def disputed_cell(payload: dict, chief: str, roster: Roster, scheme: MarkingScheme,
                  index: dict[str, int]) -> tuple[str | None, int, list[dict]]:
    """(entry, aspect position, problems) of a dispute resolution's contestant, sub-criterion and aspect."""
    problems: list[dict] = []
    named = payload["contestant"]
    entry = roster.entry_of.get(named) or (named if named in roster.members else None)
    if entry is None:
        known = named in roster.all_entries
        problems.append(problem("/contestant", f"{named} has withdrawn" if known else
                                f"no contestant or team {named!r} in this competition",
                                "WITHDRAWN" if known else "UNKNOWN_CONTESTANT"))
    elif roster.conflicted(chief, entry):
        problems.append(problem("/contestant", f"{chief} has a conflict of interest with "
                                f"{', '.join(roster.conflicted(chief, entry))} and may not resolve this dispute",
                                "CONFLICT_OF_INTEREST"))
    aspect_id, sub = payload["aspect"], payload["sub_criterion"]
    position = index.get(aspect_id, -1)
    if position < 0:
        problems.append(problem("/aspect", f"no aspect {aspect_id!r} in the marking scheme", "UNKNOWN_ASPECT"))
        return entry, position, problems
    aspect = scheme.aspects[position]
    if not aspect.is_judgement:
        problems.append(problem("/aspect", f"{aspect_id} is a measurement aspect: only judgement scores are disputed",
                                "WRONG_TYPE"))
    if aspect.sub_criterion != sub:
        problems.append(problem("/sub_criterion", f"{aspect_id} belongs to sub-criterion {aspect.sub_criterion}, "
                                f"not {sub}", "WRONG_SUB_CRITERION"))
    return entry, position, problems
