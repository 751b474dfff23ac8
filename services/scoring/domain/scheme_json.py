"""The scheme's JSON shape (``marking_scheme.schema.json``): reading it with every problem located by
JSON pointer, writing it back, and loading a scheme (schema, conversion and marking rules in one go)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from shared.validation import load_schema, schema_problems

from .errors import Problem, SchemeInvalid, pointer, problems_from
from .measurement import measurement_from_json, measurement_to_json
from .numbers import format_mark, parse_decimal
from .scheme import SCHEMA_PATH, Aspect, Criterion, Locator, MarkingScheme, SubCriterion, WsosSection
from .scheme_rules import (
    validate_scheme,
)


class _Reader:
    """Collects conversion problems while reading JSON values, so every one is reported."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def get(self, obj: Mapping[str, Any], key: str, path: list[Any], default: Any = ...) -> Any:
        if isinstance(obj, Mapping) and key in obj:
            return obj[key]
        if default is ...:
            self.problems.append(Problem(pointer(path + [key]), "is required"))
            return None
        return default

    def text(self, obj: Mapping[str, Any], key: str, path: list[Any], default: Any = ...) -> str:
        value = self.get(obj, key, path, default)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.problems.append(Problem(pointer(path + [key]), "must be text"))
            return ""
        return value.strip()

    def decimal(self, obj: Mapping[str, Any], key: str, path: list[Any], default: Any = ...) -> Decimal | None:
        value = self.get(obj, key, path, default)
        if value is None:
            return None
        try:
            return parse_decimal(value)
        except ValueError:
            self.problems.append(Problem(pointer(path + [key]), f"not a number: {value!r}"))
            return None

    def integer(self, obj: Mapping[str, Any], key: str, path: list[Any], default: Any = ...) -> int | None:
        value = self.get(obj, key, path, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.append(Problem(pointer(path + [key]), f"must be a whole number, got {value!r}"))
            return None
        return value

    def items(self, obj: Mapping[str, Any], key: str, path: list[Any]) -> list[Any]:
        value = self.get(obj, key, path, [])
        if not isinstance(value, list):
            self.problems.append(Problem(pointer(path + [key]), "must be a list"))
            return []
        return value


def scheme_from_json(data: Mapping[str, Any]) -> MarkingScheme:
    """Build a :class:`MarkingScheme` from its JSON shape (numbers as JSON numbers or text).

    Only conversion is done here (missing keys, non-numbers): every such problem is raised at
    once as :class:`SchemeInvalid`. Marking rules are checked by :func:`validate_scheme`.
    Aspect ids default to ``<sub-criterion id>.<1-based position>`` ("A1.2").
    """
    if not isinstance(data, Mapping):
        raise SchemeInvalid([Problem("", "a marking scheme must be a JSON object")])
    reader = _Reader()
    raw_wsos, raw_criteria = reader.items(data, "wsos_sections", []), reader.items(data, "criteria", [])
    wsos = [_wsos_from_json(reader, w, ["wsos_sections", i]) for i, w in enumerate(raw_wsos)]
    criteria = [_criterion_from_json(reader, c, ["criteria", i]) for i, c in enumerate(raw_criteria)]
    subs: list[SubCriterion] = []
    aspects: list[Aspect] = []
    for i, raw_sub in enumerate(reader.items(data, "sub_criteria", [])):
        sub = _sub_from_json(reader, raw_sub, ["sub_criteria", i])
        subs.append(sub)
        raw_aspects = reader.items(raw_sub, "aspects", ["sub_criteria", i]) if isinstance(raw_sub, Mapping) else []
        for j, raw_aspect in enumerate(raw_aspects):
            aspects.append(_aspect_from_json(reader, raw_aspect, sub.id, j, ["sub_criteria", i, "aspects", j]))
    if reader.problems:
        raise SchemeInvalid(reader.problems)
    return MarkingScheme(tuple(wsos), tuple(criteria), tuple(subs), tuple(with_references(aspects)))


def with_references(aspects: list[Aspect]) -> list[Aspect]:
    """The aspects, each with its CIS reference (one given is kept)."""
    counts: Counter[tuple[str, str]] = Counter()
    result = []
    for aspect in aspects:
        counts[(aspect.sub_criterion, aspect.type)] += 1
        if not aspect.reference:
            number = counts[(aspect.sub_criterion, aspect.type)]
            aspect = replace(aspect, reference=f"{aspect.sub_criterion}.{aspect.type}{number}")
        result.append(aspect)
    return result


def _wsos_from_json(reader: _Reader, raw: Any, path: list[Any]) -> WsosSection:
    number = reader.integer(raw, "number", path)
    return WsosSection(number or 0, reader.text(raw, "name", path), reader.decimal(raw, "marks", path) or Decimal(0))


def _criterion_from_json(reader: _Reader, raw: Any, path: list[Any]) -> Criterion:
    letter = reader.text(raw, "letter", path).upper()
    return Criterion(letter, reader.text(raw, "name", path), reader.decimal(raw, "mark", path) or Decimal(0))


def _sub_from_json(reader: _Reader, raw: Any, path: list[Any]) -> SubCriterion:
    sub_id = reader.text(raw, "id", path).upper()
    day = reader.integer(raw, "day", path, None)
    return SubCriterion(sub_id, reader.text(raw, "name", path, ""), day, sub_id[:1])


def _aspect_from_json(reader: _Reader, raw: Any, sub_id: str, position: int, path: list[Any]) -> Aspect:
    aspect_id = reader.text(raw, "id", path, None) or f"{sub_id}.{position + 1}"
    measurement = None
    if isinstance(raw, Mapping) and raw.get("measurement") is not None:
        measurement, problems = measurement_from_json(raw["measurement"], pointer(path + ["measurement"]))
        reader.problems += problems
    return Aspect(
        id=aspect_id,
        sub_criterion=sub_id,
        type=reader.text(raw, "type", path).upper(),
        description=reader.text(raw, "description", path),
        requirement=reader.text(raw, "requirement", path, ""),
        wsos_section=reader.integer(raw, "wsos_section", path, None),
        max_mark=reader.decimal(raw, "max_mark", path) or Decimal(0),
        step=reader.decimal(raw, "step", path, None),
        descriptors=_descriptors_from_json(reader, raw, path),
        reference=reader.text(raw, "reference", path, ""),
        measurement=measurement,
    )


def _descriptors_from_json(reader: _Reader, raw: Any, path: list[Any]) -> dict[int, str]:
    value = reader.get(raw, "descriptors", path, None) or {}
    if not isinstance(value, Mapping):
        reader.problems.append(Problem(pointer(path + ["descriptors"]), "must be an object of score -> text"))
        return {}
    descriptors: dict[int, str] = {}
    for key, text in value.items():
        key_path = pointer(path + ["descriptors", key])
        if not (str(key).strip().isdigit() and isinstance(text, str)):
            reader.problems.append(Problem(key_path, "descriptor keys are scores 0-3 and values are text"))
            continue
        descriptors[int(str(key).strip())] = text.strip()
    return dict(sorted(descriptors.items()))


def scheme_to_json(scheme: MarkingScheme) -> dict[str, Any]:
    """The JSON shape of a scheme: marks as text ("0.50"), aspect ids always present."""
    return {
        "wsos_sections": [
            {"number": w.number, "name": w.name, "marks": format_mark(w.marks)} for w in scheme.wsos_sections
        ],
        "criteria": [{"letter": c.letter, "name": c.name, "mark": format_mark(c.mark)} for c in scheme.criteria],
        "sub_criteria": [_sub_to_json(scheme, s) for s in scheme.sub_criteria],
    }


def _sub_to_json(scheme: MarkingScheme, sub: SubCriterion) -> dict[str, Any]:
    aspects = [_aspect_to_json(a) for a in scheme.aspects_of(sub.id)]
    return {"id": sub.id, "name": sub.name, "day": sub.day, "aspects": aspects}


def _aspect_to_json(aspect: Aspect) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": aspect.id,
        "type": aspect.type,
        "description": aspect.description,
        "requirement": aspect.requirement,
        "wsos_section": aspect.wsos_section,
        "max_mark": format_mark(aspect.max_mark),
    }
    if aspect.step is not None:
        data["step"] = format_mark(aspect.step)
    if aspect.descriptors:
        data["descriptors"] = {str(score): text for score, text in sorted(aspect.descriptors.items())}
    if aspect.reference:
        data["reference"] = aspect.reference
    if aspect.measurement is not None:
        data["measurement"] = measurement_to_json(aspect.measurement)
    if aspect.wsos_section is None:
        del data["wsos_section"]
    return data


