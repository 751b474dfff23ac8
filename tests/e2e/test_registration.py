"""Organisers set up a competition end to end over HTTP: competitions, contestants, judges, conflicts."""
import io
import json
import uuid
from datetime import date

import openpyxl
import pytest
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from tests.e2e.helpers import assert_error, competition_payload, open_competition, person, register, wait_for


def test_organiser_creates_lists_reads_and_opens_a_competition(organiser_api):
    payload = competition_payload()
    created = organiser_api.post("/competitions", json=payload)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft"
    code = payload["code"]
    assert code in {c["code"] for c in organiser_api.get("/competitions").json()["items"]}
    read = organiser_api.get(f"/competitions/{code}").json()
    assert read["tier"] == "municipal_class_1" and read["skill_level"] == 2 and read["entries"] == 0
    assert organiser_api.post(f"/competitions/{code}/open").json()["status"] == "open"
    assert organiser_api.post(f"/competitions/{code}/close").json()["status"] == "closed"
    assert_error(organiser_api.post("/competitions", json=payload), 409, "DUPLICATE")


def test_competition_payload_errors_say_where(organiser_api):
    bad = competition_payload(tier="galactic", capacity="many", colour="red")
    del bad["name"]
    error = assert_error(organiser_api.post("/competitions", json=bad), 422, "VALIDATION_FAILED")
    paths = {d["path"] for d in error["details"]}
    assert {"/tier", "/capacity", "/"} <= paths
    late = competition_payload(registration_deadline="2099-01-01")
    error = assert_error(organiser_api.post("/competitions", json=late), 422, "VALIDATION_FAILED")
    assert error["details"][0]["path"] == "/registration_deadline"
    assert_error(organiser_api.get("/competitions/NOPE404"), 404, "NOT_FOUND")


def test_patch_respects_frozen_fields_once_open(organiser_api):
    competition = open_competition(organiser_api)
    code = competition["code"]
    assert organiser_api.patch(f"/competitions/{code}", json={"capacity": 80}).json()["capacity"] == 80
    assert_error(organiser_api.patch(f"/competitions/{code}", json={"tier": "enterprise"}), 409, "INVALID_STATE")
    assert organiser_api.get(f"/competitions/{code}").json()["tier"] == "municipal_class_1"


def test_roles_are_enforced(make_user, organiser_api):
    judge = make_user("judge")
    assert_error(judge.post("/competitions", json=competition_payload()), 403, "FORBIDDEN")
    competition = open_competition(organiser_api)
    assert_error(judge.post(f"/competitions/{competition['code']}/contestants", json=person()), 403, "FORBIDDEN")


def test_register_contestant_keeps_id_number_private(organiser_api, databases):
    code = open_competition(organiser_api)["code"]
    body = person("李四")
    reply = organiser_api.post(f"/competitions/{code}/contestants", json=body)
    assert reply.status_code == 201, reply.text
    contestant = reply.json()
    assert body["id_number"] not in reply.text
    assert contestant["masked_id"] == body["id_number"][:6] + "*" * 8 + body["id_number"][-4:]
    assert len(contestant["person_key"]) == 64
    listed = organiser_api.get(f"/competitions/{code}/contestants")
    assert body["id_number"] not in listed.text
    for service in ("scoring", "awards"):
        for name in databases[service].list_collection_names():
            assert body["id_number"] not in str(list(databases[service][name].find())), (service, name)
    # the events as dispatched: tests/service/test_registration_service.py and tests/e2e/test_privacy_bus.py


