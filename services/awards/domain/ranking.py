"""Ranked nominee lists and the quota/budget cut line.

Order: 1. total score (higher first); 2. the tie-break criteria of the policy's ``ranking``
section in turn (e.g. best medal, best place, highest tier, most recent result), each comparing
the competition results that count for the round year; 3. the round's lot: a seed drawn when the
round is opened and recorded with it, and per nominee the lot is the first 16 hex digits of
``SHA-256("<seed>:<person key>")``, the lower lot first, so anyone holding the seed redraws the same order. Positions are always
distinct; whenever two nominees share a total, each carries a ``tie_break`` sentence saying which
criterion separated them from their tied neighbours, or that the lot did.

This module is the one place the order and its explanation live, over ranked rows (plain dicts
with named fields, see :data:`ROW_FIELDS`): the service's stored ranking (``projections.ranking``)
and :func:`rank_nominees` both order and explain with :func:`ordered` and :func:`tie_break`.
"""
from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    my_lot, their_lot = (first.lot, second.lot) if this_is_first else (second.lot, first.lot)
    return (f"{verb} {other.label} by lot: equal on every criterion, the round's seeded draw gave "
            f"{my_lot} vs {their_lot} (lower first)")


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
# ranked rows

#: The fields of a ranked row (one per person of a round; the stored ranking keeps them as they are).
ROW_FIELDS = {
    "person_key": "the person", "name": "their name", "masked_id": "masked ID number",
    "employer": "employer", "industry": "industry", "district": "district", "skills": "skills on record",
    "total": "total score as text, 2 places", "score": "the total as a number (the sort key)",
    "best": "best achievement points", "latest_year": "latest scoring result year, or None",
    "tie_evidence": "value per tie-break criterion", "lot": "the round's lot of the person",
    "eligible": "eligible for the programme", "reason_codes": "why not eligible",
    "channel": "nomination channel, None when not nominated", "status": "nominee status, or None",
    "position": "1..n in the list", "tied": "how many in the list share the total",
}
OUT_OF_RUNNING = ("ineligible", "rejected")


def row_order(row: dict) -> tuple:
    return order_key(row["score"], row.get("tie_evidence") or (), row.get("lot") or "", row["person_key"])


def ordered(rows: Iterable[dict]) -> list[dict]:
    """Sort rows, number them 1..n and count how many share each total."""
    result = sorted(rows, key=row_order)
    numbered(result)
    return result


def numbered(rows: list[dict], chunk_size: int | None = None) -> set[int]:
    """Number rows already in order 1..n and count how many share each total.

    Returns the chunks of ``chunk_size`` positions holding a row whose position or tie count
    changed, or a row that had none (new): with the rows removed from the end, every chunk whose
    stored text can differ.
    """
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["total"]] = counts.get(row["total"], 0) + 1
    touched: set[int] = set()
    for index, row in enumerate(rows):
        position, tied = index + 1, counts[row["total"]]
        if row.get("position") != position or row.get("tied") != tied:
            row["position"], row["tied"] = position, tied
            if chunk_size:
                touched.add(index // chunk_size)
    return touched


def merged(rows: list[dict], changed: Mapping[str, dict | None]) -> list[dict]:
    """``rows`` (in order) with the rows of the keys in ``changed`` taken out and their new rows
    (None: none) put in place: the same list ``ordered`` gives for the whole, without sorting it.

    The order is total (the person key decides last), so inserting each new row by bisection
    gives exactly the position a full sort would.
    """
    result = [row for row in rows if row["person_key"] not in changed]
    for row in sorted((r for r in changed.values() if r is not None), key=row_order):
        bisect.insort(result, row, key=row_order)
    return result


def _side(row: dict) -> TieSide:
    return TieSide(row["person_key"], row.get("name") or "", row.get("tie_evidence") or (), row.get("lot") or "")


def tie_break(criteria: Sequence[Criterion], row: dict, before: dict | None, after: dict | None,
              tied_with: str | None = None) -> str | None:
    """Why ``row`` sits where it does among rows with the same total (None when no tie); ``before``
    and ``after`` are its neighbours in the list, ``tied_with`` names the others (default: how many)."""
    if row.get("tied", 1) <= 1:
        return None
    return explain_tie(criteria, row["total"], tied_with or f"{row['tied'] - 1} other(s)", _side(row),
                       _side(before) if before is not None and before["total"] == row["total"] else None,
                       _side(after) if after is not None and after["total"] == row["total"] else None)


def in_running(row: dict) -> bool:
    """A nominee still in the running: nominated, and not ruled out (ineligible or rejected)."""
    return row.get("channel") is not None and row.get("status") not in OUT_OF_RUNNING


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
    """Rank (record, score) pairs as ranked rows are ranked; ties on total are explained, naming the others."""
    criteria = tie_breaks(policy)
    pairs = {record.person_key: (record, score) for record, score in scored}
    rows = ordered({"person_key": key, "name": record.name, "total": str(score.total), "score": score.total,
                    "tie_evidence": tie_evidence(policy, record.achievements, score.round_year),
                    "lot": draw_lot(lot_seed, key)} for key, (record, score) in pairs.items())
    sharing: dict[str, list[str]] = {}
    for row in rows:
        sharing.setdefault(row["total"], []).append(_side(row).label)
    ranked = []
    for index, row in enumerate(rows):
        label = _side(row).label
        tied_with = ", ".join(other for other in sharing[row["total"]] if other != label)
        text = tie_break(criteria, row, rows[index - 1] if index else None,
                         rows[index + 1] if index + 1 < len(rows) else None, tied_with)
        record, score = pairs[row["person_key"]]
        ranked.append(RankedNominee(row["position"], record, score, text, row["lot"],
                                    (statuses or {}).get(row["person_key"])))
    return ranked
