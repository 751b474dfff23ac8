"""The scoring service with nameko's worker_factory: schemes, marking rules and refusals, locks,
disputes, audit, results and registration's events (no broker; registration's RPC is a mock)."""
from __future__ import annotations

import base64
import csv
import io
import uuid

import pytest
from openpyxl import load_workbook

from shared.errors import ServiceError
from shared.events import check_event, new_event
from tests.e2e.scoring_fixtures import contestant, rid, small_scheme, snapshot
from tests.service.scoring_workers import scoring_worker
from tests.unit.scoring.cis_fixture import build_cis_xlsx

ORG = {"username": "org", "role": "organiser"}
CHIEF = {"username": "chief-x", "role": "chief_expert"}
JUDGES = [{"username": u, "role": "judge"} for u in ("judge-a", "judge-b", "judge-c")]
M_MARKS = (("A1.1", "8.5"), ("A1.2", "15"), ("A1.3", 21))


@pytest.fixture
def service(databases, test_config):
    return scoring_worker(databases["scoring"], test_config)


def new_code() -> str:
    return f"S{uuid.uuid4().hex[:8]}"


def refusal(call, *args) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call(*args)
    return caught.value


def dispatched(worker, name):
    return [c.args[1] for c in worker.dispatch.call_args_list if c.args[0] == name]


def setup(service, n=4, open_marking=True, **kw):
    code = kw.pop("code", None) or new_code()
    people = kw.pop("people", None) or [contestant(code, i) for i in range(n)]
    service.registration.roster_snapshot.return_value = snapshot(code, people, **kw)
    service.put_marking_scheme(ORG, code, small_scheme())
    if open_marking:
        service.open_marking(ORG, code)
    return code, [p["contestant_id"] for p in people]


def submit(service, code, judge, marks, reason=None, request_id=None):
    payload = {"request_id": request_id or rid(), "marks": marks}
    if reason:
        payload["reason"] = reason
    return service.record_marks(judge, code, payload)


def m_marks(ids, values=M_MARKS):
    return [{"contestant_id": c, "aspect": a, "value": v} for c in ids for a, v in values]


def j_marks(ids, score=2):
    return [{"contestant_id": c, "aspect": a, "score": score} for c in ids for a in ("B1.1", "B1.2")]


def mark_all(service, code, ids, scores=(2, 2, 2)):
    submit(service, code, JUDGES[0], m_marks(ids))
    for judge, score in zip(JUDGES, scores, strict=False):
        submit(service, code, judge, j_marks(ids, score))


# --------------------------------------------------------------------------- marking scheme


def test_json_scheme_reports_wsos_variation_as_warnings_and_reads_back(service):
    code, _ = setup(service, open_marking=False)
    scheme = service.get_marking_scheme(ORG, code)
    assert scheme["total"] == "100.00" and scheme["aspects"] == 5 and not scheme["frozen"]
    assert [r["variation"] for r in scheme["wsos_variation"]] == ["10.00", "10.00"]
    assert any("WSOS section 1" in w for w in scheme["warnings"])
    assert scheme["scheme"]["sub_criteria"][0]["aspects"][0]["id"] == "A1.1"


def test_invalid_json_scheme_lists_every_problem(service):
    code, _ = setup(service, open_marking=False)
    bad = small_scheme()
    bad["sub_criteria"][0]["aspects"][0]["max_mark"] = "11"
    bad["sub_criteria"][1]["aspects"][0]["descriptors"] = {"0": "x"}
    error = refusal(service.put_marking_scheme, ORG, code, bad)
    assert error.code == "VALIDATION_FAILED"
    paths = [d["path"] for d in error.details]
    assert "/sub_criteria/1/aspects/0/descriptors" in paths and "/criteria/0/mark" in paths
    assert any("101.00" in d["problem"] for d in error.details)
    assert service.get_marking_scheme(ORG, code)["version"] == 1  # the earlier scheme stays


