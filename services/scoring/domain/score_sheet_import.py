"""Import a Chinese score sheet (评分表) as municipal class-2 and enterprise contests write it.

One header row, Chinese or English, then one row per scoring item (aspect)::

    模块 Module | 子模块 Sub-criterion (optional) | 评分项 Item | 类型 Type | 配分 Marks
    | 评分标准 Standard (optional) | 扣分说明 Deduction notes (optional) | 评分日 Day (optional)

* 模块 names the criterion: a Latin letter in it (``模块A 网页设计``, ``A``) is its letter, otherwise
  letters are given in order of appearance. Merged cells (blank below the first row) carry
  the module and sub-criterion down.
* Without a sub-criterion column every module is one sub-criterion (``A1``); a sub-criterion
  cell holds an id (``A2``) or a name (numbered in order).
* 类型: 客观/测量/M/objective/measurement → M; 主观/评价/J/subjective/judgement → J. Judgement
  items get the standard WorldSkills 0-3 descriptors (a warning says so).
* 评分标准 and 扣分说明 become the aspect's requirement; "每处扣0.5分" / "deduct 0.5 per" sets
  the mark's step when it divides the max mark.
* Title rows above the header, blank rows and notes are skipped; a 合计/总分/Total row ends
  the table and is where a wrong total is reported.
* A score sheet carries no WSOS data: fine below the WorldSkills tier (a warning), a problem
  for a WorldSkills-tier competition, which needs the CIS layout.

The 100.00 total and the other marking rules are checked as for every scheme.
"""
from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .errors import Problem, SchemeInvalid
from .numbers import parse_decimal
from .scheme import Aspect, MarkingScheme, SubCriterion
from .scheme_json import stored_shape_problems
from .scheme_rules import validate_scheme
from .workbook_layout import (
    SchemeImport,
    Sheet,
    assemble_scheme,
    blank,
    divides,
    filled,
    merge_problems,
    norm,
    number,
    text,
)

STANDARD_DESCRIPTORS = {
    0: "0 低于行业标准 Below industry standard",
    1: "1 达到行业标准 Meets industry standard",
    2: "2 达到并在某些方面超过行业标准 Meets and in specific respects exceeds industry standard",
    3: "3 远超行业标准，优秀 Excellent: far exceeds industry standard",
}
TYPES = {"客观": "M", "测量": "M", "客观评分": "M", "测量评分": "M", "m": "M", "o": "M", "measurement": "M",
         "objective": "M", "meas": "M", "主观": "J", "评价": "J", "主观评分": "J", "评价评分": "J", "j": "J", "s": "J",
         "judgement": "J", "judgment": "J", "subjective": "J", "judg": "J"}
_STEP = re.compile(r"每[处个项次条]?扣\s*(\d+(?:\.\d+)?)\s*分|deduct\s*(\d+(?:\.\d+)?)\s*(?:marks?\s*)?(?:per|for each)",
                   re.IGNORECASE)
_LETTER = re.compile(r"(?<![A-Za-z])([A-Z])(?![A-Za-z])")
_SUB_ID = re.compile(r"^[A-Z]\d{1,3}$")
_MARKS_TEXT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*分?\s*$")
_TOTALS = ("合计", "总分", "总计", "total")

_ROLES: list[tuple[str, Callable[[str], bool]]] = [
    ("sub", lambda n: "评分项" not in n and any(w in n for w in ("子模块", "分项", "子项", "sub criteri"))),
    ("module", lambda n: "模块" in n or n.split()[:1] in (["module"], ["criterion"], ["criteria"])),
    ("type", lambda n: "类型" in n or "评分方式" in n or n.split()[:1] == ["type"] or n == "aspect type"),
    ("max_mark", lambda n: any(w in n for w in ("配分", "分值", "满分")) or n in (
        "marks", "mark", "max mark", "max marks", "points")),
    ("deduction", lambda n: "扣分" in n or "deduction" in n),
    ("standard", lambda n: "评分标准" in n or "standard" in n or "requirement" in n),
    ("item", lambda n: any(w in n for w in ("评分项", "评分内容", "评分要点", "考核内容", "考核项目", "评分细则"))
     or bool({"item", "aspect", "description"} & set(n.split()))),
    ("day", lambda n: "评分日" in n or "比赛日" in n or "day" in n.split()),
]
REQUIRED = {"module": "模块 Module", "item": "评分项 Item", "type": "类型 Type", "max_mark": "配分 Marks"}


