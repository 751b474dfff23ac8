"""Builders for awards-domain tests: published results and candidate records."""
from __future__ import annotations

from typing import Any

import pytest

from services.awards.domain.policy import Policy, load_default_policy


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_default_policy()


def competition(tier: str, **overrides: Any) -> dict[str, Any]:
    data = {
        "code": f"{tier}-2023-welding",
        "name": f"{tier} welding 2023",
        "tier": tier,
        "skill": {"code": "welding", "name": "焊工"},
        "level": None,
        "year": 2023,
        "team": False,
    }
    return data | overrides


def contestant(rank: int | None, **overrides: Any) -> dict[str, Any]:
    data = {
        "person_key": f"p-{rank}",
        "masked_id": "3101**********1234",
        "name": f"选手{rank}",
        "employer": "上海电气",
        "delegation": "浦东新区",
        "employment": "employee",
        "current_level": 4,
        "raw": "71.25",
        "scale": 700,
        "rank": rank,
        "medal": None,
        "medallion": False,
        "team": None,
    }
    return data | overrides


def achievement(tier: str, year: int, rank: int, code: str | None = None, **overrides: Any) -> dict[str, Any]:
    data = {
        "competition_code": code or f"{tier}-{year}-{rank}",
        "competition_name": f"{tier} {year}",
        "tier": tier,
        "skill": "焊工",
        "level": None,
        "year": year,
        "rank": rank,
        "medal": None,
        "medallion": False,
        "scale": 700,
    }
    return data | overrides


def record(person_key: str = "p-1", **overrides: Any) -> dict[str, Any]:
    data = {
        "person_key": person_key,
        "name": f"候选人{person_key}",
        "employer": "上海电气",
        "industry": "装备制造",
        "district": "浦东新区",
        "union_member": True,
        "front_line": True,
        "current_level": 2,
        "years_of_service": 12,
        "titles": [],
        "innovation_awards": [],
        "patents": 0,
        "apprentices": 0,
        "chief_technician_funded_year": None,
        "studio_funded_year": None,
        "achievements": [],
    }
    return data | overrides


@pytest.fixture(scope="session")
def make():
    """Builders as one fixture (importlib import mode: test modules cannot import conftest)."""
    from types import SimpleNamespace

    return SimpleNamespace(competition=competition, contestant=contestant, achievement=achievement, record=record)
