"""Over HTTP: the chief expert resolves a judgement dispute, which then no longer blocks the lock."""
from __future__ import annotations

import uuid

from tests.e2e.helpers import assert_error
from tests.e2e.scoring_fixtures import marked_competition


def test_the_chief_resolves_a_dispute_and_the_sub_criterion_locks(organiser_api, make_user):
    c = marked_competition(organiser_api, make_user, contestants=2, judges=3)
    code, ids, judges, chief = c["code"], c["contestants"], c["judges"], c["chief"]
    for judge, score in zip(judges, (0, 2, 2), strict=True):
        reply = judge.post(f"/competitions/{code}/marks", json={"request_id": uuid.uuid4().hex, "marks": [
            {"contestant_id": cid, "aspect": a, "score": score if (cid, a) == (ids[0], "B1.1") else 2}
            for cid in ids for a in ("B1.1", "B1.2")]})
        assert reply.status_code == 200, reply.text
    assert_error(chief.post(f"/competitions/{code}/sub-criteria/B1/lock"), 422, "RULE_VIOLATION")
    url = f"/competitions/{code}/disputes/resolve"
    body = {"request_id": uuid.uuid4().hex, "sub_criterion": "B1", "contestant": ids[0], "aspect": "B1.1",
            "scores": {judges[0].username: 2}, "reason": "agreed after a second look at the weld"}
    assert_error(judges[0].post(url, json=body), 403, "FORBIDDEN")
    assert_error(chief.post(url, json={**body, "scores": {judges[0].username: 2.5}}), 422, "VALIDATION_FAILED")
    assert_error(chief.post(url, json={**body, "request_id": uuid.uuid4().hex, "scores": {"nobody-here": 2}}),
                 422, "VALIDATION_FAILED")
    reply = chief.post(url, json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["scores"] == {j.username: 2 for j in judges}
    assert chief.post(url, json=body).json() == reply.json()  # a retry: the first answer
    assert_error(chief.post(url, json={**body, "request_id": uuid.uuid4().hex}), 409, "INVALID_STATE")
    assert chief.get(f"/competitions/{code}/disputes").json()["items"] == []
    [audited] = chief.get(f"/competitions/{code}/audit", params={"kind": "dispute"}).json()["items"]
    assert (audited["by"], audited["judge"], audited["old"], audited["new"]) == (
        chief.username, judges[0].username, 0, 2)
    reply = chief.post(f"/competitions/{code}/sub-criteria/B1/lock")
    assert reply.status_code == 200, reply.text
    assert_error(chief.post(url, json={**body, "request_id": uuid.uuid4().hex}), 409, "INVALID_STATE")
