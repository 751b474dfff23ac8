"""National skill levels (国家职业技能等级) as people write them: one parser for every service.

5 五级/初级工 … 1 一级/高级技师; a lower number is a higher level. Rosters and profiles write a level
as a digit, "5级", a grade word, a title word or both ("五级(初级工)", "三级/高级工").
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

SKILL_LEVEL_WORDS = {
    5: ("五级", "初级工", "初级"), 4: ("四级", "中级工", "中级"), 3: ("三级", "高级工"),
    2: ("二级", "技师"), 1: ("一级", "高级技师"),
}
OUTSIDE_FIVE_LEVELS = ("学徒工", "特级技师", "首席技师")
NO_LEVEL = ("无", "none", "-", "/")
EXPECTED = "五级/初级工, 四级/中级工, 三级/高级工, 二级/技师, 一级/高级技师 or 5..1"


def word_key(value: Any) -> str:
    """The text as compared: full-width folded (NFKC), without spaces, case-folded."""
    return "".join(unicodedata.normalize("NFKC", str(value)).split()).casefold()


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_skill_level(value: Any) -> tuple[int | None, str | None]:
    """五级/初级工/5/"5级"/"五级(初级工)" … 一级/高级技师/1 -> (5 … 1, None); blank or 无 -> (None, None);
    anything else -> (None, the problem in words)."""
    if _is_blank(value) or word_key(value) in NO_LEVEL:
        return None, None
    if isinstance(value, bool):
        return None, "not a skill level"
    if isinstance(value, (int, float)):
        value = int(value) if float(value).is_integer() else str(value)
    text = word_key(value).replace("国家职业资格", "").replace("职业技能等级", "")
    parts = [p for p in re.split(r"[/()、,]", text) if p]
    levels = {_one_level(p) for p in parts}
    if any(p in OUTSIDE_FIVE_LEVELS for p in parts):
        return None, (f"{str(value).strip()!r} is outside the five national levels "
                      "(五级/初级工 … 一级/高级技师), which is all this register holds")
    if len(levels) != 1 or None in levels:
        return None, f"unknown skill level {str(value).strip()!r} (expected {EXPECTED})"
    return levels.pop(), None


def _one_level(word: str) -> int | None:
    digits = word.removesuffix("级")
    if digits.isdigit() and int(digits) in SKILL_LEVEL_WORDS:
        return int(digits)
    for level, words in SKILL_LEVEL_WORDS.items():
        if word in words:
            return level
    return None
