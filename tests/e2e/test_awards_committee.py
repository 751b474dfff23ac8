"""A committee's full chief-technician round over HTTP: ranking with explained ties (policy
criteria, then the round's seeded lot), five approvals against a quota of five, the cut line and the
export after them, and finding people by name, employer, district and skill."""
import csv
import hashlib
import io
import uuid
from datetime import date, timedelta

import pytest
from nameko.standalone.events import event_dispatcher

from shared.events import new_event
from tests.e2e.awards_fixtures import key, profile, results, row
from tests.e2e.helpers import assert_error, wait_for

AMOUNT = 50_000


@pytest.fixture(scope="module")
def committee_api(make_user):
    return make_user("committee")


def publish(amqp_uri, payload):
    event_dispatcher({"AMQP_URI": amqp_uri})("scoring", "results_published", new_event("results_published", payload))


def _result_row(person, rank, name, medal=None):
    return row(person, rank, name=name, employment="student", current_level=2, medal=medal)


@pytest.fixture(scope="module")
def field(amqp_uri, organiser_api, committee_api):
    """Seven people of one employer; their only difference is one national class-2 result each."""
    tag = uuid.uuid4().hex[:6]
    people = {label: key() for label in ("first", "second", "bronze", "fourth", "fifth_a", "fifth_b", "none")}
    names = {label: f"检索{tag}{label}" for label in people}
    one, two = "C1" + tag, "C2" + tag
    publish(amqp_uri, results(one, [
        _result_row(people["first"], 1, names["first"]), _result_row(people["second"], 2, names["second"]),
        _result_row(people["bronze"], 3, names["bronze"], medal="bronze"),
        _result_row(people["fourth"], 4, names["fourth"]), _result_row(people["fifth_a"], 5, names["fifth_a"])],
        tier="national_class_2", year=2023))
    publish(amqp_uri, results(two, [_result_row(people["fifth_b"], 5, names["fifth_b"])],
                              tier="national_class_2", year=2023))
    for label in ("first", "fifth_b"):
        wait_for(lambda: committee_api.get(f"/people/{people[label]}/record"), lambda r: r.status_code == 200)
    for label, person in people.items():
        reply = organiser_api.post("/people", json=profile(
            person, name=names[label], employer=f"上海{tag}精工集团", district="闵行区", current_level=2,
            years_of_service=10, titles=[], innovation_awards=[], patents=0, apprentices=0))
        assert reply.status_code in (200, 201), reply.text
    return {"people": people, "names": names, "tag": tag}


def _walk_to_approval(api, rid, person):
    decision = f"/nominee-rounds/{rid}/nominees/{person}/decision"
    start = (date.today() - timedelta(days=10)).isoformat()
    for step in ({"action": "shortlist", "why": "strong record"}, {"action": "review", "why": "reviewed"},
                 {"action": "publicise", "notice_start": start, "notice_days": 7}):
        reply = api.post(decision, json=step)
        assert reply.status_code == 200, reply.text
    return api.post(decision, json={"action": "approve", "why": "no objection in the notice"})


