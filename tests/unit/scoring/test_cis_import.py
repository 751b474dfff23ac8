"""Marking-scheme workbook import: the real CIS layout, the WSSS variant, authoring errors by cell."""
from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook

from services.scoring.adapters.scheme_workbook import parse_cis_xlsx, read_scheme_workbook
from services.scoring.domain.errors import Problem, SchemeInvalid
from services.scoring.domain.measurement import (
    CHOICE,
    NUMBER_COMPLETED,
    PASS_FAIL,
    RANGED_SCORE,
    REGULAR_DIFFERENCE,
)
from services.scoring.domain.scheme import wsos_warnings
from services.scoring.domain.scheme_json import load_scheme, scheme_to_json
from services.scoring.domain.scheme_rules import validate_scheme
from services.scoring.domain.workbook_layout import scheme_summary
from tests.unit.scoring.cis_fixture import (
    DEFAULT_CRITERIA,
    DEFAULT_WSOS,
    SHEET,
    STANDARD_DESCRIPTORS,
    build_cis,
    build_cis_xlsx,
    default_sub_criteria,
)


def problems_of(content: bytes, require_wsos: bool = True) -> list[Problem]:
    with pytest.raises(SchemeInvalid) as caught:
        read_scheme_workbook(content, require_wsos)
    return caught.value.problems


def problem_map(content: bytes, require_wsos: bool = True) -> dict[str, str]:
    return {p.path: p.problem for p in problems_of(content, require_wsos)}


# --------------------------------------------------------------------------- the real layout


def test_real_layout_imports_to_the_expected_scheme():
    imported = read_scheme_workbook(build_cis_xlsx())
    scheme = imported.scheme
    assert imported.layout == "cis" and imported.warnings == []
    assert validate_scheme(scheme) == []
    assert [(w.number, w.name, w.marks) for w in scheme.wsos_sections] == [
        (1, "Work organisation and management", 10), (2, "Communication and interpersonal skills", 10),
        (3, "Design and setting out", 25), (4, "Construction and joinery", 35), (5, "Finishing and testing", 20)]
    assert [(c.letter, c.name, c.mark) for c in scheme.criteria] == [
        ("A", "Design", Decimal("30.00")), ("B", "Construction", Decimal("45")), ("C", "Finish", Decimal("25"))]
    assert [(s.id, s.name, s.day) for s in scheme.sub_criteria] == [
        ("A1", "Design drawing", 1), ("A2", "Cutting list and plan", 1), ("B1", "Frame", 2),
        ("B2", "Panels", 3), ("C1", "Finish and test", 4)]
    assert scheme_summary(scheme) == {"criteria": 3, "sub_criteria": 5, "aspects": 16, "measurement_aspects": 11,
                                      "judgement_aspects": 5, "total": "100.00"}


def test_aspect_details_references_and_text_numbers():
    scheme = parse_cis_xlsx(build_cis_xlsx())
    design = scheme.aspect("A1.3")
    assert (design.type, design.description, design.wsos_section, design.max_mark, design.reference) == (
        "J", "Design quality", 3, Decimal("10"), "A1.J1")
    assert design.descriptors == STANDARD_DESCRIPTORS
    assert design.requirement == "Proportion, detail, buildability"
    joints = scheme.aspect("B1.1")
    assert joints.requirement == "Deduct 1.00 per joint out of tolerance (0.5 mm)" and joints.step == Decimal("1.00")
    assert [a.reference for a in scheme.aspects_of("C1")] == ["C1.M1", "C1.J1", "C1.M2", "C1.M3", "C1.M4"]
    assert scheme.aspect("A2.1").max_mark == Decimal("5.00")  # " 5.00 "
    assert scheme.aspect("C1.4").max_mark == Decimal("0.5")  # "0,5"
    assert scheme.aspect("B2.1").max_mark == Decimal("10")  # "=10"
    assert scheme.aspect("C1.3").step is None


