"""CIS "Marking Scheme Import" workbook import."""
from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook

from services.scoring.domain.cis_import import parse_cis_xlsx, scheme_summary
from services.scoring.domain.errors import Problem, SchemeInvalid
from services.scoring.domain.scheme import load_scheme, scheme_to_json, validate_scheme
from tests.unit.scoring.cis_fixture import (
    DEFAULT_CRITERIA,
    DEFAULT_WSOS,
    STANDARD_DESCRIPTORS,
    build_cis,
    build_cis_xlsx,
    default_sub_criteria,
)


def problems_of(content: bytes) -> list[Problem]:
    with pytest.raises(SchemeInvalid) as caught:
        parse_cis_xlsx(content)
    return caught.value.problems


# --------------------------------------------------------------------------- good file


def test_good_file_imports_to_the_expected_scheme():
    scheme = parse_cis_xlsx(build_cis_xlsx())
    assert validate_scheme(scheme) == []
    assert [(w.number, w.marks) for w in scheme.wsos_sections] == [(1, 10), (2, 10), (3, 25), (4, 35), (5, 20)]
    assert [(c.letter, c.name, c.mark) for c in scheme.criteria] == [
        ("A", "Design", Decimal("30.00")), ("B", "Construction", Decimal("45")), ("C", "Finish", Decimal("25")),
    ]
    assert [(s.id, s.name, s.day) for s in scheme.sub_criteria] == [
        ("A1", "Design drawing", 1), ("A2", "Cutting list and plan", 1), ("B1", "Frame", 2),
        ("B2", "Panels", 3), ("C1", "Finish and test", 4),
    ]
    assert [a.id for a in scheme.aspects] == [
        "A1.1", "A1.2", "A1.3", "A2.1", "A2.2", "A2.3", "B1.1", "B1.2", "B1.3", "B2.1", "B2.2",
        "C1.1", "C1.2", "C1.3", "C1.4", "C1.5",
    ]
    assert scheme.total_max_mark == Decimal("100")
    assert [a.type for a in scheme.judgement_aspects] == ["J"] * 5


def test_aspect_details_are_read():
    scheme = parse_cis_xlsx(build_cis_xlsx())
    design = scheme.aspect("A1.3")
    assert (design.type, design.description, design.wsos_section, design.max_mark) == ("J", "Design quality", 3, Decimal("10"))
    assert design.descriptors == STANDARD_DESCRIPTORS
    assert design.requirement == "Proportion, detail, buildability"
    joints = scheme.aspect("B1.1")
    assert joints.requirement == "Deduct 1.00 per joint out of tolerance (0.5 mm)"
    assert joints.step == Decimal("1.00")


def test_numbers_in_text_and_constant_formulas():
    scheme = parse_cis_xlsx(build_cis_xlsx())
    assert scheme.aspect("A2.1").max_mark == Decimal("5.00")  # " 5.00 "
    assert scheme.aspect("A2.3").max_mark == Decimal("5")  # "5"
    assert scheme.aspect("C1.4").max_mark == Decimal("0.5")  # "0,5"
    assert scheme.aspect("B2.1").max_mark == Decimal("10")  # "=10"


def test_steps_explicit_and_inferred():
    scheme = parse_cis_xlsx(build_cis_xlsx())
    assert scheme.aspect("B1.2").step == Decimal("0.5")  # explicit column J
    assert scheme.aspect("A1.2").step == Decimal("0.50")  # "Deduct 0.50 per error"
    assert scheme.aspect("A1.1").step == Decimal("1")  # "Full marks or zero": step = max
    assert scheme.aspect("C1.1").step is None  # nothing said
    assert scheme.aspect("A1.3").step is None  # judgement


def test_inferred_step_that_does_not_divide_the_max_is_dropped():
    subs = default_sub_criteria()
    subs[0]["rows"][2]["extra"] = "Deduct 0.3 per error"
    scheme = parse_cis_xlsx(build_cis_xlsx(sub_criteria=subs))
    assert scheme.aspect("A1.2").step is None


def test_imported_scheme_round_trips_through_json():
    scheme = parse_cis_xlsx(build_cis_xlsx())
    assert load_scheme(scheme_to_json(scheme)) == scheme
    assert scheme_summary(scheme) == {"criteria": 3, "sub_criteria": 5, "aspects": 16, "measurement_aspects": 11,
                                      "judgement_aspects": 5, "total": "100.00"}


def test_sheet_found_by_name_or_first_sheet():
    assert len(parse_cis_xlsx(build_cis_xlsx(sheet="CIS Marking Scheme")).aspects) == 16
    assert len(parse_cis_xlsx(build_cis_xlsx(sheet="Sheet1", instructions_sheet=False)).aspects) == 16
    # Not named like "Marking Scheme" and not first: found by its sub-criterion header.
    assert len(parse_cis_xlsx(build_cis_xlsx(sheet="Import")).aspects) == 16


def test_criterion_mark_formula_is_computed_from_aspects():
    criteria = [("A", "Design", "=SUM(K20:K40)"), *DEFAULT_CRITERIA[1:]]
    scheme = parse_cis_xlsx(build_cis_xlsx(criteria=criteria))
    assert scheme.criterion("A").mark == Decimal("30")


def test_day_may_be_blank():
    subs = default_sub_criteria()
    subs[1]["day"] = None
    assert parse_cis_xlsx(build_cis_xlsx(sub_criteria=subs)).sub_criterion("A2").day is None


# --------------------------------------------------------------------------- bad files


