"""Marking's life: open (scheme frozen, roster taken, rows created), lock and unlock sub-criteria,
finalise the results and reopen them. Each state change is stored with its event in one write
(``publish``: the outbox's ``_update_with_event``) and audited.

A lock and a mark cannot cross: the lock marks the sub-criterion's rows locked first (every mark
write is filtered on ``locked: false``), then checks them again, and only then records the lock
with its event; a crash in between leaves rows locked that a second lock (or unlock) settles.
"""
from __future__ import annotations

from collections.abc import Callable

from pymongo.results import UpdateResult

from services.scoring.access import CHIEF, OWNER, access, require_chief, state_of
from services.scoring.adapters.mark_rows import decode
from services.scoring.adapters.repository import COMPETITIONS, SHEETS, ScoringRepository, head_id
from services.scoring.domain.errors import PolicyInvalid
from services.scoring.domain.marksheet import MAX_DETAILS, public, sub_status
from services.scoring.domain.policy import resolve_policy
from services.scoring.handlers.roster import sync_roster
from services.scoring.results_view import PUBLISHED_FIELDS, compute, event_competition, for_reader, stored
from shared.errors import ServiceError, not_found
from shared.events import utc_now

Publish = Callable[..., UpdateResult]


def open_marking(repo: ScoringRepository, registration, publish: Publish, actor: dict, code: str,
                 configured_policy) -> dict:
    doc = repo.state(code)
    snap = sync_roster(repo, registration, code) if doc is None or doc["status"] == "setup" else None
    doc = state_of(repo, code)
    access(repo, registration, actor, code, doc, (OWNER, CHIEF))
    if doc["status"] != "setup" or snap is None:
        raise ServiceError("INVALID_STATE", f"marking of {code} is already open" if doc["status"] == "marking"
                           else f"results of {code} are final")
    roster = repo.roster(code, doc)
    _check_openable(doc, snap, roster)
    try:
        policy = resolve_policy(configured_policy or None)
    except PolicyInvalid as error:
        raise ServiceError("INVALID_STATE", "the configured scoring policy is invalid", error.details()) from None
    parsed, _ = repo.scheme(code, doc["scheme_version"])
    subs = [s.id for s in parsed.sub_criteria]
    repo.create_heads(code, subs)
    repo.rows.create(code, subs, sorted(roster.members), doc["roster_version"])
    opened = publish(COMPETITIONS, code, {"status": "setup", "scheme_version": doc["scheme_version"]},
                     {"$set": {"status": "marking", "policy": policy, "opened_by": actor["username"],
                               "opened_at": utc_now()}},
                     "marking_opened", {"competition_code": code, "scheme_version": doc["scheme_version"],
                                        "sub_criteria": subs, "entries": len(roster.members),
                                        "opened_by": actor["username"]})
    repo.forget(code)
    if not opened.matched_count:
        raise ServiceError("CONFLICT", f"{code} changed meanwhile (scheme replaced or marking opened); try again")
    repo.audit(code, actor, "open", version=doc["scheme_version"])
    return {"competition_code": code, "status": "marking", "scheme_version": doc["scheme_version"],
            "entries": len(roster.members), "judges": sorted(roster.judges), "sub_criteria": subs, "policy": policy}


def _check_openable(doc: dict, snap: dict, roster) -> None:
    problems = []
    if not doc.get("scheme_version"):
        problems.append({"path": "/marking-scheme", "problem": "upload a marking scheme first"})
    if snap["competition"]["status"] != "closed":
        problems.append({"path": "/status", "problem": f"registration is {snap['competition']['status']}: "
                                                       "close registration before marking opens"})
    if not roster.members:
        problems.append({"path": "/contestants", "problem": "no active contestant to mark"})
    if problems:
        raise ServiceError("INVALID_STATE", f"marking of {doc['_id']} cannot open: {problems[0]['problem']}", problems)


def sub_criterion_status(repo: ScoringRepository, code: str, doc: dict, sub: str) -> dict:
    """Progress of one sub-criterion with what is missing or disputed, read from its rows."""
    parsed, _ = repo.scheme(code, doc["scheme_version"])
    head = repo.heads(code).get(sub)
    if head is None or not parsed.aspects_of(sub):
        raise not_found("sub-criterion", sub)
    rows = [decode(row) for row in repo.rows.of(code, sub, {"entry": 1, "sub": 1, "m": 1, "j": 1})]
    return sub_status(parsed, sub, rows, repo.roster(code, doc), doc["policy"], bool(head.get("locked")))


def _lockable(status: dict, policy: dict) -> None:
    if not (status["_missing"] or status["_disputed"]):
        return
    details = [{"path": f"/entries/{p['entry']}/{p['aspect']}", "problem": p["problem"]} for p in status["_missing"]]
    details += [{"path": f"/entries/{d['entry']}/{d['aspect']}",
                 "problem": f"in dispute: judges' scores {sorted(d['scores'].values())} differ by more than "
                            f"{policy.get('dispute_limit')}"} for d in status["_disputed"]]
    raise ServiceError("RULE_VIOLATION", f"sub-criterion {status['sub_criterion']} cannot be locked: "
                       f"{status['missing']} mark(s) missing, {status['disputed']} in dispute", details[:MAX_DETAILS])


