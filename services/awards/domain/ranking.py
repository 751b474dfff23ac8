"""Ranked nominee lists and the quota/budget cut line.

Order: 1. total score (higher first); 2. best single achievement points; 3. most recent
scoring achievement year; 4. person_key in lexical order, a last resort that is arbitrary but
stable. Positions are always distinct; whenever two nominees share a total, each carries a
``tie_break`` sentence saying which criterion separated them from their tied neighbours.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Sequence

from .candidates import CandidateRecord
from .scoring import Score


@dataclass(frozen=True)
class RankedNominee:
    position: int
    record: CandidateRecord
    score: Score
    tie_break: str | None = None

    @property
    def person_key(self) -> str:
        return self.record.person_key

    @property
    def total(self) -> Decimal:
        return self.score.total

    def to_dict(self) -> dict[str, Any]:
        return {"position": self.position, "person_key": self.person_key, "name": self.record.name,
                "total": str(self.total), "tie_break": self.tie_break, "score": self.score.to_dict()}


def _order_key(entry: tuple[CandidateRecord, Score]) -> tuple[Decimal, Decimal, int, str]:
    record, score = entry
    latest = score.latest_achievement_year
    return (-score.total, -score.best_achievement_points, -(latest if latest is not None else -1), record.person_key)


_TIE_BREAKERS = (
    ("best single achievement", lambda s, r: s.best_achievement_points),
    ("most recent achievement year", lambda s, r: s.latest_achievement_year),
    ("person key (lexical order, last resort)", lambda s, r: r.person_key),
)


def rank_nominees(scored: Iterable[tuple[CandidateRecord, Score]]) -> list[RankedNominee]:
    """Rank (record, score) pairs; ties on total are broken deterministically and explained."""
    ordered = sorted(scored, key=_order_key)
    sharing: dict[Decimal, list[str]] = {}
    for record, score in ordered:
        sharing.setdefault(score.total, []).append(record.person_key)
    return [
        RankedNominee(index + 1, record, score, _tie_break_text(ordered, index, sharing[score.total]))
        for index, (record, score) in enumerate(ordered)
    ]


def _tie_break_text(ordered: Sequence[tuple[CandidateRecord, Score]], index: int, same_total: list[str]) -> str | None:
    record, score = ordered[index]
    tied = [key for key in same_total if key != record.person_key]
    if not tied:
        return None
    parts = [f"tied on total {score.total} with {', '.join(tied)}"]
    if index > 0 and ordered[index - 1][1].total == score.total:
        parts.append(_separation(ordered[index - 1], ordered[index], "placed below"))
    if index + 1 < len(ordered) and ordered[index + 1][1].total == score.total:
        parts.append(_separation(ordered[index], ordered[index + 1], "placed above", this_is_first=True))
    return "; ".join(parts)


def _separation(first: tuple[CandidateRecord, Score], second: tuple[CandidateRecord, Score], verb: str,
                this_is_first: bool = False) -> str:
    """Which criterion put ``first`` ahead of ``second``, worded from the current nominee's side."""
    other = second if this_is_first else first
    for name, value in _TIE_BREAKERS:
        a, b = value(first[1], first[0]), value(second[1], second[0])
        if a != b:
            mine, theirs = (a, b) if this_is_first else (b, a)
            return f"{verb} {other[0].person_key} by {name} ({_shown(mine)} vs {_shown(theirs)})"
    return f"{verb} {other[0].person_key}: identical on every criterion"


def _shown(value: object) -> str:
    return "none" if value is None else str(value)


# ---------------------------------------------------------------------------------------------
# cut line


@dataclass(frozen=True)
class CutLineEntry:
    position: int
    person_key: str
    inside: bool
    note: str


