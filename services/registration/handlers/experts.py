"""Experts and judges assigned to a competition, and declared conflicts of interest."""
from __future__ import annotations

from services.registration.permissions import ORGANISERS, owned, visible
from shared.errors import ServiceError
from shared.events import utc_now
from shared.outbox import pending_event
from shared.roles import require_role
from shared.validation import validate

from .conflicts import publish_conflicts
from .context import SCHEMAS, Context

EXPERTS = ("judge", "chief_expert")


def assign_judge(ctx: Context, actor: dict, code: str, payload: dict) -> dict:
    """Assign an expert with the employer, training base and delegation declared for this competition.

    The details belong to the assignment: the same expert assigned elsewhere with other details
    keeps this competition's conflicts of interest as they were.
    """
    owned(ctx.repo, actor, code)
    validate(payload, SCHEMAS / "judge_assign.json", "judge assignment")
    username = payload["username"]
    details = {"name": payload["name"], "employer": payload["employer"],
               "training_base": payload.get("training_base"), "delegation": payload.get("delegation") or {}}
    ctx.repo.save_expert(username, details)
    ctx.repo.mark_conflicts_due(code)
    judge = {"username": username, **details, "delegation": details["delegation"] or None, "role": payload["role"]}
    event = pending_event("judge_assigned", {"competition_code": code, "judge": judge})
    ctx.repo.assign(code, username, {**details, "role": payload["role"], "assigned_by": actor["username"],
                                     "assigned_at": utc_now()}, event)
    publish_conflicts(ctx, code)
    return judge


def declare_conflict(ctx: Context, actor: dict, code: str, payload: dict) -> dict:
    require_role(actor, ORGANISERS + EXPERTS)
    visible(ctx.repo, actor, code)
    validate(payload, SCHEMAS / "conflict_declare.json", "conflict declaration")
    if actor["role"] in EXPERTS and payload["judge"] != actor["username"]:
        raise ServiceError("FORBIDDEN", "a judge declares conflicts for themselves only",
                           [{"path": "/judge", "problem": "not you"}])
    _check_parties(ctx, code, payload)
    fields = {k: payload.get(k) for k in ("judge", "contestant_id", "relation", "note")}
    ctx.repo.mark_conflicts_due(code)
    key = {"competition_code": code, **{k: payload[k] for k in ("judge", "contestant_id", "relation")}}
    ctx.repo.declare_conflict(key, {"note": payload.get("note"), "declared_by": actor["username"],
                                    "declared_at": utc_now()},
                              pending_event("conflict_declared", {"competition_code": code, **fields}))
    publish_conflicts(ctx, code)
    return {"competition_code": code, **fields}


def _check_parties(ctx: Context, code: str, payload: dict) -> None:
    problems = []
    if not ctx.repo.is_assigned(code, payload["judge"]):
        problems.append({"path": "/judge", "problem": f"'{payload['judge']}' is not assigned to {code}"})
    if not ctx.repo.has_contestant(code, payload["contestant_id"]):
        problems.append({"path": "/contestant_id", "problem": f"no contestant '{payload['contestant_id']}' in {code}"})
    if problems:
        raise ServiceError("NOT_FOUND", "conflict declaration names an unknown judge or contestant", problems)
