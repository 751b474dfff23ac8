"""Conflicts of interest between judges and contestants (the compatriot rule, widened).

A judge must not mark a contestant with whom there is a conflict. Which relations count is
competition policy (``Competition.conflict_relations``), a subset of:

- ``same_employer``: the judge's employer is the contestant's employer;
- ``same_training_base``: the judge's training base is the contestant's delegation when that
  delegation is a training base, or the contestant's own ``training_base``;
- ``same_delegation``: the judge's delegation is the contestant's (names compared; kinds too when
  the judge's delegation carries a kind);
- ``declared``: a relation a judge or organiser declared for one contestant.

Names compare by ``text.name_key`` (full-width, whitespace and case folded); empty names never
match. Declarations naming a judge or contestant not in the given lists are ignored (the judge is
not assigned, or the contestant withdrew), so the result only holds pairs the caller knows.
Judges and contestants may be the dataclasses here and in ``contestant`` or plain mappings.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .competition import CONFLICT_RELATIONS
from .contestant import Delegation
from .text import name_key


@dataclass(frozen=True)
class Judge:
    """A judge/expert as the conflict rules see them; ``delegation`` may be a name or Delegation."""

    judge_id: str
    employer: str | None = None
    training_base: str | None = None
    delegation: Delegation | str | None = None
    username: str | None = None


@dataclass(frozen=True)
class DeclaredConflict:
    judge: str  # judge_id or username
    contestant_id: str
    relation: str | None = None  # free text, e.g. "trainer", "relative", "师徒"
    note: str | None = None


@dataclass(frozen=True, eq=True)
class Conflict:
    """A judge who must not mark a contestant, and why (reasons in ``CONFLICT_RELATIONS`` order)."""

    judge: str
    contestant_id: str
    reasons: list[str]
    notes: list[str] = field(default_factory=list)


def derive_conflicts(policy_relations: Iterable[str], judges: Iterable[Any],
                     contestants: Iterable[Any], declared: Iterable[Any] = ()) -> list[Conflict]:
    """Every conflicted (judge, contestant) pair under the competition's relations, sorted."""
    relations = set(policy_relations)
    unknown = relations - set(CONFLICT_RELATIONS)
    if unknown:
        raise ValueError(f"unknown conflict relations: {sorted(unknown)}")
    judge_list = [_judge_view(j) for j in judges]
    contestant_list = [_contestant_view(c) for c in contestants]
    found: dict[tuple[str, str], tuple[set[str], list[str]]] = {}
    for judge in judge_list:
        for contestant in contestant_list:
            reasons = _attribute_reasons(judge, contestant) & relations
            if reasons:
                found[(judge["id"], contestant["id"])] = (reasons, [])
    if "declared" in relations:
        _add_declared(found, judge_list, contestant_list, declared)
    return [Conflict(judge, contestant_id, [r for r in CONFLICT_RELATIONS if r in reasons], notes)
            for (judge, contestant_id), (reasons, notes) in sorted(found.items())]


def conflict_pairs(conflicts: Iterable[Conflict]) -> set[tuple[str, str]]:
    """(judge, contestant_id) pairs a judge must not mark."""
    return {(c.judge, c.contestant_id) for c in conflicts}


def _attribute_reasons(judge: dict, contestant: dict) -> set[str]:
    reasons = set()
    if _same(judge["employer"], contestant["employer"]):
        reasons.add("same_employer")
    bases = {contestant["training_base"]}
    if contestant["delegation_kind"] == "training_base":
        bases.add(contestant["delegation"])
    if judge["training_base"] and name_key(judge["training_base"]) in bases:
        reasons.add("same_training_base")
    kind_ok = judge["delegation_kind"] is None or judge["delegation_kind"] == contestant["delegation_kind"]
    if kind_ok and _same(judge["delegation"], contestant["delegation"]):
        reasons.add("same_delegation")
    return reasons


def _add_declared(found: dict, judges: list[dict], contestants: list[dict],
                  declared: Iterable[Any]) -> None:
    judge_ids = {alias: j["id"] for j in judges for alias in j["aliases"]}
    contestant_ids = {c["id"] for c in contestants}
    for item in declared:
        judge = judge_ids.get(str(_get(item, "judge") or ""))
        contestant_id = str(_get(item, "contestant_id") or "")
        if judge is None or contestant_id not in contestant_ids:
            continue
        reasons, notes = found.setdefault((judge, contestant_id), (set(), []))
        reasons.add("declared")
        text = ": ".join(t for t in (_get(item, "relation"), _get(item, "note")) if t)
        if text and text not in notes:
            notes.append(text)


def _same(a: str, b: str) -> bool:
    return bool(a) and a == b


def _judge_view(judge: Any) -> dict:
    judge_id = _get(judge, "judge_id") or _get(judge, "username")
    if not judge_id:
        raise ValueError("a judge needs a judge_id or username")
    kind, delegation = _delegation(_get(judge, "delegation"))
    aliases = {str(a) for a in (_get(judge, "judge_id"), _get(judge, "username")) if a}
    return {"id": str(judge_id), "aliases": aliases,
            "employer": name_key(_get(judge, "employer")),
            "training_base": name_key(_get(judge, "training_base")),
            "delegation": delegation, "delegation_kind": kind}


def _contestant_view(contestant: Any) -> dict:
    contestant_id = _get(contestant, "contestant_id")
    if not contestant_id:
        raise ValueError("a contestant needs a contestant_id")
    kind, delegation = _delegation(_get(contestant, "delegation"))
    return {"id": str(contestant_id), "employer": name_key(_get(contestant, "employer")),
            "training_base": name_key(_get(contestant, "training_base")),
            "delegation": delegation, "delegation_kind": kind}


def _delegation(value: Any) -> tuple[str | None, str]:
    """(kind or None, name key) of a delegation given as text, mapping or ``Delegation``."""
    if value is None or isinstance(value, str):
        return None, name_key(value)
    return _get(value, "kind") or None, name_key(_get(value, "name"))


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)
