"""The chief expert resolves a judgement dispute: the agreed scores become those judges' scores,
with their audit entries, in one guarded update of the entry's row."""
from __future__ import annotations

from services.scoring.adapters.mark_rows import aspect_key, decode, key, log_entry, open_row, row_id
from services.scoring.adapters.repository import MarkingContext, ScoringRepository
from services.scoring.domain.disputes import resolution_problems
from services.scoring.domain.marksheet import disputed_cell, problem
from services.scoring.refusals import refused
from shared.errors import ServiceError, not_found
from shared.events import utc_now

# A refused resolution: not a dispute (/aspect), still one (/scores), a judge who did not score (/scores/x).
RESOLUTION_CODES = {0: "NOT_DISPUTED", 1: "STILL_DISPUTED", 2: "UNKNOWN_JUDGE"}


def resolve_dispute(repo: ScoringRepository, actor: dict, code: str, payload: dict) -> dict:
    context = repo.marking_context(code, fresh=True)
    if context is None:
        raise not_found("competition", code)
    if context.state["status"] != "marking":
        raise ServiceError("INVALID_STATE", f"marking of {code} is not open" if context.state["status"] == "setup"
                           else f"results of {code} are final: reopen them first")
    entry, position, problems = disputed_cell(payload, actor["username"], context.roster, context.scheme,
                                              context.index)
    if problems or entry is None:
        raise refused(problems, "dispute resolution refused")
    sub, rid = payload["sub_criterion"], row_id(code, payload["sub_criterion"], entry)
    row = repo.rows.read([rid]).get(rid)
    if row is None:
        raise not_found("marks of", f"{entry} in {sub}")
    if row.get("locked"):
        raise ServiceError("INVALID_STATE", f"sub-criterion {sub} is locked: unlock it to resolve a dispute",
                           [problem("/sub_criterion", "locked", "LOCKED")])
    held = decode(row).scores.get(position) or {}
    _check(held, payload, entry, context)
    return _record(repo, context, actor, code, payload, (rid, entry, position, held))


def _check(held: dict, payload: dict, entry: str, context: MarkingContext) -> None:
    found = resolution_problems(held, payload["scores"], context.state["policy"].get("dispute_limit"))
    problems = [problem(p.path, p.problem, RESOLUTION_CODES[p.path.count("/") if p.path != "/aspect" else 0])
                for p in found]
    if problems and problems[0]["code"] == "NOT_DISPUTED":
        raise ServiceError("INVALID_STATE", f"{payload['aspect']} of {entry} is not in dispute", problems)
    if problems:
        raise refused(problems, "dispute resolution refused")


def _record(repo: ScoringRepository, context: MarkingContext, actor: dict, code: str, payload: dict,
            cell: tuple[str, str, int, dict]) -> dict:
    rid, entry, position, held = cell
    field, now = aspect_key(position), utc_now()
    changed = {judge: score for judge, score in sorted(payload["scores"].items()) if held[judge] != score}
    guard = {**open_row(rid, context.roster.version), **{f"j.{field}.{key(j)}": held[j] for j in changed}}
    logged = log_entry({"at": now, "by": actor["username"], "role": actor.get("role"), "kind": "dispute",
                       "rid": payload["request_id"], "reason": payload["reason"]},
                      [{"a": payload["aspect"], "t": "J", "judge": judge, "new": score} for judge, score in changed.items()])
    cells = {f"j.{field}.{key(j)}": score for j, score in changed.items()}
    if repo.rows.write_one(rid, guard, cells, logged, context.state["policy"].get("dispute_limit"), {"_id": 1},
                           judgement=True) is None:
        raise ServiceError("CONFLICT", f"the scores of {payload['aspect']} changed or {payload['sub_criterion']} "
                                       "was locked meanwhile; check the dispute and try again")
    return {"competition_code": code, "sub_criterion": payload["sub_criterion"], "entry": entry,
            "aspect": payload["aspect"], "scores": {**held, **payload["scores"]}, "changed": len(changed),
            "reason": payload["reason"]}
