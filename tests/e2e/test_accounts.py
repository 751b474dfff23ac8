"""Accounts over HTTP: tokens die with their account's state, sign-out, password changes, and the
sign-in throttle with its audit. Throttle tests connect from their own loopback addresses
(127.0.0.x) so that locking an address does not lock the rest of the session out."""
from __future__ import annotations

import http.client
import json
import time
import uuid
from datetime import timedelta

import eventlet
import jwt
import pytest

from services.gateway.auth import SignInLimits
from shared.events import utc_now
from tests.conftest import Api
from tests.e2e.helpers import assert_error

LIMITS = SignInLimits()


def account(admin_api: Api, role: str = "organiser") -> tuple[str, str, Api]:
    """A new account: its username, password and an Api signed in as it."""
    username, password = f"{role}-{uuid.uuid4().hex[:8]}", "pw-" + uuid.uuid4().hex[:14]
    reply = admin_api.post("/users", json={"username": username, "password": password, "role": role})
    assert reply.status_code == 201, reply.text
    return username, password, Api(admin_api.base).sign_in(username, password)


def sign_in_from(base: str, source: str, username: str, password: str) -> tuple[int, dict, dict]:
    """``POST /auth/tokens`` from loopback address ``source``: status, headers, body."""
    host_port = base.split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(source, 0))
    try:
        conn.request("POST", "/api/v1/auth/tokens", body=json.dumps({"username": username, "password": password}),
                     headers={"Content-Type": "application/json"})
        reply = conn.getresponse()
        return reply.status, dict(reply.getheaders()), json.loads(reply.read() or b"null")
    finally:
        conn.close()


# --------------------------------------------------------------------------- tokens and accounts


def test_a_token_forged_with_the_old_default_secret_is_refused(anonymous_api):
    now = int(time.time())
    claims = {"sub": "admin", "role": "admin", "ver": 0, "jti": "x", "iat": now, "exp": now + 600}
    forged = jwt.encode(claims, "dev-only-token-secret-change-me", "HS256")
    assert_error(anonymous_api.get("/users", token=forged), 401, "UNAUTHENTICATED")
    body = {"username": "forged-admin", "password": "a-long-password-1", "role": "admin"}
    assert_error(anonymous_api.post("/users", json=body, token=forged), 401, "UNAUTHENTICATED")


def test_a_token_outlives_no_account_and_carries_no_role_it_lacks(anonymous_api, test_config, make_user):
    now = int(time.time())
    ghost = jwt.encode({"sub": "nobody-here", "role": "admin", "ver": 0, "jti": "g", "iat": now, "exp": now + 600},
                       test_config["TOKEN_SECRET"], "HS256")
    assert_error(anonymous_api.get("/users", token=ghost), 401, "UNAUTHENTICATED")
    organiser = make_user("organiser")
    promoted = jwt.encode({"sub": organiser.username, "role": "admin", "ver": 0, "jti": "p", "iat": now, "exp": now + 600},
                          test_config["TOKEN_SECRET"], "HS256")
    assert_error(anonymous_api.get("/users", token=promoted), 401, "UNAUTHENTICATED")


def test_disabling_an_account_ends_its_tokens_at_once(admin_api, anonymous_api):
    username, password, user = account(admin_api)
    assert user.get("/users/me").status_code == 200
    reply = admin_api.patch(f"/users/{username}", json={"active": False})
    assert reply.status_code == 200 and reply.json()["active"] is False, reply.text
    assert "disabled" in assert_error(user.get("/users/me"), 401, "UNAUTHENTICATED")["message"]
    assert_error(anonymous_api.post("/auth/tokens", json={"username": username, "password": password}), 401, "UNAUTHENTICATED")
    assert admin_api.patch(f"/users/{username}", json={"active": True}).status_code == 200
    assert_error(user.get("/users/me"), 401, "UNAUTHENTICATED")  # re-enabling does not revive old tokens
    assert Api(admin_api.base).sign_in(username, password).get("/users/me").json()["active"] is True


