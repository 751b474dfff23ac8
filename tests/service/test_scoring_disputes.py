"""The chief expert resolves judgement disputes: agreed scores recorded for the judges, audited, idempotent."""
from __future__ import annotations

import pytest

from tests.e2e.scoring_fixtures import rid
from tests.service.scoring_workers import scoring_worker
from tests.service.test_scoring_service import CHIEF, JUDGES, ORG, new_code, refusal, setup, submit

ADMIN = {"username": "admin", "role": "admin"}


@pytest.fixture
def service(databases, test_config):
    return scoring_worker(databases["scoring"], test_config)


def disputed(service, scores=(0, 2, 3)):
    """A competition where entry 0's B1.1 is scored ``scores`` by judges a, b, c (a dispute for 0, 2, 3)."""
    code, ids = setup(service)
    for judge, score in zip(JUDGES, scores, strict=True):
        submit(service, code, judge, [{"contestant_id": ids[0], "aspect": "B1.1", "score": score}])
    return code, ids


def resolution(ids, scores, **overrides):
    return {"request_id": rid(), "sub_criterion": "B1", "contestant": ids[0], "aspect": "B1.1", "scores": scores,
            "reason": "agreed after reviewing the piece together", **overrides}


def test_the_chief_records_the_agreed_scores_and_the_dispute_goes_away(service):
    code, ids = disputed(service)
    assert len(service.list_disputes(CHIEF, code)["items"]) == 1
    answer = service.resolve_dispute(CHIEF, code, resolution(ids, {"judge-a": 2}))
    assert answer["scores"] == {"judge-a": 2, "judge-b": 2, "judge-c": 3} and answer["changed"] == 1
    assert service.list_disputes(CHIEF, code)["items"] == []
    marks = service.list_marks(CHIEF, code, {"contestant": ids[0], "aspect": "B1.1"})["items"]
    assert {m["judge"]: m["score"] for m in marks} == {"judge-a": 2, "judge-b": 2, "judge-c": 3}
    [row] = service.audit(CHIEF, code, {"kind": "dispute"})["items"]
    assert (row["by"], row["role"], row["judge"], row["old"], row["new"], row["reason"]) == (
        "chief-x", "chief_expert", "judge-a", 0, 2, "agreed after reviewing the piece together")
    # the judge's own view filter finds the change made for them
    assert [r["kind"] for r in service.audit(ORG, code, {"judge": "judge-a", "aspect": "B1.1"})["items"]] == [
        "marks", "dispute"]


def test_a_retry_returns_the_first_answer_and_another_body_conflicts(service):
    code, ids = disputed(service)
    payload = resolution(ids, {"judge-a": 2})
    first = service.resolve_dispute(CHIEF, code, payload)
    assert service.resolve_dispute(CHIEF, code, payload) == first
    assert len(service.audit(CHIEF, code, {"kind": "dispute"})["items"]) == 1
    error = refusal(service.resolve_dispute, CHIEF, code, {**payload, "scores": {"judge-a": 3}})
    assert error.code == "IDEMPOTENCY_CONFLICT"


def test_what_does_not_end_the_dispute_is_refused_and_nothing_changes(service):
    code, ids = disputed(service)
    error = refusal(service.resolve_dispute, CHIEF, code, resolution(ids, {"judge-c": 2}))
    assert error.code == "VALIDATION_FAILED"
    assert error.details == [{"path": "/scores", "code": "STILL_DISPUTED", "problem": error.details[0]["problem"]}]
    assert "[0, 2, 2]" in error.details[0]["problem"]
    error = refusal(service.resolve_dispute, CHIEF, code, resolution(ids, {"judge-a": 2, "judge-x": 2}))
    assert error.code == "VALIDATION_FAILED" and error.details[0]["path"] == "/scores/judge-x"
    assert error.details[0]["code"] == "UNKNOWN_JUDGE"
    assert service.list_disputes(CHIEF, code)["items"][0]["scores"] == {"judge-a": 0, "judge-b": 2, "judge-c": 3}
    assert service.audit(CHIEF, code, {"kind": "dispute"})["items"] == []


def test_no_dispute_a_locked_sub_criterion_and_wrong_places_are_refused(service):
    code, ids = disputed(service, scores=(1, 2, 2))
    error = refusal(service.resolve_dispute, CHIEF, code, resolution(ids, {"judge-a": 2}))
    assert error.code == "INVALID_STATE" and error.details[0]["code"] == "NOT_DISPUTED"
    error = refusal(service.resolve_dispute, CHIEF, code,
                    resolution(ids, {"judge-a": 2}, aspect="A1.1", sub_criterion="B1", contestant="nobody"))
    assert error.code == "VALIDATION_FAILED"
    assert {(d["path"], d["code"]) for d in error.details} == {
        ("/contestant", "UNKNOWN_CONTESTANT"), ("/aspect", "WRONG_TYPE"), ("/sub_criterion", "WRONG_SUB_CRITERION")}
    error = refusal(service.resolve_dispute, CHIEF, code, resolution(ids, {"judge-a": 2}, aspect="Z9"))
    assert error.details[0]["code"] == "UNKNOWN_ASPECT"
    error = refusal(service.resolve_dispute, CHIEF, code, resolution(ids, {"judge-a": 4}))
    assert error.code == "VALIDATION_FAILED" and error.details[0]["path"] == "/scores/judge-a"


def test_a_locked_sub_criterion_is_refused(service):
    code, ids = setup(service)
    for judge in JUDGES:
        submit(service, code, judge, [{"contestant_id": c, "aspect": a, "score": 2}
                                      for c in ids for a in ("B1.1", "B1.2")])
    service.lock_sub_criterion(CHIEF, code, "B1")
    error = refusal(service.resolve_dispute, CHIEF, code, resolution(ids, {"judge-a": 2}))
    assert error.code == "INVALID_STATE" and error.details[0]["code"] == "LOCKED"


def test_only_the_competitions_chief_or_an_admin_resolves(service):
    code, ids = disputed(service)
    for actor in (JUDGES[0], ORG, {"username": "chief-elsewhere", "role": "chief_expert"}):
        assert refusal(service.resolve_dispute, actor, code, resolution(ids, {"judge-a": 2})).code == "FORBIDDEN"
    assert service.resolve_dispute(ADMIN, code, resolution(ids, {"judge-a": 2}))["changed"] == 1
    assert refusal(service.resolve_dispute, CHIEF, new_code(), resolution(ids, {"judge-a": 2})).code == "NOT_FOUND"


def test_a_chief_with_a_conflict_may_not_resolve(service):
    code = new_code()
    from tests.e2e.scoring_fixtures import contestant
    people = [contestant(code, i) for i in range(4)]
    code, ids = setup(service, code=code, people=people, conflicts=[("chief-x", people[0]["contestant_id"])])
    for judge, score in zip(JUDGES, (0, 2, 3), strict=True):
        submit(service, code, judge, [{"contestant_id": ids[0], "aspect": "B1.1", "score": score}])
    error = refusal(service.resolve_dispute, CHIEF, code, resolution(ids, {"judge-a": 2}))
    assert error.code == "FORBIDDEN" and error.details[0]["path"] == "/contestant"
