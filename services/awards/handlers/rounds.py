"""The honours policy's versions and the nominee rounds: open one, pin it to a policy version, rank it."""
from __future__ import annotations

import secrets
import uuid
from typing import Any

from services.awards.domain.policy import validate_policy
from services.awards.domain.programmes import programme_funding
from services.awards.handlers import Worker
from services.awards.projections.ranking import RANKING_RULES, rank_if_due
from shared.errors import ServiceError
from shared.events import utc_now

SYNC_RANK_LIMIT = 5000  # rounds over more people than this are ranked by the timer, not in the request


def put_policy(worker: Worker, actor: dict, document: Any) -> int:
    """Store ``document`` as the next version (its own ``version`` is replaced by that number)."""
    if not isinstance(document, dict):
        raise ServiceError("VALIDATION_FAILED", "the honours policy must be a JSON object",
                           [{"path": "/", "problem": "not an object"}])
    version = worker.repo.current_version() + 1
    document = {**document, "version": version}
    problems = validate_policy(document)
    if problems:
        raise ServiceError("VALIDATION_FAILED", f"the honours policy has {len(problems)} problem(s); nothing stored",
                           [{"path": p.path or "/", "problem": p.problem} for p in problems])
    if not worker.repo.insert_policy(version, document, actor["username"]):
        raise ServiceError("CONFLICT", "another policy version was stored at the same time; try again")
    return version


def open_round(worker: Worker, actor: dict, body: dict) -> dict:
    repo = worker.repo
    repo.ensure_indexes()
    version = body.get("policy_version") or repo.current_version()
    policy = repo.policy_at(version)
    programme = body["programme"]
    try:
        funding = programme_funding(policy, programme)
    except KeyError:
        raise ServiceError("VALIDATION_FAILED", f"policy v{version} has no programme '{programme}'",
                           [{"path": "/programme", "problem": "not in the pinned policy"}]) from None
    round_id = f"{programme}-{body['year']}-{uuid.uuid4().hex[:6]}"
    now = utc_now()
    rnd = {
        "_id": round_id, "round_id": round_id, "programme": programme, "year": body["year"],
        "name": body.get("name") or f"{policy.programme(programme)['name_zh']} {body['year']}", "status": "open",
        "quota": body.get("quota", funding["quota"]), "budget_yuan": body.get("budget_yuan", funding["budget_yuan"]),
        "amount_per_person_yuan": body.get("amount_per_person_yuan", funding["amount_per_person_yuan"]),
        "policy_version": version, "opened_by": actor["username"], "opened_at": now,
        "approved_count": 0, "approved_sum_yuan": 0, "approved_keys": [], "lot_seed": secrets.token_hex(16),
        "policy_history": [{"version": version, "by": actor["username"], "at": now, "why": "opened"}],
        "ranking": {"state": "stale", "field_chunks": 0, "nominees_chunks": 0, "excluded_chunks": 0},
    }
    repo.insert_round(rnd)
    return _ranked_now_if_small(worker, rnd)


def set_round_policy(worker: Worker, actor: dict, round_id: str, payload: dict) -> dict:
    """Pin the round to another policy version: every candidate is re-scored and re-ranked."""
    repo = worker.repo
    rnd = repo.round(round_id)
    policy = repo.policy_at(payload["policy_version"])
    try:
        policy.programme(rnd["programme"])
    except KeyError:
        raise ServiceError("VALIDATION_FAILED",
                           f"policy v{policy.version} has no programme '{rnd['programme']}'") from None
    entry = {"version": policy.version, "by": actor["username"], "at": utc_now(), "why": payload.get("why")}
    repo.repin_round(round_id, policy.version, entry)
    return _ranked_now_if_small(worker, repo.round(round_id))


def _ranked_now_if_small(worker: Worker, rnd: dict) -> dict:
    if worker.repo.people_count() <= SYNC_RANK_LIMIT:
        return rank_if_due(worker.repo, rnd["_id"])
    return rnd


def rank_stale_rounds(worker: Worker) -> None:
    """Rank rounds too large to rank inside a request (opened or re-pinned to a new policy)."""
    for rnd in worker.repo.rounds_to_rank(RANKING_RULES):
        rank_if_due(worker.repo, rnd["_id"])
