"""The authorisation matrix, generated from the gateway's route table: every route × every caller.

Callers are roles and, for roles bound to competitions, where they stand towards the competition
the request names: its organiser or another one, a judge or chief expert assigned to it or one
assigned elsewhere. A route missing from ``ALLOWED`` fails the test, so no route ships without an
access rule. Requests carry bodies that an allowed caller gets refused for their content (422),
state (409) or an unknown object (404), so probing changes nothing; a denied caller must get 403
(401 without a token) before any of that. The OpenAPI document must list exactly the roles the
matrix lets through.
"""
from __future__ import annotations

import uuid

import pytest

from services.gateway.routes import all_routes
from tests.e2e.helpers import assert_error, open_competition, register
from tests.e2e.scoring_fixtures import marked_competition, small_scheme

ROLE_OF = {"admin": "admin", "owner": "organiser", "organiser": "organiser", "judge": "judge", "judge_elsewhere": "judge",
           "chief": "chief_expert", "chief_elsewhere": "chief_expert", "committee": "committee"}
CALLERS = ("anonymous", *ROLE_OF)
STAFF = frozenset(ROLE_OF)
OWNERS = frozenset({"admin", "owner"})
TEAM = OWNERS | {"judge", "chief"}
NOT_ELSEWHERE = STAFF - {"judge_elsewhere", "chief_elsewhere"}
PROFILE_WRITERS = frozenset({"admin", "owner", "organiser", "committee"})
COMMITTEE = frozenset({"admin", "committee"})
PUBLIC = frozenset(CALLERS)
C = "/competitions/<code>"

ALLOWED: dict[str, frozenset[str]] = {
    "GET /health": PUBLIC,
    "GET /openapi.json": PUBLIC,
    "POST /auth/tokens": PUBLIC,
    "DELETE /auth/tokens/current": STAFF,
    "GET /auth/failures": frozenset({"admin"}),
    "POST /users": frozenset({"admin"}),
    "GET /users": frozenset({"admin"}),
    "GET /users/me": STAFF,
    "PUT /users/me/password": STAFF,
    "PATCH /users/<username>": frozenset({"admin"}),
    "POST /competitions": frozenset({"admin", "owner", "organiser"}),
    "GET /competitions": STAFF,
    f"GET {C}": NOT_ELSEWHERE,
    f"PATCH {C}": OWNERS,
    f"POST {C}/open": OWNERS,
    f"POST {C}/close": OWNERS,
    f"POST {C}/contestants": OWNERS,
    f"POST {C}/contestants/import": OWNERS,
    f"GET {C}/organisers": OWNERS,
    f"POST {C}/organisers": OWNERS,
    f"GET {C}/contestants": TEAM | {"committee"},
    f"DELETE {C}/contestants/<contestant_id>": OWNERS,
    f"POST {C}/judges": OWNERS,
    f"GET {C}/judges": TEAM,
    f"GET {C}/conflicts": TEAM,
    f"POST {C}/conflicts": TEAM,
    f"PUT {C}/marking-scheme": OWNERS,
    f"GET {C}/marking-scheme": TEAM,
    f"GET {C}/marking-forms/<sub_id>": TEAM,
    f"POST {C}/marking/open": OWNERS | {"chief"},
    f"POST {C}/marks": frozenset({"judge", "chief"}),
    f"GET {C}/marks": TEAM,
    f"GET {C}/disputes": TEAM,
    f"POST {C}/disputes/resolve": frozenset({"admin", "chief"}),
    f"GET {C}/progress": TEAM,
    f"POST {C}/sub-criteria/<sub_id>/lock": frozenset({"admin", "chief"}),
    f"POST {C}/sub-criteria/<sub_id>/unlock": frozenset({"admin", "chief"}),
    f"GET {C}/audit": OWNERS | {"chief"},
    f"POST {C}/results/finalise": frozenset({"admin", "chief"}),
    f"POST {C}/results/reopen": frozenset({"admin", "chief"}),
    f"GET {C}/results": TEAM | {"committee"},
    "GET /events/<event>/top-score": STAFF,
    "GET /honours-policy": STAFF,
    "PUT /honours-policy": COMMITTEE,
    "GET /people": COMMITTEE,
    "POST /people": PROFILE_WRITERS,
    "POST /people/import": PROFILE_WRITERS,
    "GET /people/<person_key>/record": PROFILE_WRITERS,
    "POST /nominee-rounds": COMMITTEE,
    "GET /nominee-rounds": COMMITTEE,
    "GET /nominee-rounds/<round_id>": COMMITTEE,
    "PUT /nominee-rounds/<round_id>/policy-version": COMMITTEE,
    "POST /nominee-rounds/<round_id>/nominations": PROFILE_WRITERS,
    "GET /nominee-rounds/<round_id>/nominees": COMMITTEE,
    "GET /nominee-rounds/<round_id>/suggestions": COMMITTEE,
    "POST /nominee-rounds/<round_id>/nominees/<person_key>/decision": COMMITTEE,
}
ROUTES = {r.endpoint: r for r in all_routes()}
# Probing these as an allowed caller ends that caller's session: they are probed with fresh accounts.
SELF_REVOKING = {"DELETE /auth/tokens/current"}


