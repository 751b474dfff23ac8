"""Reading candidate profiles from a CSV or XLSX sheet (through ``shared.spreadsheets``, the one reader).

A profile is keyed by ``person_key`` (the awards service never sees an ID number; a sheet may
carry the masked one). Headers may be Chinese or English; a bad row is reported as
``{"path": "/rows/<row>/<column>", "row", "column", "problem"}`` and nothing is written.
Rows are numbered as the spreadsheet shows them (the header is row 1). How each cell is cleaned
is the domain's (``domain.profiles``).
"""
from __future__ import annotations

import csv
import re
import unicodedata
from typing import Any

from services.awards.domain.policy import Policy
from services.awards.domain.profiles import cell_text, clean_field
from shared.spreadsheets import Limits, UnreadableSpreadsheet, decode_text, is_xlsx, read_csv, read_workbook

HEADERS: dict[str, tuple[str, ...]] = {
    "person_key": ("person key", "person_key", "人员标识", "人员编号"),
    "masked_id": ("masked id", "masked_id", "身份证号(脱敏)", "身份证号码(脱敏)", "脱敏身份证号"),
    "name": ("name", "姓名"),
    "employer": ("employer", "work unit", "工作单位", "单位"),
    "industry": ("industry", "行业", "所属行业"),
    "district": ("district", "区", "所在区", "区县"),
    "union_member": ("union member", "trade union member", "工会会员", "是否工会会员"),
    "front_line": ("front line", "front-line worker", "front line worker", "一线职工", "是否一线职工"),
    "current_level": ("skill level", "current skill level", "current level", "技能等级", "职业技能等级", "当前技能等级"),
    "years_of_service": ("years of service", "工龄", "从业年限"),
    "titles": ("titles", "titles held", "已获称号", "荣誉称号"),
    "innovation_awards": ("innovation awards", "创新成果", "创新成果奖", "职工创新成果"),
    "patents": ("patents", "专利", "专利数"),
    "apprentices": ("apprentices", "apprentices trained", "带徒人数", "带徒"),
    "chief_technician_funded_year": ("chief technician funded", "chief technician funded year", "首席技师资助年份",
                                     "首席技师资助"),
    "studio_funded_year": ("studio funded", "studio funded year", "工作室资助年份", "技能大师工作室资助年份"),
    "still_in_post": ("still in post", "在岗", "是否在岗"),
}
COLUMN_LABEL = {field: names[-1] if field not in ("person_key",) else "人员标识" for field, names in HEADERS.items()}
IGNORED = ("序号", "no", "#")
MAX_ROWS = 20000
def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).strip().lower()
    text = re.sub(r"[\s_]+", " ", text).replace("*", "").strip()
    return text


_LOOKUP = {_norm(alias): field for field, aliases in HEADERS.items() for alias in aliases}


def header_field(header: Any) -> str | None:
    text = _norm(header or "")
    if text in _LOOKUP:
        return _LOOKUP[text]
    bare = re.sub(r"[(（][^)）]*[)）]", "", text).strip()  # a hint in brackets
    return _LOOKUP.get(bare)


# ------------------------------------------------------------------------------ reading sheets


def _grid(content: bytes, hint: str) -> list[list[Any]]:
    limits = Limits(max_rows=MAX_ROWS + 100, max_columns=100)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValueError("old .xls workbooks are not read; save the sheet as .xlsx or CSV (UTF-8)")
    try:
        if is_xlsx(content, hint):
            book = read_workbook(content, limits=limits, first_sheet_only=True)
            return [list(row) for row in book.worksheets[0].rows] if book.worksheets else []
        return [list(row) for row in read_csv(decode_text(content), limits=limits)]
    except UnreadableSpreadsheet as exc:
        raise ValueError(exc.reason if not is_xlsx(content, hint)
                         else "the file is not a readable .xlsx workbook") from None
    except csv.Error as exc:
        raise ValueError(f"the CSV file could not be read: {exc}") from None


def _problem(row: int | None, column: str | None, problem: str) -> dict:
    path = "/" if row is None else f"/rows/{row}" + (f"/{column}" if column else "")
    return {"path": path, "row": row, "column": column, "problem": problem}


def _columns(headers: list[Any]) -> tuple[dict[int, str], list[dict]]:
    """Column index -> profile field, and the problems of the header row."""
    columns: dict[int, str] = {}
    problems: list[dict] = []
    for index, header in enumerate(headers):
        if not cell_text(header) or _norm(header) in IGNORED:
            continue
        field = header_field(header)
        if field is None:
            problems.append(_problem(1, cell_text(header), "unknown column"))
        elif field in columns.values():
            problems.append(_problem(1, cell_text(header), f"column for {field} appears twice"))
        else:
            columns[index] = field
    if "person_key" not in columns.values():
        problems.append(_problem(1, "人员标识", "the person key column (人员标识 / person key) is missing"))
    return columns, problems


def _row(number: int, cells: list[Any], headers: list[Any], columns: dict[int, str], policy: Policy,
         problems: list[dict]) -> dict[str, Any]:
    """The cleaned fields of one row (an empty cell leaves the stored value as it is); problems appended."""
    row: dict[str, Any] = {"row": number}
    for index, field in columns.items():
        value = cells[index] if index < len(cells) else None
        label = cell_text(headers[index])
        if not cell_text(value):
            if field == "person_key":
                problems.append(_problem(number, label, "the person key is required"))
            continue
        try:
            row[field] = clean_field(field, value, policy)
        except (ValueError, TypeError) as exc:
            problems.append(_problem(number, label, str(exc)))
    return row


def parse_profiles(content: bytes, hint: str, policy: Policy) -> tuple[list[dict], list[dict]]:
    """Clean profile rows (with their ``row`` number) and every problem found."""
    if not content:
        return [], [_problem(None, None, "the file is empty")]
    try:
        grid = _grid(content, hint or "")
    except ValueError as exc:
        return [], [_problem(None, None, str(exc))]
    while grid and not any(cell_text(c) for c in grid[0]):
        grid.pop(0)
    if not grid:
        return [], [_problem(None, None, "the file has no header row")]
    headers, body = grid[0], grid[1:]
    columns, problems = _columns(headers)
    if problems:
        return [], problems
    if len(body) > MAX_ROWS:
        return [], [_problem(None, None, f"more than {MAX_ROWS} rows; split the file")]
    key_label = cell_text(headers[next(i for i, f in columns.items() if f == "person_key")])
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(body, start=2):
        if any(cell_text(c) for c in cells):
            row = _row(number, cells, headers, columns, policy, problems)
            key = row.get("person_key")
            if key and key in seen:
                problems.append(_problem(number, key_label, f"the same person as row {seen[key]}"))
            if key:
                seen.setdefault(key, number)
            rows.append(row)
    if not rows and not problems:
        problems.append(_problem(None, None, "the file has a header but no rows"))
    return rows, problems
