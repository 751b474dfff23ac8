"""Measurement helper, not a test (issue 8): how to store a round's ranked lists over the wire.

``python -m tests.service.awards_ranking_storage [rows]`` against the local database server on a
throw-away folder (or ``MONGODB_URI``), and prints, for each layout, the time to write a whole
list, to read a page of 100 in the middle, to read the whole list (what every incremental re-rank
and every filtered page does), and to store the list after one row moved near its top:

- ``json chunks``: 500 ranked rows per document, packed as one JSON string (the stored layout);
- ``bson chunks``: 500 ranked rows per document, as a BSON array of sub-documents;
- ``row per doc``: one document per ranked row, indexed by (round, list, position).

Times are printed, never asserted.
"""
from __future__ import annotations

import json
import random
import sys
import time
import uuid

from pymongo import ASCENDING, DeleteMany, MongoClient, ReplaceOne

CHUNK = 500


def rows_of(count: int, rng: random.Random) -> list[dict]:
    rows = []
    for i in range(count):
        total = round(rng.uniform(10, 300), 2)
        rows.append({"person_key": f"{i:064x}", "name": f"候选人{i}", "masked_id": "310101********123X",
                     "employer": f"企业{i % 500}", "industry": "装备制造", "district": "浦东新区", "skills": ["焊工"],
                     "total": f"{total:.2f}", "score": total, "best": 40.0, "latest_year": 2023,
                     "tie_evidence": [-1000000000, -4, 4, 2023], "lot": uuid.uuid4().hex[:16], "eligible": True,
                     "channel": "employer", "status": "eligible"})
    rows.sort(key=lambda r: -r["score"])
    for position, row in enumerate(rows, 1):
        row["position"], row["tied"] = position, 1
    return rows


def clock(label: str, work) -> None:
    start = time.perf_counter()
    work()
    print(f"  {label:<38} {time.perf_counter() - start:8.3f} s", flush=True)


class JsonChunks:
    name = "json chunks"

    def __init__(self, db):
        self.coll = db["json_chunks"]

    def write(self, rows, only=None):
        docs = [{"_id": n, "entries": json.dumps(rows[n * CHUNK:(n + 1) * CHUNK], ensure_ascii=False,
                                                 separators=(",", ":"))}
                for n in range((len(rows) + CHUNK - 1) // CHUNK) if only is None or n in only]
        self.coll.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs], ordered=False)

    def page(self, first, size):
        numbers = list(range(first // CHUNK, (first + size - 1) // CHUNK + 1))
        found = {d["_id"]: json.loads(d["entries"]) for d in self.coll.find({"_id": {"$in": numbers}})}
        rows = [r for n in numbers for r in found[n]]
        return rows[first % CHUNK:first % CHUNK + size]

    def whole(self):
        return [r for d in self.coll.find({}).sort("_id", 1) for r in json.loads(d["entries"])]


class BsonChunks(JsonChunks):
    name = "bson chunks"

    def __init__(self, db):
        self.coll = db["bson_chunks"]

    def write(self, rows, only=None):
        docs = [{"_id": n, "entries": rows[n * CHUNK:(n + 1) * CHUNK]}
                for n in range((len(rows) + CHUNK - 1) // CHUNK) if only is None or n in only]
        self.coll.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs], ordered=False)

    def page(self, first, size):
        numbers = list(range(first // CHUNK, (first + size - 1) // CHUNK + 1))
        found = {d["_id"]: d["entries"] for d in self.coll.find({"_id": {"$in": numbers}})}
        rows = [r for n in numbers for r in found[n]]
        return rows[first % CHUNK:first % CHUNK + size]

    def whole(self):
        return [r for d in self.coll.find({}).sort("_id", 1) for r in d["entries"]]


class RowPerDoc:
    name = "row per doc"

    def __init__(self, db):
        self.coll = db["ranked_rows"]
        self.coll.create_index([("list", ASCENDING), ("position", ASCENDING)])

    def write(self, rows, only=None):
        changed = rows if only is None else [r for r in rows if (r["position"] - 1) // CHUNK in only]
        writes = [ReplaceOne({"_id": r["person_key"]}, {"_id": r["person_key"], "list": "field", **r}, upsert=True)
                  for r in changed]
        for start in range(0, len(writes), 1000):
            self.coll.bulk_write(writes[start:start + 1000], ordered=False)

    def page(self, first, size):
        return list(self.coll.find({"list": "field", "position": {"$gt": first}}).sort("position", 1).limit(size))

    def whole(self):
        return list(self.coll.find({"list": "field"}).sort("position", 1))


def measure(db, count: int) -> None:
    rng = random.Random(8)
    rows = rows_of(count, rng)
    moved = dict(rows[-1], score=999.0, total="999.00")  # the last one jumps to the top: every position shifts
    after = [moved] + [dict(r) for r in rows[:-1]]
    for position, row in enumerate(after, 1):
        row["position"] = position
    print(f"{count:,} ranked rows", flush=True)
    for layout in (JsonChunks(db), BsonChunks(db), RowPerDoc(db)):
        print(f" {layout.name}", flush=True)
        clock("write the whole list", lambda: layout.write(rows))
        clock("read a page of 100 in the middle", lambda: layout.page(count // 2, 100))
        clock("read the whole list", layout.whole)
        clock("store it after one row moved to the top", lambda: layout.write(after))
        layout.coll.bulk_write([DeleteMany({})])


def main(count: int = 20_000) -> int:
    from bench import database_uri

    with database_uri() as uri:
        client = MongoClient(uri)
        name = f"measure_{uuid.uuid4().hex[:6]}"
        try:
            measure(client[name], count)
        finally:
            client.drop_database(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(*[int(a) for a in sys.argv[1:2]]))