@pytest.fixture(scope="module")
def world(admin_api, anonymous_api, make_user):
    """One competition with marking open (every caller's standing towards it), another one elsewhere."""
    owner = make_user("organiser")
    here = marked_competition(owner, make_user, contestants=2, judges=1)
    elsewhere = marked_competition(make_user("organiser"), make_user, contestants=2, judges=1)
    callers = {"anonymous": anonymous_api, "admin": admin_api, "owner": owner, "organiser": make_user("organiser"),
               "judge": here["judges"][0], "judge_elsewhere": elsewhere["judges"][0], "chief": here["chief"],
               "chief_elsewhere": elsewhere["chief"], "committee": make_user("committee")}
    return {"code": here["code"], "contestant": here["contestants"][0], "callers": callers}


def concrete(path: str, world: dict) -> str:
    values = {"code": world["code"], "contestant_id": "nobody-here", "sub_id": "ZZ9", "event": "NO-EVENT",
              "person_key": "0" * 64, "round_id": "no-such-round", "username": "nobody-here"}
    for name, value in values.items():
        path = path.replace(f"<{name}>", value)
    return path


def probe_body(route, world: dict) -> dict:
    """A body an allowed caller is refused for (content, state or an unknown object): probing changes nothing."""
    if route.endpoint.endswith("/marks") and route.method == "POST":
        return {"json": {"request_id": uuid.uuid4().hex,
                         "marks": [{"contestant_id": "nobody-here", "aspect": "A1.1", "value": "1"}]}}
    if route.endpoint.endswith(("/unlock", "/reopen")):
        return {"json": {"reason": "access matrix probe"}}
    if route.endpoint.endswith("/marking-scheme") and route.method == "PUT":
        return {"json": {}}
    if route.body == "file":
        return {"data": b"not,a\nroster", "headers": {"Content-Type": "text/csv"}}
    if route.body == "none" or route.method in ("GET", "DELETE"):
        return {}
    return {"json": {}}


def test_every_route_has_an_access_rule_and_every_rule_a_route():
    assert sorted(set(ROUTES) - set(ALLOWED)) == [], "routes without an access rule in ALLOWED"
    assert sorted(set(ALLOWED) - set(ROUTES)) == [], "access rules for routes that no longer exist"


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_route_answers_each_caller_as_its_rule_says(world, endpoint, make_user):
    route = ROUTES[endpoint]
    allowed = ALLOWED.get(endpoint)
    assert allowed is not None, f"{endpoint} has no access rule: add it to ALLOWED"
    path = concrete(route.path, world)
    callers = world["callers"]
    if endpoint in SELF_REVOKING:
        callers = {"anonymous": callers["anonymous"], **{c: make_user(role) for c, role in ROLE_OF.items()}}
    wrong = []
    for caller in CALLERS:
        reply = callers[caller].request(route.method, path, **probe_body(route, world))
        if caller in allowed:
            if reply.status_code in (401, 403) or reply.status_code >= 500:
                wrong.append(f"{caller}: expected through, got {reply.status_code} {reply.text[:160]}")
        else:
            expected = 401 if caller == "anonymous" else 403
            if reply.status_code != expected:
                wrong.append(f"{caller}: expected {expected}, got {reply.status_code} {reply.text[:160]}")
    assert not wrong, f"{endpoint}:\n" + "\n".join(wrong)


