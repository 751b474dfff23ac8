"""Scoring end to end over HTTP: scheme upload, marking open, judges marking, locks, final results."""
from __future__ import annotations

import csv
import io
import time
import uuid

from openpyxl import load_workbook

from tests.e2e.helpers import assert_error, open_competition, register
from tests.e2e.scoring_fixtures import marked_competition, small_scheme
from tests.unit.scoring.cis_fixture import build_cis_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rid() -> str:
    return uuid.uuid4().hex


def post_marks(api, code, marks, **extra):
    return api.post(f"/competitions/{code}/marks", json={"request_id": rid(), "marks": marks, **extra})


def test_whole_competition_from_scheme_to_published_results(organiser_api, make_user):
    c = marked_competition(organiser_api, make_user, contestants=4)
    code, ids, judges, chief = c["code"], c["contestants"], c["judges"], c["chief"]
    values = {ids[0]: (10, "20", 30.0), ids[1]: ("9.5", 18, "27.00"), ids[2]: (5, 10, 15), ids[3]: (5, 10, 15)}
    marks = [{"contestant_id": cid, "aspect": f"A1.{n + 1}", "value": v}
             for cid, row in values.items() for n, v in enumerate(row)]
    reply = post_marks(judges[0], code, marks)
    assert reply.status_code == 200, reply.text
    assert reply.json()["recorded"] == 12
    for judge, score in zip(judges, (3, 2, 2), strict=True):
        reply = post_marks(judge, code, [{"contestant_id": cid, "aspect": a, "score": score}
                                         for cid in ids for a in ("B1.1", "B1.2")])
        assert reply.status_code == 200, reply.text
    progress = chief.get(f"/competitions/{code}/progress").json()
    assert (progress["expected"], progress["in"], progress["missing"], progress["disputed"]) == (20, 20, 0, 0)
    # a judge sees only their own scores before the lock
    own = judges[1].get(f"/competitions/{code}/marks", params={"sub_criterion": "B1"}).json()["items"]
    assert {m["judge"] for m in own} == {judges[1].username}
    assert_error(judges[0].post(f"/competitions/{code}/sub-criteria/A1/lock"), 403, "FORBIDDEN")
    assert_error(chief.post(f"/competitions/{code}/results/finalise"), 409, "INVALID_STATE")
    for sub in ("A1", "B1"):
        reply = chief.post(f"/competitions/{code}/sub-criteria/{sub}/lock")
        assert reply.status_code == 200 and reply.json()["locked"], reply.text
    reply = chief.post(f"/competitions/{code}/results/finalise")
    assert reply.status_code == 200, reply.text
    rows = {r["contestant_id"]: r for r in reply.json()["results"]}
    assert rows[ids[0]]["raw"] == "91.11" and rows[ids[0]]["medal"] == "gold" and rows[ids[0]]["rank"] == 1
    assert rows[ids[1]]["raw"] == "85.61" and rows[ids[2]]["rank"] == rows[ids[3]]["rank"] == 3
    assert rows[ids[0]]["criterion_marks"] == {"A": "60.00", "B": "31.11"}
    again = chief.post(f"/competitions/{code}/results/finalise").json()
    assert again["revision"] == 1 and again["results"] == reply.json()["results"]
    assert_error(post_marks(judges[0], code, marks[:1]), 409, "INVALID_STATE")
    table = judges[2].get(f"/competitions/{code}/results").json()
    assert table["final"] and len(table["results"]) == 4
    exported = organiser_api.get(f"/competitions/{code}/results", params={"format": "csv"})
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in exported.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["名次 Rank", "参赛号 Contestant ID", "姓名 Name"] and len(lines) == 5
    workbook = organiser_api.get(f"/competitions/{code}/results", params={"format": "xlsx"})
    assert workbook.headers["Content-Type"] == XLSX
    assert load_workbook(io.BytesIO(workbook.content)).active.max_row == 5
    audit = chief.get(f"/competitions/{code}/audit", params={"contestant": ids[0], "aspect": "B1.1"}).json()
    assert [a["judge"] for a in audit["items"]] == [j.username for j in judges]


