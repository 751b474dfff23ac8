"""Nominations and the committee's decisions on them.

A nomination and its eligibility check are one insert, with its ``nomination_decided`` event in the
same document (``_outbox``); each later decision moves the nomination's status with its event in one
conditional update (nothing is written when the nominee changed meanwhile).

An approval writes three documents in turn: it claims its place in the round's counters (which the
quota and budget guards read), moves the nomination (with its event and ``PERSON_UPDATE``, the note
that the person's record is still to be updated), then puts the approval in the person's record
(funding year or title; idempotent) and clears the note. A process that dies between these steps
leaves either a claim whose nomination never moved or a marked nomination; ``settle_approvals``
(the service's timer) gives the first back and finishes the second after a grace period.
"""
from __future__ import annotations

import logging
from datetime import UTC, date, timedelta
from typing import Any

from services.awards.adapters.documents import Nomination, collection_name
from services.awards.adapters.repository import PERSON_UPDATE, AwardsRepository
from services.awards.domain import workflow
from services.awards.domain.candidates import as_of_round
from services.awards.domain.eligibility import check_eligibility
from services.awards.domain.people import (
    approval_recorded,
    funded_before,
    pack,
    ranked_projection,
    stored_scoring_input,
    with_approval,
)
from services.awards.domain.policy import Policy
from services.awards.handlers import Worker
from services.awards.projections.ranking import candidate, move_row, rescore
from services.awards.views.rounds import nominee_view
from shared.errors import ServiceError, not_found
from shared.events import iso_utc, utc_now
from shared.outbox import OUTBOX_FIELD, pending_event, relay_document

log = logging.getLogger(__name__)
NOMINATIONS = collection_name(Nomination)
WORKFLOW_CODES = {"ILLEGAL_TRANSITION": "INVALID_STATE", "UNKNOWN_STATUS": "INVALID_STATE",
                  "UNKNOWN_ACTION": "VALIDATION_FAILED", "REASON_REQUIRED": "VALIDATION_FAILED",
                  "NOTICE_REQUIRED": "VALIDATION_FAILED", "ELIGIBILITY_NOT_CHECKED": "VALIDATION_FAILED"}


def decision_event(rnd: dict, nomination: dict, step: dict, person: dict | None) -> dict:
    """The ``nomination_decided`` payload of ``step``."""
    return {"round_id": rnd["_id"], "programme": rnd["programme"], "year": rnd["year"],
            "person_key": nomination["person_key"], "masked_id": (person or {}).get("masked_id"),
            "action": step["action"], "from_status": step["from"], "status": step["to"],
            "decided_by": step["by"], "decided_at": iso_utc(step["at"]), "why": step.get("why"),
            "amount_yuan": step.get("amount_yuan"), "notice_start": step.get("notice_start"),
            "notice_days": step.get("notice_days")}


def _eligibility_why(rnd: dict, policy: Policy, reasons: list[dict]) -> str:
    return ("; ".join(f"{r['code']}: {r['message']}" for r in reasons) if reasons
            else f"meets every condition of {rnd['programme']} (policy v{policy.version})")


