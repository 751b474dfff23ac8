"""Every CSV/XLSX export neutralises formulas, keeps numbers numbers and survives any stored text."""
import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from services.awards.adapters import exports as awards_exports
from services.scoring.adapters import results_export as scoring_export
from shared.exports import csv_text, is_formula_like, put_text, sheet_title, to_csv, to_xlsx

FORMULA_NAME = '=HYPERLINK("http://x","click")'
HOSTILE = ['=HYPERLINK("http://x","click")', "+1+2", "-2+3", "@SUM(A1:A2)", "\tcmd", "\r=1", "＝1+1"]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes):
    return load_workbook(io.BytesIO(data)).worksheets[0]


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_prefixes_every_formula_trigger_with_a_quote(text):
    assert csv_text(text) == "'" + text
    assert read_csv(to_csv([[text]])) == [["'" + text]]


@pytest.mark.parametrize("value, shown", [(-3, "-3"), (2.5, "2.5"), ("-3.50", "-3.50"), ("+7", "+7"), ("张三", "张三"),
                                          ("a=b", "a=b"), (None, ""), (True, "True")])
def test_csv_leaves_numbers_and_plain_text_alone(value, shown):
    assert csv_text(value) == shown


@pytest.mark.parametrize("text", HOSTILE)
def test_xlsx_writes_formula_like_text_as_a_string_cell(text):
    cell = read_xlsx(to_xlsx([[text, 12.5, 3, "-4.25"]])).cell(1, 1)
    assert cell.data_type == "s" and cell.value == text.replace("\r", "\n")  # XML reads CR as LF
    assert cell.quotePrefix


def test_xlsx_keeps_numbers_numbers():
    sheet = read_xlsx(to_xlsx([["x", 12.5, 3, -4]]))
    assert [(c.value, c.data_type) for c in sheet[1][1:]] == [(12.5, "n"), (3, "n"), (-4, "n")]


def test_control_characters_and_lone_surrogates_never_break_an_export():
    stored = "张\x01三\x1f\ud800"
    sheet = read_xlsx(to_xlsx([[stored]], title="bad:/title?"))
    assert sheet.cell(1, 1).value == "张\ufffd三\ufffd\ufffd" and sheet.title == "bad__title_"
    assert read_csv(to_csv([[stored]])) == [["张\ufffd三\ufffd\ufffd"]]


def test_formula_detection_ignores_plain_numbers():
    assert is_formula_like("-1+2") and not is_formula_like("-1.50") and not is_formula_like("张=三")
    assert sheet_title("") == "Sheet" and len(sheet_title("x" * 40)) == 31


# ------------------------------------------------------------------ the exports themselves

def results_answer(name: str) -> dict:
    return {"final": True, "results": [{
        "rank": 1, "contestant_id": "C001", "name": name, "employer": "@evil", "delegation": {"name": "+d"},
        "team": None, "criterion_marks": {"A": "12.50"}, "raw": "12.50", "scale": 700, "medal": "gold",
        "medallion": False, "best_of_delegation": True}]}


def test_results_csv_neutralises_hostile_names():
    data, mimetype = scoring_export.render("csv", results_answer(HOSTILE[0]), ["A"])
    row = read_csv(data)[1]
    assert mimetype.startswith("text/csv") and row[2:5] == ["'" + HOSTILE[0], "'@evil", "'+d"] and row[6] == "12.50"


def test_results_xlsx_writes_hostile_names_as_text_and_marks_as_numbers():
    data, _ = scoring_export.render("xlsx", results_answer(HOSTILE[0]), ["A"])
    row = read_xlsx(data)[2]
    assert row[2].value == HOSTILE[0] and row[2].data_type == "s"
    assert row[6].value == 12.5 and row[6].data_type == "n" and row[0].value == 1


def test_results_xlsx_survives_a_control_character_in_a_stored_name():
    data, _ = scoring_export.render("xlsx", results_answer("张\x01三"), ["A"])
    assert read_xlsx(data)[2][2].value == "张\ufffd三"


def nominee(name: str) -> dict:
    return {"position": 1, "person_key": "a" * 64, "name": name, "employer": "-1+1", "total": "12.50",
            "status": "nominated", "channel": "self", "history": [{"by": "c", "at": "2026-01-01", "why": "=1"}]}


def test_nominee_csv_neutralises_hostile_names():
    headers, rows = awards_exports.nominee_table([nominee(HOSTILE[0])])
    table = read_csv(awards_exports.to_csv(headers, rows))
    by_header = dict(zip(table[0], table[1]))
    assert by_header["姓名"] == "'" + HOSTILE[0] and by_header["工作单位"] == "'-1+1" and by_header["理由"] == "'=1"
    assert by_header["排名"] == "1"


def test_nominee_xlsx_writes_hostile_names_as_text():
    headers, rows = awards_exports.nominee_table([nominee(HOSTILE[0] + "\x02")])
    sheet = read_xlsx(awards_exports.to_xlsx(headers, rows, "round/1"))
    cells = {h.value: c for h, c in zip(sheet[1], sheet[2])}
    assert cells["姓名"].value == HOSTILE[0] + "\ufffd" and cells["姓名"].data_type == "s"
    assert cells["排名"].value == 1 and cells["排名"].data_type == "n"


def test_put_text_keeps_styled_sheets_safe_too():
    """The CIS scheme export and the marking forms write styled sheets cell by cell through it."""
    book = Workbook()
    cell = put_text(book.active, 2, 3, FORMULA_NAME + "\x01")
    out = io.BytesIO()
    book.save(out)
    read = read_xlsx(out.getvalue()).cell(2, 3)
    assert cell.data_type == "s" and read.value == FORMULA_NAME + "\ufffd" and read.data_type == "s" and read.quotePrefix


def test_the_cis_scheme_export_writes_hostile_descriptions_as_text():
    from services.scoring.adapters.cis_export import cis_workbook
    from services.scoring.domain.scheme_json import load_scheme
    from tests.e2e.scoring_fixtures import small_scheme

    scheme = small_scheme()
    scheme["sub_criteria"][0]["aspects"][0]["description"] = FORMULA_NAME
    sheet = read_xlsx(cis_workbook(load_scheme(scheme), "=cmd|' /C calc'!A0"))
    texts = {c.value: c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    assert texts[FORMULA_NAME].data_type == "s" and texts[FORMULA_NAME].quotePrefix
    assert texts["=cmd|' /C calc'!A0"].data_type == "s"
