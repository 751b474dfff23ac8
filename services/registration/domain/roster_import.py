"""A roster spreadsheet's cells (CSV or XLSX) as clean contestant rows, with every problem.

``rows_from_grid`` returns the rows that are clean and a ``RowProblem`` for everything else, all at
once (``adapters.roster_file`` reads the file into the grid). Row numbers are the spreadsheet's (the header is row 1; a CSV's first record is row 1).
Blank rows are skipped. Headers may be Chinese or English, in any case and spacing; a hint in
brackets ("出生日期(YYYY-MM-DD)") and a required-marker ``*`` are ignored, and a ``序号`` / ``No.``
column (a running number) is ignored. Any other unknown column is a problem.

Canonical fields (see ``HEADER_ALIASES``): name, gender, date_of_birth, id_number (required);
employer, delegation, delegation_kind, skill_level, employment, team, training_base (optional).
``employment`` is the 身份 column (employee / student), named as the shared value type.

Identity numbers must arrive as text. A workbook cell holding the number as a number has usually
lost digits already (Excel keeps 15 significant digits, the number has 18, and ``X`` cannot be a
number at all), so a float cell, or text in scientific notation, is refused with a message saying
how to fix it; an integer cell is accepted only if the number then passes the checksum.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from shared.levels import parse_skill_level, word_key

from .contestant import Contestant, Delegation
from .errors import Code, RowProblem, sort_problems
from .identity import normalise_resident_id, person_key, validate_resident_id
from .roster import Addition
from .text import clean_text

REQUIRED_FIELDS = ("name", "gender", "date_of_birth", "id_number")
OPTIONAL_FIELDS = ("employer", "delegation", "delegation_kind", "skill_level", "employment",
                   "team", "training_base")
CANONICAL_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "姓名"),
    "gender": ("gender", "sex", "性别"),
    "date_of_birth": ("date of birth", "birth date", "birthdate", "dob", "出生日期", "出生年月日"),
    "id_number": ("id number", "id no", "id", "resident id", "identity number", "身份证号",
                  "身份证号码", "身份证", "公民身份号码"),
    "employer": ("employer", "work unit", "工作单位", "单位", "所在单位"),
    "delegation": ("delegation", "代表队"),
    "delegation_kind": ("delegation kind", "delegation type", "代表队类型"),
    "skill_level": ("skill level", "当前技能等级", "技能等级", "职业技能等级"),
    "employment": ("employment", "status", "身份", "人员身份"),
    "team": ("team", "团队", "队伍", "团队名称"),
    "training_base": ("training base", "培训基地"),
}
#: Columns that carry no data of their own (a running number): read and dropped.
IGNORED_HEADERS = ("序号", "no", "#")

GENDER_WORDS = {"male": ("male", "m", "男", "男性"), "female": ("female", "f", "女", "女性")}
EMPLOYMENT_WORDS = {
    "employee": ("employee", "职工", "在职", "在职职工", "员工", "企业职工"),
    "student": ("student", "学生", "在校生", "在校学生"),
}
DELEGATION_KIND_WORDS = {
    "district": ("district", "区", "区县"),
    "enterprise_group": ("enterprise_group", "enterprise group", "企业集团", "集团"),
    "training_base": ("training_base", "training base", "培训基地", "基地"),
}
MAX_TEXT = 200
MAX_ROWS = 5000


# ------------------------------------------------------------------------------------- entry

Grid = list[tuple[int, list[Any]]]


def rows_from_grid(grid: Grid, *, today: date, max_rows: int = MAX_ROWS) -> tuple[list[dict], list[RowProblem]]:
    """Clean rows (``{"row": n, <every canonical field>: value or None}``) and every problem.

    ``grid`` is the sheet as ``(row number, cell values)`` pairs (``adapters.roster_file`` reads
    it). Only rows without problems are returned; the caller treats any problem as a failed
    upload. ``today`` is the reference for "birth date not in the future".
    """
    rows, problems = _rows_from_grid(grid, today, max_rows)
    return rows, sort_problems(problems)


def blank(cells: Iterable[Any]) -> bool:
    """Whether a row holds nothing but empty cells."""
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in cells)


# ----------------------------------------------------------------------------------- headers

def header_key(header: Any) -> str:
    """Comparable form of a header: NFKC, no bracketed hint, no ``*``, no spacing, case-folded."""
    text = unicodedata.normalize("NFKC", str(header or ""))
    text = re.sub(r"\(.*?\)|\[.*?\]", "", text)
    return re.sub(r"[\s_\-*.:：]", "", text).casefold()


_FIELD_BY_HEADER = {header_key(alias): field
                    for field, aliases in HEADER_ALIASES.items() for alias in (field, *aliases)}
_IGNORED = {header_key(h) for h in IGNORED_HEADERS}


def map_headers(headers: list[Any]) -> tuple[dict[int, str], list[RowProblem]]:
    """Column index -> canonical field, and the header problems (all on row 1)."""
    columns: dict[int, str] = {}
    problems: list[RowProblem] = []
    seen: dict[str, str] = {}
    for index, header in enumerate(headers):
        key = header_key(header)
        if not key or key in _IGNORED:
            continue
        field = _FIELD_BY_HEADER.get(key)
        if field is None:
            problems.append(RowProblem(1, None, f"unknown column {_show(header)}; known columns: "
                                       + ", ".join(CANONICAL_FIELDS), Code.UNKNOWN_COLUMN))
        elif field in seen:
            problems.append(RowProblem(1, field, f"columns {_show(seen[field])} and {_show(header)} "
                                       f"both hold {field}", Code.DUPLICATE_COLUMN))
        else:
            seen[field] = header
            columns[index] = field
    for field in REQUIRED_FIELDS:
        if field not in seen:
            names = " / ".join(HEADER_ALIASES[field][:1] + HEADER_ALIASES[field][-2:])
            problems.append(RowProblem(1, field, f"required column {field} ({names}) is missing",
                                       Code.MISSING_COLUMN))
    return columns, problems


def _show(header: Any) -> str:
    return repr(str(header).strip())


# -------------------------------------------------------------------------------------- rows

def _rows_from_grid(grid: list[tuple[int, list[Any]]], today: date,
                    max_rows: int) -> tuple[list[dict], list[RowProblem]]:
    if not grid or blank(grid[0][1]):
        return [], [RowProblem(1, None, "the first row must hold the column headers",
                               Code.MISSING_COLUMN)]
    headers = grid[0][1]
    columns, problems = map_headers(headers)
    data = [(n, cells) for n, cells in grid[1:] if not blank(cells)]
    if len(data) > max_rows:
        return [], problems + [RowProblem(None, None, f"more than {max_rows} rows; at most "
                                          f"{max_rows} per file", Code.TOO_MANY_ROWS)]
    required = [f for f in REQUIRED_FIELDS if f in columns.values()]
    labelled = {i for i, h in enumerate(headers) if header_key(h)}
    rows: list[dict] = []
    for number, cells in data:
        clean, found = _read_row(number, cells, columns, labelled, required, today)
        problems += found
        if not found:
            rows.append({"row": number, **clean})
    return rows, problems


def _read_row(number: int, cells: list[Any], columns: dict[int, str], labelled: set[int],
              required: list[str], today: date) -> tuple[dict[str, Any], list[RowProblem]]:
    problems = []
    stray = [i for i, v in enumerate(cells) if i not in labelled and not blank([v])]
    if stray:
        problems.append(RowProblem(number, None, f"a value stands in column {stray[0] + 1}, "
                                   "which has no header", Code.UNKNOWN_COLUMN))
    raw = {field: (cells[i] if i < len(cells) else None) for i, field in columns.items()}
    clean, found = clean_contestant(raw, today=today, required=required)
    return clean, problems + [RowProblem(number, column, message) for column, message in found]


def clean_contestant(raw: Mapping[str, Any], *, today: date,
                     required: Iterable[str] = REQUIRED_FIELDS
                     ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Typed, normalised contestant fields and every ``(field, problem)``.

    Also usable for one contestant sent as JSON (strings and ISO dates). Every canonical field is
    in the result, ``None`` when absent or invalid.
    """
    clean: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for field in CANONICAL_FIELDS:
        value, problem = _PARSERS[field](raw.get(field))
        clean[field] = value
        if problem:
            problems.append((field, problem))
        elif value is None and field in required:
            problems.append((field, f"{field} is required"))
    problems += _cross_field_problems(raw, clean, today)
    return clean, problems


