"""Marking-scheme workbooks as uploaded: opened by the shared safe reader (``shared.spreadsheets``),
the sheet picked, and its values handed to the layout readers in ``domain/`` (the CIS import
layout, :mod:`~services.scoring.domain.cis_import`, or the 评分表,
:mod:`~services.scoring.domain.score_sheet_import`)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.scoring.domain.cis_import import _CisReader
from services.scoring.domain.errors import Problem, SchemeInvalid
from services.scoring.domain.scheme import MarkingScheme
from services.scoring.domain.score_sheet_import import is_score_sheet_header, read_score_sheet
from services.scoring.domain.workbook_layout import (
    ASPECT_DEFAULT_COLUMNS,
    MAX_COLUMNS,
    MAX_ROWS,
    SchemeImport,
    Sheet,
    _is_aspect_header,
    norm,
)
from shared.spreadsheets import Limits, UnreadableSpreadsheet, read_workbook


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
