"""Ranked nominee lists and the quota/budget cut line.

Order: 1. total score (higher first); 2. the tie-break criteria of the policy's ``ranking``
section in turn (e.g. best medal, best place, highest tier, most recent result), each comparing
the competition results that count for the round year; 3. the round's lot: a seed drawn when the
round is opened and recorded with it, and per nominee the lot is the first 16 hex digits of
``SHA-256("<seed>:<person key>")``, the lower lot first, so anyone holding the seed redraws the same order. Positions are always
distinct; whenever two nominees share a total, each carries a ``tie_break`` sentence saying which
criterion separated them from their tied neighbours, or that the lot did.

This module is the one place the order and its explanation live: the service's compact ranked
rows (``services.awards.ranking_model``) call :func:`order_key` and :func:`explain_tie`.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .candidates import CandidateRecord
from .policy import Policy, as_policy, load_default_policy
from .scoring import Score

NO_VALUE = -(10 ** 9)  # "no such evidence": below every real value of every criterion
LOT_DIGITS = 16  # hex digits of SHA-256 kept as the lot (64 bits: equal lots are practically impossible)


# ---------------------------------------------------------------------------------------------
# tie-break criteria (policy data: ``ranking.tie_breaks``)


@dataclass(frozen=True)
class Criterion:
    """One tie-break criterion: ``value`` of a person's counted results (higher wins, ``NO_VALUE``
    when there is none) and ``shown`` to put a value in words."""

    name: str
    label: str
    value: Callable[[Sequence[Any]], int]
    shown: Callable[[int], str]


def _field(item: Any, name: str) -> Any:
    if type(item) is dict:  # the stored records (the hot path: every person of a round)
        return item.get(name)
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


def _best(values: Iterable[int]) -> int:
    return max(values, default=NO_VALUE)


def _ordinal(place: int) -> str:
    suffix = "th" if 10 <= place % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(place % 10, "th")
    return f"{place}{suffix}"


def _by_order(name: str, label: str, order: Sequence[str], of: Callable[[Any], str | None]) -> Criterion:
    """A criterion whose values are listed best first: the first scores len(order), the last 1."""
    worth = {item: len(order) - index for index, item in enumerate(order)}
    return Criterion(name, label, lambda results: _best(worth[v] for v in map(of, results) if v in worth),
                     lambda value: "none" if value == NO_VALUE else order[len(order) - value])


def _medal_of(result: Any) -> str | None:
    medal = _field(result, "medal")
    if medal in ("gold", "silver", "bronze"):
        return medal
    return "medallion" if _field(result, "medallion") else None


def _place_value(result: Any) -> int | None:
    rank = _field(result, "rank")
    return -int(rank) if isinstance(rank, int) and rank > 0 else None


def _criterion(spec: Mapping[str, Any]) -> Criterion:
    kind = spec["criterion"]
    if kind == "best_medal":
        return _by_order(kind, "best medal", spec["order"], _medal_of)
    if kind == "highest_tier":
        return _by_order(kind, "highest competition tier", spec["order"], lambda r: _field(r, "tier"))
    if kind == "best_place":
        return Criterion(kind, "best competition place",
                         lambda results: _best(v for v in map(_place_value, results) if v is not None),
                         lambda value: "none" if value == NO_VALUE else _ordinal(-value))
    if kind == "latest_result_year":
        return Criterion(kind, "most recent competition result",
                         lambda results: _best(int(_field(r, "year")) for r in results),
                         lambda value: "none" if value == NO_VALUE else str(value))
    raise ValueError(f"unknown tie-break criterion {kind!r}")


def tie_breaks(policy: Policy | Mapping[str, Any]) -> tuple[Criterion, ...]:
    """The policy's tie-break criteria in order (older policy versions without a ``ranking``
    section take the packaged default's)."""
    policy = as_policy(policy)

    def build() -> tuple[Criterion, ...]:
        section = policy.document.get("ranking") or load_default_policy().document["ranking"]
        return tuple(_criterion(spec) for spec in section["tie_breaks"])

    return policy.memo("tie_breaks", build)


