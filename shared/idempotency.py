"""Client retries: the same ``request_id`` with the same body gets the first answer, never a second write.

A request is claimed before it runs (a unique insert), so two copies racing each other cannot both
write; the loser is told the first is still in progress. A failed request releases its claim so the
client can retry it. The key is scoped by the caller, so two users' ids never collide.

A claim is a lease: a process that died while running a request cannot release it, so once the lease
has run out (``REQUEST_LEASE_SECONDS``, default 60 s, far above the RPC timeout) a retry takes the claim over and runs the
request. Records expire (TTL index) ``KEEP_SECONDS`` after they were last written: a retry comes
within minutes, not a week later.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from shared.db import ensure_expiry_index, expires_after
from shared.errors import ServiceError
from shared.events import utc_now

COLLECTION = "requests"
LEASE_SECONDS = 60.0


def lease_seconds() -> float:
    """How long a claim protects a running request: ``REQUEST_LEASE_SECONDS``, else 60 s."""
    return float(os.environ.get("REQUEST_LEASE_SECONDS") or LEASE_SECONDS)

KEEP_SECONDS = 7 * 24 * 3600


def fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def run_once(db, scope: str, request_id: str | None, body: Any, execute: Callable[[], Any],
             lease: float | None = None) -> Any:
    """``execute()`` once per ``(scope, request_id)``; replays its answer for a retry of the same body."""
    if not request_id:
        return execute()
    key = f"{scope}:{request_id}"
    digest = fingerprint(body)
    requests = db[COLLECTION]
    ensure_expiry_index(requests)
    if not _claim(requests, key, digest, lease_seconds() if lease is None else lease):
        return _replay(requests.find_one({"_id": key}), request_id, digest)
    try:
        answer = execute()
    except BaseException:
        requests.delete_one({"_id": key})
        raise
    requests.update_one({"_id": key}, {"$set": {"state": "done", "answer": answer,
                                                **expires_after(utc_now(), KEEP_SECONDS)},
                                       "$unset": {"lease_until": ""}})
    return answer


def _claim(requests, key: str, digest: str, lease: float) -> bool:
    """Claim ``key`` for this run: a new claim, or one whose lease a crashed run left to run out."""
    now = utc_now()
    claim = {"state": "running", "at": now, "lease_until": now + timedelta(seconds=lease),
             **expires_after(now, KEEP_SECONDS)}
    try:
        requests.insert_one({"_id": key, "fingerprint": digest, **claim})
        return True
    except DuplicateKeyError:
        pass
    abandoned = {"_id": key, "fingerprint": digest, "state": "running",
                 "$or": [{"lease_until": {"$lt": now}}, {"lease_until": {"$exists": False}}]}
    return requests.find_one_and_update(abandoned, {"$set": claim}) is not None


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
