"""The WorldSkills marking scheme: criteria, sub-criteria, aspects and WSOS sections.

Shape (see ``docs/domain.md`` "WorldSkills marking"): criteria lettered A, B, ...; sub-criteria
``A1``, ``A2`` ... belong to the criterion of their first letter; each sub-criterion holds aspects
of type ``M`` (measurement) or ``J`` (judgement, four descriptors for scores 0-3). Aspect max
marks add up to exactly 100.00. Every aspect assesses one WSOS section; the difference between a
section's WSOS weight and the marks its aspects carry is a *warning*, never an error.

:func:`scheme_from_json` / :func:`scheme_to_json` convert the JSON shape described by
``marking_scheme.schema.json``; :func:`validate_scheme` applies the marking rules and returns
every problem; :func:`load_scheme` does all three and raises :class:`SchemeInvalid`.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from .errors import Problem, SchemeInvalid
from .measurement import Measurement, measurement_from_json, measurement_problems, measurement_to_json
from .numbers import format_mark, has_at_most_places, parse_decimal
from .validation import load_schema, pointer, schema_problems

AspectType = Literal["M", "J"]
ASPECT_TYPES: tuple[str, ...] = ("M", "J")
JUDGEMENT_SCORES: tuple[int, ...] = (0, 1, 2, 3)
SCHEME_TOTAL = Decimal("100.00")
DEFAULT_VARIATION_THRESHOLD = Decimal("5")
SUB_CRITERION_ID = re.compile(r"^[A-Z][0-9]+$")
CRITERION_LETTER = re.compile(r"^[A-Z]$")
SCHEMA_PATH = Path(__file__).with_name("marking_scheme.schema.json")

#: ``locate(kind, index, field) -> path``; kind is "scheme", "wsos_section", "criterion",
#: "sub_criterion" or "aspect", index the position in the scheme's tuple (None for "scheme").
Locator = Callable[[str, "int | None", str], str]


@dataclass(frozen=True)
class WsosSection:
    """A section of the WorldSkills Occupational Standards and its industry weight in marks."""

    number: int
    name: str
    marks: Decimal


@dataclass(frozen=True)
class Criterion:
    """A lettered criterion (section) of the marking scheme and the marks it carries."""

    letter: str
    name: str
    mark: Decimal


@dataclass(frozen=True)
class SubCriterion:
    """A sub-criterion such as ``A1``: its criterion is the first letter of its id."""

    id: str
    name: str
    day: int | None
    criterion: str


@dataclass(frozen=True)
class Aspect:
    """One marked aspect; ``descriptors`` maps judgement score 0-3 to its text (J only).

    ``step`` (M only) is the granularity of the mark, e.g. 0.25 for "deduct 0.25 per error".
    ``measurement`` (M only) is the CIS measurement type that turns an observation into the mark.
    ``reference`` is the CIS aspect reference (``B4.M5``: sub-criterion, type, number of that type).
    ``wsos_section`` is None only in schemes without WSOS data (allowed below the WorldSkills tier).
    """

    id: str
    sub_criterion: str
    type: str
    description: str
    requirement: str
    wsos_section: int | None
    max_mark: Decimal
    step: Decimal | None = None
    descriptors: Mapping[int, str] = field(default_factory=dict, hash=False)
    reference: str = ""
    measurement: Measurement | None = None

    @property
    def is_judgement(self) -> bool:
        return self.type == "J"

    @property
    def is_measurement(self) -> bool:
        return self.type == "M"


@dataclass(frozen=True)
class MarkingScheme:
    """A whole marking scheme with id lookups (first occurrence wins on duplicate ids)."""

    wsos_sections: tuple[WsosSection, ...]
    criteria: tuple[Criterion, ...]
    sub_criteria: tuple[SubCriterion, ...]
    aspects: tuple[Aspect, ...]
    _index: dict[str, Any] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        for name in ("wsos_sections", "criteria", "sub_criteria", "aspects"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "_index", _build_index(self))

    def aspect(self, aspect_id: str) -> Aspect:
        """The aspect with this id; ``KeyError`` when there is none."""
        return self._index["aspects"][aspect_id]

    def has_aspect(self, aspect_id: str) -> bool:
        return aspect_id in self._index["aspects"]

    def aspects_of(self, sub_criterion_id: str) -> tuple[Aspect, ...]:
        """The aspects of one sub-criterion in scheme order (empty for an unknown id)."""
        return self._index["by_sub"].get(sub_criterion_id, ())

    def sub_criterion(self, sub_criterion_id: str) -> SubCriterion:
        return self._index["subs"][sub_criterion_id]

    def criterion(self, letter: str) -> Criterion:
        return self._index["criteria"][letter]

    def wsos_section(self, number: int) -> WsosSection:
        return self._index["wsos"][number]

    def criterion_of(self, aspect: Aspect) -> str:
        """The criterion letter an aspect counts towards."""
        sub = self._index["subs"].get(aspect.sub_criterion)
        return sub.criterion if sub else aspect.sub_criterion[:1]

    @property
    def total_max_mark(self) -> Decimal:
        return sum((a.max_mark for a in self.aspects), Decimal("0"))

    @property
    def measurement_aspects(self) -> tuple[Aspect, ...]:
        return tuple(a for a in self.aspects if a.is_measurement)

    @property
    def judgement_aspects(self) -> tuple[Aspect, ...]:
        return tuple(a for a in self.aspects if a.is_judgement)


def _first_by(items: Iterable[Any], key: Callable[[Any], Any]) -> dict[Any, Any]:
    index: dict[Any, Any] = {}
    for item in items:
        index.setdefault(key(item), item)
    return index


def _build_index(scheme: MarkingScheme) -> dict[str, Any]:
    by_sub: dict[str, list[Aspect]] = defaultdict(list)
    for aspect in scheme.aspects:
        by_sub[aspect.sub_criterion].append(aspect)
    return {
        "aspects": _first_by(scheme.aspects, lambda a: a.id),
        "subs": _first_by(scheme.sub_criteria, lambda s: s.id),
        "criteria": _first_by(scheme.criteria, lambda c: c.letter),
        "wsos": _first_by(scheme.wsos_sections, lambda w: w.number),
        "by_sub": {key: tuple(value) for key, value in by_sub.items()},
    }


# --------------------------------------------------------------------------- JSON conversion


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
    problems = schema_problems(marking_scheme_json_schema(), data)
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
    for problem in schema_problems(marking_scheme_json_schema(), data):
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


# --------------------------------------------------------------------------- marking rules


def json_locator(scheme: MarkingScheme) -> Locator:
    """Problem paths as JSON pointers into the payload :func:`scheme_to_json` would produce."""
    sub_index = _first_by(range(len(scheme.sub_criteria)), lambda i: scheme.sub_criteria[i].id)
    positions: list[tuple[int | None, int]] = []
    seen: Counter[str] = Counter()
    for aspect in scheme.aspects:
        positions.append((sub_index.get(aspect.sub_criterion), seen[aspect.sub_criterion]))
        seen[aspect.sub_criterion] += 1

    def locate(kind: str, index: int | None, name: str) -> str:
        if kind == "scheme":
            return "/wsos_sections" if name == "wsos_sections" else "/sub_criteria"
        if kind == "aspect" and index is not None:
            sub, position = positions[index]
            if sub is None:
                return pointer(["aspects", index, name])
            return pointer(["sub_criteria", sub, "aspects", position, name])
        table = {"wsos_section": "wsos_sections", "criterion": "criteria", "sub_criterion": "sub_criteria"}[kind]
        return pointer([table, index, name])

    return locate


def validate_scheme(scheme: MarkingScheme, locate: Locator | None = None, require_wsos: bool = True) -> list[Problem]:
    """Every marking-rule problem of a scheme (empty list: the scheme is valid).

    Rules: aspect max marks add up to exactly 100.00; each criterion's mark equals the sum of its
    aspects' max marks; each sub-criterion's criterion (first letter) exists and it has aspects;
    every aspect names an existing WSOS section, has max mark > 0 with at most 2 decimals, a
    step (M only) that divides the max mark; every J aspect has descriptors for 0, 1, 2 and 3;
    no duplicate section numbers, letters or ids; a measurement type only on M aspects, with
    usable parameters. Ids with Cyrillic or Greek look-alike letters are named as such.
    With ``require_wsos`` False an aspect may have no WSOS section (a section it names must
    still exist). ``locate`` maps a place to a path (JSON pointers by default; the CIS
    importer passes one that answers ``Sheet!K17``).
    """
    locate = locate or json_locator(scheme)
    return [
        *_duplicate_problems(scheme, locate),
        *_wsos_problems(scheme, locate, require_wsos),
        *_criterion_problems(scheme, locate),
        *_sub_criterion_problems(scheme, locate),
        *(p for i, a in enumerate(scheme.aspects) for p in _aspect_problems(scheme, i, a, locate, require_wsos)),
        *_total_problems(scheme, locate),
    ]


def _duplicates(kind: str, keys: list[Any], name: str, label: str, locate: Locator) -> list[Problem]:
    seen: set[Any] = set()
    problems = []
    for index, key in enumerate(keys):
        if key in seen:
            problems.append(Problem(locate(kind, index, name), f"duplicate {label} {key}"))
        seen.add(key)
    return problems


def _duplicate_problems(scheme: MarkingScheme, locate: Locator) -> list[Problem]:
    return [
        *_duplicates("wsos_section", [w.number for w in scheme.wsos_sections], "number", "WSOS section", locate),
        *_duplicates("criterion", [c.letter for c in scheme.criteria], "letter", "criterion", locate),
        *_duplicates("sub_criterion", [s.id for s in scheme.sub_criteria], "id", "sub-criterion", locate),
        *_duplicates("aspect", [a.id for a in scheme.aspects], "id", "aspect id", locate),
    ]


def _wsos_problems(scheme: MarkingScheme, locate: Locator, require_wsos: bool) -> list[Problem]:
    problems = []
    if require_wsos and not scheme.wsos_sections:
        problems.append(Problem(locate("scheme", None, "wsos_sections"), "the scheme has no WSOS sections"))
    for i, section in enumerate(scheme.wsos_sections):
        if section.number < 1:
            problems.append(Problem(locate("wsos_section", i, "number"), "WSOS section number must be 1 or more"))
        if section.marks < 0:
            problems.append(Problem(locate("wsos_section", i, "marks"), "WSOS marks must not be negative"))
    return problems


def _criterion_problems(scheme: MarkingScheme, locate: Locator) -> list[Problem]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for aspect in scheme.aspects:
        sums[scheme.criterion_of(aspect)] += aspect.max_mark
    problems = []
    for i, criterion in enumerate(scheme.criteria):
        if not CRITERION_LETTER.match(criterion.letter):
            message = f"criterion must be one capital letter, got {criterion.letter!r}{lookalike_note(criterion.letter)}"
            problems.append(Problem(locate("criterion", i, "letter"), message))
        total = sums.get(criterion.letter, Decimal(0))
        if criterion.mark != total:
            message = (f"criterion {criterion.letter} is {format_mark(criterion.mark)} "
                       f"but its aspects add up to {format_mark(total)}")
            problems.append(Problem(locate("criterion", i, "mark"), message))
    return problems


def _sub_criterion_problems(scheme: MarkingScheme, locate: Locator) -> list[Problem]:
    letters = {c.letter for c in scheme.criteria}
    problems = []
    for i, sub in enumerate(scheme.sub_criteria):
        where = locate("sub_criterion", i, "id")
        if not SUB_CRITERION_ID.match(sub.id):
            problems.append(Problem(where, f"sub-criterion id must look like A1, got {sub.id!r}{lookalike_note(sub.id)}"))
        elif sub.criterion not in letters:
            message = f"sub-criterion {sub.id} belongs to criterion {sub.criterion}, which is not in the criteria"
            problems.append(Problem(where, message))
        if not scheme.aspects_of(sub.id):
            problems.append(Problem(where, f"sub-criterion {sub.id} has no aspects"))
        if sub.day is not None and sub.day < 1:
            problems.append(Problem(locate("sub_criterion", i, "day"), "day of marking must be 1 or more"))
    return problems


def _aspect_problems(scheme: MarkingScheme, i: int, aspect: Aspect, locate: Locator,
                     require_wsos: bool = True) -> list[Problem]:
    def at(name: str, message: str) -> Problem:
        return Problem(locate("aspect", i, name), message)

    problems = []
    if aspect.type not in ASPECT_TYPES:
        problems.append(at("type", f"aspect type must be M or J, got {aspect.type!r}{lookalike_note(aspect.type)}"))
    if not aspect.description:
        problems.append(at("description", "aspect needs a description"))
    if aspect.sub_criterion not in scheme._index["subs"]:
        problems.append(at("id", f"aspect {aspect.id} names unknown sub-criterion {aspect.sub_criterion!r}"))
    if aspect.wsos_section is None:
        if require_wsos:
            problems.append(at("wsos_section", f"aspect {aspect.id} has no WSOS section"))
    elif aspect.wsos_section not in scheme._index["wsos"]:
        message = f"aspect {aspect.id} names WSOS section {aspect.wsos_section}, which is not in the WSOS table"
        problems.append(at("wsos_section", message))
    problems += _max_mark_problems(aspect, at)
    problems += _measurement_problems(aspect, at)
    problems += _step_problems(aspect, at)
    problems += _descriptor_problems(aspect, at)
    return problems


def _max_mark_problems(aspect: Aspect, at: Callable[[str, str], Problem]) -> list[Problem]:
    if aspect.max_mark <= 0:
        return [at("max_mark", f"max mark of {aspect.id} must be more than 0")]
    if aspect.max_mark > SCHEME_TOTAL:
        return [at("max_mark", f"max mark of {aspect.id} is more than {format_mark(SCHEME_TOTAL)}")]
    if not has_at_most_places(aspect.max_mark, 2):
        return [at("max_mark", f"max mark of {aspect.id} has more than 2 decimals: {aspect.max_mark}")]
    return []


def _step_problems(aspect: Aspect, at: Callable[[str, str], Problem]) -> list[Problem]:
    step = aspect.step
    if step is None:
        return []
    if aspect.type != "M":
        return [at("step", "a step applies to measurement (M) aspects only")]
    if step <= 0 or not has_at_most_places(step, 2):
        return [at("step", f"step must be more than 0 with at most 2 decimals, got {step}")]
    if 0 < aspect.max_mark <= SCHEME_TOTAL and step <= SCHEME_TOTAL and aspect.max_mark % step != 0:
        return [at("step", f"step {format_mark(step)} does not divide max mark {format_mark(aspect.max_mark)}")]
    return []


def _measurement_problems(aspect: Aspect, at: Callable[[str, str], Problem]) -> list[Problem]:
    if aspect.measurement is None:
        return []
    if aspect.type != "M":
        return [at("measurement", f"{aspect.id} is a judgement aspect: a measurement type applies to M aspects only")]
    return [at("measurement", f"{aspect.measurement.kind} of {aspect.id}: {problem}")
            for problem in measurement_problems(aspect.measurement, aspect.max_mark)]


#: Letters from other scripts that look like Latin capitals, as typed into ids by mistake.
LOOKALIKES = {chr(c): latin for c, latin in (
    (0x0410, "A"), (0x0412, "B"), (0x0421, "C"), (0x0415, "E"), (0x041D, "H"), (0x041A, "K"), (0x041C, "M"),
    (0x041E, "O"), (0x0420, "P"), (0x0422, "T"), (0x0425, "X"), (0x0430, "a"), (0x0435, "e"), (0x043E, "o"),
    (0x0440, "p"), (0x0441, "c"), (0x0445, "x"), (0x0391, "A"), (0x0392, "B"), (0x0395, "E"), (0x0397, "H"),
    (0x039A, "K"), (0x039C, "M"), (0x039F, "O"), (0x03A1, "P"), (0x03A4, "T"), (0x03A7, "X"))}


def lookalike_note(text: str) -> str:
    """``"; 'А' is Cyrillic U+0410, not Latin 'A'"`` for every look-alike letter in ``text`` (else "")."""
    notes = [f"{char!r} is {'Cyrillic' if ord(char) >= 0x400 else 'Greek'} U+{ord(char):04X}, not Latin {LOOKALIKES[char]!r}"
             for char in dict.fromkeys(text) if char in LOOKALIKES]
    return "; " + ", ".join(notes) if notes else ""


def _descriptor_problems(aspect: Aspect, at: Callable[[str, str], Problem]) -> list[Problem]:
    if aspect.type == "M":
        if aspect.descriptors:
            return [at("descriptors", "measurement (M) aspects have no judgement descriptors")]
        return []
    if aspect.type != "J":
        return []
    problems = [
        at("descriptors", f"judgement aspect {aspect.id} has no descriptor for score {score}")
        for score in JUDGEMENT_SCORES
        if not aspect.descriptors.get(score, "").strip()
    ]
    problems += [
        at("descriptors", f"judgement aspect {aspect.id} has a descriptor for score {score}; scores are 0-3")
        for score in aspect.descriptors
        if score not in JUDGEMENT_SCORES
    ]
    return problems


def _total_problems(scheme: MarkingScheme, locate: Locator) -> list[Problem]:
    total = scheme.total_max_mark
    if total == SCHEME_TOTAL:
        return []
    message = f"aspect max marks add up to {format_mark(total)}, not {format_mark(SCHEME_TOTAL)}"
    return [Problem(locate("scheme", None, "total"), message)]


# --------------------------------------------------------------------------- WSOS variation


def wsos_variation(scheme: MarkingScheme) -> list[dict[str, Any]]:
    """Per WSOS section: its WSOS marks, the aspect marks assessing it and the absolute variation.

    Rows: ``{"section": int, "name": str, "wsos_marks": Decimal, "aspect_marks": Decimal,
    "variation": Decimal}`` in the order of the WSOS table.
    """
    aspect_marks: dict[int | None, Decimal] = defaultdict(Decimal)
    for aspect in scheme.aspects:
        aspect_marks[aspect.wsos_section] += aspect.max_mark
    rows = []
    for section in scheme.wsos_sections:
        marks = aspect_marks.get(section.number, Decimal("0"))
        rows.append({
            "section": section.number,
            "name": section.name,
            "wsos_marks": section.marks,
            "aspect_marks": marks,
            "variation": abs(section.marks - marks),
        })
    return rows


def wsos_warnings(scheme: MarkingScheme, threshold: Decimal = DEFAULT_VARIATION_THRESHOLD) -> list[str]:
    """Sentences for organisers about WSOS sections whose variation exceeds ``threshold``.

    Warnings, never errors: a scheme with large variation is still a valid scheme. Also warns
    when the WSOS weights themselves do not add up to 100.
    """
    warnings = [
        f"WSOS section {row['section']} ({row['name']}) carries {format_mark(row['wsos_marks'])} marks in the "
        f"standard but its aspects carry {format_mark(row['aspect_marks'])}: variation "
        f"{format_mark(row['variation'])} is more than {format_mark(threshold)}."
        for row in wsos_variation(scheme)
        if row["variation"] > threshold
    ]
    weights = sum((w.marks for w in scheme.wsos_sections), Decimal(0))
    if scheme.wsos_sections and weights != SCHEME_TOTAL:
        warnings.append(f"The WSOS section marks add up to {format_mark(weights)}, not {format_mark(SCHEME_TOTAL)}.")
    return warnings