def lock(repo: ScoringRepository, publish: Publish, actor: dict, code: str, sub: str) -> dict:
    """Lock a complete sub-criterion without disputes (idempotent: a locked one stays locked)."""
    doc = state_of(repo, code)
    require_chief(actor, repo.roster(code, doc))
    if doc["status"] != "marking":
        raise ServiceError("INVALID_STATE", f"marking of {code} is not open")
    status = sub_criterion_status(repo, code, doc, sub)
    if status["locked"]:
        repo.rows.set_locked(code, sub, True)
        return public(status)
    _lockable(status, doc["policy"])
    repo.rows.set_locked(code, sub, True)
    status = sub_criterion_status(repo, code, doc, sub)  # a mark may have landed before the rows were locked
    try:
        _lockable(status, doc["policy"])
    except ServiceError:
        repo.rows.set_locked(code, sub, False, correction=False)
        raise
    locked = publish(SHEETS, head_id(code, sub), {"locked": False},
                     {"$set": {"locked": True, "locked_by": actor["username"], "locked_at": utc_now()}},
                     "marks_locked", {"competition_code": code, "sub_criterion": sub, "locked_by": actor["username"]})
    if locked.matched_count:
        repo.audit(code, actor, "lock", sub_criterion=sub)
    return {**public(status), "locked": True}


def unlock(repo: ScoringRepository, publish: Publish, actor: dict, code: str, sub: str, reason: str) -> dict:
    """Unlock for a correction (reason required); later changes there need a reason too."""
    doc = state_of(repo, code)
    require_chief(actor, repo.roster(code, doc))
    if doc["status"] == "final":
        raise ServiceError("INVALID_STATE", f"results of {code} are final: reopen them before unlocking")
    if doc["status"] != "marking":
        raise ServiceError("INVALID_STATE", f"marking of {code} is not open")
    if sub not in repo.heads(code):
        raise not_found("sub-criterion", sub)
    done = publish(SHEETS, head_id(code, sub), {"locked": True},
                   {"$set": {"locked": False, "unlocked_before": True}},
                   "marks_unlocked", {"competition_code": code, "sub_criterion": sub,
                                      "unlocked_by": actor["username"], "reason": reason})
    settled = repo.rows.set_locked(code, sub, False)  # also rows a crashed unlock left locked
    if not done.matched_count and not settled:
        raise ServiceError("INVALID_STATE", f"sub-criterion {sub} is not locked")
    if done.matched_count:
        repo.audit(code, actor, "unlock", sub_criterion=sub, reason=reason)
    return {"competition_code": code, "sub_criterion": sub, "locked": False, "reason": reason}


def finalise(repo: ScoringRepository, publish: Publish, where: str, actor: dict, code: str, doc: dict) -> dict:
    """Compute and publish the final results; finalising again returns the same stored results."""
    if doc["status"] == "final":
        return for_reader({**stored(repo, code), "replayed": True}, where)
    if doc["status"] != "marking":
        raise ServiceError("INVALID_STATE", f"marking of {code} has not opened")
    open_subs = sorted(s for s, h in repo.heads(code).items() if not h.get("locked"))
    if open_subs:
        raise ServiceError("INVALID_STATE", f"every sub-criterion must be locked first; open: {', '.join(open_subs)}",
                           [{"path": f"/sub_criteria/{s}", "problem": "not locked"} for s in open_subs])
    rows = compute(repo, code, doc, repo.roster(code, doc), provisional=False)
    revision = int(doc.get("results_revision") or 0) + 1
    competition = event_competition(doc)
    repo.store_results(code, {"revision": revision, "competition": competition, "event": competition.get("event"),
                              "results": rows, "finalised_by": actor["username"], "finalised_at": utc_now()})
    published = [{k: row[k] for k in PUBLISHED_FIELDS} for row in rows]
    flipped = publish(COMPETITIONS, code, {"status": "marking"},
                      {"$set": {"status": "final", "results_revision": revision}},
                      "results_published", {"competition": competition, "revision": revision, "results": published})
    repo.forget(code)
    if flipped.matched_count:
        repo.audit(code, actor, "finalise", revision=revision)
    return for_reader({**stored(repo, code), "replayed": not flipped.matched_count}, where)


def reopen(repo: ScoringRepository, actor: dict, code: str, reason: str) -> dict:
    """Take final results back for a correction: unlock, change, relock, finalise → revision + 1."""
    doc = state_of(repo, code)
    require_chief(actor, repo.roster(code, doc))
    if not repo.set_status(code, {"status": "final"}, {"$set": {"status": "marking"}}):
        raise ServiceError("INVALID_STATE", f"results of {code} are not final")
    repo.audit(code, actor, "reopen", reason=reason, revision=doc.get("results_revision"))
    return {"competition_code": code, "status": "marking", "revision": doc.get("results_revision"), "reason": reason}
