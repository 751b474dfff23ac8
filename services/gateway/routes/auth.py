"""Sign-in and account management (the gateway's own data)."""
from __future__ import annotations

from functools import partial
from pathlib import Path

from services.gateway import auth
from services.gateway.http import Call, Route, json_response, route
from shared.validation import validate

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
ROUTES: list[Route] = []
api = partial(route, into=ROUTES, tag="auth")


@api("POST", "/auth/tokens", None, "Sign in: exchange username and password for a bearer token",
     request_schema=str(SCHEMAS / "token_request.json"), success=201)
def create_token(call: Call):
    body = call.json()
    validate(body, SCHEMAS / "token_request.json", "sign-in request")
    user = auth.authenticate(body["username"], body["password"])
    config = call.worker.config
    return json_response(auth.issue_token(user, config["TOKEN_SECRET"], int(config["TOKEN_TTL_SECONDS"])), 201)


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


@api("GET", "/users/me", ("organiser", "judge", "chief_expert", "committee"), "The signed-in account")
def me(call: Call):
    user = auth.User.objects(username=call.user["sub"]).first()
    return json_response(user.public() if user else {"username": call.user["sub"], "role": call.user["role"]})
