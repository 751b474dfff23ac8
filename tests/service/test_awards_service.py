"""The awards service through nameko's worker_factory: results, profiles, rounds, decisions."""
import uuid
from collections import Counter
from datetime import date, timedelta

import pytest
from nameko.testing.services import worker_factory
from pymongo import MongoClient, monitoring

from services.awards.adapters.repository import AwardsRepository
from services.awards.projections.ranking import rank_round
from services.awards.service import AwardsService
from shared.errors import ServiceError
from shared.events import check_event, new_event
from tests.e2e.awards_fixtures import key, profile, results, row

COMMITTEE = {"username": "cmte", "role": "committee"}
ORGANISER = {"username": "org", "role": "organiser"}
JUDGE = {"username": "judge", "role": "judge"}


@pytest.fixture
def service(databases):
    worker = worker_factory(AwardsService, repo=AwardsRepository(databases["awards"]))
    worker.today = lambda: date.today()
    return worker


def emitted(worker, name):
    return [c.args[1] for c in worker.dispatch.call_args_list if c.args[0] == name]


def publish(service, payload):
    event = new_event("results_published", payload)
    service.on_results_published(event)
    return event


def test_results_record_achievements_and_honours_once(service):
    a, b = key(), key()
    code = "N1" + key()[:8]
    event = publish(service, results(code, [row(a, 1), row(b, 30)]))
    record = service.person_record(COMMITTEE, a)
    [ach] = record["achievements"]
    assert ach["rank"] == 1 and ach["competition"]["code"] == code
    assert [t["code"] for t in ach["honours"]["titles"]] == ["national_technical_expert"]
    assert ach["honours"]["promotion"]["from_level"] == 3 and ach["honours"]["promotion"]["to_level"] == 2
    assert ach["source"]["event_id"] == event["event_id"]
    granted = emitted(service, "honour_granted")
    assert [g["person_key"] for g in granted] == [a]
    for g in granted:
        check_event("honour_granted", g)
    # the same event again, and the same revision under a new event id: nothing new
    service.on_results_published(event)
    publish(service, results(code, [row(a, 1), row(b, 30)]))
    assert len(emitted(service, "honour_granted")) == 1
    assert len(service.person_record(COMMITTEE, a)["achievements"]) == 1


def test_a_correction_replaces_and_an_older_revision_is_ignored(service):
    a, b = key(), key()
    code = "N2" + key()[:8]
    publish(service, results(code, [row(a, 1), row(b, 2)]))
    publish(service, results(code, [row(a, 8), row(b, 1)], revision=2))
    publish(service, results(code, [row(a, 1), row(b, 2)], revision=1))
    record = service.person_record(COMMITTEE, a)
    [ach] = record["achievements"]
    assert ach["rank"] == 8 and ach["corrected"] and ach["superseded"][0]["revision"] == 1
    assert ach["honours"]["titles"] == []
    corrections = [g for g in emitted(service, "honour_granted") if g["correction"]]
    assert {g["person_key"] for g in corrections} == {a, b}


def test_profiles_carry_their_source_and_bad_input_is_refused(service):
    a = key()
    service.save_person(ORGANISER, profile(a))
    record = service.person_record(COMMITTEE, a)
    assert record["profile"]["industry"] == "装备制造"
    assert record["profile_sources"]["industry"]["kind"] == "api"
    assert record["profile_sources"]["industry"]["by"] == "org"
    assert record["profile"]["titles"][0]["code"] == "national_technical_expert"
    with pytest.raises(ServiceError) as bad:
        service.save_person(ORGANISER, profile(a, current_level=9, union_member="maybe"))
    assert bad.value.code == "VALIDATION_FAILED" and len(bad.value.details) == 2
    with pytest.raises(ServiceError) as forbidden:
        service.save_person(JUDGE, profile(a))
    assert forbidden.value.code == "FORBIDDEN"
    with pytest.raises(ServiceError) as missing:
        service.person_record(COMMITTEE, key())
    assert missing.value.code == "NOT_FOUND"


def _funded_round(service, **extra):
    return service.open_round(COMMITTEE, {"programme": "chief_technician", "year": 2024, "quota": 1,
                                          "budget_yuan": 100000, "amount_per_person_yuan": 50000, **extra})


