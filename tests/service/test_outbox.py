"""The outbox: a change and its event are one write. A process that dies between the write and the
publish, or a broker that refuses the publish, leaves the event in the changed document, and the
relay of the restarted service sends it exactly once (scoring's results, awards' honours)."""
from __future__ import annotations

import pytest
from nameko.testing.services import worker_factory

from services.awards.adapters.repository import AwardsRepository
from services.awards.service import AwardsService
from services.scoring.adapters.repository import COMPETITIONS, ScoringRepository
from services.scoring.service import ScoringService
from shared.events import check_event, new_event
from shared.outbox import OUTBOX_FIELD
from tests.e2e.awards_fixtures import key, results, row
from tests.service.test_scoring_service import CHIEF, dispatched, mark_all, setup


class ProcessDied(BaseException):
    """The process ended at this point (as by SIGKILL): nothing after it ran."""


class DyingCollection:
    """A collection whose ``method`` stores its write and then the process dies, when ``when(write)``."""

    def __init__(self, collection, method: str, when):
        self._collection = collection
        self._method = method
        self._when = when

    def __getattr__(self, name):
        real = getattr(self._collection, name)
        if name != self._method:
            return real

        def write(query, change, *args, **kwargs):
            result = real(query, change, *args, **kwargs)
            if self._when(change):
                raise ProcessDied(f"died right after {name}({query})")
            return result

        return write


class DyingAfterWrite:
    """The service's database, except that the process dies right after an ``update_one`` of
    ``collection`` for which ``when(update)`` holds has been stored."""

    def __init__(self, db, collection: str, when):
        self._db = db
        self._collection = collection
        self._when = when

    def __getitem__(self, name):
        collection = self._db[name]
        return DyingCollection(collection, "update_one", self._when) if name == self._collection else collection

    def __getattr__(self, name):
        return getattr(self._db, name)


def finalising(update: dict) -> bool:
    return update.get("$set", {}).get("status") == "final"


def results_events(worker, code: str) -> list[dict]:
    return [e for e in dispatched(worker, "results_published") if e["competition"]["code"] == code]


@pytest.fixture
def make_worker(databases, test_config):
    def make(db=None, registration=None) -> ScoringService:
        worker = worker_factory(ScoringService, db=db or databases["scoring"], repo=ScoringRepository(databases["scoring"]),
                                config=test_config)
        if registration is not None:
            worker.registration = registration
        return worker

    return make


@pytest.fixture
def ready_to_finalise(make_worker):
    service = make_worker()
    code, ids = setup(service)
    mark_all(service, code, ids)
    service.lock_sub_criterion(CHIEF, code, "A1")
    service.lock_sub_criterion(CHIEF, code, "B1")
    return service, code


def restarted(make_worker, registration) -> ScoringService:
    """The service started again: its relay takes every waiting event at once (no grace period)."""
    worker = make_worker(registration=registration)
    worker.outbox_grace_seconds = 0
    return worker


def test_a_crash_right_after_the_results_became_final_still_publishes_them_once(make_worker, databases,
                                                                               ready_to_finalise):
    service, code = ready_to_finalise
    dying = make_worker(DyingAfterWrite(databases["scoring"], COMPETITIONS, finalising), service.registration)
    with pytest.raises(ProcessDied):
        dying.finalise(CHIEF, code)
    assert results_events(dying, code) == []
    assert databases["scoring"][COMPETITIONS].find_one({"_id": code})["status"] == "final"

    again = restarted(make_worker, service.registration)
    again.flush_outbox()
    [event] = results_events(again, code)
    check_event("results_published", event)
    assert event["revision"] == 1 and len(event["results"]) == 4
    again.flush_outbox()
    assert again.finalise(CHIEF, code)["replayed"] is True
    assert len(results_events(again, code)) == 1
    assert databases["scoring"][COMPETITIONS].find_one({"_id": code})[OUTBOX_FIELD] == []


def test_a_refused_publish_waits_in_the_document_and_goes_out_once(make_worker, databases, ready_to_finalise):
    service, code = ready_to_finalise
    service.dispatch.side_effect = ConnectionError("broker down")
    assert service.finalise(CHIEF, code)["replayed"] is False
    [waiting] = databases["scoring"][COMPETITIONS].find_one({"_id": code})[OUTBOX_FIELD]
    assert waiting["name"] == "results_published"

    service.flush_outbox()  # within the grace period the relay leaves it alone
    assert databases["scoring"][COMPETITIONS].find_one({"_id": code})[OUTBOX_FIELD] != []
    again = restarted(make_worker, service.registration)
    again.flush_outbox()
    again.flush_outbox()
    [event] = results_events(again, code)
    assert event["event_id"] == waiting["event_id"]


def test_the_relay_query_is_indexed(make_worker, databases):
    make_worker().flush_outbox()
    indexes = databases["scoring"][COMPETITIONS].index_information()
    assert any(spec["key"] == [(f"{OUTBOX_FIELD}.at", 1)] for spec in indexes.values())


def test_awards_killed_right_after_accepting_results_still_grants_each_honour_once(databases):
    granted_to, other = key(), key()
    event = new_event("results_published", results("N1" + key()[:8], [row(granted_to, 1), row(other, 30)]))
    dying_repo = AwardsRepository(databases["awards"])
    dying_repo.competitions = DyingCollection(dying_repo.competitions, "replace_one", lambda document: True)
    dying = worker_factory(AwardsService, repo=dying_repo)
    with pytest.raises(ProcessDied):
        dying.on_results_published(event)
    assert dispatched(dying, "honour_granted") == []

    again = worker_factory(AwardsService, repo=AwardsRepository(databases["awards"]))
    again.outbox_grace_seconds = 0
    again.on_results_published(event)  # the broker redelivers the event it never saw acknowledged
    again.flush_outbox()
    again.flush_outbox()
    [granted] = [g for g in dispatched(again, "honour_granted") if g["person_key"] in (granted_to, other)]
    check_event("honour_granted", granted)
    assert granted["person_key"] == granted_to