def tie_evidence(policy: Policy | Mapping[str, Any], achievements: Iterable[Any], round_year: int) -> tuple[int, ...]:
    """A person's value on each tie-break criterion, from the results dated up to ``round_year``
    (achievements as records or their plain dicts)."""
    counted = [a for a in achievements if int(_field(a, "year")) <= round_year]
    return tuple(criterion.value(counted) for criterion in tie_breaks(policy))


def draw_lot(seed: str, person_key: str) -> str:
    """The nominee's lot in the round drawn with ``seed``: reproducible by anyone with the seed."""
    return hashlib.sha256(f"{seed}:{person_key}".encode()).hexdigest()[:LOT_DIGITS]


def order_key(total: Decimal | float, evidence: Sequence[int], lot: str, person_key: str) -> tuple:
    """Sort key of the ranked order: total, then each criterion (higher first), then the lot.

    The person key only separates two equal lots (a SHA-256 collision)."""
    return (-total, tuple(-v for v in evidence), lot, person_key)


@dataclass(frozen=True)
class TieSide:
    """What the tie-break text says about one nominee: who, and the values that ordered them."""

    person_key: str
    name: str
    evidence: Sequence[int]
    lot: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.person_key[:8]})" if self.name else self.person_key[:8]


def separation(criteria: Sequence[Criterion], first: TieSide, second: TieSide, this_is_first: bool) -> str:
    """Which criterion put ``first`` ahead of ``second``, worded from the current nominee's side."""
    other = second if this_is_first else first
    verb = "placed above" if this_is_first else "placed below"
    for index, criterion in enumerate(criteria):
        a, b = first.evidence[index], second.evidence[index]
        if a != b:
            mine, theirs = (a, b) if this_is_first else (b, a)
            return f"{verb} {other.label} by {criterion.label} ({criterion.shown(mine)} vs {criterion.shown(theirs)})"
    mine, theirs = (first.lot, second.lot) if this_is_first else (second.lot, first.lot)
    return (f"{verb} {other.label} by lot: equal on every criterion, the round's seeded draw gave "
            f"{mine} vs {theirs} (lower first)")


def explain_tie(criteria: Sequence[Criterion], total: str, tied_with: str, this: TieSide,
                before: TieSide | None, after: TieSide | None) -> str:
    """The tie-break sentence of ``this`` among nominees sharing ``total`` (``before``/``after``:
    its neighbours when they share it)."""
    parts = [f"tied on total {total} with {tied_with}"]
    if before is not None:
        parts.append(separation(criteria, before, this, this_is_first=False))
    if after is not None:
        parts.append(separation(criteria, this, after, this_is_first=True))
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# ranking explained scores


@dataclass(frozen=True)
class RankedNominee:
    position: int
    record: CandidateRecord
    score: Score
    tie_break: str | None = None
    lot: str = ""
    status: str | None = None

    @property
    def person_key(self) -> str:
        return self.record.person_key

    @property
    def total(self) -> Decimal:
        return self.score.total

    def to_dict(self) -> dict[str, Any]:
        return {"position": self.position, "person_key": self.person_key, "name": self.record.name,
                "total": str(self.total), "tie_break": self.tie_break, "lot": self.lot,
                "score": self.score.to_dict()}


