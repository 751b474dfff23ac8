"""The whole chain over HTTP: registration → marking → results → honours in the awards service,
with nobody touching the result on its way."""
from __future__ import annotations

import time
import uuid

from tests.e2e.helpers import wait_for
from tests.e2e.scoring_fixtures import marked_competition


def mark_and_finalise(c: dict) -> dict:
    code, ids, judges, chief = c["code"], c["contestants"], c["judges"], c["chief"]
    values = [(10, 20, 30), (9, 18, 27), (5, 10, 15), (4, 8, 12)]
    marks = [{"contestant_id": cid, "aspect": f"A1.{n + 1}", "value": v}
             for cid, row in zip(ids, values) for n, v in enumerate(row)]
    assert judges[0].post(f"/competitions/{code}/marks", json={"request_id": uuid.uuid4().hex, "marks": marks}).status_code == 200
    for judge in judges:
        scores = [{"contestant_id": cid, "aspect": a, "score": s} for cid, s in zip(ids, (3, 2, 1, 1)) for a in ("B1.1", "B1.2")]
        reply = judge.post(f"/competitions/{code}/marks", json={"request_id": uuid.uuid4().hex, "marks": scores})
        assert reply.status_code == 200, reply.text
    for sub in ("A1", "B1"):
        assert chief.post(f"/competitions/{code}/sub-criteria/{sub}/lock").status_code == 200
    reply = chief.post(f"/competitions/{code}/results/finalise")
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_results_become_achievements_and_honours_without_anyone_touching_them(organiser_api, make_user):
    committee = make_user("committee")
    c = marked_competition(organiser_api, make_user, contestants=4)
    results = mark_and_finalise(c)
    winner = next(r for r in results["results"] if r["rank"] == 1)
    person_key = c["people"][0]["person_key"]
    assert winner["contestant_id"] == c["contestants"][0]

    reply = wait_for(lambda: committee.get(f"/people/{person_key}/record"),
                     lambda r: r.status_code == 200 and r.json().get("achievements"))
    assert reply.status_code == 200, reply.text
    record = reply.json()
    [achievement] = record["achievements"]
    assert achievement["competition"]["code"] == c["code"] and achievement["rank"] == 1
    assert achievement["competition"]["tier"] == "municipal_class_1" and achievement["medal"] == "gold"
    titles = {t["name_zh"] for t in achievement["honours"]["titles"]}
    assert "上海市技术能手" in titles
    assert achievement["honours"]["promotion"]["to_level"] == 1  # set at 技师 level: top 3 → 高级技师
    assert record["masked_id"] == c["people"][0]["masked_id"]
    assert record["effective_level"] == 1 and achievement["level_at_registration"] == 3

    # finalising again publishes nothing new, and the record does not change
    assert c["chief"].post(f"/competitions/{c['code']}/results/finalise").json()["revision"] == 1
    time.sleep(1)
    assert committee.get(f"/people/{person_key}/record").json()["achievements"] == record["achievements"]
