"""Competitions: tiers, the registration status machine, and which fields may change when.

Status machine (registration status; marking and results belong to the scoring service)::

    draft --open--> open --close--> closed --reopen--> open

- ``draft -> open`` needs a complete, consistent competition and ``today <= registration_deadline``.
- ``open -> closed`` is always allowed (an organiser may close early).
- ``closed -> open`` (reopen) only while ``today <= registration_deadline`` and before the scoring
  service has opened marking on the roster. A deliberate late
  reopening takes two acts: extend the deadline (allowed while closed), then reopen. Nothing moves
  back to ``draft``: once open, contestants may exist that were admitted under the frozen fields.
- Asking for the status a competition already has is an ``INVALID_TRANSITION`` (the service's
  idempotency keys take care of retried commands).

Frozen fields: once a competition has been open, the fields that decide who may register and what
the result means stay fixed: tier, skill, team size, skill level and whether it is a selection trial. ``start_date`` may move only
within its year, because the competition year drives the WorldSkills age limit. Name, venue, end
date, deadline, capacity and conflict relations stay editable (capacity never below the entries
already registered; while open, the deadline never before today).

``registration_deadline`` is the last day (Asia/Shanghai calendar date) on which registration is
accepted; it must not be after ``start_date``.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from .errors import Code, RegistrationRuleError


class Tier(StrEnum):
    """Competition tiers, from the WorldSkills Competition down to enterprise contests."""

    WORLDSKILLS = "worldskills"
    NATIONAL_CLASS_1 = "national_class_1"
    NATIONAL_CLASS_2 = "national_class_2"
    MUNICIPAL_CLASS_1 = "municipal_class_1"  # 市级一类大赛
    MUNICIPAL_CLASS_2 = "municipal_class_2"  # 市级二类大赛
    ENTERPRISE = "enterprise"  # 企业岗位练兵、技能比武


class CompetitionStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


TIERS = tuple(t.value for t in Tier)
STATUSES = tuple(s.value for s in CompetitionStatus)
#: The conflict-of-interest relations a competition may count (see ``conflicts``).
CONFLICT_RELATIONS = ("same_employer", "same_training_base", "same_delegation", "declared")

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    CompetitionStatus.DRAFT: frozenset({CompetitionStatus.OPEN}),
    CompetitionStatus.OPEN: frozenset({CompetitionStatus.CLOSED}),
    CompetitionStatus.CLOSED: frozenset({CompetitionStatus.OPEN}),
}


@dataclass(frozen=True)
class Skill:
    """The skill (occupation) a competition is held for, e.g. ``04`` Mechatronics / 机电一体化."""

    code: str
    name: str


@dataclass(frozen=True)
class Competition:
    """One competition for one skill; individual when ``team_size == 1``, else a team competition.

    ``capacity`` is the number of places: contestants in an individual competition, teams in a
    team competition; ``None`` means unlimited. ``conflict_relations`` defaults to all relations,
    the most cautious reading of the compatriot rule; organisers may narrow it.
    """

    code: str
    name: str
    tier: str
    skill: Skill
    start_date: date
    registration_deadline: date
    end_date: date | None = None
    capacity: int | None = None
    team_size: int = 1
    status: str = CompetitionStatus.DRAFT
    venue: str | None = None
    skill_level: int | None = None
    conflict_relations: tuple[str, ...] = CONFLICT_RELATIONS
    selection_trial: bool = False  # a selection trial (选拔赛) for the event of its tier
    marking_started: bool = False  # the scoring service opened marking on this roster

    @property
    def is_team(self) -> bool:
        return self.team_size > 1

    @property
    def competition_year(self) -> int:
        """The year eligibility is judged in: the year of the start date."""
        return self.start_date.year


#: Fields an organiser may edit (``code`` is the identity, ``status`` moves by transitions).
EDITABLE_FIELDS = ("name", "tier", "skill", "start_date", "registration_deadline", "end_date",
                   "capacity", "team_size", "venue", "skill_level", "conflict_relations", "selection_trial")
#: Fields that stay editable once registration has been open.
EDITABLE_AFTER_OPENING = frozenset({"name", "venue", "end_date", "registration_deadline",
                                    "capacity", "conflict_relations", "start_date"})


def editable_fields(status: str) -> frozenset[str]:
    """Which fields may change in a given status."""
    if status == CompetitionStatus.DRAFT:
        return frozenset(EDITABLE_FIELDS)
    return EDITABLE_AFTER_OPENING


# ----------------------------------------------------------------------------------- invariants

def check_competition(competition: Competition) -> list[RegistrationRuleError]:
    """Every inconsistency of a competition's own fields (independent of its contestants)."""
    c = competition
    errors: list[RegistrationRuleError] = []

    def bad(path: str, message: str) -> None:
        errors.append(RegistrationRuleError(Code.INVALID_FIELD, message, path))

    if not (c.code or "").strip():
        bad("/code", "a competition needs a code")
    if not (c.name or "").strip():
        bad("/name", "a competition needs a name")
    if c.tier not in TIERS:
        bad("/tier", f"unknown tier {c.tier!r}; one of {', '.join(TIERS)}")
    if not (c.skill.code or "").strip() or not (c.skill.name or "").strip():
        bad("/skill", "a competition needs a skill code and name")
    if c.status not in STATUSES:
        bad("/status", f"unknown status {c.status!r}")
    if c.registration_deadline > c.start_date:
        bad("/registration_deadline", "the registration deadline must not be after the start date")
    if c.end_date is not None and c.end_date < c.start_date:
        bad("/end_date", "the end date must not be before the start date")
    if c.capacity is not None and (not _is_int(c.capacity) or c.capacity < 1):
        bad("/capacity", "capacity must be a whole number of at least 1 (or empty for unlimited)")
    if not _is_int(c.team_size) or c.team_size < 1:
        bad("/team_size", "team size must be a whole number of at least 1 (1 = individual)")
    if c.skill_level is not None and c.skill_level not in (1, 2, 3, 4, 5):
        bad("/skill_level", "skill level must be 1 (高级技师) to 5 (初级工)")
    unknown = [r for r in c.conflict_relations if r not in CONFLICT_RELATIONS]
    if unknown or len(set(c.conflict_relations)) != len(c.conflict_relations):
        bad("/conflict_relations", "conflict relations must be distinct values among "
            + ", ".join(CONFLICT_RELATIONS))
    return errors


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ----------------------------------------------------------------------------- status machine

