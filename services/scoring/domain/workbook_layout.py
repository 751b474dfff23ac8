"""What both marking-scheme workbook layouts share (the CIS import and the 评分表): cell values and
their reading (text, numbers, formulas), the sheet's values with cell references, header
recognition, and assembling a scheme from what a sheet held with its problems sorted by cell.
Pure: the workbook is opened by :mod:`services.scoring.adapters.scheme_workbook`.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from openpyxl.utils import get_column_letter

from .errors import Problem
from .numbers import format_mark, parse_decimal
from .scheme import SCHEME_TOTAL, Aspect, Criterion, MarkingScheme, SubCriterion, WsosSection
from .scheme_json import with_references

MAX_ROWS = 10_000
MAX_COLUMNS = 60
_CONSTANT_FORMULA = re.compile(r"^=\s*\+?\s*\(?\s*([0-9]*[.,]?[0-9]+)\s*\)?\s*$")
_DAY = re.compile(r"^(?:c|day)?\s*[-.]?\s*(\d{1,2})$", re.IGNORECASE)
_NUMBERED_TYPE = re.compile(r"^([MJOS])\s*\d+$", re.IGNORECASE)
_FULL_OR_ZERO = re.compile(r"\bfull(?: marks?)? or (?:zero|nothing|0)\b|\ball or nothing\b", re.IGNORECASE)
_DEDUCT = re.compile(
    r"deduct(?:ion)?\s*(?:of\s*)?(\d+(?:[.,]\d+)?)\s*(?:marks?\s*)?(?:per|for each|each)\b", re.IGNORECASE
)
LEGACY_TYPES = {"O": "M", "S": "J"}

#: Usual column (1-based) of every aspect-block role; used only where the header cell is blank.
ASPECT_DEFAULT_COLUMNS = {
    "sub_id": 1, "sub_name": 2, "day": 3, "type": 4, "description": 5, "score": 6,
    "extra": 7, "requirement": 8, "wsos": 9, "calculation": 10, "max_mark": 11,
}
ASPECT_ROLE_NAMES = {
    "sub_id": "Sub Criterion ID", "sub_name": "Sub Criterion Name", "day": "Day of Marking",
    "type": "Aspect Type", "description": "Aspect - Description", "score": "Judg Score",
    "extra": "Extra Aspect Description", "requirement": "Requirement", "wsos": "WSOS Section",
    "calculation": "Calculation Row", "max_mark": "Max Mark", "step": "Deduction Step",
}
REQUIRED_ASPECT_ROLES = ("sub_id", "type", "description", "max_mark")


class FormulaCell(ValueError):
    """A cell holds a formula whose value we do not compute."""


# --------------------------------------------------------------------------- cell helpers


def norm(value: Any) -> str:
    """Header text compared loosely: lower case, words only, WSSS read as WSOS."""
    if value is None:
        return ""
    text = re.sub(r"[^a-z0-9\u4e00-\u9fff]+", " ", str(value).lower()).strip()
    return re.sub(r"\bwsss\b", "wsos", text)


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def number(value: Any) -> Decimal:
    """A cell's number; ``FormulaCell`` for a non-constant formula, ``ValueError`` otherwise."""
    if isinstance(value, str) and value.strip().startswith("="):
        constant = _CONSTANT_FORMULA.match(value.strip())
        if not constant:
            raise FormulaCell(f"formula {value.strip()} is not trusted here: enter the value")
        return parse_decimal(constant.group(1), allow_comma=True)
    if isinstance(value, (int, float, str, Decimal)) and not isinstance(value, bool):
        return parse_decimal(value, allow_comma=True)
    if hasattr(value, "text"):  # openpyxl ArrayFormula / DataTableFormula
        raise FormulaCell("array formula is not trusted here: enter the value")
    raise ValueError(f"not a number: {text(value)!r}")


def whole(value: Any) -> int:
    result = number(value)
    if result != result.to_integral_value():
        raise ValueError(f"not a whole number: {text(value)!r}")
    return int(result)


def divides(step: Decimal, max_mark: Decimal) -> bool:
    """Whether a step read from text divides the max mark (both within a 100-mark scheme)."""
    return 0 < step <= max_mark <= SCHEME_TOTAL and max_mark % step == 0


def first_filled(row: tuple[Any, ...]) -> int | None:
    return next((i for i, v in enumerate(row) if not blank(v)), None)


def filled(row: tuple[Any, ...]) -> list[int]:
    """1-based columns of the non-blank cells of a row."""
    return [i for i, v in enumerate(row, start=1) if not blank(v)]



# --------------------------------------------------------------------------- workbook and result


@dataclass
class Sheet:
    """The cell values of one sheet (formulas as text) and where problems go."""

    title: str
    rows: list[tuple[Any, ...]]

    def ref(self, column: int, row: int) -> str:
        return f"{self.title}!{get_column_letter(column)}{row}"

    def cell(self, row: int, column: int) -> Any:
        if not 1 <= row <= len(self.rows):
            return None
        values = self.rows[row - 1]
        return values[column - 1] if 0 < column <= len(values) else None


@dataclass
class SchemeImport:
    """An imported scheme, the layout it came in and the warnings for the organiser."""

    scheme: MarkingScheme
    layout: str  # "cis" or "score_sheet"
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- header recognition


def _is_aspect_header(row: tuple[Any, ...]) -> bool:
    norms = [norm(v) for v in row]
    has_sub = any(n.replace(" ", "").startswith("subcriteri") for n in norms)
    has_type = any("aspect type" in n or n == "type" for n in norms)
    return has_sub and has_type


