from datetime import date, datetime

import pytest

from services.registration.adapters.policy import load_eligibility_policy
from services.registration.adapters.roster_file import parse_roster
from services.registration.domain.contestant import Delegation
from services.registration.domain.errors import Code
from services.registration.domain.identity import person_key
from services.registration.domain.roster import check_additions
from services.registration.domain.roster_import import (
    additions_from_rows,
    clean_contestant,
    header_key,
    parse_date,
)
from shared.levels import parse_skill_level
from tests.unit.registration.factories import KEY, TODAY, competition, xlsx_bytes
from tests.unit.registration.idgen import make_resident_id

XLSX = "roster.xlsx"
ID1 = make_resident_id(birth=date(2001, 5, 3), seq="123")
ID2 = make_resident_id(birth=date(2002, 11, 20), seq="246")
ID3 = make_resident_id(region="310115", birth=date(1999, 1, 9), seq="017")
ZH_HEADER = ["序号", "姓名", "性别", "出生日期", "身份证号码", "工作单位", "代表队", "代表队类型",
             "当前技能等级", "身份", "团队"]


def parse(content, kind=XLSX, today=TODAY, **kw):
    return parse_roster(content, kind, today=today, **kw)


def triples(problems):
    return [(p.row, p.column, p.code) for p in problems]


def csv_bytes(lines, encoding="utf-8-sig"):
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


# ------------------------------------------------------------------------------ happy paths

def test_xlsx_with_chinese_headers_excel_dates_and_a_blank_row():
    content = xlsx_bytes([
        ZH_HEADER,
        [1, "张三", "男", datetime(2001, 5, 3), ID1, "上海电气", "浦东新区", "区", "四级/中级工",
         "职工", "A队"],
        [None] * len(ZH_HEADER),
        [2, " 李 四 ", "女", "2002/11/20", ID2.lower(), None, "上海市某培训基地", "培训基地",
         "高级工", "学生", "A队"],
    ])
    rows, problems = parse(content)
    assert problems == []
    assert [r["row"] for r in rows] == [2, 4]
    first, second = rows
    assert first == {"row": 2, "name": "张三", "gender": "male", "date_of_birth": date(2001, 5, 3),
                     "id_number": ID1, "employer": "上海电气", "delegation": "浦东新区",
                     "delegation_kind": "district", "skill_level": 4, "employment": "employee",
                     "team": "A队", "training_base": None}
    assert second["name"] == "李 四" and second["id_number"] == ID2
    assert (second["skill_level"], second["employment"], second["delegation_kind"]) == (
        3, "student", "training_base")


def test_csv_with_bom_and_english_headers_in_any_case_and_spacing():
    content = csv_bytes(["Name, GENDER ,Date Of Birth,ID_Number,employer,Skill Level,Status",
                         f"Zhang San,M,20010503,{ID1},SAIC,5,employee",
                         ",,,,,,",
                         f"Li Si,female,2002年11月20日,{ID2},,技师,student"])
    assert content.startswith(b"\xef\xbb\xbf")
    rows, problems = parse(content, "text/csv")
    assert problems == []
    assert [(r["row"], r["gender"], r["date_of_birth"], r["skill_level"]) for r in rows] == [
        (2, "male", date(2001, 5, 3), 5), (4, "female", date(2002, 11, 20), 2)]


def test_csv_without_bom_and_gb18030_csv():
    lines = ["姓名,性别,出生日期,公民身份号码,单位", f"王五,男,1999-01-09,{ID3},宝钢"]
    for encoding in ("utf-8", "gb18030"):
        rows, problems = parse(csv_bytes(lines, encoding), "upload.csv")
        assert problems == [] and rows[0]["employer"] == "宝钢", encoding


def test_tab_separated_text_is_read_also_as_excel_unicode_text():
    lines = ["姓名\t性别\t出生日期\t身份证号", f"王五\t男\t1999-01-09\t{ID3}"]
    for encoding in ("utf-8", "utf-16"):
        rows, problems = parse(csv_bytes(lines, encoding), "roster.txt")
        assert problems == [] and rows[0]["name"] == "王五", encoding


def test_headers_with_hints_and_required_markers():
    assert header_key("出生日期（格式：2001-05-03）") == header_key("出生日期")
    assert header_key("*姓名") == "姓名"
    assert header_key(" Date_of-Birth ") == "dateofbirth"


# ----------------------------------------------------------------------------- header problems

