"""Skill levels (国家职业技能等级) as integers: 5 初级工 … 1 高级技师.

A lower number is a higher level. These helpers hold only the arithmetic of the
scale; the names of the levels live in the policy (``levels`` section).
"""
from __future__ import annotations

HIGHEST_LEVEL = 1  # 一级/高级技师: the top of the five-level scale
LOWEST_LEVEL = 5   # 五级/初级工


def is_skill_level(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and HIGHEST_LEVEL <= value <= LOWEST_LEVEL


def promoted_by(level: int, levels: int = 1) -> int:
    """The level reached by going up ``levels`` steps (5→4→3→2→1), never above 1."""
    return max(HIGHEST_LEVEL, level - levels)


def is_at_or_above(level: int, other: int) -> bool:
    """True when ``level`` is the same as or higher than ``other`` (技师 2 is above 高级工 3)."""
    return level <= other


def higher_of(first: int, second: int) -> int:
    return min(first, second)
