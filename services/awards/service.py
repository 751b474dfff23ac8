"""The awards service: achievement records and honours from published results, candidate profiles,
the versioned honours policy, and nominee rounds for the honours programmes.

Entry points stay thin: check the role, validate, ask the domain (``services.awards.domain``),
persist (``storage``), dispatch through the outbox.

Roles: ``committee`` and ``admin`` see nominee lists, suggestions and decide; ``organiser``,
``committee`` and ``admin`` write profiles and nominations and read a person's record; the
honours policy is read by every signed-in role and changed by ``committee``/``admin``. The service
never holds a full ID number: only ``person_key`` and the masked number from events or profiles.

Scores are kept current: every open round has a ``candidates`` document per known person (score,
breakdown, eligibility) and a precomputed ranked order (``storage.RankingChunk``); a published
result or a profile change re-scores only the people concerned, a new policy version for a round
re-ranks the round.
"""
from __future__ import annotations

import json
import logging
import secrets
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

from nameko.events import event_handler
from nameko.timer import timer
from pymongo.errors import DuplicateKeyError

from services.awards import exports, profiles, storage
from services.awards import ranking_model as rm
from services.awards.domain import workflow
from services.awards.domain.candidates import achievement_from_result, as_of_round, as_record
from services.awards.domain.eligibility import check_eligibility
from services.awards.domain.honours import honours_for_result, titles_held_from
from services.awards.domain.policy import Policy, default_policy_document, validate_policy
from services.awards.domain.programmes import programme_funding
from services.awards.domain.ranking import draw_lot, inside_cut_line, tie_breaks, tie_evidence
from services.awards.domain.results import Competition, ContestantResult
from services.awards.domain.scoring import programme_weights_fingerprint, score_candidate, score_summary
from shared.clock import ShanghaiToday
from shared.db import MongoDatabase, database_health
from shared.entrypoints import rpc
from shared.errors import ServiceError, not_found
from shared.events import handle_once, iso_utc, utc_now
from shared.exports import CSV_MIMETYPE, XLSX_MIMETYPE
from shared.files import decode_upload, download
from shared.idempotency import run_command
from shared.outbox import OUTBOX_FIELD, OutboxPublisher, pending_event, relay_document
from shared.roles import require_role
from shared.validation import validate

log = logging.getLogger(__name__)
SCHEMAS = Path(__file__).resolve().parent / "schemas"
ALIAS = storage.ALIAS

COMMITTEE = ("committee", "admin")
PROFILE_WRITERS = ("organiser", "committee", "admin")
RECORD_READERS = ("organiser", "committee", "admin")
ID_READERS = ("committee", "admin")  # read the masked ID number; organisers key people by person_key only


def without_masked_id(value):
    """``value`` with every ``masked_id`` left out, however deep (profiles, their history, sources)."""
    if isinstance(value, dict):
        return {k: without_masked_id(v) for k, v in value.items() if k != "masked_id"}
    if isinstance(value, list):
        return [without_masked_id(v) for v in value]
    return value


def for_reader(actor: dict, answer: dict) -> dict:
    """A person's data as ``actor`` may read it: the masked ID number is for the committee and admins.

    Organisers see the birth date of their own contestants in registration; a masked ID from here
    beside it would be the whole ID number of anybody they could name by person key.
    """
    return answer if (actor or {}).get("role") in ID_READERS else without_masked_id(answer)


RANKING_RULES = 2  # bump when the ranked rows change shape or order: open rounds ranked before are re-ranked
SYNC_RANK_LIMIT = 5000  # rounds over more people than this are ranked by the timer, not in the request
MAX_PER_PAGE = 200
FUNDED_FIELD = {"chief_technician": "chief_technician_funded_year", "master_studio": "studio_funded_year"}
PROGRAMME_TITLE = {"shanghai_craftsman": "shanghai_craftsman",
                   "outstanding_technical_expert": "shanghai_outstanding_technical_expert"}
WORKFLOW_CODES = {"ILLEGAL_TRANSITION": "INVALID_STATE", "UNKNOWN_STATUS": "INVALID_STATE",
                  "UNKNOWN_ACTION": "VALIDATION_FAILED", "REASON_REQUIRED": "VALIDATION_FAILED",
                  "NOTICE_REQUIRED": "VALIDATION_FAILED", "ELIGIBILITY_NOT_CHECKED": "VALIDATION_FAILED"}

_POLICIES: dict[int, Policy] = {}  # stored versions never change, so they are cached per process




# ------------------------------------------------------------------------------------ policy


def seed_policy() -> None:
    if storage.policies().find_one({}, {"_id": 1}) is None:
        document = default_policy_document()
        try:
            storage.policies().insert_one({"_id": int(document["version"]), "document": document,
                                           "stored_by": "awards (packaged default)", "stored_at": utc_now()})
        except DuplicateKeyError:
            pass


def current_version() -> int:
    seed_policy()
    doc = next(iter(storage.policies().find({}, {"_id": 1}).sort("_id", -1).limit(1)))
    return int(doc["_id"])


def policy_at(version: int) -> Policy:
    if version not in _POLICIES:
        doc = storage.policies().find_one({"_id": version})
        if doc is None:
            raise not_found("policy version", str(version))
        _POLICIES[version] = Policy.from_dict(doc["document"])
    return _POLICIES[version]


# ------------------------------------------------------------------------------------ people


def scoring_input(person: dict) -> dict:
    """The record the programmes score: profile + titles and levels earned by recorded honours."""
    titles = list(person.get("titles") or [])
    seen = {(t.get("code") or t.get("name_zh")) for t in titles}
    for title in person.get("honour_titles") or []:
        if (title.get("code") or title.get("name_zh")) not in seen:
            titles.append({"code": title.get("code"), "name_zh": title.get("name_zh"), "year": title.get("year"),
                           "round_id": title.get("round_id")})
            seen.add(title.get("code") or title.get("name_zh"))
    levels = [lv for lv in (person.get("current_level"), person.get("registration_level"), person.get("promoted_to"))
              if lv is not None]
    return {
        "person_key": person["_id"], "name": person.get("name") or "",
        "employer": person.get("employer"), "industry": person.get("industry"), "district": person.get("district"),
        "union_member": person.get("union_member"), "front_line": person.get("front_line"),
        "current_level": min(levels) if levels else None, "years_of_service": person.get("years_of_service"),
        "titles": titles, "innovation_awards": person.get("innovation_awards") or [],
        "patents": person.get("patents") or 0, "apprentices": person.get("apprentices") or 0,
        "chief_technician_funded_year": person.get("chief_technician_funded_year"),
        "studio_funded_year": person.get("studio_funded_year"), "still_in_post": person.get("still_in_post"),
        "funded_by_round": funded_by_round(person),
        "achievements": person.get("results") or [],
    }


