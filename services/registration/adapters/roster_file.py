"""Uploaded roster files (CSV or XLSX), read through the project's one spreadsheet reader.

``shared.spreadsheets.read_rows`` does the reading for every import (archive limits, UTF-16 and
GB18030 text, delimiter sniffing, forbidden characters); this adapter numbers the rows as the
spreadsheet does (the header is row 1; a CSV's first record is row 1), stops after the header and
``max_rows + 1`` non-blank rows, and hands the grid to the domain's ``rows_from_grid``.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from services.registration.domain.errors import Code, RowProblem
from services.registration.domain.roster_import import MAX_ROWS, Grid, blank, rows_from_grid
from shared.spreadsheets import Limits, UnreadableSpreadsheet, read_rows


def parse_roster(content: bytes, filename_or_content_type: str, *, today: date,
                 max_rows: int = MAX_ROWS) -> tuple[list[dict], list[RowProblem]]:
    """Clean rows and every problem of an uploaded roster (see ``domain.roster_import``)."""
    grid, problems = read_grid(content, filename_or_content_type, max_rows=max_rows)
    if grid is None:
        return [], problems
    return rows_from_grid(grid, today=today, max_rows=max_rows)


def read_grid(content: bytes, filename_or_content_type: str, *,
              max_rows: int = MAX_ROWS) -> tuple[Grid | None, list[RowProblem]]:
    """The sheet as ``(row number, cell values)`` pairs, or ``None`` and why it is unreadable.

    Reading stops after the header and ``max_rows + 1`` non-blank rows: enough to tell that a
    file is too long without reading all of a huge one.
    """
    try:
        rows = read_rows(content, filename_or_content_type or "", limits=_limits(max_rows))
    except UnreadableSpreadsheet as exc:
        return None, [RowProblem(None, None, exc.reason, Code.UNREADABLE_FILE)]
    return _take(enumerate(rows, start=1), max_rows), []


def _limits(max_rows: int) -> Limits:
    """Room for the header, blank rows between data rows, and one row too many to report."""
    return Limits(max_rows=2 * max_rows + 100, max_columns=100)


def _take(numbered_rows: Iterable[tuple[int, Iterable[Any]]], max_rows: int) -> Grid:
    """Rows up to the header plus ``max_rows + 1`` non-blank ones."""
    grid: Grid = []
    filled = 0
    for number, values in numbered_rows:
        cells = list(values)
        grid.append((number, cells))
        filled += not blank(cells)
        if filled > max_rows + 1:
            break
    return grid