def test_cis_workbook_upload_and_problems_by_sheet_and_cell(service):
    code, _ = setup(service, open_marking=False)
    answer = service.import_marking_scheme(ORG, code, base64.b64encode(build_cis_xlsx()).decode())
    assert answer["source"] == "cis_xlsx" and answer["version"] == 2 and answer["total"] == "100.00"
    error = refusal(service.import_marking_scheme, ORG, code, base64.b64encode(b"not a workbook").decode())
    assert error.code == "VALIDATION_FAILED" and error.details[0]["path"] == "file"


def test_cis_workbook_problems_name_the_cell(service):
    from tests.unit.scoring.cis_fixture import default_sub_criteria

    code, _ = setup(service, open_marking=False)
    subs = default_sub_criteria()
    subs[0]["rows"][0]["max"] = "abc"
    error = refusal(service.import_marking_scheme, ORG, code, base64.b64encode(build_cis_xlsx(sub_criteria=subs)).decode())
    assert error.code == "VALIDATION_FAILED"
    assert any(d["path"].startswith("CIS Marking Scheme Import!K") for d in error.details)


def test_scheme_is_replaceable_until_marking_opens_then_frozen(service):
    code, _ = setup(service, open_marking=False)
    assert service.put_marking_scheme(ORG, code, small_scheme())["version"] == 2
    service.open_marking(ORG, code)
    assert refusal(service.put_marking_scheme, ORG, code, small_scheme()).code == "INVALID_STATE"
    assert service.get_marking_scheme(ORG, code)["frozen"] is True


def test_only_organisers_upload_schemes(service):
    code = new_code()
    assert refusal(service.put_marking_scheme, JUDGES[0], code, small_scheme()).code == "FORBIDDEN"


def test_unknown_competition_is_not_found(service):
    service.registration.roster_snapshot.side_effect = ServiceError("NOT_FOUND", "competition 'nope' does not exist")
    assert refusal(service.put_marking_scheme, ORG, "nope", small_scheme()).code == "NOT_FOUND"


# --------------------------------------------------------------------------- opening


def test_marking_needs_closed_registration_and_a_scheme(service):
    code = new_code()
    people = [contestant(code, 0)]
    service.registration.roster_snapshot.return_value = snapshot(code, people, status="open")
    error = refusal(service.open_marking, ORG, code)
    assert error.code == "INVALID_STATE"
    assert {d["path"] for d in error.details} == {"/marking-scheme", "/status"}


def test_marking_opens_once_and_only_for_organisers_or_the_chief(service):
    code, _ = setup(service, open_marking=False)
    assert refusal(service.open_marking, JUDGES[0], code).code == "FORBIDDEN"
    opened = service.open_marking(CHIEF, code)
    assert opened["status"] == "marking" and opened["entries"] == 4 and opened["sub_criteria"] == ["A1", "B1"]
    assert refusal(service.open_marking, ORG, code).code == "INVALID_STATE"
    [event] = dispatched(service, "marking_opened")
    check_event("marking_opened", event)


# --------------------------------------------------------------------------- marks and refusals


def test_marks_before_marking_opens_are_refused(service):
    code, ids = setup(service, open_marking=False)
    assert refusal(submit, service, code, JUDGES[0], m_marks(ids[:1])).code == "INVALID_STATE"


def test_a_batch_is_recorded_whole(service):
    code, ids = setup(service)
    answer = submit(service, code, JUDGES[0], m_marks(ids) + j_marks(ids))
    assert answer["recorded"] == 20 and answer["changed"] == 20
    progress = service.progress(ORG, code)
    assert (progress["expected"], progress["in"], progress["partial"]) == (20, 12, 8)


