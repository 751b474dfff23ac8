"""The awards API end to end: policy, results from the broker, profiles, imports, rounds, decisions."""
import io
from datetime import date, timedelta

import openpyxl
import pytest
from nameko.standalone.events import event_dispatcher

from shared.events import new_event
from tests.e2e.awards_fixtures import key, profile, results, row
from tests.e2e.helpers import assert_error, wait_for


@pytest.fixture(scope="module")
def committee_api(make_user):
    return make_user("committee")


def publish(amqp_uri, payload):
    event = new_event("results_published", payload)
    event_dispatcher({"AMQP_URI": amqp_uri})("scoring", "results_published", event)
    return event


def test_policy_versions_over_http(committee_api, organiser_api, make_user):
    judge = make_user("judge")
    current = judge.get("/honours-policy")
    assert current.status_code == 200, current.text
    document = current.json()["document"]
    assert_error(organiser_api.put("/honours-policy", json=document), 403, "FORBIDDEN")
    bad = committee_api.put("/honours-policy", json={**document, "workflow": {"notice_days_min": "five"}})
    error = assert_error(bad, 422, "VALIDATION_FAILED")
    assert any(d["path"].startswith("/workflow") for d in error["details"])
    stored = committee_api.put("/honours-policy", json=document)
    assert stored.status_code == 200, stored.text
    version = stored.json()["version"]
    assert version == current.json()["version"] + 1
    older = judge.get(f"/honours-policy?version={current.json()['version']}")
    assert older.status_code == 200 and older.json()["current"] is False
    assert_error(judge.get("/honours-policy?version=9999"), 404, "NOT_FOUND")
    # floats survive the gateway (recency factor 0.9)
    assert stored.json()["document"]["programmes"]["outstanding_technical_expert"]["weights"]["achievements"][
        "recency_factor_per_year"] == 0.9


def test_published_results_show_in_the_record_with_their_source(amqp_uri, committee_api, anonymous_api):
    first, second = key(), key()
    code = "E" + key()[:10]
    event = publish(amqp_uri, results(code, [row(first, 1), row(second, 2)]))
    reply = wait_for(lambda: committee_api.get(f"/people/{first}/record"), lambda r: r.status_code == 200)
    assert reply.status_code == 200, reply.text
    record = reply.json()
    [achievement] = record["achievements"]
    assert achievement["source"]["event_id"] == event["event_id"]
    assert achievement["honours"]["titles"][0]["name_zh"] == "全国技术能手"
    assert record["masked_id"].count("*") == 8
    assert record["profile_sources"]["name"]["kind"] == "event"
    # a correction (revision 2) replaces and says so
    publish(amqp_uri, results(code, [row(first, 2), row(second, 1)], revision=2))
    reply = wait_for(lambda: committee_api.get(f"/people/{first}/record"),
                     lambda r: r.json()["achievements"][0]["rank"] == 2)
    corrected = reply.json()["achievements"][0]
    assert corrected["rank"] == 2 and corrected["corrected"] and corrected["superseded"][0]["revision"] == 1
    assert_error(anonymous_api.get(f"/people/{first}/record"), 401, "UNAUTHENTICATED")


