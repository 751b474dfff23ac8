"""Marking schemes as experts write them, over HTTP: CIS workbooks (real and synthetic), 评分表,
export back, marking forms, and marks entered as observations on CIS measurement types."""
from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook

from services.scoring.adapters.scheme_workbook import read_scheme_workbook
from services.scoring.domain.scheme_json import scheme_to_json
from tests.e2e.helpers import assert_error, open_competition
from tests.e2e.scoring_fixtures import marked_competition
from tests.unit.scoring.cis_fixture import build_cis_xlsx, build_score_sheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROOT = Path(__file__).resolve().parents[2]
REAL = next((p / "shared" / "data" / "cis-real" for p in ROOT.parents if (p / "shared" / "data" / "cis-real").is_dir()),
            None)
COUNTS = re.compile(r"^\|\s*`([^`]+\.xlsx)`\s*\|[^|]*\|\s*(\d+) / (\d+) / (\d+) \((\d+) \+ (\d+)\) / ([\d.]+)")


def upload(api, code: str, content: bytes):
    return api.put(f"/competitions/{code}/marking-scheme", data=content, headers={"Content-Type": XLSX})


def real_counts() -> dict[str, tuple[int, int, int, int, int, str]]:
    """Hand counts per file from the README beside the real workbooks (the lines that have them)."""
    counts = {}
    for line in (REAL / "README.md").read_text(encoding="utf-8").splitlines():
        match = COUNTS.match(line)
        if match:
            counts[match.group(1)] = (*map(int, match.groups()[1:6]), match.group(7))
    return counts


@pytest.mark.skipif(REAL is None, reason="the real CIS workbooks (../shared/data/cis-real) are not here")
def test_real_cis_workbooks_import_with_the_hand_counts(organiser_api):
    counts = real_counts()
    assert len(counts) >= 2
    for name, (criteria, subs, aspects, measured, judged, total) in counts.items():
        code = open_competition(organiser_api, tier="worldskills")["code"]
        reply = upload(organiser_api, code, (REAL / name).read_bytes())
        assert reply.status_code == 200, (name, reply.text[:500])
        summary = reply.json()["summary"]
        assert (summary["criteria"], summary["sub_criteria"], summary["aspects"], summary["measurement_aspects"],
                summary["judgement_aspects"], summary["total"]) == (criteria, subs, aspects, measured, judged, total)
        assert reply.json()["source"] == "cis_xlsx"
    wsuk = next(n for n in counts if "national-finals" in n)
    code = open_competition(organiser_api, tier="worldskills")["code"]
    warnings = upload(organiser_api, code, (REAL / wsuk).read_bytes()).json()["warnings"]
    assert [w.split(" (")[0] for w in warnings if w.startswith("WSOS section")] == [
        "WSOS section 3", "WSOS section 4", "WSOS section 5"]


@pytest.mark.skipif(REAL is None, reason="the real CIS workbooks (../shared/data/cis-real) are not here")
def test_real_qualifiers_workbook_is_refused_by_cell(organiser_api):
    code = open_competition(organiser_api, tier="worldskills")["code"]
    reply = upload(organiser_api, code, (REAL / "wsuk-2024-qualifiers-marking-scheme.xlsx").read_bytes())
    error = assert_error(reply, 422, "VALIDATION_FAILED")
    details = {d["path"]: d["problem"] for d in error["details"]}
    assert all(re.match(r"^MarkingScheme![A-Z]+\d+$", path) for path in details)
    assert "no WSOS table" in details["MarkingScheme!A1"]
    assert details["MarkingScheme!C12"].startswith("aspect type must be M or J, got 'J1'")
    assert any("add up to 50.00, not 100.00" in problem for problem in details.values())
    local = open_competition(organiser_api, tier="municipal_class_2")["code"]
    reply = upload(organiser_api, local, (REAL / "wsuk-2024-qualifiers-marking-scheme.xlsx").read_bytes())
    details = {d["path"]: d["problem"] for d in assert_error(reply, 422, "VALIDATION_FAILED")["details"]}
    assert "MarkingScheme!A1" not in details  # no WSOS data is allowed below WorldSkills ...
    assert details["MarkingScheme!C34"].startswith("aspect type must be M or J, got 'M1'")  # ... the rest is not


def test_synthetic_cis_workbook_exports_and_round_trips(organiser_api, make_user):
    first = open_competition(organiser_api, tier="worldskills")["code"]
    assert upload(organiser_api, first, build_cis_xlsx()).status_code == 200
    exported = organiser_api.get(f"/competitions/{first}/marking-scheme", params={"format": "xlsx"})
    assert exported.status_code == 200 and exported.headers["Content-Type"] == XLSX
    assert "attachment" in exported.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(exported.content)).sheetnames == ["CIS Marking Scheme Import", "Calculations"]
    second = open_competition(organiser_api, tier="worldskills")["code"]
    reply = upload(organiser_api, second, exported.content)
    assert reply.status_code == 200, reply.text
    schemes = [organiser_api.get(f"/competitions/{c}/marking-scheme").json()["scheme"] for c in (first, second)]
    assert schemes[0] == schemes[1]
    assert_error(organiser_api.get(f"/competitions/{first}/marking-scheme", params={"format": "pdf"}), 422,
                 "VALIDATION_FAILED")