def test_every_refusal_is_listed_by_path_and_nothing_is_written(service):
    code, ids = setup(service)
    marks = [
        {"contestant_id": ids[0], "aspect": "A1.1", "value": "8.5"},       # fine
        {"contestant_id": ids[1], "aspect": "A1.1", "value": "10.5"},      # above max
        {"contestant_id": ids[1], "aspect": "A1.2", "value": "-1"},        # below zero
        {"contestant_id": ids[1], "aspect": "A1.1", "value": "0.25"},      # off the 0.5 step (and duplicate)
        {"contestant_id": "nobody", "aspect": "A1.1", "value": 1},         # unknown contestant
        {"contestant_id": ids[2], "aspect": "Z9.9", "value": 1},           # unknown aspect
        {"contestant_id": ids[2], "aspect": "A1.2", "score": 2},           # M needs value
        {"contestant_id": ids[2], "aspect": "B1.1", "value": "1"},         # J needs score
        {"contestant_id": ids[2], "aspect": "B1.2", "score": 4},           # score out of range
        {"contestant_id": ids[3], "aspect": "A1.3", "value": "abc"},       # not a number
        {"contestant_id": ids[3], "aspect": "A1.2", "value": "1.005"},     # too many decimals
        {"aspect": "A1.2", "value": "1"},                                   # no entry
        {"contestant_id": ids[0], "aspect": "A1.1", "value": "9"},         # duplicate of /marks/0
    ]
    error = refusal(submit, service, code, JUDGES[0], marks)
    assert error.code == "VALIDATION_FAILED"
    paths = [d["path"] for d in error.details]
    assert paths == ["/marks/1/value", "/marks/2/value", "/marks/3/value", "/marks/4/contestant_id",
                     "/marks/5/aspect", "/marks/6/score", "/marks/7/value", "/marks/8/score", "/marks/9/value",
                     "/marks/10/value", "/marks/11/contestant_id", "/marks/12"]
    assert service.progress(ORG, code)["in"] == 0
    assert service.audit(ORG, code, {"kind": "marks"})["count"] == 0


def test_wrong_shapes_are_refused_by_the_schema(service):
    code, ids = setup(service)
    for payload in ({"marks": []}, {"request_id": "x", "marks": []},
                    {"request_id": "x", "marks": [{"contestant_id": ids[0], "aspect": "A1.1", "value": True}]},
                    {"request_id": "x", "marks": [{"contestant_id": ids[0], "aspect": "A1.1", "score": "2"}]},
                    {"request_id": "x", "marks": [{"contestant_id": ids[0], "aspect": "A1.1", "extra": 1}]}):
        assert refusal(service.record_marks, JUDGES[0], code, payload).code == "VALIDATION_FAILED"


def test_judges_not_assigned_are_refused(service):
    code, ids = setup(service)
    error = refusal(submit, service, code, {"username": "stranger", "role": "judge"}, m_marks(ids[:1]))
    assert error.code == "FORBIDDEN" and "not assigned" in error.message
    assert refusal(submit, service, code, ORG, m_marks(ids[:1])).code == "FORBIDDEN"


def test_conflict_of_interest_is_refused_for_judges_and_the_chief(service):
    code = new_code()
    people = [contestant(code, i) for i in range(3)]
    setup(service, code=code, people=people, conflicts=[("judge-a", people[1]["contestant_id"]),
                                                        ("chief-x", people[2]["contestant_id"])])
    error = refusal(submit, service, code, JUDGES[0], m_marks([people[0]["contestant_id"], people[1]["contestant_id"]]))
    assert error.code == "FORBIDDEN"
    assert {d["path"] for d in error.details} == {"/marks/3/contestant_id", "/marks/4/contestant_id",
                                                  "/marks/5/contestant_id"}
    assert "same_employer" in error.details[0]["problem"]
    error = refusal(submit, service, code, CHIEF, j_marks([people[2]["contestant_id"]]))
    assert error.code == "FORBIDDEN"
    assert service.progress(ORG, code)["in"] == 0
    assert submit(service, code, CHIEF, m_marks([people[0]["contestant_id"]]))["recorded"] == 3


def test_withdrawn_contestants_are_refused_and_drop_out(service):
    code, ids = setup(service)
    service.on_contestant_withdrawn(new_event("contestant_withdrawn", {
        "competition_code": code, "contestant_id": ids[3], "person_key": "a" * 64, "reason": "ill"}))
    error = refusal(submit, service, code, JUDGES[0], m_marks(ids[3:]))
    assert error.details[0]["code"] == "WITHDRAWN"
    assert service.progress(ORG, code)["entries"] == 3


