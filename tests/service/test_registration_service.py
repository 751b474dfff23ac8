"""The registration service with nameko's worker_factory: clock-dependent rules and the outbox."""
from datetime import date, timedelta

import pytest
from nameko.testing.services import worker_factory

from services.registration.adapters.policy import load_eligibility_policy
from services.registration.adapters.repository import RegistrationRepository
from services.registration.service import RegistrationService
from shared.errors import ServiceError
from shared.events import check_event
from shared.outbox import OUTBOX_FIELD
from tests.e2e.helpers import competition_payload, person

ORGANISER = {"username": "org", "role": "organiser"}


@pytest.fixture
def service(databases, test_config):
    worker = worker_factory(RegistrationService, db=databases["registration"], config=test_config,
                            repository=RegistrationRepository(), policy=load_eligibility_policy())
    worker.today = lambda: date.today()
    return worker


def dispatched(worker, name):
    return [call.args[1] for call in worker.dispatch.call_args_list if call.args[0] == name]


def test_registration_after_the_deadline_is_refused_and_nothing_written(service):
    competition = service.create_competition(ORGANISER, competition_payload())
    code = competition["code"]
    service.change_status(ORGANISER, code, "open")
    service.today = lambda: date.fromisoformat(competition["registration_deadline"]) + timedelta(days=1)
    with pytest.raises(ServiceError) as refused:
        service.register_contestant(ORGANISER, code, person())
    assert refused.value.code == "INVALID_STATE" and "deadline" in refused.value.message
    assert service.list_contestants(ORGANISER, code)["items"] == []


def test_on_the_deadline_day_registration_is_still_open(service):
    competition = service.create_competition(ORGANISER, competition_payload())
    code = competition["code"]
    service.change_status(ORGANISER, code, "open")
    service.today = lambda: date.fromisoformat(competition["registration_deadline"])
    assert service.register_contestant(ORGANISER, code, person())["status"] == "active"


def test_every_event_validates_against_its_schema(service):
    code = service.create_competition(ORGANISER, competition_payload())["code"]
    service.change_status(ORGANISER, code, "open")
    contestant = service.register_contestant(ORGANISER, code, person())
    service.assign_judge(ORGANISER, code, {"username": "judge-x", "name": "J", "employer": "上海电气集团", "role": "judge"})
    service.withdraw_contestant(ORGANISER, code, contestant["contestant_id"], "ill")
    names = [call.args[0] for call in service.dispatch.call_args_list]
    for call in service.dispatch.call_args_list:
        check_event(call.args[0], call.args[1])
    assert names[:3] == ["competition_created", "competition_opened", "contestant_registered"]
    assert {"judge_assigned", "contestant_withdrawn", "conflicts_updated"} <= set(names)
    revisions = [e["revision"] for e in dispatched(service, "conflicts_updated")]
    assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)


def test_an_event_the_broker_refused_is_dispatched_later_by_the_outbox(service, databases):
    service.dispatch.side_effect = ConnectionError("broker down")
    code = service.create_competition(ORGANISER, competition_payload())["code"]
    assert service.get_competition(ORGANISER, code)["status"] == "draft"
    stored = databases["registration"]["competitions"].find_one({"_id": code})
    [pending] = stored[OUTBOX_FIELD]
    assert pending["name"] == "competition_created" and pending["event"]["competition"]["code"] == code
    service.dispatch.side_effect = None
    service.dispatch.reset_mock()
    service.outbox_grace_seconds = 0
    service.flush_outbox()
    assert [e["event_id"] for e in dispatched(service, "competition_created")] == [pending["event_id"]]
    assert databases["registration"]["competitions"].find_one({"_id": code})[OUTBOX_FIELD] == []


def test_only_organisers_change_things(service):
    with pytest.raises(ServiceError) as refused:
        service.create_competition({"username": "j", "role": "judge"}, competition_payload())
    assert refused.value.code == "FORBIDDEN"


def test_roster_snapshot_gives_scoring_what_it_needs_without_id_numbers(service):
    code = service.create_competition(ORGANISER, competition_payload())["code"]
    service.change_status(ORGANISER, code, "open")
    body = person(employer="宝钢")
    contestant = service.register_contestant(ORGANISER, code, body)
    service.assign_judge(ORGANISER, code, {"username": "judge-y", "name": "J", "employer": "宝钢", "role": "judge"})
    snapshot = service.roster_snapshot(code)
    assert snapshot["competition"]["code"] == code
    assert [c["contestant_id"] for c in snapshot["contestants"]] == [contestant["contestant_id"]]
    assert snapshot["conflicts"] == [{"judge": "judge-y", "contestant_id": contestant["contestant_id"], "reasons": ["same_employer"]}]
    assert snapshot["conflicts_revision"] >= 1
    assert body["id_number"] not in str(snapshot)


