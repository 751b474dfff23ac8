"""Registration's repository: every read and write of its documents, given to workers by ``Repository``.

Writes keep the outbox rule: a state change and the events it emits are one document write (the
events go into the document's ``_outbox`` in the same update, ``shared.outbox``). The repository
remembers which documents it wrote events into; ``relay`` then dispatches them (the service's
timer relays whatever a crash left behind). Where mongoengine cannot express an atomic update (a
compare-and-set with an ``_outbox`` push, a ``$rename``), the document's collection is used directly.

A roster batch (one contestant or a whole file) is written in three steps, all-or-nothing even if
the process dies in between: its contestants are inserted ``pending`` with their events held back;
the competition's ``roster_version`` compare-and-set commits the batch (``roster_batches``); then
``activate_batch`` makes them ``active`` and moves each held event into its ``_outbox`` in the same
update. ``pending_batches`` finds batches a dead process left pending: committed ones are activated,
the others aborted (``abort_batch``), and a commit after an abort is refused.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from mongoengine import Document
from mongoengine.errors import NotUniqueError
from nameko.extensions import DependencyProvider
from pymongo import ReturnDocument
from pymongo.collection import Collection

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
    judge_view,
)

COMMITTED = "committed"
ABORTED = "aborted"
#: The collections whose documents carry events in ``_outbox`` (the relay's timer reads these).
OUTBOX_COLLECTIONS = ("competitions", "contestants", "assignments", "declared_conflicts")
Dispatch = Callable[[str, dict], None]


def _collection(document: type[Document]) -> Collection:
    return document._get_collection()


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
            relay_documents(collection.database, collection.name, doc_ids, dispatch)

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
        return list(Contestant.objects(competition_code=code, status="active"))

    def contestants(self, code: str, include_withdrawn: bool) -> list[Contestant]:
        statuses = ["active", "withdrawn"] if include_withdrawn else ["active"]
        return list(Contestant.objects(competition_code=code, status__in=statuses).order_by("registered_at", "name"))

    def contestant(self, code: str, contestant_id: str) -> Contestant | None:
        return Contestant.objects(competition_code=code, contestant_id=contestant_id,
                                  status__in=["active", "withdrawn"]).first()

    def withdrawn_ids(self, code: str) -> list[str]:
        return [c.contestant_id for c in Contestant.objects(competition_code=code, status="withdrawn")]

    def withdraw(self, code: str, contestant_id: str, update: dict, event: dict) -> bool:
        return self._write(Contestant, contestant_id, {"competition_code": code, "status": "active"}, update, [event])

    def stage_batch(self, docs: list[Contestant]) -> None:
        """Insert a batch's contestants ``pending``; ``NotUniqueError`` (and nothing kept) on a duplicate."""
        try:
            Contestant.objects.insert(docs, load_bulk=False)
        except NotUniqueError:
            self.drop_batch(docs[0].import_batch)
            raise

    def commit_batch(self, code: str, batch: str, roster_version: int) -> bool:
        """The batch's commit point: only if the roster is as it was read and the batch not aborted."""
        condition = {"roster_version": roster_version, f"roster_batches.{batch}": {"$exists": False}}
        update = {"$inc": {"roster_version": 1},
                  "$set": {f"roster_batches.{batch}": COMMITTED, "conflicts_due": utc_now()}}
        return self._write(Competition, code, condition, update)

    def activate_batch(self, code: str, batch: str, dispatch: Dispatch | None = None) -> None:
        """Make a committed batch's contestants active, each one's held event moved into its ``_outbox``.

        With ``dispatch`` the held events are sent first (the batch is committed, so what they
        announce is decided) and dropped by the activation instead of moved: a roster costs one
        document write per contestant, not two. Those the broker refused move to ``_outbox``; a
        crash before the activation leaves them held, and the timer's activation moves them.
        """
        contestants = _collection(Contestant)
        pending = {"import_batch": batch, "status": "pending"}
        held = list(contestants.find(pending, {"held_events": 1}))
        sent = _send_held(held, dispatch) if dispatch else set()
        if sent:
            contestants.update_many({**pending, "_id": {"$in": list(sent)}},
                                    {"$set": {"status": "active"}, "$unset": {"held_events": ""}})
        rest = [doc["_id"] for doc in held if doc["_id"] not in sent]
        if rest:
            contestants.update_many({**pending, "_id": {"$in": rest}},
                                    {"$set": {"status": "active"}, "$rename": {"held_events": OUTBOX_FIELD}})
            self._written.extend((contestants, doc_id) for doc_id in rest)
        self._forget_batch(code, batch)

    def abort_batch(self, code: str, batch: str) -> bool:
        """Abort a batch that was not committed and drop its contestants; False if it was committed."""
        aborted = _collection(Competition).update_one(
            {"_id": code, f"roster_batches.{batch}": {"$ne": COMMITTED}},
            {"$set": {f"roster_batches.{batch}": ABORTED}}).matched_count
        if aborted:
            self.drop_batch(batch)
            self._forget_batch(code, batch)
        return bool(aborted)

    def drop_batch(self, batch: str | None) -> None:
        Contestant.objects(import_batch=batch, status="pending").delete()

    def _forget_batch(self, code: str, batch: str) -> None:
        _collection(Competition).update_one({"_id": code}, {"$unset": {f"roster_batches.{batch}": ""}})

    def pending_batches(self) -> dict[tuple[str, str], datetime]:
        """``(competition, batch)`` of the contestants still pending, with the oldest one's time."""
        found = _collection(Contestant).find({"status": "pending"},
                                             {"competition_code": 1, "import_batch": 1, "registered_at": 1})
        batches: dict[tuple[str, str], datetime] = {}
        for doc in found:
            key = (doc["competition_code"], doc["import_batch"])
            at = doc["registered_at"].replace(tzinfo=UTC)  # stored in UTC, read back without a zone
            batches[key] = min(batches.get(key, at), at)
        return batches

    def batch_committed(self, code: str, batch: str) -> bool:
        doc = _collection(Competition).find_one({"_id": code}, {"roster_batches": 1}) or {}
        return (doc.get("roster_batches") or {}).get(batch) == COMMITTED

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