def nominate(worker: Worker, actor: dict, round_id: str, body: dict) -> dict:
    repo = worker.repo
    rnd = repo.round(round_id)
    if rnd["status"] != "open":
        raise ServiceError("INVALID_STATE", f"round '{round_id}' is {rnd['status']}; nominations are closed")
    key = body["person_key"]
    person = repo.person(key, ranked_projection())
    if person is None:
        raise ServiceError("NOT_FOUND", f"person '{key}' has no record yet; create the profile first",
                           [{"path": "/person_key", "problem": "unknown person"}])
    policy = repo.policy_at(rnd["policy_version"])
    now = utc_now()
    nominator = f" ({body['nominator']})" if body.get("nominator") else ""
    nomination = {"_id": f"{round_id}:{key}", "round_id": round_id, "person_key": key,
                  "programme": rnd["programme"], "year": rnd["year"], "channel": body["channel"],
                  "nominator": body.get("nominator"), "statement": body.get("statement"),
                  "nominated_by": actor["username"], "nominated_at": now, "status": "nominated",
                  "history": [{"action": "nominate", "from": None, "to": "nominated", "by": actor["username"],
                               "at": now, "why": f"nominated by {body['channel']}{nominator}"}]}
    reasons = candidate(rnd, policy, person, nomination)[0]["reasons"]
    status = workflow.decide("nominated", "check_eligibility",
                             workflow.decision_context(policy, eligibility_reasons=reasons))
    step = {"action": "check_eligibility", "from": "nominated", "to": str(status), "by": "awards-service",
            "at": utc_now(), "why": _eligibility_why(rnd, policy, reasons), "reasons": reasons}
    nomination |= {"status": str(status), "history": nomination["history"] + [step],
                   OUTBOX_FIELD: [pending_event("nomination_decided", decision_event(rnd, nomination, step, person))]}
    if not repo.insert_nomination(nomination):
        raise ServiceError("DUPLICATE", f"person '{key}' is already nominated in round '{round_id}'",
                           [{"path": "/person_key", "problem": "already nominated"}])
    relay_document(worker.db, NOMINATIONS, nomination["_id"], worker.dispatch)
    doc, row = candidate(rnd, policy, person, nomination)
    repo.put_candidates([doc])
    move_row(repo, round_id, row)
    return nominee_view(nomination, doc)


def _approval_values(worker: Worker, rnd: dict, nomination: dict, person: dict) -> dict[str, Any]:
    """What the approval guards read: notice, quota, budget (this person's own claim left out), funding."""
    claimed = nomination["person_key"] in (rnd.get("approved_keys") or [])
    amount = rnd.get("amount_per_person_yuan") or 0
    earlier = worker.repo.earlier_approval(nomination["person_key"], rnd["programme"], nomination["_id"])
    return {"notice_start": date.fromisoformat(nomination["notice_start"]) if nomination.get("notice_start") else None,
            "notice_days": nomination.get("notice_days"), "quota": rnd.get("quota"),
            "budget_yuan": rnd.get("budget_yuan"), "amount_yuan": amount,
            "approved_count": rnd.get("approved_count", 0) - claimed,
            "approved_sum_yuan": rnd.get("approved_sum_yuan", 0) - (amount if claimed else 0),
            "funded_before_year": funded_before(rnd, person) or (earlier["year"] if earlier else None)}


def _next_step(worker: Worker, rnd: dict, nomination: dict, person: dict, body: dict, policy: Policy) -> dict:
    """The step ``body`` takes from the nomination's status (refused with the workflow's reason)."""
    action = body["action"]
    values: dict[str, Any] = {"today": worker.today(), "reason": body.get("why")}
    step: dict[str, Any] = {"action": action, "from": nomination["status"], "by": None, "why": body.get("why")}
    if action == "check_eligibility":
        record = as_of_round(stored_scoring_input(person), rnd["_id"])
        reasons = [r.to_dict() for r in check_eligibility(policy, rnd["programme"], record, rnd["year"])]
        values["eligibility_reasons"] = step["reasons"] = reasons
        step["why"] = step["why"] or _eligibility_why(rnd, policy, reasons)
    if action == "publicise":
        if not body.get("notice_start"):
            raise ServiceError("VALIDATION_FAILED", "publicising needs notice_start (and notice_days)",
                               [{"path": "/notice_start", "problem": "is required to publicise"}])
        values |= {"notice_start": date.fromisoformat(body["notice_start"]), "notice_days": body.get("notice_days")}
        step |= {"notice_start": body["notice_start"], "notice_days": body.get("notice_days") or policy.notice_days_min}
    if action == "approve":
        values |= _approval_values(worker, rnd, nomination, person)
        step["amount_yuan"] = values["amount_yuan"]
    try:
        step["to"] = str(workflow.decide(nomination["status"], action, workflow.decision_context(policy, **values)))
    except workflow.WorkflowError as error:
        raise ServiceError(WORKFLOW_CODES.get(error.code, "RULE_VIOLATION"), error.message,
                           [{"path": "/action", "problem": error.message, "code": error.code}]) from None
    return step


