"""Awards keeps answering while it digests a burst of results_published (issue 8): the health
check is answered while every event of the burst is still being worked on.

Each event's domain work is held until the health check has answered (or 30 s in vain): when the
work ran on the eventlet hub (the wait would hold the whole process), or when the burst held every
worker, the health check could only answer after an event waited in vain, and the test fails.
Nothing here measures a time."""
from __future__ import annotations

import uuid

import pytest
from eventlet import patcher
from nameko.runners import ServiceRunner
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy

from services.__main__ import service_class
from services.awards.handlers import results as results_handler
from shared.events import new_event
from tests.conftest import private_vhost
from tests.e2e.awards_fixtures import key, results, row
from tests.e2e.helpers import wait_for

OS_THREADING = patcher.original("threading")  # an event the handler's thread and this test both see


@pytest.fixture
def own_vhost():
    with private_vhost() as uri:
        yield uri


def test_health_answers_while_a_burst_of_results_is_processed(test_config, databases, own_vhost, monkeypatch):
    config = {**test_config, "AMQP_URI": own_vhost, "max_workers": 4}
    health_answered = OS_THREADING.Event()
    events = [new_event("results_published", results(f"HB{uuid.uuid4().hex[:8]}", [row(key(), r) for r in range(1, 30)]))
              for _ in range(8)]
    ours = {event["event_id"] for event in events}  # the session's own awards may be handling others meanwhile
    started: list[str] = []
    released_by_health: list[bool] = []
    recorded = results_handler._recorded

    def held_until_health_answers(policy, event, *args):
        if event["event_id"] in ours:
            started.append(event["event_id"])
            released_by_health.append(health_answered.wait(30))  # False: waited in vain, health never came
        return recorded(policy, event, *args)

    monkeypatch.setattr(results_handler, "_recorded", held_until_health_answers)
    runner = ServiceRunner(config)
    runner.add_service(service_class("awards"))
    runner.start()
    try:
        dispatch = event_dispatcher(config)
        for event in events:
            dispatch("scoring", "results_published", event)
        assert wait_for(lambda: len(started), lambda n: n >= 1, seconds=60) >= 1
        processed = databases["awards"]["processed_events"]
        ids = {"_id": {"$in": [e["event_id"] for e in events]}}
        with ClusterRpcProxy(config, timeout=120) as cluster:
            health = cluster.awards.health()
            finished_before_health = processed.count_documents(ids)
        health_answered.set()
        assert health == {"status": "ok", "database": {"status": "ok"}}
        assert finished_before_health == 0
        assert wait_for(lambda: processed.count_documents(ids), lambda n: n == len(events), seconds=120) == len(events)
        assert released_by_health == [True] * len(events)
    finally:
        health_answered.set()
        runner.stop()
