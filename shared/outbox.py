"""The outbox: a change is never left without its event.

Atomic, on any MongoDB (no transaction needed): ``OutboxPublisher._update_with_event`` writes the
event into the changed document itself (its ``_outbox`` array) in the same single-document update
as the change, so both are stored or neither is. The event is then dispatched (nameko's dispatcher
waits for the broker's publisher confirm) and pulled from the document. Whatever is left there
(broker down, process killed between the write and the publish) is relayed by the service's timer
from the collections it names in ``outbox_collections``, in order; the relay's query is indexed.

A relayed event may go out twice (a crash after the publish and before the pull, or two instances
relaying at once); consumers are idempotent by ``event_id``, so each is applied once.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from nameko.events import EventDispatcher
from nameko.timer import timer
from pymongo.results import UpdateResult

from shared.db import ensure_index_once
from shared.events import new_event, utc_now

log = logging.getLogger(__name__)
Dispatch = Callable[[str, dict], None]
OUTBOX_FIELD = "_outbox"


def pending_event(name: str, payload: dict) -> dict:
    """A new event as it waits in a document's ``_outbox`` until it is dispatched."""
    event = new_event(name, payload)
    return {"event_id": event["event_id"], "name": name, "event": event, "at": utc_now()}


def with_events(update: dict, *entries: dict) -> dict:
    """``update`` that also stores ``entries`` in the same document write."""
    push = {**update.get("$push", {}), OUTBOX_FIELD: {"$each": list(entries)}}
    return {**update, "$push": push}


def relay_document(db, collection: str, doc_id, dispatch: Dispatch) -> int:
    """Dispatch the events waiting in one document, oldest first, then pull those the broker took
    (one write for all of them: a crash before it sends them again, which consumers ignore)."""
    doc = db[collection].find_one({"_id": doc_id}, {OUTBOX_FIELD: 1}) or {}
    sent = []
    for entry in doc.get(OUTBOX_FIELD) or []:
        if not _dispatched(dispatch, entry["name"], entry["event"]):
            break  # keep the order: the rest waits for the relay
        sent.append(entry["event_id"])
    if sent:
        db[collection].update_one({"_id": doc_id}, {"$pull": {OUTBOX_FIELD: {"event_id": {"$in": sent}}}})
    return len(sent)


def relay_documents(db, collection: str, doc_ids: list, dispatch: Dispatch) -> int:
    """``relay_document`` for many documents at once (a whole roster): one read, their events
    dispatched in the order of ``doc_ids``, one write pulling those the broker took. The first
    refusal stops it: what is left waits for the relay."""
    waiting = {doc["_id"]: doc.get(OUTBOX_FIELD) or []
               for doc in db[collection].find({"_id": {"$in": doc_ids}}, {OUTBOX_FIELD: 1})}
    sent: list[str] = []
    entries = (entry for doc_id in doc_ids for entry in waiting.get(doc_id, []))
    for entry in entries:
        if not _dispatched(dispatch, entry["name"], entry["event"]):
            break
        sent.append(entry["event_id"])
    if sent:
        db[collection].update_many({"_id": {"$in": doc_ids}}, {"$pull": {OUTBOX_FIELD: {"event_id": {"$in": sent}}}})
    return len(sent)


def relay(db, collections: tuple[str, ...], dispatch: Dispatch, older_than_seconds: float = 5.0,
          limit: int = 100) -> int:
    """Dispatch the events left in ``collections`` for longer than ``older_than_seconds``."""
    cutoff = utc_now() - timedelta(seconds=older_than_seconds)
    sent = 0
    for collection in collections:
        ensure_index_once(db[collection], f"{OUTBOX_FIELD}.at", sparse=True, name="outbox_at")
        for doc in db[collection].find({f"{OUTBOX_FIELD}.at": {"$lt": cutoff}}, {"_id": 1}).limit(limit):
            sent += relay_document(db, collection, doc["_id"], dispatch)
    return sent


def try_dispatch(dispatch: Dispatch, name: str, event: dict) -> bool:
    """Dispatch one event now; False (and a warning) when the broker refused it: it waits for the relay."""
    return _dispatched(dispatch, name, event)


def _dispatched(dispatch: Dispatch, name: str, event: dict) -> bool:
    try:
        dispatch(name, event)
    except Exception as exc:  # the broker's failure must not undo the recorded change
        log.warning("event %s %s not dispatched yet (%s); the outbox will retry", name, event["event_id"], exc)
        return False
    return True


class OutboxPublisher:
    """Service mixin: a change and its event in one write, dispatched; a timer relays what is left.

    The class using it names its database dependency ``db`` and, in ``outbox_collections``, the
    collections whose documents ``_update_with_event`` writes events into.
    """

    db: Any  # the service's database dependency (``shared.db.MongoDatabase``)
    dispatch = EventDispatcher()
    outbox_collections: tuple[str, ...] = ()
    outbox_grace_seconds = 5.0

    def _update_with_event(self, collection: str, doc_id, condition: dict, update: dict, name: str,
                           payload: dict) -> UpdateResult:
        """Update document ``doc_id`` (if it also matches ``condition``) and store the event ``name`` in
        the same write, then send it. Nothing is stored or sent when the document does not match."""
        result = self.db[collection].update_one({"_id": doc_id, **condition},
                                                with_events(update, pending_event(name, payload)))
        if result.matched_count:
            relay_document(self.db, collection, doc_id, self.dispatch)
        return result

    @timer(interval=5)
    def flush_outbox(self) -> None:
        relay(self.db, self.outbox_collections, self.dispatch, self.outbox_grace_seconds)
