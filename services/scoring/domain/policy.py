"""The scoring policy: data, validated by JSON Schema, never constants in code.

Files: ``services/scoring/policy/default.json`` (the defaults of ``docs/domain.md``) and
``services/scoring/policy/scoring_policy.schema.json``. Reading these packaged files is the only
I/O in the domain layer.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from shared.validation import load_schema, schema_problems

from .errors import PolicyInvalid, Problem, problems_from

POLICY_DIR = Path(__file__).resolve().parent.parent / "policy"
DEFAULT_POLICY_PATH = POLICY_DIR / "default.json"
POLICY_SCHEMA_PATH = POLICY_DIR / "scoring_policy.schema.json"
_NESTED = ("spread", "medal_points")


@lru_cache(maxsize=1)
def _default_policy() -> dict[str, Any]:
    return json.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


def load_default_policy() -> dict[str, Any]:
    """A fresh copy of the default scoring policy (callers may change it freely)."""
    return copy.deepcopy(_default_policy())


def scoring_policy_json_schema() -> dict[str, Any]:
    return load_schema(str(POLICY_SCHEMA_PATH))


def validate_policy(data: Any) -> list[Problem]:
    """Every problem of a complete policy document: JSON Schema, then known rule names."""
    problems = problems_from(schema_problems(data, POLICY_SCHEMA_PATH))
    if problems:
        return problems
    from .marking import AGGREGATIONS  # local imports: results imports this module
    from .medals import SPREAD_RULES

    if data["judgement_aggregation"] not in AGGREGATIONS:
        known = ", ".join(sorted(AGGREGATIONS))
        problems.append(Problem("/judgement_aggregation", f"unknown aggregation; known: {known}"))
    if data["spread"]["rule"] not in SPREAD_RULES:
        known = ", ".join(sorted(SPREAD_RULES))
        problems.append(Problem("/spread/rule", f"unknown spread rule; known: {known}"))
    return problems


def resolve_policy(policy: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A complete, validated policy: ``policy`` laid over the defaults (nested objects merged).

    Raises :class:`PolicyInvalid` with every problem.
    """
    merged = load_default_policy()
    for key, value in (policy or {}).items():
        if key in _NESTED and isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = copy.deepcopy(value)
    problems = validate_policy(merged)
    if problems:
        raise PolicyInvalid(problems)
    return merged
