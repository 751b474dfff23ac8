"""The awards repository: every read and write of the service's documents, on the database handle the
service is given (``Repository``, a Nameko ``DependencyProvider``, as nameko-examples' products
service provides its storage), so ``worker_factory`` hands it any database.

Documents, fields and indexes are declared with mongoengine (``adapters.documents``); the
repository works on each document's collection, because what the service writes is bulk
(a results event rewrites hundreds of people in one round trip), conditional (a revision accepted
once, an approval claimed once) or carries its events in the same write (the outbox), none of
which mongoengine's document API expresses.

Hot paths only read and write documents by ``_id`` or query small collections (policies, rounds,
competitions, rankings).
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from mongoengine.connection import get_db
from nameko.extensions import DependencyProvider
from pymongo import DeleteMany, ReplaceOne, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.awards.adapters import documents as d
from services.awards.adapters.people_search import FoundPeople, search_projection
from services.awards.domain.policy import Policy, default_policy_document
from shared.db import connect_database, ensure_index_once
from shared.errors import not_found
from shared.events import utc_now

CHUNK_SIZE = 500  # positions per stored ranking chunk
BATCH = 1000  # documents per ``$in`` read or bulk write
#: an approved nomination's note that the person's record is still to be updated (the approval's source)
PERSON_UPDATE = "person_update"
#: who may read, merge and write a round's ranked lists, until when (``projections.ranking.one_at_a_time``)
RANKING_LEASE = "ranking_lease"
_POLICIES: dict[tuple[str, int], Policy] = {}  # stored versions never change: cached per process
_POLICY_DOCUMENTS: dict[tuple[str, int], dict] = {}  # the same, as stored
_CURRENT: dict[str, tuple[float, int]] = {}  # database -> (when read, monotonic clock; the current version)
#: how long a read of the current policy version serves the reads that accept a lag (``current_version``)
CURRENT_VERSION_SECONDS = 1.0
_INDEXED: set[str] = set()


class AwardsRepository:
    """The awards documents on one database."""

    def __init__(self, db: Database):
        self.db = db
        self.policies = db[d.collection_name(d.PolicyVersion)]
        self.people = db[d.collection_name(d.Person)]
        self.achievements = db[d.collection_name(d.AchievementRecord)]
        self.competitions = db[d.collection_name(d.CompetitionResults)]
        self.rounds = db[d.collection_name(d.NomineeRound)]
        self.nominations = db[d.collection_name(d.Nomination)]
        self.candidates = db[d.collection_name(d.Candidate)]
        self.rankings = db[d.collection_name(d.RankingChunk)]
        self.leases: set[tuple[str, str]] = set()  # (round, holder) ranking leases taken and not yet given back

    def ensure_indexes(self) -> None:
        """Create the indexes the documents declare (once per process and database)."""
        if self.db.name in _INDEXED:
            return
        for document in d.DOCUMENTS:
            for spec in document._meta.get("index_specs") or []:
                options = {k: v for k, v in spec.items() if k != "fields"}
                self.db[d.collection_name(document)].create_index(spec["fields"], **options)
        _INDEXED.add(self.db.name)

    # ------------------------------------------------------------------------ by _id, in batches

    @staticmethod
    def get_many(collection: Collection, ids: Iterable[str], projection: dict | None = None) -> dict[str, dict]:
        """Documents by ``_id`` (batched ``$in``), as a dict keyed by ``_id``."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, dict] = {}
        for start in range(0, len(wanted), BATCH):
            for doc in collection.find({"_id": {"$in": wanted[start:start + BATCH]}}, projection):
                found[doc["_id"]] = doc
        return found

    def scan(self, collection: Collection, query: dict | None = None, projection: dict | None = None,
             batch: int = BATCH) -> Iterator[dict]:
        """Every document matching ``query``, read as ``_id`` batches rather than one long cursor
        (the ``_id`` values first, from an index-covered projection; then a ``get_many`` per batch)."""
        ids = sorted(collection.find(query or {}, {"_id": 1}).distinct("_id"))
        for start in range(0, len(ids), batch):
            found = self.get_many(collection, ids[start:start + batch], projection)
            for ident in ids[start:start + batch]:
                if ident in found:
                    yield found[ident]

    @staticmethod
    def put_many(collection: Collection, docs: Iterable[dict], drop: list[str] | None = None) -> None:
        """Replace (or insert) each document by its ``_id`` and delete those in ``drop``: one unordered
        bulk write per batch (one round trip for most calls)."""
        writes: list[ReplaceOne | DeleteMany] = [ReplaceOne({"_id": doc["_id"]}, doc, upsert=True) for doc in docs]
        if drop:
            writes.append(DeleteMany({"_id": {"$in": drop}}))
        for start in range(0, len(writes), BATCH):
            collection.bulk_write(writes[start:start + BATCH], ordered=False)

    # ------------------------------------------------------------------------ policies

    def current_version(self, max_age: float = 0.0) -> int:
        """The latest stored policy version (the packaged default is stored first when none is).

        ``max_age``: a version this process read (or stored) less than that many seconds ago will do,
        without a round trip (reads that may lag a version stored by another instance that long)."""
        read_at, version = _CURRENT.get(self.db.name, (None, 0))
        if max_age and read_at is not None and time.monotonic() - read_at < max_age:
            return version
        latest = next(iter(self.policies.find({}, {"_id": 1}).sort("_id", -1).limit(1)), None)
        if latest is None:
            document = default_policy_document()
            self.insert_policy(int(document["version"]), document, "awards (packaged default)")
            return int(document["version"])
        _CURRENT[self.db.name] = (time.monotonic(), int(latest["_id"]))
        return int(latest["_id"])

    def insert_policy(self, version: int, document: dict, stored_by: str) -> bool:
        """Store ``document`` as ``version``; False when that version exists already."""
        try:
            self.policies.insert_one({"_id": version, "document": document, "stored_by": stored_by,
                                      "stored_at": utc_now()})
        except DuplicateKeyError:
            return False
        if version >= _CURRENT.get(self.db.name, (None, 0))[1]:
            _CURRENT[self.db.name] = (time.monotonic(), version)
        return True

    def policy_document(self, version: int) -> dict:
        """A stored version as stored (read once per process: a stored version never changes)."""
        found = _POLICY_DOCUMENTS.get((self.db.name, version)) or self.policies.find_one({"_id": version})
        if found is None:
            raise not_found("policy version", str(version))
        _POLICY_DOCUMENTS[(self.db.name, version)] = found
        return found

    def policy_at(self, version: int) -> Policy:
        cached = _POLICIES.get((self.db.name, version))
        if cached is None:
            cached = _POLICIES[(self.db.name, version)] = Policy.from_dict(self.policy_document(version)["document"])
        return cached

    def current_policy(self, max_age: float = 0.0) -> Policy:
        return self.policy_at(self.current_version(max_age))

    # ------------------------------------------------------------------------ people

    def person(self, person_key: str, projection: dict | None = None) -> dict | None:
        return self.people.find_one({"_id": person_key}, projection)

    def people_by_keys(self, keys: Iterable[str], projection: dict | None = None) -> dict[str, dict]:
        return self.get_many(self.people, keys, projection)

    def save_people(self, people: Iterable[dict]) -> None:
        self.put_many(self.people, people)

    def people_count(self) -> int:
        return self.people.count_documents({})

    def search_people(self, query: dict, skip: int, limit: int) -> FoundPeople:
        """One page of the people matching ``query``, ordered by name then person key."""
        found = self.people.find(query, search_projection()).sort([("name", 1), ("_id", 1)]).skip(skip).limit(limit)
        return FoundPeople(self.people.count_documents(query), list(found))

    # ------------------------------------------------------------------------ achievements, competitions

    def achievements_by_ids(self, ids: Iterable[str]) -> dict[str, dict]:
        return self.get_many(self.achievements, ids)

    def save_achievements(self, docs: Iterable[dict]) -> None:
        self.put_many(self.achievements, docs)

    def competition(self, code: str) -> dict | None:
        return self.competitions.find_one({"_id": code})

    def note_revision_ignored(self, code: str, entry: dict) -> None:
        self.competitions.update_one({"_id": code}, {"$push": {"history": entry}})

    def accept_revision(self, code: str, revision: int, document: dict) -> bool:
        """Store ``document`` (with its outbox) unless a revision as new is stored: one write, one winner."""
        try:
            self.competitions.replace_one({"_id": code, "revision": {"$lt": revision}}, document, upsert=True)
        except DuplicateKeyError:
            return False
        return True

    # ------------------------------------------------------------------------ rounds

    def round(self, round_id: str) -> dict:
        found = self.rounds.find_one({"_id": round_id})
        if found is None:
            raise not_found("nominee round", round_id)
        return found

    def open_rounds(self) -> list[dict]:
        return list(self.rounds.find({"status": "open"}))

    def all_rounds(self) -> list[dict]:
        return list(self.rounds.find({}).sort("opened_at", -1))

    def rounds_to_rank(self, rules: int) -> list[dict]:
        return list(self.rounds.find({"status": "open", "$or": [{"ranking.state": "stale"},
                                                                 {"ranking.rules": {"$ne": rules}}]}))

    def insert_round(self, document: dict) -> None:
        self.rounds.insert_one(document)

    def repin_round(self, round_id: str, version: int, entry: dict) -> None:
        self.rounds.update_one({"_id": round_id}, {"$set": {"policy_version": version, "ranking.state": "stale"},
                                                   "$push": {"policy_history": entry}})

    def take_ranking_lease(self, round_id: str, holder: str, seconds: float) -> dict | None:
        """The round, leased to ``holder`` for its ranked lists for ``seconds`` (``RANKING_LEASE``), as the
        holder before left it; None while another holder's lease runs. One round trip."""
        now = utc_now()
        taken = self.rounds.find_one_and_update(
            {"_id": round_id, "$or": [{RANKING_LEASE: {"$exists": False}}, {f"{RANKING_LEASE}.until": {"$lt": now}}]},
            {"$set": {RANKING_LEASE: {"holder": holder, "until": now + timedelta(seconds=seconds)}}},
            return_document=ReturnDocument.AFTER)
        if taken is not None:
            self.leases.add((round_id, holder))
        return taken

    def renew_ranking_lease(self, round_id: str, holder: str, seconds: float) -> None:
        self.rounds.update_one({"_id": round_id, f"{RANKING_LEASE}.holder": holder},
                               {"$set": {f"{RANKING_LEASE}.until": utc_now() + timedelta(seconds=seconds)}})

    def release_ranking_lease(self, round_id: str, holder: str) -> None:
        """Give the lease back, unless ``set_ranking`` did already (it is released with the ranking's summary)."""
        if (round_id, holder) in self.leases:
            self.leases.discard((round_id, holder))
            self.rounds.update_one({"_id": round_id, f"{RANKING_LEASE}.holder": holder}, {"$unset": {RANKING_LEASE: ""}})

    def set_ranking(self, round_id: str, ranking: dict, holder: str | None = None) -> bool:
        """Store the ranking's summary; with the lease of ``holder``, in the same write as its release.
        False when that lease ran out and another holder took it meanwhile: the lists may hold a mix of
        both merges, so the round is left due for a full ranking instead."""
        if holder is None:
            self.rounds.update_one({"_id": round_id}, {"$set": {"ranking": ranking}})
            return True
        self.leases.discard((round_id, holder))
        stored = self.rounds.update_one({"_id": round_id, f"{RANKING_LEASE}.holder": holder},
                                        {"$set": {"ranking": ranking}, "$unset": {RANKING_LEASE: ""}})
        if not stored.matched_count:
            self.rounds.update_one({"_id": round_id}, {"$set": {"ranking": {**ranking, "state": "stale"}}})
        return bool(stored.matched_count)

    def claim_approval(self, rnd: dict, person_key: str, amount: int) -> bool:
        """Count ``person_key``'s approval in the round's counters, if nobody changed them meanwhile.

        The counters are what the quota and budget guards read, so two approvals racing for the last
        place cannot both win. A claim left by a run that died before moving the nomination is found
        again (``approved_keys``) rather than counted twice. The claim is also noted, with its time,
        in ``approval_claims`` until the settling timer has seen the nomination approved (the claim
        stays) or not moved after the grace period (the claim is given back)."""
        if person_key in (rnd.get("approved_keys") or []):
            return True
        claim = {"person_key": person_key, "amount_yuan": amount, "at": utc_now()}
        taken = self.rounds.update_one(
            {"_id": rnd["_id"], "approved_count": rnd.get("approved_count", 0),
             "approved_sum_yuan": rnd.get("approved_sum_yuan", 0), "approved_keys": {"$ne": person_key}},
            {"$inc": {"approved_count": 1, "approved_sum_yuan": amount},
             "$push": {"approved_keys": person_key, "approval_claims": claim}})
        return bool(taken.modified_count)

    def release_approval(self, round_id: str, person_key: str, amount: int) -> bool:
        """Give back a claim whose nomination did not move (once: False when it is not held any more)."""
        released = self.rounds.update_one({"_id": round_id, "approved_keys": person_key},
                                          {"$inc": {"approved_count": -1, "approved_sum_yuan": -amount},
                                           "$pull": {"approved_keys": person_key,
                                                     "approval_claims": {"person_key": person_key}}})
        return bool(released.modified_count)

    def rounds_with_claims_before(self, cutoff: datetime) -> list[dict]:
        """The rounds holding approval claims made before ``cutoff`` and not yet settled."""
        ensure_index_once(self.rounds, "approval_claims.at", sparse=True, name="approval_claims_at")
        return list(self.rounds.find({"approval_claims.at": {"$lt": cutoff}},
                                     {"approval_claims": 1, "approved_keys": 1}))

    def confirm_claim(self, round_id: str, person_key: str) -> None:
        """The claim's nomination is approved: the claim stays counted and is no longer watched."""
        self.rounds.update_one({"_id": round_id}, {"$pull": {"approval_claims": {"person_key": person_key}}})

    # ------------------------------------------------------------------------ nominations

    def nomination(self, nomination_id: str) -> dict | None:
        return self.nominations.find_one({"_id": nomination_id})

    def nominations_by_ids(self, ids: Iterable[str]) -> dict[str, dict]:
        return self.get_many(self.nominations, ids)

    def nominations_of_round(self, round_id: str) -> Iterator[dict]:
        return self.scan(self.nominations, {"round_id": round_id})

    def nominations_of_person(self, person_key: str) -> list[dict]:
        return list(self.nominations.find({"person_key": person_key}))

    def earlier_approval(self, person_key: str, programme: str, other_than: str) -> dict | None:
        return self.nominations.find_one({"person_key": person_key, "programme": programme, "status": "approved",
                                          "_id": {"$ne": other_than}})

    def approvals_to_record(self, cutoff: datetime) -> list[dict]:
        """Approved nominations whose person's record was still to be updated at ``cutoff``
        (``PERSON_UPDATE``, written with the approval)."""
        ensure_index_once(self.nominations, f"{PERSON_UPDATE}.at", sparse=True, name="person_update_at")
        return list(self.nominations.find({f"{PERSON_UPDATE}.at": {"$lt": cutoff}}))

    def approval_recorded(self, nomination_id: str) -> None:
        """The person's record holds the approval: the nomination's marker goes (an approval is final,
        so the marker is written once)."""
        self.nominations.update_one({"_id": nomination_id}, {"$unset": {PERSON_UPDATE: ""}})

    def insert_nomination(self, document: dict) -> bool:
        """Store a new nomination; False when the person is already nominated in the round."""
        try:
            self.nominations.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    # ------------------------------------------------------------------------ candidates

    def candidates_by_ids(self, ids: Iterable[str]) -> dict[str, dict]:
        return {k: unpacked_candidate(v) or v for k, v in self.get_many(self.candidates, ids).items()}

    def candidate(self, candidate_id: str) -> dict | None:
        return unpacked_candidate(self.candidates.find_one({"_id": candidate_id}))

    def put_candidates(self, docs: Iterable[dict], drop: list[str] | None = None) -> None:
        """Store candidate documents and delete those in ``drop``, in one bulk write."""
        self.put_many(self.candidates, [packed_candidate(doc) for doc in docs], drop)

    def replace_round_candidates(self, round_id: str, docs: list[dict]) -> None:
        """The candidates of a round ranked from scratch: the old ones out, the new in large batches."""
        self.candidates.delete_many({"round_id": round_id})
        for start in range(0, len(docs), BATCH * 5):
            self.candidates.insert_many([packed_candidate(doc) for doc in docs[start:start + BATCH * 5]],
                                        ordered=False)

    # ------------------------------------------------------------------------ ranking chunks

    def read_chunks(self, round_id: str, list_name: str, numbers: Iterable[int]) -> list[dict]:
        ids = [chunk_id(round_id, list_name, n) for n in numbers]
        found = self.get_many(self.rankings, ids)
        return [row for ident in ids if ident in found for row in json.loads(found[ident]["entries"])]

    def read_list(self, round_id: str, list_name: str, chunks: int) -> list[dict]:
        return self.read_chunks(round_id, list_name, range(chunks))

    def read_packed(self, round_id: str, chunk_counts: dict[str, int]) -> dict[str, list[str]]:
        """The stored chunks of each named list as their packed strings, in order (one read for all)."""
        ids = {name: [chunk_id(round_id, name, n) for n in range(count)] for name, count in chunk_counts.items()}
        found = self.get_many(self.rankings, [i for wanted in ids.values() for i in wanted])
        return {name: [found[i]["entries"] for i in wanted if i in found] for name, wanted in ids.items()}

    def write_chunks(self, round_id: str, lists: dict[str, tuple[dict[int, str], int, int]]) -> None:
        """Store the changed chunks of each list (name -> (chunk number -> packed rows, chunks now,
        chunks before)) and drop the chunks past each list's end, in one bulk write."""
        changed = [{"_id": chunk_id(round_id, name, n), "round_id": round_id, "list": name, "chunk": n,
                    "entries": packed} for name, (chunks, _, _) in lists.items() for n, packed in chunks.items()]
        stale = [chunk_id(round_id, name, n) for name, (_, count, before) in lists.items() for n in range(count, before)]
        self.put_many(self.rankings, changed, stale)


