"""Database round trips of a single mark and of a batch of 300 (issue 12): counted with pymongo's command
monitoring (``shared.roundtrips.RoundTrips``) on every command the scoring service sends, over the
wire, in the steady state (after the judge's first request has created indexes and filled caches).

They do not depend on the machine, so unlike the speed figures (``bench/``) they are tested: a single
mark is the idempotency claim, the mark with its audit row and progress counters in one update, and
the idempotency answer; a batch adds one read and one bulk write of the rows it touches.
"""
from __future__ import annotations

import pymongo
import pytest

from shared.roundtrips import RoundTrips
from tests.e2e.scoring_fixtures import big_scheme, contestant, rid, snapshot
from tests.service.scoring_workers import scoring_worker

ORG = {"username": "org", "role": "organiser"}
JUDGE = {"username": "judge-a", "role": "judge"}
SINGLE_MARK_TARGET, BATCH_TARGET = 3, 5


@pytest.fixture
def counted(mongodb_uri, db_prefix, test_config):
    """The scoring service on a connection of its own whose every command is counted."""
    counter = RoundTrips()
    client = pymongo.MongoClient(mongodb_uri, event_listeners=[counter], uuidRepresentation="standard")
    database = client[db_prefix + "scoring"]
    service = scoring_worker(database, test_config)
    yield service, counter, database.name
    client.close()


def marking_competition(service) -> tuple[str, list[str], list[dict]]:
    """45 contestants and 300 aspects (10 sub-criteria of 30, every third a judgement aspect), marking open."""
    code = f"RT{rid()[:8]}"
    people = [contestant(code, i) for i in range(45)]
    service.registration.roster_snapshot.return_value = snapshot(code, people)
    scheme = service.put_marking_scheme(ORG, code, big_scheme(10, 30))["scheme"]
    service.open_marking(ORG, code)
    aspects = [a for s in scheme["sub_criteria"] for a in s["aspects"]]
    return code, [p["contestant_id"] for p in people], aspects


def mark(contestant_id: str, aspect: dict, round_: int) -> dict:
    if aspect["type"] == "J":
        return {"contestant_id": contestant_id, "aspect": aspect["id"], "score": 2 + round_ % 2}
    return {"contestant_id": contestant_id, "aspect": aspect["id"], "value": aspect["max_mark"] if round_ % 2 else "0"}


def round_trips(service, counter: RoundTrips, database: str, code: str, marks: list[dict]) -> int:
    before = counter.total(database)
    answer = service.record_marks(JUDGE, code, {"request_id": rid(), "marks": marks})
    assert answer["changed"] == len(marks), "every mark counted must be a write"
    return counter.total(database) - before


def warmed_up(service, code: str, contestants: list[str], aspects: list[dict]) -> None:
    service.record_marks(JUDGE, code, {"request_id": rid(), "marks": [mark(contestants[0], aspects[0], 0)]})
    service.record_marks(JUDGE, code, {"request_id": rid(), "marks": [mark(contestants[0], a, 0) for a in aspects]})


def test_a_single_mark_takes_at_most_three_round_trips(counted):
    service, counter, database = counted
    code, contestants, aspects = marking_competition(service)
    warmed_up(service, code, contestants, aspects)
    counts = [round_trips(service, counter, database, code, [mark(contestants[1], aspects[i], i)]) for i in range(3)]
    assert min(counts) > 0 and max(counts) <= SINGLE_MARK_TARGET, f"round trips of three single marks: {counts}"


def test_a_batch_of_300_marks_takes_at_most_five_round_trips(counted):
    service, counter, database = counted
    code, contestants, aspects = marking_competition(service)
    warmed_up(service, code, contestants, aspects)
    sheet = round_trips(service, counter, database, code, [mark(contestants[1], a, 1) for a in aspects])
    across = round_trips(service, counter, database, code,
                         [mark(c, a, 1) for a in aspects[:30] for c in contestants[2:12]])
    assert min(sheet, across) > 0 and max(sheet, across) <= BATCH_TARGET, (f"round trips of 300 marks: {sheet} for one contestant's sheet, "
                                                f"{across} for one sub-criterion across 10 contestants")


def opening_round_trips(service, counter: RoundTrips, database: str, contestants: int) -> int:
    code = f"RT{rid()[:8]}"
    service.registration.roster_snapshot.return_value = snapshot(code, [contestant(code, i) for i in range(contestants)])
    service.put_marking_scheme(ORG, code, big_scheme(3, 5))
    before = counter.total(database)
    service.open_marking(ORG, code)
    return counter.total(database) - before


def test_opening_marking_takes_the_same_round_trips_for_any_roster(counted):
    """Opening takes registration's roster in one bulk write, not a few writes per contestant."""
    service, counter, database = counted
    opening_round_trips(service, counter, database, 2)  # warm-up: indexes
    small, large = (opening_round_trips(service, counter, database, n) for n in (3, 40))
    assert 0 < small == large, f"round trips to open marking: {small} with 3 contestants, {large} with 40"
