"""Sign-in, sign-out and account management (the gateway's own data)."""
from __future__ import annotations

from functools import partial
from pathlib import Path

from werkzeug.wrappers import Response

from services.gateway import auth
from services.gateway.http import Call, Route, json_response, route
from shared.errors import ServiceError, detail, validation_failed
from shared.validation import validate

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
ROUTES: list[Route] = []
api = partial(route, into=ROUTES, tag="auth")
EVERY_ROLE = ("organiser", "judge", "chief_expert", "committee")
MAX_FAILURES_LISTED = 1000


def _client_address(call: Call) -> str:
    return call.request.remote_addr or "unknown"


def _signed_in(call: Call) -> dict:
    """The caller's token claims: every route open to a role is only reached with them."""
    if call.user is None:
        raise ServiceError("UNAUTHENTICATED", "sign in first: send 'Authorization: Bearer <token>'")
    return call.user


def _limits(call: Call) -> auth.SignInLimits:
    return auth.SignInLimits.from_config(call.worker.config)


def _token(call: Call, user: auth.User, status: int):
    config = call.worker.config
    return json_response(auth.issue_token(user, config["TOKEN_SECRET"], int(config["TOKEN_TTL_SECONDS"])), status)


@api("POST", "/auth/tokens", None, "Sign in: exchange username and password for a bearer token "
     "(429 with Retry-After after repeated failures for the account or from the address)",
     request_schema=str(SCHEMAS / "token_request.json"), success=201, refusals=(401, 429))
def create_token(call: Call):
    body = call.json()
    validate(body, SCHEMAS / "token_request.json", "sign-in request")
    user = auth.authenticate(body["username"], body["password"], _client_address(call), _limits(call))
    return _token(call, user, 201)


@api("DELETE", "/auth/tokens/current", EVERY_ROLE, "Sign out: the token used for this request stops working",
     body="none", success=204)
def delete_current_token(call: Call):
    auth.revoke_token(_signed_in(call))
    return Response(status=204)


@api("GET", "/auth/failures", ("admin",), "Audit of refused sign-ins (newest first): time, username tried, client address",
     query=("username", "limit"))
def list_failures(call: Call):
    query = call.query
    return json_response({"items": auth.failures(query.get("username") or None, _limit(query.get("limit")))})


def _limit(raw: str | None) -> int:
    if raw is None:
        return 100
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_FAILURES_LISTED:
        raise validation_failed("limit must be a whole number", [detail("limit", f"an integer from 1 to {MAX_FAILURES_LISTED}")])
    return int(raw)


@api("POST", "/users", ("admin",), "Create a user account with a role",
     request_schema=str(SCHEMAS / "user_create.json"), success=201)
def create_user(call: Call):
    body = call.json()
    validate(body, SCHEMAS / "user_create.json", "user")
    user = auth.create_user(body["username"], body["password"], body["role"], body.get("name"))
    return json_response(user.public(), 201)


@api("GET", "/users", ("admin",), "List user accounts")
def list_users(call: Call):
    return json_response({"items": [u.public() for u in auth.User.objects.order_by("username")]})


@api("GET", "/users/me", EVERY_ROLE, "The signed-in account")
def me(call: Call):
    claims = _signed_in(call)
    user = auth.User.objects(username=claims["sub"]).first()
    return json_response(user.public() if user else {"username": claims["sub"], "role": claims["role"]})


@api("PUT", "/users/me/password", EVERY_ROLE, "Change your own password (current one required); ends every "
     "token of the account and returns a new one (wrong current passwords count as failed sign-ins: 429 with "
     "Retry-After after repeated ones)", request_schema=str(SCHEMAS / "password_change.json"), refusals=(429,))
def change_own_password(call: Call):
    body = call.json()
    validate(body, SCHEMAS / "password_change.json", "password change")
    user = auth.change_own_password(_signed_in(call)["sub"], body["current_password"], body["new_password"],
                                    _client_address(call), _limits(call))
    return _token(call, user, 200)


@api("PATCH", "/users/<username>", ("admin",), "Change an account: active, role, password reset, name "
     "(active, role and password end its tokens; the last active admin cannot be removed)",
     request_schema=str(SCHEMAS / "user_update.json"))
def update_user(call: Call):
    body = call.json()
    validate(body, SCHEMAS / "user_update.json", "account change")
    return json_response(auth.update_user(call.params["username"], body).public())
