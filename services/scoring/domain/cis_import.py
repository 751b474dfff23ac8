"""Import a marking scheme workbook: the WorldSkills CIS "Marking Scheme Import" layout, or a 评分表.

:func:`services.scoring.adapters.scheme_workbook.read_scheme_workbook` opens the workbook (the one
place that opens uploaded bytes), picks the sheet and hands it to the CIS reader below or to the
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

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from .cis_aspects import _AspectBlock, _AspectDraft
from .errors import Problem, SchemeInvalid
from .scheme import Aspect, MarkingScheme, SubCriterion, WsosSection
from .scheme_json import stored_shape_problems
from .scheme_rules import validate_scheme
from .workbook_layout import (
    ASPECT_DEFAULT_COLUMNS,
    ASPECT_ROLE_NAMES,
    FormulaCell,
    SchemeImport,
    Sheet,
    _header_kind,
    _is_marks_word,
    aspect_columns,
    assemble_scheme,
    blank,
    filled,
    first_filled,
    merge_problems,
    norm,
    number,
    text,
    whole,
)


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