def test_registration_cannot_reopen_once_marking_has_begun(service):
    from shared.events import new_event

    code = service.create_competition(ORGANISER, competition_payload())["code"]
    service.change_status(ORGANISER, code, "open")
    service.change_status(ORGANISER, code, "closed")
    event = new_event("marking_opened", {"competition_code": code, "scheme_version": 1, "sub_criteria": ["A1"],
                                         "entries": 3, "opened_by": "chief-1"})
    service.on_marking_opened(event)
    service.on_marking_opened(event)  # redelivered: no harm
    with pytest.raises(ServiceError) as refused:
        service.change_status(ORGANISER, code, "open")
    assert refused.value.code == "INVALID_STATE" and "marking has begun" in refused.value.message
    assert service.get_competition(ORGANISER, code)["status"] == "closed"


def test_a_registration_checked_against_a_stale_roster_takes_its_rows_back(service, monkeypatch):
    """Two requests race for the last place: the one whose check saw an outdated roster loses."""
    from services.registration.adapters.documents import Competition
    from services.registration.domain.roster_import import clean_contestant
    from services.registration.handlers import contestants
    from services.registration.handlers.context import Context

    code = service.create_competition(ORGANISER, competition_payload(capacity=1))["code"]
    service.change_status(ORGANISER, code, "open")
    stale = Competition.objects.get(code=code)  # what the slower request read before the faster one wrote
    service.register_contestant(ORGANISER, code, person("先到"))
    monkeypatch.setattr(RegistrationRepository, "active_contestants", lambda _self, _code: [])  # ...and the roster it saw
    late = person("后到")
    row, problems = clean_contestant({**late, "delegation": late["delegation"]["name"],
                                      "delegation_kind": late["delegation"]["kind"]}, today=date.today())
    assert problems == []
    context = Context(service.repository, date.today(), service.policy, b"test-person-key-secret", service.dispatch)
    with pytest.raises(ServiceError) as refused:
        contestants.admit(context, ORGANISER, stale, [{**row, "row": 0}], collection=None, what="contestant")
    assert refused.value.code == "CONFLICT"
    monkeypatch.undo()
    assert [c["name"] for c in service.list_contestants(ORGANISER, code)["items"]] == ["先到"]
    assert list(Competition.objects.get(code=code).roster_batches.values()) in ([], ["sent"]), "the loser left nothing"
    service.settle()  # copies the winner's batch into contestants
    assert [c["name"] for c in service.list_contestants(ORGANISER, code)["items"]] == ["先到"]
    assert Competition.objects.get(code=code).roster_batches == {}


def test_a_roster_is_listed_whole_before_the_timer_copies_it_and_a_withdrawal_meanwhile_holds(service, databases):
    """An imported roster is stored as one batch document and copied into ``contestants`` by ``settle``:
    until then it is listed from the batch, and a contestant withdrawn meanwhile stays withdrawn (in a
    whole run the end-to-end tests' services may copy the batch first: the outcome is the same)."""
    from tests.service.test_registration_outbox import roster_csv

    code = service.create_competition(ORGANISER, competition_payload())["code"]
    service.change_status(ORGANISER, code, "open")
    people = [person(f"选手{i}") for i in range(3)]
    imported = service.import_contestants(ORGANISER, code, roster_csv(*people), "roster.csv")["contestants"]
    assert len(service.list_contestants(ORGANISER, code)["items"]) == 3
    assert service.get_competition(ORGANISER, code)["entries"] == 3
    gone = imported[0]["contestant_id"]
    assert service.withdraw_contestant(ORGANISER, code, gone, "ill")["status"] == "withdrawn"
    service.settle()
    stored = {c["_id"]: c for c in databases["registration"]["contestants"].find({"competition_code": code})}
    assert sorted(c["status"] for c in stored.values()) == ["active", "active", "withdrawn"]
    assert "active_key" not in stored[gone]
    assert databases["registration"]["roster_batches"].count_documents({"competition_code": code}) == 0
    assert sorted(c["contestant_id"] for c in service.list_contestants(ORGANISER, code)["items"]) == sorted(
        c["contestant_id"] for c in imported[1:])
    assert len(dispatched(service, "contestant_registered")) == 3
    assert [e["contestant_id"] for e in dispatched(service, "contestant_withdrawn")] == [gone]
    again = service.register_contestant(ORGANISER, code, people[0])  # withdrawn: the person may enter again
    service.settle()
    assert databases["registration"]["contestants"].find_one({"_id": again["contestant_id"]})["status"] == "active"
