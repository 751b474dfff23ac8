"""An approval under a crash: it writes three documents in turn (the round's counters, the nomination
with its event and the note that the person's record is still to be updated, then the person's
record). A crash is simulated by raising where the process would die, right after one of the writes;
the settling timer of a restarted service finishes the approval or gives its claim back, and the final
state is asserted exactly: counters, the person's record, events once."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from nameko.testing.services import worker_factory
from pymongo import MongoClient

from services.awards.adapters.repository import PERSON_UPDATE, AwardsRepository
from services.awards.service import AwardsService
from tests.e2e.awards_fixtures import key, profile
from tests.service.test_outbox import DyingAfterWrite, ProcessDied

COMMITTEE = {"username": "cmte", "role": "committee"}
ORGANISER = {"username": "org", "role": "organiser"}
AMOUNT = 50000


def awards(db, grace: float = 0.0):
    worker = worker_factory(AwardsService, repo=AwardsRepository(db))
    worker.today = lambda: date.today()
    worker.approval_grace_seconds = grace
    worker.outbox_grace_seconds = 0
    return worker


def publicised(service) -> tuple[str, str]:
    """A chief-technician round (quota 1) with one nominee ready for approval."""
    person = key()
    service.save_person(ORGANISER, profile(person))
    rid = service.open_round(COMMITTEE, {"programme": "chief_technician", "year": 2024, "quota": 1,
                                         "budget_yuan": 100000, "amount_per_person_yuan": AMOUNT})["round_id"]
    service.nominate(ORGANISER, rid, {"person_key": person, "channel": "employer"})
    start = (date.today() - timedelta(days=10)).isoformat()
    for step in ({"action": "shortlist"}, {"action": "review"},
                 {"action": "publicise", "notice_start": start, "notice_days": 5}):
        service.decide(COMMITTEE, rid, person, step)
    return rid, person


def dying(db, collection: str, when) -> AwardsService:
    worker = worker_factory(AwardsService, repo=AwardsRepository(DyingAfterWrite(db, collection, when)))
    worker.today = lambda: date.today()
    return worker


def approving(update: dict) -> bool:
    return update.get("$set", {}).get("status") == "approved"


def claiming(update: dict) -> bool:
    return "approved_count" in update.get("$inc", {})


def approvals_sent(worker, person: str) -> list[dict]:
    return [c.args[1] for c in worker.dispatch.call_args_list
            if c.args[0] == "nomination_decided" and c.args[1]["person_key"] == person and c.args[1]["action"] == "approve"]


def counters(db, rid: str) -> tuple:
    rnd = db["rounds"].find_one({"_id": rid})
    return rnd["approved_count"], rnd["approved_sum_yuan"], rnd["approved_keys"], rnd.get("approval_claims", [])


def decisions_in_record(db, person: str, rid: str) -> list[dict]:
    found = db["people"].find_one({"_id": person})
    return [h for h in found.get("history", []) if h.get("kind") == "decision" and h.get("round_id") == rid]


@pytest.fixture
def db(mongodb_uri, db_prefix):
    """A database of the test's own: no other awards instance (the e2e platform's timers) works on it."""
    with MongoClient(mongodb_uri, uuidRepresentation="standard") as client:
        name = f"{db_prefix}awards_approvals_{uuid.uuid4().hex[:6]}"
        yield client[name]
        client.drop_database(name)


def test_an_approval_whose_process_died_before_the_person_record_is_finished_by_the_timer(db):
    service = awards(db)
    rid, person = publicised(service)
    with pytest.raises(ProcessDied):
        dying(db, "nominations", approving).decide(COMMITTEE, rid, person, {"action": "approve", "why": "ok"})
    nomination = db["nominations"].find_one({"_id": f"{rid}:{person}"})
    assert nomination["status"] == "approved" and nomination[PERSON_UPDATE]["round_id"] == rid
    assert db["people"].find_one({"_id": person}).get("chief_technician_funded_year") is None
    assert decisions_in_record(db, person, rid) == []

    again = awards(db, grace=60)  # restarted: an approval younger than the grace period may still be running
    again.settle_approvals()
    assert PERSON_UPDATE in db["nominations"].find_one({"_id": f"{rid}:{person}"})

    again = awards(db)
    again.settle_approvals()
    again.settle_approvals()
    again.flush_outbox()
    again.flush_outbox()
    nomination = db["nominations"].find_one({"_id": f"{rid}:{person}"})
    assert PERSON_UPDATE not in nomination and nomination["_outbox"] == []
    assert db["people"].find_one({"_id": person})["chief_technician_funded_year"] == 2024
    assert len(decisions_in_record(db, person, rid)) == 1
    assert counters(db, rid) == (1, AMOUNT, [person], [])
    [sent] = approvals_sent(again, person)
    assert sent["status"] == "approved"
    [listed] = again.list_nominees(COMMITTEE, rid, {})["items"]
    assert (listed["person_key"], listed["status"]) == (person, "approved")


def test_a_claim_whose_process_died_before_the_nomination_moved_is_given_back(db):
    service = awards(db)
    rid, person = publicised(service)
    with pytest.raises(ProcessDied):
        dying(db, "rounds", claiming).decide(COMMITTEE, rid, person, {"action": "approve"})
    count, total, keys, [claim] = counters(db, rid)
    assert (count, total, keys, claim["person_key"]) == (1, AMOUNT, [person], person)
    assert db["nominations"].find_one({"_id": f"{rid}:{person}"})["status"] == "publicised"

    awards(db, grace=60).settle_approvals()  # too young: the approval may still be under way
    assert counters(db, rid)[0] == 1

    again = awards(db)
    again.settle_approvals()
    again.settle_approvals()  # given back once
    assert counters(db, rid) == (0, 0, [], [])
    assert db["people"].find_one({"_id": person}).get("chief_technician_funded_year") is None
    again.flush_outbox()
    assert approvals_sent(again, person) == []

    # the quota is free again: the committee approves the nominee (or another one)
    assert again.decide(COMMITTEE, rid, person, {"action": "approve"})["status"] == "approved"
    assert counters(db, rid) == (1, AMOUNT, [person], [counters(db, rid)[3][0]])
    again.settle_approvals()
    assert counters(db, rid) == (1, AMOUNT, [person], [])  # the claim's nomination moved: it is kept
    assert len(decisions_in_record(db, person, rid)) == 1
    assert len(approvals_sent(again, person)) == 1


def test_an_approval_whose_process_died_after_the_person_record_is_not_recorded_twice(db, monkeypatch):
    service = awards(db)
    rid, person = publicised(service)
    real = AwardsRepository.save_people

    def saved_then_died(self, people):
        real(self, people)
        raise ProcessDied("died right after the person's record")

    monkeypatch.setattr(AwardsRepository, "save_people", saved_then_died)
    first = awards(db)
    with pytest.raises(ProcessDied):
        first.decide(COMMITTEE, rid, person, {"action": "approve"})
    monkeypatch.setattr(AwardsRepository, "save_people", real)
    assert PERSON_UPDATE in db["nominations"].find_one({"_id": f"{rid}:{person}"})

    again = awards(db)
    again.settle_approvals()
    again.flush_outbox()
    assert PERSON_UPDATE not in db["nominations"].find_one({"_id": f"{rid}:{person}"})
    assert len(decisions_in_record(db, person, rid)) == 1
    assert db["people"].find_one({"_id": person})["chief_technician_funded_year"] == 2024
    assert counters(db, rid) == (1, AMOUNT, [person], [])
    assert len(approvals_sent(first, person) + approvals_sent(again, person)) == 1  # sent before the crash
    rnd = again.repo.round(rid)  # the ranked lists followed too
    [ranked] = again.repo.read_list(rid, "nominees", rnd["ranking"]["nominees_chunks"])
    assert (ranked["person_key"], ranked["status"]) == (person, "approved")


def test_an_approval_that_completes_leaves_nothing_for_the_timer(db):
    service = awards(db)
    rid, person = publicised(service)
    assert service.decide(COMMITTEE, rid, person, {"action": "approve"})["status"] == "approved"
    assert PERSON_UPDATE not in db["nominations"].find_one({"_id": f"{rid}:{person}"})
    assert len(decisions_in_record(db, person, rid)) == 1
    service.settle_approvals()
    assert counters(db, rid) == (1, AMOUNT, [person], [])
    assert len(decisions_in_record(db, person, rid)) == 1
    assert len(approvals_sent(service, person)) == 1
