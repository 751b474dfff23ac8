"""Registration under a crash: a change and its events are one write, relayed at least once, applied once.

A crash is simulated by raising where the process would die: after the write and before the
publish (the relay), between a roster batch's steps, or before the conflicts are published. A
fresh worker (the restarted process) then runs the service's timers; every event goes out exactly
once, and a roster file is admitted whole or not at all.
"""
from datetime import date

import pytest
from nameko.testing.services import worker_factory

from services.registration.adapters.policy import load_eligibility_policy
from services.registration.adapters.repository import RegistrationRepository
from services.registration.handlers import conflicts, contestants
from services.registration.service import RegistrationService
from shared.errors import ServiceError
from shared.outbox import OUTBOX_FIELD
from tests.e2e.helpers import competition_payload, person

ORGANISER = {"username": "org", "role": "organiser"}
OUTBOX_COLLECTIONS = ("competitions", "contestants", "assignments", "declared_conflicts")


class Killed(BaseException):
    """The process dying at this point (not an Exception: nothing may catch it on the way out)."""


def restarted(databases, test_config):
    """A new worker, as after a restart, with the timers' grace periods run out."""
    worker = worker_factory(RegistrationService, db=databases["registration"], config=test_config,
                            repository=RegistrationRepository(), policy=load_eligibility_policy())
    worker.today = lambda: date.today()
    worker.outbox_grace_seconds = 0
    return worker


@pytest.fixture
def service(databases, test_config):
    return restarted(databases, test_config)


def sent(worker, name=None):
    return [call.args[1] for call in worker.dispatch.call_args_list if name is None or call.args[0] == name]


def competition_of(event: dict) -> str:
    return event.get("competition_code") or event["competition"]["code"]


def waiting(databases, code: str) -> list[dict]:
    """The events stored for competition ``code`` and not yet dispatched."""
    db = databases["registration"]
    return [entry for name in OUTBOX_COLLECTIONS
            for doc in db[name].find({OUTBOX_FIELD: {"$ne": []}}, {OUTBOX_FIELD: 1})
            for entry in doc.get(OUTBOX_FIELD) or [] if competition_of(entry["event"]) == code]


def killed_before_publish(monkeypatch):
    def die(self, dispatch):
        raise Killed()
    monkeypatch.setattr(RegistrationRepository, "relay", die)


def roster_csv(*people) -> str:
    import base64

    lines = ["姓名,性别,出生日期,身份证号码,工作单位,代表队,代表队类型"]
    lines += [f"{p['name']},{p['gender']},{p['date_of_birth']},{p['id_number']},{p['employer']},"
              f"{p['delegation']['name']},{p['delegation']['kind']}" for p in people]
    return base64.b64encode("\n".join(lines).encode()).decode()


def open_competition(service, **changes) -> str:
    code = service.create_competition(ORGANISER, competition_payload(**changes))["code"]
    service.change_status(ORGANISER, code, "open")
    return code


@pytest.mark.parametrize("command", ["create", "open", "register", "withdraw", "assign", "declare"])
def test_an_event_written_before_the_process_died_goes_out_once_after_the_restart(
        command, service, databases, test_config, monkeypatch):
    code = open_competition(service) if command != "create" else None
    body = person("张三")
    contestant = service.register_contestant(ORGANISER, code, body) if command in ("withdraw", "declare") else None
    if command == "declare":
        service.assign_judge(ORGANISER, code, {"username": "judge-d", "name": "J", "employer": "某厂", "role": "judge"})
    killed_before_publish(monkeypatch)
    expected = {"create": "competition_created", "open": "competition_opened", "register": "contestant_registered",
                "withdraw": "contestant_withdrawn", "assign": "judge_assigned", "declare": "conflict_declared"}[command]
    payload = competition_payload()
    with pytest.raises(Killed):
        if command == "create":
            code = payload["code"]
            service.create_competition(ORGANISER, payload)
        elif command == "open":
            expected = "competition_closed"
            service.change_status(ORGANISER, code, "closed")
        elif command == "register":
            service.register_contestant(ORGANISER, code, body)
        elif command == "withdraw":
            service.withdraw_contestant(ORGANISER, code, contestant["contestant_id"], "ill")
        elif command == "assign":
            service.assign_judge(ORGANISER, code, {"username": "judge-a", "name": "J", "employer": "某厂", "role": "judge"})
        else:
            service.declare_conflict(ORGANISER, code, {"judge": "judge-d", "contestant_id": contestant["contestant_id"],
                                                       "relation": "relative"})
    monkeypatch.undo()
    # a committed roster's own events are sent before its activation (see the roster tests below);
    # the conflicts it changed wait with the competition
    stored = "conflicts_updated" if command == "register" else expected
    assert stored in {e["name"] for e in waiting(databases, code)}, "the change was stored without its event"
    after = restarted(databases, test_config)
    after.flush_outbox()
    after.flush_outbox()  # the next tick finds nothing left
    assert len([e for worker in (service, after) for e in sent(worker, expected) if competition_of(e) == code]) == 1
    assert waiting(databases, code) == []
    if command not in ("create", "open"):
        revisions = [e["revision"] for e in sent(after, "conflicts_updated") if e["competition_code"] == code]
        assert len(revisions) == 1, "the conflicts written with the change go out once"


