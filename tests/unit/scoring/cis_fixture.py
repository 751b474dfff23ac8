"""Build realistic CIS "Marking Scheme Import" workbooks for tests (unit, service, e2e).

``build_cis_xlsx()`` returns the bytes of a valid joinery scheme (100.00 marks) laid out as
``services/scoring/domain/cis_import.py`` documents: an "Instructions" sheet first, then
"Marking Scheme" with a title, a WSOS table (with formula columns), a criteria table with a
``=SUM`` total row, and the sub-criterion/aspect table with blank rows, group-heading rows, a
text number (" 5.00 "), a constant formula (``=10``) and "Deduct ... per ..." requirements.

Pass changed copies of ``DEFAULT_WSOS`` / ``DEFAULT_CRITERIA`` / ``default_sub_criteria()`` to
build broken files; ``build_cis()`` also returns the row of every criterion, sub-criterion and
aspect so tests can name the exact cell a problem should be reported at.

Aspect rows (dicts) take: ``type``, ``description``, ``extra`` (G), ``nominal`` (H), ``wsos``
(I), ``step`` (J), ``max`` (K, written as given: numbers, text or formulas), ``descriptors``
({score: text}, J only; written as score rows in F/G in ascending order). ``{"heading": text}``
writes a group-heading row. Values are written as given, so "abc" or "=SUM(K1:K2)" go in as is.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from openpyxl import Workbook

SHEET = "Marking Scheme"

DEFAULT_WSOS: list[tuple[Any, str, Any]] = [
    (1, "Work organisation and management", 10),
    (2, "Communication and interpersonal skills", 10),
    (3, "Design and setting out", 25),
    (4, "Construction and joinery", 35),
    (5, "Finishing and testing", 20),
]

DEFAULT_CRITERIA: list[tuple[str, str, Any]] = [
    ("A", "Design", "30.00"),
    ("B", "Construction", 45),
    ("C", "Finish", 25.0),
]

STANDARD_DESCRIPTORS = {
    0: "Below industry standard",
    1: "Meets industry standard",
    2: "Meets and in specific respects exceeds industry standard",
    3: "Excellent: far exceeds industry standard",
}


def default_sub_criteria() -> list[dict[str, Any]]:
    """A fresh, editable copy of the default sub-criteria and their aspect rows."""
    return copy.deepcopy(_DEFAULT_SUB_CRITERIA)


_DEFAULT_SUB_CRITERIA: list[dict[str, Any]] = [
    {"id": "A1", "name": "Design drawing", "day": 1, "rows": [
        {"type": "M", "description": "Title block complete", "extra": "Full marks or zero", "wsos": 1, "max": 1},
        {"heading": "Dimensions"},
        {"type": "M", "description": "Dimensions correct", "extra": "Deduct 0.50 per error", "wsos": 3, "max": 4},
        {"type": "J", "description": "Design quality", "extra": "Proportion, detail, buildability", "wsos": 3,
         "max": 10, "descriptors": STANDARD_DESCRIPTORS},
    ]},
    {"id": "A2", "name": "Cutting list and plan", "day": "C1", "rows": [
        {"type": "M", "description": "Cutting list complete", "extra": "Deduct 1 per missing item", "wsos": 2, "max": " 5.00 "},
        {"type": "J", "description": "Communication with the client", "wsos": 2, "max": 5, "descriptors": STANDARD_DESCRIPTORS},
        {"type": "M", "description": "Time plan submitted", "extra": "Full marks or zero", "wsos": 1, "max": "5"},
    ]},
    {"id": "B1", "name": "Frame", "day": 2, "rows": [
        {"heading": "Joints"},
        {"type": "M", "description": "Joint gaps within tolerance", "extra": "Deduct 1.00 per joint out of tolerance",
         "nominal": "0.5 mm", "wsos": 4, "max": 10},
        {"type": "M", "description": "Frame square", "wsos": 4, "step": 0.5, "max": 5},
        {"type": "J", "description": "Joint finish", "wsos": 4, "max": 10, "descriptors": STANDARD_DESCRIPTORS},
    ]},
    {"id": "B2", "name": "Panels", "day": 3, "rows": [
        {"type": "M", "description": "Panels flush", "extra": "Deduct 2 per panel not flush", "wsos": 4, "max": "=10"},
        {"type": "J", "description": "Overall build quality", "wsos": 4, "max": 10, "descriptors": STANDARD_DESCRIPTORS},
    ]},
    {"id": "C1", "name": "Finish and test", "day": 4, "rows": [
        {"type": "M", "description": "Surfaces sanded", "wsos": 5, "max": 5},
        {"type": "J", "description": "Finish appearance", "wsos": 5, "max": 10, "descriptors": STANDARD_DESCRIPTORS},
        {"type": "M", "description": "Doors open and close freely", "wsos": 5, "max": 5},
        {"type": "M", "description": "PPE worn throughout", "extra": "Full marks or zero", "wsos": 1, "max": "0,5"},
        {"type": "M", "description": "Workplace clean at the end", "wsos": 1, "max": 4.5},
    ]},
]

ASPECT_HEADER = [
    "Sub Criteria ID", "Sub Criteria Name or Description", "Day of Marking",
    "Aspect Type (M = Measurement, J = Judgement)", "Aspect Description", "Judg Score",
    "Extra Aspect Description (Meas or Judg) OR Judgement Score Description (Judg only)",
    "Requirement or Nominal Size (Meas only)", "WSOS Section", "Deduction Step (Meas only)",
    "Max Mark", "Total Mark",
]


@dataclass
class CisFile:
    """A built workbook and where things are in it (1-based rows on ``sheet``)."""

    content: bytes
    sheet: str
    criterion_rows: dict[str, int] = field(default_factory=dict)
    criteria_total_row: int = 0
    sub_rows: dict[str, int] = field(default_factory=dict)
    aspect_rows: dict[str, int] = field(default_factory=dict)
    wsos_rows: dict[int, int] = field(default_factory=dict)

    def cell(self, column: str, row: int) -> str:
        """A problem path for a cell: ``"Marking Scheme!K17"``."""
        return f"{self.sheet}!{column}{row}"


def build_cis(
    wsos: list[tuple[Any, str, Any]] | None = None,
    criteria: list[tuple[str, str, Any]] | None = None,
    sub_criteria: list[dict[str, Any]] | None = None,
    *,
    sheet: str = SHEET,
    instructions_sheet: bool = True,
) -> CisFile:
    """Write a CIS workbook; defaults give a valid 100-mark scheme."""
    wsos = DEFAULT_WSOS if wsos is None else wsos
    criteria = DEFAULT_CRITERIA if criteria is None else criteria
    sub_criteria = default_sub_criteria() if sub_criteria is None else sub_criteria
    book = Workbook()
    if instructions_sheet:
        book.active.title = "Instructions"
        book.active["A1"] = "Fill in the Marking Scheme sheet; do not change the header rows."
        ws = book.create_sheet(sheet)
    else:
        ws = book.active
        ws.title = sheet
    built = CisFile(b"", sheet)
    ws["A1"], ws["B1"] = "Marking Scheme Import", "Skill: Joinery"
    row = _write_wsos(ws, wsos, 3, built)
    row = _write_criteria(ws, criteria, row + 1, built)
    _write_aspects(ws, sub_criteria, row + 2, built)
    buffer = BytesIO()
    book.save(buffer)
    built.content = buffer.getvalue()
    return built


def build_cis_xlsx(*args: Any, **kwargs: Any) -> bytes:
    """The bytes of :func:`build_cis`."""
    return build_cis(*args, **kwargs).content


def _write_wsos(ws: Any, wsos: list[tuple[Any, str, Any]], row: int, built: CisFile) -> int:
    for column, title in enumerate(["WSOS Section", "Section Name", "WSOS Marks", "Aspect Marks", "Variation"], 1):
        ws.cell(row, column, title)
    for number, name, marks in wsos:
        row += 1
        ws.cell(row, 1, number), ws.cell(row, 2, name), ws.cell(row, 3, marks)
        ws.cell(row, 4, f'=SUMIF($I:$I,A{row},$K:$K)')
        ws.cell(row, 5, f"=ABS(C{row}-D{row})")
        if isinstance(number, int):
            built.wsos_rows[number] = row
    ws.cell(row + 1, 1, "Total"), ws.cell(row + 1, 3, f"=SUM(C{row - len(wsos) + 1}:C{row})")
    return row + 2


def _write_criteria(ws: Any, criteria: list[tuple[str, str, Any]], row: int, built: CisFile) -> int:
    ws.cell(row, 1, "Criterion"), ws.cell(row, 2, "Criterion Name"), ws.cell(row, 3, "Mark")
    first = row + 1
    for letter, name, mark in criteria:
        row += 1
        ws.cell(row, 1, letter), ws.cell(row, 2, name), ws.cell(row, 3, mark)
        built.criterion_rows[letter] = row
    row += 1
    ws.cell(row, 1, "Total"), ws.cell(row, 3, f"=SUM(C{first}:C{row - 1})")
    built.criteria_total_row = row
    return row + 1


def _write_aspects(ws: Any, sub_criteria: list[dict[str, Any]], row: int, built: CisFile) -> None:
    for column, title in enumerate(ASPECT_HEADER, 1):
        ws.cell(row, column, title)
    for sub in sub_criteria:
        row += 2  # a blank row before every sub-criterion
        sub_row, ordinal = row, 0
        ws.cell(row, 1, sub["id"]), ws.cell(row, 2, sub.get("name")), ws.cell(row, 3, sub.get("day"))
        built.sub_rows[sub["id"]] = row
        for item in sub["rows"]:
            row += 1
            if "heading" in item:
                ws.cell(row, 5, item["heading"])
                continue
            ordinal += 1
            built.aspect_rows[f"{sub['id']}.{ordinal}"] = row
            row = _write_aspect(ws, item, row)
        ws.cell(sub_row, 12, f"=SUM(K{sub_row + 1}:K{row})")


def _write_aspect(ws: Any, item: dict[str, Any], row: int) -> int:
    values = {4: item.get("type"), 5: item.get("description"), 7: item.get("extra"), 8: item.get("nominal"),
              9: item.get("wsos"), 10: item.get("step"), 11: item.get("max")}
    for column, value in values.items():
        if value is not None:
            ws.cell(row, column, value)
    for score, text in sorted(item.get("descriptors", {}).items()):
        row += 1
        ws.cell(row, 6, score), ws.cell(row, 7, text)
    return row
