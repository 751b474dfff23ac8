"""The stored marking scheme written back as a CIS "Marking Scheme Import" workbook.

Same layout the importer reads (see ``domain/cis_import.py``): the skill in A1, the WSOS table,
the criteria table, one aspect block per criterion with the CIS header cells, the
``Competition`` / ``Total Mark`` footer, and a ``Calculations`` sheet holding the measurement
type of every typed aspect (column J of the aspect points at its row). An explicit step, which
CIS has no column for, goes in a ``Deduction Step`` column beside the block (O), so that
import → export → import gives the same scheme.

Text from the scheme is always written through ``shared.exports.put_text``: a string cell, so a
description such as ``=HYPERLINK(..)`` stays text and never becomes a formula (with Excel's quote
prefix), and characters XML cannot hold are replaced. The formulas here are our own (sums and
variation).
"""
from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from services.scoring.domain.measurement import measurement_to_cis
from services.scoring.domain.scheme import Aspect, MarkingScheme
from shared.exports import put_text  # text stays text, formula-like text is neutralised

SHEET = "CIS Marking Scheme Import"
ASPECT_HEADER = (
    "Sub\nCriterion\nID", "Sub Criterion\nName or Description", "Day of Marking", "Aspect\nType\nM = Meas\nJ = Judg",
    "Aspect - Description", "Judg Score",
    "Extra Aspect Description (Meas or Judg)\nOR\nJudgement Score Description (Judg only)",
    "Requirement\n(Measurement Only)", "WSOS Section", "Calculation Row \n(Export only)", "Max\nMark",
)
STEP_COLUMN = 15
BOLD = Font(bold=True)


def put(sheet: Any, row: int, column: int, value: Any) -> Any:
    """A cell: text as text (:func:`put_text`), marks as numbers, None left blank."""
    if value is None:
        return sheet.cell(row, column)
    if isinstance(value, str):
        return put_text(sheet, row, column, value)
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    cell = sheet.cell(row, column)
    cell.value = value
    return cell


def cis_workbook(scheme: MarkingScheme, skill: str) -> bytes:
    """The scheme as CIS import workbook bytes."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    calculations = book.create_sheet("Calculations")
    put_text(sheet, 1, 1, skill).font = BOLD
    sheet.merge_cells("A1:K1")
    row = _wsos_table(sheet, scheme, 3) + 3
    criteria_rows: dict[str, int] = {}
    row = _criteria_table(sheet, scheme, row, criteria_rows) + 3
    blocks = _blocks(sheet, calculations, scheme, row)
    for letter, criterion_row in criteria_rows.items():
        if letter in blocks:
            sheet.cell(criterion_row, 11).value = f"=N{blocks[letter]}"
    for column, width in (("A", 10), ("B", 30), ("E", 50), ("G", 50), ("H", 20)):
        sheet.column_dimensions[column].width = width
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _wsos_table(sheet: Any, scheme: MarkingScheme, row: int) -> int:
    put_text(sheet, row, 1, "WorldSkills Occupational Standards").font = BOLD
    sheet.merge_cells(start_row=row, end_row=row, start_column=1, end_column=11)
    row += 1
    for column, title in ((1, "Section"), (2, "WSOS Marks"), (9, "WSOS Marks"), (10, "Aspect Marks"),
                          (11, "Variation")):
        put_text(sheet, row, column, title).font = BOLD
    sheet.merge_cells(start_row=row, end_row=row, start_column=2, end_column=8)
    first = row + 1
    for section in scheme.wsos_sections:
        row += 1
        put(sheet, row, 1, section.number)
        put_text(sheet, row, 2, section.name)
        sheet.merge_cells(start_row=row, end_row=row, start_column=2, end_column=8)
        put(sheet, row, 9, section.marks)
        sheet.cell(row, 10).value = f"=SUMIF(I$1:I$5000,A{row},K$1:K$5000)"
        sheet.cell(row, 11).value = f"=ABS(I{row}-J{row})"
    row += 1
    put_text(sheet, row, 9, "Total Variation")
    sheet.cell(row, 11).value = f"=SUM(K{first}:K{max(first, row - 1)})"
    return row


def _criteria_table(sheet: Any, scheme: MarkingScheme, row: int, rows: dict[str, int]) -> int:
    put_text(sheet, row, 1, "Criteria").font = BOLD
    sheet.merge_cells(start_row=row, end_row=row, start_column=1, end_column=11)
    row += 1
    for column, title in ((1, "ID"), (2, "Name"), (11, "Mark")):
        put_text(sheet, row, column, title).font = BOLD
    for criterion in scheme.criteria:
        row += 1
        put_text(sheet, row, 1, criterion.letter)
        put_text(sheet, row, 2, criterion.name)
        sheet.merge_cells(start_row=row, end_row=row, start_column=2, end_column=10)
        put(sheet, row, 11, criterion.mark)
        rows[criterion.letter] = row
    return row


def _blocks(sheet: Any, calculations: Any, scheme: MarkingScheme, row: int) -> dict[str, int]:
    """One aspect block per criterion; answers the header row of each (for the criteria's =N links)."""
    headers: dict[str, int] = {}
    next_calc = [2]
    has_steps = any(a.step is not None for a in scheme.aspects)
    for criterion in scheme.criteria:
        start = row
        headers[criterion.letter] = start
        for column, title in enumerate(ASPECT_HEADER, start=1):
            cell = put_text(sheet, row, column, title)
            cell.font, cell.alignment = BOLD, Alignment(wrap_text=True, vertical="top")
        put_text(sheet, row, 12, f"Criterion {criterion.letter}")
        put_text(sheet, row, 13, "Total\nMark")
        if has_steps:
            put_text(sheet, row, STEP_COLUMN, "Deduction Step").font = BOLD
        for sub in (s for s in scheme.sub_criteria if s.criterion == criterion.letter):
            row += 1
            put_text(sheet, row, 1, sub.id)
            put_text(sheet, row, 2, sub.name)
            put(sheet, row, 3, sub.day)
            for aspect in scheme.aspects_of(sub.id):
                row = _aspect(sheet, calculations, aspect, row + 1, next_calc)
            row += 1
        row += 1
        sheet.cell(start, 14).value = f"=SUM(K{start + 1}:K{row})"
        row += 1
    put_text(sheet, row + 1, 12, "Competition")
    put_text(sheet, row + 1, 13, "Total\nMark")
    sheet.cell(row + 1, 14).value = f"=SUM(N1:N{row - 1})"
    return headers


def _aspect(sheet: Any, calculations: Any, aspect: Aspect, row: int, next_calc: list[int]) -> int:
    put_text(sheet, row, 4, aspect.type)
    put_text(sheet, row, 5, aspect.description)
    if aspect.requirement:
        put_text(sheet, row, 7, aspect.requirement)
    put(sheet, row, 9, aspect.wsos_section)
    put(sheet, row, 11, aspect.max_mark)
    if aspect.step is not None:
        put(sheet, row, STEP_COLUMN, aspect.step)
    if aspect.measurement is not None:
        calc_row = next_calc[0]
        next_calc[0] += 1
        put(sheet, row, 10, calc_row)
        m = aspect.measurement
        if m.label:
            put_text(calculations, calc_row, 1, m.label)
        put_text(calculations, calc_row, 2, m.kind)
        calculations.cell(calc_row, 3).value = m.flag
        put_text(calculations, calc_row, 4, measurement_to_cis(m))
    if aspect.is_judgement:
        for score, descriptor in sorted(aspect.descriptors.items()):
            row += 1
            put(sheet, row, 6, score)
            put_text(sheet, row, 7, descriptor)
        row += 1
    return row
