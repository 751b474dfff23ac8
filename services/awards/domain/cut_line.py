"""The quota/budget cut line of a ranked nominee list, the round's own approvals inside it."""
from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from .ranking import Criterion, tie_break


class Ranked(Protocol):
    """What the cut line reads of a ranked nominee."""

    @property
    def position(self) -> int: ...

    @property
    def person_key(self) -> str: ...

    @property
    def total(self) -> Decimal: ...

    @property
    def tie_break(self) -> str | None: ...


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
    ranked: Sequence[Ranked],
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


def _entry(nominee: Ranked, approved: bool, cut_after: int, limited_by: str | None) -> CutLineEntry:
    if approved:
        return CutLineEntry(nominee.position, nominee.person_key, True, "approved in this round")
    if nominee.position <= cut_after:
        return CutLineEntry(nominee.position, nominee.person_key, True, "inside the cut line")
    return CutLineEntry(nominee.position, nominee.person_key, False,
                        f"below the cut line set by the {LIMIT_WORDS.get(limited_by or '', 'approvals')}")


def _why(undecided: Sequence[Ranked], capacity: int | None, filled: int, limited_by: str | None,
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
    text = f"Capacity {capacity} ({'; '.join(limits)}), set by the {LIMIT_WORDS[limited_by or 'quota']}." + done
    if filled == len(undecided):
        return text + (f" All {len(undecided)} nominees not yet approved fit." if approvals.count
                       else f" All {len(undecided)} nominees fit.")
    last = undecided[filled - 1].position if filled else 0
    text += (f" Cut after position {last}; {len(undecided) - filled} nominee(s) below the line."
             if filled else f" No place left: {len(undecided)} nominee(s) below the line.")
    return text + _tie_at_cut(undecided, filled)


def _tie_at_cut(undecided: Sequence[Ranked], filled: int) -> str:
    if filled == 0:
        return ""
    last_in, first_out = undecided[filled - 1], undecided[filled]
    if last_in.total != first_out.total:
        return ""
    return (f" Positions {last_in.position} and {first_out.position} are tied on total {last_in.total}; "
            f"the tie-break decided: {last_in.tie_break}.")


@dataclass(frozen=True)
class _Row:
    """A ranked row as the cut line reads it."""

    position: int
    person_key: str
    total: Decimal
    tie_break: str | None


def cut_line_of_rows(criteria: Sequence[Criterion], rows: Sequence[dict], quota: int | None,
                     budget_yuan: int | None, amount: int | None, approved_count: int = 0,
                     approved_sum_yuan: int = 0) -> dict:
    """The cut line over ordered, numbered ranked rows (without the per-entry list); the round's
    approvals (its counters, as the approval guards read them) are inside first."""
    ranked = [_Row(row["position"], row["person_key"], Decimal(row["total"]),
                   tie_break(criteria, row, rows[index - 1] if index else None,
                             rows[index + 1] if index + 1 < len(rows) else None))
              for index, row in enumerate(rows)]
    approvals = Approvals(approved_count, approved_sum_yuan,
                          {row["person_key"] for row in rows if row.get("status") == APPROVED})
    line = draw_cut_line(ranked, quota, budget_yuan, amount, approvals).to_dict()
    line.pop("entries")
    return line
