"""Database round trips per marks request, counted with pymongo's command monitoring (never timed).

The service runs with nameko's ``worker_factory`` over a MongoClient of its own that carries a
``CommandListener``: every command the marks path sends to the server is counted. Targets
(issue 12): one mark in at most 3 round trips (the idempotency claim, the mark with its audit
row and progress counters, the idempotency answer), a batch of 300 marks in at most 5.
"""
from __future__ import annotations

import threading
import uuid

import pytest
from pymongo import MongoClient, monitoring

from tests.e2e.scoring_fixtures import big_scheme, contestant, rid, snapshot
from tests.service.scoring_workers import scoring_worker

ORG = {"username": "org", "role": "organiser"}
JUDGE = {"username": "judge-a", "role": "judge"}


class Commands(monitoring.CommandListener):
    """The commands sent to the server while ``counting`` is on."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.counting = False
        self._lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.counting:
            with self._lock:
                self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def count(self, call):
        self.names.clear()
        self.counting = True
        try:
            answer = call()
        finally:
            self.counting = False
        return answer, list(self.names)


@pytest.fixture
def monitored(test_config):
    commands = Commands()
    client = MongoClient(test_config["MONGODB_URI"], uuidRepresentation="standard", event_listeners=[commands])
    database = client[f"{test_config['MONGODB_DB_PREFIX']}scoring"]
    yield commands, database
    client.close()


def marking(database, test_config, contestants: int = 2):
    service = scoring_worker(database, test_config)
    code = f"RT{uuid.uuid4().hex[:8]}"
    people = [contestant(code, i) for i in range(contestants)]
    service.registration.roster_snapshot.return_value = snapshot(code, people)
    service.put_marking_scheme(ORG, code, big_scheme())
    service.open_marking(ORG, code)
    return service, code, [p["contestant_id"] for p in people]


def one_mark(service, code, cid, aspect="A1.1", value="0.25"):
    return service.record_marks(JUDGE, code, {"request_id": rid(), "marks": [
        {"contestant_id": cid, "aspect": aspect, "value": value}]})


def whole_sheet(service, code, cid):
    """One contestant across the whole 300-aspect scheme: what a judge's form sends."""
    marks = []
    for s in range(10):
        for a in range(30):
            judgement = (s * 30 + a) % 3 == 2
            item = {"contestant_id": cid, "aspect": f"A{s + 1}.{a + 1}"}
            marks.append({**item, "score": 2} if judgement else {**item, "value": "0.25"})
    return service.record_marks(JUDGE, code, {"request_id": rid(), "marks": marks})


def test_one_mark_takes_at_most_three_round_trips(monitored, test_config):
    commands, database = monitored
    service, code, ids = marking(database, test_config)
    one_mark(service, code, ids[0], "A1.1")  # warm: indexes ensured once per process, caches filled
    answer, sent = commands.count(lambda: one_mark(service, code, ids[0], "A1.2"))
    assert answer["changed"] == 1
    print("single mark:", len(sent), sent)
    assert len(sent) <= 3, sent
    answer, sent = commands.count(lambda: one_mark(service, code, ids[1], "A1.2"))
    assert len(sent) <= 3, sent  # the cost does not depend on marks already stored


def test_a_batch_of_300_marks_takes_at_most_five_round_trips(monitored, test_config):
    commands, database = monitored
    service, code, ids = marking(database, test_config)
    one_mark(service, code, ids[1])
    answer, sent = commands.count(lambda: whole_sheet(service, code, ids[0]))
    assert answer["recorded"] == 300 and answer["changed"] == 300
    print("batch of 300:", len(sent), sent)
    assert len(sent) <= 5, sent
