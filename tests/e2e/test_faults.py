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
from nameko.extensions import DependencyProvider
from nameko.runners import ServiceRunner
from nameko.standalone.events import event_dispatcher

from services.__main__ import service_class
from services.awards.adapters.documents import AchievementRecord, collection_name
from shared.events import new_event
from tests.conftest import Api, free_port, private_vhost, session_db_prefix, user_maker
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
        achievements = databases["awards"][collection_name(AchievementRecord)]
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


# --------------------------------------------------------------------------- a service killed mid-batch

def start_system(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "services"], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL,
                               env={**os.environ, "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(port),
                                    "ADMIN_PASSWORD": "faults-Pw-7291-kept", "LOG_LEVEL": "WARNING", **env})
    base = f"http://127.0.0.1:{port}/api/v1"
    health = wait_for(lambda: _health(base), lambda status: status == 200, seconds=90)
    assert health == 200, "the system did not become healthy"
    return process, base


def _health(base: str) -> int:
    try:
        return requests.get(base + "/health", timeout=5).status_code
    except requests.ConnectionError:
        return 0


def child_pid(parent: int, service: str) -> int | None:
    found = subprocess.run(["pgrep", "-P", str(parent), "-f", f"services --one {service}"],
                           capture_output=True, text=True).stdout.split()
    return int(found[0]) if found else None


