"""Marks of one competition as the service holds them: checking a batch, progress, disputes, results input.

Pure functions over the in-memory views (:class:`~services.scoring.storage.Roster`, the parsed
scheme, sheet documents); the service reads and writes the database around them.

Decisions (see also ``services/scoring/README.md``):

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
from dataclasses import dataclass
from typing import Any

from services.scoring.domain.marking import (
    AGGREGATIONS,
    is_disputed,
    judgement_score_valid,
    measurement_mark_valid,
    observed_mark,
)
from services.scoring.domain.measurement import observation_for
from services.scoring.domain.numbers import format_mark, parse_decimal
from services.scoring.domain.scheme import MarkingScheme
from services.scoring.storage import Roster, key, unkey

MAX_DETAILS = 200
ITEM_KEYS = frozenset(("contestant_id", "team", "aspect", "value", "score", "observed"))
TOP_KEYS = frozenset(("request_id", "marks", "reason"))
MAX_MARKS = 20_000


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


def shape_ok(payload: Any) -> bool:
    """A fast check that the payload has the shape of ``schemas/marks_submit.json``.

    False means "let the JSON Schema say what is wrong"; it is never more permissive than the
    schema, so a True here lets a batch of thousands of marks skip the slow generic validator.
    """
    if not isinstance(payload, dict) or not TOP_KEYS.issuperset(payload):
        return False
    request_id, reason, marks = payload.get("request_id"), payload.get("reason"), payload.get("marks")
    if not isinstance(request_id, str) or not 1 <= len(request_id) <= 100:
        return False
    if reason is not None and not (isinstance(reason, str) and 1 <= len(reason) <= 2000):
        return False
    if not isinstance(marks, list) or not 1 <= len(marks) <= MAX_MARKS:
        return False
    for item in marks:
        if type(item) is not dict or not ITEM_KEYS.issuperset(item):
            return False
        for name in ("contestant_id", "team", "aspect"):
            text = item.get(name)
            if text is not None and not (type(text) is str and 0 < len(text) <= 100):
                return False
        if "aspect" not in item:
            return False
        value, score = item.get("value"), item.get("score")
        if value is not None and not (type(value) in (int, float) or (type(value) is str and len(value) <= 20)):
            return False
        if score is not None and type(score) is not int:
            return False
        observed = item.get("observed")
        if observed is not None and not (type(observed) in (int, float, bool) or
                                         (type(observed) is str and len(observed) <= 200)):
            return False
    return True


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
        position = index.get(aspect_id)
        if position is None:
            problems.append(problem(base + "/aspect", f"no aspect {aspect_id!r} in the marking scheme", "UNKNOWN_ASPECT"))
            continue
        aspect = aspects[position]
        clashes = roster.conflicted(judge, entry) if entry is not None else []
        if clashes:
            reasons = sorted({r for cid in clashes for r in roster.conflicts.get((judge, cid), [])})
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


# --------------------------------------------------------------------------- reading sheets


def required_scores(roster: Roster, entry: str, policy: dict) -> tuple[int, int]:
    """(scores a judgement aspect of ``entry`` needs, judges who may give them)."""
    floor = AGGREGATIONS[policy["judgement_aggregation"]].min_judges
    eligible = len(roster.eligible_judges(entry))
    return max(floor, min(int(policy.get("min_judges") or 3), eligible)), eligible


def sub_status(scheme: MarkingScheme, index: dict[str, int], sheet: dict, roster: Roster, policy: dict) -> dict:
    """Progress of one sub-criterion with the list of what is missing or disputed."""
    sub = sheet["sub"]
    aspects = scheme.aspects_of(sub)
    limit = policy.get("dispute_limit")
    m, j = sheet.get("m") or {}, sheet.get("j") or {}
    entries = sorted(roster.members)
    missing: list[dict] = []
    disputed: list[dict] = []
    complete = partial = 0
    for entry in entries:
        ekey = key(entry)
        marks, scores = m.get(ekey) or {}, j.get(ekey) or {}
        need, eligible = required_scores(roster, entry, policy)
        for aspect in aspects:
            slot = str(index[aspect.id])
            if not aspect.is_judgement:
                if slot in marks:
                    complete += 1
                else:
                    missing.append({"entry": entry, "aspect": aspect.id, "problem": "no mark"})
                continue
            given = scores.get(slot) or {}
            values = list(given.values())
            if is_disputed(values, limit):
                disputed.append({"entry": entry, "aspect": aspect.id, "sub_criterion": sub,
                                 "scores": {unkey(k): v for k, v in sorted(given.items())},
                                 "spread": max(values) - min(values)})
            if len(values) >= need:
                complete += 1
            else:
                partial += bool(values)
                text = f"{len(values)} of {need} judge scores"
                if eligible < need:
                    text += f" (only {eligible} judge(s) may mark this entry)"
                missing.append({"entry": entry, "aspect": aspect.id, "problem": text})
    expected = len(entries) * len(aspects)
    return {"sub_criterion": sub, "name": scheme.sub_criterion(sub).name, "aspects": len(aspects),
            "entries": len(entries), "expected": expected, "in": complete, "missing": expected - complete,
            "partial": partial, "disputed": len(disputed), "locked": bool(sheet.get("locked")),
            "_missing": missing, "_disputed": disputed}


def public(status: dict) -> dict:
    return {k: v for k, v in status.items() if not k.startswith("_")}


def results_input(scheme: MarkingScheme, sheets: Iterable[dict], entries: set[str]) -> tuple[dict, dict]:
    """Measurements and judgements of the active entries in the shape ``compute_results`` takes."""
    aspects = scheme.aspects
    measurements: dict[tuple[str, str], str] = {}
    judgements: dict[tuple[str, str], dict[str, int]] = {}
    for sheet in sheets:
        for ekey, marks in (sheet.get("m") or {}).items():
            entry = unkey(ekey)
            if entry in entries:
                for slot, held in marks.items():
                    measurements[(entry, aspects[int(slot)].id)] = held[0]
        for ekey, by_aspect in (sheet.get("j") or {}).items():
            entry = unkey(ekey)
            if entry in entries:
                for slot, scores in by_aspect.items():
                    if scores:
                        judgements[(entry, aspects[int(slot)].id)] = {unkey(k): v for k, v in scores.items()}
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