def test_bad_file_lists_every_problem_with_its_cell():
    subs = default_sub_criteria()
    subs[0]["rows"][0]["max"] = 1.5  # A1.1: A becomes 30.50, total 100.50 ... before C1.1 breaks
    subs[0]["rows"][3]["descriptors"] = {k: v for k, v in STANDARD_DESCRIPTORS.items() if k != 2}  # A1.3
    subs[2]["rows"][1]["wsos"] = 9  # B1.1
    subs[4]["rows"][0]["max"] = "abc"  # C1.1
    built = build_cis(sub_criteria=subs)
    found = problems_of(built.content)
    rows = built.aspect_rows
    by_path = {p.path: p.problem for p in found}
    assert by_path[built.cell("C", built.criterion_rows["A"])] == "criterion A is 30.00 but its aspects add up to 30.50"
    assert by_path[built.cell("C", built.criterion_rows["C"])] == "criterion C is 25.00 but its aspects add up to 20.00"
    assert by_path[built.cell("C", built.criteria_total_row)] == "aspect max marks add up to 95.50, not 100.00"
    assert by_path[built.cell("D", rows["A1.3"])] == "judgement aspect A1.3 has no descriptor for score 2"
    assert by_path[built.cell("I", rows["B1.1"])] == "aspect B1.1 names WSOS section 9, which is not in the WSOS table"
    assert by_path[built.cell("K", rows["C1.1"])] == "max mark: not a number: 'abc'"
    assert len(found) == 6  # nothing else, and no second problem for the unreadable "abc" cell
    assert all(p.path.startswith("Marking Scheme!") for p in found)


def test_problems_are_sorted_by_cell():
    subs = default_sub_criteria()
    subs[4]["rows"][0]["max"] = "abc"
    subs[0]["rows"][0]["wsos"] = "x"
    found = problems_of(build_cis_xlsx(sub_criteria=subs))
    rows = [int("".join(ch for ch in p.path.split("!")[1] if ch.isdigit())) for p in found]
    assert rows == sorted(rows)


def test_formula_in_max_mark_is_a_problem():
    subs = default_sub_criteria()
    subs[3]["rows"][0]["max"] = "=SUM(K1:K2)"
    built = build_cis(sub_criteria=subs)
    found = problems_of(built.content)
    assert Problem(built.cell("K", built.aspect_rows["B2.1"]), "max mark: formula =SUM(K1:K2) is not trusted here: enter the value") in found


def test_missing_max_mark_and_type_problems():
    subs = default_sub_criteria()
    subs[4]["rows"][0]["max"] = None  # C1.1 without a mark
    subs[4]["rows"][2]["type"] = "X"  # C1.3
    built = build_cis(sub_criteria=subs)
    found = {p.path: p.problem for p in problems_of(built.content)}
    assert found[built.cell("K", built.aspect_rows["C1.1"])] == "max mark is missing"
    assert found[built.cell("D", built.aspect_rows["C1.3"])] == "aspect type must be M or J, got 'X'"


def test_bad_judgement_score_rows():
    subs = default_sub_criteria()
    subs[0]["rows"][3]["descriptors"] = {0: "a", 1: "b", 2: "c", 5: "d"}
    built = build_cis(sub_criteria=subs)
    found = {p.path: p.problem for p in problems_of(built.content)}
    j_row = built.aspect_rows["A1.3"]
    assert found[built.cell("F", j_row + 4)] == "judgement score must be 0, 1, 2 or 3, got '5'"
    assert found[built.cell("D", j_row)] == "judgement aspect A1.3 has no descriptor for score 3"


def test_score_rows_after_a_measurement_aspect():
    subs = default_sub_criteria()
    subs[0]["rows"][0]["descriptors"] = {0: "x"}
    built = build_cis(sub_criteria=subs)
    found = problems_of(built.content)
    assert found[0].path == built.cell("F", built.aspect_rows["A1.1"] + 1)


def test_bad_day_bad_sub_criterion_id_and_unknown_criterion():
    subs = default_sub_criteria()
    subs[0]["day"] = "tomorrow"
    subs[1]["id"] = "2A"
    subs[2]["id"] = "D1"
    built = build_cis(sub_criteria=subs)
    found = {p.path: p.problem for p in problems_of(built.content)}
    assert found[built.cell("C", built.sub_rows["A1"])] == "day of marking must be like 1 or C1, got 'tomorrow'"
    assert "must look like A1" in found[built.cell("A", built.sub_rows["2A"])]
    assert "not in the criteria" in found[built.cell("A", built.sub_rows["D1"])]


def test_bad_wsos_table_cells():
    wsos = [*DEFAULT_WSOS[:4], ("five", "Finishing", 20), (6, "Extra", "=C4*2")]
    built = build_cis(wsos=wsos)
    found = {p.path: p.problem for p in problems_of(built.content)}
    assert found["Marking Scheme!A8"] == "WSOS section number must be a whole number, got 'five'"
    assert found["Marking Scheme!C9"] == "WSOS marks: formula =C4*2 is not trusted here: enter the value"


def test_missing_tables_are_reported():
    book = Workbook()
    book.active.title = "Marking Scheme"
    book.active["A1"] = "nothing here"
    buffer = BytesIO()
    book.save(buffer)
    found = problems_of(buffer.getvalue())
    assert [p.path for p in found] == ["Marking Scheme!A1"] * 3


def test_not_a_workbook():
    assert problems_of(b"PK\x03\x04 definitely not a zip") == [Problem("file", "not a readable .xlsx workbook (BadZipFile)")]
    assert problems_of(b"")[0].path == "file"
