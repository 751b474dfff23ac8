"""The ranked lists of a nominee round as compact rows: order, positions, ties, cut line.

The order is the domain's (``domain.ranking``): total score, then best single achievement, then
the most recent scoring achievement year, then person key. The service keeps it precomputed per
round (see ``storage``), so this module works on compact rows, one per candidate::

    {"k": person_key, "n": name, "m": masked_id, "e": employer, "i": industry, "d": district,
     "sk": [skills], "t": "123.50" (total), "s": 123.5, "b": best, "y": latest year | null,
     "nom": channel | null, "st": nominee status | null, "p": position, "tc": how many share "t"}

Two lists per round: ``field`` (every eligible person the service knows, nominated or not: the
source of suggestions) and ``nominees`` (eligible nominees still in the running: the ranked list
and its cut line).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Sequence

from services.awards.domain.ranking import draw_cut_line

OUT_OF_RUNNING = ("ineligible", "rejected")


def order_key(row: dict) -> tuple:
    year = row.get("y")
    return (-row["s"], -row["b"], -(year if year is not None else -1), row["k"])


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


_CRITERIA = (("best single achievement", "b"), ("most recent achievement year", "y"),
             ("person key (lexical order, last resort)", "k"))


def _shown(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    return str(value)


def _separation(first: dict, second: dict, verb: str, this_is_first: bool) -> str:
    other = second if this_is_first else first
    for name, key in _CRITERIA:
        a, b = first.get(key), second.get(key)
        if a != b:
            mine, theirs = (a, b) if this_is_first else (b, a)
            return f"{verb} {other['k']} by {name} ({_shown(mine)} vs {_shown(theirs)})"
    return f"{verb} {other['k']}: identical on every criterion"


def tie_break(row: dict, before: dict | None, after: dict | None) -> str | None:
    """Why ``row`` sits where it does among nominees with the same total (None when no tie)."""
    if row.get("tc", 1) <= 1:
        return None
    parts = [f"tied on total {row['t']} with {row['tc'] - 1} other(s)"]
    if before is not None and before["t"] == row["t"]:
        parts.append(_separation(before, row, "placed below", this_is_first=False))
    if after is not None and after["t"] == row["t"]:
        parts.append(_separation(row, after, "placed above", this_is_first=True))
    return "; ".join(parts)


@dataclass(frozen=True)
class _Ranked:
    """What ``draw_cut_line`` reads of a ranked nominee."""

    position: int
    person_key: str
    total: Decimal
    tie_break: str | None


def cut_line(rows: Sequence[dict], quota: int | None, budget_yuan: int | None, amount: int | None) -> dict:
    """The domain's cut line over the ordered nominee rows (without the per-entry list)."""
    ranked = []
    for index, row in enumerate(rows):
        before = rows[index - 1] if index else None
        after = rows[index + 1] if index + 1 < len(rows) else None
        text = tie_break(row, before, after) if row.get("tc", 1) > 1 else None
        ranked.append(_Ranked(row["p"], row["k"], Decimal(row["t"]), text))
    line = draw_cut_line(ranked, quota, budget_yuan, amount).to_dict()
    line.pop("entries")
    return line


def in_running(row: dict) -> bool:
    return row.get("nom") is not None and row.get("st") not in OUT_OF_RUNNING
