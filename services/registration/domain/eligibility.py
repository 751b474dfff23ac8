"""Who may enter a competition: the WorldSkills age limits.

WorldSkills rule: a competitor may be at most ``worldskills_age_limit`` (22) years old in the
competition year, i.e. born on or after 1 January of (competition year - 22); skills on the
policy's under-25 list use ``under_25_age_limit`` (25) instead. The competition year is the year
of the start date. Which tiers the limits apply to, the limits and the skill list are policy data
(``services/registration/policy/eligibility.yaml``, read by ``adapters.policy``), never constants
here.

A skill is on the under-25 list when its code equals one of an entry's ``codes`` (digit codes
compare without leading zeros: "4" == "04") or its name equals the entry's ``name``, ``name_zh``
or an alias, compared by ``text.name_key`` (whitespace and case folded).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from shared.validation import schema_problems

from .competition import Competition, Skill
from .text import name_key

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "policy" / "eligibility.schema.json"


class PolicyError(ValueError):
    """Policy data that does not satisfy its schema; ``problems`` lists every violation."""

    def __init__(self, problems: list[str]):
        super().__init__("invalid eligibility policy: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Under25Skill:
    name: str
    name_zh: str | None = None
    codes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    def matches(self, skill: Skill) -> bool:
        if _code_key(skill.code) in {_code_key(c) for c in self.codes}:
            return True
        names = {name_key(n) for n in (self.name, self.name_zh, *self.aliases) if n}
        return name_key(skill.name) in names


@dataclass(frozen=True)
class EligibilityPolicy:
    version: str
    age_limited_tiers: tuple[str, ...]
    worldskills_age_limit: int
    under_25_age_limit: int
    under_25_skills: tuple[Under25Skill, ...]

    def age_limit_for(self, competition: Competition) -> int | None:
        """The oldest age allowed in the competition year, or ``None`` if no limit applies."""
        if competition.tier not in self.age_limited_tiers:
            return None
        if any(entry.matches(competition.skill) for entry in self.under_25_skills):
            return self.under_25_age_limit
        return self.worldskills_age_limit


def _code_key(code: str | None) -> str:
    key = name_key(code)
    return (key.lstrip("0") or key) if key.isdigit() else key


def earliest_birth_date(competition: Competition, policy: EligibilityPolicy) -> date | None:
    """The earliest birth date allowed: 1 January of (competition year - age limit)."""
    limit = policy.age_limit_for(competition)
    if limit is None:
        return None
    return date(competition.competition_year - limit, 1, 1)


def check_eligibility(competition: Competition, contestant: Any,
                      policy: EligibilityPolicy) -> list[str]:
    """Why the contestant may not enter the competition (empty list: eligible).

    ``contestant`` is a ``Contestant`` or a mapping; only ``date_of_birth`` is read.
    """
    earliest = earliest_birth_date(competition, policy)
    if earliest is None:
        return []
    born = _date_of_birth(contestant)
    if born is None:
        return ["date of birth unknown; the age limit cannot be checked"]
    if born < earliest:
        limit = policy.age_limit_for(competition)
        return [f"born {born.isoformat()}, before {earliest.isoformat()}: {competition.skill.name} "
                f"at {competition.competition_year} admits contestants aged at most {limit} "
                "in the competition year"]
    return []


def _date_of_birth(contestant: Any) -> date | None:
    if isinstance(contestant, Mapping):
        return contestant.get("date_of_birth")
    return getattr(contestant, "date_of_birth", None)


def eligibility_policy_from_mapping(data: Mapping[str, Any]) -> EligibilityPolicy:
    """A validated policy from plain data (e.g. a stored, versioned copy); ``PolicyError`` if bad."""
    problems = schema_problems(data, SCHEMA_FILE)
    if problems:
        raise PolicyError([f"{p['path']}: {p['problem']}" for p in problems])
    return EligibilityPolicy(
        version=data["version"],
        age_limited_tiers=tuple(data["age_limited_tiers"]),
        worldskills_age_limit=data["worldskills_age_limit"],
        under_25_age_limit=data["under_25_age_limit"],
        under_25_skills=tuple(
            Under25Skill(name=s["name"], name_zh=s.get("name_zh"),
                         codes=tuple(s.get("codes", ())), aliases=tuple(s.get("aliases", ())))
            for s in data["under_25_skills"]),
    )

