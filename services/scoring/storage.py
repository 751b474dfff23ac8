"""Scoring's collections, the key encoding of mark paths, and the in-memory views of the hot path.

Collections (database ``scoring``; raw pymongo, because the marks path is written for speed):

``competitions``  one per competition (``_id`` = code): the registration snapshot and its revision,
                  marking ``status`` (setup | marking | final), ``scheme_version``, the scoring
                  ``policy`` fixed at open, the conflict list and its revision, ``roster_version``
                  (bumped on every roster change, the key of the in-memory roster cache).
``roster``        one per contestant (``<code>|c|<id>``) and per assigned judge (``<code>|j|<user>``).
``schemes``       the current scheme of a competition (``_id`` = code) as scheme JSON, with version.
``sheets``        one per (competition, sub-criterion) (``<code>|<sub>``), created when marking
                  opens: ``locked``, ``unlocked_before`` and the marks themselves:
                  ``m.<entry>.<aspect index>`` = ``[mark text, entered by]`` (measurement) and
                  ``j.<entry>.<aspect index>.<judge>`` = score (judgement). A batch for a whole
                  sub-criterion is one document update; a lock and a write cannot cross because
                  every write is filtered on ``locked: false``.
``audit``         one per request that changed something: who, when, why, and every change
                  (old and new value).
``results``       the finalised results of a competition (``_id`` = code) with their revision.
``requests.marks.<code>.<user>``  idempotency records of marks requests (``shared.idempotency``),
                  partitioned per competition and judge: the in-process engine scans a whole
                  collection per query, so small partitions keep retries and claims cheap; with
                  MongoDB the ``_id`` index makes the partition irrelevant.

Mongo field names may not contain ``.`` or start with ``$``: entry ids and usernames are
percent-encoded (:func:`key`), aspects are addressed by their index in the (frozen) scheme.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from mongoengine.connection import get_db
from pymongo.errors import DuplicateKeyError

from services.scoring.domain.scheme import MarkingScheme, load_scheme

ALIAS = "scoring"
COMPETITIONS, ROSTER, SCHEMES, SHEETS, AUDIT, RESULTS = "competitions", "roster", "schemes", "sheets", "audit", "results"


def db():
    return get_db(ALIAS)


def key(text: str) -> str:
    """A Mongo-safe field name for an entry id or username (reversible)."""
    if "%" in text or "." in text or text.startswith("$"):
        text = text.replace("%", "%25").replace(".", "%2E")
        if text.startswith("$"):
            text = "%24" + text[1:]
    return text


def unkey(text: str) -> str:
    if "%" not in text:
        return text
    return text.replace("%24", "$").replace("%2E", ".").replace("%25", "%")


def sheet_id(code: str, sub_id: str) -> str:
    return f"{code}|{sub_id}"


# --------------------------------------------------------------------------- competition state

NEW_STATE = {"status": "setup", "snapshot": None, "snapshot_revision": 0, "scheme_version": 0, "roster_version": 0,
             "conflicts": [], "conflicts_revision": 0, "results_revision": 0}
HOT_FIELDS = {"status": 1, "scheme_version": 1, "roster_version": 1, "policy.dispute_limit": 1, "snapshot.team": 1}


def ensure_state(database, code: str) -> None:
    states = database[COMPETITIONS]
    if states.find_one({"_id": code}, {"_id": 1}) is None:
        try:
            states.insert_one({"_id": code, **NEW_STATE})
        except DuplicateKeyError:
            pass


def state(database, code: str, projection: dict | None = None) -> dict | None:
    return database[COMPETITIONS].find_one({"_id": code}, projection)


def apply_snapshot(database, code: str, snapshot: dict, at_least: bool = False) -> bool:
    """Keep the newer competition snapshot (by its revision); ``at_least`` also takes an equal one."""
    ensure_state(database, code)
    op = "$lte" if at_least else "$lt"
    done = database[COMPETITIONS].update_one({"_id": code, "snapshot_revision": {op: snapshot["revision"]}},
                                             {"$set": {"snapshot": snapshot, "snapshot_revision": snapshot["revision"]}})
    return bool(done.matched_count)


def apply_conflicts(database, code: str, revision: int, conflicts: list[dict], at_least: bool = False) -> bool:
    ensure_state(database, code)
    op = "$lte" if at_least else "$lt"
    pairs = [{"judge": c["judge"], "contestant_id": c["contestant_id"], "reasons": list(c.get("reasons") or [])}
             for c in conflicts]
    done = database[COMPETITIONS].update_one({"_id": code, "conflicts_revision": {op: revision}},
                                             {"$set": {"conflicts": pairs, "conflicts_revision": revision},
                                              "$inc": {"roster_version": 1}})
    return bool(done.matched_count)


def bump_roster(database, code: str) -> None:
    database[COMPETITIONS].update_one({"_id": code}, {"$inc": {"roster_version": 1}})


def upsert_contestant(database, code: str, view: dict, withdrawn: bool = False) -> None:
    """A contestant of the registration view; a withdrawal is final (never undone by a late event)."""
    ensure_state(database, code)
    fields = {k: v for k, v in view.items() if k != "status"}
    update: dict[str, Any] = {"$set": {**fields, "code": code, "kind": "contestant"}}
    if withdrawn:
        update["$set"]["status"] = "withdrawn"
    else:
        update["$setOnInsert"] = {"status": "active"}
    database[ROSTER].update_one({"_id": f"{code}|c|{view['contestant_id']}"}, update, upsert=True)
    bump_roster(database, code)


def upsert_judge(database, code: str, judge: dict) -> None:
    ensure_state(database, code)
    database[ROSTER].update_one({"_id": f"{code}|j|{judge['username']}"},
                                {"$set": {**judge, "code": code, "kind": "judge"}}, upsert=True)
    bump_roster(database, code)


# --------------------------------------------------------------------------- roster view (cached)


@dataclass
class Roster:
    """Who may mark whom in one competition, as of ``version``."""

    version: int
    contestants: dict[str, dict]  # every contestant ever seen, with status
    judges: dict[str, str]  # username -> role
    conflicts: dict[tuple[str, str], list[str]]  # (judge, contestant_id) -> reasons
    team_mode: bool
    entry_of: dict[str, str] = field(default_factory=dict)  # active contestant -> entry id
    members: dict[str, list[str]] = field(default_factory=dict)  # active entry -> contestant ids
    all_entries: dict[str, str] = field(default_factory=dict)  # any contestant or team id -> entry id

    def __post_init__(self) -> None:
        for cid, person in sorted(self.contestants.items()):
            entry = (person.get("team") or cid) if self.team_mode else cid
            self.all_entries[cid] = entry
            if self.team_mode and person.get("team"):
                self.all_entries.setdefault(person["team"], entry)
            if person.get("status") == "active":
                self.entry_of[cid] = entry
                self.members.setdefault(entry, []).append(cid)

    def conflicted(self, judge: str, entry: str) -> list[str]:
        """The members of ``entry`` the judge has a conflict of interest with."""
        return [cid for cid in self.members.get(entry, [entry]) if (judge, cid) in self.conflicts]

    def eligible_judges(self, entry: str) -> list[str]:
        return [j for j, role in self.judges.items() if role == "judge" and not self.conflicted(j, entry)]


_lock = threading.Lock()
_rosters: dict[str, Roster] = {}
_schemes: dict[tuple[str, int], tuple[MarkingScheme, dict[str, int]]] = {}


def roster(database, code: str, version: int, team_mode: bool) -> Roster:
    cached = _rosters.get(code)
    if cached is not None and cached.version == version and cached.team_mode == team_mode:
        return cached
    doc = state(database, code, {"conflicts": 1}) or {}
    people, judges = {}, {}
    for row in database[ROSTER].find({"code": code}):
        if row["kind"] == "contestant":
            people[row["contestant_id"]] = row
        else:
            judges[row["username"]] = row["role"]
    conflicts = {(c["judge"], c["contestant_id"]): list(c.get("reasons") or []) for c in doc.get("conflicts") or []}
    view = Roster(version, people, judges, conflicts, team_mode)
    with _lock:
        _rosters[code] = view
    return view


def scheme(database, code: str, version: int) -> tuple[MarkingScheme, dict[str, int]]:
    """The competition's scheme at ``version`` and the index of each aspect id (cached)."""
    cached = _schemes.get((code, version))
    if cached is not None:
        return cached
    doc = database[SCHEMES].find_one({"_id": code})
    if doc is None or doc["version"] != version:
        raise LookupError(f"scheme {code} v{version} not stored")
    parsed = load_scheme(doc["scheme"], require_wsos=False)  # the tier's WSOS rule was applied on upload
    value = (parsed, {a.id: i for i, a in enumerate(parsed.aspects)})
    with _lock:
        _schemes[(code, version)] = value
    return value


