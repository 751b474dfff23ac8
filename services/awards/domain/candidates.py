"""A nominee's record as evidence for an honours programme.

The service builds a :class:`CandidateRecord` from its achievement records (one per published
result), held titles, funding history and what the nomination form says. Plain frozen data;
``from_dict``/``to_dict`` bridge to storage.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .results import Competition, ContestantResult, as_competition, as_contestant


@dataclass(frozen=True)
class HeldTitle:
    """A title the person holds, written as its policy code, its Chinese name, or both."""

    code: str | None = None
    name_zh: str | None = None
    year: int | None = None

    @property
    def label(self) -> str:
        return self.name_zh or self.code or "?"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HeldTitle:
        return cls(code=data.get("code"), name_zh=data.get("name_zh"), year=data.get("year"))


@dataclass(frozen=True)
class InnovationAward:
    name: str
    year: int
    level: str | None = None  # national | municipal | industry | district | enterprise | …

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InnovationAward:
        return cls(name=data["name"], year=int(data["year"]), level=data.get("level"))


@dataclass(frozen=True)
class Achievement:
    """One competition result of the person (from ``results_published``)."""

    competition_code: str
    competition_name: str
    tier: str
    skill: str
    level: int | None
    year: int
    rank: int | None
    medal: str | None = None
    medallion: bool = False
    scale: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Achievement:
        skill = data.get("skill")
        if isinstance(skill, Mapping):
            skill = skill.get("name") or skill.get("code")
        return cls(
            competition_code=data["competition_code"],
            competition_name=data.get("competition_name", data["competition_code"]),
            tier=data["tier"],
            skill=skill or "",
            level=data.get("level"),
            year=int(data["year"]),
            rank=data.get("rank"),
            medal=data.get("medal"),
            medallion=bool(data.get("medallion", False)),
            scale=data.get("scale"),
        )


@dataclass(frozen=True)
class CandidateRecord:
    person_key: str
    name: str
    employer: str | None = None
    industry: str | None = None
    district: str | None = None
    union_member: bool | None = None
    front_line: bool | None = None
    current_level: int | None = None
    years_of_service: int | None = None
    titles: tuple[HeldTitle, ...] = ()
    innovation_awards: tuple[InnovationAward, ...] = ()
    patents: int = 0
    apprentices: int = 0
    chief_technician_funded_year: int | None = None
    studio_funded_year: int | None = None
    achievements: tuple[Achievement, ...] = ()
    # Studio leaders may qualify through earlier chief-technician funding "and still be in post";
    # None means not recorded and is taken as in post.
    still_in_post: bool | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CandidateRecord:
        return cls(
            person_key=data["person_key"],
            name=data.get("name", ""),
            employer=data.get("employer"),
            industry=data.get("industry"),
            district=data.get("district"),
            union_member=data.get("union_member"),
            front_line=data.get("front_line"),
            current_level=data.get("current_level"),
            years_of_service=data.get("years_of_service"),
            titles=tuple(HeldTitle.from_dict(t) for t in data.get("titles") or ()),
            innovation_awards=tuple(InnovationAward.from_dict(a) for a in data.get("innovation_awards") or ()),
            patents=int(data.get("patents") or 0),
            apprentices=int(data.get("apprentices") or 0),
            chief_technician_funded_year=data.get("chief_technician_funded_year"),
            studio_funded_year=data.get("studio_funded_year"),
            achievements=tuple(Achievement.from_dict(a) for a in data.get("achievements") or ()),
            still_in_post=data.get("still_in_post"),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "titles": [asdict(t) for t in self.titles],
            "innovation_awards": [asdict(a) for a in self.innovation_awards],
            "achievements": [asdict(a) for a in self.achievements],
        }


def as_record(value: CandidateRecord | Mapping[str, Any]) -> CandidateRecord:
    return value if isinstance(value, CandidateRecord) else CandidateRecord.from_dict(value)


def achievement_from_result(
    competition: Competition | Mapping[str, Any], contestant: ContestantResult | Mapping[str, Any]
) -> Achievement:
    """The achievement a published result adds to the contestant's record."""
    competition = as_competition(competition)
    contestant = as_contestant(contestant)
    return Achievement(
        competition_code=competition.code,
        competition_name=competition.name,
        tier=competition.tier,
        skill=competition.skill.name or competition.skill.code,
        level=competition.level,
        year=competition.year,
        rank=contestant.rank,
        medal=contestant.medal,
        medallion=contestant.medallion,
        scale=contestant.scale,
    )


def as_of_round(data: Mapping[str, Any], round_id: str) -> Mapping[str, Any]:
    """The record (plain dict) as evidence for the round ``round_id``.

    What this round itself granted is not what the person had before it: funding approved in it
    (``funded_by_round``: funding field -> round id) is not a previous funding, and a title it
    conferred (a title carrying its ``round_id``) is not a title held before it. Without this an
    approval would make its own nominee ineligible (funded once only, not named twice) and change
    the score it was ranked on.
    """
    funded = {field for field, by in (data.get("funded_by_round") or {}).items() if by == round_id}
    titles = data.get("titles") or []
    own_titles = [t for t in titles if t.get("round_id") == round_id]
    if not funded and not own_titles:
        return data
    return {**data, **{field: None for field in funded},
            "titles": [t for t in titles if t.get("round_id") != round_id]}


@dataclass(frozen=True)
class Reason:
    """Why a candidate is not eligible: a stable code and a sentence for the committee."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


__all__ = [
    "Achievement",
    "CandidateRecord",
    "HeldTitle",
    "InnovationAward",
    "Reason",
    "achievement_from_result",
    "as_of_round",
    "as_record",
]