def test_round_ranks_nominees_and_the_workflow_guards_quota_and_funding(service):
    people = [key() for _ in range(3)]
    for index, person in enumerate(people):
        service.save_person(ORGANISER, profile(person, patents=index, name=f"候选{index}"))
    rnd = _funded_round(service)
    rid = rnd["round_id"]
    for person in people:
        assert service.nominate(ORGANISER, rid, {"person_key": person, "channel": "employer"})["status"] == "eligible"
    listing = service.list_nominees(COMMITTEE, rid, {})
    assert [i["person_key"] for i in listing["items"]] == people[::-1]
    assert listing["cut_line"]["cut_after"] == 1
    assert [i["inside_cut_line"] for i in listing["items"]] == [True, False, False]
    assert listing["items"][0]["lines"]
    start = (date.today() - timedelta(days=10)).isoformat()
    first, second = people[2], people[1]
    for person in (first, second):
        for step in ({"action": "shortlist"}, {"action": "review"},
                     {"action": "publicise", "notice_start": start, "notice_days": 5}):
            service.decide(COMMITTEE, rid, person, step)
    assert service.decide(COMMITTEE, rid, first, {"action": "approve", "why": "ok"})["status"] == "approved"
    with pytest.raises(ServiceError) as over:
        service.decide(COMMITTEE, rid, second, {"action": "approve"})
    assert over.value.code == "RULE_VIOLATION" and "quota" in over.value.message
    with pytest.raises(ServiceError) as illegal:
        service.decide(COMMITTEE, rid, first, {"action": "review"})
    assert illegal.value.code == "INVALID_STATE"
    decided = emitted(service, "nomination_decided")
    for event in decided:
        check_event("nomination_decided", event)
    assert decided[-1]["status"] == "approved"
    # funded once only: a later round refuses the same person
    later = _funded_round(service, year=2025)
    nominee = service.nominate(ORGANISER, later["round_id"], {"person_key": first, "channel": "self"})
    assert nominee["status"] == "ineligible"
    assert nominee["reasons"][0]["code"] == "ALREADY_FUNDED"


def test_policy_versions(service):
    current = service.get_policy(JUDGE)
    document = dict(current["document"])
    stored = service.put_policy(COMMITTEE, document)
    assert stored["version"] == current["version"] + 1
    assert service.get_policy(JUDGE, current["version"])["current"] is False
    with pytest.raises(ServiceError) as bad:
        service.put_policy(COMMITTEE, {**document, "tiers": {"galaxy": {}}})
    assert bad.value.code == "VALIDATION_FAILED" and bad.value.details
    with pytest.raises(ServiceError) as forbidden:
        service.put_policy(ORGANISER, document)
    assert forbidden.value.code == "FORBIDDEN"


def test_approvals_cannot_exceed_the_budget_and_unknown_rounds_are_not_found(service):
    people = [key() for _ in range(2)]
    for person in people:
        service.save_person(ORGANISER, profile(person))
    rid = service.open_round(COMMITTEE, {"programme": "master_studio", "year": 2024, "quota": 5, "budget_yuan": 100000,
                                         "amount_per_person_yuan": 100000})["round_id"]
    start = (date.today() - timedelta(days=10)).isoformat()
    for person in people:
        service.nominate(ORGANISER, rid, {"person_key": person, "channel": "association", "nominator": "市焊接协会"})
        for step in ({"action": "shortlist"}, {"action": "review"},
                     {"action": "publicise", "notice_start": start}):
            service.decide(COMMITTEE, rid, person, step)
    service.decide(COMMITTEE, rid, people[0], {"action": "approve"})
    with pytest.raises(ServiceError) as over:
        service.decide(COMMITTEE, rid, people[1], {"action": "approve"})
    assert over.value.code == "RULE_VIOLATION" and "budget" in over.value.message
    assert service.get_round(COMMITTEE, rid)["approved_sum_yuan"] == 100000
    with pytest.raises(ServiceError) as missing:
        service.list_nominees(COMMITTEE, "no-such-round", {})
    assert missing.value.code == "NOT_FOUND"
    with pytest.raises(ServiceError) as forbidden:
        service.list_nominees(ORGANISER, rid, {})
    assert forbidden.value.code == "FORBIDDEN"
    assert service.decide(COMMITTEE, rid, people[1], {"action": "reject", "why": "over budget"})["status"] == "rejected"


