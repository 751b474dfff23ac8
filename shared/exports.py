"""Writing tables as CSV or XLSX for download: the one writer every export calls.

Exported names come from users, and a spreadsheet program runs what looks like a formula: a
contestant named ``=HYPERLINK("http://x","click")`` would be a live link in the committee's
workbook. So, following OWASP's CSV-injection guidance, a text cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return (or their full-width forms) is prefixed with ``'`` in
CSV, and in XLSX every text is written as a string cell (never a formula) with Excel's quote
prefix on the dangerous ones. Numbers stay numbers; text that is only a number ("-3.50") is left
as it is, since it cannot be a formula.

Stored data must never make an export fail: characters XML cannot carry (control characters,
lone surrogates) are replaced with U+FFFD before writing, in both formats.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from shared.validation import FORBIDDEN_CHARACTERS

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
REPLACEMENT = "\ufffd"
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
NUMBERS = (int, float, Decimal)


def printable(text: str) -> str:
    """``text`` with every character no XML document can hold replaced by U+FFFD."""
    return FORBIDDEN_CHARACTERS.sub(REPLACEMENT, text)


def is_formula_like(text: str) -> bool:
    """Would a spreadsheet program read this text as a formula (or a DDE command)?"""
    return text.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.match(text)


def csv_text(value: Any) -> str:
    """A cell as CSV text: neutralised if it could run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, NUMBERS):
        text = printable(str(value))
        return "'" + text if is_formula_like(text) else text
    return str(value)


def to_csv(rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads Chinese headers) and CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: Iterable[Sequence[Any]], title: str = "Sheet") -> bytes:
    """One sheet; numbers, dates and booleans as such, everything else as a string cell."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(title))
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_title(title: str) -> str:
    """A title Excel accepts: no ``[]:*?/\\``, at most 31 characters, not empty."""
    clean = _SHEET_TITLE_FORBIDDEN.sub("_", printable(title)).strip("'")[:31]
    return clean or "Sheet"


def _xlsx_cell(sheet, value: Any) -> WriteOnlyCell | None:
    if value is None:
        return None
    if isinstance(value, (bool, datetime, date, *NUMBERS)):
        return WriteOnlyCell(sheet, value=value)
    return _as_text(WriteOnlyCell(sheet), value)


def put_text(sheet, row: int, column: int, value: Any):
    """Write ``value`` into a cell of an ordinary (styled) openpyxl sheet as text that stays text."""
    return _as_text(sheet.cell(row, column), value)


def _as_text(cell, value: Any):
    text = printable(str(value))
    cell.value = text
    cell.data_type = "s"  # openpyxl makes any text starting with "=" a formula
    if is_formula_like(text):
        cell.quotePrefix = True  # Excel keeps it text even when the cell is edited
    return cell
