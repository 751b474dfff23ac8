"""The contestant as the registration rules see it.

The domain never holds the identity number itself: the service computes ``person_key`` from it
(``identity.person_key``) and stores only that and the masked number.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

GENDERS = ("male", "female")
DELEGATION_KINDS = ("district", "enterprise_group", "training_base")
#: employee group / student group (shared value type ``employment``)
EMPLOYMENTS = ("employee", "student")
#: 国家职业技能等级: 5 五级/初级工 … 1 一级/高级技师
SKILL_LEVELS = (5, 4, 3, 2, 1)


@dataclass(frozen=True)
class Delegation:
    """Who a contestant represents: a district (区), enterprise group (企业集团) or training base."""

    kind: str
    name: str


@dataclass(frozen=True)
class Contestant:
    """One registered (or to-be-registered) contestant of one competition."""

    person_key: str
    name: str
    date_of_birth: date
    gender: str | None = None
    employer: str | None = None
    delegation: Delegation | None = None
    skill_level: int | None = None
    employment: str | None = None
    team: str | None = None
    training_base: str | None = None
    contestant_id: str | None = None