def funded_by_round(person: dict) -> dict[str, str]:
    """Funding field -> the nominee round whose approval set it (funding recorded by a decision)."""
    sources = person.get("sources") or {}
    return {field: sources[field]["round_id"] for field in FUNDED_FIELD.values()
            if person.get(field) is not None and (sources.get(field) or {}).get("kind") == "decision"}


def lot_seed(rnd: dict) -> str:
    """The seed of the round's lot (rounds opened before the lot was recorded draw with their id)."""
    return rnd.get("lot_seed") or rnd["_id"]


def pack(person: dict) -> dict:
    granted = person.get("granted") or {}
    person["honour_titles"] = [t for g in granted.values() for t in g.get("titles", [])] + \
        list((person.get("conferred") or {}).values())
    promoted = [g["to_level"] for g in granted.values() if g.get("to_level") is not None]
    person["promoted_to"] = min(promoted) if promoted else None
    person["skills"] = sorted({r["skill"] for r in person.get("results") or [] if r.get("skill")})
    person["scoring_input"] = json.dumps(scoring_input(person), ensure_ascii=False, separators=(",", ":"))
    return person


def new_person(person_key: str, now: datetime) -> dict:
    return {"_id": person_key, "person_key": person_key, "name": "", "titles": [], "innovation_awards": [],
            "results": [], "achievement_ids": [], "granted": {}, "conferred": {}, "sources": {}, "history": [],
            "created_at": now, "updated_at": now}


SEARCH_TERMS = ("q", "name", "employer", "district", "skill")
SEARCH_TERM_MAX = 100


def people_filter(query: dict) -> dict:
    """The storage filter of a people search; refuses a search without any term, or a bad term."""
    terms = {}
    for term in SEARCH_TERMS:
        value = query.get(term)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > SEARCH_TERM_MAX:
            raise ServiceError("VALIDATION_FAILED", f"{term}: a search term is 1..{SEARCH_TERM_MAX} characters",
                               [{"path": f"/{term}", "problem": f"must be text of 1..{SEARCH_TERM_MAX} characters"}])
        terms[term] = value.strip()
    if not terms:
        raise ServiceError("VALIDATION_FAILED", "say what to search: q, name, employer, district or skill",
                           [{"path": "/q", "problem": "no search term given"}])
    return storage.people_search_filter(**terms)


PERSON_PROJECTION = {"scoring_input": 1, "name": 1, "masked_id": 1, "employer": 1, "industry": 1, "district": 1,
                     "skills": 1}


# ------------------------------------------------------------------------------------ service


