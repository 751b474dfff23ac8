"""The awards service's documents and the queries it needs.

Collections (database alias ``awards``):

=================  =====================================  ==========================================
collection         _id                                    what
=================  =====================================  ==========================================
policies           version (int)                          every stored honours-policy version
people             person_key                             candidate profile + where each part came from;
                                                          ``scoring_input``: the record the programmes
                                                          score, packed (denormalised read model)
achievements       ``<competition>:<person_key>``         one published result of a person and its
                                                          honours; ``superseded`` keeps corrections
competitions       competition code                       last accepted revision of its results
rounds             round id                               nominee rounds (programme, year, quota, …)
nominations        ``<round>:<person_key>``               a nominee's channel, status and history
candidates         ``<round>:<person_key>``               current score + breakdown + eligibility of
                                                          every known person for an open round
rankings           ``<round>:<list>:<chunk>``             the ranked order, cut in chunks of
                                                          ``CHUNK_SIZE`` positions (see below)
=================  =====================================  ==========================================

Hot paths only read and write documents by ``_id`` (every MongoDB collection has that index) or
query small collections (policies, rounds, competitions, rankings). The ranked order of a round is
kept as a *bucketed read model*: positions 1..500 in chunk 0, 501..1000 in chunk 1, … so a page of
100 is one or two ``_id`` reads, whatever the list length and with no sort at read time. Each chunk
stores its entries packed as one JSON string (compact rows: position, person, total and the
tie-break keys, the filter fields); the source of truth stays ``candidates`` with its secondary
index ``(round_id, eligible, score desc, best desc, latest_year desc, person_key)``.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    FloatField,
    IntField,
    ListField,
    StringField,
)
from pymongo import ReplaceOne

ALIAS = "awards"
CHUNK_SIZE = 500
BATCH = 1000


class PolicyVersion(Document):
    meta = {"db_alias": ALIAS, "collection": "policies"}
    version = IntField(primary_key=True)
    document = DictField(required=True)
    stored_by = StringField()
    stored_at = DateTimeField()
    note = StringField(null=True)


class Person(Document):
    meta = {"db_alias": ALIAS, "collection": "people",
            "indexes": ["industry", "district", "employer", "name", "skills"]}  # the last four: people search
    person_key = StringField(primary_key=True)
    masked_id = StringField(null=True)
    name = StringField()
    employer = StringField(null=True)
    industry = StringField(null=True)
    district = StringField(null=True)
    union_member = BooleanField(null=True)
    front_line = BooleanField(null=True)
    current_level = IntField(null=True)
    years_of_service = IntField(null=True)
    titles = ListField(DictField())
    innovation_awards = ListField(DictField())
    patents = IntField(null=True)
    apprentices = IntField(null=True)
    chief_technician_funded_year = IntField(null=True)
    studio_funded_year = IntField(null=True)
    still_in_post = BooleanField(null=True)
    registration_level = IntField(null=True)  # the level on the latest results_published row
    results = ListField(DictField())  # compact achievements for scoring, one per competition
    honour_titles = ListField(DictField())  # titles granted by recorded honours
    promoted_to = IntField(null=True)  # highest level reached through recorded promotions
    skills = ListField(StringField())
    sources = DictField()  # field -> {kind: api|import|event, by, at, batch|event_id}
    history = ListField(DictField())
    scoring_input = StringField()  # packed CandidateRecord dict
    created_at = DateTimeField()
    updated_at = DateTimeField()


class AchievementRecord(Document):
    meta = {"db_alias": ALIAS, "collection": "achievements",
            "indexes": ["person_key", "competition.code"]}
    id = StringField(primary_key=True)
    person_key = StringField(required=True)
    competition = DictField()
    revision = IntField()
    event_id = StringField()
    result = DictField()
    honours = DictField()
    status = StringField(default="current")  # current | withdrawn (left out of a correction)
    recorded_at = DateTimeField()
    superseded = ListField(DictField())


class CompetitionResults(Document):
    meta = {"db_alias": ALIAS, "collection": "competitions"}
    code = StringField(primary_key=True)
    revision = IntField()
    event_id = StringField()
    person_keys = ListField(StringField())
    history = ListField(DictField())


class NomineeRound(Document):
    meta = {"db_alias": ALIAS, "collection": "rounds", "indexes": ["status", "programme"]}
    round_id = StringField(primary_key=True)
    programme = StringField(required=True)
    year = IntField(required=True)
    status = StringField(default="open")
    quota = IntField(null=True)
    budget_yuan = IntField(null=True)
    amount_per_person_yuan = IntField(null=True)
    policy_version = IntField()
    ranking = DictField()


class Nomination(Document):
    meta = {"db_alias": ALIAS, "collection": "nominations", "indexes": ["round_id", "person_key"]}
    id = StringField(primary_key=True)
    round_id = StringField()
    person_key = StringField()
    channel = StringField()
    status = StringField()
    history = ListField(DictField())


class Candidate(Document):
    meta = {"db_alias": ALIAS, "collection": "candidates",
            "indexes": [{"fields": ["round_id", "-eligible", "-score", "-best", "-latest_year", "person_key"]},
                        "person_key"]}
    id = StringField(primary_key=True)
    round_id = StringField()
    person_key = StringField()
    score = FloatField()
    best = FloatField()
    latest_year = IntField()
    eligible = BooleanField()
    total = StringField()
    lines = ListField(DictField())  # documents written before ``lines_json``
    lines_json = StringField()  # the breakdown lines, packed (see ``packed_candidate``)
    reasons = ListField(DictField())


class RankingChunk(Document):
    meta = {"db_alias": ALIAS, "collection": "rankings", "indexes": [("round_id", "list", "chunk")]}
    id = StringField(primary_key=True)
    round_id = StringField()
    list = StringField()
    chunk = IntField()
    entries = StringField()  # packed JSON rows


DOCUMENTS = (PolicyVersion, Person, AchievementRecord, CompetitionResults, NomineeRound, Nomination, Candidate,
             RankingChunk)
_indexed = False


def ensure_indexes() -> None:
    global _indexed
    if not _indexed:
        for document in DOCUMENTS:
            document.ensure_indexes()
        _indexed = True


def col(document: type[Document]):
    return document._get_collection()


policies = lambda: col(PolicyVersion)  # noqa: E731
people = lambda: col(Person)  # noqa: E731
achievements = lambda: col(AchievementRecord)  # noqa: E731
competitions = lambda: col(CompetitionResults)  # noqa: E731
rounds = lambda: col(NomineeRound)  # noqa: E731
nominations = lambda: col(Nomination)  # noqa: E731
candidates = lambda: col(Candidate)  # noqa: E731
rankings = lambda: col(RankingChunk)  # noqa: E731


# --------------------------------------------------------------------------- by-_id batch access


def get_many(collection, ids: Iterable[str], projection: dict | None = None) -> dict[str, dict]:
    """Documents by ``_id`` (batched ``$in``), as a dict keyed by ``_id``."""
    ids = list(dict.fromkeys(ids))
    found: dict[str, dict] = {}
    for start in range(0, len(ids), BATCH):
        for doc in collection.find({"_id": {"$in": ids[start:start + BATCH]}}, projection):
            found[doc["_id"]] = doc
    return found


def scan(collection, filter: dict | None = None, projection: dict | None = None,
         batch: int = BATCH) -> Iterator[dict]:
    """Every document matching ``filter``, read as ``_id`` batches rather than one long cursor.

    The ``_id`` values come from one ``distinct`` over an ``_id``-only projection (covered by the
    ``_id`` index, or by the filter's index, on MongoDB), then each batch is a ``get_many``. The
    in-process engine's cursor copies its whole result list for every document it returns
    (quadratic: about 40 s for 100,000 documents) and its collection-level ``distinct`` copies every
    whole document; this way reading a collection stays linear on both engines.
    """
    ids = sorted(collection.find(filter or {}, {"_id": 1}).distinct("_id"))
    for start in range(0, len(ids), batch):
        found = get_many(collection, ids[start:start + batch], projection)
        for ident in ids[start:start + batch]:
            if ident in found:
                yield found[ident]


def put_many(collection, docs: Iterable[dict]) -> None:
    """Replace (or insert) each document by its ``_id``: one unordered bulk write per batch."""
    docs = list(docs)
    for start in range(0, len(docs), BATCH):
        batch = docs[start:start + BATCH]
        if batch:
            collection.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in batch], ordered=False)


# --------------------------------------------------------------------------- people search


class FoundPeople(NamedTuple):
    total: int
    people: list[dict]


SEARCH_PROJECTION = {"name": 1, "masked_id": 1, "employer": 1, "industry": 1, "district": 1, "skills": 1}


def people_search_filter(q: str | None = None, name: str | None = None, employer: str | None = None,
                         district: str | None = None, skill: str | None = None) -> dict:
    """Every given term must match: name from its start, employer anywhere in it, district and skill
    exactly; ``q`` matches any of these or the whole person key. Terms are matched literally."""
    def by_name(text: str) -> dict:
        return {"name": {"$regex": "^" + re.escape(text)}}

    def by_employer(text: str) -> dict:
        return {"employer": {"$regex": re.escape(text)}}

    clauses = []
    if q:
        clauses.append({"$or": [by_name(q), by_employer(q), {"district": q}, {"skills": q}, {"_id": q}]})
    if name:
        clauses.append(by_name(name))
    if employer:
        clauses.append(by_employer(employer))
    if district:
        clauses.append({"district": district})
    if skill:
        clauses.append({"skills": skill})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def search_people(filter: dict, skip: int, limit: int) -> FoundPeople:
    """One page of the people matching ``filter``, ordered by name then person key."""
    found = people().find(filter, SEARCH_PROJECTION).sort([("name", 1), ("_id", 1)]).skip(skip).limit(limit)
    return FoundPeople(people().count_documents(filter), list(found))


# --------------------------------------------------------------------------- candidates


def packed_candidate(doc: dict) -> dict:
    """A candidate document as stored: the breakdown lines as one JSON string (``lines_json``).

    A breakdown is a dozen lines of a dozen fields each; stored packed it is one value to write
    and read (a whole round of nominees is rewritten on every re-rank) and is only ever read whole.
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


def put_candidates(docs: Iterable[dict]) -> None:
    put_many(candidates(), [packed_candidate(d) for d in docs])


def insert_candidates(docs: list[dict]) -> None:
    """Insert new candidate documents (a round being ranked from scratch) in large batches."""
    for start in range(0, len(docs), BATCH * 5):
        candidates().insert_many([packed_candidate(d) for d in docs[start:start + BATCH * 5]], ordered=False)


def get_candidates(ids: Iterable[str]) -> dict[str, dict]:
    return {k: unpacked_candidate(v) for k, v in get_many(candidates(), ids).items()}


# --------------------------------------------------------------------------- ranking chunks


def chunk_id(round_id: str, list_name: str, chunk: int) -> str:
    return f"{round_id}:{list_name}:{chunk:06d}"


def read_chunks(round_id: str, list_name: str, numbers: Iterable[int]) -> list[dict]:
    ids = [chunk_id(round_id, list_name, n) for n in numbers]
    found = get_many(rankings(), ids)
    rows: list[dict] = []
    for ident in ids:
        if ident in found:
            rows.extend(json.loads(found[ident]["entries"]))
    return rows


def read_list(round_id: str, list_name: str, chunks: int) -> list[dict]:
    return read_chunks(round_id, list_name, range(chunks))


def read_packed(round_id: str, list_name: str, chunks: int) -> list[str]:
    """The stored chunks of a list as their packed strings, in order."""
    ids = [chunk_id(round_id, list_name, n) for n in range(chunks)]
    found = get_many(rankings(), ids)
    return [found[i]["entries"] for i in ids if i in found]


def write_list(round_id: str, list_name: str, rows: list[dict], old_chunks: int,
               old_packed: list[str] | None = None, touched: set[int] | None = None) -> int:
    """Store ``rows`` (already ordered, positions set) in chunks; chunks that did not change are not written.

    ``touched`` (with ``old_packed``): the only chunks whose rows can differ from the stored ones
    (see ``ranking_model.numbered``); the others are not even encoded. The last chunk is always
    encoded (rows may have left the end of the list)."""
    count = (len(rows) + CHUNK_SIZE - 1) // CHUNK_SIZE
    changed = []
    for n in range(count):
        if touched is not None and old_packed is not None and n not in touched and n < len(old_packed) \
                and n != count - 1:
            continue
        packed = json.dumps(rows[n * CHUNK_SIZE:(n + 1) * CHUNK_SIZE], ensure_ascii=False, separators=(",", ":"))
        if old_packed is not None and n < len(old_packed) and old_packed[n] == packed:
            continue
        changed.append({"_id": chunk_id(round_id, list_name, n), "round_id": round_id, "list": list_name,
                        "chunk": n, "entries": packed})
    put_many(rankings(), changed)
    stale = [chunk_id(round_id, list_name, n) for n in range(count, old_chunks)]
    if stale:
        rankings().delete_many({"_id": {"$in": stale}})
    return count


def as_json(value: Any) -> Any:
    """A stored document without Mongo-only types, fit to return over RPC."""
    from datetime import datetime

    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items() if k != "_id" or not isinstance(v, dict)}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "") + "Z"
    return value
