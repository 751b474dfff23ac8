"""The local server without its full-collection ``_id`` scans (``shared.localdb_engines``): the same
answers as before over the wire, on both engines, and no stored document visited for a plain ``_id``."""
from __future__ import annotations

import uuid

import pymongo
import pytest
from bson import ObjectId
from mongoeco.core.query_plan import AndCondition, EqualsCondition, InCondition
from pymongo.errors import DuplicateKeyError

from shared.localdb import LocalDatabase
from shared.localdb_engines import _candidates_by_id, _without_redundant_scan


@pytest.fixture(scope="module")
def memory_uri():
    server = LocalDatabase(None)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "memory"])
def collection(request, mongodb_uri, db_prefix):
    uri = mongodb_uri if request.param == "sqlite" else request.getfixturevalue("memory_uri")
    with pymongo.MongoClient(uri) as client:
        database = client[f"{db_prefix}engines"]
        yield database[f"c{uuid.uuid4().hex[:8]}"]
        database.drop_collection(database.name)


def test_a_plain_id_is_still_unique(collection):
    collection.insert_many([{"_id": f"k{i}"} for i in range(20)])
    oid = ObjectId()
    collection.insert_one({"_id": oid})
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"_id": "k7"})
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"_id": oid})
    assert collection.count_documents({}) == 21


def test_numeric_ids_are_still_compared_by_value(collection):
    collection.insert_one({"_id": 1})
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"_id": 1.0})
    assert collection.count_documents({}) == 1


def test_upserts_and_reads_by_id_answer_as_before(collection):
    collection.insert_many([{"_id": f"k{i}", "n": i} for i in range(10)])
    inserted = collection.update_one({"_id": "new"}, {"$setOnInsert": {"n": 99}}, upsert=True)
    matched = collection.update_one({"_id": "k3"}, {"$set": {"m": 1}}, upsert=True)
    assert inserted.upserted_id == "new" and matched.upserted_id is None and matched.modified_count == 1
    assert collection.find_one({"_id": "missing"}) is None
    assert collection.update_one({"_id": "missing", "n": 1}, {"$set": {"m": 2}}).matched_count == 0
    found = [d["_id"] for d in collection.find({"_id": {"$in": ["k5", "missing", "k1", "new"]}})]
    assert found == ["k1", "k5", "new"]  # natural order, as before
    assert [d["_id"] for d in collection.find({"_id": {"$in": ["k2", "k4"]}, "n": 4})] == ["k4"]
    assert collection.count_documents({"_id": {"$in": ["k0", "k9", "nope"]}}) == 2
    assert collection.delete_one({"_id": "missing"}).deleted_count == 0
    assert collection.count_documents({}) == 11


def test_the_uniqueness_check_scans_only_for_numeric_ids():
    calls = []

    def check(self, db_name, coll_name, document, *, scan_payload_id=False, **kwargs):
        calls.append(scan_payload_id)

    narrowed = _without_redundant_scan(check)
    narrowed(None, "db", "c", {"_id": "plain"}, scan_payload_id=True)
    narrowed(None, "db", "c", {"_id": ObjectId()}, scan_payload_id=True)
    narrowed(None, "db", "c", {"_id": 1}, scan_payload_id=True)
    narrowed(None, "db", "c", {"_id": {"a": 2.5}}, scan_payload_id=True)
    assert calls == [False, False, True, True]


class Engine:
    """Just enough of the memory engine for its candidate lookup."""

    scanned = False

    def _storage_key(self, value):
        return value


def test_candidates_for_plain_ids_are_the_documents_stored_under_them():
    def every_document(self, coll, plan, *, collation=None, natural_order_limit=None, **kwargs):
        self.scanned = True
        return list(coll.items())

    narrowed = _candidates_by_id(every_document)
    coll = {"a": 1, "b": 2, "c": 3}
    engine = Engine()
    assert narrowed(engine, coll, EqualsCondition("_id", "zz")) == []
    assert narrowed(engine, coll, InCondition("_id", ("c", "a", "zz"))) == [("a", 1), ("c", 3)]
    assert narrowed(engine, coll, AndCondition((EqualsCondition("n", 2), InCondition("_id", ("b",))))) == [("b", 2)]
    assert narrowed(engine, coll, EqualsCondition("_id", "c")) == [("c", 3)]
    assert not engine.scanned
    for plan, kwargs in [(EqualsCondition("_id", 1), {}), (InCondition("_id", ("a", 2)), {}),
                         (EqualsCondition("n", 1), {}),
                         (EqualsCondition("_id", "zz"), {"collation": {"locale": "en", "strength": 2}})]:
        engine.scanned = False
        narrowed(engine, coll, plan, **kwargs)
        assert engine.scanned, plan
