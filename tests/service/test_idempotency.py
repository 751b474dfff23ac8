"""request_id claims over the wire: a claim left "running" by a crashed process is taken over once
its lease has run out; records, processed event ids and sent outbox entries expire (TTL index)."""
from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest

from shared.db import ensure_expiry_index
from shared.errors import ServiceError
from shared.events import handle_once, utc_now
from shared.idempotency import COLLECTION, fingerprint, run_once


@pytest.fixture
def db(databases):
    return databases["registration"]


def crashed_claim(db, scope: str, request_id: str, body, lease_left_seconds: float) -> None:
    """What a process that died while running the request leaves behind."""
    now = utc_now()
    db[COLLECTION].insert_one({"_id": f"{scope}:{request_id}", "fingerprint": fingerprint(body), "state": "running",
                               "at": now, "lease_until": now + timedelta(seconds=lease_left_seconds)})


def test_a_claim_left_running_by_a_crash_is_taken_over_after_its_lease(db):
    scope, rid, body = f"user-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex, {"mark": 7}
    crashed_claim(db, scope, rid, body, lease_left_seconds=-1)
    runs = []
    answer = run_once(db, scope, rid, body, lambda: runs.append(1) or {"stored": True})
    assert answer == {"stored": True} and runs == [1]
    assert run_once(db, scope, rid, body, lambda: runs.append(1)) == {"stored": True}
    assert runs == [1]


def test_a_claim_still_within_its_lease_answers_in_progress(db):
    scope, rid, body = f"user-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex, {"mark": 7}
    crashed_claim(db, scope, rid, body, lease_left_seconds=60)
    with pytest.raises(ServiceError) as refused:
        run_once(db, scope, rid, body, lambda: pytest.fail("ran while another run holds the claim"))
    assert refused.value.code == "CONFLICT"


def test_a_claim_from_before_leases_is_taken_over(db):
    scope, rid, body = f"user-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex, {"mark": 7}
    db[COLLECTION].insert_one({"_id": f"{scope}:{rid}", "fingerprint": fingerprint(body), "state": "running",
                               "at": utc_now()})
    assert run_once(db, scope, rid, body, lambda: "ran") == "ran"


def test_a_taken_over_claim_still_refuses_another_body(db):
    scope, rid = f"user-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    crashed_claim(db, scope, rid, {"mark": 7}, lease_left_seconds=-1)
    with pytest.raises(ServiceError) as refused:
        run_once(db, scope, rid, {"mark": 8}, lambda: pytest.fail("ran with another body"))
    assert refused.value.code == "IDEMPOTENCY_CONFLICT"


def expiry_index(collection) -> dict:
    [index] = [spec for spec in collection.index_information().values() if spec["key"] == [("expires_at", 1)]]
    return index


def test_requests_and_processed_events_expire(db):
    now = utc_now()
    run_once(db, "expiry", uuid.uuid4().hex, {}, lambda: "done")
    handle_once(db, {"event_id": uuid.uuid4().hex}, lambda event: None)
    for name in (COLLECTION, "processed_events"):
        assert expiry_index(db[name])["expireAfterSeconds"] == 0
        newest = db[name].find_one({}, sort=[("expires_at", -1)])
        assert newest["expires_at"].replace(tzinfo=None) > now.replace(tzinfo=None) + timedelta(days=6)


@pytest.mark.skipif(bool(os.environ.get("MONGODB_URI")), reason="MongoDB's TTL monitor runs once a minute")
def test_expired_records_are_removed_by_the_server(db):
    collection = db[f"expiring_{uuid.uuid4().hex[:6]}"]
    ensure_expiry_index(collection)
    collection.insert_one({"_id": "old", "expires_at": utc_now() - timedelta(seconds=5)})
    collection.insert_one({"_id": "kept"})
    collection.insert_one({"_id": "new", "expires_at": utc_now() + timedelta(days=1)})
    assert {doc["_id"] for doc in collection.find()} == {"kept", "new"}
