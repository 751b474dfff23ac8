"""The transactional-outbox pattern, as far as MongoDB without transactions allows.

A service records each event in its own ``outbox`` collection right after the write it describes,
then dispatches it. An event whose dispatch failed (broker down, process killed) stays unsent and
is dispatched again by the service's timer, so a change is never left without its event. Consumers
are idempotent by ``event_id``, so a second dispatch is harmless.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Callable

from nameko.events import EventDispatcher
from nameko.timer import timer

from shared.events import new_event, utc_now

log = logging.getLogger(__name__)
Dispatch = Callable[[str, dict], None]


def emit(db, dispatch: Dispatch, name: str, payload: dict) -> dict:
    """Record the event, dispatch it, mark it sent; a failed dispatch is left for ``flush``."""
    event = new_event(name, payload)
    db["outbox"].insert_one({"_id": event["event_id"], "name": name, "event": event, "sent": False, "at": utc_now()})
    _send(db, dispatch, name, event)
    return event


def _send(db, dispatch: Dispatch, name: str, event: dict) -> bool:
    try:
        dispatch(name, event)
    except Exception as exc:  # the broker's failure must not undo the recorded change
        log.warning("event %s %s not dispatched yet (%s); the outbox will retry", name, event["event_id"], exc)
        return False
    db["outbox"].update_one({"_id": event["event_id"]}, {"$set": {"sent": True}})
    return True


def flush(db, dispatch: Dispatch, older_than_seconds: float = 5.0, limit: int = 500) -> int:
    """Dispatch events left unsent for longer than ``older_than_seconds``; returns how many went out."""
    cutoff = utc_now() - timedelta(seconds=older_than_seconds)
    pending = db["outbox"].find({"sent": False, "at": {"$lt": cutoff}}).sort("at", 1).limit(limit)
    return sum(_send(db, dispatch, doc["name"], doc["event"]) for doc in pending)


class OutboxPublisher:
    """Service mixin: ``_emit`` records and dispatches an event; a timer resends what is left.

    The class using it names its database dependency ``db``.
    """

    dispatch = EventDispatcher()

    def _emit(self, name: str, payload: dict) -> dict:
        return emit(self.db, self.dispatch, name, payload)

    @timer(interval=5)
    def flush_outbox(self) -> None:
        flush(self.db, self.dispatch)