def test_openapi_lists_exactly_the_roles_let_through(anonymous_api):
    document = anonymous_api.get("/openapi.json").json()
    for endpoint, route in ROUTES.items():
        path = "/api/v1" + route.path.replace("<", "{").replace(">", "}")
        operation = document["paths"][path][route.method.lower()]
        roles = {ROLE_OF[c] for c in ALLOWED[endpoint] if c in ROLE_OF}
        if route.roles is None:
            assert "x-roles" not in operation and "security" not in operation, endpoint
        else:
            assert set(operation["x-roles"]) == roles, endpoint
            assert operation["description"].startswith("roles: " + ", ".join(sorted(roles))), endpoint


# --------------------------------------------------------------------------- object-level cases


def test_co_organisers_are_added_by_the_competition_s_organisers_only(world, make_user):
    code, callers = world["code"], world["callers"]
    newcomer = make_user("organiser")
    assert_error(newcomer.patch(f"/competitions/{code}", json={"name": "taken over"}), 403, "FORBIDDEN")
    assert_error(newcomer.post(f"/competitions/{code}/organisers", json={"username": newcomer.username}),
                 403, "FORBIDDEN")
    assert_error(callers["owner"].post(f"/competitions/{code}/organisers", json={"username": "nobody-at-all"}),
                 422, "VALIDATION_FAILED")
    assert_error(callers["owner"].post(f"/competitions/{code}/organisers",
                                       json={"username": callers["committee"].username}), 422, "VALIDATION_FAILED")
    reply = callers["owner"].post(f"/competitions/{code}/organisers", json={"username": newcomer.username})
    assert reply.status_code == 201, reply.text
    assert newcomer.username in reply.json()["items"]
    assert set(newcomer.get(f"/competitions/{code}/organisers").json()["items"]) == {
        callers["owner"].username, newcomer.username}
    reply = newcomer.get(f"/competitions/{code}/contestants")
    assert reply.status_code == 200 and reply.json()["items"][0]["date_of_birth"], reply.text
    # scoring acts for the co-organiser at once, whether registration's event has arrived or not
    reply = newcomer.get(f"/competitions/{code}/audit")
    assert reply.status_code == 200, reply.text


def test_each_standing_reads_only_its_contestant_fields(world):
    code, callers = world["code"], world["callers"]
    full = callers["owner"].get(f"/competitions/{code}/contestants").json()["items"][0]
    assert full["date_of_birth"] and full["masked_id"].count("*") == 8 and full["person_key"]
    for caller in ("judge", "chief"):
        [seen, _] = callers[caller].get(f"/competitions/{code}/contestants").json()["items"]
        assert set(seen) == {"contestant_id", "competition_code", "name", "delegation", "team", "status"}, seen
    seen = callers["committee"].get(f"/competitions/{code}/contestants").json()["items"][0]
    assert seen["masked_id"] == full["masked_id"] and "date_of_birth" not in seen and "gender" not in seen
    results = callers["judge"].get(f"/competitions/{code}/results")
    assert results.status_code == 409  # not final: judges wait for the published results
    provisional = callers["chief"].get(f"/competitions/{code}/results").json()["results"]
    assert provisional and all("masked_id" not in r and "person_key" not in r for r in provisional)
    assert all(r["masked_id"] for r in callers["owner"].get(f"/competitions/{code}/results").json()["results"])
    listed = {c["code"] for c in callers["judge_elsewhere"].get("/competitions").json()["items"]}
    assert code not in listed