def test_a_retry_returns_the_first_answer_and_another_body_conflicts(service):
    code, ids = setup(service)
    marks = m_marks(ids[:2])
    first = submit(service, code, JUDGES[0], marks, request_id="req-1")
    again = submit(service, code, JUDGES[0], marks, request_id="req-1")
    assert again == first and first["changed"] == 6
    assert len(service.audit(ORG, code, {"kind": "marks"})["items"]) == 6
    error = refusal(submit, service, code, JUDGES[0], m_marks(ids[:1]), None, "req-1")
    assert error.code == "IDEMPOTENCY_CONFLICT"
    # another judge may use the same request id
    assert submit(service, code, JUDGES[1], j_marks(ids[:1]), request_id="req-1")["recorded"] == 2


def test_a_refused_request_may_be_retried_with_the_same_id(service):
    code, ids = setup(service)
    bad = [{"contestant_id": ids[0], "aspect": "A1.1", "value": "99"}]
    refusal(submit, service, code, JUDGES[0], bad, None, "req-x")
    assert submit(service, code, JUDGES[0], m_marks(ids[:1]), request_id="req-x")["recorded"] == 3


# --------------------------------------------------------------------------- disputes, locks, audit


def test_disputes_are_listed_until_rescored(service):
    code, ids = setup(service)
    submit(service, code, JUDGES[0], j_marks(ids[:1], 0))
    answer = submit(service, code, JUDGES[1], j_marks(ids[:1], 2))
    assert len(answer["disputes"]) == 2
    disputes = service.list_disputes(CHIEF, code)["items"]
    assert {(d["entry"], d["aspect"]) for d in disputes} == {(ids[0], "B1.1"), (ids[0], "B1.2")}
    assert disputes[0]["scores"] == {"judge-a": 0, "judge-b": 2}
    submit(service, code, JUDGES[0], j_marks(ids[:1], 1))
    assert service.list_disputes(CHIEF, code)["items"] == []


def test_lock_needs_every_mark_and_no_dispute(service):
    code, ids = setup(service)
    submit(service, code, JUDGES[0], m_marks(ids[:3]))
    error = refusal(service.lock_sub_criterion, CHIEF, code, "A1")
    assert error.code == "RULE_VIOLATION" and len(error.details) == 3
    assert error.details[0]["path"] == f"/entries/{ids[3]}/A1.1"
    submit(service, code, JUDGES[0], m_marks(ids[3:]))
    assert service.lock_sub_criterion(CHIEF, code, "A1")["locked"] is True
    # judgements: three judges' scores each, no dispute
    submit(service, code, JUDGES[0], j_marks(ids, 1))
    submit(service, code, JUDGES[1], j_marks(ids, 3))
    error = refusal(service.lock_sub_criterion, CHIEF, code, "B1")
    assert "2 of 3 judge scores" in error.details[0]["problem"] and any("in dispute" in d["problem"] for d in error.details)
    submit(service, code, JUDGES[1], j_marks(ids, 2))
    submit(service, code, JUDGES[2], j_marks(ids, 2))
    assert service.lock_sub_criterion(CHIEF, code, "B1")["locked"] is True
    [event, _] = dispatched(service, "marks_locked")
    check_event("marks_locked", event)


def test_fewer_eligible_judges_lower_the_judges_needed(service):
    code = new_code()
    people = [contestant(code, i) for i in range(2)]
    setup(service, code=code, people=people, conflicts=[("judge-c", people[0]["contestant_id"])])
    ids = [p["contestant_id"] for p in people]
    submit(service, code, JUDGES[0], j_marks(ids))
    submit(service, code, JUDGES[1], j_marks(ids))
    error = refusal(service.lock_sub_criterion, CHIEF, code, "B1")
    assert {d["path"].split("/")[2] for d in error.details} == {ids[1]}  # ids[0] needs only 2 scores
    submit(service, code, JUDGES[2], j_marks(ids[1:]))
    assert service.lock_sub_criterion(CHIEF, code, "B1")["locked"]


def test_only_the_competitions_chief_locks(service):
    code, ids = setup(service)
    assert refusal(service.lock_sub_criterion, JUDGES[0], code, "A1").code == "FORBIDDEN"
    assert refusal(service.lock_sub_criterion, {"username": "other-chief", "role": "chief_expert"}, code,
                   "A1").code == "FORBIDDEN"
    assert refusal(service.lock_sub_criterion, CHIEF, code, "Q7").code == "NOT_FOUND"