def save_scheme(database, code: str, scheme_json: dict, source: str, by: str, at) -> int:
    """Store a new version of the scheme; the version is the competition state's counter."""
    ensure_state(database, code)
    updated = database[COMPETITIONS].find_one_and_update({"_id": code, "status": "setup"},
                                                         {"$inc": {"scheme_version": 1}}, return_document=True)
    if updated is None:
        return 0
    version = updated["scheme_version"]
    database[SCHEMES].replace_one({"_id": code}, {"_id": code, "version": version, "scheme": scheme_json,
                                                  "source": source, "uploaded_by": by, "uploaded_at": at}, upsert=True)
    return version


# --------------------------------------------------------------------------- sheets


def create_sheets(database, code: str, sub_ids: list[str]) -> None:
    sheets = database[SHEETS]
    for sub in sub_ids:
        sheets.update_one({"_id": sheet_id(code, sub)},
                          {"$setOnInsert": {"code": code, "sub": sub, "locked": False, "unlocked_before": False,
                                            "m": {}, "j": {}}}, upsert=True)


def sheets(database, code: str, projection: dict | None = None) -> dict[str, dict]:
    return {doc["sub"]: doc for doc in database[SHEETS].find({"code": code}, projection)}


def sheet_heads(database, code: str) -> dict[str, dict]:
    """Lock flags of every sheet, without the marks."""
    return sheets(database, code, {"m": 0, "j": 0})