def check_transition(competition: Competition, target: str, today: date) -> list[RegistrationRuleError]:
    """Why ``competition`` may not move to ``target`` today (empty list: it may)."""
    current = competition.status
    if target not in ALLOWED_TRANSITIONS.get(current, frozenset()):
        return [RegistrationRuleError(
            Code.INVALID_TRANSITION, f"a {current} competition cannot become {target}", "/status")]
    if target != CompetitionStatus.OPEN:
        return []
    if competition.marking_started:
        return [RegistrationRuleError(
            Code.INVALID_TRANSITION, "marking has begun on this roster: registration cannot reopen", "/status")]
    errors = check_competition(competition)
    if today > competition.registration_deadline:
        errors.append(RegistrationRuleError(
            Code.DEADLINE_PASSED,
            f"the registration deadline {competition.registration_deadline.isoformat()} has "
            "passed; extend it before opening registration", "/registration_deadline"))
    return errors


def change_status(competition: Competition, target: str, today: date) -> Competition:
    """The competition in its new status, or ``RegistrationRuleError`` (with all reasons)."""
    _raise_if(check_transition(competition, target, today))
    return dataclasses.replace(competition, status=CompetitionStatus(target).value)


def registration_refusal(competition: Competition, today: date) -> RegistrationRuleError | None:
    """Why contestants cannot be added today, or ``None`` when registration is open."""
    if competition.status == CompetitionStatus.DRAFT:
        return RegistrationRuleError(Code.REGISTRATION_CLOSED,
                                     "registration has not opened yet (the competition is a draft)")
    if competition.status != CompetitionStatus.OPEN:
        return RegistrationRuleError(Code.REGISTRATION_CLOSED, "registration is closed")
    if today > competition.registration_deadline:
        return RegistrationRuleError(
            Code.DEADLINE_PASSED,
            f"the registration deadline {competition.registration_deadline.isoformat()} has passed")
    return None


# ------------------------------------------------------------------------------------- edits

def check_update(competition: Competition, changes: Mapping[str, Any], today: date,
                 entries: int = 0) -> list[RegistrationRuleError]:
    """Every reason the edit ``changes`` (field -> new value) may not be applied.

    Values may be typed or plain JSON data (ISO date strings, ``{"code", "name"}`` for the skill,
    a list of relations). ``entries`` is the number of places already taken
    (``roster.count_entries``). A field sent with its current value is not an edit, so a client
    may send the whole competition back.
    """
    changes, errors = typed_changes(changes)
    errors += _field_errors(competition, changes)
    if errors:
        return errors
    updated = dataclasses.replace(competition, **changes)
    errors = check_competition(updated)
    errors.extend(_after_opening_errors(competition, updated, today))
    if updated.capacity is not None and updated.capacity < entries:
        unit = "teams" if updated.is_team else "contestants"
        errors.append(RegistrationRuleError(
            Code.OVER_CAPACITY,
            f"capacity {updated.capacity} is below the {entries} {unit} already registered",
            "/capacity"))
    return errors


def apply_update(competition: Competition, changes: Mapping[str, Any], today: date,
                 entries: int = 0) -> Competition:
    """The edited competition, or ``RegistrationRuleError`` carrying every reason in ``details``."""
    _raise_if(check_update(competition, changes, today, entries))
    return dataclasses.replace(competition, **typed_changes(changes)[0])


