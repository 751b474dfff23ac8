"""Import a marking scheme workbook: the WorldSkills CIS "Marking Scheme Import" layout, or a 评分表.

:func:`read_scheme_workbook` loads the workbook (in :func:`load_workbook_bytes`, the one place
that opens uploaded bytes), picks the sheet and hands it to the CIS reader below or to the
Chinese score-sheet reader (:mod:`.score_sheet_import`). Problems are located by cell
(``"CIS Marking Scheme Import!K23"``); every problem is collected and raised at once as
:class:`SchemeInvalid`. Warnings (legacy types, WSOS data left out below the WorldSkills tier)
come back with the scheme.

The CIS layout (one sheet named like ``CIS Marking Scheme Import``, plus ``Calculations``)
is read by its header cells, never by fixed rows or columns. Header text is compared
without case, line breaks or punctuation, and ``WSSS`` (older files) counts as ``WSOS``:

WSOS table
    Header ``Section`` | ``WSOS Marks`` | ... | ``WSOS Marks`` | ``Aspect Marks`` | ``Variation``.
    When "WSOS Marks" heads two columns the first holds the section *name* (merged B:H) and
    the last the marks; a "Name" header names the name column. Title rows (a lone text),
    blank rows and the ``Total Variation`` row are skipped; aspect marks and variation are
    recomputed, never read.
Criteria table
    Header ``ID`` | ``Name`` | ... | ``Mark`` (after a ``Criteria`` title row). A mark is a
    number, a text number, or a formula (``=N28``), which is not trusted: the criterion then
    carries the sum of its aspects. Template letters with nothing beside them are skipped.
Aspect blocks
    One header row per criterion (``Sub Criterion ID``, ``Sub Criterion Name``, ``Day of
    Marking``, ``Aspect Type``, ``Aspect - Description``, ``Judg Score``, ``Extra Aspect
    Description``, ``Requirement``, ``WSOS Section``, ``Calculation Row``, ``Max Mark``; the
    ``Criterion A`` / ``Total Mark`` cells beside them are ignored). Each block runs to the next
    header or the ``Competition`` / ``Total Mark`` footer. A column whose header is missing
    falls back to its usual place (A..K) only when that header cell is blank; a required
    column that is missing is a problem naming it. Rows: a sub-criterion (A id, B name, C day),
    aspects (D ``M``/``J``, E description, G extra text, H requirement, I WSOS section, J
    calculation row, K max mark), four score rows after each J aspect (F ``0``..``3``, G the
    descriptor). Legacy types ``O``/``S`` are read as ``M``/``J`` with a warning.
Calculations
    Column J of an M aspect names a row of the ``Calculations`` sheet: A label, B type, C flag,
    D parameters (see :mod:`.measurement`).

Aspect ids are ``<sub-criterion>.<ordinal>`` ("A1.3"); the CIS reference ("A1.M2") is kept on
the aspect.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from openpyxl.utils import get_column_letter

from shared.spreadsheets import Limits, UnreadableSpreadsheet, read_workbook

from .errors import Problem, SchemeInvalid
from .measurement import Measurement, MeasurementError, measurement_from_cis
from .numbers import format_mark, parse_decimal
from .scheme import (
    SCHEME_TOTAL,
    Aspect,
    Criterion,
    MarkingScheme,
    SubCriterion,
    WsosSection,
    stored_shape_problems,
    validate_scheme,
    with_references,
)

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


def load_workbook_bytes(content: bytes) -> Any:
    """The uploaded workbook (formulas as text); the only place uploaded bytes are opened.

    Read by the shared safe reader (``shared.spreadsheets``): archive limits before parsing,
    streaming with row and column caps, off the event loop.
    """
    try:
        return read_workbook(content, data_only=False, limits=Limits(max_rows=MAX_ROWS, max_columns=256))
    except UnreadableSpreadsheet as exc:
        raise SchemeInvalid([Problem("file", f"not a readable .xlsx workbook ({exc.reason})")]) from None


def sheet_values(worksheet: Any) -> Sheet:
    if worksheet.max_row > MAX_ROWS:
        message = f"sheet has {worksheet.max_row} rows; at most {MAX_ROWS} are read"
        raise SchemeInvalid([Problem(f"{worksheet.title}!A1", message)])
    width = min(max(worksheet.max_column, len(ASPECT_DEFAULT_COLUMNS)), MAX_COLUMNS)
    rows = list(worksheet.iter_rows(min_row=1, max_row=worksheet.max_row, min_col=1, max_col=width,
                                    values_only=True))
    return Sheet(worksheet.title, rows)


def read_scheme_workbook(content: bytes, require_wsos: bool = True) -> SchemeImport:
    """Read and validate a CIS workbook or a 评分表; raise :class:`SchemeInvalid` with every problem.

    ``require_wsos`` (the WorldSkills tier) makes missing WSOS data an error; below that tier it
    is a warning.
    """
    from .score_sheet_import import is_score_sheet_header, read_score_sheet

    workbook = load_workbook_bytes(content)
    worksheet = _pick_sheet(workbook, is_score_sheet_header)
    sheet = sheet_values(worksheet)
    if not any(_is_aspect_header(row) for row in sheet.rows) and any(is_score_sheet_header(r) for r in sheet.rows):
        return read_score_sheet(sheet, require_wsos)
    calculations = next((sheet_values(s) for s in workbook.worksheets if norm(s.title) == "calculations"), None)
    return _CisReader(sheet, calculations, require_wsos).read()


def parse_cis_xlsx(content: bytes, require_wsos: bool = True) -> MarkingScheme:
    """The scheme of a workbook (see :func:`read_scheme_workbook`), without the warnings."""
    return read_scheme_workbook(content, require_wsos).scheme


def _pick_sheet(workbook: Any, score_sheet_header: Callable[[tuple[Any, ...]], bool]) -> Any:
    sheets = workbook.worksheets
    if not sheets:
        raise SchemeInvalid([Problem("file", "the workbook has no worksheet")])
    named = [s for s in sheets if "markingscheme" in norm(s.title).replace(" ", "")]
    if named:
        return named[0]
    for test in (_is_aspect_header, score_sheet_header):
        for sheet in sheets:
            head = sheet.iter_rows(min_row=1, max_row=min(sheet.max_row, 200), max_col=MAX_COLUMNS, values_only=True)
            if any(test(row) for row in head):
                return sheet
    return sheets[0]


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


# --------------------------------------------------------------------------- parsing


@dataclass
class _AspectDraft:
    row: int
    sub_id: str
    type: str
    description: str
    requirement: str
    wsos: int | None
    max_mark: Decimal
    step: Decimal | None
    columns: dict[str, int]
    measurement: Measurement | None = None
    calculation_cell: str = ""
    descriptors: dict[int, str] = field(default_factory=dict)


class _CisReader:
    """Reads one CIS sheet into a scheme, collecting every problem by cell."""

    def __init__(self, sheet: Sheet, calculations: Sheet | None, require_wsos: bool) -> None:
        self.sheet = sheet
        self.calculations = calculations
        self.require_wsos = require_wsos
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.wsos: list[tuple[int, WsosSection]] = []
        self.wsos_columns: dict[str, int] = {}
        self.criteria: list[tuple[int, str, str, Decimal | None]] = []
        self.criteria_columns: dict[str, int] = {}
        self.subs: list[tuple[int, SubCriterion, dict[str, int]]] = []
        self.aspects: list[_AspectDraft] = []
        self.total_cell = ""
        self.first_aspect_header = 1
        self.wsos_column_missing = False

    def add(self, column: int, row: int, message: str, sheet: Sheet | None = None) -> None:
        self.problems.append(Problem((sheet or self.sheet).ref(column, row), message))

    def read(self) -> SchemeImport:
        regions = self._regions()
        if not any(kind == "aspects" for kind, _, _ in regions):
            raise SchemeInvalid(self.problems)
        for kind, start, end in regions:
            {"wsos": self._wsos, "criteria": self._criteria, "aspects": self._aspects}[kind](start, end)
        if self.wsos_column_missing and not self.require_wsos:
            self.warnings.append("The aspects name no WSOS section (no 'WSOS Section' column): allowed below the "
                                 "WorldSkills tier; there is no WSOS variation to show.")
        scheme = self._scheme()
        reported = self.wsos_column_missing or not self.wsos_columns  # said once, not per aspect
        locate = self._locator(scheme)
        rule_problems = validate_scheme(scheme, locate, require_wsos=self.require_wsos and not reported)
        problems = merge_problems(self.problems, rule_problems, stored_shape_problems(scheme, locate))
        if problems:
            raise SchemeInvalid(problems)
        return SchemeImport(scheme, "cis", self.warnings)

    def _regions(self) -> list[tuple[str, int, int]]:
        """(kind, header row, end row exclusive) of each table; problems for missing tables."""
        starts: list[tuple[str, int]] = []
        end_of_sheet = len(self.sheet.rows) + 1
        for number_, row in enumerate(self.sheet.rows, start=1):
            kind = _header_kind(row)
            if kind == "footer":
                self.total_cell = self.total_cell or self._footer_total(number_, row)
            if kind:
                starts.append((kind, number_))
        kinds = {k for k, _ in starts}
        wanted = {"wsos": "no WSOS table (a header row with 'Section' and 'WSOS Marks' cells)",
                  "criteria": "no criteria table (a header row with 'ID', 'Name' and 'Mark' cells)",
                  "aspects": "no sub-criterion table (a header row with 'Sub Criterion ID' and 'Aspect Type' cells)"}
        for kind, message in wanted.items():
            if kind in kinds:
                continue
            if kind == "wsos" and not self.require_wsos:
                self.warnings.append("The workbook has no WSOS table: allowed below the WorldSkills tier.")
            else:
                self.add(1, 1, f"sheet {self.sheet.title} has {message}")
        regions = []
        seen: set[str] = set()
        for i, (kind, start) in enumerate(starts):
            end = starts[i + 1][1] if i + 1 < len(starts) else end_of_sheet
            if kind == "footer" or (kind in seen and kind != "aspects"):
                continue
            seen.add(kind)
            regions.append((kind, start, end))
        return regions

    def _footer_total(self, row_number: int, row: tuple[Any, ...]) -> str:
        columns = filled(row)
        return self.sheet.ref(columns[-1], row_number)

    def _data_rows(self, start: int, end: int) -> Iterable[int]:
        for number_ in range(start + 1, end):
            if first_filled(self.sheet.rows[number_ - 1]) is not None:
                yield number_

    def _read_mark(self, row: int, column: int, what: str) -> Decimal:
        value = self.sheet.cell(row, column)
        if blank(value):
            self.add(column, row, f"{what} is missing")
            return Decimal(0)
        try:
            return number(value)
        except ValueError as exc:
            self.add(column, row, f"{what}: {exc}")
            return Decimal(0)

    # ---------------------------------------------------------------- WSOS

    def _wsos_header(self, start: int) -> dict[str, int] | None:
        header = self.sheet.rows[start - 1]
        norms = [norm(v) for v in header]
        key = next(i for i, n in enumerate(norms, start=1) if n.endswith("section") or n.endswith("section number"))
        marks = [i for i, v in enumerate(header, start=1) if i != key and _is_marks_word(v)]
        names = [i for i, n in enumerate(norms, start=1) if i != key and {"name", "title", "description"} & set(n.split())]
        name = names[0] if names else (marks[0] if len(marks) > 1 else None)
        mark = next((m for m in reversed(marks) if m != name), None)
        if name is None and blank(self.sheet.cell(start, 2)):
            name = 2
        if mark is None:
            self.add(key, start, "the WSOS table has no 'WSOS Marks' column")
            return None
        return {"key": key, "name": name or key, "mark": mark}

    def _wsos(self, start: int, end: int) -> None:
        columns = self._wsos_header(start)
        if columns is None:
            return
        self.wsos_columns = columns
        for row in self._data_rows(start, end):
            key, marks = self.sheet.cell(row, columns["key"]), self.sheet.cell(row, columns["mark"])
            values = [norm(v) for v in self.sheet.rows[row - 1]]
            if any(v.startswith("total") for v in values) or (blank(key) and blank(marks)):
                continue
            if blank(marks) and len(filled(self.sheet.rows[row - 1])) == 1:
                continue  # a title row such as "Criteria"
            if blank(key):
                self.add(columns["key"], row, "WSOS marks without a section number")
                continue
            try:
                section = whole(key)
            except ValueError:
                self.add(columns["key"], row, f"WSOS section number must be a whole number, got {text(key)!r}")
                continue
            name = text(self.sheet.cell(row, columns["name"]))
            self.wsos.append((row, WsosSection(section, name, self._read_mark(row, columns["mark"], "WSOS marks"))))

    # ---------------------------------------------------------------- criteria

    def _criteria(self, start: int, end: int) -> None:
        header = self.sheet.rows[start - 1]
        key = (first_filled(header) or 0) + 1
        names = [i for i, v in enumerate(header, start=1) if i != key and {"name", "title"} & set(norm(v).split())]
        marks = [i for i, v in enumerate(header, start=1) if i != key and _is_marks_word(v)]
        columns = {"key": key, "name": names[0] if names else key + 1, "mark": marks[0]}
        self.criteria_columns = columns
        for row in self._data_rows(start, end):
            letter, name = self.sheet.cell(row, key), self.sheet.cell(row, columns["name"])
            mark = self.sheet.cell(row, columns["mark"])
            if norm(letter).startswith("total"):
                self.total_cell = self.total_cell or self.sheet.ref(columns["mark"], row)
                continue
            if blank(letter) or (blank(name) and blank(mark)) or (len(text(letter)) > 3 and blank(mark)):
                continue  # template letters without a criterion, notes beside the table
            self.criteria.append((row, text(letter).upper(), text(name), self._criterion_mark(row, columns["mark"])))

    def _criterion_mark(self, row: int, column: int) -> Decimal | None:
        """The criterion mark, or None for a formula (then computed from the aspects)."""
        try:
            return number(self.sheet.cell(row, column))
        except FormulaCell:
            return None
        except ValueError:
            return self._read_mark(row, column, "criterion mark")

    # ---------------------------------------------------------------- aspect blocks

    def _aspects(self, start: int, end: int) -> None:
        columns, missing = aspect_columns(self.sheet.rows[start - 1])
        if not self.aspects and not self.subs:
            self.first_aspect_header = start
        for role in missing:
            self.add(1, start, f"the sub-criterion table has no '{ASPECT_ROLE_NAMES[role]}' column")
        if missing:
            return
        if "wsos" not in columns:
            self.wsos_column_missing = True
            if self.require_wsos and not any("no 'WSOS Section' column" in p.problem for p in self.problems):
                self.add(columns["type"], start, "the sub-criterion table has no 'WSOS Section' column")
        block = _AspectBlock(self, columns)
        for row in self._data_rows(start, end):
            block.feed(row)

    # ---------------------------------------------------------------- scheme

    def _scheme(self) -> MarkingScheme:
        aspects = [Aspect(
            id="", sub_criterion=draft.sub_id, type=draft.type, description=draft.description,
            requirement=draft.requirement, wsos_section=draft.wsos, max_mark=draft.max_mark,
            step=None if draft.measurement else draft.step, descriptors=dict(sorted(draft.descriptors.items())),
            measurement=draft.measurement,
        ) for draft in self.aspects]
        return assemble_scheme([w for _, w in self.wsos], [c[1:] for c in self.criteria],
                               [s for _, s, _ in self.subs], aspects)

    def _locator(self, scheme: MarkingScheme) -> Callable[[str, int | None, str], str]:
        wsos, crit = self.wsos_columns, self.criteria_columns
        total_cell = self.total_cell or self.sheet.ref(ASPECT_DEFAULT_COLUMNS["max_mark"], self.first_aspect_header)
        first_cell = self.sheet.ref(1, 1)

        def locate(kind: str, index: int | None, name: str) -> str:
            if kind == "scheme" or index is None:
                return first_cell if name == "wsos_sections" else total_cell
            if kind == "wsos_section":
                column = {"number": wsos["key"], "name": wsos["name"], "marks": wsos["mark"]}.get(name, wsos["key"])
                return self.sheet.ref(column, self.wsos[index][0])
            if kind == "criterion":
                column = {"letter": crit["key"], "name": crit["name"], "mark": crit["mark"]}.get(name, crit["key"])
                return self.sheet.ref(column, self.criteria[index][0])
            if kind == "sub_criterion":
                row, _, columns = self.subs[index]
                return self.sheet.ref(columns.get({"id": "sub_id", "name": "sub_name"}.get(name, name), 1), row)
            draft = self.aspects[index]
            if name == "measurement" and draft.calculation_cell:
                return draft.calculation_cell
            role = {"requirement": "extra", "wsos_section": "wsos", "descriptors": "score",
                    "step": "step" if "step" in draft.columns else "extra"}.get(name, name)
            return self.sheet.ref(draft.columns.get(role, draft.columns["type"]), draft.row)

        return locate


class _AspectBlock:
    """State machine over the rows of one aspect block."""

    def __init__(self, reader: _CisReader, columns: dict[str, int]) -> None:
        self.reader = reader
        self.sheet = reader.sheet
        self.col = columns
        self.sub: SubCriterion | None = None
        self.aspect: _AspectDraft | None = None

    def value(self, row: int, role: str) -> Any:
        return self.sheet.cell(row, self.col[role]) if role in self.col else None

    def feed(self, row: int) -> None:
        if not blank(self.value(row, "sub_id")):
            self.sub_criterion(row)
        if not blank(self.value(row, "type")):
            self.new_aspect(row)
        elif not blank(self.value(row, "score")):
            self.descriptor(row)
        elif blank(self.value(row, "sub_id")) and not blank(self.value(row, "max_mark")):
            self.reader.add(self.col["type"], row, "a max mark without an aspect type (M or J)")

    def sub_criterion(self, row: int) -> None:
        sub_id = text(self.value(row, "sub_id")).upper()
        self.sub = SubCriterion(sub_id, text(self.value(row, "sub_name")), self.day(row), sub_id[:1])
        self.reader.subs.append((row, self.sub, self.col))
        self.aspect = None

    def day(self, row: int) -> int | None:
        value = self.value(row, "day")
        if blank(value):
            return None
        match = _DAY.match(text(value))
        if match and int(match.group(1)) >= 1:
            return int(match.group(1))
        self.reader.add(self.col["day"], row, f"day of marking must be like 1 or C1, got {text(value)!r}")
        return None

    def aspect_type(self, row: int) -> str:
        raw = text(self.value(row, "type"))
        kind = raw.upper()
        if kind in LEGACY_TYPES:
            self.reader.warnings.append(f"{self.sheet.ref(self.col['type'], row)}: legacy aspect type {raw!r} "
                                        f"read as {LEGACY_TYPES[kind]}")
            return LEGACY_TYPES[kind]
        numbered = _NUMBERED_TYPE.match(kind)
        if numbered:
            letter = LEGACY_TYPES.get(numbered.group(1).upper(), numbered.group(1).upper())
            self.reader.add(self.col["type"], row, f"aspect type must be M or J, got {raw!r}: an aspect number is "
                                                   f"not a type; write {letter} alone")
        return kind

    def new_aspect(self, row: int) -> None:
        if self.sub is None:
            self.reader.add(self.col["type"], row, "aspect row before any sub-criterion row")
            return
        kind = self.aspect_type(row)
        max_mark = self.reader._read_mark(row, self.col["max_mark"], "max mark")
        self.aspect = _AspectDraft(
            row=row, sub_id=self.sub.id, type=kind, description=text(self.value(row, "description")),
            requirement=self.requirement(row), wsos=self.wsos(row), max_mark=max_mark,
            step=self.step(row, kind, max_mark), columns=self.col,
        )
        self.measurement(row, self.aspect)
        self.reader.aspects.append(self.aspect)

    def requirement(self, row: int) -> str:
        extra, nominal = text(self.value(row, "extra")), text(self.value(row, "requirement"))
        if extra and nominal:
            return f"{extra} ({nominal})"
        return extra or nominal

    def wsos(self, row: int) -> int | None:
        if "wsos" not in self.col:
            return None
        value = self.value(row, "wsos")
        if blank(value):
            if self.reader.require_wsos:
                self.reader.add(self.col["wsos"], row, "WSOS section is missing")
            return None
        try:
            return whole(value)
        except ValueError:
            self.reader.add(self.col["wsos"], row, f"WSOS section must be a section number, got {text(value)!r}")
            return None

    def step(self, row: int, kind: str, max_mark: Decimal) -> Decimal | None:
        explicit = self.value(row, "step")
        if not blank(explicit):
            try:
                return number(explicit)
            except ValueError as exc:
                self.reader.add(self.col["step"], row, f"step: {exc}")
                return None
        extra = text(self.value(row, "extra"))
        if kind != "M" or max_mark <= 0:
            return None
        if _FULL_OR_ZERO.search(extra):
            return max_mark
        match = _DEDUCT.search(extra)
        inferred = parse_decimal(match.group(1), allow_comma=True) if match else Decimal(0)
        return inferred if divides(inferred, max_mark) else None

    def measurement(self, row: int, draft: _AspectDraft) -> None:
        value = self.value(row, "calculation")
        if blank(value):
            return
        column = self.col["calculation"]
        draft.calculation_cell = self.sheet.ref(column, row)
        if draft.type != "M":
            self.reader.add(column, row, "a calculation row applies to measurement (M) aspects only")
            return
        calc = self.reader.calculations
        try:
            target = whole(value)
        except ValueError:
            self.reader.add(column, row, f"calculation row must be a row number of the Calculations sheet, "
                                         f"got {text(value)!r}")
            return
        if calc is None or blank(calc.cell(target, 2)):
            where = "there is no Calculations sheet" if calc is None else f"Calculations row {target} is empty"
            self.reader.add(column, row, f"calculation row {target}: {where}")
            return
        draft.calculation_cell = calc.ref(4, target)
        label, kind, flag, params = (calc.cell(target, c) for c in (1, 2, 3, 4))
        try:
            draft.measurement = measurement_from_cis(text(kind), text(params), text(label), flag is not False)
        except MeasurementError as exc:
            column = 2 if "unknown measurement type" in str(exc) else 4
            self.reader.add(column, target, str(exc), calc)

    def descriptor(self, row: int) -> None:
        column = self.col["score"]
        aspect = self.aspect
        if aspect is None:
            self.reader.add(column, row, "judgement score row without a judgement aspect above it")
            return
        if aspect.type not in ("J", "M"):
            return  # the aspect's unknown type is reported by validation
        if aspect.type != "J":
            self.reader.add(column, row, f"judgement score row after a measurement aspect (row {aspect.row})")
            return
        try:
            score = whole(self.value(row, "score"))
        except ValueError:
            score = -1
        if not 0 <= score <= 3:
            self.reader.add(column, row, f"judgement score must be 0, 1, 2 or 3, got {text(self.value(row, 'score'))!r}")
        elif score in aspect.descriptors:
            self.reader.add(column, row, f"judgement score {score} is described twice")
        else:
            aspect.descriptors[score] = text(self.value(row, "extra"))


# --------------------------------------------------------------------------- scheme and problems


def assemble_scheme(wsos: list[WsosSection], criteria: list[tuple[str, str, Decimal | None]],
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
                   shape_problems: list[Problem] = ()) -> list[Problem]:
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
