"""Faults against the real broker and the local database server, each asserting exact final counts:
a service SIGKILLed in the middle of a batch of marks and restarted by the supervisor; awards down
while results are published, then started; two scoring instances sharing the work."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import eventlet
import pytest
import requests
from nameko.events import event_handler
from nameko.runners import ServiceRunner
from nameko.standalone.events import event_dispatcher

from services.__main__ import service_class
from services.awards import storage as awards_storage
from shared.events import new_event
from tests.conftest import Api, free_port, private_vhost, session_db_prefix
from tests.e2e.awards_fixtures import key, results, row
from tests.e2e.helpers import wait_for
from tests.e2e.scoring_fixtures import marked_competition

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECEIVED_HONOURS: list[dict] = []


class HonourListener:
    """Counts every honour_granted that reaches the broker."""

    name = "honour_listener"

    @event_handler("awards", "honour_granted")
    def on_honour_granted(self, event: dict) -> None:
        RECEIVED_HONOURS.append(event)


@pytest.fixture
def own_vhost():
    with private_vhost() as uri:
        yield uri


def runner_for(config: dict, *classes) -> ServiceRunner:
    runner = ServiceRunner(config)
    for cls in classes:
        runner.add_service(cls)
    return runner


def test_awards_down_while_results_are_published_processes_each_event_once(test_config, databases, own_vhost):
    config = {**test_config, "AMQP_URI": own_vhost}
    awards = runner_for(config, service_class("awards"))
    awards.start()
    awards.stop()  # its queues stay: the events wait there while it is down
    listener = runner_for(config, HonourListener)
    listener.start()
    codes = [f"FD{uuid.uuid4().hex[:8]}" for _ in range(6)]
    events = [new_event("results_published", results(code, [row(key(), rank) for rank in range(1, 6)]))
              for code in codes]
    dispatch = event_dispatcher(config)
    for event in [*events, events[0]]:  # the first one delivered twice
        dispatch("scoring", "results_published", event)
    awards = runner_for(config, service_class("awards"))
    awards.start()
    try:
        processed = databases["awards"]["processed_events"]
        ids = {"_id": {"$in": [e["event_id"] for e in events]}}
        wait_for(lambda: processed.count_documents(ids), lambda n: n == len(events), seconds=60)
        stored = wait_for(lambda: list(databases["awards"]["competitions"].find({"_id": {"$in": codes}})),
                          lambda docs: not any(d["_outbox"] for d in docs), seconds=30)
        assert sorted(d["_id"] for d in stored) == sorted(codes)
        assert [(len(d["history"]), d["_outbox"]) for d in stored] == [(1, [])] * len(codes)
        assert processed.count_documents(ids) == len(events)
        achievements = databases["awards"][awards_storage.AchievementRecord._meta["collection"]]
        assert achievements.count_documents({"competition.code": {"$in": codes}}) == 5 * len(codes)
        honoured = {(a["person_key"], a["competition"]["code"])
                    for a in achievements.find({"competition.code": {"$in": codes}})
                    if any(a["honours"].values())}
        honours = wait_for(lambda: [h for h in RECEIVED_HONOURS if h["competition_code"] in codes],
                           lambda got: len(got) >= len(honoured), seconds=30)
        assert honoured and len(honours) == len(honoured)
        assert {(h["person_key"], h["competition_code"]) for h in honours} == honoured
    finally:
        awards.stop()
        listener.stop()
