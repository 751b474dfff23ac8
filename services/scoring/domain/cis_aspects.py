"""The aspect blocks of a CIS "Marking Scheme Import" sheet: sub-criterion rows, aspects, the four
score rows after each judgement aspect, and measurement types from the ``Calculations`` sheet.
Read row by row by :class:`_AspectBlock` for :class:`~.cis_import._CisReader`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .measurement import Measurement, MeasurementError, measurement_from_cis
from .numbers import parse_decimal
from .scheme import SubCriterion
from .workbook_layout import (
    _DAY,
    _DEDUCT,
    _FULL_OR_ZERO,
    _NUMBERED_TYPE,
    LEGACY_TYPES,
    blank,
    divides,
    number,
    text,
    whole,
)

if TYPE_CHECKING:
    from .cis_import import _CisReader


@dataclass
class _AspectDraft:
    row: int
    sub_id: str
    type: str
    description: str
    requirement: str
    wsos: int | None
    max_mark: Decimal
    step: Decimal | None
    columns: dict[str, int]
    measurement: Measurement | None = None
    calculation_cell: str = ""
    descriptors: dict[int, str] = field(default_factory=dict)



class _AspectBlock:
    """State machine over the rows of one aspect block."""

    def __init__(self, reader: _CisReader, columns: dict[str, int]) -> None:
        self.reader = reader
        self.sheet = reader.sheet
        self.col = columns
        self.sub: SubCriterion | None = None
        self.aspect: _AspectDraft | None = None

    def value(self, row: int, role: str) -> Any:
        return self.sheet.cell(row, self.col[role]) if role in self.col else None

    def feed(self, row: int) -> None:
        if not blank(self.value(row, "sub_id")):
            self.sub_criterion(row)
        if not blank(self.value(row, "type")):
            self.new_aspect(row)
        elif not blank(self.value(row, "score")):
            self.descriptor(row)
        elif blank(self.value(row, "sub_id")) and not blank(self.value(row, "max_mark")):
            self.reader.add(self.col["type"], row, "a max mark without an aspect type (M or J)")

    def sub_criterion(self, row: int) -> None:
        sub_id = text(self.value(row, "sub_id")).upper()
        self.sub = SubCriterion(sub_id, text(self.value(row, "sub_name")), self.day(row), sub_id[:1])
        self.reader.subs.append((row, self.sub, self.col))
        self.aspect = None

    def day(self, row: int) -> int | None:
        value = self.value(row, "day")
        if blank(value):
            return None
        match = _DAY.match(text(value))
        if match and int(match.group(1)) >= 1:
            return int(match.group(1))
        self.reader.add(self.col["day"], row, f"day of marking must be like 1 or C1, got {text(value)!r}")
        return None

    def aspect_type(self, row: int) -> str:
        raw = text(self.value(row, "type"))
        kind = raw.upper()
        if kind in LEGACY_TYPES:
            self.reader.warnings.append(f"{self.sheet.ref(self.col['type'], row)}: legacy aspect type {raw!r} "
                                        f"read as {LEGACY_TYPES[kind]}")
            return LEGACY_TYPES[kind]
        numbered = _NUMBERED_TYPE.match(kind)
        if numbered:
            letter = LEGACY_TYPES.get(numbered.group(1).upper(), numbered.group(1).upper())
            self.reader.add(self.col["type"], row, f"aspect type must be M or J, got {raw!r}: an aspect number is "
                                                   f"not a type; write {letter} alone")
        return kind

    def new_aspect(self, row: int) -> None:
        if self.sub is None:
            self.reader.add(self.col["type"], row, "aspect row before any sub-criterion row")
            return
        kind = self.aspect_type(row)
        max_mark = self.reader._read_mark(row, self.col["max_mark"], "max mark")
        self.aspect = _AspectDraft(
            row=row, sub_id=self.sub.id, type=kind, description=text(self.value(row, "description")),
            requirement=self.requirement(row), wsos=self.wsos(row), max_mark=max_mark,
            step=self.step(row, kind, max_mark), columns=self.col,
        )
        self.measurement(row, self.aspect)
        self.reader.aspects.append(self.aspect)

    def requirement(self, row: int) -> str:
        extra, nominal = text(self.value(row, "extra")), text(self.value(row, "requirement"))
        if extra and nominal:
            return f"{extra} ({nominal})"
        return extra or nominal

    def wsos(self, row: int) -> int | None:
        if "wsos" not in self.col:
            return None
        value = self.value(row, "wsos")
        if blank(value):
            if self.reader.require_wsos:
                self.reader.add(self.col["wsos"], row, "WSOS section is missing")
            return None
        try:
            return whole(value)
        except ValueError:
            self.reader.add(self.col["wsos"], row, f"WSOS section must be a section number, got {text(value)!r}")
            return None

    def step(self, row: int, kind: str, max_mark: Decimal) -> Decimal | None:
        explicit = self.value(row, "step")
        if not blank(explicit):
            try:
                return number(explicit)
            except ValueError as exc:
                self.reader.add(self.col["step"], row, f"step: {exc}")
                return None
        extra = text(self.value(row, "extra"))
        if kind != "M" or max_mark <= 0:
            return None
        if _FULL_OR_ZERO.search(extra):
            return max_mark
        match = _DEDUCT.search(extra)
        inferred = parse_decimal(match.group(1), allow_comma=True) if match else Decimal(0)
        return inferred if divides(inferred, max_mark) else None

    def measurement(self, row: int, draft: _AspectDraft) -> None:
        value = self.value(row, "calculation")
        if blank(value):
            return
        column = self.col["calculation"]
        draft.calculation_cell = self.sheet.ref(column, row)
        if draft.type != "M":
            self.reader.add(column, row, "a calculation row applies to measurement (M) aspects only")
            return
        calc = self.reader.calculations
        try:
            target = whole(value)
        except ValueError:
            self.reader.add(column, row, f"calculation row must be a row number of the Calculations sheet, "
                                         f"got {text(value)!r}")
            return
        if calc is None or blank(calc.cell(target, 2)):
            where = "there is no Calculations sheet" if calc is None else f"Calculations row {target} is empty"
            self.reader.add(column, row, f"calculation row {target}: {where}")
            return
        draft.calculation_cell = calc.ref(4, target)
        label, kind, flag, params = (calc.cell(target, c) for c in (1, 2, 3, 4))
        try:
            draft.measurement = measurement_from_cis(text(kind), text(params), text(label), flag is not False)
        except MeasurementError as exc:
            column = 2 if "unknown measurement type" in str(exc) else 4
            self.reader.add(column, target, str(exc), calc)

    def descriptor(self, row: int) -> None:
        column = self.col["score"]
        aspect = self.aspect
        if aspect is None:
            self.reader.add(column, row, "judgement score row without a judgement aspect above it")
            return
        if aspect.type not in ("J", "M"):
            return  # the aspect's unknown type is reported by validation
        if aspect.type != "J":
            self.reader.add(column, row, f"judgement score row after a measurement aspect (row {aspect.row})")
            return
        try:
            score = whole(self.value(row, "score"))
        except ValueError:
            score = -1
        if not 0 <= score <= 3:
            self.reader.add(column, row, f"judgement score must be 0, 1, 2 or 3, got {text(self.value(row, 'score'))!r}")
        elif score in aspect.descriptors:
            self.reader.add(column, row, f"judgement score {score} is described twice")
        else:
            aspect.descriptors[score] = text(self.value(row, "extra"))