def test_measurement_types_come_from_the_calculations_sheet():
    scheme = parse_cis_xlsx(build_cis_xlsx())
    kinds = {a.id: a.measurement.kind for a in scheme.aspects if a.measurement}
    assert kinds == {"A1.1": PASS_FAIL, "A1.2": REGULAR_DIFFERENCE, "A2.3": NUMBER_COMPLETED, "B1.2": RANGED_SCORE,
                     "C1.1": CHOICE}
    deduct = scheme.aspect("A1.2").measurement
    assert (deduct.target, deduct.difference, deduct.deduction, deduct.deduction_type) == (0, 1, Decimal("0.5"), "UNIT")
    assert scheme.aspect("A1.2").step is None  # the measurement type governs the mark
    choice = scheme.aspect("C1.1").measurement
    assert [(c.label, c.deduction) for c in choice.choices] == [
        ("All surfaces smooth", 0), ("Minor marks left", 50), ("Not sanded", 100)]
    assert choice.deduction_type == "PERCENT" and choice.label == "C1.M1"
    assert scheme.aspect("A2.3").measurement.possible == 4
    assert [(r.lower, r.upper, r.deduction) for r in scheme.aspect("B1.2").measurement.ranges] == [
        (0, Decimal("0.5"), 0), (Decimal("0.5"), Decimal("1.5"), Decimal("2.5")), (Decimal("1.5"), 3, 4)]


def test_imported_scheme_round_trips_through_json():
    scheme = parse_cis_xlsx(build_cis_xlsx())
    assert load_scheme(scheme_to_json(scheme)) == scheme


def test_wsss_variant_imports_the_same_scheme():
    assert parse_cis_xlsx(build_cis_xlsx(legacy_wsss=True)) == parse_cis_xlsx(build_cis_xlsx())


def test_wsos_variation_is_a_warning_not_an_error():
    warnings = wsos_warnings(parse_cis_xlsx(build_cis_xlsx()))
    assert [w.split(" (")[0] for w in warnings] == ["WSOS section 3", "WSOS section 4"]


def test_sheet_is_found_by_name_or_by_its_header():
    assert len(parse_cis_xlsx(build_cis_xlsx(sheet="MarkingScheme")).aspects) == 16
    assert len(parse_cis_xlsx(build_cis_xlsx(sheet="Import")).aspects) == 16


def test_a_blank_header_cell_falls_back_to_its_usual_column():
    assert len(parse_cis_xlsx(build_cis_xlsx(header_overrides={9: None, 11: None})).aspects) == 16


def test_headers_are_read_without_case_and_line_breaks():
    overrides = {1: "SUB CRITERION ID", 4: "aspect type", 9: "wsos\nsection", 11: "MAX MARK"}
    assert len(parse_cis_xlsx(build_cis_xlsx(header_overrides=overrides)).aspects) == 16


def test_a_renamed_required_column_is_named_not_guessed():
    built = build_cis(header_overrides={11: "Points"})
    found = problem_map(built.content)
    assert found[built.cell("A", built.block_rows["A"])] == "the sub-criterion table has no 'Max Mark' column"


def test_a_missing_wsos_column_is_one_problem_or_a_warning_below_worldskills():
    built = build_cis(header_overrides={9: "Notes"})
    found = problems_of(built.content)
    assert Problem(built.cell("D", built.block_rows["A"]), "the sub-criterion table has no 'WSOS Section' column") in found


def test_missing_tables_are_named():
    book = Workbook()
    book.active.title = SHEET
    book.active["A1"] = "nothing here"
    buffer = BytesIO()
    book.save(buffer)
    found = problems_of(buffer.getvalue())
    assert [p.path for p in found] == [f"{SHEET}!A1"] * 3
    assert "no WSOS table" in found[0].problem or "no WSOS table" in " ".join(p.problem for p in found)


def test_no_wsos_table_is_a_warning_below_the_worldskills_tier():
    content = build_cis_xlsx(wsos_table=False, sub_criteria=_without_wsos())
    assert problem_map(content)[f"{SHEET}!A1"].endswith("has no WSOS table (a header row with 'Section' and "
                                                       "'WSOS Marks' cells)")
    imported = read_scheme_workbook(content, require_wsos=False)
    assert imported.scheme.wsos_sections == () and imported.scheme.total_max_mark == 100
    assert any("no WSOS table" in w for w in imported.warnings)


def _without_wsos() -> list[dict]:
    subs = default_sub_criteria()
    for sub in subs:
        for row in sub["rows"]:
            row.pop("wsos", None)
    return subs


def test_not_a_workbook():
    assert problems_of(b"PK\x03\x04 definitely not a zip") == [Problem("file", "not a readable .xlsx workbook (BadZipFile)")]
    assert problems_of(b"")[0].path == "file"


# --------------------------------------------------------------------------- authoring errors


