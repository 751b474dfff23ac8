"""The ranked lists of a nominee round as compact rows: order, positions, ties, cut line.

The order and its explanation are the domain's (``domain.ranking``: total, then the policy's
tie-break criteria, then the round's seeded lot); this module applies them to the compact rows the
service keeps precomputed per round (see ``storage``), one per candidate::

    {"k": person_key, "n": name, "m": masked_id, "e": employer, "i": industry, "d": district,
     "sk": [skills], "t": "123.50" (total), "s": 123.5, "b": best, "y": latest year | null,
     "tb": [value per tie-break criterion], "lot": the round's lot of the person,
     "nom": channel | null, "st": nominee status | null, "p": position, "tc": how many share "t"}

Two lists per round: ``field`` (every eligible person the service knows, nominated or not: the
source of suggestions) and ``nominees`` (eligible nominees still in the running, approved ones
included: the ranked list and its cut line).
"""
from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.awards.domain.ranking import APPROVED, Approvals, Criterion, TieSide, draw_cut_line, explain_tie
from services.awards.domain.ranking import order_key as domain_order_key

OUT_OF_RUNNING = ("ineligible", "rejected")


def order_key(row: dict) -> tuple:
    return domain_order_key(row["s"], row.get("tb") or (), row.get("lot") or "", row["k"])


def ordered(rows: Iterable[dict]) -> list[dict]:
    """Sort rows, number them 1..n and count how many share each total."""
    result = sorted(rows, key=order_key)
    counts: dict[str, int] = {}
    for row in result:
        counts[row["t"]] = counts.get(row["t"], 0) + 1
    for index, row in enumerate(result):
        row["p"] = index + 1
        row["tc"] = counts[row["t"]]
    return result


def numbered(rows: list[dict], chunk_size: int | None = None) -> set[int]:
    """Number rows already in order 1..n and count how many share each total (as ``ordered`` does).

    Returns the chunks of ``chunk_size`` positions holding a row whose position or tie count
    changed, or a row that had none (new); with the rows removed from the end, that is every chunk
    whose stored text can differ (``storage.write_list`` re-encodes only those).
    """
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["t"]] = counts.get(row["t"], 0) + 1
    touched: set[int] = set()
    for index, row in enumerate(rows):
        position, tied = index + 1, counts[row["t"]]
        if row.get("p") != position or row.get("tc") != tied:
            row["p"], row["tc"] = position, tied
            if chunk_size:
                touched.add(index // chunk_size)
    return touched


def merged(rows: list[dict], changed: dict[str, dict | None]) -> list[dict]:
    """``rows`` (in order) with the rows of the keys in ``changed`` taken out and their new rows
    (None: none) put in place: the same list ``ordered`` gives for the whole, without sorting it.

    The order is total (the person key decides last), so inserting each new row by bisection
    gives exactly the position a full sort would.
    """
    result = [row for row in rows if row["k"] not in changed]
    for row in sorted((r for r in changed.values() if r is not None), key=order_key):
        bisect.insort(result, row, key=order_key)
    return result


def _side(row: dict) -> TieSide:
    return TieSide(row["k"], row.get("n") or "", row.get("tb") or (), row.get("lot") or "")


def tie_break(criteria: Sequence[Criterion], row: dict, before: dict | None, after: dict | None) -> str | None:
    """Why ``row`` sits where it does among nominees with the same total (None when no tie)."""
    if row.get("tc", 1) <= 1:
        return None
    return explain_tie(criteria, row["t"], f"{row['tc'] - 1} other(s)", _side(row),
                       _side(before) if before is not None and before["t"] == row["t"] else None,
                       _side(after) if after is not None and after["t"] == row["t"] else None)


@dataclass(frozen=True)
class _Ranked:
    """What ``draw_cut_line`` reads of a ranked nominee."""

    position: int
    person_key: str
    total: Decimal
    tie_break: str | None


def cut_line(criteria: Sequence[Criterion], rows: Sequence[dict], quota: int | None, budget_yuan: int | None,
             amount: int | None, approved_count: int = 0, approved_sum_yuan: int = 0) -> dict:
    """The domain's cut line over the ordered nominee rows (without the per-entry list); the
    round's approvals (its counters, as the approval guards read them) are inside first."""
    ranked = []
    for index, row in enumerate(rows):
        before = rows[index - 1] if index else None
        after = rows[index + 1] if index + 1 < len(rows) else None
        ranked.append(_Ranked(row["p"], row["k"], Decimal(row["t"]), tie_break(criteria, row, before, after)))
    approvals = Approvals(approved_count, approved_sum_yuan, {r["k"] for r in rows if r.get("st") == APPROVED})
    line = draw_cut_line(ranked, quota, budget_yuan, amount, approvals).to_dict()
    line.pop("entries")
    return line


def in_running(row: dict) -> bool:
    return row.get("nom") is not None and row.get("st") not in OUT_OF_RUNNING