def chunk_id(round_id: str, list_name: str, chunk: int) -> str:
    return f"{round_id}:{list_name}:{chunk:06d}"


def packed_candidate(doc: dict) -> dict:
    """A candidate document as stored: the breakdown lines as one JSON string (``lines_json``).

    A breakdown is a dozen lines of a dozen fields each; stored packed it is one value to write
    and read and is only ever read whole.
    """
    if not isinstance(doc.get("lines"), list):
        return doc
    packed = {k: v for k, v in doc.items() if k != "lines"}
    packed["lines_json"] = json.dumps(doc["lines"], ensure_ascii=False, separators=(",", ":"))
    return packed


def unpacked_candidate(doc: dict | None) -> dict | None:
    """A stored candidate document with its ``lines`` as a list again (older documents already are)."""
    if doc is None or "lines_json" not in doc:
        return doc
    doc = dict(doc)
    doc["lines"] = json.loads(doc.pop("lines_json"))
    return doc


def as_json(value: Any) -> Any:
    """A stored document without Mongo-only types, fit to return over RPC."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items() if k != "_id" or not isinstance(v, dict)}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "") + "Z"
    return value


class Repository(DependencyProvider):
    """Connects the awards database at container setup; each worker gets an ``AwardsRepository``."""

    def setup(self) -> None:
        connect_database(d.ALIAS, self.container.config)

    def get_dependency(self, worker_ctx) -> AwardsRepository:
        return AwardsRepository(get_db(d.ALIAS))
