"""The marking rules of a scheme: every problem found, located by a :data:`~.scheme.Locator`
(JSON pointers by default, cells for imported workbooks)."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .errors import Problem, pointer
from .measurement import measurement_problems
from .numbers import format_mark, has_at_most_places
from .scheme import (
    ASPECT_TYPES,
    CRITERION_LETTER,
    JUDGEMENT_SCORES,
    SCHEME_TOTAL,
    SUB_CRITERION_ID,
    Aspect,
    Locator,
    MarkingScheme,
    _first_by,
)


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