def test_a_roster_whose_process_died_before_the_commit_is_taken_back_whole(service, databases, test_config,
                                                                            monkeypatch):
    code = open_competition(service)
    people = [person(f"选手{i}") for i in range(3)]

    def die(self, code, batch, version):
        raise Killed()
    monkeypatch.setattr(RegistrationRepository, "commit_batch", die)
    with pytest.raises(Killed):
        service.import_contestants(ORGANISER, code, roster_csv(*people), "roster.csv")
    monkeypatch.undo()
    assert service.list_contestants(ORGANISER, code, include_withdrawn=True)["items"] == []
    [staged] = databases["registration"]["roster_batches"].find({"competition_code": code})
    assert len(staged["contestants"]) == 3  # staged, not committed
    monkeypatch.setattr(contestants, "PENDING_GRACE_SECONDS", -1)
    after = restarted(databases, test_config)
    after.settle()
    after.flush_outbox()
    assert databases["registration"]["contestants"].count_documents({"competition_code": code}) == 0
    assert databases["registration"]["roster_batches"].count_documents({"competition_code": code}) == 0
    assert sent(after, "contestant_registered") == []
    assert service.import_contestants(ORGANISER, code, roster_csv(*people), "roster.csv")["registered"] == 3


def test_a_roster_whose_process_died_after_the_commit_is_admitted_whole(service, databases, test_config,
                                                                         monkeypatch):
    code = open_competition(service, capacity=3)
    people = [person(f"选手{i}") for i in range(3)]

    def die(self, code, batch, dispatch=None):
        raise Killed()
    monkeypatch.setattr(RegistrationRepository, "activate_batch", die)
    with pytest.raises(Killed):
        service.import_contestants(ORGANISER, code, roster_csv(*people), "roster.csv")
    monkeypatch.undo()
    with pytest.raises(ServiceError) as full:  # the places are taken: the batch committed
        service.register_contestant(ORGANISER, code, person("后来"))
    assert full.value.code == "RULE_VIOLATION" and "OVER_CAPACITY" in str(full.value.details)
    monkeypatch.setattr(contestants, "PENDING_GRACE_SECONDS", -1)
    after = restarted(databases, test_config)
    after.settle()
    after.flush_outbox()
    names = sorted(c["name"] for c in after.list_contestants(ORGANISER, code)["items"])
    assert names == sorted(p["name"] for p in people)
    after.settle()
    after.flush_outbox()
    registered = [e["contestant"]["name"] for worker in (service, after)
                  for e in sent(worker, "contestant_registered") if e["competition_code"] == code]
    assert sorted(registered) == names, "each contestant's event went out, once"


def test_conflicts_a_dead_process_left_unpublished_go_out_from_the_timer(service, databases, test_config,
                                                                         monkeypatch):
    code = open_competition(service)
    contestant = service.register_contestant(ORGANISER, code, person(employer="宝钢"))

    def die(ctx, code):
        raise Killed()
    monkeypatch.setattr(contestants, "publish_conflicts", die)
    import services.registration.handlers.experts as experts

    monkeypatch.setattr(experts, "publish_conflicts", die)
    with pytest.raises(Killed):
        service.assign_judge(ORGANISER, code, {"username": "judge-b", "name": "J", "employer": "宝钢", "role": "judge"})
    monkeypatch.undo()
    after = restarted(databases, test_config)
    with monkeypatch.context() as overdue:  # only as long as this worker's ticks: the e2e platform's settle
        overdue.setattr(conflicts, "GRACE_SECONDS", -1)  # timer runs in this process on the same database
        after.settle()
        after.settle()
    [update] = [e for e in sent(after, "conflicts_updated") if e["competition_code"] == code]
    assert update["conflicts"] == [{"judge": "judge-b", "contestant_id": contestant["contestant_id"],
                                    "reasons": ["same_employer"]}]
    assert update["revision"] == after.roster_snapshot(code)["conflicts_revision"]


def test_no_dispatched_event_carries_a_resident_id_number(service):
    code = open_competition(service)
    body = person("李四")
    contestant = service.register_contestant(ORGANISER, code, body)
    service.import_contestants(ORGANISER, code, roster_csv(person("王五")), "roster.csv")
    service.withdraw_contestant(ORGANISER, code, contestant["contestant_id"], "ill")
    assert sent(service, "contestant_registered")
    assert all(body["id_number"] not in str(event) for event in sent(service))


def test_a_roster_imported_while_the_broker_refuses_sends_each_event_later_once(service, databases, test_config):
    code = open_competition(service)
    people = [person(f"选手{i}") for i in range(4)]
    service.dispatch.side_effect = ConnectionError("broker down")
    assert service.import_contestants(ORGANISER, code, roster_csv(*people), "roster.csv")["registered"] == 4
    assert len(service.list_contestants(ORGANISER, code)["items"]) == 4
    assert sorted(e["name"] for e in waiting(databases, code)) == ["conflicts_updated"] + ["contestant_registered"] * 4
    after = restarted(databases, test_config)
    after.flush_outbox()
    after.flush_outbox()
    assert sorted(e["contestant"]["name"] for e in sent(after, "contestant_registered")) == sorted(p["name"] for p in people)
    assert waiting(databases, code) == []