def typed_changes(changes: Mapping[str, Any]) -> tuple[dict[str, Any], list[RegistrationRuleError]]:
    """``changes`` with plain JSON values turned into the field types, and what could not be."""
    typed: dict[str, Any] = {}
    errors = []
    for field, value in changes.items():
        try:
            typed[field] = _typed_value(field, value)
        except (TypeError, ValueError, KeyError):
            errors.append(RegistrationRuleError(Code.INVALID_FIELD,
                                                f"{value!r} is not a valid {field}", f"/{field}"))
    return typed, errors


def _typed_value(field: str, value: Any) -> Any:
    if field in ("start_date", "registration_deadline", "end_date"):
        return _as_date(value)
    if field == "skill" and isinstance(value, Mapping):
        return Skill(code=str(value["code"]), name=str(value["name"]))
    if field == "conflict_relations" and isinstance(value, (list, tuple)):
        return tuple(value)
    return value


def _field_errors(competition: Competition, changes: Mapping[str, Any]) -> list[RegistrationRuleError]:
    errors = []
    allowed = editable_fields(competition.status)
    for field, value in changes.items():
        if field in ("code", "status"):
            if value != getattr(competition, field):
                how = "is the competition's identity" if field == "code" else \
                    "changes only by opening or closing registration"
                errors.append(RegistrationRuleError(Code.FIELD_FROZEN, f"{field} {how}", f"/{field}"))
        elif field not in EDITABLE_FIELDS:
            errors.append(RegistrationRuleError(Code.INVALID_FIELD, f"no field {field!r}", f"/{field}"))
        elif field not in allowed and value != getattr(competition, field):
            errors.append(RegistrationRuleError(
                Code.FIELD_FROZEN,
                f"{field} cannot change once registration has opened", f"/{field}"))
    return errors


def _after_opening_errors(before: Competition, after: Competition,
                          today: date) -> list[RegistrationRuleError]:
    if before.status == CompetitionStatus.DRAFT:
        return []
    errors = []
    if after.start_date.year != before.start_date.year:
        errors.append(RegistrationRuleError(
            Code.FIELD_FROZEN, "once registration has opened the start date may move only within "
            f"{before.start_date.year}: the competition year decides age eligibility", "/start_date"))
    if (before.status == CompetitionStatus.OPEN and after.registration_deadline < today
            and after.registration_deadline != before.registration_deadline):
        errors.append(RegistrationRuleError(
            Code.INVALID_FIELD, "while registration is open the deadline cannot move into the "
            "past; close registration instead", "/registration_deadline"))
    return errors


def _raise_if(errors: list[RegistrationRuleError]) -> None:
    if errors:
        first = errors[0]
        raise RegistrationRuleError(first.code, first.message, first.path, details=tuple(errors))


# --------------------------------------------------------------------------- plain data mapping

def competition_from_dict(data: Mapping[str, Any]) -> Competition:
    """A ``Competition`` from stored/JSON data (ISO date strings or dates); extra keys ignored."""
    skill = data["skill"]
    if not isinstance(skill, Skill):
        skill = Skill(code=str(skill["code"]), name=str(skill["name"]))
    relations = data.get("conflict_relations")
    return Competition(
        code=data["code"], name=data["name"], tier=data["tier"], skill=skill,
        start_date=_required_date(data["start_date"], "start_date"),
        registration_deadline=_required_date(data["registration_deadline"], "registration_deadline"),
        end_date=_as_date(data.get("end_date")),
        capacity=data.get("capacity"),
        team_size=data.get("team_size") or 1,
        status=data.get("status") or CompetitionStatus.DRAFT.value,
        venue=data.get("venue"),
        skill_level=data.get("skill_level"),
        conflict_relations=CONFLICT_RELATIONS if relations is None else tuple(relations),
        selection_trial=bool(data.get("selection_trial", False)),
        marking_started=bool(data.get("marking_started", False)),
    )


def competition_to_dict(competition: Competition) -> dict[str, Any]:
    """JSON-friendly plain data (dates as ISO strings)."""
    data = dataclasses.asdict(competition)
    for field in ("start_date", "registration_deadline", "end_date"):
        if data[field] is not None:
            data[field] = data[field].isoformat()
    data["tier"] = str(data["tier"])
    data["status"] = str(data["status"])
    data["conflict_relations"] = list(data["conflict_relations"])
    return data


def _required_date(value: Any, field: str) -> date:
    found = _as_date(value)
    if found is None:
        raise ValueError(f"{field} is required")
    return found


def _as_date(value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not hasattr(value, "hour")):
        return value
    if hasattr(value, "date"):  # datetime
        return value.date()
    return date.fromisoformat(str(value))