def test_a_changed_role_ends_the_tokens_of_the_old_role(admin_api):
    username, password, user = account(admin_api, "judge")
    reply = admin_api.patch(f"/users/{username}", json={"role": "committee"})
    assert reply.status_code == 200 and reply.json()["role"] == "committee", reply.text
    assert_error(user.get("/users/me"), 401, "UNAUTHENTICATED")
    assert Api(admin_api.base).sign_in(username, password).get("/users/me").json()["role"] == "committee"


def test_admin_resets_a_password_under_the_policy(admin_api, anonymous_api):
    username, password, user = account(admin_api)
    weak = admin_api.patch(f"/users/{username}", json={"password": f"{username}-x"})
    assert "/password" in {d["path"] for d in assert_error(weak, 422, "VALIDATION_FAILED")["details"]}
    assert user.get("/users/me").status_code == 200  # a refused change changes nothing
    assert admin_api.patch(f"/users/{username}", json={"password": "brand new secret 42"}).status_code == 200
    assert_error(user.get("/users/me"), 401, "UNAUTHENTICATED")
    assert_error(anonymous_api.post("/auth/tokens", json={"username": username, "password": password}), 401, "UNAUTHENTICATED")
    Api(admin_api.base).sign_in(username, "brand new secret 42")


def test_account_changes_are_validated_and_admin_only(admin_api, make_user):
    username, _, user = account(admin_api)
    for body in ({}, {"active": "no"}, {"role": "emperor"}, {"password": "short"}, {"username": "x"}):
        assert_error(admin_api.patch(f"/users/{username}", json=body), 422, "VALIDATION_FAILED")
    assert_error(admin_api.patch("/users/no-such-user", json={"active": False}), 404, "NOT_FOUND")
    assert_error(user.patch(f"/users/{username}", json={"role": "admin"}), 403, "FORBIDDEN")
    assert user.get("/users/me").json()["role"] == "organiser"


@pytest.mark.parametrize("role", ["judge", "admin"])
def test_users_change_their_own_password(admin_api, anonymous_api, role):
    username, password, user = account(admin_api, role)
    other_session = Api(admin_api.base).sign_in(username, password)
    wrong = user.put("/users/me/password", json={"current_password": "not it at all", "new_password": "fresh password 77"})
    assert_error(wrong, 403, "FORBIDDEN")
    weak = user.put("/users/me/password", json={"current_password": password, "new_password": "aaaaaaaaaaaaaaa"})
    assert "/new_password" in {d["path"] for d in assert_error(weak, 422, "VALIDATION_FAILED")["details"]}
    same = user.put("/users/me/password", json={"current_password": password, "new_password": password})
    assert_error(same, 422, "VALIDATION_FAILED")
    reply = user.put("/users/me/password", json={"current_password": password, "new_password": "fresh password 77"})
    assert reply.status_code == 200, reply.text
    assert Api(admin_api.base, reply.json()["token"]).get("/users/me").status_code == 200
    assert_error(user.get("/users/me"), 401, "UNAUTHENTICATED")
    assert_error(other_session.get("/users/me"), 401, "UNAUTHENTICATED")
    assert_error(anonymous_api.post("/auth/tokens", json={"username": username, "password": password}), 401, "UNAUTHENTICATED")
    Api(admin_api.base).sign_in(username, "fresh password 77")


def test_signing_out_revokes_only_that_token(admin_api, anonymous_api):
    username, password, user = account(admin_api, "committee")
    other_session = Api(admin_api.base).sign_in(username, password)
    reply = user.delete("/auth/tokens/current")
    assert reply.status_code == 204 and not reply.content, reply.text
    assert "signed out" in assert_error(user.get("/users/me"), 401, "UNAUTHENTICATED")["message"]
    assert_error(user.delete("/auth/tokens/current"), 401, "UNAUTHENTICATED")
    assert other_session.get("/users/me").status_code == 200
    assert_error(anonymous_api.delete("/auth/tokens/current"), 401, "UNAUTHENTICATED")