def test_a_full_chief_technician_round(field, committee_api):
    people = field["people"]
    opened = committee_api.post("/nominee-rounds", json={"programme": "chief_technician", "year": 2026, "quota": 5,
                                                         "budget_yuan": 5 * AMOUNT, "amount_per_person_yuan": AMOUNT})
    assert opened.status_code == 201, opened.text
    rid = opened.json()["round_id"]
    for person in people.values():
        reply = committee_api.post(f"/nominee-rounds/{rid}/nominations", json={"person_key": person, "channel": "employer"})
        assert reply.status_code == 201 and reply.json()["status"] == "eligible", reply.text

    rnd = committee_api.get(f"/nominee-rounds/{rid}").json()
    assert rnd["ranking"]["nominee_count"] == 7
    seed = rnd["ranking"]["lot_seed"]
    assert seed and "and and" not in rnd["cut_line"]["why"]

    listing = committee_api.get(f"/nominee-rounds/{rid}/nominees").json()
    items = listing["items"]
    lot = {p: hashlib.sha256(f"{seed}:{p}".encode()).hexdigest()[:16] for p in (people["fifth_a"], people["fifth_b"])}
    fifths = sorted(lot, key=lot.get)
    assert [i["person_key"] for i in items] == [people["first"], people["bronze"], people["second"], people["fourth"],
                                                *fifths, people["none"]]
    by_key = {i["person_key"]: i for i in items}
    assert "by best medal (bronze vs none)" in by_key[people["bronze"]]["tie_break"]
    assert "by best competition place (4th vs 5th)" in by_key[people["fourth"]]["tie_break"]
    fifth = by_key[fifths[0]]
    assert fifth["lot"] == lot[fifths[0]]
    assert f"by lot: equal on every criterion, the round's seeded draw gave {lot[fifths[0]]}" in fifth["tie_break"]
    assert [i["inside_cut_line"] for i in items] == [True] * 5 + [False] * 2
    assert "Positions 5 and 6 are tied" in listing["cut_line"]["why"] and "by lot" in listing["cut_line"]["why"]

    top_five = [i["person_key"] for i in items[:5]]
    for person in top_five:
        reply = _walk_to_approval(committee_api, rid, person)
        assert reply.status_code == 200 and reply.json()["status"] == "approved", reply.text

    rnd = committee_api.get(f"/nominee-rounds/{rid}").json()
    assert (rnd["approved_count"], rnd["approved_sum_yuan"]) == (5, 5 * AMOUNT)
    line = rnd["cut_line"]
    assert (line["funds_committed_yuan"], line["budget_left_yuan"], line["places_left"]) == (5 * AMOUNT, 0, 0)
    assert "All 1 nominees fit" not in line["why"] and "5 approved in this round (¥250,000)" in line["why"]
    listing = committee_api.get(f"/nominee-rounds/{rid}/nominees").json()
    assert listing["not_ranked_total"] == 0
    assert [(i["person_key"], i["position"], i["status"], i["inside_cut_line"]) for i in listing["items"][:5]] == [
        (person, position, "approved", True) for position, person in enumerate(top_five, 1)]
    assert [i["inside_cut_line"] for i in listing["items"][5:]] == [False, False]

    sixth = listing["items"][5]["person_key"]
    refused = _walk_to_approval(committee_api, rid, sixth)
    error = assert_error(refused, 422, "RULE_VIOLATION")
    assert error["details"][0]["code"] == "QUOTA_EXCEEDED"

    exported = committee_api.get(f"/nominee-rounds/{rid}/nominees?format=csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    approved_rows = [r for r in rows if r["状态"] == "批准"]
    assert [(r["排名"], r["是否在名额内"]) for r in approved_rows] == [(str(p), "是") for p in range(1, 6)]
    assert [r["是否在名额内"] for r in rows if r["状态"] != "批准"] == ["否", "否"]
    assert any("by lot" in r["同分排序说明"] for r in rows)

    # funding granted in this round is a previous funding for the next one
    later = committee_api.post("/nominee-rounds", json={"programme": "chief_technician", "year": 2027})
    nominated = committee_api.post(f"/nominee-rounds/{later.json()['round_id']}/nominations",
                                   json={"person_key": top_five[0], "channel": "employer"})
    assert nominated.json()["status"] == "ineligible"
    assert nominated.json()["reasons"][0]["code"] == "ALREADY_FUNDED"


def test_finding_people_by_name_employer_district_and_skill(field, committee_api, organiser_api):
    tag, names = field["tag"], field["names"]
    by_name = committee_api.get("/people", params={"name": f"检索{tag}fi"})
    assert by_name.status_code == 200, by_name.text
    found = by_name.json()
    assert [i["name"] for i in found["items"]] == sorted([names["fifth_a"], names["fifth_b"], names["first"]])
    assert all(i["masked_id"] and i["masked_id"].count("*") == 8 for i in found["items"])
    assert not any(k in i for i in found["items"] for k in ("birth_date", "date_of_birth", "id_number"))
    by_employer = committee_api.get("/people", params={"employer": f"{tag}精工", "district": "闵行区", "skill": "焊工"})
    assert by_employer.json()["total"] == 6  # "none" has no competition result, so no skill
    assert committee_api.get("/people", params={"employer": f"{tag}精工", "district": "闵行区"}).json()["total"] == 7
    assert committee_api.get("/people", params={"employer": f"{tag}精工", "district": "浦东新区"}).json()["total"] == 0
    page = committee_api.get("/people", params={"q": f"上海{tag}", "per_page": 3, "page": 3}).json()
    assert (page["total"], len(page["items"])) == (7, 1)
    assert committee_api.get("/people", params={"q": field["people"]["none"]}).json()["items"][0]["name"] == names["none"]
    assert committee_api.get("/people", params={"name": ".*"}).json()["total"] == 0  # taken literally
    assert_error(committee_api.get("/people"), 422, "VALIDATION_FAILED")
    assert_error(committee_api.get("/people", params={"name": "x" * 101}), 422, "VALIDATION_FAILED")
    assert_error(organiser_api.get("/people", params={"name": "检索"}), 403, "FORBIDDEN")