def test_profiles_by_api_and_by_import(organiser_api, committee_api):
    person = key()
    created = organiser_api.post("/people", json=profile(person))
    assert created.status_code == 201, created.text
    updated = organiser_api.post("/people", json={"person_key": person, "patents": 7})
    assert updated.status_code == 200 and updated.json()["profile"]["patents"] == 7
    assert_error(organiser_api.post("/people", json={"person_key": "nope"}), 422, "VALIDATION_FAILED")

    a, b = key(), key()
    good = ("人员标识,姓名,工作单位,行业,区,工会会员,一线职工,技能等级,工龄,已获称号,创新成果,专利数,带徒人数,首席技师资助年份\n"
            f"{a},王五,上海电气,装备制造,浦东新区,是,是,技师,15,全国技术能手 2019；上海市技术能手 2016,职工创新成果奖 2021 市级,4,6,\n"
            f"{b},赵六,上汽集团,汽车,嘉定区,否,是,高级工,8,,,0,1,2020\n")
    reply = organiser_api.post("/people/import?filename=people.csv", data=good.encode("utf-8"),
                               headers={"Content-Type": "text/csv"})
    assert reply.status_code == 201, reply.text
    assert reply.json()["imported"] == 2
    record = committee_api.get(f"/people/{a}/record").json()
    assert record["profile"]["current_level"] == 2
    assert {t["code"] for t in record["profile"]["titles"]} == {"national_technical_expert", "shanghai_technical_expert"}
    assert record["profile_sources"]["industry"]["kind"] == "import"
    assert record["profile_sources"]["industry"]["row"] == 2

    c = key()
    bad = ("person key,name,union member,skill level,years of service\n"
           f"{c},OK,yes,3,4\n"
           "not-a-key,Bad,perhaps,9,x\n")
    error = assert_error(organiser_api.post("/people/import", data=bad.encode(), headers={"Content-Type": "text/csv"}),
                         422, "VALIDATION_FAILED")
    problems = {(d["row"], d["column"]) for d in error["details"]}
    assert problems == {(3, "person key"), (3, "union member"), (3, "skill level"), (3, "years of service")}
    assert_error(committee_api.get(f"/people/{c}/record"), 404, "NOT_FOUND")  # nothing written

    wb = openpyxl.Workbook()
    wb.active.append(["Person key", "Name", "Industry"])
    wb.active.append([c, "Excel", "电子信息"])
    buffer = io.BytesIO()
    wb.save(buffer)
    reply = organiser_api.post("/people/import", data=buffer.getvalue(),
                               headers={"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    assert reply.status_code == 201, reply.text
    assert committee_api.get(f"/people/{c}/record").json()["profile"]["industry"] == "电子信息"


def test_a_round_from_nomination_to_approval(organiser_api, committee_api):
    people = [key() for _ in range(3)]
    for index, person in enumerate(people):
        assert organiser_api.post("/people", json=profile(person, name=f"候选{index}", apprentices=index,
                                                          industry="轨道交通")).status_code == 201
    ineligible = key()
    organiser_api.post("/people", json=profile(ineligible, union_member=False, industry="轨道交通"))
    opened = committee_api.post("/nominee-rounds", json={"programme": "shanghai_craftsman", "year": 2024, "quota": 2})
    assert opened.status_code == 201, opened.text
    rid = opened.json()["round_id"]
    assert_error(organiser_api.post("/nominee-rounds", json={"programme": "shanghai_craftsman", "year": 2024}),
                 403, "FORBIDDEN")
    assert_error(committee_api.post("/nominee-rounds", json={"programme": "nobel", "year": 2024}),
                 422, "VALIDATION_FAILED")
    for person in people[:2] + [ineligible]:
        reply = organiser_api.post(f"/nominee-rounds/{rid}/nominations", json={"person_key": person, "channel": "employer",
                                                                              "nominator": "上海电气集团"})
        assert reply.status_code == 201, reply.text
    assert_error(organiser_api.post(f"/nominee-rounds/{rid}/nominations", json={"person_key": people[0], "channel": "self"}),
                 409, "DUPLICATE")
    assert_error(organiser_api.post("/nominee-rounds/none/nominations", json={"person_key": people[0], "channel": "self"}),
                 404, "NOT_FOUND")

    listing = committee_api.get(f"/nominee-rounds/{rid}/nominees?industry=轨道交通")
    assert listing.status_code == 200, listing.text
    body = listing.json()
    assert [i["person_key"] for i in body["items"]] == [people[1], people[0]]
    assert body["items"][0]["lines"] and "masked_id" in body["items"][0]
    assert body["items"][0]["inside_cut_line"] is True
    assert body["not_ranked"][0]["person_key"] == ineligible
    assert body["not_ranked"][0]["reasons"][0]["code"] == "NOT_UNION_MEMBER"
    assert_error(organiser_api.get(f"/nominee-rounds/{rid}/nominees"), 403, "FORBIDDEN")
    assert_error(committee_api.get("/nominee-rounds/unknown/nominees"), 404, "NOT_FOUND")

    suggestions = committee_api.get(f"/nominee-rounds/{rid}/suggestions").json()
    assert all(i["person_key"] not in people[:2] for i in suggestions["items"])

    start = (date.today() - timedelta(days=10)).isoformat()
    decision = f"/nominee-rounds/{rid}/nominees/{people[1]}/decision"
    assert_error(committee_api.post(decision, json={"action": "approve"}), 409, "INVALID_STATE")
    for step in ({"action": "shortlist", "why": "strong record"}, {"action": "review", "why": "reviewed"},
                 {"action": "publicise", "notice_start": start, "notice_days": 7}):
        assert committee_api.post(decision, json=step).status_code == 200
    approved = committee_api.post(decision, json={"action": "approve", "why": "no objection in the notice"})
    assert approved.status_code == 200, approved.text
    assert [h["by"] for h in approved.json()["history"]][-1] == committee_api.username
    rejected = f"/nominee-rounds/{rid}/nominees/{people[0]}/decision"
    assert_error(committee_api.post(rejected, json={"action": "reject"}), 422, "VALIDATION_FAILED")
    assert committee_api.post(rejected, json={"action": "reject", "why": "withdrawn"}).json()["status"] == "rejected"

    csv_reply = committee_api.get(f"/nominee-rounds/{rid}/nominees?format=csv")
    assert csv_reply.status_code == 200 and csv_reply.headers["Content-Type"].startswith("text/csv")
    text = csv_reply.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("排名,人员标识") and "批准" in text and "未通过" in text
    xlsx = committee_api.get(f"/nominee-rounds/{rid}/nominees?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(1, 1).value == "排名"
    assert_error(committee_api.get(f"/nominee-rounds/{rid}/nominees?format=pdf"), 422, "VALIDATION_FAILED")
