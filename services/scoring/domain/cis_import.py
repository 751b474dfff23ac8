"""Import a marking scheme from a WorldSkills CIS-style "Marking Scheme Import" workbook (.xlsx).

Sheet
    The sheet whose name contains "Marking Scheme" (any case), else the first sheet holding a
    sub-criterion header, else the first sheet. Problems are located as ``"<sheet>!<cell>"``,
    e.g. ``"Marking Scheme!K17"``.

Tables are found by their header rows, not by fixed row numbers, in any order, separated by
blank rows if you like. A table runs from its header to the next table header or the sheet end.

WSOS table
    Header row whose first filled cell starts with "WSOS" ("WSOS Section") and which has a marks
    column ("WSOS Marks", "Mark", "Weight"). Columns: section number, name ("Section Name"),
    WSOS marks. Other columns (aspect marks, variation: usually formulas) are ignored, as are
    blank rows and rows starting with "Total".

Criteria table
    Header row whose first filled cell is "Criterion"/"Criteria" (not "Sub ...") and which has a
    mark column. Columns: letter, name, mark. A "Total" row (typically ``=SUM(...)``) is skipped
    but remembered as the place to report a wrong scheme total. A criterion mark that is a
    formula other than a constant is not trusted: the criterion's mark becomes the sum of its
    aspects' max marks (so only the 100.00 total can then be wrong).

Sub-criterion / aspect table
    Header row with a "Sub Criteria ID" / "Sub Criterion ID" cell and an "Aspect Type" cell.
    Columns are matched by header words, defaulting to this layout::

        A  Sub Criteria ID          sub-criterion rows only ("A1")
        B  Sub Criteria Name        sub-criterion rows only
        C  Day of Marking           sub-criterion rows only (1, "C1", "Day 1"; blank allowed)
        D  Aspect Type              M or J on aspect rows
        E  Aspect Description       aspect rows; a row with only E filled is a group heading
        F  Judg Score               0-3 on the four rows after a J aspect
        G  Extra Aspect Description / Judgement Score Description
                                    M: requirement text ("Deduct 0.25 per error");
                                    J score rows: the descriptor of that score
        H  Requirement or Nominal Size (M only, optional; appended to G in brackets)
        I  WSOS Section             aspect rows
        J  Deduction Step           optional explicit step (M only)
        K  Max Mark                 aspect rows
        L  Total Mark               ignored (usually =SUM of K)

    A sub-criterion row may also carry an aspect (D filled). Aspect ids are
    ``<sub-criterion id>.<ordinal>`` ("A1.1", "A1.2" ...). When no explicit step is given for an
    M aspect, G is read: "Deduct 0.25 per error" makes 0.25 the step if it divides the max mark
    (otherwise there is no step); "Full marks or zero" makes the max mark the step.
    Group-heading rows and notes are skipped.

Numbers
    Numeric cells, or text holding a number (" 0.50 ", "0,5"). Formula cells are not trusted:
    a formula in an aspect's max mark (or WSOS marks, step) is a problem unless it is a constant
    such as ``=0.5``; formulas in total/variation columns are ignored and totals recomputed.

Every problem is collected, then :func:`~.scheme.validate_scheme` runs with cell paths; the
import raises :class:`SchemeInvalid` carrying all of them, sorted by cell.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO
from typing import Any, Iterable

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from .errors import Problem, SchemeInvalid
from .numbers import format_mark, parse_decimal
from .scheme import Aspect, Criterion, MarkingScheme, SubCriterion, WsosSection, validate_scheme

MAX_ROWS = 10_000
MAX_COLUMNS = 60
_CONSTANT_FORMULA = re.compile(r"^=\s*\+?\s*\(?\s*([0-9]*[.,]?[0-9]+)\s*\)?\s*$")
_DAY = re.compile(r"^(?:c|day)?\s*(\d{1,2})$", re.IGNORECASE)
_FULL_OR_ZERO = re.compile(r"\bfull(?: marks?)? or (?:zero|nothing|0)\b|\ball or nothing\b", re.IGNORECASE)
_DEDUCT = re.compile(
    r"deduct(?:ion)?\s*(?:of\s*)?(\d+(?:[.,]\d+)?)\s*(?:marks?\s*)?(?:per|for each|each)\b", re.IGNORECASE
)

ASPECT_DEFAULT_COLUMNS = {
    "sub_id": 1, "sub_name": 2, "day": 3, "type": 4, "description": 5, "score": 6,
    "extra": 7, "requirement": 8, "wsos": 9, "step": 10, "max_mark": 11,
}


class FormulaCell(ValueError):
    """A cell holds a formula whose value we do not compute."""


# --------------------------------------------------------------------------- cell helpers


def _norm(value: Any) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(value).lower()).strip() if value is not None else ""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: Any) -> Decimal:
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
    raise ValueError(f"not a number: {_text(value)!r}")


def _whole(value: Any) -> int:
    number = _number(value)
    if number != number.to_integral_value():
        raise ValueError(f"not a whole number: {_text(value)!r}")
    return int(number)


# --------------------------------------------------------------------------- header detection


def _first_filled(row: tuple[Any, ...]) -> int | None:
    return next((i for i, v in enumerate(row) if not _blank(v)), None)


def _is_mark_header(value: Any) -> bool:
    words = _norm(value).split()
    return 0 < len(words) <= 4 and bool({"mark", "marks", "weight", "weighting"} & set(words))


def _is_aspect_header(row: tuple[Any, ...]) -> bool:
    norms = [_norm(v) for v in row]
    has_sub = any(n.replace(" ", "").startswith("subcriteri") for n in norms)
    has_type = any("aspect type" in n or "aspecttype" in n or n == "type" for n in norms)
    return has_sub and has_type


def _header_kind(row: tuple[Any, ...]) -> str | None:
    first = _first_filled(row)
    if first is None:
        return None
    if _is_aspect_header(row):
        return "aspects"
    lead = _norm(row[first])
    has_mark = any(_is_mark_header(v) for v in row[first + 1:])
    if has_mark and lead.startswith("wsos"):
        return "wsos"
    if has_mark and re.match(r"^criteri(on|a)\b", lead) and len(lead.split()) <= 3:
        return "criteria"
    return None


_ASPECT_ROLES: list[tuple[str, Any]] = [
    ("sub_id", lambda w, s: s.startswith("subcriteri") and ("id" in w or s.endswith("id"))),
    ("sub_name", lambda w, s: "subcriteri" in s and ("name" in w or "description" in w)),
    ("day", lambda w, s: "day" in w),
    ("type", lambda w, s: "type" in w),
    ("wsos", lambda w, s: "wsos" in w),
    ("max_mark", lambda w, s: "max" in w and bool({"mark", "marks"} & w)),
    ("step", lambda w, s: "step" in w),
    ("score", lambda w, s: "score" in w and "description" not in w),
    ("extra", lambda w, s: "extra" in w or ("score" in w and "description" in w)),
    ("requirement", lambda w, s: "requirement" in w or "nominal" in w),
    ("description", lambda w, s: "description" in w and "name" not in w),
]


def _aspect_columns(header: tuple[Any, ...]) -> dict[str, int]:
    """Map roles to 1-based columns by header words; unmatched roles keep the default column."""
    found: dict[str, int] = {}
    for index, value in enumerate(header, start=1):
        norm = _norm(value)
        words, squashed = set(norm.split()), norm.replace(" ", "")
        for role, matches in _ASPECT_ROLES:
            if norm and role not in found and matches(words, squashed):
                found[role] = index
                break
    taken = set(found.values())
    for role, column in ASPECT_DEFAULT_COLUMNS.items():
        if role not in found and column not in taken:
            found[role] = column
    return found


def _table_columns(header: tuple[Any, ...], name_words: set[str]) -> dict[str, int]:
    """Key, name and mark columns (1-based) of the WSOS or criteria table."""
    key = (_first_filled(header) or 0) + 1
    mark = name = None
    for index, value in enumerate(header, start=1):
        words = set(_norm(value).split())
        if index == key:
            continue
        if mark is None and _is_mark_header(value) and not {"aspect", "aspects", "variation", "total"} & words:
            mark = index
        elif name is None and name_words & words:
            name = index
    return {"key": key, "name": name or key + 1, "mark": mark or key + 2}


# --------------------------------------------------------------------------- parsing


@dataclass
class _AspectDraft:
    row: int
    sub_id: str
    type: str
    description: str
    requirement: str
    wsos: int
    max_mark: Decimal
    step: Decimal | None
    step_column: int
    descriptors: dict[int, str] = field(default_factory=dict)


@dataclass
class _Parse:
    sheet: str
    rows: list[tuple[Any, ...]]
    problems: list[Problem] = field(default_factory=list)
    wsos: list[tuple[int, WsosSection]] = field(default_factory=list)
    criteria: list[tuple[int, str, str, Decimal | None]] = field(default_factory=list)
    subs: list[tuple[int, SubCriterion]] = field(default_factory=list)
    aspects: list[_AspectDraft] = field(default_factory=list)
    total_cell: str = ""
    aspect_header_row: int = 1
    columns: dict[str, dict[str, int]] = field(default_factory=dict)

    def ref(self, column: int, row: int) -> str:
        return f"{self.sheet}!{get_column_letter(column)}{row}"

    def add(self, column: int, row: int, message: str) -> None:
        self.problems.append(Problem(self.ref(column, row), message))

    def cell(self, row: int, column: int) -> Any:
        values = self.rows[row - 1]
        return values[column - 1] if column - 1 < len(values) else None


def parse_cis_xlsx(content: bytes) -> MarkingScheme:
    """Read and validate a CIS marking-scheme workbook; raise :class:`SchemeInvalid` with every problem."""
    parse = _read_sheet(content)
    headers = _find_headers(parse)
    if parse.problems:
        raise SchemeInvalid(parse.problems)
    _parse_wsos(parse, *headers["wsos"])
    _parse_criteria(parse, *headers["criteria"])
    _parse_aspect_table(parse, *headers["aspects"])
    scheme = _build_scheme(parse)
    problems = _merge(parse.problems, validate_scheme(scheme, _locator(parse, scheme)))
    if problems:
        raise SchemeInvalid(problems)
    return scheme


def _read_sheet(content: bytes) -> _Parse:
    try:
        workbook = load_workbook(BytesIO(content), data_only=False)
    except Exception as exc:  # noqa: BLE001 - any failure to read untrusted bytes means "not a workbook"
        raise SchemeInvalid([Problem("file", f"not a readable .xlsx workbook ({type(exc).__name__})")]) from None
    sheet = _pick_sheet(workbook)
    if sheet.max_row > MAX_ROWS:
        message = f"sheet has {sheet.max_row} rows; at most {MAX_ROWS} are read"
        raise SchemeInvalid([Problem(f"{sheet.title}!A1", message)])
    width = min(max(sheet.max_column, len(ASPECT_DEFAULT_COLUMNS)), MAX_COLUMNS)
    rows = list(sheet.iter_rows(min_row=1, max_row=sheet.max_row, min_col=1, max_col=width, values_only=True))
    return _Parse(sheet.title, rows)


def _pick_sheet(workbook: Any) -> Any:
    sheets = workbook.worksheets
    named = [s for s in sheets if "marking scheme" in _norm(s.title)]
    if named:
        return named[0]
    for sheet in sheets:
        head = sheet.iter_rows(min_row=1, max_row=min(sheet.max_row, 200), max_col=MAX_COLUMNS, values_only=True)
        if any(_is_aspect_header(row) for row in head):
            return sheet
    return sheets[0]


def _find_headers(parse: _Parse) -> dict[str, tuple[int, int]]:
    """First header row of each table and the row where its region ends (exclusive)."""
    starts: dict[str, int] = {}
    for number, row in enumerate(parse.rows, start=1):
        kind = _header_kind(row)
        if kind and kind not in starts:
            starts[kind] = number
    wanted = {"wsos": "a WSOS table (header 'WSOS Section ... WSOS Marks')",
              "criteria": "a criteria table (header 'Criterion ... Mark')",
              "aspects": "a sub-criterion table (header 'Sub Criteria ID ... Aspect Type')"}
    for kind, label in wanted.items():
        if kind not in starts:
            parse.add(1, 1, f"no {label} found in sheet {parse.sheet}")
    ordered = sorted(starts.values()) + [len(parse.rows) + 1]
    return {kind: (start, next(n for n in ordered if n > start)) for kind, start in starts.items()}


def _data_rows(parse: _Parse, start: int, end: int) -> Iterable[tuple[int, tuple[Any, ...]]]:
    for number in range(start + 1, end):
        row = parse.rows[number - 1]
        if _first_filled(row) is not None:
            yield number, row


def _parse_wsos(parse: _Parse, start: int, end: int) -> None:
    cols = _table_columns(parse.rows[start - 1], {"name", "title", "description", "section"})
    parse.columns["wsos"] = cols
    for number, _ in _data_rows(parse, start, end):
        key, marks = parse.cell(number, cols["key"]), parse.cell(number, cols["mark"])
        if _norm(key).startswith("total") or (_blank(key) and _blank(marks)):
            continue
        if _blank(key):
            parse.add(cols["key"], number, "WSOS marks without a section number")
            continue
        try:
            section = _whole(key)
        except ValueError:
            parse.add(cols["key"], number, f"WSOS section number must be a whole number, got {_text(key)!r}")
            continue
        name = _text(parse.cell(number, cols["name"]))
        parse.wsos.append((number, WsosSection(section, name, _read_mark(parse, number, cols["mark"], "WSOS marks"))))


def _read_mark(parse: _Parse, row: int, column: int, what: str) -> Decimal:
    """A required number; on any problem the problem is recorded and 0 returned."""
    value = parse.cell(row, column)
    if _blank(value):
        parse.add(column, row, f"{what} is missing")
        return Decimal(0)
    try:
        return _number(value)
    except ValueError as exc:
        parse.add(column, row, f"{what}: {exc}")
        return Decimal(0)


def _parse_criteria(parse: _Parse, start: int, end: int) -> None:
    cols = _table_columns(parse.rows[start - 1], {"name", "title", "description"})
    parse.columns["criteria"] = cols
    for number, _ in _data_rows(parse, start, end):
        key, mark = parse.cell(number, cols["key"]), parse.cell(number, cols["mark"])
        if _norm(key).startswith("total"):
            parse.total_cell = parse.total_cell or parse.ref(cols["mark"], number)
            continue
        if _blank(key) or (len(_text(key)) > 3 and _blank(mark)):
            continue  # notes beside the table
        name = _text(parse.cell(number, cols["name"]))
        parse.criteria.append((number, _text(key).upper(), name, _criterion_mark(parse, number, cols["mark"])))


def _criterion_mark(parse: _Parse, row: int, column: int) -> Decimal | None:
    """The criterion mark, or None for a formula (then computed from the aspects)."""
    try:
        return _number(parse.cell(row, column))
    except FormulaCell:
        return None
    except ValueError:
        return _read_mark(parse, row, column, "criterion mark")


class _AspectTable:
    """State machine over the sub-criterion/aspect rows."""

    def __init__(self, parse: _Parse, columns: dict[str, int]) -> None:
        self.parse = parse
        self.col = columns
        self.sub: SubCriterion | None = None
        self.aspect: _AspectDraft | None = None
        self.ordinal = 0

    def value(self, row: int, role: str) -> Any:
        return self.parse.cell(row, self.col[role])

    def feed(self, row: int) -> None:
        if not _blank(self.value(row, "sub_id")):
            self.sub_criterion(row)
        if not _blank(self.value(row, "type")):
            self.new_aspect(row)
        elif not _blank(self.value(row, "score")):
            self.descriptor(row)
        elif _blank(self.value(row, "sub_id")) and not _blank(self.value(row, "max_mark")):
            self.parse.add(self.col["type"], row, "a max mark without an aspect type (M or J)")

    def sub_criterion(self, row: int) -> None:
        sub_id = _text(self.value(row, "sub_id")).upper()
        self.sub = SubCriterion(sub_id, _text(self.value(row, "sub_name")), self.day(row), sub_id[:1])
        self.parse.subs.append((row, self.sub))
        self.aspect, self.ordinal = None, 0

    def day(self, row: int) -> int | None:
        value = self.value(row, "day")
        if _blank(value):
            return None
        match = _DAY.match(_text(value))
        if match and int(match.group(1)) >= 1:
            return int(match.group(1))
        self.parse.add(self.col["day"], row, f"day of marking must be like 1 or C1, got {_text(value)!r}")
        return None

    def new_aspect(self, row: int) -> None:
        if self.sub is None:
            self.parse.add(self.col["type"], row, "aspect row before any sub-criterion row")
            return
        self.ordinal += 1
        max_mark = _read_mark(self.parse, row, self.col["max_mark"], "max mark")
        step, step_column = self.step(row, max_mark)
        self.aspect = _AspectDraft(
            row=row, sub_id=self.sub.id, type=_text(self.value(row, "type")).upper(),
            description=_text(self.value(row, "description")), requirement=self.requirement(row),
            wsos=self.wsos(row), max_mark=max_mark, step=step, step_column=step_column,
        )
        self.parse.aspects.append(self.aspect)

    def requirement(self, row: int) -> str:
        extra, nominal = _text(self.value(row, "extra")), _text(self.value(row, "requirement"))
        if extra and nominal:
            return f"{extra} ({nominal})"
        return extra or nominal

    def wsos(self, row: int) -> int:
        value = self.value(row, "wsos")
        if _blank(value):
            self.parse.add(self.col["wsos"], row, "WSOS section is missing")
            return 0
        try:
            return _whole(value)
        except ValueError:
            self.parse.add(self.col["wsos"], row, f"WSOS section must be a section number, got {_text(value)!r}")
            return 0

    def step(self, row: int, max_mark: Decimal) -> tuple[Decimal | None, int]:
        explicit = self.value(row, "step")
        if not _blank(explicit):
            try:
                return _number(explicit), self.col["step"]
            except ValueError as exc:
                self.parse.add(self.col["step"], row, f"step: {exc}")
                return None, self.col["step"]
        inferred = self._inferred_step(row, max_mark)
        return (inferred, self.col["extra"]) if inferred else (None, self.col["step"])

    def _inferred_step(self, row: int, max_mark: Decimal) -> Decimal | None:
        """Step read from M requirement text: "Deduct 0.25 per error" or "Full marks or zero"."""
        extra = _text(self.value(row, "extra"))
        if _text(self.value(row, "type")).upper() != "M" or max_mark <= 0:
            return None
        if _FULL_OR_ZERO.search(extra):
            return max_mark
        match = _DEDUCT.search(extra)
        inferred = parse_decimal(match.group(1), allow_comma=True) if match else Decimal(0)
        return inferred if inferred > 0 and max_mark % inferred == 0 else None

    def descriptor(self, row: int) -> None:
        column = self.col["score"]
        aspect = self.aspect
        if aspect is None:
            self.parse.add(column, row, "judgement score row without a judgement aspect above it")
            return
        if aspect.type not in ("J", "M"):
            return  # the aspect's unknown type is reported by validation
        if aspect.type != "J":
            self.parse.add(column, row, f"judgement score row after a measurement aspect (row {aspect.row})")
            return
        try:
            score = _whole(self.value(row, "score"))
        except ValueError:
            score = -1
        if not 0 <= score <= 3:
            got = _text(self.value(row, "score"))
            self.parse.add(column, row, f"judgement score must be 0, 1, 2 or 3, got {got!r}")
        elif score in aspect.descriptors:
            self.parse.add(column, row, f"judgement score {score} is described twice")
        else:
            aspect.descriptors[score] = _text(self.value(row, "extra"))


def _parse_aspect_table(parse: _Parse, start: int, end: int) -> None:
    columns = _aspect_columns(parse.rows[start - 1])
    parse.columns["aspects"] = columns
    parse.aspect_header_row = start
    table = _AspectTable(parse, columns)
    for number, _ in _data_rows(parse, start, end):
        table.feed(number)


# --------------------------------------------------------------------------- scheme and paths


def _build_scheme(parse: _Parse) -> MarkingScheme:
    ordinals: dict[str, int] = {}
    aspects = []
    for draft in parse.aspects:
        ordinals[draft.sub_id] = ordinals.get(draft.sub_id, 0) + 1
        aspects.append(Aspect(
            id=f"{draft.sub_id}.{ordinals[draft.sub_id]}", sub_criterion=draft.sub_id, type=draft.type,
            description=draft.description, requirement=draft.requirement, wsos_section=draft.wsos,
            max_mark=draft.max_mark, step=draft.step, descriptors=dict(sorted(draft.descriptors.items())),
        ))
    sums: dict[str, Decimal] = {}
    for aspect in aspects:
        sums[aspect.sub_criterion[:1]] = sums.get(aspect.sub_criterion[:1], Decimal(0)) + aspect.max_mark
    criteria = [Criterion(letter, name, mark if mark is not None else sums.get(letter, Decimal(0)))
                for _, letter, name, mark in parse.criteria]
    wsos = tuple(w for _, w in parse.wsos)
    return MarkingScheme(wsos, tuple(criteria), tuple(s for _, s in parse.subs), tuple(aspects))


def _locator(parse: _Parse, scheme: MarkingScheme) -> Any:
    wsos_cols, crit_cols, asp = parse.columns["wsos"], parse.columns["criteria"], parse.columns["aspects"]
    wsos_fields = {"number": wsos_cols["key"], "name": wsos_cols["name"], "marks": wsos_cols["mark"]}
    crit_fields = {"letter": crit_cols["key"], "name": crit_cols["name"], "mark": crit_cols["mark"]}
    sub_fields = {"id": asp["sub_id"], "name": asp["sub_name"], "day": asp["day"]}
    aspect_fields = {"type": asp["type"], "description": asp["description"], "requirement": asp["extra"],
                     "wsos_section": asp["wsos"], "max_mark": asp["max_mark"]}
    total_cell = parse.total_cell or parse.ref(asp["max_mark"], parse.aspect_header_row)

    def locate(kind: str, index: int | None, name: str) -> str:
        if kind == "scheme" or index is None:
            return total_cell
        if kind == "wsos_section":
            return parse.ref(wsos_fields.get(name, wsos_cols["key"]), parse.wsos[index][0])
        if kind == "criterion":
            return parse.ref(crit_fields.get(name, crit_cols["key"]), parse.criteria[index][0])
        if kind == "sub_criterion":
            return parse.ref(sub_fields.get(name, asp["sub_id"]), parse.subs[index][0])
        draft = parse.aspects[index]
        column = draft.step_column if name == "step" else aspect_fields.get(name, asp["type"])
        return parse.ref(column, draft.row)

    return locate


def _cell_order(path: str) -> tuple[int, int, str]:
    match = re.search(r"!([A-Z]+)(\d+)$", path)
    if not match:
        return (0, 0, path)
    letters = match.group(1)
    column = 0
    for char in letters:
        column = column * 26 + ord(char) - 64
    return (int(match.group(2)), column, path)


def _merge(parse_problems: list[Problem], rule_problems: list[Problem]) -> list[Problem]:
    """All problems sorted by cell; a rule problem on a cell that already failed to parse is dropped."""
    failed = {p.path for p in parse_problems}
    merged = parse_problems + [p for p in rule_problems if p.path not in failed]
    return sorted(merged, key=lambda p: _cell_order(p.path))


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