def _cross_field_problems(raw: Mapping[str, Any], clean: dict[str, Any],
                          today: date) -> list[tuple[str, str]]:
    problems = []
    if clean["id_number"] is not None:
        found = validate_resident_id(clean["id_number"], clean["date_of_birth"], today=today)
        hint = _numeric_cell_hint(raw.get("id_number"))
        problems += [("id_number", msg + hint) for msg in found]
        if found:
            clean["id_number"] = None
    if clean["date_of_birth"] is not None and clean["date_of_birth"] > today:
        problems.append(("date_of_birth", "date of birth is in the future"))
    if clean["delegation"] and not clean["delegation_kind"] and _isblank(raw.get("delegation_kind")):
        problems.append(("delegation_kind", "give the delegation's kind: district 区, "
                         "enterprise_group 企业集团 or training_base 培训基地"))
    if clean["delegation_kind"] and not clean["delegation"]:
        problems.append(("delegation", "a delegation kind is given but no delegation name"))
    return problems


# ---------------------------------------------------------------------------- field parsers

def _isblank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> tuple[str | None, str | None]:
    if _isblank(value):
        return None, None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a team "1" typed into a number cell
    if isinstance(value, (datetime, date)):
        return None, "expected text, found a date"
    text = clean_text(value)
    if text is not None and len(text) > MAX_TEXT:
        return None, f"longer than {MAX_TEXT} characters"
    return text, None