def post_until_answered(api: Api, path: str, body: dict, seconds: float = 120) -> requests.Response:
    """What a client does: retry with the same request_id after a 503, an in-progress 409 or a dropped connection."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            reply = api.post(path, json=body)
            retry = reply.status_code == 503 or (reply.status_code == 409 and reply.json()["error"]["code"] == "CONFLICT")
        except requests.RequestException:
            reply, retry = None, True
        if not retry or time.monotonic() > deadline:
            return reply
        time.sleep(0.5)


@pytest.fixture
def system(own_vhost, tmp_path):
    env = {"AMQP_URI": own_vhost, "DATA_DIR": str(tmp_path / "data"), "MONGODB_DB_PREFIX": session_db_prefix(),
           "MONGODB_URI": os.environ.get("MONGODB_URI", ""), "RPC_TIMEOUT_SECONDS": "8",
           "REQUEST_LEASE_SECONDS": "10"}
    process, base = start_system(env)
    yield process, base
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_scoring_killed_mid_batch_and_restarted_loses_and_doubles_no_mark(system):
    process, base = system
    admin = Api(base).sign_in("admin", "faults-Pw-7291-kept")
    make_user = user_maker(admin)
    c = marked_competition(make_user("organiser"), make_user, contestants=12)
    code, ids, judges = c["code"], c["contestants"], c["judges"]
    batch = [(judges[0], {"request_id": uuid.uuid4().hex, "marks": [
        {"contestant_id": cid, "aspect": f"A1.{n}", "value": 5} for n in (1, 2, 3)]}) for cid in ids]
    batch += [(judge, {"request_id": uuid.uuid4().hex, "marks": [
        {"contestant_id": cid, "aspect": aspect, "score": 2} for aspect in ("B1.1", "B1.2")]})
        for judge in judges for cid in ids]
    scoring_before = child_pid(process.pid, "scoring")
    answered = []

    def send(item):
        api, body = item
        reply = post_until_answered(api, f"/competitions/{code}/marks", body)
        answered.append(reply)
        return reply

    def kill_scoring_midway():
        wait_for(lambda: len(answered), lambda n: n >= len(batch) // 3, seconds=60)
        os.kill(scoring_before, signal.SIGKILL)

    killer = eventlet.spawn(kill_scoring_midway)
    replies = list(eventlet.GreenPool(8).imap(send, batch))
    killer.wait()
    assert [r.status_code if r is not None else None for r in replies] == [200] * len(batch)
    restarted = child_pid(process.pid, "scoring")
    assert restarted and restarted != scoring_before
    chief = c["chief"]
    progress = chief.get(f"/competitions/{code}/progress").json()
    assert (progress["expected"], progress["in"], progress["missing"]) == (12 * 5, 12 * 5, 0)
    marks = chief.get(f"/competitions/{code}/marks").json()["items"]
    stored = sorted((m["entry"], m["aspect"], m.get("judge"), str(m.get("value", m.get("score")))) for m in marks)
    sent = sorted([*((cid, f"A1.{n}", None, "5.00") for cid in ids for n in (1, 2, 3)),
                   *((cid, aspect, judge.username, "2") for judge in judges for cid in ids
                     for aspect in ("B1.1", "B1.2"))])
    assert stored == sent
    audit = chief.get(f"/competitions/{code}/audit", params={"kind": "marks"}).json()["items"]
    audited = [(row["request_id"], row["entry"], row["aspect"], row.get("judge")) for row in audit]
    assert len(audited) == len(set(audited)) == 12 * 9  # each mark's audit entry is written with it: none lost, none twice


# --------------------------------------------------------------------------- two scoring instances

class WorkerCount(DependencyProvider):
    """Counts the workers its container ran."""

    def setup(self):
        self.count = 0

    def worker_setup(self, worker_ctx):
        if worker_ctx.entrypoint.method_name == "record_marks":
            self.count += 1


def counted_scoring():
    class Scoring(service_class("scoring")):
        worked = WorkerCount()

    return Scoring


def test_two_scoring_instances_share_the_marks_and_double_nothing(test_config, databases, own_vhost):
    config = {**test_config, "AMQP_URI": own_vhost, "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}"}
    first = runner_for(config, *(service_class(n) for n in ("registration", "gateway", "awards")), counted_scoring())
    second = runner_for(config, counted_scoring())
    first.start()
    second.start()
    try:
        admin = Api(f"http://{config['WEB_SERVER_ADDRESS']}/api/v1").sign_in("admin", test_config["ADMIN_PASSWORD"])
        make_user = user_maker(admin)
        c = marked_competition(make_user("organiser"), make_user, contestants=10)
        code, ids, judges = c["code"], c["contestants"], c["judges"]
        batch = [(judge, {"request_id": uuid.uuid4().hex, "marks": [
            {"contestant_id": cid, "aspect": aspect, "score": 3} for aspect in ("B1.1", "B1.2")]})
            for judge in judges for cid in ids]
        sends = [*batch, *batch]  # every request sent twice, the copies racing each other
        replies = list(eventlet.GreenPool(10).imap(
            lambda item: post_until_answered(item[0], f"/competitions/{code}/marks", item[1]), sends))
        assert [r.status_code for r in replies] == [200] * len(sends)
        assert [r.json() for r in replies[:len(batch)]] == [r.json() for r in replies[len(batch):]]
        counts = [dependency.count for runner in (first, second) for container in runner.containers
                  for dependency in container.dependencies if isinstance(dependency, WorkerCount)]
        assert len(counts) == 2 and all(count > 0 for count in counts), counts
        marks = c["chief"].get(f"/competitions/{code}/marks", params={"sub_criterion": "B1"}).json()["items"]
        assert len(marks) == len(judges) * len(ids) * 2
        audit = c["chief"].get(f"/competitions/{code}/audit", params={"kind": "marks"}).json()["items"]
        assert len(audit) == len(judges) * len(ids) * 2
        assert len({row["request_id"] for row in audit}) == len(batch)
    finally:
        second.stop()
        first.stop()


# --------------------------------------------------------------------------- broker connections cut

def broker_connections(vhost: str) -> set[str]:
    listing = subprocess.run(["rabbitmqctl", "list_connections", "-q", "-p", vhost, "name"], check=True,
                             capture_output=True, text=True, timeout=60).stdout
    return {line.strip() for line in listing.splitlines() if line.strip() and line.strip() != "name"}


def test_broker_connections_cut_while_judges_mark_heal_by_themselves(system, own_vhost):
    """Every connection of the system is closed by the broker while judges mark: clients get 2xx or
    503 with Retry-After (never a 500 nor a hang), every service is healthy again by itself, and
    every mark is stored once the clients have retried what was not answered 200."""
    process, base = system
    admin = Api(base).sign_in("admin", "faults-Pw-7291-kept")
    make_user = user_maker(admin)
    c = marked_competition(make_user("organiser"), make_user, contestants=12)
    code, ids, judges = c["code"], c["contestants"], c["judges"]
    work = [(judge, [{"contestant_id": cid, "aspect": aspect, "score": 1}]) for judge in judges for cid in ids
            for aspect in ("B1.1", "B1.2")]
    statuses, last = [], {}
    marking = [True]

    def judge_marks(share: list) -> None:
        while marking[0]:  # judges keep marking (re-entering the same scores) until the system has healed
            for index, (api, marks) in share:
                try:
                    reply = api.post(f"/competitions/{code}/marks", json={"request_id": uuid.uuid4().hex, "marks": marks})
                except requests.RequestException:
                    statuses.append("no answer")
                    continue
                statuses.append(reply.status_code)
                assert reply.status_code < 500 or (reply.status_code == 503 and reply.headers.get("Retry-After")), \
                    reply.text
                last[index] = reply.status_code

    judges_at_work = [eventlet.spawn(judge_marks, list(enumerate(work))[n::6]) for n in range(6)]
    wait_for(lambda: len(statuses), lambda n: n >= len(work), seconds=60)
    vhost = own_vhost.rsplit("/", 1)[1]
    before = broker_connections(vhost)
    subprocess.run(["rabbitmqctl", "close_all_connections", "-p", vhost, "fault test"],
                   check=True, capture_output=True, timeout=60)
    cut_at = len(statuses)
    eventlet.sleep(2)
    healed = wait_for(lambda: _health(base), lambda status: status == 200, seconds=120)
    eventlet.sleep(2)
    marking[0] = False
    for judge in judges_at_work:
        judge.wait()
    assert healed == 200
    assert len(statuses) > cut_at and 500 not in statuses
    assert before - broker_connections(vhost)  # the broker did cut the system's connections
    for index, (api, marks) in enumerate(work):
        if last.get(index) != 200:
            retried = post_until_answered(api, f"/competitions/{code}/marks",
                                          {"request_id": uuid.uuid4().hex, "marks": marks})
            assert retried.status_code == 200, retried.text
    stored = c["chief"].get(f"/competitions/{code}/marks", params={"sub_criterion": "B1"}).json()["items"]
    assert sorted((m["entry"], m["aspect"], m["judge"], m["score"]) for m in stored) == sorted(
        (cid, aspect, judge.username, 1) for judge in judges for cid in ids for aspect in ("B1.1", "B1.2"))