def _stored_lists(repo, rid):
    ranking = repo.round(rid)["ranking"]
    lists = repo.read_packed(rid, {name: ranking[f"{name}_chunks"] for name in ("field", "nominees", "excluded")})
    counts = {k: v for k, v in ranking.items() if k.endswith(("_count", "_chunks"))}
    return lists, counts, ranking["cut_line"]


def test_rows_moved_by_events_are_stored_exactly_as_a_full_re_rank_stores_them(service):
    people = [key() for _ in range(24)]
    for index, person in enumerate(people):
        service.save_person(ORGANISER, profile(person, patents=index % 4, union_member=index % 5 != 0,
                                               name=f"候选{index}"))
    rid = service.open_round(COMMITTEE, {"programme": "shanghai_craftsman", "year": 2024, "quota": 5})["round_id"]
    for person in people[:12]:
        service.nominate(ORGANISER, rid, {"person_key": person, "channel": "employer"})
    service.decide(COMMITTEE, rid, people[1], {"action": "reject", "why": "withdrawn"})
    newcomers = [key() for _ in range(3)]
    publish(service, results("INC" + key()[:8], [row(p, rank) for rank, p in enumerate(people[::2] + newcomers, 1)]))
    publish(service, results("INC" + key()[:8], [row(p, rank) for rank, p in enumerate(people[5:9], 1)],
                             tier="worldskills", year=2022))
    service.save_person(ORGANISER, profile(people[3], union_member=False))  # leaves the field
    incremental = _stored_lists(service.repo, rid)
    rank_round(service.repo, service.repo.round(rid))
    assert _stored_lists(service.repo, rid) == incremental
    listing = service.list_nominees(COMMITTEE, rid, {"per_page": 50})
    assert all(item["lines"] for item in listing["items"])
    assert [i["person_key"] for i in listing["not_ranked"]]  # the rejected and the ineligible nominees


class CommandLog(monitoring.CommandListener):
    """Every command the driver sends to the server: one database round trip each."""

    def __init__(self):
        self.commands: list[tuple[str, str]] = []

    def started(self, event):
        collection = event.command.get(event.command_name)
        self.commands.append((event.command_name, collection if isinstance(collection, str) else ""))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def counted(mongodb_uri, db_prefix):
    """A worker on a database of its own whose every round trip is logged."""
    log = CommandLog()
    client = MongoClient(mongodb_uri, event_listeners=[log], uuidRepresentation="standard")
    name = f"{db_prefix}awards_trips_{uuid.uuid4().hex[:6]}"
    worker = worker_factory(AwardsService, repo=AwardsRepository(client[name]))
    worker.today = lambda: date.today()
    yield worker, log
    client.drop_database(name)
    client.close()


def test_one_results_event_takes_a_fixed_number_of_round_trips(counted):
    worker, log = counted
    people = [key() for _ in range(30)]
    for index, person in enumerate(people[:10]):
        worker.save_person(ORGANISER, profile(person, patents=index))
    rid = worker.open_round(COMMITTEE, {"programme": "shanghai_craftsman", "year": 2024})["round_id"]
    for person in people[:3]:
        worker.nominate(ORGANISER, rid, {"person_key": person, "channel": "employer"})
    publish(worker, results("RT" + key()[:8], [row(p, rank) for rank, p in enumerate(people[10:20], 1)]))
    log.commands.clear()
    event = publish(worker, results("RT" + key()[:8], [row(p, rank) for rank, p in enumerate(people, 1)]))
    trips = list(log.commands)
    honoured = len(emitted(worker, "honour_granted"))
    print(f"one results_published of {len(people)} contestants, 1 open round, {honoured} honour_granted sent in all: "
          f"{len(trips)} round trips: {Counter(trips)}")
    assert worker.person_record(COMMITTEE, people[0])["achievements"][0]["source"]["event_id"] == event["event_id"]
    assert honoured >= 20
    # inbox check and record (2), policy (1; none when read less than a second ago), competition read and
    # accept (2), its outbox read and one pull
    # for every honour event (2), achievements and people read and written (3), the open rounds (1); per
    # open round: the round as the worker before left it, its nominees, candidates, ranking read and
    # write, the round's summary (6)
    assert Counter(trips)[("update", "competitions")] == 2
    assert len(trips) <= 17


