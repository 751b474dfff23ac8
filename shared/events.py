"""Events that cross service boundaries: names, base fields, schema validation, idempotent handling.

Every event is a dict with ``event_id`` (UUID), ``occurred_at`` (UTC ISO-8601), ``schema_version``
and its own fields, and validates against ``shared/schemas/events/<name>.json`` before dispatch.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pymongo.errors import DuplicateKeyError

from shared.db import ensure_expiry_index, expires_after
from shared.validation import SHARED_SCHEMAS, schema_problems

EVENT_SCHEMAS = SHARED_SCHEMAS / "events"
SCHEMA_VERSION = 1


class InvalidEvent(Exception):
    """An event that does not match its schema: a bug in the dispatching service, never user input."""


def event_schema_path(name: str) -> Path:
    path = EVENT_SCHEMAS / f"{name}.json"
    if not path.exists():
        raise InvalidEvent(f"no schema for event '{name}'")
    return path


def event_names() -> list[str]:
    return sorted(p.stem for p in EVENT_SCHEMAS.glob("*.json") if not p.stem.startswith("_"))


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def new_event(name: str, payload: dict, event_id: str | None = None) -> dict:
    """Add the base fields to ``payload`` and check the result against the event's schema."""
    event = {
        "event_id": event_id or str(uuid.uuid4()),
        "occurred_at": iso_utc(utc_now()),
        "schema_version": SCHEMA_VERSION,
        **payload,
    }
    check_event(name, event)
    return event


def check_event(name: str, event: dict) -> None:
    problems = schema_problems(event, event_schema_path(name))
    if problems:
        raise InvalidEvent(f"{name}: " + "; ".join(f"{p['path']}: {p['problem']}" for p in problems))


KEEP_PROCESSED_SECONDS = 30 * 24 * 3600  # far beyond any redelivery; then the TTL index drops the id


def handle_once(db, event: dict, handle: Callable[[dict], None]) -> bool:
    """Run ``handle(event)`` unless this service already processed ``event_id``.

    The id is recorded after the handler succeeds, so a crash mid-way means redelivery runs it again;
    handlers are written as upserts so that a second run after a partial one converges.
    Returns whether the handler ran.
    """
    inbox = db["processed_events"]
    if inbox.find_one({"_id": event["event_id"]}, {"_id": 1}):
        return False
    handle(event)
    ensure_expiry_index(inbox)
    try:
        now = utc_now()
        inbox.insert_one({"_id": event["event_id"], "at": now, **expires_after(now, KEEP_PROCESSED_SECONDS)})
    except DuplicateKeyError:
        pass
    return True