def decide(worker: Worker, actor: dict, round_id: str, person_key: str, body: dict) -> dict:
    repo = worker.repo
    rnd = repo.round(round_id)
    nomination = repo.nomination(f"{round_id}:{person_key}")
    if nomination is None:
        raise not_found("nominee", person_key)
    policy = repo.policy_at(rnd["policy_version"])
    person = repo.person(person_key) or {}
    step = _next_step(worker, rnd, nomination, person, body, policy) | {"by": actor["username"], "at": utc_now()}
    changes = {"status": step["to"]} | {k: step[k] for k in ("notice_start", "notice_days") if k in step}
    amount = step.get("amount_yuan") or 0
    approving = body["action"] == "approve"
    if approving:
        source = {"kind": "decision", "round_id": round_id, "by": actor["username"], "at": step["at"]}
        changes[PERSON_UPDATE] = source  # the person's record is still to be updated (see ``settle_approvals``)
        if not repo.claim_approval(rnd, person_key, amount):
            raise ServiceError("CONFLICT", "another approval in this round happened meanwhile; try again")
    moved = worker._update_with_event(NOMINATIONS, nomination["_id"], {"status": nomination["status"]},
                                      {"$set": changes, "$push": {"history": step}}, "nomination_decided",
                                      decision_event(rnd, nomination, step, person))
    if not moved.matched_count:
        if approving:
            repo.release_approval(round_id, person_key, amount)
        raise ServiceError("CONFLICT", "the nominee changed meanwhile; reload and try again")
    if approving:
        _record_approval(repo, rnd, policy, nomination, person, changes[PERSON_UPDATE])
    else:
        rescore(repo, [person_key])
    return nominee_view(repo.nomination(nomination["_id"]) or nomination, repo.candidate(f"{round_id}:{person_key}"))


def _record_approval(repo: AwardsRepository, rnd: dict, policy: Policy, nomination: dict, person: dict,
                     source: dict) -> None:
    """The approval in the person's record (funding year or title; once) and in the ranked lists, then
    the nomination's marker goes (a crash before that: the timer does all three again, harmlessly)."""
    if person and not approval_recorded(person, rnd["_id"]):
        repo.save_people([pack(with_approval(person, rnd, policy, source))])
    rescore(repo, [nomination["person_key"]])
    repo.approval_recorded(nomination["_id"])


def settle_approvals(worker: Worker, grace_seconds: float) -> None:
    """Finish the approvals a dead process left half done, once they are ``grace_seconds`` old:

    - an approved nomination still marked ``PERSON_UPDATE``: its approval goes into the person's
      record (idempotent) and the marker goes;
    - a claim in a round's counters: kept when its nomination is approved, given back when the
      nomination did not move (the quota and budget it held are free again).
    """
    repo = worker.repo
    cutoff = utc_now() - timedelta(seconds=grace_seconds)
    for nomination in repo.approvals_to_record(cutoff):
        rnd = repo.round(nomination["round_id"])
        person = repo.person(nomination["person_key"]) or {}
        _record_approval(repo, rnd, repo.policy_at(rnd["policy_version"]), nomination, person,
                         nomination[PERSON_UPDATE])
    for rnd in repo.rounds_with_claims_before(cutoff):
        claims = [c for c in rnd.get("approval_claims") or [] if c["at"].replace(tzinfo=UTC) < cutoff]
        status = {n["person_key"]: n["status"]
                  for n in repo.nominations_by_ids(f"{rnd['_id']}:{c['person_key']}" for c in claims).values()}
        for claim in claims:
            key = claim["person_key"]
            if status.get(key) == workflow.NomineeStatus.APPROVED:
                repo.confirm_claim(rnd["_id"], key)
            elif repo.release_approval(rnd["_id"], key, claim["amount_yuan"]):
                log.warning("round %s: approval claim of %s given back (its nomination never moved)", rnd["_id"], key)
                rescore(repo, [key])  # the cut line follows the counters