def test_bad_contestants_are_refused_and_nothing_is_written(organiser_api):
    code = open_competition(organiser_api, capacity=2)["code"]
    bad_checksum = person(id_number=person()["id_number"][:-1] + ("0" if person()["id_number"][-1] != "0" else "1"))
    error = assert_error(organiser_api.post(f"/competitions/{code}/contestants", json=bad_checksum), 422, "VALIDATION_FAILED")
    assert error["details"][0]["path"] == "/id_number"
    mismatch = person(date_of_birth="1999-01-01")
    assert_error(organiser_api.post(f"/competitions/{code}/contestants", json=mismatch), 422, "VALIDATION_FAILED")
    wrong_type = person(skill_level="high", gender="x")
    paths = {d["path"] for d in assert_error(organiser_api.post(f"/competitions/{code}/contestants", json=wrong_type), 422, "VALIDATION_FAILED")["details"]}
    assert {"/skill_level", "/gender"} <= paths
    first = person("王五")
    assert organiser_api.post(f"/competitions/{code}/contestants", json=first).status_code == 201
    assert_error(organiser_api.post(f"/competitions/{code}/contestants", json=first), 409, "DUPLICATE")
    register(organiser_api, code, name="赵六")
    assert_error(organiser_api.post(f"/competitions/{code}/contestants", json=person("钱七")), 422, "RULE_VIOLATION")
    assert len(organiser_api.get(f"/competitions/{code}/contestants").json()["items"]) == 2


def test_retry_with_the_same_request_id_registers_once(organiser_api):
    code = open_competition(organiser_api)["code"]
    body = {**person("孙八"), "request_id": "req-1"}
    first = organiser_api.post(f"/competitions/{code}/contestants", json=body)
    again = organiser_api.post(f"/competitions/{code}/contestants", json=body)
    assert first.status_code == again.status_code == 201
    assert first.json()["contestant_id"] == again.json()["contestant_id"]
    assert_error(organiser_api.post(f"/competitions/{code}/contestants", json={**person("周九"), "request_id": "req-1"}),
                 409, "IDEMPOTENCY_CONFLICT")
    assert len(organiser_api.get(f"/competitions/{code}/contestants").json()["items"]) == 1


def test_registration_needs_an_open_competition(organiser_api):
    draft = organiser_api.post("/competitions", json=competition_payload()).json()
    assert_error(organiser_api.post(f"/competitions/{draft['code']}/contestants", json=person()), 409, "INVALID_STATE")


def test_worldskills_age_limit(organiser_api):
    start = date(date.today().year + 1, 3, 1)
    code = open_competition(organiser_api, tier="worldskills", skill={"code": "17", "name": "Web Technologies"},
                            start_date=start.isoformat(), end_date=start.isoformat())["code"]
    too_old = person(birth=date(start.year - 23, 12, 31))
    error = assert_error(organiser_api.post(f"/competitions/{code}/contestants", json=too_old), 422, "RULE_VIOLATION")
    assert error["details"][0]["path"] == "/date_of_birth"
    register(organiser_api, code, birth=date(start.year - 22, 1, 1))


def _xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CHINESE_HEADERS = ["姓名", "性别", "出生日期", "身份证号", "工作单位", "代表队", "代表队类型", "技能等级", "身份", "团队"]


def _row(p: dict) -> list:
    return [p["name"], "男", p["date_of_birth"], p["id_number"], p["employer"], p["delegation"]["name"], "区", "高级工", "职工", None]


