"""Registration's repository: every read and write of its documents, given to workers by ``Repository``.

Writes keep the outbox rule: a state change and the events it emits are one document write (the
events go into the document's ``_outbox`` in the same update, ``shared.outbox``). The repository
remembers which documents it wrote events into; ``relay`` then dispatches them (the service's
timer relays whatever a crash left behind). Where mongoengine cannot express an atomic update (a
compare-and-set with an ``_outbox`` push, a ``$rename``), the document's collection is used directly.

A roster batch (one contestant or a whole file of up to 5,000) is admitted in a few writes whatever
its size, all-or-nothing even if the process dies in between (the local server writes documents one
at a time, so a write per contestant is what made a 300-row import slow):

1. ``stage_batch``: the batch's contestants, with their events held back, in one ``roster_batches``
   document, not yet part of the roster;
2. ``commit_batch``: the competition's ``roster_version`` compare-and-set, the commit point
   (``roster_batches.<batch> = committed`` on the competition);
3. ``activate_batch``: the held events sent, then the batch marked ``sent`` on the competition.

Readers list a committed batch's contestants from its document until ``expand_batch`` (the
service's ``settle`` timer) has copied them into ``contestants`` and deleted it, so a batch shows
whole or not at all. ``staged_batches`` finds every batch not yet copied: committed ones are
copied, each event not marked sent moved into its contestant's ``_outbox`` for the relay; the
others are aborted after a grace (``abort_batch``), and a commit after an abort is refused.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from mongoengine import Document
from nameko.extensions import DependencyProvider
from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from shared.db import connect_database
from shared.errors import not_found
from shared.events import utc_now
from shared.outbox import OUTBOX_FIELD, relay_documents, try_dispatch, with_events

from .documents import (
    ALIAS,
    Assignment,
    Competition,
    ConflictRevision,
    Contestant,
    DeclaredConflict,
    Expert,
    RosterBatch,
    judge_view,
)

DUPLICATE_KEY = 11000
#: Documents relayed per read and write: the local server refuses an ``$in`` of 1,000 values or more.
RELAY_CHUNK = 500
COMMITTED = "committed"
SENT = "sent"  # committed, and every held event went out
ABORTED = "aborted"
#: The collections whose documents carry events in ``_outbox`` (the relay's timer reads these).
OUTBOX_COLLECTIONS = ("competitions", "contestants", "assignments", "declared_conflicts")
Dispatch = Callable[[str, dict], None]


def _collection(document: type[Document]) -> Collection:
    return document._get_collection()


def _insert_new(collection: Collection, docs: list[dict]) -> None:
    """Insert ``docs``, leaving those already stored (same ``_id``) as they are; any other refusal (a
    second active entry of a person, say) raises, so the caller keeps what it copies from."""
    try:
        collection.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        if any(error.get("code") != DUPLICATE_KEY or error.get("keyPattern") != {"_id": 1}
               for error in exc.details.get("writeErrors", [])):
            raise


def _send_held(held: list[dict], dispatch: Dispatch) -> set:
    """Dispatch each document's held events in order; the ids of the documents whose events all went out."""
    sent: set = set()
    for doc in held:
        for entry in doc.get("held_events") or []:
            if not try_dispatch(dispatch, entry["name"], entry["event"]):
                return sent
        sent.add(doc["_id"])
    return sent


def _runs(written: list[tuple[Collection, Any]]) -> list[tuple[Collection, list]]:
    """Consecutive writes to the same collection grouped, each document once."""
    runs: list[tuple[Collection, list]] = []
    for collection, doc_id in written:
        if runs and runs[-1][0].name == collection.name:
            runs[-1][1].append(doc_id)
        else:
            runs.append((collection, [doc_id]))
    return [(collection, list(dict.fromkeys(doc_ids))) for collection, doc_ids in runs]


