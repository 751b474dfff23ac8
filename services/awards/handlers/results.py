"""``results_published``: achievements and honours of a competition's published results, once per revision.

A correction (a newer revision) replaces the achievements it names and withdraws those it leaves
out; an older or the same revision changes nothing but the competition's history. The accepted
revision and its ``honour_granted`` events are one write (the competition document and its
``_outbox``), by one delivery only.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import NamedTuple

from services.awards.adapters.repository import CURRENT_VERSION_SECONDS
from services.awards.domain.honours import Honours, honours_for_result
from services.awards.domain.people import new_person, pack, with_result, without_result
from services.awards.domain.policy import Policy
from services.awards.domain.results import Competition, ContestantResult
from services.awards.handlers import Worker
from services.awards.projections.ranking import rescore
from shared.events import utc_now
from shared.outbox import OUTBOX_FIELD, pending_event, relay_document
from shared.spreadsheets import off_the_hub

log = logging.getLogger(__name__)
RESULT_FIELDS = ("contestant_id", "name", "masked_id", "employer", "delegation", "employment", "team", "raw",
                 "scale", "rank", "medal", "medallion")


class Recorded(NamedTuple):
    """What one accepted revision writes: achievement documents, people, honour event payloads."""

    achievements: list[dict]
    people: dict[str, dict]
    honour_events: list[dict]


def record_results(worker: Worker, event: dict) -> dict:
    """Record achievements and honours of one ``results_published`` (idempotent per revision)."""
    repo = worker.repo
    repo.ensure_indexes()
    code, revision = event["competition"]["code"], int(event["revision"])
    stored = repo.competition(code)
    if stored is not None and stored.get("event_id") == event["event_id"]:
        return {"outcome": "same_event", "recorded": 0}  # delivered again while its first delivery finishes
    if stored is not None and revision <= stored["revision"]:
        return _ignored(worker, event, stored)
    previous_keys = list(stored["person_keys"]) if stored else []
    previous = repo.achievements_by_ids(f"{code}:{k}" for k in previous_keys)
    keys = [row["person_key"] for row in event["results"]]
    people = repo.people_by_keys(keys + previous_keys)
    policy = repo.current_policy(max_age=CURRENT_VERSION_SECONDS)  # a burst reads it once a second
    recorded = off_the_hub(_recorded, policy, event, previous, people, previous_keys, utc_now())
    repo.save_achievements(recorded.achievements)
    repo.save_people(recorded.people.values())
    if not repo.accept_revision(code, revision, _competition_document(event, stored, recorded.honour_events)):
        log.info("results_published %s revision %s: accepted meanwhile by a concurrent delivery", code, revision)
        return {"outcome": "same_revision_ignored", "recorded": 0}
    relay_document(worker.db, repo.competitions.name, code, worker.dispatch)
    rescore(repo, list(recorded.people), recorded.people)
    return {"outcome": "correction" if stored else "recorded", "recorded": len(keys)}


def _ignored(worker: Worker, event: dict, stored: dict) -> dict:
    code, revision = event["competition"]["code"], int(event["revision"])
    outcome = "older_revision_ignored" if revision < stored["revision"] else "same_revision_ignored"
    worker.repo.note_revision_ignored(code, {"revision": revision, "event_id": event["event_id"], "at": utc_now(),
                                             "outcome": outcome})
    log.info("results_published %s revision %s: %s (stored revision %s)", code, revision, outcome, stored["revision"])
    return {"outcome": outcome, "recorded": 0}


def _competition_document(event: dict, stored: dict | None, honour_events: list[dict]) -> dict:
    comp, revision = event["competition"], int(event["revision"])
    history = (stored or {}).get("history", []) + [{
        "revision": revision, "event_id": event["event_id"], "at": utc_now(), "contestants": len(event["results"]),
        "outcome": "correction" if stored else "recorded",
        "replaces_revision": stored["revision"] if stored else None}]
    waiting = (stored or {}).get(OUTBOX_FIELD, []) + [pending_event("honour_granted", p) for p in honour_events]
    return {"_id": comp["code"], "revision": revision, "event_id": event["event_id"],
            "person_keys": [row["person_key"] for row in event["results"]], "name": comp.get("name"),
            "tier": comp.get("tier"), "year": comp.get("year"), "history": history, OUTBOX_FIELD: waiting}


def _recorded(policy: Policy, event: dict, previous: dict[str, dict], people: dict[str, dict],
              previous_keys: list[str], now: datetime) -> Recorded:
    """The domain's part (CPU only, run off the hub): honours per row, the people after them."""
    comp, code = event["competition"], event["competition"]["code"]
    competition = Competition.from_dict(comp)
    recorded = Recorded([], dict(people), [])
    rows = {row["person_key"]: row for row in event["results"]}
    for key, row in rows.items():
        contestant = ContestantResult.from_dict(row)
        honours = honours_for_result(policy, competition, contestant)
        prior = previous.get(f"{code}:{key}")
        doc = _achievement(event, row, honours, prior, now)
        recorded.achievements.append(doc)
        person = recorded.people.get(key) or new_person(key, now)
        recorded.people[key] = with_result(person, competition, contestant, honours, doc, now)
        if not honours.is_empty or (prior and _had_honours(prior)):
            recorded.honour_events.append(_honour_payload(doc, honours, prior))
    for key in previous_keys:
        prior = previous.get(f"{code}:{key}")
        if key not in rows and prior is not None:  # left out of the correction
            recorded.achievements.append({**prior, "status": "withdrawn", "revision": int(event["revision"]),
                                          "event_id": event["event_id"], "recorded_at": now, "honours": {},
                                          "superseded": _superseded(prior, now)})
            if key in recorded.people:
                recorded.people[key] = without_result(recorded.people[key], code, now)
    for person in recorded.people.values():
        pack(person)
    return recorded


def _achievement(event: dict, row: dict, honours: Honours, prior: dict | None, now: datetime) -> dict:
    comp, key = event["competition"], row["person_key"]
    return {"_id": f"{comp['code']}:{key}", "person_key": key, "competition": comp, "revision": int(event["revision"]),
            "event_id": event["event_id"], "status": "current", "recorded_at": now,
            "result": {k: row.get(k) for k in RESULT_FIELDS}, "level_at_registration": row.get("current_level"),
            "honours": honours.to_dict(), "superseded": _superseded(prior, now)}


def _superseded(prior: dict | None, now: datetime) -> list:
    if not prior:
        return []
    earlier = {k: prior.get(k) for k in ("revision", "event_id", "status", "result", "honours", "recorded_at")}
    return list(prior.get("superseded") or []) + [{**earlier, "replaced_at": now}]


def _had_honours(doc: dict) -> bool:
    h = doc.get("honours") or {}
    return bool(h.get("titles") or h.get("promotion") or h.get("cash_yuan") or h.get("medal"))


def _honour_payload(doc: dict, honours: Honours, prior: dict | None) -> dict:
    h = honours.to_dict()
    return {"person_key": doc["person_key"], "masked_id": doc["result"].get("masked_id"),
            "name": doc["result"].get("name") or "", "competition_code": doc["competition"]["code"],
            "revision": doc["revision"], "tier": h["tier"], "year": h["year"], "policy_version": h["policy_version"],
            "titles": h["titles"], "promotion": h["promotion"], "cash_yuan": h["cash_yuan"], "medal": h["medal"],
            "rules_applied": h["rules_applied"], "correction": prior is not None,
            "replaces_revision": prior["revision"] if prior else None}