def test_unknown_missing_and_duplicate_columns_are_reported_on_row_1():
    content = xlsx_bytes([["姓名", "性别", "身份证号", "身份证号码", "爱好"],
                          ["张三", "男", ID1, ID1, "篮球"]])
    rows, problems = parse(content)
    assert sorted(triples(problems), key=str) == sorted([
        (1, None, Code.UNKNOWN_COLUMN), (1, "id_number", Code.DUPLICATE_COLUMN),
        (1, "date_of_birth", Code.MISSING_COLUMN)], key=str)
    assert "爱好" in next(p.problem for p in problems if p.code == Code.UNKNOWN_COLUMN)


def test_missing_column_does_not_repeat_on_every_row():
    content = csv_bytes(["姓名,性别,身份证号", f"张三,男,{ID1}", f"李四,女,{ID2}"])
    rows, problems = parse(content, "a.csv")
    assert triples(problems) == [(1, "date_of_birth", Code.MISSING_COLUMN)]


def test_value_under_no_header():
    content = xlsx_bytes([["姓名", "性别", "出生日期", "身份证号"],
                          ["张三", "男", "2001-05-03", ID1, "stray"]])
    rows, problems = parse(content)
    assert triples(problems) == [(2, None, Code.UNKNOWN_COLUMN)] and rows == []


def test_header_row_must_be_first():
    content = xlsx_bytes([[None, None], ["姓名", "性别"]])
    assert triples(parse(content)[1]) == [(1, None, Code.MISSING_COLUMN)]


# -------------------------------------------------------------------------------- row problems

def test_every_row_problem_at_once():
    bad_checksum = ID1[:17] + ("0" if ID1[17] != "0" else "1")
    content = xlsx_bytes([
        ["姓名", "性别", "出生日期", "身份证号", "代表队", "技能等级", "身份"],
        ["", "男", "2001-05-03", ID1, None, None, None],                # 2: name missing
        ["甲", "unknown", "2001-05-04", ID1, None, None, None],         # 3: gender, birth mismatch
        ["乙", "女", "2001-02-30", bad_checksum, None, "特级技师", None],  # 4: date, checksum, level
        ["丙", "男", "2001-05-03", ID1, "浦东新区", "五级", "退休"],      # 5: kind missing, status
    ], text_columns=[4])
    rows, problems = parse(content)
    assert rows == []
    assert triples(problems) == [
        (2, "name", Code.INVALID_VALUE),
        (3, "gender", Code.INVALID_VALUE), (3, "id_number", Code.INVALID_VALUE),
        (4, "date_of_birth", Code.INVALID_VALUE), (4, "id_number", Code.INVALID_VALUE),
        (4, "skill_level", Code.INVALID_VALUE),
        (5, "delegation_kind", Code.INVALID_VALUE), (5, "employment", Code.INVALID_VALUE)]
    text = {(p.row, p.column): p.problem for p in problems}
    assert "differs from the date of birth" in text[(3, "id_number")]
    assert "check character" in text[(4, "id_number")]
    assert "outside the five national levels" in text[(4, "skill_level")]


def test_future_birth_date():
    future = make_resident_id(birth=date(2025, 3, 2))
    content = csv_bytes(["姓名,性别,出生日期,身份证号", f"甲,男,2025-03-02,{future}"])
    problems = parse(content, "a.csv")[1]
    assert triples(problems) == [(2, "date_of_birth", Code.INVALID_VALUE),
                                 (2, "id_number", Code.INVALID_VALUE)]


def test_numeric_id_cell_is_refused_with_a_clear_message():
    content = xlsx_bytes([["姓名", "性别", "出生日期", "身份证号"],
                          ["甲", "男", date(2001, 5, 3), float(ID1)]])
    rows, problems = parse(content)
    assert rows == [] and triples(problems) == [(2, "id_number", Code.INVALID_VALUE)]
    assert "stored as a number" in problems[0].problem and "text" in problems[0].problem


def test_scientific_notation_text_from_a_csv_is_refused():
    content = csv_bytes(["姓名,性别,出生日期,身份证号", "甲,男,2001-05-03,3.10101E+17"])
    problem = parse(content, "a.csv")[1][0]
    assert (problem.column, "lost its last digits" in problem.problem) == ("id_number", True)


def test_integer_id_cell_is_accepted_when_exact_and_hinted_when_wrong():
    raw = {"name": "甲", "gender": "男", "date_of_birth": "2001-05-03"}
    clean, problems = clean_contestant({**raw, "id_number": int(ID1)}, today=TODAY)
    assert problems == [] and clean["id_number"] == ID1
    truncated = int(ID1[:15] + "000")
    _, problems = clean_contestant({**raw, "id_number": truncated}, today=TODAY)
    assert problems and "format the column as text" in problems[0][1]


