"""Candidate profiles: the fields, cleaning, and reading them from a CSV or XLSX sheet.

A profile is keyed by ``person_key`` (the awards service never sees an ID number; a sheet may
carry the masked one). Headers may be Chinese or English; a bad row is reported as
``{"path": "/rows/<row>/<column>", "row", "column", "problem"}`` and nothing is written.
Rows are numbered as the spreadsheet shows them (the header is row 1).

Cell formats: yes/no as 是/否, yes/no, y/n, true/false, 1/0; skill level as 1..5, 一级…五级 or
the level's name (高级技师, 技师, 高级工, 中级工, 初级工); titles as "全国技术能手 2019；上海市技术能手
2017" (separated by ; ； 、 or a line break, the year optional); innovation awards as
"职工创新成果奖 2021 市级" (name, year, optional level: 国家级/national, 市级/municipal,
行业/industry, 区级/district, 企业/enterprise).
"""
from __future__ import annotations

import csv
import re
import unicodedata
from typing import Any

from services.awards.domain.policy import Policy
from shared.levels import parse_skill_level
from shared.spreadsheets import Limits, UnreadableSpreadsheet, decode_text, is_xlsx, read_csv, read_workbook

PROFILE_FIELDS = ("name", "masked_id", "employer", "industry", "district", "union_member", "front_line",
                  "current_level", "years_of_service", "titles", "innovation_awards", "patents", "apprentices",
                  "chief_technician_funded_year", "studio_funded_year", "still_in_post")

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
YES = ("是", "yes", "y", "true", "1", "✓", "√")
NO = ("否", "no", "n", "false", "0", "×")
AWARD_LEVELS = {"national": ("national", "国家级", "全国"), "municipal": ("municipal", "市级", "上海市"),
                "industry": ("industry", "行业", "行业级"), "district": ("district", "区级"),
                "enterprise": ("enterprise", "企业", "企业级")}
PERSON_KEY = re.compile(r"^[0-9a-f]{64}$")
MASKED_ID = re.compile(r"^[0-9]{6}\*{8}[0-9]{3}[0-9X]$")
MAX_ROWS = 20000
YEAR_MIN, YEAR_MAX = 1950, 2100


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


# ------------------------------------------------------------------------------ cleaning values


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(f"'{text}' is not yes/no (是/否)")