def test_locked_marks_are_refused_and_unlock_needs_a_reason_and_then_changes_need_one(service):
    code, ids = setup(service)
    submit(service, code, JUDGES[0], m_marks(ids))
    service.lock_sub_criterion(CHIEF, code, "A1")
    change = [{"contestant_id": ids[0], "aspect": "A1.1", "value": "7"}]
    error = refusal(submit, service, code, JUDGES[1], change)
    assert error.code == "INVALID_STATE" and error.details[0]["code"] == "LOCKED"
    assert refusal(service.unlock_sub_criterion, CHIEF, code, "A1", {}).code == "VALIDATION_FAILED"
    service.unlock_sub_criterion(CHIEF, code, "A1", {"reason": "wrong measurement of entry 1"})
    check_event("marks_unlocked", dispatched(service, "marks_unlocked")[0])
    error = refusal(submit, service, code, JUDGES[1], change)
    assert error.details[0] == {"path": "/marks/0/value", "code": "REASON_REQUIRED",
                                "problem": error.details[0]["problem"]}
    submit(service, code, JUDGES[1], change, reason="re-measured with the chief expert")
    rows = service.audit(CHIEF, code, {"contestant": ids[0], "aspect": "A1.1"})["items"]
    assert [(r["old"], r["new"], r["by"], r["reason"]) for r in rows] == [
        (None, "8.50", "judge-a", None), ("8.50", "7.00", "judge-b", "re-measured with the chief expert")]
    kinds = [r["kind"] for r in service.audit(ORG, code, {"sub_criterion": "A1"})["items"] if r["kind"] != "marks"]
    assert kinds == ["lock", "unlock"]
    assert refusal(service.unlock_sub_criterion, CHIEF, code, "A1", {"reason": "again"}).code == "INVALID_STATE"


def test_judges_see_only_their_own_marks_until_locked(service):
    code, ids = setup(service)
    submit(service, code, JUDGES[0], j_marks(ids, 2) + m_marks(ids[:1]))
    submit(service, code, JUDGES[1], j_marks(ids, 1))
    mine = service.list_marks(JUDGES[1], code, {})["items"]
    assert {r["judge"] for r in mine} == {"judge-b"} and len(mine) == 8
    assert len(service.list_marks(CHIEF, code, {"sub_criterion": "B1"})["items"]) == 16
    assert service.list_marks(JUDGES[1], code, {"sub_criterion": "A1"})["items"] == []
    assert len(service.list_marks(ORG, code, {"contestant": ids[0], "aspect": "B1.1"})["items"]) == 2
    submit(service, code, JUDGES[2], j_marks(ids, 2))
    service.lock_sub_criterion(CHIEF, code, "B1")
    assert len(service.list_marks(JUDGES[1], code, {})["items"]) == 24  # everybody's B1 scores now


# --------------------------------------------------------------------------- results


def test_finalise_needs_every_sub_criterion_locked(service):
    code, ids = setup(service)
    mark_all(service, code, ids)
    service.lock_sub_criterion(CHIEF, code, "A1")
    error = refusal(service.finalise, CHIEF, code)
    assert error.code == "INVALID_STATE" and error.details == [{"path": "/sub_criteria/B1", "problem": "not locked"}]