def _is_marks_word(value: Any) -> bool:
    words = norm(value).split()
    return 0 < len(words) <= 4 and bool({"mark", "marks", "weight", "weighting"} & set(words)) \
        and not {"aspect", "variation", "total", "max"} & set(words)


def _is_wsos_header(row: tuple[Any, ...]) -> bool:
    norms = [norm(v) for v in row]
    has_section = any(n in ("section", "wsos section", "section number", "wsos section number") for n in norms)
    return has_section and any(_is_marks_word(v) for v in row)


def _is_criteria_header(row: tuple[Any, ...]) -> bool:
    first = first_filled(row)
    if first is None:
        return False
    lead = norm(row[first])
    return lead in ("id", "criterion", "criteria", "criterion id", "criteria id", "letter") and any(
        _is_marks_word(v) for v in row[first + 1:])


def _is_footer(row: tuple[Any, ...]) -> bool:
    norms = [norm(v) for v in row]
    return "competition" in norms and "total mark" in norms


def _header_kind(row: tuple[Any, ...]) -> str | None:
    if _is_aspect_header(row):
        return "aspects"
    if _is_wsos_header(row):
        return "wsos"
    if _is_criteria_header(row):
        return "criteria"
    if _is_footer(row):
        return "footer"
    return None


_ASPECT_ROLES: list[tuple[str, Callable[[set[str], str], bool]]] = [
    ("sub_id", lambda w, s: s.startswith("subcriteri") and s.endswith("id")),
    ("sub_name", lambda w, s: s.startswith("subcriteri") and bool({"name", "description"} & w)),
    ("day", lambda w, s: "day" in w),
    ("type", lambda w, s: "type" in w),
    ("wsos", lambda w, s: "wsos" in w),
    ("calculation", lambda w, s: "calculation" in w),
    ("max_mark", lambda w, s: "max" in w and bool({"mark", "marks"} & w)),
    ("step", lambda w, s: "step" in w),
    ("extra", lambda w, s: "extra" in w or ("score" in w and "description" in w)),
    ("score", lambda w, s: "score" in w),
    ("requirement", lambda w, s: "requirement" in w or "nominal" in w),
    ("description", lambda w, s: "description" in w),
]


def aspect_columns(header: tuple[Any, ...]) -> tuple[dict[str, int], list[str]]:
    """Roles → 1-based columns by header words; a missing role takes its usual column only
    when that header cell is blank. Also the required roles that could not be placed."""
    found: dict[str, int] = {}
    for index, value in enumerate(header, start=1):
        words_text = norm(value)
        words, squashed = set(words_text.split()), words_text.replace(" ", "")
        for role, matches in _ASPECT_ROLES:
            if words_text and role not in found and matches(words, squashed):
                found[role] = index
                break
    taken = set(found.values())
    for role, column in ASPECT_DEFAULT_COLUMNS.items():
        header_blank = column > len(header) or blank(header[column - 1])
        if role not in found and column not in taken and header_blank:
            found[role] = column
    return found, [role for role in REQUIRED_ASPECT_ROLES if role not in found]


# --------------------------------------------------------------------------- scheme and problems


def assemble_scheme(wsos: list[WsosSection], criteria: Sequence[tuple[str, str, Decimal | None]],
                    subs: list[SubCriterion], aspects: list[Aspect]) -> MarkingScheme:
    """A scheme from what a sheet held: aspect ids ``<sub>.<n>`` and CIS references are given
    here, and a criterion without a trusted mark (None: a formula) carries its aspects' sum."""
    ordinals: dict[str, int] = {}
    numbered = []
    for aspect in aspects:
        ordinals[aspect.sub_criterion] = ordinals.get(aspect.sub_criterion, 0) + 1
        numbered.append(replace(aspect, id=f"{aspect.sub_criterion}.{ordinals[aspect.sub_criterion]}"))
    sums: dict[str, Decimal] = {}
    for aspect in numbered:
        sums[aspect.sub_criterion[:1]] = sums.get(aspect.sub_criterion[:1], Decimal(0)) + aspect.max_mark
    marked = [Criterion(letter, name, mark if mark is not None else sums.get(letter, Decimal(0)))
              for letter, name, mark in criteria]
    return MarkingScheme(tuple(wsos), tuple(marked), tuple(subs), tuple(with_references(numbered)))


def cell_order(path: str) -> tuple[str, int, int, str]:
    match = re.search(r"^(.*)!([A-Z]+)(\d+)$", path)
    if not match:
        return ("", 0, 0, path)
    column = 0
    for char in match.group(2):
        column = column * 26 + ord(char) - 64
    return (match.group(1), int(match.group(3)), column, path)


def merge_problems(parse_problems: list[Problem], rule_problems: list[Problem],
                   shape_problems: Sequence[Problem] = ()) -> list[Problem]:
    """All problems sorted by sheet and cell; a rule problem on a cell that already failed to parse
    is dropped, and so is a shape problem on a cell that already has a problem."""
    failed = {p.path for p in parse_problems}
    merged = parse_problems + [p for p in rule_problems if p.path not in failed]
    named = {p.path for p in merged}
    merged += [p for p in shape_problems if p.path not in named]
    return sorted(dict.fromkeys(merged), key=lambda p: cell_order(p.path))


def scheme_summary(scheme: MarkingScheme) -> dict[str, Any]:
    """A short description of an imported scheme, for upload responses."""
    return {
        "criteria": len(scheme.criteria),
        "sub_criteria": len(scheme.sub_criteria),
        "aspects": len(scheme.aspects),
        "measurement_aspects": len(scheme.measurement_aspects),
        "judgement_aspects": len(scheme.judgement_aspects),
        "total": format_mark(scheme.total_max_mark),
    }