def test_xlsx_integer_date_cell_and_text_id_kept_as_text():
    content = xlsx_bytes([["姓名", "性别", "出生日期", "身份证号"], ["甲", "男", 20010503, ID1]],
                         text_columns=[4])
    rows, problems = parse(content)
    assert problems == [] and rows[0]["date_of_birth"] == date(2001, 5, 3)


@pytest.mark.parametrize("value, expected", [
    ("2001-05-03", date(2001, 5, 3)), ("2001/5/3", date(2001, 5, 3)),
    ("20010503", date(2001, 5, 3)), ("2001.5.3", date(2001, 5, 3)),
    ("2001年5月3日", date(2001, 5, 3)), ("２００１－０５－０３", date(2001, 5, 3)),
    ("2001-05-03 00:00:00", date(2001, 5, 3)), (datetime(2001, 5, 3, 0, 0), date(2001, 5, 3)),
    (date(2001, 5, 3), date(2001, 5, 3)), (20010503, date(2001, 5, 3)), (None, None)])
def test_date_formats(value, expected):
    assert parse_date(value) == (expected, None)


@pytest.mark.parametrize("value", ["5/3/2001", "2001-13-01", "yesterday", 37014, 2001.5, True])
def test_bad_dates(value):
    parsed, problem = parse_date(value)
    assert parsed is None and problem


@pytest.mark.parametrize("value, level", [
    ("五级", 5), ("初级工", 5), ("5", 5), (5, 5), (5.0, 5), ("5级", 5), ("四级/中级工", 4),
    ("中级工", 4), ("三级（高级工）", 3), ("高级工", 3), ("二级", 2), ("技师", 2), ("一级", 1),
    ("高级技师", 1), ("国家职业资格二级", 2), ("无", None), ("", None)])
def test_skill_levels(value, level):
    assert parse_skill_level(value) == (level, None)


@pytest.mark.parametrize("value", ["六级", "0", 6, "四级/技师", "首席技师", "学徒工", "expert"])
def test_bad_skill_levels(value):
    parsed, problem = parse_skill_level(value)
    assert parsed is None and problem


# ------------------------------------------------------------------------------ file problems

def test_unreadable_files():
    assert triples(parse(b"")[1]) == [(None, None, Code.UNREADABLE_FILE)]
    assert triples(parse(b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls")[1]) == [
        (None, None, Code.UNREADABLE_FILE)]
    assert triples(parse(b"PK\x03\x04broken", XLSX)[1]) == [(None, None, Code.UNREADABLE_FILE)]
    assert triples(parse(b"not a zip", XLSX)[1]) == [(None, None, Code.UNREADABLE_FILE)]
    assert triples(parse(b"\x80\x80\xff", "a.csv")[1]) == [(None, None, Code.UNREADABLE_FILE)]


def test_content_decides_over_a_misleading_name():
    content = xlsx_bytes([["姓名", "性别", "出生日期", "身份证号"], ["甲", "男", "2001-05-03", ID1]])
    rows, problems = parse(content, "text/csv")
    assert problems == [] and len(rows) == 1


def test_too_many_rows():
    lines = ["姓名,性别,出生日期,身份证号"] + [f"甲,男,2001-05-03,{ID1}"] * 4
    rows, problems = parse(csv_bytes(lines), "a.csv", max_rows=3)
    assert rows == [] and triples(problems) == [(None, None, Code.TOO_MANY_ROWS)]


# ------------------------------------------------------------------------------ integration

def test_rows_become_additions_and_duplicates_in_the_file_are_found():
    content = xlsx_bytes([
        ["姓名", "性别", "出生日期", "身份证号", "代表队", "代表队类型"],
        ["甲", "男", "2001-05-03", ID1, "浦东新区", "区"],
        ["乙", "女", "2002-11-20", ID2, None, None],
        ["甲", "男", "2001-05-03", ID1.lower(), None, None],
    ])
    rows, problems = parse(content)
    assert problems == []
    adds = additions_from_rows(rows, KEY)
    assert adds[0].contestant.person_key == person_key(ID1, KEY)
    assert adds[0].contestant.delegation == Delegation("district", "浦东新区")
    assert adds[1].contestant.delegation is None
    found = check_additions(competition(), [], adds, TODAY, load_eligibility_policy())
    assert [(p.row, p.problem) for p in found] == [(4, "same person as row 2")]
