"""Published competition results as the awards domain sees them.

Built from the scoring service's ``results_published`` event payload: the competition once,
then one :class:`ContestantResult` per contestant.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MEDALS = ("gold", "silver", "bronze")


@dataclass(frozen=True)
class Skill:
    code: str
    name: str


@dataclass(frozen=True)
class Competition:
    code: str
    name: str
    tier: str
    skill: Skill
    level: int | None  # the skill level the competition is set at, if any
    year: int
    team: bool = False
    selection_trial: bool = False  # WorldSkills selection trials (选拔赛); absent in the event → False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Competition:
        skill = data.get("skill") or {}
        return cls(
            code=data["code"],
            name=data.get("name", data["code"]),
            tier=data["tier"],
            skill=Skill(code=skill.get("code", ""), name=skill.get("name", "")),
            level=data.get("level"),
            year=int(data["year"]),
            team=bool(data.get("team", False)),
            selection_trial=bool(data.get("selection_trial", False)),
        )


@dataclass(frozen=True)
class ContestantResult:
    person_key: str
    name: str
    rank: int | None
    medal: str | None = None  # gold | silver | bronze | None
    medallion: bool = False
    employment: str = "employee"  # employee | student
    current_level: int | None = None
    masked_id: str | None = None
    employer: str | None = None
    delegation: str | None = None
    raw: Decimal | None = None
    scale: int | None = None
    team: str | None = None

    @property
    def is_award_winner(self) -> bool:
        """A medal or a Medallion for Excellence."""
        return self.medal is not None or self.medallion

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ContestantResult:
        raw = data.get("raw")
        return cls(
            person_key=data["person_key"],
            name=data.get("name", ""),
            rank=data.get("rank"),
            medal=data.get("medal"),
            medallion=bool(data.get("medallion", False)),
            employment=data.get("employment") or "employee",
            current_level=data.get("current_level"),
            masked_id=data.get("masked_id"),
            employer=data.get("employer"),
            delegation=data.get("delegation"),
            raw=Decimal(str(raw)) if raw is not None else None,
            scale=data.get("scale"),
            team=data.get("team"),
        )


def as_competition(value: Competition | Mapping[str, Any]) -> Competition:
    return value if isinstance(value, Competition) else Competition.from_dict(value)


def as_contestant(value: ContestantResult | Mapping[str, Any]) -> ContestantResult:
    return value if isinstance(value, ContestantResult) else ContestantResult.from_dict(value)