def rank_nominees(scored: Iterable[tuple[CandidateRecord, Score]], policy: Policy | Mapping[str, Any],
                  lot_seed: str, statuses: Mapping[str, str] | None = None) -> list[RankedNominee]:
    """Rank (record, score) pairs by :func:`order_key`; ties on total are explained."""
    criteria = tie_breaks(policy)
    sides = []
    for record, score in scored:
        evidence = tie_evidence(policy, record.achievements, score.round_year)
        sides.append((record, score, TieSide(record.person_key, record.name, evidence,
                                             draw_lot(lot_seed, record.person_key))))
    sides.sort(key=lambda e: order_key(e[1].total, e[2].evidence, e[2].lot, e[2].person_key))
    sharing: dict[Decimal, list[str]] = {}
    for _, score, side in sides:
        sharing.setdefault(score.total, []).append(side.label)
    ranked = []
    for index, (record, score, side) in enumerate(sides):
        text = None
        tied = [label for label in sharing[score.total] if label != side.label]
        if tied:
            before = sides[index - 1][2] if index and sides[index - 1][1].total == score.total else None
            after = sides[index + 1][2] if index + 1 < len(sides) and sides[index + 1][1].total == score.total else None
            text = explain_tie(criteria, str(score.total), ", ".join(tied), side, before, after)
        ranked.append(RankedNominee(index + 1, record, score, text, side.lot,
                                    (statuses or {}).get(record.person_key)))
    return ranked


# ---------------------------------------------------------------------------------------------
# cut line

APPROVED = "approved"
LIMIT_WORDS = {"quota": "quota", "budget": "budget", "quota_and_budget": "quota and the budget"}


@dataclass(frozen=True)
class CutLineEntry:
    position: int
    person_key: str
    inside: bool
    note: str


@dataclass(frozen=True)
class CutLine:
    """The ranked list split at the round's capacity, min(quota, budget // amount per person).

    Funding granted in this round is part of it: approved nominees keep their rank and are inside,
    and they use up the quota and the budget first; the places left go to the best-ranked nominees
    not yet approved. ``cut_after`` is the position of the last of those inside (0 when none is):
    a nominee is inside when approved or at a position up to ``cut_after`` (:func:`inside_cut_line`).
    ``limited_by`` is the constraint that sets the capacity: 'quota', 'budget', 'quota_and_budget'
    (equal), or None when neither limits. ``why`` explains it in a sentence.
    """

    capacity: int | None
    cut_after: int
    limited_by: str | None
    why: str
    entries: tuple[CutLineEntry, ...]
    funds_committed_yuan: int
    budget_left_yuan: int | None
    approved: int = 0
    approved_yuan: int = 0
    places_left: int | None = None

    @property
    def inside(self) -> tuple[str, ...]:
        return tuple(e.person_key for e in self.entries if e.inside)

    def to_dict(self) -> dict[str, Any]:
        return {"capacity": self.capacity, "cut_after": self.cut_after, "limited_by": self.limited_by,
                "why": self.why, "funds_committed_yuan": self.funds_committed_yuan,
                "budget_left_yuan": self.budget_left_yuan, "approved": self.approved,
                "approved_yuan": self.approved_yuan, "places_left": self.places_left,
                "entries": [e.__dict__.copy() for e in self.entries]}


def inside_cut_line(position: int | None, status: str | None, cut_after: int | None) -> bool:
    """Whether a ranked nominee is inside the cut line ``cut_after`` (see :class:`CutLine`)."""
    if cut_after is None or position is None:
        return False
    return status == APPROVED or position <= cut_after


@dataclass(frozen=True)
class Approvals:
    """What the round has approved so far: the count and sum it keeps (the quota and budget
    guards read the same figures) and who, to mark them inside."""

    count: int = 0
    sum_yuan: int = 0
    person_keys: Collection[str] = ()


