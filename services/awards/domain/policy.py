"""Honours policy: load, validate and read the versioned policy data.

The policy says what each competition tier earns, how each honours programme checks
eligibility and weighs a nominee, and how long the public notice (公示) lasts. It is data
(YAML validated by ``honours_policy.schema.json``), never constants in code, so a committee
can change it per round and re-run.
"""
from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from jsonschema.exceptions import ValidationError

from shared.validation import load_schema, validator

POLICY_DIR = Path(__file__).resolve().parent.parent / "policy"
DEFAULT_POLICY_PATH = POLICY_DIR / "default.yaml"
SCHEMA_PATH = POLICY_DIR / "honours_policy.schema.json"

TIERS = (
    "worldskills",
    "national_class_1",
    "national_class_2",
    "municipal_class_1",
    "municipal_class_2",
    "enterprise",
)


class PolicyProblem(NamedTuple):
    """One thing wrong with a policy: a JSON Pointer into the document and what is wrong."""

    path: str
    problem: str


class PolicyError(ValueError):
    """Raised when a policy does not validate; ``problems`` lists every finding."""

    def __init__(self, problems: Iterable[PolicyProblem]):
        self.problems = list(problems)
        summary = "; ".join(f"{p.path or '/'}: {p.problem}" for p in self.problems[:5])
        super().__init__(f"invalid honours policy: {summary}")


def policy_schema() -> dict[str, Any]:
    return load_schema(SCHEMA_PATH)


# ---------------------------------------------------------------------------------------------
# validation


def validate_policy(document: Any) -> list[PolicyProblem]:
    """Every problem with ``document`` as (JSON Pointer path, problem); empty when valid.

    Schema problems come first; the semantic checks (levels 1..5 once each, unique rule ids,
    sane rank ranges, titles matching the catalogue, real promotions) run only on a document
    that already has the right shape.
    """
    problems = _schema_problems(document)
    if problems:
        return problems
    return _semantic_problems(document)