@dataclass(frozen=True)
class CutLine:
    """The ranked list split at the capacity min(quota, budget // amount per person).

    ``cut_after`` is the last position inside (0 when nobody fits). ``limited_by`` is the
    constraint that sets the capacity: 'quota', 'budget', 'quota_and_budget' (equal), or None
    when neither limits. ``why`` explains it in a sentence.
    """

    capacity: int | None
    cut_after: int
    limited_by: str | None
    why: str
    entries: tuple[CutLineEntry, ...]
    funds_committed_yuan: int
    budget_left_yuan: int | None

    @property
    def inside(self) -> tuple[str, ...]:
        return tuple(e.person_key for e in self.entries if e.inside)

    def to_dict(self) -> dict[str, Any]:
        return {"capacity": self.capacity, "cut_after": self.cut_after, "limited_by": self.limited_by,
                "why": self.why, "funds_committed_yuan": self.funds_committed_yuan,
                "budget_left_yuan": self.budget_left_yuan,
                "entries": [e.__dict__.copy() for e in self.entries]}


def draw_cut_line(
    ranked: Sequence[RankedNominee],
    quota: int | None,
    budget_yuan: int | None,
    amount_per_person_yuan: int | None,
) -> CutLine:
    """Mark each ranked nominee inside or outside the quota and the budget."""
    _check_non_negative(quota=quota, budget_yuan=budget_yuan, amount_per_person_yuan=amount_per_person_yuan)
    by_budget = budget_yuan // amount_per_person_yuan if budget_yuan is not None and amount_per_person_yuan else None
    capacity, limited_by = _capacity(quota, by_budget)
    cut_after = len(ranked) if capacity is None else min(capacity, len(ranked))
    entries = tuple(_entry(n, cut_after, limited_by) for n in ranked)
    committed = cut_after * (amount_per_person_yuan or 0)
    return CutLine(
        capacity=capacity,
        cut_after=cut_after,
        limited_by=limited_by,
        why=_why(ranked, capacity, cut_after, limited_by, quota, budget_yuan, amount_per_person_yuan, by_budget),
        entries=entries,
        funds_committed_yuan=committed,
        budget_left_yuan=None if budget_yuan is None else budget_yuan - committed,
    )


def _check_non_negative(**values: int | None) -> None:
    for name, value in values.items():
        if value is not None and value < 0:
            raise ValueError(f"{name} must not be negative")


def _capacity(quota: int | None, by_budget: int | None) -> tuple[int | None, str | None]:
    if quota is None and by_budget is None:
        return None, None
    if by_budget is None:
        return quota, "quota"
    if quota is None:
        return by_budget, "budget"
    if quota == by_budget:
        return quota, "quota_and_budget"
    return (quota, "quota") if quota < by_budget else (by_budget, "budget")


def _entry(nominee: RankedNominee, cut_after: int, limited_by: str | None) -> CutLineEntry:
    if nominee.position <= cut_after:
        return CutLineEntry(nominee.position, nominee.person_key, True, "inside the cut line")
    constraint = (limited_by or "").replace("_", " and ")
    return CutLineEntry(nominee.position, nominee.person_key, False, f"below the cut line set by the {constraint}")


def _why(ranked: Sequence[RankedNominee], capacity: int | None, cut_after: int, limited_by: str | None,
         quota: int | None, budget: int | None, amount: int | None, by_budget: int | None) -> str:
    if capacity is None:
        return f"No quota and no budget limit: all {len(ranked)} nominees are inside."
    limits = []
    if quota is not None:
        limits.append(f"quota {quota}")
    if by_budget is not None:
        limits.append(f"budget ¥{budget:,} ÷ ¥{amount:,} per person = {by_budget}")
    elif budget is not None:
        limits.append(f"budget ¥{budget:,} (no amount per person, so the budget does not limit)")
    text = f"Capacity {capacity} ({'; '.join(limits)}), set by the {limited_by.replace('_', ' and ')}."
    if cut_after == len(ranked):
        return text + f" All {len(ranked)} nominees fit."
    text += f" Cut after position {cut_after}; {len(ranked) - cut_after} nominee(s) below the line."
    return text + _tie_at_cut(ranked, cut_after)


def _tie_at_cut(ranked: Sequence[RankedNominee], cut_after: int) -> str:
    if cut_after == 0:
        return ""
    last_in, first_out = ranked[cut_after - 1], ranked[cut_after]
    if last_in.total != first_out.total:
        return ""
    return (f" Positions {cut_after} and {cut_after + 1} are tied on total {last_in.total}; "
            f"the tie-break decided: {last_in.tie_break}.")