def test_bulk_xlsx_with_chinese_headers_registers_everyone(organiser_api):
    code = open_competition(organiser_api)["code"]
    people = [person(f"选手{i}") for i in range(5)]
    reply = organiser_api.post(f"/competitions/{code}/contestants/import", data=_xlsx([CHINESE_HEADERS] + [_row(p) for p in people]),
                               headers={"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    assert reply.status_code == 201, reply.text
    assert reply.json()["registered"] == 5
    assert len(organiser_api.get(f"/competitions/{code}/contestants").json()["items"]) == 5


def test_bulk_csv_with_english_headers(organiser_api):
    code = open_competition(organiser_api)["code"]
    people = [person(f"Worker {i}") for i in range(3)]
    lines = ["name,gender,date of birth,id number,employer,delegation,delegation kind,skill level,employment,team"]
    lines += [f"{p['name']},female,{p['date_of_birth']},{p['id_number']},{p['employer']},Minhang,district,4,student," for p in people]
    reply = organiser_api.post(f"/competitions/{code}/contestants/import", data="\n".join(lines).encode("utf-8-sig"),
                               headers={"Content-Type": "text/csv"})
    assert reply.status_code == 201, reply.text
    assert {c["employment"] for c in reply.json()["contestants"]} == {"student"}


def test_bulk_upload_with_bad_rows_lists_every_one_and_writes_nothing(organiser_api):
    code = open_competition(organiser_api)["code"]
    good, dup = person("好人"), person("重复")
    bad_id = person("坏号")
    rows = [_row(good), _row(dup), _row(dup), _row({**bad_id, "id_number": bad_id["id_number"][:-1] + "Y"})]
    reply = organiser_api.post(f"/competitions/{code}/contestants/import", data=_xlsx([CHINESE_HEADERS] + rows))
    error = assert_error(reply, 422, "VALIDATION_FAILED")
    rows_named = {(d["row"], d["column"]) for d in error["details"]}
    assert {(4, "id_number"), (5, "id_number")} <= rows_named
    assert organiser_api.get(f"/competitions/{code}/contestants").json()["items"] == []
    reply = organiser_api.post(f"/competitions/{code}/contestants/import", data=_xlsx([CHINESE_HEADERS] + rows[:3]))
    error = assert_error(reply, 409, "DUPLICATE")
    assert {(d["row"], d["column"]) for d in error["details"]} == {(4, "id_number")}
    assert organiser_api.get(f"/competitions/{code}/contestants").json()["items"] == []


def test_garbage_upload_is_a_clear_error(organiser_api):
    code = open_competition(organiser_api)["code"]
    assert_error(organiser_api.post(f"/competitions/{code}/contestants/import", data=b"\x00\x01garbage"), 422, "VALIDATION_FAILED")
    assert_error(organiser_api.post(f"/competitions/{code}/contestants/import", data=b""), 400, "MALFORMED_REQUEST")


def test_withdraw_keeps_history_and_frees_the_place(organiser_api):
    code = open_competition(organiser_api, capacity=1)["code"]
    body = person("退赛")
    contestant = organiser_api.post(f"/competitions/{code}/contestants", json=body).json()
    reply = organiser_api.delete(f"/competitions/{code}/contestants/{contestant['contestant_id']}?reason=injury")
    assert reply.status_code == 200 and reply.json()["status"] == "withdrawn"
    assert organiser_api.get(f"/competitions/{code}/contestants").json()["items"] == []
    history = organiser_api.get(f"/competitions/{code}/contestants?include_withdrawn=true").json()["items"]
    assert history[0]["withdrawn_reason"] == "injury"
    assert organiser_api.post(f"/competitions/{code}/contestants", json=body).status_code == 201
    assert_error(organiser_api.delete(f"/competitions/{code}/contestants/nobody"), 404, "NOT_FOUND")


def test_judges_and_derived_conflicts(organiser_api, make_user):
    code = open_competition(organiser_api)["code"]
    same_employer = register(organiser_api, code, name="同单位", employer="宝钢")
    same_base = register(organiser_api, code, name="同基地", employer="别处", delegation={"kind": "training_base", "name": "上海市高技能人才培养基地"})
    stranger = register(organiser_api, code, name="无关", employer="另一家")
    judge = make_user("judge")
    reply = organiser_api.post(f"/competitions/{code}/judges", json={
        "username": judge.username, "name": "裁判甲", "employer": "宝钢", "training_base": "上海市高技能人才培养基地", "role": "judge"})
    assert reply.status_code == 201, reply.text
    assert [j["username"] for j in organiser_api.get(f"/competitions/{code}/judges").json()["items"]] == [judge.username]
    conflicts = organiser_api.get(f"/competitions/{code}/conflicts").json()["items"]
    assert {(c["contestant_id"], tuple(c["reasons"])) for c in conflicts} == {
        (same_employer["contestant_id"], ("same_employer",)), (same_base["contestant_id"], ("same_training_base",))}
    reply = judge.post(f"/competitions/{code}/conflicts", json={"judge": judge.username, "contestant_id": stranger["contestant_id"], "relation": "师徒"})
    assert reply.status_code == 201, reply.text
    conflicts = organiser_api.get(f"/competitions/{code}/conflicts").json()["items"]
    assert stranger["contestant_id"] in {c["contestant_id"] for c in conflicts}
    assert_error(judge.post(f"/competitions/{code}/conflicts", json={"judge": "someone-else", "contestant_id": stranger["contestant_id"], "relation": "x"}), 403, "FORBIDDEN")
    assert_error(organiser_api.post(f"/competitions/{code}/conflicts", json={"judge": judge.username, "contestant_id": "nobody", "relation": "x"}), 404, "NOT_FOUND")
    assert_error(organiser_api.post(f"/competitions/{code}/judges", json={"username": "j", "role": "boss"}), 422, "VALIDATION_FAILED")


class RegistrationEvents:
    """Every event registration dispatches from now on, as it reaches the broker: ``(name, event)``."""

    def __init__(self, config: dict):
        exchange = get_event_exchange("registration", config)
        self.connection = Connection(config["AMQP_URI"])
        channel = self.connection.channel()
        exchange(channel).declare()
        self.queue = Queue(f"registration-tap-{uuid.uuid4().hex[:8]}", exchange=exchange, routing_key="#",
                           exclusive=True)(channel)
        self.queue.declare()
        self.seen: list[tuple[str, dict]] = []

    def until(self, ready, seconds: float = 15.0) -> list[tuple[str, dict]]:
        def fetch():
            while (message := self.queue.get(no_ack=True)) is not None:
                self.seen.append((message.delivery_info["routing_key"], json.loads(message.body)))
            return self.seen
        return wait_for(fetch, ready, seconds)

    def close(self) -> None:
        self.connection.release()


@pytest.fixture
def registration_events(test_config, platform):
    tap = RegistrationEvents(test_config)
    yield tap
    tap.close()


def test_every_change_dispatches_a_schema_valid_event(organiser_api, registration_events):
    from shared.events import check_event

    code = open_competition(organiser_api)["code"]
    register(organiser_api, code)
    expected = {"competition_created", "competition_opened", "contestant_registered", "conflicts_updated"}
    seen = registration_events.until(lambda events: expected <= {name for name, _ in events})
    for name, event in seen:
        check_event(name, event)
    assert expected <= {name for name, _ in seen}


def test_bulk_rows_without_delegation_or_employment_stay_unknown(organiser_api, registration_events):
    from shared.events import check_event

    code = open_competition(organiser_api)["code"]
    p = person("无代表队")
    csv = f"姓名,性别,出生日期,身份证号,工作单位\n{p['name']},女,{p['date_of_birth']},{p['id_number']},{p['employer']}\n"
    reply = organiser_api.post(f"/competitions/{code}/contestants/import", data=csv.encode(), headers={"Content-Type": "text/csv"})
    assert reply.status_code == 201, reply.text
    contestant = reply.json()["contestants"][0]
    assert contestant["delegation"] is None and contestant["employment"] is None

    def registered(events):
        return [e for name, e in events if name == "contestant_registered"
                and e["contestant"]["contestant_id"] == contestant["contestant_id"]]
    [event] = registered(registration_events.until(registered))
    check_event("contestant_registered", event)


def test_a_worldskills_selection_trial_says_so_in_its_events(organiser_api, registration_events):
    code = open_competition(organiser_api, tier="worldskills", selection_trial=True)["code"]
    assert organiser_api.get(f"/competitions/{code}").json()["selection_trial"] is True

    def opened(events):
        return [e for name, e in events if name == "competition_opened" and e["competition"]["code"] == code]
    [event] = opened(registration_events.until(opened))
    assert event["competition"]["selection_trial"] is True
    assert_error(organiser_api.patch(f"/competitions/{code}", json={"selection_trial": False}), 409, "INVALID_STATE")


def test_uploaded_workbooks_are_parsed_with_defusedxml():
    """openpyxl only guards against XML entity bombs when defusedxml is installed."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