def test_scheme_upload_by_content_type_and_frozen_after_open(organiser_api, make_user):
    code = open_competition(organiser_api)["code"]
    path = f"/competitions/{code}/marking-scheme"
    assert_error(organiser_api.get(path), 404, "NOT_FOUND")
    reply = organiser_api.put(path, data=build_cis_xlsx(), headers={"Content-Type": XLSX})
    assert reply.status_code == 200, reply.text
    assert reply.json()["source"] == "cis_xlsx" and reply.json()["total"] == "100.00"
    assert isinstance(reply.json()["wsos_variation"], list)
    error = assert_error(organiser_api.put(path, data=b"garbage", headers={"Content-Type": XLSX}), 422,
                         "VALIDATION_FAILED")
    assert error["details"][0]["path"] == "file"
    bad = small_scheme()
    bad["criteria"][1]["mark"] = "45"
    error = assert_error(organiser_api.put(path, json=bad), 422, "VALIDATION_FAILED")
    assert {"path": "/criteria/1/mark", "problem": "criterion B is 45.00 but its aspects add up to 40.00"} in error["details"]
    assert_error(organiser_api.put(path, data="a,b", headers={"Content-Type": "text/csv"}), 415, "UNSUPPORTED_MEDIA_TYPE")
    reply = organiser_api.put(path, json=small_scheme())
    assert reply.status_code == 200 and reply.json()["warnings"]
    assert_error(organiser_api.post(f"/competitions/{code}/marking/open"), 409, "INVALID_STATE")  # registration open
    register(organiser_api, code)
    assert organiser_api.post(f"/competitions/{code}/close").status_code == 200
    assert organiser_api.post(f"/competitions/{code}/marking/open").status_code == 200
    assert_error(organiser_api.put(path, json=small_scheme()), 409, "INVALID_STATE")
    assert organiser_api.get(path).json()["frozen"] is True
    assert_error(make_user("judge").get(path), 403, "FORBIDDEN")  # not assigned to this competition


def test_refusals_over_http_name_each_offending_mark(organiser_api, make_user):
    c = marked_competition(organiser_api, make_user, contestants=2)
    code, ids, judge = c["code"], c["contestants"], c["judges"][0]
    reply = post_marks(judge, code, [{"contestant_id": ids[0], "aspect": "A1.1", "value": 0.5},
                                     {"contestant_id": ids[0], "aspect": "A1.2", "value": 20.5},
                                     {"contestant_id": ids[1], "aspect": "B1.1", "score": 2.0}])
    error = assert_error(reply, 422, "VALIDATION_FAILED")
    assert [d["path"] for d in error["details"]] == ["/marks/2/score"]  # the schema: a score is an integer
    reply = post_marks(judge, code, [{"contestant_id": ids[0], "aspect": "A1.1", "value": 0.5},
                                     {"contestant_id": ids[0], "aspect": "A1.2", "value": 20.5}])
    error = assert_error(reply, 422, "VALIDATION_FAILED")
    assert [d["path"] for d in error["details"]] == ["/marks/1/value"]
    assert judge.get(f"/competitions/{code}/marks").json()["items"] == []
    stranger = make_user("judge")
    assert_error(post_marks(stranger, code, [{"contestant_id": ids[0], "aspect": "A1.1", "value": 1}]), 403, "FORBIDDEN")
    assert_error(judge.post(f"/competitions/{code}/marks", json={"marks": []}), 422, "VALIDATION_FAILED")
    assert_error(judge.post(f"/competitions/{code}/marks", data="{oops", headers={"Content-Type": "application/json"}),
                 400, "MALFORMED_REQUEST")
    assert_error(organiser_api.post(f"/competitions/{code}/marks", json={"request_id": "x", "marks": []}), 403,
                 "FORBIDDEN")


def test_retry_returns_first_answer_and_reuse_conflicts(organiser_api, make_user):
    c = marked_competition(organiser_api, make_user, contestants=1)
    code, cid, judge = c["code"], c["contestants"][0], c["judges"][0]
    body = {"request_id": "same-id", "marks": [{"contestant_id": cid, "aspect": "A1.1", "value": "5.5"}]}
    first = judge.post(f"/competitions/{code}/marks", json=body)
    second = judge.post(f"/competitions/{code}/marks", json=body)
    assert first.status_code == second.status_code == 200 and first.json() == second.json()
    body["marks"][0]["value"] = "6"
    assert_error(judge.post(f"/competitions/{code}/marks", json=body), 409, "IDEMPOTENCY_CONFLICT")
    assert len(c["chief"].get(f"/competitions/{code}/audit").json()["items"]) >= 1
    marks = c["chief"].get(f"/competitions/{code}/marks", params={"aspect": "A1.1"}).json()["items"]
    assert [m["value"] for m in marks] == ["5.50"]