def test_score_sheet_below_worldskills_is_a_warning_at_worldskills_a_refusal(organiser_api):
    local = open_competition(organiser_api, tier="municipal_class_2")["code"]
    reply = upload(organiser_api, local, build_score_sheet().content)
    assert reply.status_code == 200, reply.text
    assert reply.json()["source"] == "score_sheet_xlsx" and reply.json()["total"] == "100.00"
    assert any("no WSOS data" in w for w in reply.json()["warnings"])
    world = open_competition(organiser_api, tier="worldskills")["code"]
    error = assert_error(upload(organiser_api, world, build_score_sheet().content), 422, "VALIDATION_FAILED")
    assert error["details"][0]["path"] == "评分表!A1"


def test_marking_forms_for_a_sub_criterion(organiser_api, make_user):
    scheme = scheme_to_json(read_scheme_workbook(build_cis_xlsx()).scheme)
    c = marked_competition(organiser_api, make_user, contestants=3, scheme=scheme)
    code, judge = c["code"], c["judges"][0]
    form = judge.get(f"/competitions/{code}/marking-forms/A1", params={"format": "xlsx"})
    assert form.status_code == 200 and form.headers["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(form.content)).active
    assert sorted(sheet.cell(r, 1).value for r in range(6, 9)) == sorted(c["contestants"])
    pdf = judge.get(f"/competitions/{code}/marking-forms/A1", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert_error(judge.get(f"/competitions/{code}/marking-forms/Z9"), 404, "NOT_FOUND")
    assert_error(judge.get(f"/competitions/{code}/marking-forms/A1", params={"format": "doc"}), 422,
                 "VALIDATION_FAILED")


def test_observations_on_measurement_types_compute_and_store_the_mark(organiser_api, make_user):
    scheme = scheme_to_json(read_scheme_workbook(build_cis_xlsx()).scheme)
    c = marked_competition(organiser_api, make_user, contestants=1, scheme=scheme)
    code, cid, judge, chief = c["code"], c["contestants"][0], c["judges"][0], c["chief"]
    observed = {"A1.1": False, "A1.2": 3, "A2.3": 3, "B1.2": "1.2", "C1.1": "Minor marks left"}
    marks = [{"contestant_id": cid, "aspect": a, "observed": v} for a, v in observed.items()]
    marks.append({"contestant_id": cid, "aspect": "C1.3", "value": "4.5"})
    reply = judge.post(f"/competitions/{code}/marks", json={"request_id": uuid.uuid4().hex, "marks": marks})
    assert reply.status_code == 200, reply.text
    stored = {m["aspect"]: (m["value"], m.get("observed"))
              for m in chief.get(f"/competitions/{code}/marks").json()["items"]}
    assert stored == {"A1.1": ("0.00", "fail"), "A1.2": ("2.50", "3"), "A2.3": ("3.75", 3), "B1.2": ("2.50", "1.2"),
                      "C1.1": ("2.50", "Minor marks left"), "C1.3": ("4.50", None)}
    audit = chief.get(f"/competitions/{code}/audit", params={"aspect": "C1.1"}).json()["items"]
    assert audit[-1]["observed"] == "Minor marks left" and audit[-1]["new"] == "2.50"
    bad = [{"contestant_id": cid, "aspect": "A1.1", "value": "0.5"},
           {"contestant_id": cid, "aspect": "C1.1", "observed": 7},
           {"contestant_id": cid, "aspect": "C1.3", "observed": 2},
           {"contestant_id": cid, "aspect": "A1.2", "observed": 1, "value": "1"}]
    error = assert_error(judge.post(f"/competitions/{code}/marks", json={"request_id": uuid.uuid4().hex,
                                                                         "marks": bad}), 422, "VALIDATION_FAILED")
    assert [d["path"] for d in error["details"]] == ["/marks/0/value", "/marks/1/observed", "/marks/2/observed",
                                                     "/marks/3/observed"]


def test_exports_and_forms_are_for_the_competitions_own_team(organiser_api, make_user):
    scheme = scheme_to_json(read_scheme_workbook(build_cis_xlsx()).scheme)
    c = marked_competition(organiser_api, make_user, contestants=1, scheme=scheme)
    code = c["code"]
    for outsider in (make_user("judge"), make_user("organiser")):
        assert_error(outsider.get(f"/competitions/{code}/marking-forms/A1"), 403, "FORBIDDEN")
        assert_error(outsider.get(f"/competitions/{code}/marking-scheme", params={"format": "xlsx"}), 403,
                     "FORBIDDEN")
    assert c["chief"].get(f"/competitions/{code}/marking-scheme", params={"format": "xlsx"}).status_code == 200