class AwardsService(OutboxPublisher):
    name = "awards"
    outbox_collections = ("competitions",)

    db = MongoDatabase(ALIAS)
    today = ShanghaiToday()

    # ------------------------------------------------------------------------- plumbing

    @timer(interval=2)
    def rank_stale_rounds(self):
        """Rank rounds too large to rank inside a request (opened or re-pinned to a new policy)."""
        for rnd in storage.rounds().find({"status": "open", "$or": [{"ranking.state": "stale"},
                                                                    {"ranking.rules": {"$ne": RANKING_RULES}}]}):
            self._rank_round(rnd)


    @rpc
    def health(self) -> dict:
        return {"status": "ok", "database": database_health(ALIAS)}

    # ------------------------------------------------------------------------- policy

    @rpc
    def get_policy(self, actor: dict, version: int | str | None = None) -> dict:
        if version in (None, ""):
            version = current_version()
        try:
            version = int(version)
        except (TypeError, ValueError):
            raise ServiceError("VALIDATION_FAILED", "version must be a whole number",
                               [{"path": "/version", "problem": f"'{version}' is not a whole number"}])
        seed_policy()
        doc = storage.policies().find_one({"_id": version})
        if doc is None:
            raise not_found("policy version", str(version))
        return {"version": version, "current": version == current_version(), "document": doc["document"],
                "stored_by": doc.get("stored_by"), "stored_at": storage.as_json(doc.get("stored_at"))}

    @rpc
    def put_policy(self, actor: dict, document: Any) -> dict:
        """Store ``document`` as the next version (its own ``version`` is replaced by that number)."""
        require_role(actor, COMMITTEE)
        if not isinstance(document, dict):
            raise ServiceError("VALIDATION_FAILED", "the honours policy must be a JSON object",
                               [{"path": "/", "problem": "not an object"}])
        version = current_version() + 1
        document = {**document, "version": version}
        problems = validate_policy(document)
        if problems:
            raise ServiceError("VALIDATION_FAILED", f"the honours policy has {len(problems)} problem(s); nothing stored",
                               [{"path": p.path or "/", "problem": p.problem} for p in problems])
        try:
            storage.policies().insert_one({"_id": version, "document": document, "stored_by": actor["username"],
                                           "stored_at": utc_now()})
        except DuplicateKeyError:
            raise ServiceError("CONFLICT", "another policy version was stored at the same time; try again")
        return self.get_policy(actor, version)

    # ------------------------------------------------------------------------- results

    @event_handler("scoring", "results_published")
    def on_results_published(self, event: dict) -> None:
        handle_once(self.db, event, self.record_results)

    def record_results(self, event: dict) -> dict:
        """Record achievements and honours of one ``results_published`` (idempotent per revision)."""
        storage.ensure_indexes()
        comp, code, revision = event["competition"], event["competition"]["code"], int(event["revision"])
        stored = storage.competitions().find_one({"_id": code})
        now = utc_now()
        if stored is not None and revision <= stored["revision"]:
            outcome = "older_revision_ignored" if revision < stored["revision"] else "same_revision_ignored"
            storage.competitions().update_one({"_id": code}, {"$push": {"history": {
                "revision": revision, "event_id": event["event_id"], "at": now, "outcome": outcome}}})
            log.info("results_published %s revision %s: %s (stored revision %s)", code, revision, outcome,
                     stored["revision"])
            return {"outcome": outcome, "recorded": 0}
        policy = policy_at(current_version())
        competition = Competition.from_dict(comp)
        rows = {row["person_key"]: row for row in event["results"]}
        previous_keys = list(stored["person_keys"]) if stored else []
        previous = storage.get_many(storage.achievements(), [f"{code}:{k}" for k in previous_keys])
        persons = storage.get_many(storage.people(), list(rows) + previous_keys)
        achievement_docs, honour_events = [], []
        for key, row in rows.items():
            contestant = ContestantResult.from_dict(row)
            honours = honours_for_result(policy, competition, contestant)
            prior = previous.get(f"{code}:{key}")
            doc = {
                "_id": f"{code}:{key}", "person_key": key, "competition": comp, "revision": revision,
                "event_id": event["event_id"], "status": "current", "recorded_at": now,
                "result": {k: row.get(k) for k in ("contestant_id", "name", "masked_id", "employer", "delegation",
                                                   "employment", "team", "raw", "scale", "rank", "medal",
                                                   "medallion")},
                "level_at_registration": row.get("current_level"),
                "honours": honours.to_dict(), "superseded": self._superseded(prior, now),
            }
            achievement_docs.append(doc)
            person = persons.get(key) or new_person(key, now)
            persons[key] = self._person_with_result(person, competition, contestant, honours, doc, now)
            if not honours.is_empty or (prior and self._had_honours(prior)):
                honour_events.append(self._honour_payload(doc, honours, prior))
        for key in previous_keys:
            if key not in rows and f"{code}:{key}" in previous:  # left out of the correction
                prior = previous[f"{code}:{key}"]
                achievement_docs.append({**prior, "status": "withdrawn", "revision": revision,
                                         "event_id": event["event_id"], "recorded_at": now, "honours": {},
                                         "superseded": self._superseded(prior, now)})
                if key in persons:
                    persons[key] = self._person_without_result(persons[key], code, now)
        storage.put_many(storage.achievements(), achievement_docs)
        storage.put_many(storage.people(), [pack(p) for k, p in persons.items()])
        history = (stored or {}).get("history", []) + [{
            "revision": revision, "event_id": event["event_id"], "at": now, "contestants": len(rows),
            "outcome": "correction" if stored else "recorded",
            "replaces_revision": stored["revision"] if stored else None}]
        waiting = (stored or {}).get(OUTBOX_FIELD, []) + [pending_event("honour_granted", p) for p in honour_events]
        try:  # the accepted revision and its honour events in one write, by one delivery only
            storage.competitions().replace_one({"_id": code, "revision": {"$lt": revision}}, {
                "_id": code, "revision": revision, "event_id": event["event_id"], "person_keys": list(rows),
                "name": comp.get("name"), "tier": comp.get("tier"), "year": comp.get("year"), "history": history,
                OUTBOX_FIELD: waiting}, upsert=True)
        except DuplicateKeyError:
            log.info("results_published %s revision %s: accepted meanwhile by a concurrent delivery", code, revision)
            return {"outcome": "same_revision_ignored", "recorded": 0}
        relay_document(self.db, storage.competitions().name, code, self.dispatch)
        self._rescore(list(persons))
        return {"outcome": "correction" if stored else "recorded", "recorded": len(rows)}

    @staticmethod
    def _superseded(prior: dict | None, now: datetime) -> list:
        if not prior:
            return []
        earlier = {k: prior.get(k) for k in ("revision", "event_id", "status", "result", "honours", "recorded_at")}
        return list(prior.get("superseded") or []) + [{**earlier, "replaced_at": now}]

    @staticmethod
    def _had_honours(doc: dict) -> bool:
        h = doc.get("honours") or {}
        return bool(h.get("titles") or h.get("promotion") or h.get("cash_yuan") or h.get("medal"))

    @staticmethod
    def _honour_payload(doc: dict, honours, prior: dict | None) -> dict:
        h = honours.to_dict()
        promotion = h["promotion"]
        return {"person_key": doc["person_key"], "masked_id": doc["result"].get("masked_id"),
                "name": doc["result"].get("name") or "", "competition_code": doc["competition"]["code"],
                "revision": doc["revision"], "tier": h["tier"], "year": h["year"], "policy_version": h["policy_version"],
                "titles": h["titles"], "promotion": promotion, "cash_yuan": h["cash_yuan"], "medal": h["medal"],
                "rules_applied": h["rules_applied"], "correction": prior is not None,
                "replaces_revision": prior["revision"] if prior else None}

    @staticmethod
    def _person_with_result(person: dict, competition: Competition, contestant: ContestantResult, honours,
                            doc: dict, now: datetime) -> dict:
        code = competition.code
        source = {"kind": "event", "event": "results_published", "competition_code": code,
                  "event_id": doc["event_id"], "revision": doc["revision"], "at": now}
        for field, value in (("name", contestant.name), ("masked_id", contestant.masked_id),
                             ("employer", contestant.employer)):
            if value and (not person.get(field) or person.get("sources", {}).get(field, {}).get("kind") == "event"):
                person[field] = value
                person.setdefault("sources", {})[field] = source
        if contestant.current_level is not None:
            person["registration_level"] = contestant.current_level
            person.setdefault("sources", {})["registration_level"] = source
        achievement = achievement_from_result(competition, contestant).__dict__
        person["results"] = [r for r in person.get("results") or [] if r["competition_code"] != code] + [achievement]
        person["achievement_ids"] = sorted(set(person.get("achievement_ids") or []) | {doc["_id"]})
        granted = dict(person.get("granted") or {})
        promotion = honours.promotion
        granted[code] = {"titles": [{**t, "competition_code": code} for t in titles_held_from(honours)],
                         "to_level": promotion.to_level if promotion and promotion.determinable else None,
                         "cash_yuan": honours.cash_yuan}
        person["granted"] = granted
        person["updated_at"] = now
        return person

    @staticmethod
    def _person_without_result(person: dict, code: str, now: datetime) -> dict:
        person["results"] = [r for r in person.get("results") or [] if r["competition_code"] != code]
        person["granted"] = {k: v for k, v in (person.get("granted") or {}).items() if k != code}
        person["updated_at"] = now
        return person

    # ------------------------------------------------------------------------- profiles

    @rpc
    def save_person(self, actor: dict, payload: dict) -> dict:
        require_role(actor, PROFILE_WRITERS)
        validate(payload, SCHEMAS / "person_upsert.json", "person")
        return for_reader(actor, run_command(self.db, f"{actor['username']}:person", payload,
                                             lambda body: self._save_person(actor, body)))

    def _save_person(self, actor: dict, body: dict) -> dict:
        policy = policy_at(current_version())
        clean, problems = profiles.clean_profile(body, policy)
        if problems:
            raise ServiceError("VALIDATION_FAILED", f"person: {problems[0][1]}",
                               [{"path": f"/{field}", "problem": problem} for field, problem in problems])
        key = clean.pop("person_key")
        now = utc_now()
        existing = storage.people().find_one({"_id": key})
        person = self._merge_profile(existing or new_person(key, now), clean,
                                     {"kind": "api", "by": actor["username"], "at": now})
        storage.put_many(storage.people(), [pack(person)])
        self._rescore([key])
        return {"person_key": key, "created": existing is None, "profile": self._profile_view(person)}

    @staticmethod
    def _merge_profile(person: dict, clean: dict, source: dict) -> dict:
        changed = [f for f, v in clean.items() if person.get(f) != v]
        for field, value in clean.items():
            person[field] = value
            person.setdefault("sources", {})[field] = source
        person.setdefault("history", []).append({**source, "fields": sorted(clean), "changed": sorted(changed)})
        person["updated_at"] = source["at"]
        return person

    @rpc
    def import_people(self, actor: dict, content_b64: str, hint: str = "") -> dict:
        """Profiles from a CSV or XLSX sheet: every row written, or none with every problem listed."""
        require_role(actor, PROFILE_WRITERS)
        content = decode_upload(content_b64)
        rows, problems = profiles.parse_profiles(content, hint or "", policy_at(current_version()))
        if problems:
            first = problems[0]
            where = f"row {first['row']}, column {first['column']}: " if first["row"] else ""
            raise ServiceError("VALIDATION_FAILED",
                               f"profile file: {len(problems)} problem(s), nothing was written; first: {where}{first['problem']}",
                               problems)
        now = utc_now()
        batch = uuid.uuid4().hex[:12]
        keys = [row["person_key"] for row in rows]
        existing = storage.get_many(storage.people(), keys)
        written = []
        for row in rows:
            key = row["person_key"]
            clean = {k: v for k, v in row.items() if k not in ("row", "person_key")}
            source = {"kind": "import", "by": actor["username"], "at": now, "batch": batch, "row": row["row"],
                      "file": hint or None}
            written.append(pack(self._merge_profile(existing.get(key) or new_person(key, now), clean, source)))
        storage.put_many(storage.people(), written)
        self._rescore(keys)
        return {"imported": len(rows), "created": len([k for k in keys if k not in existing]),
                "updated": len([k for k in keys if k in existing]), "batch": batch}

    @staticmethod
    def _profile_view(person: dict) -> dict:
        return {field: person.get(field) for field in ("name",) + profiles.PROFILE_FIELDS[1:]} | {
            "masked_id": person.get("masked_id")}

    @rpc
    def search_people(self, actor: dict, query: dict | None = None) -> dict:
        """People on record found by name (prefix), employer (part of it), district, skill, or ``q``
        (any of these, or the person key), ordered by name, a page at a time, with the masked ID."""
        require_role(actor, ID_READERS)
        query = query or {}
        page, per_page = self._paging(query)
        storage.ensure_indexes()
        found = storage.search_people(people_filter(query), (page - 1) * per_page, per_page)
        return {"query": {k: query[k] for k in SEARCH_TERMS if query.get(k)}, "page": page, "per_page": per_page,
                "total": found.total, "items": [storage.as_json({
                    "person_key": p["_id"], "name": p.get("name"), "masked_id": p.get("masked_id"),
                    "employer": p.get("employer"), "industry": p.get("industry"), "district": p.get("district"),
                    "skills": p.get("skills") or []}) for p in found.people]}

    @rpc
    def person_record(self, actor: dict, person_key: str) -> dict:
        """Everything known about a person and where each part came from."""
        require_role(actor, RECORD_READERS)
        return for_reader(actor, self._person_record(person_key))

    def _person_record(self, person_key: str) -> dict:
        person = storage.people().find_one({"_id": person_key})
        if person is None:
            raise not_found("person", person_key)
        found = storage.get_many(storage.achievements(), person.get("achievement_ids") or [])
        achievements = []
        for doc in sorted(found.values(), key=lambda d: (-(d["competition"].get("year") or 0), d["_id"])):
            achievements.append({
                "competition": doc["competition"], "status": doc.get("status", "current"),
                "rank": doc["result"].get("rank"), "medal": doc["result"].get("medal"),
                "medallion": doc["result"].get("medallion"), "scale": doc["result"].get("scale"),
                "raw": doc["result"].get("raw"), "employment": doc["result"].get("employment"),
                "team": doc["result"].get("team"), "level_at_registration": doc.get("level_at_registration"),
                "honours": doc.get("honours") or None,
                "source": {"event": "results_published", "event_id": doc.get("event_id"),
                           "revision": doc.get("revision"), "recorded_at": doc.get("recorded_at")},
                "corrected": bool(doc.get("superseded")), "superseded": doc.get("superseded") or [],
            })
        noms = list(storage.nominations().find({"person_key": person_key}))
        sources = person.get("sources") or {}
        view = scoring_input(person)
        return storage.as_json({
            "person_key": person_key, "masked_id": person.get("masked_id"), "name": person.get("name"),
            "profile": self._profile_view(person),
            "profile_sources": sources,
            "profile_history": person.get("history") or [],
            "effective_level": view["current_level"],
            "achievements": achievements,
            "honours": {
                "titles": person.get("honour_titles") or [],
                "promoted_to": person.get("promoted_to"),
                "cash_yuan": sum(g.get("cash_yuan") or 0 for g in (person.get("granted") or {}).values()),
                "from_competitions": person.get("granted") or {},
            },
            "nominations": [{"round_id": n["round_id"], "programme": n.get("programme"), "year": n.get("year"),
                             "channel": n.get("channel"), "status": n.get("status"), "history": n.get("history")}
                            for n in noms],
        })

    # ------------------------------------------------------------------------- rounds

    @rpc
    def open_round(self, actor: dict, payload: dict) -> dict:
        require_role(actor, COMMITTEE)
        validate(payload, SCHEMAS / "round_open.json", "nominee round")
        return run_command(self.db, f"{actor['username']}:round", payload,
                           lambda body: self._open_round(actor, body))

    def _open_round(self, actor: dict, body: dict) -> dict:
        storage.ensure_indexes()
        version = body.get("policy_version") or current_version()
        policy = policy_at(version)
        programme = body["programme"]
        try:
            funding = programme_funding(policy, programme)
        except KeyError:
            raise ServiceError("VALIDATION_FAILED", f"policy v{version} has no programme '{programme}'",
                               [{"path": "/programme", "problem": "not in the pinned policy"}])
        spec = policy.programme(programme)
        round_id = f"{programme}-{body['year']}-{uuid.uuid4().hex[:6]}"
        now = utc_now()
        rnd = {
            "_id": round_id, "round_id": round_id, "programme": programme, "year": body["year"],
            "name": body.get("name") or f"{spec['name_zh']} {body['year']}", "status": "open",
            "quota": body.get("quota", funding["quota"]), "budget_yuan": body.get("budget_yuan", funding["budget_yuan"]),
            "amount_per_person_yuan": body.get("amount_per_person_yuan", funding["amount_per_person_yuan"]),
            "policy_version": version, "opened_by": actor["username"], "opened_at": now,
            "approved_count": 0, "approved_sum_yuan": 0, "lot_seed": secrets.token_hex(16),
            "policy_history": [{"version": version, "by": actor["username"], "at": now, "why": "opened"}],
            "ranking": {"state": "stale", "field_chunks": 0, "nominee_chunks": 0, "excluded_chunks": 0},
        }
        storage.rounds().insert_one(rnd)
        if storage.people().count_documents({}) <= SYNC_RANK_LIMIT:
            rnd = self._rank_round(rnd)
        return self._round_view(rnd)

    @rpc
    def list_rounds(self, actor: dict) -> dict:
        require_role(actor, COMMITTEE)
        return {"items": [self._round_view(r) for r in storage.rounds().find({}).sort("opened_at", -1)]}

    @rpc
    def get_round(self, actor: dict, round_id: str) -> dict:
        require_role(actor, COMMITTEE)
        return self._round_view(self._round(round_id))

    @rpc
    def set_round_policy(self, actor: dict, round_id: str, payload: dict) -> dict:
        """Pin the round to another policy version: every candidate is re-scored and re-ranked."""
        require_role(actor, COMMITTEE)
        validate(payload, SCHEMAS / "round_policy.json", "round policy")
        rnd = self._round(round_id)
        policy = policy_at(payload["policy_version"])
        try:
            policy.programme(rnd["programme"])
        except KeyError:
            raise ServiceError("VALIDATION_FAILED", f"policy v{policy.version} has no programme '{rnd['programme']}'")
        entry = {"version": policy.version, "by": actor["username"], "at": utc_now(), "why": payload.get("why")}
        storage.rounds().update_one({"_id": round_id}, {"$set": {"policy_version": policy.version,
                                                                 "ranking.state": "stale"},
                                                        "$push": {"policy_history": entry}})
        rnd = self._round(round_id)
        if storage.people().count_documents({}) <= SYNC_RANK_LIMIT:
            rnd = self._rank_round(rnd)
        return self._round_view(rnd)

    @staticmethod
    def _round(round_id: str) -> dict:
        rnd = storage.rounds().find_one({"_id": round_id})
        if rnd is None:
            raise not_found("nominee round", round_id)
        return rnd

    @staticmethod
    def _round_view(rnd: dict) -> dict:
        ranking = rnd.get("ranking") or {}
        return storage.as_json({k: rnd.get(k) for k in (
            "round_id", "programme", "year", "name", "status", "quota", "budget_yuan", "amount_per_person_yuan",
            "policy_version", "opened_by", "opened_at", "approved_count", "approved_sum_yuan", "policy_history")} | {
            "ranking": {k: ranking.get(k) for k in ("state", "ranked_at", "field_count", "excluded_count",
                                                    "weights_fingerprint")} | {
                "nominee_count": ranking.get("nominees_count"),
                "lot_seed": lot_seed(rnd),
                "lot": "ties left equal on every tie-break criterion are ordered by lot: the first 16 hex "
                       "digits of SHA-256 of '<lot_seed>:<person_key>', lower first"},
            "cut_line": ranking.get("cut_line")})

    # ------------------------------------------------------------------------- scoring

    def _candidate(self, rnd: dict, policy: Policy, person: dict, nomination: dict | None,
                   breakdown: bool = False) -> tuple[dict, dict]:
        data = as_of_round(json.loads(person["scoring_input"]), rnd["_id"])
        key = person["_id"]
        if nomination is not None or breakdown:  # the breakdown lines are built only where they are kept
            record = as_record(data)  # converted once, read by both checks
            reasons = check_eligibility(policy, rnd["programme"], record, rnd["year"])
            score = score_candidate(policy, rnd["programme"], record, rnd["year"])
            total, best, latest = score.total, score.best_achievement_points, score.latest_achievement_year
        else:  # the same figures from the round's lookup tables, without lines
            reasons = check_eligibility(policy, rnd["programme"], data, rnd["year"])
            total, best, latest = score_summary(policy, rnd["programme"], data, rnd["year"]).as_tuple()
        doc = {"_id": f"{rnd['_id']}:{key}", "round_id": rnd["_id"], "person_key": key,
               "eligible": not reasons, "reasons": [r.to_dict() for r in reasons],
               "total": str(total), "score": float(total), "best": float(best), "latest_year": latest,
               "policy_version": policy.version,
               "weights_fingerprint": programme_weights_fingerprint(policy, rnd["programme"]),
               "updated_at": utc_now()}
        if nomination is not None or breakdown:
            doc["lines"] = [line.to_dict() for line in score.lines]
        row = {"k": key, "n": person.get("name") or "", "m": person.get("masked_id"), "e": person.get("employer"),
               "i": person.get("industry"), "d": person.get("district"), "sk": person.get("skills") or [],
               "t": doc["total"], "s": doc["score"], "b": doc["best"], "y": doc["latest_year"],
               "tb": list(tie_evidence(policy, data.get("achievements") or (), rnd["year"])),
               "lot": draw_lot(lot_seed(rnd), key), "ok": doc["eligible"],
               "nom": (nomination or {}).get("channel"), "st": (nomination or {}).get("status")}
        if reasons:
            row["r"] = [r.code for r in reasons]
        return doc, row

    def _rescore(self, person_keys: list[str]) -> None:
        """Re-score ``person_keys`` in every open round and move them in its ranked lists."""
        open_rounds = list(storage.rounds().find({"status": "open"}))
        if not open_rounds or not person_keys:
            return
        persons = storage.get_many(storage.people(), person_keys, PERSON_PROJECTION)
        for rnd in open_rounds:
            if (rnd.get("ranking") or {}).get("state") == "stale":
                continue  # the full ranking will see the new data
            policy = policy_at(rnd["policy_version"])
            noms = storage.get_many(storage.nominations(), [f"{rnd['_id']}:{k}" for k in persons])
            docs, rows, dropped = [], {}, []
            for key, person in persons.items():
                doc, row = self._candidate(rnd, policy, person, noms.get(f"{rnd['_id']}:{key}"))
                (docs.append(doc) if self._kept(row) else dropped.append(doc["_id"]))
                rows[key] = row
            storage.put_candidates(docs)
            if dropped:
                storage.candidates().delete_many({"_id": {"$in": dropped}})
            self._merge_rows(rnd, rows)

    @staticmethod
    def _kept(row: dict) -> bool:
        """Score + breakdown documents are kept for nominees; everyone else's score lives in the ranked rows
        and a breakdown shown for them (suggestions) is computed when asked for."""
        return row.get("nom") is not None

    def _rank_round(self, rnd: dict) -> dict:
        """Score every known person for the round and rebuild its ranked lists (a full re-rank)."""
        policy = policy_at(rnd["policy_version"])
        noms = {n["person_key"]: n for n in storage.scan(storage.nominations(), {"round_id": rnd["_id"]})}
        docs, rows = [], []
        for person in storage.scan(storage.people(), projection=PERSON_PROJECTION):
            doc, row = self._candidate(rnd, policy, person, noms.get(person["_id"]))
            if self._kept(row):
                docs.append(doc)
            rows.append(row)
        storage.candidates().delete_many({"round_id": rnd["_id"]})
        storage.insert_candidates(docs)
        return self._store_lists(rnd, rows, full=True)

    def _merge_rows(self, rnd: dict, changed: dict[str, dict]) -> dict:
        """Move the ``changed`` rows in the stored lists: the same lists as ranking every row again
        (``_store_lists`` over all rows), found by bisection in the stored order instead of a sort."""
        ranking = rnd.get("ranking") or {}
        packed = {name: storage.read_packed(rnd["_id"], name, ranking.get(f"{name}_chunks", 0))
                  for name in ("field", "nominees", "excluded")}
        # the field holds every eligible person; excluded the nominees who are not in the running
        old_field = [r for chunk in packed["field"] for r in json.loads(chunk)]
        field = rm.merged(old_field, {k: (r if r["ok"] else None) for k, r in changed.items()})
        touched = rm.numbered(field, storage.CHUNK_SIZE)
        nominees = [dict(r) for r in field if rm.in_running(r)]
        rm.numbered(nominees)
        excluded = [r for chunk in packed["excluded"] for r in json.loads(chunk) if r["k"] not in changed]
        excluded = rm.ordered(excluded + [dict(r) for r in changed.values() if self._excluded(r)])
        return self._write_lists(rnd, {"field": field, "nominees": nominees, "excluded": excluded}, packed,
                                 {"field": touched})

    @staticmethod
    def _excluded(row: dict) -> bool:
        """Nominees not in the running: not eligible, or ruled out (ineligible/rejected)."""
        return bool(row.get("nom")) and not (row["ok"] and rm.in_running(row))

    def _store_lists(self, rnd: dict, rows: list[dict], full: bool, old_packed: dict | None = None) -> dict:
        for row in rows:
            row.pop("p", None)
            row.pop("tc", None)
        field = rm.ordered([r for r in rows if r["ok"]])
        nominees = [dict(r) for r in field if rm.in_running(r)]  # in the field's order already
        rm.numbered(nominees)
        excluded = rm.ordered([dict(r) for r in rows if self._excluded(r)])
        return self._write_lists(rnd, {"field": field, "nominees": nominees, "excluded": excluded}, old_packed)

    def _write_lists(self, rnd: dict, lists: dict[str, list[dict]], old_packed: dict | None = None,
                     touched: dict[str, set[int]] | None = None) -> dict:
        ranking = rnd.get("ranking") or {}
        counts = {}
        for name, items in lists.items():
            counts[f"{name}_chunks"] = storage.write_list(rnd["_id"], name, items, ranking.get(f"{name}_chunks", 0),
                                                          (old_packed or {}).get(name), (touched or {}).get(name))
            counts[f"{name}_count"] = len(items)
        policy = policy_at(rnd["policy_version"])
        line = rm.cut_line(tie_breaks(policy), lists["nominees"], rnd.get("quota"), rnd.get("budget_yuan"),
                           rnd.get("amount_per_person_yuan"), rnd.get("approved_count", 0),
                           rnd.get("approved_sum_yuan", 0))
        new_ranking = {**counts, "state": "current", "cut_line": line, "ranked_at": utc_now(), "rules": RANKING_RULES,
                       "weights_fingerprint": programme_weights_fingerprint(policy, rnd["programme"]),
                       "policy_version": policy.version}
        storage.rounds().update_one({"_id": rnd["_id"]}, {"$set": {"ranking": new_ranking}})
        rnd = {**rnd, "ranking": new_ranking}
        return rnd

    # ------------------------------------------------------------------------- nominations

    @rpc
    def nominate(self, actor: dict, round_id: str, payload: dict) -> dict:
        require_role(actor, PROFILE_WRITERS)
        validate(payload, SCHEMAS / "nomination.json", "nomination")
        return run_command(self.db, f"{actor['username']}:nominate:{round_id}", payload,
                           lambda body: self._nominate(actor, round_id, body))

    def _nominate(self, actor: dict, round_id: str, body: dict) -> dict:
        rnd = self._round(round_id)
        if rnd["status"] != "open":
            raise ServiceError("INVALID_STATE", f"round '{round_id}' is {rnd['status']}; nominations are closed")
        key = body["person_key"]
        person = storage.people().find_one({"_id": key}, PERSON_PROJECTION)
        if person is None:
            raise ServiceError("NOT_FOUND", f"person '{key}' has no record yet; create the profile first",
                               [{"path": "/person_key", "problem": "unknown person"}])
        policy = policy_at(rnd["policy_version"])
        now = utc_now()
        nomination = {"_id": f"{round_id}:{key}", "round_id": round_id, "person_key": key,
                      "programme": rnd["programme"], "year": rnd["year"], "channel": body["channel"],
                      "nominator": body.get("nominator"), "statement": body.get("statement"),
                      "nominated_by": actor["username"], "nominated_at": now, "status": "nominated",
                      "history": [{"action": "nominate", "from": None, "to": "nominated", "by": actor["username"],
                                   "at": now, "why": f"nominated by {body['channel']}"
                                                     + (f" ({body['nominator']})" if body.get("nominator") else "")}]}
        try:
            storage.nominations().insert_one(nomination)
        except DuplicateKeyError:
            raise ServiceError("DUPLICATE", f"person '{key}' is already nominated in round '{round_id}'",
                               [{"path": "/person_key", "problem": "already nominated"}])
        doc, _ = self._candidate(rnd, policy, person, nomination)
        reasons = doc["reasons"]
        status = workflow.decide("nominated", "check_eligibility",
                                 workflow.decision_context(policy, eligibility_reasons=reasons))
        why = ("; ".join(f"{r['code']}: {r['message']}" for r in reasons) if reasons
               else f"meets every condition of {rnd['programme']} (policy v{policy.version})")
        step = {"action": "check_eligibility", "from": "nominated", "to": str(status), "by": "awards-service",
                "at": utc_now(), "why": why, "reasons": reasons}
        storage.nominations().update_one({"_id": nomination["_id"]},
                                         {"$set": {"status": str(status)}, "$push": {"history": step}})
        nomination = storage.nominations().find_one({"_id": nomination["_id"]})
        self._emit_decision(rnd, nomination, step, person)
        doc, row = self._candidate(rnd, policy, person, nomination)
        storage.put_candidates([doc])
        if (rnd.get("ranking") or {}).get("state") != "stale":
            self._merge_rows(rnd, {key: row})
        return self._nominee_view(nomination, doc)

    @staticmethod
    def _nominee_view(nomination: dict, candidate: dict | None, row: dict | None = None,
                      cut_after: int | None = None, tie_text: str | None = None) -> dict:
        candidate = candidate or {}
        view = {"person_key": nomination["person_key"], "round_id": nomination["round_id"],
                "channel": nomination.get("channel"), "nominator": nomination.get("nominator"),
                "status": nomination.get("status"), "eligible": candidate.get("eligible"),
                "reasons": candidate.get("reasons"), "total": candidate.get("total"),
                "lines": candidate.get("lines"), "history": nomination.get("history"),
                "notice_start": nomination.get("notice_start"), "notice_days": nomination.get("notice_days")}
        if row is not None:
            view |= {"position": row.get("p"), "name": row.get("n"), "masked_id": row.get("m"),
                     "employer": row.get("e"), "industry": row.get("i"), "district": row.get("d"),
                     "skills": row.get("sk"), "tie_break": tie_text, "lot": row.get("lot"),
                     "inside_cut_line": inside_cut_line(row.get("p"), nomination.get("status"), cut_after)}
        return storage.as_json(view)

    def _emit_decision(self, rnd: dict, nomination: dict, step: dict, person: dict | None) -> None:
        self._emit("nomination_decided", {
            "round_id": rnd["_id"], "programme": rnd["programme"], "year": rnd["year"],
            "person_key": nomination["person_key"], "masked_id": (person or {}).get("masked_id"),
            "action": step["action"], "from_status": step["from"], "status": step["to"],
            "decided_by": step["by"], "decided_at": iso_utc(step["at"]), "why": step.get("why"),
            "amount_yuan": step.get("amount_yuan"), "notice_start": step.get("notice_start"),
            "notice_days": step.get("notice_days")})

    @rpc
    def decide(self, actor: dict, round_id: str, person_key: str, payload: dict) -> dict:
        require_role(actor, COMMITTEE)
        validate(payload, SCHEMAS / "decision.json", "decision")
        return run_command(self.db, f"{actor['username']}:decide:{round_id}:{person_key}", payload,
                           lambda body: self._decide(actor, round_id, person_key, body))

    def _decide(self, actor: dict, round_id: str, person_key: str, body: dict) -> dict:
        rnd = self._round(round_id)
        nomination = storage.nominations().find_one({"_id": f"{round_id}:{person_key}"})
        if nomination is None:
            raise not_found("nominee", person_key)
        policy = policy_at(rnd["policy_version"])
        action = body["action"]
        person = storage.people().find_one({"_id": person_key})
        values: dict[str, Any] = {"today": self.today(), "reason": body.get("why")}
        amount = rnd.get("amount_per_person_yuan") or 0
        reasons = None
        if action == "check_eligibility":
            record = as_of_round(json.loads(person["scoring_input"]), round_id)
            reasons = [r.to_dict() for r in check_eligibility(policy, rnd["programme"], record, rnd["year"])]
            values["eligibility_reasons"] = reasons
        if action == "publicise":
            if not body.get("notice_start"):
                raise ServiceError("VALIDATION_FAILED", "publicising needs notice_start (and notice_days)",
                                   [{"path": "/notice_start", "problem": "is required to publicise"}])
            values["notice_start"] = date.fromisoformat(body["notice_start"])
            values["notice_days"] = body.get("notice_days")
        if action == "approve":
            values["notice_start"] = date.fromisoformat(nomination["notice_start"]) if nomination.get("notice_start") else None
            values["notice_days"] = nomination.get("notice_days")
            values |= {"quota": rnd.get("quota"), "budget_yuan": rnd.get("budget_yuan"), "amount_yuan": amount,
                       "approved_count": rnd.get("approved_count", 0),
                       "approved_sum_yuan": rnd.get("approved_sum_yuan", 0),
                       "funded_before_year": self._funded_before(rnd, person, nomination)}
        try:
            status = workflow.decide(nomination["status"], action, workflow.decision_context(policy, **values))
        except workflow.WorkflowError as error:
            raise ServiceError(WORKFLOW_CODES.get(error.code, "RULE_VIOLATION"), error.message,
                               [{"path": "/action", "problem": error.message, "code": error.code}])
        now = utc_now()
        why = body.get("why")
        if action == "check_eligibility":
            why = why or ("; ".join(f"{r['code']}: {r['message']}" for r in reasons) if reasons
                          else f"meets every condition of {rnd['programme']} (policy v{policy.version})")
        step = {"action": action, "from": nomination["status"], "to": str(status), "by": actor["username"],
                "at": now, "why": why}
        changes: dict[str, Any] = {"status": str(status)}
        if reasons is not None:
            step["reasons"] = reasons
        if action == "publicise":
            days = body.get("notice_days") or policy.notice_days_min
            step |= {"notice_start": body["notice_start"], "notice_days": days}
            changes |= {"notice_start": body["notice_start"], "notice_days": days}
        if action == "approve":
            step["amount_yuan"] = amount
            taken = storage.rounds().update_one(
                {"_id": round_id, "approved_count": rnd.get("approved_count", 0),
                 "approved_sum_yuan": rnd.get("approved_sum_yuan", 0)},
                {"$inc": {"approved_count": 1, "approved_sum_yuan": amount}})
            if not taken.modified_count:
                raise ServiceError("CONFLICT", "another approval in this round happened meanwhile; try again")
        moved = storage.nominations().update_one({"_id": nomination["_id"], "status": nomination["status"]},
                                                 {"$set": changes, "$push": {"history": step}})
        if not moved.modified_count:
            if action == "approve":
                storage.rounds().update_one({"_id": round_id}, {"$inc": {"approved_count": -1,
                                                                         "approved_sum_yuan": -amount}})
            raise ServiceError("CONFLICT", "the nominee changed meanwhile; reload and try again")
        if action == "approve":
            self._record_approval(rnd, person, now, actor)
        nomination = storage.nominations().find_one({"_id": nomination["_id"]})
        self._emit_decision(rnd, nomination, step, person)
        self._rescore([person_key])
        rnd = self._round(round_id)
        candidate = storage.unpacked_candidate(storage.candidates().find_one({"_id": f"{round_id}:{person_key}"}))
        return self._nominee_view(nomination, candidate)

    @staticmethod
    def _funded_before(rnd: dict, person: dict, nomination: dict) -> int | None:
        field = FUNDED_FIELD.get(rnd["programme"])
        if field and person.get(field) is not None and funded_by_round(person).get(field) != rnd["_id"]:
            return person[field]
        earlier = storage.nominations().find_one({"person_key": nomination["person_key"], "programme": rnd["programme"],
                                                  "status": "approved", "_id": {"$ne": nomination["_id"]}})
        return earlier["year"] if earlier else None

    def _record_approval(self, rnd: dict, person: dict, now: datetime, actor: dict) -> None:
        """An approval becomes part of the record: funding year, or the title conferred."""
        source = {"kind": "decision", "round_id": rnd["_id"], "by": actor["username"], "at": now}
        field = FUNDED_FIELD.get(rnd["programme"])
        if field:
            person[field] = rnd["year"]
            person.setdefault("sources", {})[field] = source
        title_code = PROGRAMME_TITLE.get(rnd["programme"])
        if title_code:
            title = policy_at(rnd["policy_version"]).title(title_code) or {"code": title_code, "name_zh": title_code}
            person.setdefault("conferred", {})[rnd["_id"]] = {"code": title_code, "name_zh": title["name_zh"],
                                                              "year": rnd["year"], "round_id": rnd["_id"]}
        person.setdefault("history", []).append({**source, "fields": [field or "titles"], "changed": [field or "titles"]})
        storage.put_many(storage.people(), [pack(person)])

    # ------------------------------------------------------------------------- lists

    @rpc
    def list_nominees(self, actor: dict, round_id: str, query: dict | None = None) -> dict:
        require_role(actor, COMMITTEE)
        query = query or {}
        rnd = self._round(round_id)
        page, per_page = self._paging(query)
        filters = {k: query.get(k) for k in ("industry", "district", "skill") if query.get(k)}
        ranking = rnd.get("ranking") or {}
        rows, total, before, after = self._page(rnd, "nominees", page, per_page, filters)
        cut_after = (ranking.get("cut_line") or {}).get("cut_after")
        items = self._items(round_id, rows, before, after, cut_after)
        excluded = storage.read_chunks(round_id, "excluded", [0])[:20] if ranking.get("excluded_chunks") else []
        return {"round": self._round_view(rnd), "filters": filters, "page": page, "per_page": per_page,
                "total": total, "cut_line": ranking.get("cut_line"), "items": items,
                "not_ranked": self._items(round_id, excluded, None, None, None),  # the first 20; all in the export
                "not_ranked_total": ranking.get("excluded_count", 0),
                "order": "total score, then the policy's tie-break criteria ("
                         + ", ".join(c.label for c in tie_breaks(policy_at(rnd["policy_version"])))
                         + "), then the round's seeded lot; positions are those of the whole list even when "
                           "filtered; approved nominees keep their rank and are inside the cut line"}

    def _page(self, rnd: dict, list_name: str, page: int, per_page: int, filters: dict):
        ranking = rnd.get("ranking") or {}
        if ranking.get("state") == "stale":
            raise ServiceError("UNAVAILABLE", "the round is being ranked (new round or new policy version); "
                                              "try again shortly")
        chunks = ranking.get(f"{list_name}_chunks", 0)
        if not filters:
            count = ranking.get(f"{list_name}_count", 0)
            first = (page - 1) * per_page  # zero-based index of the first row on the page
            lo = max(first - 1, 0)
            hi = min(first + per_page, count - 1) if count else -1
            if first >= count:
                return [], count, None, None
            numbers = range(lo // storage.CHUNK_SIZE, hi // storage.CHUNK_SIZE + 1)
            rows = storage.read_chunks(rnd["_id"], list_name, numbers)
            offset = numbers.start * storage.CHUNK_SIZE
            window = rows[first - offset:first - offset + per_page]
            before = rows[first - offset - 1] if first > 0 else None
            end = first - offset + per_page
            after = rows[end] if end < len(rows) else None
            return window, count, before, after
        rows = [r for r in storage.read_list(rnd["_id"], list_name, chunks) if self._matches(r, filters)]
        start = (page - 1) * per_page
        return rows[start:start + per_page], len(rows), None, None

    @staticmethod
    def _matches(row: dict, filters: dict) -> bool:
        if filters.get("industry") and row.get("i") != filters["industry"]:
            return False
        if filters.get("district") and row.get("d") != filters["district"]:
            return False
        if filters.get("skill") and filters["skill"] not in (row.get("sk") or []):
            return False
        return True

    @staticmethod
    def _paging(query: dict) -> tuple[int, int]:
        try:
            page = int(query.get("page") or 1)
            per_page = int(query.get("per_page") or 50)
        except (TypeError, ValueError):
            raise ServiceError("VALIDATION_FAILED", "page and per_page must be whole numbers",
                               [{"path": "/page", "problem": "not a whole number"}])
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            raise ServiceError("VALIDATION_FAILED", f"page starts at 1; per_page is 1..{MAX_PER_PAGE}",
                               [{"path": "/per_page", "problem": f"must be 1..{MAX_PER_PAGE}"}])
        return page, per_page

    def _items(self, round_id: str, rows: list[dict], before, after, cut_after) -> list[dict]:
        keys = [r["k"] for r in rows]
        cands = storage.get_candidates([f"{round_id}:{k}" for k in keys])
        noms = storage.get_many(storage.nominations(), [f"{round_id}:{k}" for k in keys])
        missing = [k for k in keys if f"{round_id}:{k}" not in cands]
        if missing:  # not nominated: the breakdown is computed now
            rnd = self._round(round_id)
            policy = policy_at(rnd["policy_version"])
            for key, person in storage.get_many(storage.people(), missing, PERSON_PROJECTION).items():
                doc, _ = self._candidate(rnd, policy, person, None, breakdown=True)
                cands[doc["_id"]] = doc
        criteria = tie_breaks(policy_at(self._round(round_id)["policy_version"]))
        items = []
        for index, row in enumerate(rows):
            prev_row = rows[index - 1] if index else before
            next_row = rows[index + 1] if index + 1 < len(rows) else after
            tie = rm.tie_break(criteria, row, prev_row, next_row)
            nomination = noms.get(f"{round_id}:{row['k']}") or {"person_key": row["k"], "round_id": round_id}
            items.append(self._nominee_view(nomination, cands.get(f"{round_id}:{row['k']}"), row, cut_after, tie))
        return items

    @rpc
    def suggestions(self, actor: dict, round_id: str, query: dict | None = None) -> dict:
        """People not nominated whose record ranks them inside the round's capacity."""
        require_role(actor, COMMITTEE)
        rnd = self._round(round_id)
        line = (rnd.get("ranking") or {}).get("cut_line") or {}
        capacity = line.get("capacity")
        limit = capacity if capacity is not None else 20
        rows, total, before, after = self._page(rnd, "field", 1, max(1, min(limit, 5000)), {})
        if not rows and total:
            rows = []
        chosen = [r for r in rows if not r.get("nom")]
        items = self._items(round_id, chosen, None, None, None)
        for item, row in zip(items, chosen):
            item["field_position"] = row["p"]
            item["why"] = (f"ranks {row['p']} of {total} eligible people on record for {rnd['programme']} "
                           f"{rnd['year']} (capacity {capacity if capacity is not None else 'unlimited; top 20 shown'}) "
                           "and is not nominated")
        return {"round": self._round_view(rnd), "capacity": capacity, "field_size": total, "items": items}

    @rpc
    def export_nominees(self, actor: dict, round_id: str, fmt: str) -> dict:
        """The ranked list with every decision as CSV or XLSX (Chinese headers), base64."""
        require_role(actor, COMMITTEE)
        if fmt not in ("csv", "xlsx"):
            raise ServiceError("VALIDATION_FAILED", "format is csv or xlsx", [{"path": "/format", "problem": fmt}])
        rnd = self._round(round_id)
        ranking = rnd.get("ranking") or {}
        rows = storage.read_list(round_id, "nominees", ranking.get("nominees_chunks", 0))
        cut_after = (ranking.get("cut_line") or {}).get("cut_after")
        items = self._items(round_id, rows, None, None, cut_after)
        excluded = storage.read_list(round_id, "excluded", ranking.get("excluded_chunks", 0))
        items += self._items(round_id, excluded, None, None, None)
        for item in items:
            if item.get("position") is not None and item.get("status") in ("ineligible", "rejected") or \
                    item.get("eligible") is False:
                item["position"] = None
        headers, table = exports.nominee_table(items)
        data = exports.to_csv(headers, table) if fmt == "csv" else exports.to_xlsx(headers, table, rnd["round_id"])
        return download(f"{round_id}-nominees.{fmt}", CSV_MIMETYPE if fmt == "csv" else XLSX_MIMETYPE, data)


SERVICE = AwardsService