def test_a_crash_right_after_a_decision_still_sends_its_event_once(service, databases):
    from tests.service.test_outbox import DyingAfterWrite, ProcessDied

    person = key()
    service.save_person(ORGANISER, profile(person))
    rid = service.open_round(COMMITTEE, {"programme": "shanghai_craftsman", "year": 2024})["round_id"]
    service.nominate(ORGANISER, rid, {"person_key": person, "channel": "employer"})
    shortlisting = lambda update: update.get("$set", {}).get("status") == "shortlisted"  # noqa: E731
    dying = worker_factory(AwardsService, repo=AwardsRepository(DyingAfterWrite(databases["awards"], "nominations",
                                                                                shortlisting)))
    with pytest.raises(ProcessDied):
        dying.decide(COMMITTEE, rid, person, {"action": "shortlist"})
    assert emitted(dying, "nomination_decided") == []
    nomination = databases["awards"]["nominations"].find_one({"_id": f"{rid}:{person}"})
    [waiting] = nomination["_outbox"]
    assert nomination["status"] == "shortlisted" and waiting["name"] == "nomination_decided"

    again = worker_factory(AwardsService, repo=AwardsRepository(databases["awards"]))
    again.outbox_grace_seconds = 0
    again.flush_outbox()
    again.flush_outbox()
    [event] = [e for e in emitted(again, "nomination_decided") if e["person_key"] == person]
    check_event("nomination_decided", event)
    assert (event["event_id"], event["status"], event["from_status"]) == (waiting["event_id"], "shortlisted", "eligible")
    assert databases["awards"]["nominations"].find_one({"_id": f"{rid}:{person}"})["_outbox"] == []


def test_a_nomination_and_its_eligibility_event_are_one_write(service, databases):
    person = key()
    service.save_person(ORGANISER, profile(person))
    rid = service.open_round(COMMITTEE, {"programme": "shanghai_craftsman", "year": 2024})["round_id"]
    service.dispatch.side_effect = ConnectionError("broker down")
    assert service.nominate(ORGANISER, rid, {"person_key": person, "channel": "self"})["status"] == "eligible"
    [waiting] = databases["awards"]["nominations"].find_one({"_id": f"{rid}:{person}"})["_outbox"]
    assert (waiting["event"]["action"], waiting["event"]["status"]) == ("check_eligibility", "eligible")
    assert databases["awards"]["outbox"].count_documents({"event.person_key": person}) == 0


def test_concurrent_nominations_and_rankings_of_one_round_lose_nobody(service):
    import eventlet

    people = [key() for _ in range(8)]
    for index, person in enumerate(people):
        service.save_person(ORGANISER, profile(person, patents=index))
    rid = service.open_round(COMMITTEE, {"programme": "shanghai_craftsman", "year": 2024})["round_id"]
    service.repo.repin_round(rid, service.repo.round(rid)["policy_version"], {"why": "rank again"})  # due again
    workers = [eventlet.spawn(service.rank_stale_rounds)]
    workers += [eventlet.spawn(service.nominate, ORGANISER, rid, {"person_key": p, "channel": "employer"})
                for p in people]
    workers.append(eventlet.spawn(service.save_person, ORGANISER, profile(people[0], patents=9)))
    for worker in workers:
        worker.wait()
    ranking = service.get_round(COMMITTEE, rid)["ranking"]
    listing = service.list_nominees(COMMITTEE, rid, {"per_page": 50})
    assert ranking["nominee_count"] == len(people) == listing["total"]
    assert sorted(i["person_key"] for i in listing["items"]) == sorted(people)
    assert listing["items"][0]["person_key"] == people[0]


def test_the_honours_policy_is_read_from_the_database_at_most_once_a_second(counted, monkeypatch):
    from services.awards.adapters import repository

    worker, log = counted
    clock = [1000.0]
    monkeypatch.setattr(repository.time, "monotonic", lambda: clock[0])
    first = worker.get_policy(JUDGE)
    log.commands.clear()
    assert worker.get_policy(JUDGE) == first
    assert log.commands == []  # the version read less than a second ago, the stored document once per process
    clock[0] += repository.CURRENT_VERSION_SECONDS
    assert worker.get_policy(JUDGE)["version"] == first["version"]
    assert log.commands == [("find", "policies")]  # the current version again; its document is cached
    stored = worker.put_policy(COMMITTEE, first["document"])
    log.commands.clear()
    assert worker.get_policy(JUDGE)["version"] == stored["version"] == first["version"] + 1  # stored here: seen at once
    assert worker.get_policy(JUDGE, first["version"])["current"] is False
    assert log.commands == []
