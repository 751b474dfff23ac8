"""Export back: the stored scheme as a CIS workbook (round trip) and printable marking forms."""
from __future__ import annotations

from dataclasses import replace
from io import BytesIO

from openpyxl import load_workbook

from services.scoring.adapters.cis_export import SHEET, cis_workbook
from services.scoring.adapters.marking_forms import form_pdf, form_xlsx
from services.scoring.adapters.scheme_workbook import read_scheme_workbook
from services.scoring.domain.scheme import MarkingScheme
from services.scoring.domain.scheme_json import load_scheme, scheme_to_json
from tests.unit.scoring.cis_fixture import build_cis_xlsx, build_score_sheet


def test_import_export_import_gives_the_same_scheme():
    scheme = read_scheme_workbook(build_cis_xlsx()).scheme
    exported = cis_workbook(scheme, "33 Joinery")
    assert read_scheme_workbook(exported).scheme == scheme
    book = load_workbook(BytesIO(exported))
    assert book.sheetnames == [SHEET, "Calculations"]
    sheet = book[SHEET]
    assert sheet["A1"].value == "33 Joinery"
    types = [book["Calculations"].cell(r, 2).value for r in range(2, 7)]
    assert types == ["PASS_FAIL", "REGULAR_DIFFERENCE_DEDUCTION", "NUMBER_COMPLETED", "RANGED_SCORE", "CHOICE"]


def test_a_score_sheet_scheme_round_trips_without_wsos():
    scheme = read_scheme_workbook(build_score_sheet().content, require_wsos=False).scheme
    assert read_scheme_workbook(cis_workbook(scheme, "焊工"), require_wsos=False).scheme == scheme


def test_explicit_steps_survive_the_round_trip():
    scheme = read_scheme_workbook(build_cis_xlsx()).scheme
    data = scheme_to_json(scheme)
    data["sub_criteria"][4]["aspects"][2]["step"] = "2.5"  # C1.3, max 5, nothing in its text
    stepped = load_scheme(data)
    assert read_scheme_workbook(cis_workbook(stepped, "x")).scheme == stepped


def test_text_that_looks_like_a_formula_stays_text():
    scheme = read_scheme_workbook(build_cis_xlsx()).scheme
    evil = "=HYPERLINK(\"http://x.invalid\",\"click\")"
    aspects = tuple(replace(a, description=evil) if a.id == "A1.1" else a for a in scheme.aspects)
    tampered = MarkingScheme(scheme.wsos_sections, scheme.criteria, scheme.sub_criteria, aspects)
    exported = cis_workbook(tampered, "+cmd|' /C calc'!A0")
    sheet = load_workbook(BytesIO(exported))[SHEET]
    texts = [c for row in sheet.iter_rows() for c in row if c.value in (evil, "+cmd|' /C calc'!A0")]
    assert len(texts) == 2 and all(c.data_type == "s" for c in texts)
    assert read_scheme_workbook(exported).scheme.aspect("A1.1").description == evil


def test_marking_form_xlsx_has_contestants_down_aspects_across_and_descriptors():
    scheme = read_scheme_workbook(build_cis_xlsx()).scheme
    content = form_xlsx(scheme, "A1", ["C-01", "C-02", "C-03"], {"code": "SH-1", "name": "木工 Joinery"})
    sheet = load_workbook(BytesIO(content)).active
    assert sheet.title == "A1"
    assert [sheet.cell(r, 1).value for r in range(6, 9)] == ["C-01", "C-02", "C-03"]
    headings = [sheet.cell(4, c).value for c in range(2, 5)]
    assert headings[0].startswith("A1.M1 (M, max 1.00)") and headings[2].startswith("A1.J1 (J, max 10.00)")
    assert sheet.cell(5, 2).value == "Pass / fail: full marks or zero"
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "3: Excellent: far exceeds industry standard" in texts


def test_marking_form_pdf_renders_chinese_with_a_cjk_font():
    scheme = read_scheme_workbook(build_score_sheet().content, require_wsos=False).scheme
    content = form_pdf(scheme, "B1", ["C-01", "C-02"], {"code": "SH-2", "name": "焊工比赛"})
    assert content.startswith(b"%PDF") and b"STSong-Light" in content