def _int(value: Any, low: int, high: int, what: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a whole number")
    if isinstance(value, int):
        number = value
    else:
        text = _text(value)
        if not re.fullmatch(r"-?\d+(\.0+)?", text):
            raise ValueError(f"'{text}' is not a whole number")
        number = int(float(text))
    if not low <= number <= high:
        raise ValueError(f"{what} must be between {low} and {high}, not {number}")
    return number


def _level(value: Any) -> int:
    level, problem = parse_skill_level(value)
    if level is None:
        raise ValueError(problem or "a skill level is required")
    return level


def _year(value: Any, what: str) -> int:
    return _int(value, YEAR_MIN, YEAR_MAX, what)


def _items(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;；、\n]+", text) if part.strip()]


def _titles(value: Any, policy: Policy) -> list[dict]:
    if isinstance(value, list):
        items = value
    else:
        items = []
        for part in _items(_text(value)):
            match = re.fullmatch(r"(.+?)[\s(（]*((?:19|20)\d\d)?[)）]?\s*(?:年)?", part)
            name, year = (match.group(1).strip(), match.group(2)) if match else (part, None)
            items.append({"name_zh": name, "year": int(year) if year else None})
    titles = []
    for item in items:
        code = item.get("code") or policy.title_code_for(item.get("name_zh") or "")
        name = item.get("name_zh")
        if code and not name:
            known = policy.title(code)
            if known is None:
                raise ValueError(f"title code '{code}' is not in the policy's title catalogue")
            name = known["name_zh"]
        if not (code or name):
            raise ValueError("a title needs a code or a Chinese name")
        year = item.get("year")
        if year is not None:
            year = _year(year, "title year")
        titles.append({"code": code, "name_zh": name, "year": year})
    return titles


def _award_level(word: str) -> str | None:
    word = word.lower()
    for level, words in AWARD_LEVELS.items():
        if word in words:
            return level
    return None


def _innovation(value: Any) -> list[dict]:
    if isinstance(value, list):
        return [{"name": a["name"], "year": _year(a["year"], "award year"), "level": a.get("level")} for a in value]
    awards = []
    for part in _items(_text(value)):
        words = part.split()
        year_at = next((i for i, w in enumerate(words) if re.fullmatch(r"(19|20)\d\d年?", w)), None)
        if year_at is None or year_at == 0:
            raise ValueError(f"'{part}': write an innovation award as 'name year [level]', e.g. 职工创新成果奖 2021 市级")
        level = None
        if year_at + 1 < len(words):
            level = _award_level(" ".join(words[year_at + 1:]))
            if level is None:
                raise ValueError(f"'{part}': unknown award level '{' '.join(words[year_at + 1:])}'")
        awards.append({"name": " ".join(words[:year_at]), "year": int(words[year_at][:4]), "level": level})
    return awards


def clean_field(field: str, value: Any, policy: Policy) -> Any:
    """The stored value of one profile field; raises ValueError saying what is wrong."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return [] if field in ("titles", "innovation_awards") else None
    if field in ("union_member", "front_line", "still_in_post"):
        return _bool(value)
    if field == "current_level":
        return _level(value)
    if field in ("years_of_service", "patents", "apprentices"):
        return _int(value, 0, 1000, field.replace("_", " "))
    if field in ("chief_technician_funded_year", "studio_funded_year"):
        return _year(value, "funding year")
    if field == "titles":
        return _titles(value, policy)
    if field == "innovation_awards":
        return _innovation(value)
    if field == "person_key":
        text = _text(value).lower()
        if not PERSON_KEY.match(text):
            raise ValueError("a person key is 64 hexadecimal characters")
        return text
    if field == "masked_id":
        text = _text(value).upper()
        if not MASKED_ID.match(text):
            raise ValueError("a masked ID number looks like 310101********1234 (never a full ID number)")
        return text
    text = _text(value)
    if len(text) > 200:
        raise ValueError("longer than 200 characters")
    return text


def clean_profile(data: dict, policy: Policy) -> tuple[dict, list[tuple[str, str]]]:
    """Clean the fields present in ``data``; problems as (field, problem)."""
    clean, problems = {}, []
    for field, value in data.items():
        if field not in PROFILE_FIELDS and field != "person_key":
            continue
        try:
            clean[field] = clean_field(field, value, policy)
        except (ValueError, TypeError, KeyError) as exc:
            problems.append((field, str(exc)))
    return clean, problems


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
        raise ValueError(exc.reason if not is_xlsx(content, hint) else "the file is not a readable .xlsx workbook")
    except csv.Error as exc:
        raise ValueError(f"the CSV file could not be read: {exc}")


def _problem(row: int | None, column: str | None, problem: str) -> dict:
    path = "/" if row is None else f"/rows/{row}" + (f"/{column}" if column else "")
    return {"path": path, "row": row, "column": column, "problem": problem}


def parse_profiles(content: bytes, hint: str, policy: Policy) -> tuple[list[dict], list[dict]]:
    """Clean profile rows (with their ``row`` number) and every problem found."""
    if not content:
        return [], [_problem(None, None, "the file is empty")]
    try:
        grid = _grid(content, hint or "")
    except ValueError as exc:
        return [], [_problem(None, None, str(exc))]
    while grid and not any(_text(c) for c in grid[0]):
        grid.pop(0)
    if not grid:
        return [], [_problem(None, None, "the file has no header row")]
    headers = grid[0]
    columns: dict[int, str] = {}
    problems: list[dict] = []
    for index, header in enumerate(headers):
        if not _text(header) or _norm(header) in IGNORED:
            continue
        field = header_field(header)
        if field is None:
            problems.append(_problem(1, _text(header), "unknown column"))
        elif field in columns.values():
            problems.append(_problem(1, _text(header), f"column for {field} appears twice"))
        else:
            columns[index] = field
    if "person_key" not in columns.values():
        problems.append(_problem(1, "人员标识", "the person key column (人员标识 / person key) is missing"))
    if problems:
        return [], problems
    rows, seen = [], {}
    body = grid[1:]
    if len(body) > MAX_ROWS:
        return [], [_problem(None, None, f"more than {MAX_ROWS} rows; split the file")]
    for number, cells in enumerate(body, start=2):
        if not any(_text(c) for c in cells):
            continue
        row: dict[str, Any] = {"row": number}
        for index, field in columns.items():
            value = cells[index] if index < len(cells) else None
            label = _text(headers[index])
            if not _text(value):
                if field == "person_key":
                    problems.append(_problem(number, label, "the person key is required"))
                continue  # an empty cell leaves the stored value as it is
            try:
                row[field] = clean_field(field, value, policy)
            except (ValueError, TypeError) as exc:
                problems.append(_problem(number, label, str(exc)))
        key = row.get("person_key")
        if key:
            if key in seen:
                problems.append(_problem(number, _text(headers[[i for i, f in columns.items() if f == "person_key"][0]]),
                                         f"the same person as row {seen[key]}"))
            seen.setdefault(key, number)
        rows.append(row)
    if not rows and not problems:
        problems.append(_problem(None, None, "the file has a header but no rows"))
    return rows, problems