def test_the_openapi_document_lists_the_account_operations(anonymous_api):
    paths = anonymous_api.get("/openapi.json").json()["paths"]
    assert paths["/api/v1/users/{username}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]["minProperties"] == 1
    assert paths["/api/v1/users/me/password"]["put"]["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "current_password", "new_password"]
    assert "204" in paths["/api/v1/auth/tokens/current"]["delete"]["responses"]
    assert paths["/api/v1/auth/failures"]["get"]["security"] == [{"bearer": []}]


# --------------------------------------------------------------------------- throttle and audit


def test_an_account_is_locked_after_repeated_failures_and_the_failures_are_audited(admin_api, platform):
    username, password, _ = account(admin_api)
    for _ in range(LIMITS.account_failures):
        status, _, body = sign_in_from(platform, "127.0.0.2", username, "wrong password!")
        assert status == 401, body
    status, headers, body = sign_in_from(platform, "127.0.0.2", username, password)
    assert status == 429 and body["error"]["code"] == "TOO_MANY_REQUESTS", body
    assert 0 < int(headers["Retry-After"]) <= LIMITS.account_window
    status, _, _ = sign_in_from(platform, "127.0.0.4", username, password)
    assert status == 429  # the account is locked whatever the address
    audit = admin_api.get("/auth/failures", params={"username": username})
    assert audit.status_code == 200, audit.text
    items = audit.json()["items"]
    assert len(items) == LIMITS.account_failures
    assert {(i["username"], i["address"], i["reason"]) for i in items} == {(username, "127.0.0.2", "wrong password")}
    assert all(i["at"].endswith("Z") for i in items) and items == sorted(items, key=lambda i: i["at"], reverse=True)


def test_parallel_guesses_count_against_each_other_while_their_hashes_are_checked(admin_api, platform):
    """A burst must not slip past the limit by arriving before the first failure is stored."""
    username, _, _ = account(admin_api)
    pool = eventlet.GreenPool(3 * LIMITS.account_failures)
    guesses = [f"guess number {n}" for n in range(3 * LIMITS.account_failures)]
    statuses = list(pool.imap(lambda guess: sign_in_from(platform, "127.0.0.8", username, guess)[0], guesses))
    assert set(statuses) == {401, 429} and statuses.count(401) < len(guesses), statuses


def test_a_successful_sign_in_resets_the_account_counter(admin_api, platform):
    username, password, _ = account(admin_api)
    for _round in range(2):
        for _ in range(LIMITS.account_failures - 1):
            assert sign_in_from(platform, "127.0.0.5", username, "wrong password!")[0] == 401
        assert sign_in_from(platform, "127.0.0.5", username, password)[0] == 201
    assert len(admin_api.get("/auth/failures", params={"username": username}).json()["items"]) == 2 * (LIMITS.account_failures - 1)


def test_an_address_is_throttled_after_failures_across_many_accounts(admin_api, platform):
    username, password, _ = account(admin_api)
    for n in range(LIMITS.address_failures):
        assert sign_in_from(platform, "127.0.0.3", f"nobody-{n}-{uuid.uuid4().hex[:6]}", "guess guess guess")[0] == 401
    status, headers, body = sign_in_from(platform, "127.0.0.3", username, password)
    assert status == 429 and "address" in body["error"]["message"] and int(headers["Retry-After"]) > 0
    assert sign_in_from(platform, "127.0.0.6", username, password)[0] == 201  # other addresses are unaffected


def test_the_lock_is_kept_in_the_database_for_every_gateway_instance(admin_api, platform, databases):
    """Failures recorded by another instance (or before a restart) count here."""
    username, password, _ = account(admin_api)
    databases["gateway"]["signin_failures"].insert_many([
        {"at": utc_now() - timedelta(seconds=n), "username": username, "address": "10.9.8.7", "reason": "wrong password"}
        for n in range(LIMITS.account_failures)])
    assert sign_in_from(platform, "127.0.0.7", username, password)[0] == 429


def test_the_audit_is_for_admins_and_validates_its_query(admin_api, make_user):
    assert_error(make_user("committee").get("/auth/failures"), 403, "FORBIDDEN")
    for limit in ("abc", "0", "5.0", "100000"):
        error = assert_error(admin_api.get("/auth/failures", params={"limit": limit}), 422, "VALIDATION_FAILED")
        assert error["details"][0]["path"] in ("/query/limit", "limit")  # the gateway names query parameters /query/...
    assert len(admin_api.get("/auth/failures", params={"limit": "1"}).json()["items"]) <= 1