def authoring_errors_file():
    """One workbook with every authoring error experts make, and the cell each must be reported at."""
    subs = default_sub_criteria()
    subs[1]["id"] = "A1"  # the same sub-criterion id twice
    subs[2]["id"] = "\u0412" + "1"  # Cyrillic В1
    subs[2]["rows"][1]["type"] = "M12"  # an aspect number in the type cell
    subs[3]["rows"][0]["wsos"] = None  # missing WSOS data
    subs[4]["rows"][2]["max"] = 6  # totals not 100 (C and the scheme)
    return build_cis(sub_criteria=subs)


def test_every_authoring_error_is_reported_by_cell():
    built = authoring_errors_file()
    found = problem_map(built.content)
    duplicate_row = [row for sub, row in built.every_sub_row if sub == "A1"][1]
    assert found[built.cell("A", duplicate_row)] == "duplicate sub-criterion A1"
    cyrillic = [path for path, text in found.items() if "Cyrillic U+0412" in text]
    assert cyrillic and "must look like A1, got 'В1'; 'В' is Cyrillic U+0412, not Latin 'B'" in found[cyrillic[0]]
    assert found[built.cell("D", built.aspect_rows["\u0412" + "1.1"])] == ("aspect type must be M or J, got 'M12': an aspect number is not a "
                                                  "type; write M alone")
    assert found[built.cell("I", built.aspect_rows["B2.1"])] == "WSOS section is missing"
    assert found[built.cell("K", built.criterion_rows["C"])] == "criterion C is 25.00 but its aspects add up to 26.00"
    assert found[built.total_cell] == "aspect max marks add up to 101.00, not 100.00"
    assert all(path.startswith(f"{SHEET}!") for path in found)


def test_legacy_o_and_s_types_import_as_m_and_j_with_a_warning():
    subs = default_sub_criteria()
    subs[4]["rows"][1]["type"] = "S"
    subs[4]["rows"][2]["type"] = "o"
    built = build_cis(sub_criteria=subs)
    imported = read_scheme_workbook(built.content)
    assert [imported.scheme.aspect(a).type for a in ("C1.2", "C1.3")] == ["J", "M"]
    assert imported.warnings == [f"{built.cell('D', built.aspect_rows['C1.2'])}: legacy aspect type 'S' read as J",
                                 f"{built.cell('D', built.aspect_rows['C1.3'])}: legacy aspect type 'o' read as M"]


def test_cyrillic_letter_in_the_type_cell_is_named():
    subs = default_sub_criteria()
    subs[4]["rows"][2]["type"] = "\u041c"
    built = build_cis(sub_criteria=subs)
    assert problem_map(built.content)[built.cell("D", built.aspect_rows["C1.3"])] == (
        "aspect type must be M or J, got 'М'; 'М' is Cyrillic U+041C, not Latin 'M'")


def test_bad_cells_are_each_reported_once_and_sorted():
    subs = default_sub_criteria()
    subs[0]["rows"][3]["descriptors"] = {k: v for k, v in STANDARD_DESCRIPTORS.items() if k != 2}
    subs[2]["rows"][1]["wsos"] = 9
    subs[4]["rows"][0]["max"] = "abc"
    subs[3]["rows"][0]["max"] = "=SUM(K1:K2)"
    built = build_cis(sub_criteria=subs)
    found = problems_of(built.content)
    by_path = {p.path: p.problem for p in found}
    rows = built.aspect_rows
    assert by_path[built.cell("F", rows["A1.3"])] == "judgement aspect A1.3 has no descriptor for score 2"
    assert by_path[built.cell("I", rows["B1.1"])] == "aspect B1.1 names WSOS section 9, which is not in the WSOS table"
    assert by_path[built.cell("K", rows["C1.1"])] == "max mark: not a number: 'abc'"
    assert by_path[built.cell("K", rows["B2.1"])] == ("max mark: formula =SUM(K1:K2) is not trusted here: "
                                                      "enter the value")
    assert [int(p.path.rsplit("!", 1)[1].lstrip("ABCDEFGHIJKLMN")) for p in found] == sorted(
        int(p.path.rsplit("!", 1)[1].lstrip("ABCDEFGHIJKLMN")) for p in found)


def test_bad_wsos_table_cells():
    wsos = [*DEFAULT_WSOS[:4], ("five", "Finishing", 20), (6, "Extra", "=C4*2")]
    built = build_cis(wsos=wsos)
    found = problem_map(built.content)
    assert found[built.cell("A", built.wsos_rows["five"])] == "WSOS section number must be a whole number, got 'five'"
    assert found[built.cell("I", built.wsos_rows[6])] == "WSOS marks: formula =C4*2 is not trusted here: enter the value"