def draw_cut_line(
    ranked: Sequence[RankedNominee],
    quota: int | None,
    budget_yuan: int | None,
    amount_per_person_yuan: int | None,
    approvals: Approvals | None = None,
) -> CutLine:
    """Mark each ranked nominee inside or outside the quota and the budget, approvals first."""
    _check_non_negative(quota=quota, budget_yuan=budget_yuan, amount_per_person_yuan=amount_per_person_yuan)
    approvals = approvals or Approvals()
    approved = set(approvals.person_keys)
    amount = amount_per_person_yuan or 0
    by_budget = budget_yuan // amount if budget_yuan is not None and amount else None
    capacity, limited_by = _capacity(quota, by_budget)
    left = _places_left(quota, budget_yuan, amount, approvals)
    undecided = [n for n in ranked if n.person_key not in approved]
    filled = len(undecided) if left is None else min(left, len(undecided))
    cut_after = undecided[filled - 1].position if filled else 0
    entries = tuple(_entry(n, n.person_key in approved, cut_after, limited_by) for n in ranked)
    committed = approvals.sum_yuan + filled * amount
    return CutLine(
        capacity=capacity, cut_after=cut_after, limited_by=limited_by,
        why=_why(undecided, capacity, filled, limited_by, quota, budget_yuan, amount, by_budget, approvals, left),
        entries=entries, funds_committed_yuan=committed,
        budget_left_yuan=None if budget_yuan is None else budget_yuan - committed,
        approved=approvals.count, approved_yuan=approvals.sum_yuan, places_left=left,
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


def _places_left(quota: int | None, budget: int | None, amount: int, approvals: Approvals) -> int | None:
    """Places the quota and the budget leave after the approvals (None: unlimited)."""
    limits = []
    if quota is not None:
        limits.append(quota - approvals.count)
    if budget is not None and amount:
        limits.append((budget - approvals.sum_yuan) // amount)
    return max(0, min(limits)) if limits else None


def _entry(nominee: RankedNominee, approved: bool, cut_after: int, limited_by: str | None) -> CutLineEntry:
    if approved:
        return CutLineEntry(nominee.position, nominee.person_key, True, "approved in this round")
    if nominee.position <= cut_after:
        return CutLineEntry(nominee.position, nominee.person_key, True, "inside the cut line")
    return CutLineEntry(nominee.position, nominee.person_key, False,
                        f"below the cut line set by the {LIMIT_WORDS.get(limited_by or '', 'approvals')}")


def _why(undecided: Sequence[RankedNominee], capacity: int | None, filled: int, limited_by: str | None,
         quota: int | None, budget: int | None, amount: int, by_budget: int | None, approvals: Approvals,
         left: int | None) -> str:
    done = (f" {approvals.count} approved in this round (¥{approvals.sum_yuan:,}); {left} place(s) left."
            if approvals.count and left is not None else
            f" {approvals.count} approved in this round (¥{approvals.sum_yuan:,})." if approvals.count else "")
    if capacity is None:
        return f"No quota and no budget limit: all {len(undecided) + approvals.count} nominees are inside." + done
    limits = []
    if quota is not None:
        limits.append(f"quota {quota}")
    if by_budget is not None:
        limits.append(f"budget ¥{budget:,} ÷ ¥{amount:,} per person = {by_budget}")
    elif budget is not None:
        limits.append(f"budget ¥{budget:,} (no amount per person, so the budget does not limit)")
    text = f"Capacity {capacity} ({'; '.join(limits)}), set by the {LIMIT_WORDS[limited_by]}." + done
    if filled == len(undecided):
        return text + (f" All {len(undecided)} nominees not yet approved fit." if approvals.count
                       else f" All {len(undecided)} nominees fit.")
    last = undecided[filled - 1].position if filled else 0
    text += (f" Cut after position {last}; {len(undecided) - filled} nominee(s) below the line."
             if filled else f" No place left: {len(undecided)} nominee(s) below the line.")
    return text + _tie_at_cut(undecided, filled)


def _tie_at_cut(undecided: Sequence[RankedNominee], filled: int) -> str:
    if filled == 0:
        return ""
    last_in, first_out = undecided[filled - 1], undecided[filled]
    if last_in.total != first_out.total:
        return ""
    return (f" Positions {last_in.position} and {first_out.position} are tied on total {last_in.total}; "
            f"the tie-break decided: {last_in.tie_break}.")
