"""Client retries: the same ``request_id`` with the same body gets the first answer, never a second write.

A request is claimed before it runs (a unique insert), so two copies racing each other cannot both
write; the loser is told the first is still in progress. A failed request releases its claim so the
client can retry it. The key is scoped by the caller, so two users' ids never collide.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

from pymongo.errors import DuplicateKeyError

from shared.errors import ServiceError
from shared.events import utc_now

COLLECTION = "requests"


def fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def run_once(db, scope: str, request_id: str | None, body: Any, execute: Callable[[], Any]) -> Any:
    """``execute()`` once per ``(scope, request_id)``; replays its answer for a retry of the same body."""
    if not request_id:
        return execute()
    key = f"{scope}:{request_id}"
    digest = fingerprint(body)
    requests = db[COLLECTION]
    try:
        requests.insert_one({"_id": key, "fingerprint": digest, "state": "running", "at": utc_now()})
    except DuplicateKeyError:
        return _replay(requests.find_one({"_id": key}), request_id, digest)
    try:
        answer = execute()
    except BaseException:
        requests.delete_one({"_id": key})
        raise
    requests.update_one({"_id": key}, {"$set": {"state": "done", "answer": answer}})
    return answer


def _replay(first: dict | None, request_id: str, digest: str) -> Any:
    if first is None or first["fingerprint"] != digest:
        raise ServiceError("IDEMPOTENCY_CONFLICT",
                           f"request_id '{request_id}' was already used with a different body",
                           [{"path": "/request_id", "problem": "reused with a different body"}])
    if first["state"] != "done":
        raise ServiceError("CONFLICT", f"request '{request_id}' is still being processed; retry shortly",
                           [{"path": "/request_id", "problem": "in progress"}])
    return first["answer"]


def run_command(db, scope: str, payload: dict, execute: Callable[[dict], Any]) -> Any:
    """``run_once`` for a command whose payload carries its own optional ``request_id``.

    The id is not part of what is compared or executed: ``execute`` gets the payload without it.
    """
    body = {k: v for k, v in payload.items() if k != "request_id"}
    return run_once(db, scope, payload.get("request_id"), body, lambda: execute(body))