def test_finalise_publishes_once_and_refuses_later_marks(service):
    code = new_code()
    people = [contestant(code, i, delegation="浦东新区" if i < 2 else "徐汇区") for i in range(4)]
    ids = [p["contestant_id"] for p in people]
    setup(service, code=code, people=people)
    submit(service, code, JUDGES[0], m_marks(ids[:1], (("A1.1", "10"), ("A1.2", "20"), ("A1.3", "30"))) +
           m_marks(ids[1:2], (("A1.1", "9"), ("A1.2", "18"), ("A1.3", "27"))) +
           m_marks(ids[2:], (("A1.1", "5"), ("A1.2", "10"), ("A1.3", "15"))))
    for judge, score in zip(JUDGES, (3, 2, 2), strict=True):
        submit(service, code, judge, j_marks(ids, score))
    provisional = service.get_results(CHIEF, code)
    assert provisional["final"] is False
    assert refusal(service.get_results, JUDGES[0], code).code == "INVALID_STATE"
    service.lock_sub_criterion(CHIEF, code, "A1")
    service.lock_sub_criterion(CHIEF, code, "B1")
    final = service.finalise(CHIEF, code)
    rows = {r["contestant_id"]: r for r in final["results"]}
    # J: 40 × 7/9 = 31.11..; raw = M + J, rounded once
    assert rows[ids[0]]["raw"] == "91.11" and rows[ids[1]]["raw"] == "85.11" and rows[ids[2]]["raw"] == "61.11"
    assert rows[ids[0]]["criterion_marks"] == {"A": "60.00", "B": "31.11"}
    assert rows[ids[0]]["rank"] == 1 and rows[ids[0]]["medal"] == "gold"
    assert rows[ids[2]]["rank"] == rows[ids[3]]["rank"] == 3
    assert rows[ids[0]]["best_of_delegation"] and not rows[ids[1]]["best_of_delegation"]
    assert rows[ids[2]]["best_of_delegation"] and rows[ids[3]]["best_of_delegation"]
    [event] = dispatched(service, "results_published")
    check_event("results_published", event)
    assert event["revision"] == 1 and event["competition"]["event"] == "EVENT-1" and len(event["results"]) == 4
    again = service.finalise(CHIEF, code)
    assert again["results"] == final["results"] and again["replayed"] is True
    assert len(dispatched(service, "results_published")) == 1
    error = refusal(submit, service, code, JUDGES[0], m_marks(ids[:1]))
    assert error.code == "INVALID_STATE" and "final" in error.message
    assert refusal(service.unlock_sub_criterion, CHIEF, code, "A1", {"reason": "fix it"}).code == "INVALID_STATE"
    assert service.get_results(JUDGES[0], code)["final"] is True


def test_reopen_correct_and_finalise_again_publishes_revision_two(service):
    code, ids = setup(service)
    mark_all(service, code, ids)
    service.lock_sub_criterion(CHIEF, code, "A1")
    service.lock_sub_criterion(CHIEF, code, "B1")
    service.finalise(CHIEF, code)
    assert refusal(service.reopen_results, JUDGES[0], code, {"reason": "typo"}).code == "FORBIDDEN"
    service.reopen_results(CHIEF, code, {"reason": "entry 1 was mis-measured"})
    service.unlock_sub_criterion(CHIEF, code, "A1", {"reason": "entry 1 was mis-measured"})
    submit(service, code, JUDGES[0], [{"contestant_id": ids[0], "aspect": "A1.1", "value": 10}], reason="re-measured")
    service.lock_sub_criterion(CHIEF, code, "A1")
    second = service.finalise(CHIEF, code)
    assert second["revision"] == 2
    events = dispatched(service, "results_published")
    assert [e["revision"] for e in events] == [1, 2]
    assert {r["contestant_id"]: r["raw"] for r in events[1]["results"]}[ids[0]] == "72.67"


def test_team_marks_go_to_the_team_and_results_to_every_member(service):
    code = new_code()
    people = [contestant(code, i, team=f"T{i // 2}") for i in range(4)]
    ids = [p["contestant_id"] for p in people]
    setup(service, code=code, people=people, team=True)
    assert service.progress(ORG, code)["entries"] == 2
    submit(service, code, JUDGES[0], [{"team": "T0", "aspect": a, "value": v} for a, v in M_MARKS] +
           [{"contestant_id": ids[3], "aspect": a, "value": v} for a, v in M_MARKS])
    error = refusal(submit, service, code, JUDGES[0], [{"team": "T0", "aspect": "A1.1", "value": "1"},
                                                       {"contestant_id": ids[1], "aspect": "A1.1", "value": "2"}])
    assert error.details[0]["path"] == "/marks/1" and error.details[0]["code"] == "DUPLICATE"
    assert refusal(submit, service, code, JUDGES[0], [{"team": "T9", "aspect": "A1.1", "value": "1"}]).details[0][
        "code"] == "UNKNOWN_CONTESTANT"
    for judge in JUDGES:
        submit(service, code, judge, [{"team": t, "aspect": a, "score": 2} for t in ("T0", "T1") for a in ("B1.1", "B1.2")])
    service.lock_sub_criterion(CHIEF, code, "A1")
    service.lock_sub_criterion(CHIEF, code, "B1")
    rows = service.finalise(CHIEF, code)["results"]
    assert len(rows) == 4 and {r["team"] for r in rows} == {"T0", "T1"}
    assert len({(r["raw"], r["rank"]) for r in rows}) == 1  # both teams marked alike