def marking_scheme_json_schema() -> dict[str, Any]:
    """The Draft 2020-12 JSON Schema of the scheme payload (``marking_scheme.schema.json``)."""
    return load_schema(str(SCHEMA_PATH))


def load_scheme(data: Any, require_wsos: bool = True) -> MarkingScheme:
    """JSON Schema check, conversion and marking rules in one go; raise every problem found.

    ``require_wsos`` False (tiers below WorldSkills) lets a scheme go without WSOS data.
    """
    problems = problems_from(schema_problems(data, SCHEMA_PATH))
    if problems:
        raise SchemeInvalid(problems)
    scheme = scheme_from_json(data)
    problems = validate_scheme(scheme, require_wsos=require_wsos)
    if problems:
        raise SchemeInvalid(problems)
    return scheme


def stored_shape_problems(scheme: MarkingScheme, locate: Locator) -> list[Problem]:
    """What keeps the scheme's stored JSON shape from its JSON Schema (empty names, over-long
    text, ids of the wrong form), located with ``locate``: an imported workbook must fail here,
    by cell, rather than store a scheme that cannot be read back."""
    data = scheme_to_json(scheme)
    found = []
    for problem in problems_from(schema_problems(data, SCHEMA_PATH)):
        parts = problem.path.split("/")[1:]
        kind, index, name = _place(scheme, parts)
        found.append(Problem(locate(kind, index, name), _short(problem.problem)))
    return found


def _place(scheme: MarkingScheme, parts: list[str]) -> tuple[str, int | None, str]:
    kinds = {"wsos_sections": "wsos_section", "criteria": "criterion", "sub_criteria": "sub_criterion"}
    if len(parts) < 2 or parts[0] not in kinds or not parts[1].isdigit():
        return "scheme", None, "total"
    index, name = int(parts[1]), parts[2] if len(parts) > 2 else ""
    if parts[0] == "sub_criteria" and name == "aspects" and len(parts) > 3 and parts[3].isdigit():
        aspect = scheme.aspects_of(scheme.sub_criteria[index].id)[int(parts[3])]
        position = next(i for i, a in enumerate(scheme.aspects) if a is aspect)
        return "aspect", position, parts[4] if len(parts) > 4 else "type"
    return kinds[parts[0]], index, name


def _short(message: str) -> str:
    if "should be non-empty" in message or "is too short" in message:
        return "must not be empty"
    if "is too long" in message:
        return "is too long"
    if "does not match" in message:
        return "does not have the expected form: " + message.rsplit("does not match", 1)[1].strip()
    return message[:200]
