"""The mark rows under concurrent writers: no mark lost, counters exact, one audit entry per change.

Several workers (as several service instances would) send single marks and batches into the same
rows at once; afterwards every mark is there, the progress counters (kept by the writes) agree with
the marks themselves, and the audit trail holds exactly one entry per change.
"""
from __future__ import annotations

import eventlet

from services.scoring.handlers.marking import sub_criterion_status
from tests.e2e.scoring_fixtures import rid
from tests.service.scoring_workers import scoring_worker
from tests.service.test_scoring_service import CHIEF, JUDGES, ORG, setup

ASPECTS = ("B1.1", "B1.2")


def score(service, judge, code, cid, aspect, value):
    return service.record_marks(judge, code, {"request_id": rid(), "marks": [
        {"contestant_id": cid, "aspect": aspect, "score": value}]})


def test_judges_marking_the_same_rows_at_once_lose_nothing_and_miscount_nothing(databases, test_config):
    workers = [scoring_worker(databases["scoring"], test_config) for _ in range(3)]
    code, ids = setup(workers[0], n=4)
    pool = eventlet.GreenPool(12)
    jobs = []
    for cid in ids:
        for aspect in ASPECTS:
            for n, judge in enumerate(JUDGES):
                value = 3 if (cid, aspect, n) == (ids[0], "B1.1", 0) else 2
                jobs.append(pool.spawn(score, workers[n], judge, code, cid, aspect, value))
    for n, judge in enumerate(JUDGES):  # and a batch per judge over the measurement aspects
        marks = [{"contestant_id": cid, "aspect": "A1.2", "value": str(10 + n)} for cid in ids]
        jobs.append(pool.spawn(workers[n].record_marks, judge, code, {"request_id": rid(), "marks": marks}))
    answers = [job.wait() for job in jobs]
    assert all(a["changed"] == a["recorded"] for a in answers)
    service = workers[0]
    scores = [m for m in service.list_marks(CHIEF, code, {"sub_criterion": "B1"})["items"]]
    assert len(scores) == len(ids) * len(ASPECTS) * len(JUDGES)
    [b1] = [s for s in service.progress(CHIEF, code)["sub_criteria"] if s["sub_criterion"] == "B1"]
    assert (b1["expected"], b1["in"], b1["partial"], b1["disputed"]) == (8, 8, 0, 0)
    audit = service.audit(ORG, code, {"sub_criterion": "B1"})["items"]
    assert len(audit) == len(scores) and all(r["old"] is None for r in audit)
    a1 = service.audit(ORG, code, {"aspect": "A1.2"})["items"]
    assert len(a1) == 3 * len(ids)  # each judge's batch changed every mark once
    assert [r["old"] is None for r in a1].count(True) == len(ids)


def test_the_counters_agree_with_the_marks_they_count(databases, test_config):
    service = scoring_worker(databases["scoring"], test_config)
    code, ids = setup(service, n=4)
    service.record_marks(JUDGES[0], code, {"request_id": rid(), "marks": [
        {"contestant_id": ids[0], "aspect": "A1.1", "value": "5"},
        {"contestant_id": ids[1], "aspect": "A1.3", "value": "7"}]})
    for judge, value in zip(JUDGES[:2], (0, 3), strict=True):
        score(service, judge, code, ids[2], "B1.2", value)
    score(service, JUDGES[0], code, ids[3], "B1.1", 1)
    score(service, JUDGES[0], code, ids[3], "B1.1", 2)  # a change: still one score
    doc = databases["scoring"]["competitions"].find_one({"_id": code})
    counted = {s["sub_criterion"]: s for s in service.progress(CHIEF, code)["sub_criteria"]}
    for sub in ("A1", "B1"):
        marks = sub_criterion_status(service.repo, code, doc, sub)
        assert {k: counted[sub][k] for k in ("expected", "in", "missing", "partial", "disputed")} == {
            k: marks[k] for k in ("expected", "in", "missing", "partial", "disputed")}
    assert (counted["A1"]["in"], counted["B1"]["partial"], counted["B1"]["disputed"]) == (2, 2, 1)


def test_a_batch_whose_row_changed_after_it_was_read_checks_that_row_again(databases, test_config):
    """Another judge writes a row between the batch's read and its write: the batch's guarded update of
    that row misses, the row is read again and written; nothing lost, counters and audit exact."""
    service, other = (scoring_worker(databases["scoring"], test_config) for _ in range(2))
    code, ids = setup(service, n=2)
    read = service.repo.rows.read
    cut_in = []

    def read_then_another_judge_writes(row_ids, *args, **kwargs):
        rows = read(row_ids, *args, **kwargs)
        if not cut_in:
            cut_in.append(score(other, JUDGES[1], code, ids[0], "B1.1", 3))
        return rows

    service.repo.rows.read = read_then_another_judge_writes
    write_many, bulk_writes = service.repo.rows.write_many, []
    service.repo.rows.write_many = lambda writes: bulk_writes.append(len(writes)) or write_many(writes)
    answer = service.record_marks(JUDGES[0], code, {"request_id": rid(), "marks": [
        {"contestant_id": cid, "aspect": aspect, "score": 1} for cid in ids for aspect in ASPECTS]})
    assert cut_in and answer["changed"] == answer["recorded"] == 4
    assert bulk_writes == [2, 1]  # both rows, then the one written meanwhile
    assert [d["entry"] for d in answer["disputes"]] == [ids[0]]  # 1 against the other judge's 3
    scores = service.list_marks(CHIEF, code, {"sub_criterion": "B1"})["items"]
    assert len(scores) == 5
    [b1] = [s for s in service.progress(CHIEF, code)["sub_criteria"] if s["sub_criterion"] == "B1"]
    assert b1["disputed"] == 1
    audit = service.audit(ORG, code, {"sub_criterion": "B1"})["items"]
    assert len(audit) == 5 and all(r["old"] is None for r in audit)


def test_batches_reach_the_database_two_at_a_time_while_single_marks_and_reads_pass(databases, test_config,
                                                                                    monkeypatch):
    """Batches queue for admission (``BATCHES_AT_ONCE``); a single mark and a progress read do not."""
    from services.scoring.adapters.mark_rows import MarkRows

    service = scoring_worker(databases["scoring"], test_config)
    code, ids = setup(service, n=4)
    inside, most, held = [0], [0], eventlet.event.Event()
    write_many = MarkRows.write_many

    def slow_write_many(self, *args, **kwargs):
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        try:
            held.wait()
            return write_many(self, *args, **kwargs)
        finally:
            inside[0] -= 1
    monkeypatch.setattr(MarkRows, "write_many", slow_write_many)
    pool = eventlet.GreenPool(8)
    batches = [pool.spawn(service.record_marks, JUDGES[n % 3], code, {"request_id": rid(), "marks": [
        {"contestant_id": cid, "aspect": "A1.2", "value": str(10 + n)} for cid in ids]}) for n in range(6)]
    for _ in range(1000):  # until two are at the database (no time is asserted)
        if inside[0] >= 2:
            break
        eventlet.sleep(0.01)
    eventlet.sleep(0.1)  # the others had every chance to get in too
    assert inside[0] == 2, "two batches at the database, the others waiting for admission"
    assert score(service, JUDGES[0], code, ids[0], "B1.1", 2)["changed"] == 1
    assert service.progress(CHIEF, code)["sub_criteria_count"] > 0
    held.send()
    answers = [job.wait() for job in batches]
    assert most[0] == 2 and all(a["recorded"] == len(ids) for a in answers)