def test_conflicts_and_withdrawals_from_registration_are_honoured(organiser_api, make_user):
    c = marked_competition(organiser_api, make_user, contestants=3)
    code, ids = c["code"], c["contestants"]
    # a judge from the first contestant's employer, assigned after marking opened
    compatriot = make_user("judge")
    reply = organiser_api.post(f"/competitions/{code}/judges", json={
        "username": compatriot.username, "name": "同单位", "employer": c["people"][0]["employer"], "role": "judge"})
    assert reply.status_code == 201, reply.text
    mark = [{"contestant_id": ids[0], "aspect": "B1.1", "score": 2}]
    deadline = time.time() + 10
    while True:  # the judge_assigned / conflicts_updated events arrive shortly
        reply = post_marks(compatriot, code, mark)
        if reply.status_code == 403 and reply.json()["error"]["details"] or time.time() > deadline:
            break
        time.sleep(0.1)
    error = assert_error(reply, 403, "FORBIDDEN")
    assert error["details"][0]["path"] == "/marks/0/contestant_id" and "same_employer" in error["details"][0]["problem"]
    assert post_marks(compatriot, code, [{"contestant_id": ids[1], "aspect": "B1.1", "score": 2}]).status_code == 200
    assert organiser_api.delete(f"/competitions/{code}/contestants/{ids[2]}").status_code == 200
    deadline = time.time() + 10
    while time.time() < deadline:
        reply = post_marks(c["judges"][0], code, [{"contestant_id": ids[2], "aspect": "A1.1", "value": 1}])
        if reply.status_code != 200:
            break
        time.sleep(0.1)
    error = assert_error(reply, 422, "VALIDATION_FAILED")
    assert "withdrawn" in error["details"][0]["problem"]


def test_disputes_block_the_lock_and_unlock_needs_a_reason(organiser_api, make_user):
    c = marked_competition(organiser_api, make_user, contestants=1)
    code, cid, judges, chief = c["code"], c["contestants"][0], c["judges"], c["chief"]
    for judge, score in zip(judges, (0, 2, 1), strict=True):
        assert post_marks(judge, code, [{"contestant_id": cid, "aspect": a, "score": score}
                                        for a in ("B1.1", "B1.2")]).status_code == 200
    disputes = chief.get(f"/competitions/{code}/disputes").json()["items"]
    assert len(disputes) == 2 and disputes[0]["spread"] == 2
    assert_error(chief.post(f"/competitions/{code}/sub-criteria/B1/lock"), 422, "RULE_VIOLATION")
    post_marks(judges[0], code, [{"contestant_id": cid, "aspect": a, "score": 1} for a in ("B1.1", "B1.2")])
    assert chief.get(f"/competitions/{code}/disputes").json()["items"] == []
    assert chief.post(f"/competitions/{code}/sub-criteria/B1/lock").status_code == 200
    assert_error(chief.post(f"/competitions/{code}/sub-criteria/B1/unlock", json={}), 422, "VALIDATION_FAILED")
    reply = chief.post(f"/competitions/{code}/sub-criteria/B1/unlock", json={"reason": "judge 1 re-scores"})
    assert reply.status_code == 200, reply.text
    change = [{"contestant_id": cid, "aspect": "B1.1", "score": 2}]
    error = assert_error(post_marks(judges[0], code, change), 422, "VALIDATION_FAILED")
    assert error["details"][0]["path"] == "/marks/0/score"
    assert post_marks(judges[0], code, change, reason="re-scored after discussion").status_code == 200
    audit = chief.get(f"/competitions/{code}/audit", params={"judge": judges[0].username, "aspect": "B1.1"}).json()
    assert [(a["old"], a["new"], a["reason"]) for a in audit["items"]] == [
        (None, 0, None), (0, 1, None), (1, 2, "re-scored after discussion")]


def test_top_score_across_an_event(organiser_api, make_user):
    event = f"EV-{uuid.uuid4().hex[:6]}"
    c = marked_competition(organiser_api, make_user, contestants=2, event=event)
    code, ids, judges, chief = c["code"], c["contestants"], c["judges"], c["chief"]
    post_marks(judges[0], code, [{"contestant_id": cid, "aspect": f"A1.{n}", "value": 5}
                                 for cid in ids for n in (1, 2, 3)])
    for judge in judges:
        post_marks(judge, code, [{"contestant_id": ids[0], "aspect": a, "score": 3} for a in ("B1.1", "B1.2")] +
                   [{"contestant_id": ids[1], "aspect": a, "score": 2} for a in ("B1.1", "B1.2")])
    for sub in ("A1", "B1"):
        assert chief.post(f"/competitions/{code}/sub-criteria/{sub}/lock").status_code == 200
    assert chief.post(f"/competitions/{code}/results/finalise").status_code == 200
    top = organiser_api.get(f"/events/{event}/top-score").json()
    assert [w["contestant_id"] for w in top["winners"]] == [ids[0]]
