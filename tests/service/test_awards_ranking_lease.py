"""A round's ranked lists are merged by one worker at a time across instances of the service: two
processes merging rows into the same round at the same moment, over the wire to the database server,
lose nobody's merge; a holder whose lease ran out and was taken over leaves the round due for a full
ranking instead of storing its merge as current."""
from __future__ import annotations

import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from nameko.testing.services import worker_factory
from pymongo import MongoClient

from services.awards.adapters.repository import RANKING_LEASE, AwardsRepository
from services.awards.projections.ranking import LISTS, is_due, one_at_a_time
from services.awards.service import AwardsService
from tests.e2e.awards_fixtures import key, profile

ROOT = Path(__file__).resolve().parents[2]
COMMITTEE = {"username": "cmte", "role": "committee"}
ORGANISER = {"username": "org", "role": "organiser"}
PER_PROCESS = 12


@pytest.fixture
def db(mongodb_uri, db_prefix):
    """A database of the test's own: no other awards instance (the e2e platform's timers) works on it."""
    with MongoClient(mongodb_uri, uuidRepresentation="standard") as client:
        name = f"{db_prefix}awards_lease_{uuid.uuid4().hex[:6]}"
        yield client[name]
        client.drop_database(name)


@pytest.fixture
def service(db):
    worker = worker_factory(AwardsService, repo=AwardsRepository(db))
    worker.today = lambda: date.today()
    return worker


def stored_field(repo: AwardsRepository, rid: str) -> list[dict]:
    return repo.read_list(rid, "field", repo.round(rid)["ranking"]["field_chunks"])


def test_two_instances_merging_one_round_at_the_same_moment_lose_no_merge(service, mongodb_uri):
    people = [key() for _ in range(2 * PER_PROCESS)]
    for index, person in enumerate(people):
        service.save_person(ORGANISER, profile(person, patents=index % 7, name=f"候选{index}"))
    rid = service.open_round(COMMITTEE, {"programme": "chief_technician", "year": 2024})["round_id"]
    before = stored_field(service.repo, rid)
    assert {p for p in people} <= {r["person_key"] for r in before}

    start_at = time.time() + 3  # both processes import and read first, then merge from the same moment
    halves = {"instance-a": people[0::2], "instance-b": people[1::2]}
    workers = [subprocess.Popen([sys.executable, "-m", "tests.service.awards_merge_worker", mongodb_uri,
                                 service.repo.db.name, rid, tag, str(start_at), *keys], cwd=ROOT)
               for tag, keys in halves.items()]
    assert [w.wait(timeout=300) for w in workers] == [0, 0]

    after = stored_field(service.repo, rid)
    assert len(after) == len(before) == len({r["person_key"] for r in after})
    named = {r["person_key"]: r["name"] for r in after}
    assert {person: named[person] for person in people} == {
        person: tag for tag, keys in halves.items() for person in keys}
    rnd = service.repo.round(rid)
    assert RANKING_LEASE not in rnd and not is_due(rnd)
    assert rnd["ranking"]["field_count"] == len(after)
    assert [r["position"] for r in after] == sorted(r["position"] for r in after)


def test_a_holder_whose_lease_ran_out_and_was_taken_leaves_the_round_due_for_a_full_ranking(service, db):
    person = key()
    service.save_person(ORGANISER, profile(person))
    rid = service.open_round(COMMITTEE, {"programme": "chief_technician", "year": 2024})["round_id"]
    stalled, other = AwardsRepository(db), AwardsRepository(db)
    assert stalled.take_ranking_lease(rid, "stalled", -1) is not None  # taken, and run out at once
    assert other.take_ranking_lease(rid, "other", 30) is not None
    assert stalled.take_ranking_lease(rid, "stalled", 30) is None  # the other's lease runs
    ranking = service.repo.round(rid)["ranking"]
    assert stalled.set_ranking(rid, {**ranking, "state": "current"}, "stalled") is False
    assert service.repo.round(rid)["ranking"]["state"] == "stale"
    other.release_ranking_lease(rid, "other")
    assert RANKING_LEASE not in service.repo.round(rid)

    service.rank_stale_rounds()  # the timer ranks it from scratch
    rnd = service.repo.round(rid)
    assert not is_due(rnd) and RANKING_LEASE not in rnd
    assert person in {r["person_key"] for r in stored_field(service.repo, rid)}
    assert all(rnd["ranking"][f"{name}_count"] >= 0 for name in LISTS)


def test_a_merge_waits_for_another_instances_lease_and_a_failed_merge_gives_the_lease_back(service, db):
    import eventlet

    rid = service.open_round(COMMITTEE, {"programme": "chief_technician", "year": 2024})["round_id"]
    other = AwardsRepository(db)
    assert other.take_ranking_lease(rid, "other instance", 30) is not None
    entered = []

    def merge():
        with one_at_a_time(AwardsRepository(db), rid):
            entered.append(True)

    waiting = eventlet.spawn(merge)
    eventlet.sleep(0.5)
    assert entered == []  # held off while the other instance holds the round
    other.release_ranking_lease(rid, "other instance")
    waiting.wait()
    assert entered == [True] and RANKING_LEASE not in service.repo.round(rid)

    with pytest.raises(RuntimeError), one_at_a_time(service.repo, rid):
        raise RuntimeError("the merge failed")
    assert RANKING_LEASE not in service.repo.round(rid)