def header_roles(row: tuple[Any, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, value in enumerate(row, start=1):
        words = norm(value)
        for role, matches in _ROLES:
            if words and role not in found and matches(words):
                found[role] = index
                break
    return found


def is_score_sheet_header(row: tuple[Any, ...]) -> bool:
    return {"item", "type", "max_mark"} <= set(header_roles(row))


@dataclass
class _Draft:
    row: int
    letter: str
    sub_id: str
    type: str
    description: str
    requirement: str
    max_mark: Decimal
    step: Decimal | None


@dataclass
class _ScoreSheetReader:
    sheet: Sheet
    require_wsos: bool
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    columns: dict[str, int] = field(default_factory=dict)
    modules: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # module text -> (row, letter, name)
    subs: dict[str, tuple[int, SubCriterion]] = field(default_factory=dict)
    drafts: list[_Draft] = field(default_factory=list)
    total_cell: str = ""

    def add(self, column: int, row: int, message: str) -> None:
        self.problems.append(Problem(self.sheet.ref(column, row), message))

    def value(self, row: int, role: str) -> Any:
        return self.sheet.cell(row, self.columns[role]) if role in self.columns else None

    def read(self) -> SchemeImport:
        header = next(i for i, row in enumerate(self.sheet.rows, start=1) if is_score_sheet_header(row))
        self.columns = header_roles(self.sheet.rows[header - 1])
        for role, name in REQUIRED.items():
            if role not in self.columns:
                self.add(1, header, f"the score sheet has no '{name}' column")
        if self.problems:
            raise SchemeInvalid(self.problems)
        self._wsos_note()
        self._rows(header)
        scheme = self._scheme()
        locate = self._locator(header)
        problems = merge_problems(self.problems, validate_scheme(scheme, locate, require_wsos=False),
                                  stored_shape_problems(scheme, locate))
        if problems:
            raise SchemeInvalid(problems)
        if scheme.judgement_aspects:
            self.warnings.append("The judgement (主观) items use the standard WorldSkills 0-3 score descriptors.")
        return SchemeImport(scheme, "score_sheet", self.warnings)

    def _wsos_note(self) -> None:
        if self.require_wsos:
            self.add(1, 1, "a score sheet (评分表) has no WSOS data: a WorldSkills-tier competition needs the CIS "
                           "marking scheme layout with its WSOS table")
        else:
            self.warnings.append("The score sheet (评分表) has no WSOS data: allowed below the WorldSkills tier; "
                                 "there is no WSOS variation to show.")

    def _rows(self, header: int) -> None:
        module = sub = ""
        for row in range(header + 1, len(self.sheet.rows) + 1):
            values = self.sheet.rows[row - 1]
            if not filled(values):
                continue
            if any(norm(v) in _TOTALS or norm(v).startswith(_TOTALS) for v in values if isinstance(v, str)):
                self.total_cell = self.sheet.ref(self.columns["max_mark"], row)
                break
            if not blank(self.value(row, "module")):
                module, sub = text(self.value(row, "module")), ""
            if not blank(self.value(row, "sub")):
                sub = text(self.value(row, "sub"))
            if blank(self.value(row, "type")) and blank(self.value(row, "max_mark")):
                continue  # a heading or a note
            if not module:
                self.add(self.columns["module"], row, "a scoring item before any module (模块)")
                continue
            self._item(row, module, sub)

    def _letter(self, module: str, row: int) -> str:
        if module not in self.modules:
            match = _LETTER.search(module)
            used = {letter for _, letter, _ in self.modules.values()}
            letter = match.group(1) if match else next((c for c in string.ascii_uppercase if c not in used), "?")
            name = module
            if match:
                name = re.sub(r"^[\s:：、.\-]+|[\s:：、.\-]+$", "", module.replace("模块", "").replace(letter, "", 1))
            self.modules[module] = (row, letter, name or module)
        return self.modules[module][1]

    def _sub(self, row: int, letter: str, module: str, sub: str) -> str:
        key = f"{module}\x00{sub}"
        if key not in self.subs:
            count = sum(1 for k in self.subs if k.startswith(f"{module}\x00")) + 1
            sub_id = sub.upper() if _SUB_ID.match(sub.upper()) else f"{letter}{count}"
            name = sub if sub and not _SUB_ID.match(sub.upper()) else self.modules[module][2]
            self.subs[key] = (row, SubCriterion(sub_id, name, self._day(row), sub_id[:1]))
        return self.subs[key][1].id

    def _day(self, row: int) -> int | None:
        value = self.value(row, "day")
        if blank(value):
            return None
        digits = re.sub(r"\D", "", text(value))
        if digits and 1 <= int(digits) <= 99:
            return int(digits)
        self.add(self.columns["day"], row, f"day of marking must be a number like 1, got {text(value)!r}")
        return None

    def _item(self, row: int, module: str, sub: str) -> None:
        letter = self._letter(module, row)
        sub_id = self._sub(row, letter, module, sub)
        kind_text = text(self.value(row, "type"))
        kind = TYPES.get(norm(kind_text).replace(" ", ""), kind_text.upper())
        if kind not in ("M", "J"):
            self.add(self.columns["type"], row, f"type must be 客观/主观 (objective/subjective) or 测量/评价 "
                                                f"(measurement/judgement), got {kind_text!r}")
        max_mark = self._marks(row)
        standard, deduction = text(self.value(row, "standard")), text(self.value(row, "deduction"))
        requirement = "\n".join(part for part in (standard, deduction) if part)
        self.drafts.append(_Draft(row, letter, sub_id, kind, text(self.value(row, "item")), requirement, max_mark,
                                  self._step(kind, requirement, max_mark)))

    def _marks(self, row: int) -> Decimal:
        column = self.columns["max_mark"]
        value = self.value(row, "max_mark")
        if blank(value):
            self.add(column, row, "配分 (max mark) is missing")
            return Decimal(0)
        match = _MARKS_TEXT.match(value) if isinstance(value, str) else None
        try:
            return parse_decimal(match.group(1)) if match else number(value)
        except ValueError as exc:
            self.add(column, row, f"配分 (max mark): {exc}")
            return Decimal(0)

    @staticmethod
    def _step(kind: str, requirement: str, max_mark: Decimal) -> Decimal | None:
        match = _STEP.search(requirement)
        if kind != "M" or not match or max_mark <= 0:
            return None
        step = parse_decimal(match.group(1) or match.group(2))
        return step if divides(step, max_mark) else None

    def _scheme(self) -> MarkingScheme:
        aspects = [Aspect(
            id="", sub_criterion=draft.sub_id, type=draft.type, description=draft.description,
            requirement=draft.requirement, wsos_section=None, max_mark=draft.max_mark, step=draft.step,
            descriptors=dict(STANDARD_DESCRIPTORS) if draft.type == "J" else {},
        ) for draft in self.drafts]
        criteria = [(letter, name, None) for _, letter, name in self.modules.values()]
        return assemble_scheme([], criteria, [s for _, s in self.subs.values()], aspects)

    def _locator(self, header: int) -> Callable[[str, int | None, str], str]:
        total_cell = self.total_cell or self.sheet.ref(self.columns["max_mark"], header)
        modules = list(self.modules.values())
        subs = list(self.subs.values())
        roles = {"type": "type", "description": "item", "requirement": "standard", "max_mark": "max_mark",
                 "step": "standard", "name": "item"}

        def locate(kind: str, index: int | None, name: str) -> str:
            if kind == "scheme" or index is None:
                return total_cell
            if kind == "criterion":
                return self.sheet.ref(self.columns["module"], modules[index][0])
            if kind == "sub_criterion":
                column = self.columns.get("day" if name == "day" else "sub", self.columns["module"])
                return self.sheet.ref(column, subs[index][0])
            draft = self.drafts[index]
            return self.sheet.ref(self.columns.get(roles.get(name, "type"), self.columns["type"]), draft.row)

        return locate


def read_score_sheet(sheet: Sheet, require_wsos: bool) -> SchemeImport:
    """Read a 评分表 sheet; raise :class:`SchemeInvalid` with every problem by cell."""
    return _ScoreSheetReader(sheet, require_wsos).read()
