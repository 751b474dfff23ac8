"""The one table ``make bench`` prints: figure, value, ceiling measured in the same run, ratio, target,
met or not."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Row:
    figure: str
    value: str
    ceiling: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None  # None: a figure without a target

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("met" if self.met else "NOT met")


def number(value: float, unit: str = "", digits: int = 0) -> str:
    return f"{value:,.{digits}f}{(' ' + unit) if unit else ''}"


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def render(rows: list[Row], title: str) -> str:
    header = ("figure", "value", "ceiling (same run)", "ratio", "target", "met")
    cells = [header] + [(r.figure, r.value, r.ceiling, r.ratio, r.target, r.verdict) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    lines = [title, "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)) + " |" for cell in cells[1:]]
    return "\n".join(lines)
