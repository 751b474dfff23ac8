"""Synthetic marking-scheme workbooks for tests (unit, service, e2e), in the layouts experts use.

``build_cis()`` writes the real WorldSkills CIS "Marking Scheme Import" layout (our own joinery
skill and wording): sheet ``CIS Marking Scheme Import`` with the skill in A1, the WSOS table
(``Section`` / ``WSOS Marks`` merged B:H / ``WSOS Marks`` / ``Aspect Marks`` as ``=SUMIF`` /
``Variation`` and a ``Total Variation`` row), the ``Criteria`` title and table (a text mark, a
``=N..`` formula mark, unused template letters), one aspect block per letter A..I with the
multi-line header cells, blank rows, group headings, four score rows per J aspect, the
``Competition`` / ``Total Mark`` footer, and a ``Calculations`` sheet whose rows typed
measurement aspects point at from column J. ``legacy_wsss=True`` writes the older WSSS wording.

``build_score_sheet()`` writes a Chinese 评分表 (or its English-header twin).

Aspect rows (dicts) take: ``type``, ``description``, ``extra`` (G), ``requirement`` (H),
``wsos`` (I), ``calc`` (J: a key of the ``calculations`` mapping, or a raw value), ``max``
(K, written as given: numbers, text or formulas), ``descriptors`` ({score: text}, J only).
``{"heading": text}`` writes a group heading. Sub-criteria: ``id``, ``name``, ``day``, ``rows``.
The built file records the row of every criterion, sub-criterion, aspect and WSOS section so
tests can name the exact cell a problem is reported at.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from openpyxl import Workbook

SHEET = "CIS Marking Scheme Import"
SKILL = "33 Joinery (synthetic)"
LETTERS = "ABCDEFGHI"

DEFAULT_WSOS: list[tuple[Any, str, Any]] = [
    (1, "Work organisation and management", 10),
    ("2", "Communication and interpersonal skills", 10),
    (3, "Design and setting out", 25),
    (4, "Construction and joinery", 35),
    (5, "Finishing and testing", 20),
]

DEFAULT_CRITERIA: list[tuple[str, str, Any]] = [
    ("A", "Design", "30.00"),
    ("B", "Construction", "=BLOCK"),  # replaced by =N<row> of block B's header: the block total
    ("C", "Finish", 25.0),
]

STANDARD_DESCRIPTORS = {
    0: "Below industry standard",
    1: "Meets industry standard",
    2: "Meets and in specific respects exceeds industry standard",
    3: "Excellent: far exceeds industry standard",
}

P = "#x~x#"
DEFAULT_CALCULATIONS: dict[str, tuple[str, str, bool, str]] = {
    "pass": ("A1.M1", "PASS_FAIL", True, ""),
    "deduct": ("Deduct .5", "REGULAR_DIFFERENCE_DEDUCTION", True,
               f"DEDUCTION_TYPE:::{P}UNIT#-#TARGET_VALUE:::0E-8{P}#-#DIFFERENCE:::1.00000000{P}#-#"
               f"DIFFERENCE_TYPE:::{P}UNIT#-#DEDUCTION:::0.50000000{P}"),
    "completed": ("Number Completed 4", "NUMBER_COMPLETED", True, f"NUM_POSSIBLE:::4.00000000{P}"),
    "ranged": ("B1.M2", "RANGED_SCORE", True,
               f"DEDUCTION_TYPE:::{P}UNIT#-#TARGET_VALUE:::0E-8{P}#-#RANGE1_LOWER:::0E-8{P}#-#"
               f"RANGE1_UPPER:::0.50000000{P}#-#RANGE1_DEDUCTION:::0E-8{P}#-#RANGE2_LOWER:::0.50000000{P}#-#"
               f"RANGE2_UPPER:::1.50000000{P}#-#RANGE2_DEDUCTION:::2.50000000{P}#-#RANGE3_LOWER:::1.50000000{P}#-#"
               f"RANGE3_UPPER:::3.00000000{P}#-#RANGE3_DEDUCTION:::4.00000000{P}"),
    "choice": ("C1.M1", "CHOICE", True,
               f"DEDUCTION_TYPE:::{P}PERCENT#-#CHOICE3_LABEL:::{P}Not sanded#-#CHOICE2_DEDUCTION:::50.00000000{P}#-#"
               f"CHOICE2_LABEL:::{P}Minor marks left#-#CHOICE1_DEDUCTION:::0E-8{P}#-#"
               f"CHOICE1_LABEL:::{P}All surfaces smooth#-#CHOICE3_DEDUCTION:::100.00000000{P}"),
}


def default_sub_criteria() -> list[dict[str, Any]]:
    """A fresh, editable copy of the default sub-criteria and their aspect rows (100.00 marks)."""
    return copy.deepcopy(_DEFAULT_SUB_CRITERIA)


_DEFAULT_SUB_CRITERIA: list[dict[str, Any]] = [
    {"id": "A1", "name": "Design drawing", "day": "1", "rows": [
        {"type": "M", "description": "Title block complete", "extra": "Full marks or zero", "wsos": 1, "max": 1,
         "calc": "pass"},
        {"heading": "Dimensions"},
        {"type": "M", "description": "Dimensions correct", "extra": "Deduct 0.50 per error", "wsos": 3, "max": 4,
         "calc": "deduct"},
        {"type": "J", "description": "Design quality", "extra": "Proportion, detail, buildability", "wsos": 3,
         "max": 10, "descriptors": STANDARD_DESCRIPTORS},
    ]},
    {"id": "A2", "name": "Cutting list and plan", "day": "C1", "rows": [
        {"type": "M", "description": "Cutting list complete", "extra": "Deduct 1 per missing item", "wsos": 2,
         "max": " 5.00 "},
        {"type": "J", "description": "Communication with the client", "wsos": "2", "max": 5,
         "descriptors": STANDARD_DESCRIPTORS},
        {"type": "M", "description": "Parts of the time plan submitted", "wsos": 1, "max": "5", "calc": "completed"},
    ]},
    {"id": "B1", "name": "Frame", "day": 2, "rows": [
        {"heading": "Joints"},
        {"type": "M", "description": "Joint gaps within tolerance", "extra": "Deduct 1.00 per joint out of tolerance",
         "requirement": "0.5 mm", "wsos": 4, "max": 10},
        {"type": "M", "description": "Frame square (difference of diagonals, mm)", "wsos": 4, "max": 5,
         "calc": "ranged"},
        {"type": "J", "description": "Joint finish", "wsos": 4, "max": 10, "descriptors": STANDARD_DESCRIPTORS},
    ]},
    {"id": "B2", "name": "Panels", "day": 3, "rows": [
        {"type": "M", "description": "Panels flush", "extra": "Deduct 2 per panel not flush", "wsos": 4, "max": "=10"},
        {"type": "J", "description": "Overall build quality", "wsos": 4, "max": 10, "descriptors": STANDARD_DESCRIPTORS},
    ]},
    {"id": "C1", "name": "Finish and test", "day": 4, "rows": [
        {"type": "M", "description": "Surfaces sanded", "wsos": 5, "max": 5, "calc": "choice"},
        {"type": "J", "description": "Finish appearance", "wsos": 5, "max": 10, "descriptors": STANDARD_DESCRIPTORS},
        {"type": "M", "description": "Doors open and close freely", "wsos": 5, "max": 5},
        {"type": "M", "description": "PPE worn throughout", "extra": "Full marks or zero", "wsos": 1, "max": "0,5"},
        {"type": "M", "description": "Workplace clean at the end", "wsos": 1, "max": 4.5},
    ]},
]

ASPECT_HEADER = [
    "Sub\nCriterion\nID", "Sub Criterion\nName or Description", "Day of Marking", "Aspect\nType\nM = Meas\nJ = Judg",
    "Aspect - Description", "Judg Score",
    "Extra Aspect Description (Meas or Judg)\nOR\nJudgement Score Description (Judg only)",
    "Requirement\n(Measurement Only)", "WSOS Section", "Calculation Row \n(Export only)", "Max\nMark",
]


@dataclass
class CisFile:
    """A built workbook and where things are in it (1-based rows on ``sheet``)."""

    content: bytes
    sheet: str
    criterion_rows: dict[str, int] = field(default_factory=dict)
    sub_rows: dict[str, int] = field(default_factory=dict)
    every_sub_row: list[tuple[str, int]] = field(default_factory=list)  # also repeated ids
    aspect_rows: dict[str, int] = field(default_factory=dict)
    wsos_rows: dict[Any, int] = field(default_factory=dict)
    block_rows: dict[str, int] = field(default_factory=dict)
    calc_rows: dict[str, int] = field(default_factory=dict)
    footer_row: int = 0

    def cell(self, column: str, row: int) -> str:
        """A problem path for a cell: ``"CIS Marking Scheme Import!K17"``."""
        return f"{self.sheet}!{column}{row}"

    @property
    def total_cell(self) -> str:
        return self.cell("N", self.footer_row)


def build_cis(
    wsos: list[tuple[Any, str, Any]] | None = None,
    criteria: list[tuple[str, str, Any]] | None = None,
    sub_criteria: list[dict[str, Any]] | None = None,
    *,
    sheet: str = SHEET,
    calculations: dict[str, tuple[str, str, bool, str]] | None = None,
    legacy_wsss: bool = False,
    wsos_table: bool = True,
    criteria_table: bool = True,
    header_overrides: dict[int, Any] | None = None,
) -> CisFile:
    """Write a CIS workbook in the real layout; defaults give a valid 100-mark scheme.

    ``header_overrides`` replaces aspect-header cells by 1-based column (None blanks one).
    """
    wsos = DEFAULT_WSOS if wsos is None else wsos
    criteria = DEFAULT_CRITERIA if criteria is None else criteria
    sub_criteria = default_sub_criteria() if sub_criteria is None else sub_criteria
    calculations = DEFAULT_CALCULATIONS if calculations is None else calculations
    book = Workbook()
    ws = book.active
    ws.title = sheet
    built = CisFile(b"", sheet)
    ws["A1"] = SKILL
    ws.merge_cells("A1:K1")
    row = 3
    if wsos_table:
        row = _write_wsos(ws, wsos, row, built, legacy_wsss) + 3
    criteria_row = row
    if criteria_table:
        row = _write_criteria(ws, criteria, row, built) + 3
    header = list(ASPECT_HEADER)
    if legacy_wsss:
        header[8] = "WSSS Section"
    for column, value in (header_overrides or {}).items():
        header[column - 1] = value
    _write_calculations(book, calculations, built)
    _write_blocks(ws, sub_criteria, row, built, header)
    if criteria_table:
        _link_block_totals(ws, criteria, criteria_row, built)
    buffer = BytesIO()
    book.save(buffer)
    built.content = buffer.getvalue()
    return built


def build_cis_xlsx(*args: Any, **kwargs: Any) -> bytes:
    """The bytes of :func:`build_cis`."""
    return build_cis(*args, **kwargs).content


def _write_wsos(ws: Any, wsos: list[tuple[Any, str, Any]], row: int, built: CisFile, legacy: bool) -> int:
    name = "WSSS" if legacy else "WSOS"
    ws.cell(row, 1, "WorldSkills Standards Specification" if legacy else "WorldSkills Occupational Standards")
    ws.merge_cells(start_row=row, end_row=row, start_column=1, end_column=11)
    row += 1
    for column, title in ((1, "Section"), (2, f"{name} Marks"), (9, f"{name} Marks"), (10, "Aspect Marks"),
                          (11, "Variation")):
        ws.cell(row, column, title)
    ws.merge_cells(start_row=row, end_row=row, start_column=2, end_column=8)
    first = row + 1
    for number, section_name, marks in wsos:
        row += 1
        ws.cell(row, 1, number), ws.cell(row, 2, section_name), ws.cell(row, 9, marks)
        ws.merge_cells(start_row=row, end_row=row, start_column=2, end_column=8)
        ws.cell(row, 10, f"=SUMIF(I$20:I$400,A{row},K$20:K$400)")
        ws.cell(row, 11, f"=ABS(I{row}-J{row})")
        built.wsos_rows[number] = row
    row += 1
    ws.cell(row, 9, "Total Variation"), ws.cell(row, 11, f"=SUM(K{first}:K{row - 1})")
    return row


def _write_criteria(ws: Any, criteria: list[tuple[str, str, Any]], row: int, built: CisFile) -> int:
    ws.cell(row, 1, "Criteria")
    ws.merge_cells(start_row=row, end_row=row, start_column=1, end_column=11)
    row += 1
    ws.cell(row, 1, "ID"), ws.cell(row, 2, "Name"), ws.cell(row, 11, "Mark")
    given = {letter for letter, _, _ in criteria}
    for letter, name, mark in criteria:
        row += 1
        ws.cell(row, 1, letter), ws.cell(row, 2, name), ws.cell(row, 11, mark)
        built.criterion_rows[letter] = row
    for letter in LETTERS:
        if letter not in given and letter > max(given or "A"):
            row += 1
            ws.cell(row, 1, letter)  # an unused template letter
    return row


def _write_calculations(book: Any, calculations: dict[str, tuple[str, str, bool, str]], built: CisFile) -> None:
    sheet = book.create_sheet("Calculations")
    sheet.cell(1, 4, "")
    for row, (key, values) in enumerate(calculations.items(), start=2):
        for column, value in enumerate(values, start=1):
            sheet.cell(row, column, value)
        built.calc_rows[key] = row


def _write_blocks(ws: Any, sub_criteria: list[dict[str, Any]], row: int, built: CisFile, header: list[Any]) -> None:
    letters = list(dict.fromkeys([s["id"][:1] for s in sub_criteria] + list(LETTERS)))
    for letter in letters:
        start = row
        for column, title in enumerate(header, 1):
            ws.cell(row, column, title)
        ws.cell(row, 12, f"Criterion {letter}"), ws.cell(row, 13, "Total\nMark")
        built.block_rows[letter] = row
        for sub in (s for s in sub_criteria if s["id"][:1] == letter):
            row = _write_sub(ws, sub, row + 1, built)
        row += 2
        ws.cell(start, 14, f"=SUM(K{start + 1}:K{row - 1})")
    row += 1
    ws.cell(row, 12, "Competition"), ws.cell(row, 13, "Total\nMark"), ws.cell(row, 14, f"=SUM(N1:N{row - 2})")
    built.footer_row = row


def _write_sub(ws: Any, sub: dict[str, Any], row: int, built: CisFile) -> int:
    ws.cell(row, 1, sub["id"]), ws.cell(row, 2, sub.get("name")), ws.cell(row, 3, sub.get("day"))
    built.sub_rows.setdefault(sub["id"], row)
    built.every_sub_row.append((sub["id"], row))
    ordinal = 0
    for item in sub["rows"]:
        row += 1
        if "heading" in item:
            ws.cell(row, 5, item["heading"])
            continue
        ordinal += 1
        built.aspect_rows[f"{sub['id']}.{ordinal}"] = row
        row = _write_aspect(ws, item, row, built)
    return row + 1  # a blank row after the sub-criterion


def _write_aspect(ws: Any, item: dict[str, Any], row: int, built: CisFile) -> int:
    calc = item.get("calc")
    values = {4: item.get("type"), 5: item.get("description"), 7: item.get("extra"), 8: item.get("requirement"),
              9: item.get("wsos"), 10: built.calc_rows.get(calc, calc), 11: item.get("max")}
    for column, value in values.items():
        if value is not None:
            ws.cell(row, column, value)
    for score, descriptor in sorted((item.get("descriptors") or {}).items()):
        row += 1
        ws.cell(row, 6, score), ws.cell(row, 7, descriptor)
    if item.get("descriptors"):
        row += 1  # the blank row after a judgement aspect
    return row


def _link_block_totals(ws: Any, criteria: list[tuple[str, str, Any]], criteria_row: int, built: CisFile) -> None:
    for letter, _, mark in criteria:
        if mark == "=BLOCK":
            ws.cell(built.criterion_rows[letter], 11, f"=N{built.block_rows[letter]}")


# --------------------------------------------------------------------------- 评分表


@dataclass
class ScoreSheetFile:
    content: bytes
    sheet: str
    header_row: int
    item_rows: list[int] = field(default_factory=list)
    total_row: int = 0

    def cell(self, column: str, row: int) -> str:
        return f"{self.sheet}!{column}{row}"


CHINESE_HEADER = ["模块", "评分项", "类型(客观/主观)", "配分", "评分标准", "扣分说明"]
ENGLISH_HEADER = ["Module", "Item", "Type", "Marks", "Marking standard", "Deduction notes"]

#: (module, item, type, marks, standard, deduction notes): a welding contest of our own, 100.00 marks.
DEFAULT_SCORE_ITEMS: list[tuple[Any, ...]] = [
    ("模块A 识图与备料", "坡口角度符合图纸", "客观", 5, "60°±2°", "超差不得分"),
    (None, "钝边尺寸", "客观", "5", "1.0±0.5 mm", "每处扣1分"),
    (None, "下料尺寸", "测量", 10, "±1 mm", "每处扣2分"),
    ("模块B 焊接操作", "焊缝外观成形", "主观", 20, "焊缝均匀、美观", ""),
    (None, "焊缝余高", "客观", 10, "0~3 mm", "每处扣2.5分"),
    (None, "咬边深度", "客观", 10, "≤0.5 mm", ""),
    (None, "工艺纪律", "评价", 10, "按工艺卡操作", ""),
    ("模块C 安全文明生产", "劳保用品穿戴", "客观", "10分", "规范穿戴", "不合格不得分"),
    (None, "现场整理", "主观", 20, "工位整洁", ""),
]
ENGLISH_TYPES = {"客观": "Objective", "测量": "Measurement", "主观": "Subjective", "评价": "Judgement"}


def build_score_sheet(items: list[tuple[Any, ...]] | None = None, *, english: bool = False,
                      sheet: str = "评分表", header: list[str] | None = None) -> ScoreSheetFile:
    """A 评分表: a title row, one header row, merged module cells, a 合计 row and a note."""
    items = DEFAULT_SCORE_ITEMS if items is None else items
    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws["A1"] = "2026年某区职业技能竞赛 焊工 评分表" if not english else "2026 enterprise welding contest: score sheet"
    ws.merge_cells("A1:F1")
    header_row = 3
    for column, title in enumerate(header or (ENGLISH_HEADER if english else CHINESE_HEADER), start=1):
        ws.cell(header_row, column, title)
    built = ScoreSheetFile(b"", sheet, header_row)
    row = header_row
    module_start = None
    for item in items:
        row += 1
        values = list(item)
        if english and values[2] in ENGLISH_TYPES:
            values[2] = ENGLISH_TYPES[values[2]]
        for column, value in enumerate(values, start=1):
            if value not in (None, ""):
                ws.cell(row, column, value)
        if item[0] is not None:
            if module_start is not None and row - 1 > module_start:
                ws.merge_cells(start_row=module_start, end_row=row - 1, start_column=1, end_column=1)
            module_start = row
        built.item_rows.append(row)
    if module_start is not None and row > module_start:
        ws.merge_cells(start_row=module_start, end_row=row, start_column=1, end_column=1)
    row += 1
    ws.cell(row, 1, "合计" if not english else "Total"), ws.cell(row, 4, f"=SUM(D{header_row + 1}:D{row - 1})")
    built.total_row = row
    ws.cell(row + 2, 1, "说明：主观项由5名裁判独立评分。" if not english else "Note: five judges score subjective items.")
    buffer = BytesIO()
    book.save(buffer)
    built.content = buffer.getvalue()
    return built
