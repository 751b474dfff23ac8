"""Builders for awards tests: person keys, results_published payloads, profiles."""
from __future__ import annotations

import hashlib
import uuid


def key(label: str | None = None) -> str:
    return hashlib.sha256((label or uuid.uuid4().hex).encode()).hexdigest()


def masked(n: int = 1) -> str:
    return f"310101********{n % 1000:03d}X"


def row(person_key: str, rank: int, name: str = "选手", **overrides) -> dict:
    data = {"contestant_id": uuid.uuid4().hex, "person_key": person_key, "masked_id": masked(rank),
            "name": f"{name}{rank}", "employer": "上海电气集团", "delegation": {"kind": "district", "name": "浦东新区"},
            "employment": "employee", "current_level": 3, "team": None, "raw": "80.50", "scale": 600 - rank,
            "rank": rank, "medal": None, "medallion": False}
    data.update(overrides)
    return data


def results(code: str, rows: list[dict], revision: int = 1, tier: str = "national_class_1", year: int = 2023,
            level: int | None = None) -> dict:
    return {"competition": {"code": code, "name": f"{code} 焊工", "tier": tier, "skill": {"code": "10", "name": "焊工"},
                            "level": level, "year": year, "team": False, "event": None},
            "revision": revision, "results": rows}


def profile(person_key: str, **overrides) -> dict:
    data = {"person_key": person_key, "name": "李四", "employer": "上海电气集团", "industry": "装备制造",
            "district": "浦东新区", "union_member": True, "front_line": True, "current_level": 2,
            "years_of_service": 12, "titles": [{"name_zh": "全国技术能手", "year": 2019}],
            "innovation_awards": [{"name": "职工创新成果奖", "year": 2021, "level": "municipal"}],
            "patents": 3, "apprentices": 5}
    data.update(overrides)
    return data