def test_a_judge_sees_where_disputes_are_but_not_the_other_judges_scores(organiser_api, make_user):
    c = marked_competition(organiser_api, make_user, contestants=2, judges=2)
    code, (first, second), cid = c["code"], c["judges"], c["contestants"][0]
    for judge, score in ((first, 0), (second, 3)):
        reply = judge.post(f"/competitions/{code}/marks", json={"request_id": uuid.uuid4().hex, "marks": [
            {"contestant_id": cid, "aspect": "B1.1", "score": score}]})
        assert reply.status_code == 200, reply.text
    assert reply.json()["disputes"] == [{"entry": cid, "aspect": "B1.1", "scores": {second.username: 3}}]
    [seen] = first.get(f"/competitions/{code}/disputes").json()["items"]
    assert seen["scores"] == {first.username: 0} and seen["aspect"] == "B1.1"
    [full] = c["chief"].get(f"/competitions/{code}/disputes").json()["items"]
    assert full["scores"] == {first.username: 0, second.username: 3}
    assert {m["judge"] for m in first.get(f"/competitions/{code}/marks").json()["items"]} == {first.username}


def test_conflicts_belong_to_the_competition_they_were_declared_for(organiser_api, make_user):
    """Assigning the same expert elsewhere with another employer keeps this competition's conflict."""
    c = marked_competition(organiser_api, make_user, contestants=2, judges=1)
    code, judge = c["code"], c["judges"][0]
    # a competition where the judge's own employer has a contestant: a same-employer conflict
    other = register_with_judge(organiser_api, judge, "上海锅炉厂")
    # assigning the same expert elsewhere with another employer must not touch `other`'s conflicts
    elsewhere = open_competition(organiser_api)["code"]
    reply = organiser_api.post(f"/competitions/{elsewhere}/judges", json={
        "username": judge.username, "name": judge.username, "employer": "另一家单位", "role": "judge"})
    assert reply.status_code == 201, reply.text
    organiser_api.delete(f"/competitions/{other['code']}/contestants/{other['bystander']}")  # re-derives conflicts
    conflicts = organiser_api.get(f"/competitions/{other['code']}/conflicts").json()["items"]
    assert {"judge": judge.username, "contestant_id": other["colleague"], "reasons": ["same_employer"],
            "notes": []} in conflicts, conflicts
    reply = organiser_api.post(f"/competitions/{other['code']}/marking/open")
    assert reply.status_code == 200, reply.text
    error = assert_error(judge.post(f"/competitions/{other['code']}/marks", json={
        "request_id": uuid.uuid4().hex, "marks": [{"contestant_id": other["colleague"], "aspect": "A1.1", "value": "5"}]}),
        403, "FORBIDDEN")
    assert error["details"][0]["code"] == "CONFLICT_OF_INTEREST"
    assert judge.post(f"/competitions/{code}/marks", json={"request_id": uuid.uuid4().hex, "marks": [
        {"contestant_id": c["contestants"][0], "aspect": "A1.1", "value": "5"}]}).status_code == 200


def register_with_judge(organiser_api, judge, employer: str) -> dict:
    """A competition (registration closed, scheme in) with the judge from ``employer`` and a colleague of theirs."""
    code = open_competition(organiser_api)["code"]
    colleague = register(organiser_api, code, name="同事", employer=employer)["contestant_id"]
    bystander = register(organiser_api, code, name="旁人", employer="别的单位")["contestant_id"]
    register(organiser_api, code, name="第三人", employer="第三单位")
    reply = organiser_api.post(f"/competitions/{code}/judges", json={
        "username": judge.username, "name": judge.username, "employer": employer, "role": "judge"})
    assert reply.status_code == 201, reply.text
    assert organiser_api.post(f"/competitions/{code}/close").status_code == 200
    assert organiser_api.put(f"/competitions/{code}/marking-scheme", json=small_scheme()).status_code == 200
    return {"code": code, "colleague": colleague, "bystander": bystander}