def _pointer(parts: Iterable[Any]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _schema_problems(document: Any) -> list[PolicyProblem]:
    found: list[PolicyProblem] = []
    for error in validator(str(SCHEMA_PATH)).iter_errors(document):  # the project's one validator
        found.extend(_explain(error))
    return sorted(set(found))


def _explain(error: ValidationError) -> list[PolicyProblem]:
    """Turn a jsonschema error into problems pointing at the offending key where possible."""
    base = list(error.absolute_path)
    instance = error.instance
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "required" and isinstance(instance, dict) and isinstance(error.validator_value, list):
        missing = [name for name in error.validator_value if name not in instance]
        return [PolicyProblem(_pointer(base + [name]), "is required") for name in missing]
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = set(schema.get("properties", {}))
        patterns = schema.get("patternProperties", {})
        extras = [k for k in instance if k not in known and not _matches_any(k, patterns)]
        if extras:
            return [PolicyProblem(_pointer(base + [k]), _unknown_key_problem(base, k)) for k in extras]
    if error.context:  # oneOf/anyOf/if-then: report the most specific sub-errors
        deepest = max(len(list(e.absolute_path)) for e in error.context)
        if deepest > len(base):
            specific = [e for e in error.context if len(list(e.absolute_path)) == deepest]
            return [p for e in specific for p in _explain(e)]
    if error.validator in ("oneOf", "anyOf") and "description" in schema:
        return [PolicyProblem(_pointer(base), schema["description"])]
    return [PolicyProblem(_pointer(base), error.message)]


def _matches_any(key: str, patterns: Mapping[str, Any]) -> bool:
    return any(re.search(pattern, key) for pattern in patterns)


def _unknown_key_problem(base: list[Any], key: str) -> str:
    if base == ["tiers"]:
        return f"unknown tier {key!r}; tiers are {', '.join(TIERS)}"
    if len(base) >= 2 and base[-1] == "tiers":
        return f"unknown tier {key!r}; tiers are {', '.join(TIERS)}"
    if base == ["programmes"]:
        return f"programme code {key!r} must be lower_snake_case"
    return f"unknown property {key!r}"


def _semantic_problems(document: Mapping[str, Any]) -> list[PolicyProblem]:
    problems: list[PolicyProblem] = []
    problems += _level_problems(document["levels"])
    catalogue = _catalogue_problems(document["titles"], problems)
    for tier_name, tier in document["tiers"].items():
        problems += _tier_problems(tier_name, tier, catalogue)
    for code, programme in document["programmes"].items():
        problems += _programme_problems(code, programme, catalogue)
    return problems


def _level_problems(levels: list[Mapping[str, Any]]) -> list[PolicyProblem]:
    seen = [entry["level"] for entry in levels]
    if sorted(seen) != [1, 2, 3, 4, 5]:
        return [PolicyProblem("/levels", "must list each skill level 1..5 exactly once")]
    return []


def _catalogue_problems(titles: list[Mapping[str, Any]], problems: list[PolicyProblem]) -> dict[str, Mapping[str, Any]]:
    catalogue: dict[str, Mapping[str, Any]] = {}
    for index, title in enumerate(titles):
        if title["code"] in catalogue:
            problems.append(PolicyProblem(f"/titles/{index}/code", f"duplicate title code {title['code']!r}"))
        catalogue[title["code"]] = title
    return catalogue


def _title_ref_problems(path: str, title: Mapping[str, Any], catalogue: Mapping[str, Mapping[str, Any]]) -> list[PolicyProblem]:
    known = catalogue.get(title["code"])
    if known is None:
        return [PolicyProblem(path + "/code", f"title {title['code']!r} is not in the /titles catalogue")]
    if known["name_zh"] != title["name_zh"]:
        return [PolicyProblem(path + "/name_zh", f"does not match the catalogue name {known['name_zh']!r}")]
    return []


def _tier_problems(tier_name: str, tier: Mapping[str, Any], catalogue: Mapping[str, Mapping[str, Any]]) -> list[PolicyProblem]:
    problems: list[PolicyProblem] = []
    seen: set[str] = set()
    for index, rule in enumerate(tier["rules"]):
        path = f"/tiers/{tier_name}/rules/{index}"
        if rule["id"] in seen:
            problems.append(PolicyProblem(path + "/id", f"duplicate rule id {rule['id']!r} in tier {tier_name}"))
        seen.add(rule["id"])
        rank = rule["when"].get("rank", {})
        if rank.get("min", 1) > rank.get("max", rank.get("min", 1)):
            problems.append(PolicyProblem(path + "/when/rank", "min is greater than max"))
        for t_index, title in enumerate(rule["grant"].get("titles", [])):
            problems += _title_ref_problems(f"{path}/grant/titles/{t_index}", title, catalogue)
        for c_index, choice in enumerate(rule["grant"].get("promotion", {}).get("if_current", [])):
            if choice["to_level"] >= choice["current_level"]:
                problems.append(PolicyProblem(
                    f"{path}/grant/promotion/if_current/{c_index}",
                    "to_level must be above current_level (a lower number)",
                ))
    return problems


def _programme_problems(code: str, programme: Mapping[str, Any], catalogue: Mapping[str, Mapping[str, Any]]) -> list[PolicyProblem]:
    problems: list[PolicyProblem] = []
    base = f"/programmes/{code}"
    for index, check in enumerate(programme["eligibility"]):
        for t_index, title in enumerate(check.get("titles", [])):
            problems += _title_ref_problems(f"{base}/eligibility/{index}/titles/{t_index}", title, catalogue)
    for tier_name, points in programme["weights"]["achievements"]["tiers"].items():
        problems += _band_problems(f"{base}/weights/achievements/tiers/{tier_name}/rank_bands", points.get("rank_bands", []))
    for index, title in enumerate(programme["weights"]["titles"]):
        problems += _title_ref_problems(f"{base}/weights/titles/{index}", title, catalogue)
    return problems


def _band_problems(path: str, bands: list[Mapping[str, Any]]) -> list[PolicyProblem]:
    problems: list[PolicyProblem] = []
    ordered = sorted(bands, key=lambda band: band["from"])
    for index, band in enumerate(bands):
        if band["from"] > band["to"]:
            problems.append(PolicyProblem(f"{path}/{index}", "from is greater than to"))
    for earlier, later in itertools.pairwise(ordered):
        if later["from"] <= earlier["to"]:
            problems.append(PolicyProblem(path, f"rank bands {earlier['from']}–{earlier['to']} and {later['from']}–{later['to']} overlap"))
    return problems


# ---------------------------------------------------------------------------------------------
# the policy value


@dataclass(frozen=True)
class Policy:
    """A validated honours policy. ``document`` is the plain data, fit to store and to show."""

    document: Mapping[str, Any] = field(repr=False)
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> Policy:
        """Validate and wrap; raises :class:`PolicyError` listing every problem."""
        problems = validate_policy(document)
        if problems:
            raise PolicyError(problems)
        return cls(copy.deepcopy(dict(document)))

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Compute a value derived from this (immutable) policy once, e.g. a fingerprint."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @property
    def version(self) -> int:
        return int(self.document["version"])

    def tier(self, tier_name: str) -> Mapping[str, Any]:
        try:
            return self.document["tiers"][tier_name]
        except KeyError:
            raise KeyError(f"unknown tier {tier_name!r}") from None

    def programme(self, code: str) -> Mapping[str, Any]:
        try:
            return self.document["programmes"][code]
        except KeyError:
            raise KeyError(f"unknown programme {code!r}") from None

    @property
    def programme_codes(self) -> tuple[str, ...]:
        return tuple(self.document["programmes"])

    @property
    def notice_days_min(self) -> int:
        return int(self.document["workflow"]["notice_days_min"])

    def level_label(self, level: int | None) -> str:
        """'二级/技师' for 2; 'unknown level' when not known."""
        if level is None:
            return "unknown level"
        for entry in self.document["levels"]:
            if entry["level"] == level:
                return f"{entry['grade_zh']}/{entry['name_zh']}"
        return f"level {level}"

    def title(self, code: str) -> Mapping[str, Any] | None:
        return next((t for t in self.document["titles"] if t["code"] == code), None)

    def title_code_for(self, code_or_name_zh: str) -> str | None:
        """Resolve a held title written as its code or its Chinese name to the catalogue code."""
        for title in self.document["titles"]:
            if code_or_name_zh in (title["code"], title["name_zh"]):
                return title["code"]
        return None


def as_policy(policy: Policy | Mapping[str, Any]) -> Policy:
    return policy if isinstance(policy, Policy) else Policy.from_dict(policy)


def load_policy_yaml(text: str) -> Policy:
    """Parse YAML text (e.g. a committee's edited copy) and validate it."""
    document = yaml.safe_load(text)
    if not isinstance(document, dict):
        raise PolicyError([PolicyProblem("", "policy must be a mapping")])
    return Policy.from_dict(document)


def load_policy_file(path: str | Path) -> Policy:
    return load_policy_yaml(Path(path).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _default_document_text() -> str:
    return DEFAULT_POLICY_PATH.read_text(encoding="utf-8")


def load_default_policy() -> Policy:
    """The packaged default policy (``services/awards/policy/default.yaml``)."""
    return load_policy_yaml(_default_document_text())


def default_policy_document() -> dict[str, Any]:
    """The packaged default as plain data, e.g. to seed the service's policy store."""
    return copy.deepcopy(dict(load_default_policy().document))


def fingerprint(data: Any) -> str:
    """A stable SHA-256 of JSON-able data (key order and number formatting normalised)."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