class RegistrationRepository:
    """Reads and writes for one worker; ``relay`` sends the events its writes stored."""

    def __init__(self) -> None:
        self._written: list[tuple[Collection, Any]] = []
        self._held: dict[str, list[dict]] = {}  # batch -> what stage_batch stored, for activate_batch

    # ---------------------------------------------------------------- events

    def _write(self, document: type[Document], doc_id: Any, condition: dict, update: dict,
               events: Iterable[dict] = ()) -> bool:
        """Update one document if it matches ``condition``, storing ``events`` in the same write."""
        events = list(events)
        collection = _collection(document)
        result = collection.update_one({"_id": doc_id, **condition},
                                       with_events(update, *events) if events else update)
        if result.matched_count and events:
            self._written.append((collection, doc_id))
        return bool(result.matched_count)

    def relay(self, dispatch: Dispatch) -> None:
        """Dispatch the events this worker's writes stored, in the order they were written
        (the documents written one after another in the same collection in one read and one write)."""
        written, self._written = self._written, []
        for collection, doc_ids in _runs(written):
            for start in range(0, len(doc_ids), RELAY_CHUNK):
                relay_documents(collection.database, collection.name, doc_ids[start:start + RELAY_CHUNK], dispatch)

    # ---------------------------------------------------------- competitions

    def find_competition(self, code: str) -> Competition | None:
        return Competition.objects(code=code).first()

    def competition(self, code: str) -> Competition:
        doc = self.find_competition(code)
        if doc is None:
            raise not_found("competition", code)
        return doc

    def competitions(self, filters: dict) -> list[Competition]:
        return list(Competition.objects(**filters).order_by("start_date", "code"))

    def add_competition(self, doc: Competition, event: dict) -> None:
        """Insert ``doc`` with its event in the same write (``NotUniqueError`` if the code is taken)."""
        doc.outbox = [event]
        doc.save(force_insert=True)
        self._written.append((_collection(Competition), doc.code))

    def update_competition(self, code: str, update: dict, *events: dict, condition: dict | None = None) -> bool:
        return self._write(Competition, code, condition or {}, update, events)

    # ----------------------------------------------------------- contestants

    def active_contestants(self, code: str) -> list[Contestant]:
        return self._with_staged(code, ["active"])

    def contestants(self, code: str, include_withdrawn: bool) -> list[Contestant]:
        statuses = ["active", "withdrawn"] if include_withdrawn else ["active"]
        return sorted(self._with_staged(code, statuses), key=lambda c: (c.registered_at, c.name))

    def contestant(self, code: str, contestant_id: str) -> Contestant | None:
        found = self._with_staged(code, ["active", "withdrawn"], contestant_id=contestant_id)
        return found[0] if found else None

    def withdrawn_ids(self, code: str) -> list[str]:
        return [c.contestant_id for c in Contestant.objects(competition_code=code, status="withdrawn")]

    def withdraw(self, code: str, contestant_id: str, update: dict, event: dict) -> bool:
        """Change an active contestant with its event; one still listed from its batch is copied first."""
        condition = {"competition_code": code, "status": "active"}
        if self._write(Contestant, contestant_id, condition, update, [event]):
            return True
        staged = _collection(RosterBatch).find_one({"competition_code": code, "contestants._id": contestant_id})
        if staged is None or not self.batch_committed(code, staged["_id"]):
            return False
        self._copy(code, staged["_id"], [son for son in staged["contestants"] if son["_id"] == contestant_id])
        return self._write(Contestant, contestant_id, condition, update, [event])

    def stage_batch(self, code: str, batch: str, docs: list[Contestant]) -> None:
        """Store a batch's contestants, not yet part of the roster, in one document (one write)."""
        contestants = [doc.to_mongo().to_dict() for doc in docs]  # unvalidated, as QuerySet.insert did: the domain checked the rows
        _collection(RosterBatch).insert_one({"_id": batch, "competition_code": code, "staged_at": utc_now(),
                                             "contestants": contestants})
        self._held[batch] = contestants

    def commit_batch(self, code: str, batch: str, roster_version: int) -> bool:
        """The batch's commit point: only if the roster is as it was read and the batch not aborted."""
        condition = {"roster_version": roster_version, f"roster_batches.{batch}": {"$exists": False}}
        update = {"$inc": {"roster_version": 1},
                  "$set": {f"roster_batches.{batch}": COMMITTED, "conflicts_due": utc_now()}}
        return self._write(Competition, code, condition, update)

    def activate_batch(self, code: str, batch: str, dispatch: Dispatch) -> None:
        """Send a committed batch's held events (what they announce is decided), in order.

        All sent: the competition's ``roster_batches.<batch>`` becomes ``sent`` (one small write)
        and ``settle`` copies the batch into ``contestants`` later without them; readers list it
        meanwhile (``_with_staged``). A refusal: the batch is copied now, the events the broker
        refused moved into their contestants' ``_outbox`` for the relay. A crash in between leaves
        it ``committed``, and ``expand_batch`` moves every held event into ``_outbox`` (consumers
        apply each once).
        """
        contestants = self._held.pop(batch, None)
        if contestants is None:
            doc = _collection(RosterBatch).find_one({"_id": batch}, {"contestants._id": 1,
                                                                    "contestants.held_events": 1})
            if doc is None:
                return  # already copied by the timer
            contestants = doc["contestants"]
        sent = _send_held(contestants, dispatch)
        if len(sent) < len(contestants):
            self.expand_batch(code, batch, sent)
        elif not self._write(Competition, code, {f"roster_batches.{batch}": COMMITTED},
                             {"$set": {f"roster_batches.{batch}": SENT}}):
            return  # already copied by the timer (its events went out again: consumers apply each once)

    def expand_batch(self, code: str, batch: str, sent: set | None = None) -> None:
        """Copy a committed batch into ``contestants`` and delete it; its held events are dropped if the
        batch is ``sent`` (or the contestant is in ``sent``), else moved into ``_outbox`` for the relay.

        Safe to repeat or to run twice at once: a contestant already copied is left as it is.
        """
        doc = _collection(RosterBatch).find_one({"_id": batch})
        if doc is not None:
            self._copy(code, batch, doc["contestants"], sent)
            _collection(RosterBatch).delete_one({"_id": batch})
        else:
            self._activate_pending(batch)
        self._forget_batch(code, batch)

    def _copy(self, code: str, batch: str, staged: list[dict], sent: set | None = None) -> None:
        """Insert ``staged`` contestants of a committed batch into ``contestants`` (those already there
        left as they are), each held event not known to be sent moved into its ``_outbox``."""
        all_sent = self._batch_state(code, batch) == SENT
        copies, waiting = [], []
        for son in staged:
            held = son.pop("held_events", None) or []
            if held and not all_sent and son["_id"] not in (sent or ()):
                son[OUTBOX_FIELD] = held
                waiting.append(son["_id"])
            copies.append(son)
        contestants = _collection(Contestant)
        _insert_new(contestants, copies)
        self._written.extend((contestants, doc_id) for doc_id in waiting)

    def _activate_pending(self, batch: str) -> None:
        """Activate a committed batch an earlier version stored as ``pending`` contestants."""
        contestants = _collection(Contestant)
        pending = {"import_batch": batch, "status": "pending"}
        doc_ids = [doc["_id"] for doc in contestants.find(pending, {"_id": 1})]
        if doc_ids:
            contestants.update_many(pending, {"$set": {"status": "active"}, "$rename": {"held_events": OUTBOX_FIELD}})
            self._written.extend((contestants, doc_id) for doc_id in doc_ids)

    def abort_batch(self, code: str, batch: str) -> bool:
        """Abort a batch that was not committed and drop it; False if it was committed."""
        self._held.pop(batch, None)
        aborted = _collection(Competition).update_one(
            {"_id": code, f"roster_batches.{batch}": {"$nin": [COMMITTED, SENT]}},
            {"$set": {f"roster_batches.{batch}": ABORTED}}).matched_count
        if aborted:
            _collection(RosterBatch).delete_one({"_id": batch})
            Contestant.objects(import_batch=batch, status="pending").delete()  # stored by earlier versions
            self._forget_batch(code, batch)
        return bool(aborted)

    def _forget_batch(self, code: str, batch: str) -> None:
        _collection(Competition).update_one({"_id": code}, {"$unset": {f"roster_batches.{batch}": ""}})

    def staged_batches(self) -> dict[tuple[str, str], datetime]:
        """``(competition, batch)`` of every batch not yet copied into ``contestants``, with when it was
        staged (also the contestants earlier versions left ``pending``)."""
        found = {(doc["competition_code"], doc["_id"]): doc["staged_at"]
                 for doc in _collection(RosterBatch).find({}, {"competition_code": 1, "staged_at": 1})}
        for doc in _collection(Contestant).find({"status": "pending"},
                                                {"competition_code": 1, "import_batch": 1, "registered_at": 1}):
            key = (doc["competition_code"], doc["import_batch"])
            found[key] = min(found.get(key, doc["registered_at"]), doc["registered_at"])
        return {key: at.replace(tzinfo=UTC) for key, at in found.items()}  # stored in UTC, read back without a zone

    def batch_committed(self, code: str, batch: str) -> bool:
        return self._batch_state(code, batch) in (COMMITTED, SENT)

    def _batch_state(self, code: str, batch: str) -> str | None:
        doc = _collection(Competition).find_one({"_id": code}, {f"roster_batches.{batch}": 1}) or {}
        return (doc.get("roster_batches") or {}).get(batch)

    def _committed_batches(self, code: str) -> list[str]:
        doc = _collection(Competition).find_one({"_id": code}, {"roster_batches": 1}) or {}
        return [batch for batch, state in (doc.get("roster_batches") or {}).items() if state in (COMMITTED, SENT)]

    def _staged(self, code: str) -> list[Contestant]:
        """The contestants of the competition's committed batches not yet copied into ``contestants``.

        Read before ``contestants``: a batch copied meanwhile is then found there (it is deleted only
        once copied), so a reader always sees a committed batch whole.
        """
        batches = self._committed_batches(code)
        if not batches:
            return []
        found = _collection(RosterBatch).find({"_id": {"$in": batches}}, {"contestants.held_events": 0})
        return [Contestant._from_son(son) for doc in found for son in doc["contestants"]]

    def _with_staged(self, code: str, statuses: list[str], **filters: Any) -> list[Contestant]:
        """The competition's contestants in ``statuses`` (and ``filters``), those of committed batches
        not yet copied included."""
        staged = [c for c in self._staged(code) if all(getattr(c, k) == v for k, v in filters.items())]
        if not staged:
            return list(Contestant.objects(competition_code=code, status__in=statuses, **filters))
        stored = list(Contestant.objects(competition_code=code, **filters))
        copied = {c.contestant_id for c in stored}
        return [c for c in stored + [c for c in staged if c.contestant_id not in copied] if c.status in statuses]

    # ------------------------------------------------------- experts, judges

    def judges_of(self, code: str) -> list[dict]:
        """The competition's experts with the details declared for it (older assignments: the expert's)."""
        assignments = list(Assignment.objects(competition_code=code))
        legacy = [a.username for a in assignments if a.employer is None]
        experts = {e.username: e for e in Expert.objects(username__in=legacy)} if legacy else {}
        return [judge_view(a if a.employer is not None else experts[a.username], a.role, a.username)
                for a in assignments if a.employer is not None or a.username in experts]

    def assigned_usernames(self, code: str) -> list[str]:
        return [a.username for a in Assignment.objects(competition_code=code).only("username")]

    def competitions_of_expert(self, username: str) -> list[str]:
        return [a.competition_code for a in Assignment.objects(username=username).only("competition_code")]

    def is_assigned(self, code: str, username: str) -> bool:
        return Assignment.objects(competition_code=code, username=username).first() is not None

    def has_contestant(self, code: str, contestant_id: str) -> bool:
        return self.contestant(code, contestant_id) is not None

    def save_expert(self, username: str, details: dict) -> None:
        Expert.objects(username=username).update_one(upsert=True, **{f"set__{k}": v for k, v in details.items()})

    def assign(self, code: str, username: str, fields: dict, event: dict) -> None:
        """Upsert the assignment with its event in the same write."""
        self._upsert(Assignment, {"competition_code": code, "username": username}, fields, event)

    def declare_conflict(self, key: dict, fields: dict, event: dict) -> None:
        """Upsert the declared conflict ``key`` with its event in the same write."""
        self._upsert(DeclaredConflict, key, fields, event)

    def _upsert(self, document: type[Document], key: dict, fields: dict, event: dict) -> None:
        collection = _collection(document)
        doc = collection.find_one_and_update(key, with_events({"$set": fields}, event), projection={"_id": 1},
                                             upsert=True, return_document=ReturnDocument.AFTER)
        self._written.append((collection, doc["_id"]))

    def declared_conflicts(self, code: str) -> list[dict]:
        return [{"judge": d.judge, "contestant_id": d.contestant_id, "relation": d.relation, "note": d.note}
                for d in DeclaredConflict.objects(competition_code=code)]

    # ------------------------------------------------------------- conflicts

    def mark_conflicts_due(self, code: str) -> None:
        """Note, before a change that alters the conflicts, that they must be published after it."""
        _collection(Competition).update_one({"_id": code}, {"$set": {"conflicts_due": utc_now()}})

    def conflicts_state(self, code: str) -> tuple[int | None, datetime | None, int]:
        """The stored revision (None: never stored here), when conflicts fell due, and the revision now."""
        doc = _collection(Competition).find_one({"_id": code}, {"conflicts_revision": 1, "conflicts_due": 1}) or {}
        stored = doc.get("conflicts_revision")
        return stored, doc.get("conflicts_due"), stored if stored is not None else self._legacy_revision(code)

    @staticmethod
    def _legacy_revision(code: str) -> int:
        counter = ConflictRevision.objects(competition_code=code).first()
        return counter.revision if counter else 0

    def conflicts_revision(self, code: str) -> int:
        return self.conflicts_state(code)[2]

    def store_conflicts(self, code: str, seen: tuple[int | None, datetime | None], revision: int,
                        event: dict) -> bool:
        """Advance the revision with its ``conflicts_updated`` event, if nothing changed since ``seen``."""
        condition = {"conflicts_revision": seen[0], "conflicts_due": seen[1]}
        update = {"$set": {"conflicts_revision": revision}, "$unset": {"conflicts_due": ""}}
        return self._write(Competition, code, condition, update, [event])

    def conflicts_overdue(self, older_than: datetime) -> list[str]:
        return [d["_id"] for d in _collection(Competition).find({"conflicts_due": {"$lt": older_than}}, {"_id": 1})]


class Repository(DependencyProvider):
    """Connects registration's database when the service starts; each worker gets its own repository."""

    def setup(self) -> None:
        connect_database(ALIAS, self.container.config)

    def get_dependency(self, worker_ctx) -> RegistrationRepository:
        return RegistrationRepository()
