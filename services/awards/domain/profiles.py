"""Candidate profile fields and how a value given for each is cleaned (the rules; reading a sheet
of profiles is ``adapters.profile_files``).

Cell formats: yes/no as 是/否, yes/no, y/n, true/false, 1/0; skill level as 1..5, 一级…五级 or
the level's name (高级技师, 技师, 高级工, 中级工, 初级工); titles as "全国技术能手 2019；上海市技术能手
2017" (separated by ; ； 、 or a line break, the year optional); innovation awards as
"职工创新成果奖 2021 市级" (name, year, optional level: 国家级/national, 市级/municipal,
行业/industry, 区级/district, 企业/enterprise).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from shared.levels import parse_skill_level

from .policy import Policy

PROFILE_FIELDS = ("name", "masked_id", "employer", "industry", "district", "union_member", "front_line",
                  "current_level", "years_of_service", "titles", "innovation_awards", "patents", "apprentices",
                  "chief_technician_funded_year", "studio_funded_year", "still_in_post")

YES = ("是", "yes", "y", "true", "1", "✓", "√")
NO = ("否", "no", "n", "false", "0", "×")
AWARD_LEVELS = {"national": ("national", "国家级", "全国"), "municipal": ("municipal", "市级", "上海市"),
                "industry": ("industry", "行业", "行业级"), "district": ("district", "区级"),
                "enterprise": ("enterprise", "企业", "企业级")}
PERSON_KEY = re.compile(r"^[0-9a-f]{64}$")
MASKED_ID = re.compile(r"^[0-9]{6}\*{8}[0-9]{3}[0-9X]$")
YEAR_MIN, YEAR_MAX = 1950, 2100


# ------------------------------------------------------------------------------ cleaning values


def cell_text(value: Any) -> str:
    """A cell or field value as trimmed NFKC text (whole floats as integers)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value).lower()
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
        text = cell_text(value)
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
        for part in _items(cell_text(value)):
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
    for part in _items(cell_text(value)):
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
        text = cell_text(value).lower()
        if not PERSON_KEY.match(text):
            raise ValueError("a person key is 64 hexadecimal characters")
        return text
    if field == "masked_id":
        text = cell_text(value).upper()
        if not MASKED_ID.match(text):
            raise ValueError("a masked ID number looks like 310101********1234 (never a full ID number)")
        return text
    text = cell_text(value)
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