def test_bad_calculation_rows_are_reported_on_the_calculations_sheet():
    subs = default_sub_criteria()
    subs[0]["rows"][3]["calc"] = "pass"  # on a J aspect
    subs[4]["rows"][2]["calc"] = 40  # an empty row
    calcs = {"pass": ("x", "PASS_FAIL", True, ""), "bad": ("y", "WEIGHED", True, ""),
             "choice": ("z", "CHOICE", True, "DEDUCTION_TYPE:::#x~x#UNIT#-#CHOICE1_LABEL:::#x~x#Gone#-#"
                                             "CHOICE1_DEDUCTION:::9.00000000#x~x#")}
    subs[4]["rows"][0]["calc"] = "choice"
    subs[0]["rows"][0]["calc"] = "bad"
    built = build_cis(sub_criteria=subs, calculations=calcs)
    found = problem_map(built.content)
    rows = built.aspect_rows
    assert found[built.cell("J", rows["A1.3"])] == "a calculation row applies to measurement (M) aspects only"
    assert found[built.cell("J", rows["C1.3"])] == "calculation row 40: Calculations row 40 is empty"
    assert found["Calculations!B3"].startswith("unknown measurement type 'WEIGHED'")
    assert found["Calculations!D4"] == "CHOICE of C1.1: a deduction is more than 5.00 (max mark 5.00)"


def test_criterion_mark_formula_and_unused_template_letters():
    criteria = [("A", "Design", "=N99"), *DEFAULT_CRITERIA[1:]]
    scheme = parse_cis_xlsx(build_cis_xlsx(criteria=criteria))
    assert [c.letter for c in scheme.criteria] == ["A", "B", "C"]
    assert scheme.criterion("A").mark == Decimal("30")


def test_what_could_not_be_stored_is_refused_by_cell():
    subs = default_sub_criteria()
    subs[1]["name"] = None  # a sub-criterion without a name
    subs[4]["rows"][2]["description"] = "x" * 4001
    built = build_cis(sub_criteria=subs)
    found = problem_map(built.content)
    assert found[built.cell("B", built.sub_rows["A2"])] == "must not be empty"
    assert found[built.cell("E", built.aspect_rows["C1.3"])] == "is too long"


WEIRD = [None, "", " ", "=A1", "=SUM(", "abc", -1, 0, 1e308, True, "А1", "J1", "M", "J", "3", "0E-8", "x" * 300,
         "1,5", "Total", "Competition", "Section", "WSOS Marks", "Sub Criterion ID"]


@pytest.mark.parametrize("seed", range(20))
def test_any_cell_content_gives_a_scheme_or_problems_never_a_crash(seed):
    import random

    from openpyxl import load_workbook as open_book

    chance = random.Random(seed)
    book = open_book(BytesIO(build_cis_xlsx()))
    for _ in range(12):
        sheet = book[SHEET] if chance.random() < 0.85 else book["Calculations"]
        cell = sheet.cell(chance.randint(1, sheet.max_row + 2), chance.randint(1, 15))
        if type(cell).__name__ != "MergedCell":
            cell.value = chance.choice(WEIRD)
    buffer = BytesIO()
    book.save(buffer)
    for require_wsos in (True, False):
        try:
            read_scheme_workbook(buffer.getvalue(), require_wsos)
        except SchemeInvalid as error:
            assert error.problems and all(p.path for p in error.problems)


def test_a_huge_max_mark_is_a_problem_not_a_crash():
    subs = default_sub_criteria()
    subs[4]["rows"][2]["max"] = 1e308
    built = build_cis(sub_criteria=subs)
    assert problem_map(built.content)[built.cell("K", built.aspect_rows["C1.3"])] == "max mark of C1.3 is more than 100.00"


def test_optional_columns_may_be_missing_without_a_crash():
    """Once a KeyError 'day' (503): a block without 'Day of Marking' or 'Judg Score' headers."""
    subs = [sub for sub in default_sub_criteria()]
    for sub in subs:
        sub["day"] = None
    scheme = parse_cis_xlsx(build_cis_xlsx(sub_criteria=subs, header_overrides={3: "Remarks", 10: "Notes"}))
    assert all(s.day is None for s in scheme.sub_criteria) and scheme.total_max_mark == 100
    assert all(a.measurement is None for a in scheme.aspects)  # no 'Calculation Row' column