def test_team_member_conflict_blocks_the_team(service):
    code = new_code()
    people = [contestant(code, i, team=f"T{i // 2}") for i in range(4)]
    setup(service, code=code, people=people, team=True, conflicts=[("judge-b", people[1]["contestant_id"])])
    error = refusal(submit, service, code, JUDGES[1], [{"team": "T0", "aspect": "B1.1", "score": 1}])
    assert error.code == "FORBIDDEN" and error.details[0]["path"] == "/marks/0/team"


def test_results_export_csv_and_xlsx(service):
    code, ids = setup(service)
    mark_all(service, code, ids)
    service.lock_sub_criterion(CHIEF, code, "A1")
    service.lock_sub_criterion(CHIEF, code, "B1")
    service.finalise(CHIEF, code)
    answer = service.export_results(ORG, code, "csv")
    text = base64.b64decode(answer["content_b64"]).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][0] == "名次 Rank" and "原始分 Raw" in table[0] and len(table) == 5
    answer = service.export_results(ORG, code, "xlsx")
    sheet = load_workbook(io.BytesIO(base64.b64decode(answer["content_b64"]))).active
    assert sheet.cell(1, 2).value == "参赛号 Contestant ID" and sheet.max_row == 5
    assert refusal(service.export_results, ORG, code, "pdf").code == "VALIDATION_FAILED"


def test_top_score_of_an_event_over_finalised_competitions(service):
    event = f"EV-{uuid.uuid4().hex[:6]}"
    for _ in range(2):
        code, ids = setup(service, event=event)
        mark_all(service, code, ids)
        service.lock_sub_criterion(CHIEF, code, "A1")
        service.lock_sub_criterion(CHIEF, code, "B1")
        service.finalise(CHIEF, code)
    top = service.event_top_score(ORG, event)
    assert len(top["competitions"]) == 2 and len(top["winners"]) == 8  # everybody tied at 700
    assert service.event_top_score(ORG, "no-such-event")["winners"] == []


# --------------------------------------------------------------------------- registration's events


def test_events_keep_the_view_current_and_are_idempotent(service):
    code, ids = setup(service)
    later = snapshot(code, [])["judges"][0] | {"username": "judge-d"}
    event = new_event("judge_assigned", {"competition_code": code, "judge": later})
    service.on_judge_assigned(event)
    service.on_judge_assigned(event)
    assert submit(service, code, {"username": "judge-d", "role": "judge"}, j_marks(ids[:1]))["recorded"] == 2
    newer = new_event("conflicts_updated", {"competition_code": code, "revision": 5, "conflicts": [
        {"judge": "judge-d", "contestant_id": ids[1], "reasons": ["declared"]}]})
    older = new_event("conflicts_updated", {"competition_code": code, "revision": 4, "conflicts": []})
    service.on_conflicts_updated(newer)
    service.on_conflicts_updated(older)  # late and older: ignored
    error = refusal(submit, service, code, {"username": "judge-d", "role": "judge"}, j_marks(ids[1:2]))
    assert error.code == "FORBIDDEN" and "declared" in error.details[0]["problem"]
    late = contestant(code, 9)
    service.on_contestant_registered(new_event("contestant_registered", {"competition_code": code, "contestant": late}))
    assert service.progress(ORG, code)["entries"] == 5


def test_competition_events_keep_the_newest_snapshot(service, databases):
    code = new_code()
    snap = snapshot(code, [])["competition"]
    service.on_competition_updated(new_event("competition_updated", {"competition": {**snap, "revision": 4, "name": "new"}}))
    service.on_competition_created(new_event("competition_created", {"competition": {**snap, "revision": 1, "name": "old"}}))
    assert databases["scoring"]["competitions"].find_one({"_id": code})["snapshot"]["name"] == "new"
