"""Health and the OpenAPI document."""
from __future__ import annotations

from functools import partial

import eventlet

from services.gateway.http import Call, Route, json_response, route
from shared.db import database_health

ROUTES: list[Route] = []
api = partial(route, into=ROUTES, tag="system")
BACKENDS = ("registration", "scoring", "awards")


def _ask_health(proxy) -> dict:
    try:
        with eventlet.Timeout(3):
            return proxy.health()
    except eventlet.Timeout:
        return {"status": "down", "problem": "no answer within 3 s"}
    except Exception as exc:  # an unreachable service is "down", whatever the transport says
        return {"status": "down", "problem": type(exc).__name__}


@api("GET", "/health", None, "Health of each service, its broker connection and its database (503: degraded)",
     success=(200, 503))
def health(call: Call):
    pool = eventlet.GreenPool()
    answers = dict(zip(BACKENDS, pool.imap(lambda name: _ask_health(getattr(call.worker, name)), BACKENDS), strict=True))
    answers["gateway"] = {"status": "ok", "database": database_health("gateway")}
    ok = all(a.get("status") == "ok" for a in answers.values())
    body = {"status": "ok" if ok else "degraded", "broker": "ok" if any(
        a.get("status") == "ok" for n, a in answers.items() if n != "gateway") else "down", "services": answers}
    return json_response(body, 200 if ok else 503)


@api("GET", "/openapi.json", None, "This API as an OpenAPI 3.1 document")
def openapi(call: Call):
    from services.gateway.openapi import openapi_document

    return json_response(openapi_document())
