"""Reading uploaded spreadsheets (XLSX and CSV) safely: the one reader every import calls.

An uploaded file is hostile until read. A 2 MB .xlsx can hold a sheet that inflates to gigabytes,
a tiny sheet can claim a cell in row 1,048,576 or column XFD, and a cell can hold characters that
no export can write back. So, before openpyxl sees a byte, the archive's entries are checked
against ``Limits`` (count, each entry's and the total uncompressed size, compression ratio);
``zipfile`` never inflates an entry past the size its directory declares, so a forged directory
only yields a truncated, unreadable sheet. Sheets are then read in openpyxl's streaming
(read-only) mode with row and column caps, and every text cell is checked for forbidden
characters. A limit is refused with ``PAYLOAD_TOO_LARGE`` (413) naming it; a forbidden character
with ``VALIDATION_FAILED`` (422) naming the cell.

Parsing runs in eventlet's thread pool, so a large (but allowed) import never stops the service
answering other calls meanwhile.
"""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import openpyxl
from eventlet import tpool
from openpyxl.utils import get_column_letter

from shared.errors import ServiceError, detail
from shared.validation import character_problem

XLSX_MAGIC = b"PK\x03\x04"
MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How much of a spreadsheet is read before it is refused."""

    max_rows: int = 10_000  # rows per sheet, blank ones between data rows included
    max_columns: int = 100
    max_sheets: int = 20
    max_cells: int = 1_000_000  # values kept over all sheets
    max_entries: int = 200  # files inside the .xlsx archive
    max_entry_bytes: int = 32 * MB  # uncompressed size of any one of them
    max_total_bytes: int = 64 * MB  # uncompressed size of all of them
    max_ratio: int = 200  # uncompressed / compressed, for entries over ``ratio_floor_bytes``
    ratio_floor_bytes: int = 1 * MB
    max_csv_bytes: int = 16 * MB

    def but(self, **changes) -> Limits:
        return replace(self, **changes)


DEFAULT_LIMITS = Limits()


class UnreadableSpreadsheet(ValueError):
    """The bytes are not a workbook (or CSV text) we can read; ``reason`` says what failed."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Sheet:
    """One sheet's values as rows of cells, read up to the limits (trailing blank rows dropped).

    Offers the part of openpyxl's worksheet interface the importers use (``title``, ``max_row``,
    ``max_column``, ``iter_rows``), so an importer reads it as it would read an openpyxl sheet.
    """

    title: str
    rows: list[tuple] = field(default_factory=list)

    @property
    def max_row(self) -> int:
        return len(self.rows)

    @property
    def max_column(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def iter_rows(self, min_row: int = 1, max_row: int | None = None, min_col: int = 1, max_col: int | None = None,
                  values_only: bool = True) -> Iterator[tuple]:
        """Rows ``min_row..max_row`` cut or padded with ``None`` to columns ``min_col..max_col``."""
        if not values_only:
            raise ValueError("a read sheet holds values only")
        last_col = max_col or self.max_column
        width = max(last_col - min_col + 1, 0)
        for row in self.rows[min_row - 1:max_row]:
            cells = row[min_col - 1:last_col]
            yield tuple(cells) + (None,) * (width - len(cells))


@dataclass
class Workbook:
    worksheets: list[Sheet]


# ------------------------------------------------------------------------------------- XLSX

def is_xlsx(content: bytes, hint: str = "") -> bool:
    """A zip archive, or claimed to be an .xlsx by its file name or content type."""
    hint = hint.lower()
    return content.startswith(XLSX_MAGIC) or hint.endswith(".xlsx") or "spreadsheetml" in hint


def read_workbook(content: bytes, *, limits: Limits = DEFAULT_LIMITS, data_only: bool = True,
                  first_sheet_only: bool = False) -> Workbook:
    """The workbook's sheets read within ``limits``, off the event loop.

    ``data_only=False`` keeps formulas as their text (``"=SUM(A1:A3)"``) instead of the cached value.
    Raises ``ServiceError`` for a limit or a forbidden character, ``UnreadableSpreadsheet`` for
    bytes that are not a workbook.
    """
    check_archive(content, limits)
    return off_the_hub(_read_workbook, content, limits, data_only, first_sheet_only)


def check_archive(content: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse an archive whose entries exceed ``limits`` before anything is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise UnreadableSpreadsheet(type(exc).__name__) from None
    if len(entries) > limits.max_entries:
        _too_large(f"the workbook holds {len(entries)} files; at most {limits.max_entries} are accepted")
    total = 0
    for entry in entries:
        total += entry.file_size
        if entry.file_size > limits.max_entry_bytes:
            _too_large(f"{entry.filename} inflates to {entry.file_size} bytes; "
                       f"at most {limits.max_entry_bytes} bytes per part are accepted")
        if entry.file_size > limits.ratio_floor_bytes and entry.file_size > limits.max_ratio * max(entry.compress_size, 1):
            _too_large(f"{entry.filename} is compressed {entry.file_size // max(entry.compress_size, 1)} to 1; "
                       f"at most {limits.max_ratio} to 1 is accepted (a zip bomb?)")
    if total > limits.max_total_bytes:
        _too_large(f"the workbook inflates to {total} bytes; at most {limits.max_total_bytes} bytes are accepted")


def _read_workbook(content: bytes, limits: Limits, data_only: bool, first_sheet_only: bool) -> Workbook:
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises zip, XML, key and its own errors for broken files
        raise UnreadableSpreadsheet(type(exc).__name__) from None
    try:
        sources = book.worksheets[:1] if first_sheet_only else book.worksheets
        if len(sources) > limits.max_sheets:
            _too_large(f"the workbook has {len(sources)} sheets; at most {limits.max_sheets} are accepted")
        sheets, budget = [], limits.max_cells
        for source in sources:
            sheet = _read_sheet(source, limits, budget)
            budget -= sum(len(r) for r in sheet.rows)
            sheets.append(sheet)
        return Workbook(sheets)
    except (ServiceError, UnreadableSpreadsheet):
        raise
    except Exception as exc:  # noqa: BLE001 - a sheet that breaks half-way is as unreadable as a broken file
        raise UnreadableSpreadsheet(type(exc).__name__) from None
    finally:
        book.close()


def _read_sheet(source: Any, limits: Limits, budget: int) -> Sheet:
    if not hasattr(source, "reset_dimensions"):  # a chart sheet: no cells
        return Sheet(source.title)
    source.reset_dimensions()  # the stored size may lie (and would pad every row to it): read what is there
    rows = _capped_rows(source.iter_rows(values_only=True), limits, source.title, budget)
    return Sheet(source.title, rows)


# -------------------------------------------------------------------------------------- CSV

def read_csv(text: str, *, limits: Limits = DEFAULT_LIMITS, delimiter: str = ",") -> list[tuple]:
    """Decoded CSV text as rows within ``limits``, off the event loop (``csv.Error`` if malformed)."""
    if len(text) > limits.max_csv_bytes:
        _too_large(f"the CSV file has {len(text)} characters; at most {limits.max_csv_bytes} are accepted")
    return off_the_hub(_read_csv, text, limits, delimiter)


def _read_csv(text: str, limits: Limits, delimiter: str) -> list[tuple]:
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _capped_rows((tuple(r) for r in records), limits, "csv", limits.max_cells)


def decode_text(content: bytes) -> str:
    """CSV bytes as text: UTF-16 with BOM (Excel's "Unicode text"), UTF-8 with or without BOM,
    else GB18030 (what Excel on Chinese Windows writes for "CSV")."""
    encodings = ("utf-16",) if content[:2] in (b"\xff\xfe", b"\xfe\xff") else ()
    for encoding in (*encodings, "utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableSpreadsheet("the CSV file is neither UTF-8 nor GB18030 text")


def sniff_delimiter(text: str) -> str:
    """The delimiter of CSV text: whichever of comma, tab and semicolon its first line holds most
    (Excel writes tabs for "Unicode text" and semicolons where the decimal mark is a comma)."""
    first_line = text.split("\n", 1)[0]
    return max((",", "\t", ";"), key=first_line.count)


OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def read_rows(content: bytes, hint: str = "", *, limits: Limits = DEFAULT_LIMITS) -> list[tuple]:
    """The rows of an uploaded table: the first sheet of an .xlsx workbook, or CSV text in any
    encoding ``decode_text`` reads, split at the delimiter ``sniff_delimiter`` finds.

    ``hint`` is the file name or content type. Raises ``UnreadableSpreadsheet`` saying why the
    bytes cannot be read (empty, an old .xls, a broken workbook, malformed CSV), ``ServiceError``
    for a limit or a forbidden character.
    """
    if not content:
        raise UnreadableSpreadsheet("the file is empty")
    if content.startswith(OLE_MAGIC):
        raise UnreadableSpreadsheet("this is an old .xls workbook or a password-protected file; "
                                    "save it as .xlsx or CSV (UTF-8) without a password")
    if is_xlsx(content, hint):
        return _first_sheet_rows(content, limits)
    text = decode_text(content)
    try:
        return read_csv(text, limits=limits, delimiter=sniff_delimiter(text))
    except csv.Error as exc:
        raise UnreadableSpreadsheet(f"the CSV file could not be read: {exc}") from None


def _first_sheet_rows(content: bytes, limits: Limits) -> list[tuple]:
    try:
        book = read_workbook(content, limits=limits, first_sheet_only=True)
    except UnreadableSpreadsheet:
        raise UnreadableSpreadsheet("the file is not a readable .xlsx workbook") from None
    if not book.worksheets:
        raise UnreadableSpreadsheet("the workbook has no sheet")
    return book.worksheets[0].rows


# -------------------------------------------------------------------------------- the caps

def _capped_rows(rows: Iterable[tuple], limits: Limits, sheet: str, budget: int) -> list[tuple]:
    """Rows with trailing blank ones dropped; refused past the row, column or cell caps.

    Blank rows past ``max_rows`` are read and dropped (templates often format thousands), so only
    a row holding a value there is refused.
    """
    kept: list[tuple] = []
    blank_run = 0
    for number, row in enumerate(rows, start=1):
        row = _capped_columns(row, limits, sheet, number)
        if row.count(None) == len(row):
            blank_run += 1
            continue
        if number > limits.max_rows:
            _too_large(f"sheet {sheet} has a value in row {number}; at most {limits.max_rows} rows are read")
        _check_text(row, sheet, number)
        kept.extend([()] * blank_run)
        kept.append(row)
        blank_run = 0
        budget -= len(row)
        if budget < 0:
            _too_large(f"the file holds more than {limits.max_cells} cells; at most that many are read")
    return kept


def _capped_columns(row: tuple, limits: Limits, sheet: str, number: int) -> tuple:
    row = tuple(row)
    if len(row) <= limits.max_columns:
        return row
    beyond = row[limits.max_columns:]
    if beyond.count(None) != len(beyond):
        column = limits.max_columns + next(i for i, v in enumerate(beyond) if v is not None) + 1
        _too_large(f"sheet {sheet} has a value in column {get_column_letter(column)} of row {number}; "
                   f"at most {limits.max_columns} columns are read")
    return row[:limits.max_columns]


def _check_text(row: tuple, sheet: str, number: int) -> None:
    problems = [detail(f"{sheet}!{get_column_letter(column)}{number}", f"the cell {problem}")
                for column, value in enumerate(row, start=1)
                if isinstance(value, str) and (problem := character_problem(value))]
    if problems:
        raise ServiceError("VALIDATION_FAILED", f"the file has a forbidden character at {problems[0]['path']}; "
                           "remove control characters and save it again", problems)


def _too_large(message: str) -> None:
    raise ServiceError("PAYLOAD_TOO_LARGE", message, [detail("/file", message)])


# ------------------------------------------------------------------------------- the thread

def off_the_hub[T](work: Callable[..., T], *args) -> T:
    """Run CPU-bound ``work`` in eventlet's thread pool: the service keeps answering meanwhile.

    Exceptions raised by ``work`` are raised here, in the calling green thread.
    """
    return tpool.execute(work, *args)
