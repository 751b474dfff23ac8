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
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from .measurement import Measurement
from .numbers import format_mark

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
