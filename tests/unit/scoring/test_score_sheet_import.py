"""Chinese score sheets (评分表) and their English-header twin."""
from __future__ import annotations

from decimal import Decimal

import pytest

from services.scoring.adapters.scheme_workbook import read_scheme_workbook
from services.scoring.domain.errors import SchemeInvalid
from services.scoring.domain.scheme_json import load_scheme, scheme_to_json
from services.scoring.domain.workbook_layout import scheme_summary
from tests.unit.scoring.cis_fixture import DEFAULT_SCORE_ITEMS, build_score_sheet


def problems(content: bytes, require_wsos: bool = False) -> dict[str, str]:
    with pytest.raises(SchemeInvalid) as caught:
        read_scheme_workbook(content, require_wsos)
    return {p.path: p.problem for p in caught.value.problems}


def test_chinese_score_sheet_imports_below_the_worldskills_tier():
    imported = read_scheme_workbook(build_score_sheet().content, require_wsos=False)
    scheme = imported.scheme
    assert imported.layout == "score_sheet"
    assert scheme_summary(scheme) == {"criteria": 3, "sub_criteria": 3, "aspects": 9, "measurement_aspects": 6,
                                      "judgement_aspects": 3, "total": "100.00"}
    assert [(c.letter, c.name, c.mark) for c in scheme.criteria] == [
        ("A", "识图与备料", 20), ("B", "焊接操作", 50), ("C", "安全文明生产", 30)]
    assert [s.id for s in scheme.sub_criteria] == ["A1", "B1", "C1"]
    bevel, root, cut = scheme.aspects_of("A1")
    assert (bevel.description, bevel.type, bevel.max_mark, bevel.requirement) == (
        "坡口角度符合图纸", "M", 5, "60°±2°\n超差不得分")
    assert (root.step, cut.step, cut.type) == (Decimal(1), Decimal(2), "M")
    assert scheme.aspect("C1.1").max_mark == 10  # "10分"
    assert scheme.aspect("B1.1").type == "J" and set(scheme.aspect("B1.1").descriptors) == {0, 1, 2, 3}
    assert all(a.wsos_section is None for a in scheme.aspects)
    assert any("no WSOS data" in w for w in imported.warnings)
    assert load_scheme(scheme_to_json(scheme), require_wsos=False) == scheme


def test_english_headers_give_the_same_scheme():
    chinese = read_scheme_workbook(build_score_sheet().content, require_wsos=False).scheme
    english = read_scheme_workbook(build_score_sheet(english=True).content, require_wsos=False).scheme
    assert english == chinese


def test_worldskills_tier_needs_wsos_data():
    built = build_score_sheet()
    assert "has no WSOS data" in problems(built.content, require_wsos=True)[built.cell("A", 1)]


def test_total_must_still_be_100():
    items = list(DEFAULT_SCORE_ITEMS)
    items[0] = (*items[0][:3], 6, *items[0][4:])
    built = build_score_sheet(items)
    assert problems(built.content)[built.cell("D", built.total_row)] == "aspect max marks add up to 101.00, not 100.00"


def test_bad_type_and_marks_are_reported_by_cell():
    items = list(DEFAULT_SCORE_ITEMS)
    items[1] = (None, "钝边尺寸", "随意", "五分", "", "")
    built = build_score_sheet(items)
    found = problems(built.content)
    row = built.item_rows[1]
    assert found[built.cell("C", row)].startswith("type must be 客观/主观")
    assert found[built.cell("D", row)] == "配分 (max mark): not a number: '五分'"


def test_missing_column_is_named():
    built = build_score_sheet(header=["分组", "评分项", "类型", "配分", "评分标准", "扣分说明"])
    assert problems(built.content)[built.cell("A", built.header_row)] == "the score sheet has no '模块 Module' column"


@pytest.mark.parametrize("seed", range(15))
def test_any_cell_content_gives_a_scheme_or_problems_never_a_crash(seed):
    import random
    from io import BytesIO

    from openpyxl import load_workbook

    weird = [None, "", "=A1", "abc", -1, 1e308, True, "合计", "模块", "主观", "客观", "五分", "x" * 5000, "模块Z"]
    chance = random.Random(seed)
    book = load_workbook(BytesIO(build_score_sheet().content))
    sheet = book.active
    for _ in range(8):
        cell = sheet.cell(chance.randint(1, sheet.max_row + 1), chance.randint(1, 7))
        if type(cell).__name__ != "MergedCell":
            cell.value = chance.choice(weird)
    buffer = BytesIO()
    book.save(buffer)
    try:
        read_scheme_workbook(buffer.getvalue(), require_wsos=False)
    except SchemeInvalid as error:
        assert error.problems