def _word_parser(words: Mapping[Any, tuple[str, ...]], what: str
                 ) -> Callable[[Any], tuple[Any, str | None]]:
    table = {word_key(w): value for value, ws in words.items() for w in (str(value), *ws)}
    shown = "; ".join(f"{value}: {'/'.join(ws)}" for value, ws in words.items())

    def parse(value: Any) -> tuple[Any, str | None]:
        if _isblank(value):
            return None, None
        found = table.get(word_key(value))
        if found is None:
            return None, f"unknown {what} {str(value).strip()!r} (expected {shown})"
        return found, None
    return parse


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(value: Any) -> tuple[date | None, str | None]:
    """Dates as Excel date cells, 2001-05-03, 2001/5/3, 2001.5.3, 2001年5月3日 or 20010503."""
    if _isblank(value):
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, bool):
        return None, "not a date"
    if isinstance(value, (int, float)) and not float(value).is_integer():
        return None, "a number, not a date: format the cell as a date or write 2001-05-03"
    text = unicodedata.normalize("NFKC", str(int(value) if isinstance(value, float) else value))
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text.strip())
        if match:
            try:
                return date(*map(int, match.groups())), None
            except ValueError:
                return None, f"{text.strip()!r} is not a real date"
    return None, f"{text.strip()!r} is not a date (write it as 2001-05-03)"


_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?e\+?\d+$", re.IGNORECASE)
_PRECISION_LOST = ("the identity number is stored as a number and has lost its last digits "
                   "(spreadsheets keep only 15 significant digits): format the column as text "
                   "and enter the numbers again")


def parse_id_cell(value: Any) -> tuple[str | None, str | None]:
    """The identity number as normalised text, refusing cells where digits were lost."""
    if _isblank(value):
        return None, None
    if isinstance(value, bool):
        return None, "not an identity number"
    if isinstance(value, float) or _SCIENTIFIC.match(str(value).strip()):
        return None, _PRECISION_LOST
    return normalise_resident_id(str(value)), None


def _numeric_cell_hint(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return (" (the cell holds a number; spreadsheets keep only 15 significant digits, so "
                "format the column as text and enter the number again)")
    return ""


_PARSERS: dict[str, Callable[[Any], tuple[Any, str | None]]] = {
    "name": _text,
    "gender": _word_parser(GENDER_WORDS, "gender"),
    "date_of_birth": parse_date,
    "id_number": parse_id_cell,
    "employer": _text,
    "delegation": _text,
    "delegation_kind": _word_parser(DELEGATION_KIND_WORDS, "delegation kind"),
    "skill_level": parse_skill_level,
    "employment": _word_parser(EMPLOYMENT_WORDS, "status (身份)"),
    "team": _text,
    "training_base": _text,
}


# ----------------------------------------------------------------------------- to contestants

def contestant_from_row(row: Mapping[str, Any], key: bytes) -> Contestant:
    """A ``Contestant`` from a clean row; ``key`` is the configured person-key secret."""
    delegation = None
    if row.get("delegation") and row.get("delegation_kind"):
        delegation = Delegation(kind=row["delegation_kind"], name=row["delegation"])
    return Contestant(
        person_key=person_key(row["id_number"], key), name=row["name"],
        date_of_birth=row["date_of_birth"], gender=row.get("gender"),
        employer=row.get("employer"), delegation=delegation,
        skill_level=row.get("skill_level"), employment=row.get("employment"),
        team=row.get("team"), training_base=row.get("training_base"),
    )


def additions_from_rows(rows: Iterable[Mapping[str, Any]], key: bytes) -> list[Addition]:
    """Clean rows as additions for ``roster.check_additions``, each at its spreadsheet row."""
    return [Addition(row=row["row"], contestant=contestant_from_row(row, key)) for row in rows]
