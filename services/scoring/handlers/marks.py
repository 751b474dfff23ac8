"""A judge's marks request: every mark checked first, then all written, or none.

One mark is written optimistically: a single update of its row, guarded so that it only applies
when it changes the mark and needs no reason; the row comes back with the judges' scores. Anything
else (a batch, or a single mark the guard turned back) reads the rows it touches, checks each mark
against them (locked, reason needed, unchanged), and writes every row in one bulk write, each row
guarded by the change count it was read at: a row another writer changed meanwhile is read and
checked again (only its marks), up to :data:`ATTEMPTS` times. With the idempotency claim and answer
(``shared.idempotency``), a mark takes 3 round trips and a batch 4 (2 more per round of contention).

The competition's state comes from the per-process cache while marking is open; when anything is
refused with it, the request is checked again on fresh state before the answer goes out.
"""
from __future__ import annotations

from typing import Any

from services.scoring.adapters.mark_rows import aspect_key, key, log_entry, open_row, plain_update, row_id
from services.scoring.adapters.repository import MarkingContext, ScoringRepository
from services.scoring.domain.marking import is_disputed
from services.scoring.domain.marksheet import Mark, check_marks, problem
from services.scoring.refusals import refused
from shared.errors import ServiceError, not_found
from shared.events import utc_now

ATTEMPTS = 8  # rounds of a batch against rows other writers keep changing, before it gives up


class Stale(Exception):
    """A row holds a newer roster than the state this request was checked with."""


MARK_FIELDS = frozenset({"contestant_id", "team", "aspect", "value", "score", "observed"})


def _text(value: Any, longest: int, shortest: int = 0) -> bool:
    return isinstance(value, str) and shortest <= len(value) <= longest


def _number(value: Any) -> bool:
    return type(value) in (int, float)


def plainly_valid(payload: Any) -> bool:
    """True only when ``payload`` surely matches ``schemas/marks_submit.json``: the common case, checked
    in a plain loop. Anything else (a reason, a team, a problem) goes to the schema validator, which
    names every problem; on a batch of 300 marks it took a third of the service's CPU."""
    if not isinstance(payload, dict) or set(payload) != {"request_id", "marks"}:
        return False
    marks = payload["marks"]
    if not _text(payload["request_id"], 100, 1) or type(marks) is not list or not 1 <= len(marks) <= 20000:
        return False
    for mark in marks:
        if type(mark) is not dict or not mark.keys() <= MARK_FIELDS - {"team"} or not _text(mark.get("aspect"), 100, 1):
            return False
        if "contestant_id" in mark and not _text(mark["contestant_id"], 100, 1):
            return False
        if "value" in mark and not (_number(mark["value"]) or _text(mark["value"], 20)):
            return False
        if "score" in mark and type(mark["score"]) is not int:
            return False
        if "observed" in mark and not (type(mark["observed"]) in (int, float, bool) or _text(mark["observed"], 200)):
            return False
    return True


def record_marks(repo: ScoringRepository, actor: dict, code: str, payload: dict) -> dict:
    """Record the marks of ``payload``; the answer counts them and lists new disputes."""
    context = repo.marking_context(code, fresh=False)
    try:
        return _record(repo, context, actor, code, payload)
    except (ServiceError, Stale):
        if context is None or not context.cached:
            raise
    try:
        return _record(repo, repo.marking_context(code, fresh=True), actor, code, payload)
    except Stale:
        raise ServiceError("CONFLICT", f"the roster of {code} changed meanwhile; submit again") from None


def _record(repo: ScoringRepository, context: MarkingContext | None, actor: dict, code: str, payload: dict) -> dict:
    if context is None:
        raise not_found("competition", code)
    status, user = context.state["status"], actor["username"]
    if status != "marking":
        raise ServiceError("INVALID_STATE", f"marking of {code} has not opened" if status == "setup"
                           else f"results of {code} are final: marks can no longer change")
    if not context.roster.marker(user):
        raise ServiceError("FORBIDDEN", f"{user} is not assigned to {code} as judge or chief expert")
    checked, problems = check_marks(payload["marks"], user, context.roster, context.scheme, context.index)
    if problems:
        raise refused(problems, "marks refused")
    if len(checked) == 1:
        answer = _record_one(repo, context, actor, code, checked[0], payload)
        if answer is not None:
            return answer
    return _record_many(repo, context, actor, code, checked, payload)


def _cell(mark: Mark, user: str) -> tuple[str, Any]:
    """Where a mark goes in its row and what is stored there."""
    field = aspect_key(mark.aspect)
    if mark.judgement:
        return f"j.{field}.{key(user)}", mark.value
    return f"m.{field}", {"v": mark.value, "by": user, **({"o": mark.observed} if mark.observed is not None else {})}


def _head(actor: dict, payload: dict, now) -> dict:
    """What a request's audit entry says about the request: when, who, which, why."""
    return {"at": now, "by": actor["username"], "role": actor.get("role"), "kind": "marks",
            "rid": payload["request_id"], "reason": payload.get("reason")}


def _change(mark: Mark, context: MarkingContext, actor: dict) -> dict:
    """What a changed mark adds to its row's audit entry (its old value is the previous change's)."""
    change = {"a": context.scheme.aspects[mark.aspect].id, "t": "J" if mark.judgement else "M", "new": mark.value}
    if mark.judgement:
        change["judge"] = actor["username"]
    elif mark.observed is not None:
        change["o"] = mark.observed
    return change


def _answer(code: str, recorded: int, changed: int, disputes: list[dict]) -> dict:
    return {"competition_code": code, "recorded": recorded, "changed": changed, "unchanged": recorded - changed,
            "disputes": disputes}


def _dispute(context: MarkingContext, mark: Mark, scores: dict, user: str) -> list[dict]:
    if not mark.judgement or not is_disputed(list(scores.values()), context.state["policy"].get("dispute_limit")):
        return []
    return [{"entry": mark.entry, "aspect": context.scheme.aspects[mark.aspect].id, "scores": {user: mark.value}}]


def _record_one(repo: ScoringRepository, context: MarkingContext, actor: dict, code: str, mark: Mark,
                payload: dict) -> dict | None:
    """One mark in one guarded update; None when the guard turned it back (unchanged, locked, reason...)."""
    path, stored = _cell(mark, actor["username"])
    changes = {path: {"$ne": mark.value}} if mark.judgement else {
        "$or": [{f"{path}.v": {"$ne": mark.value}}, {f"{path}.o": {"$ne": mark.observed}}]}
    guard = {**open_row(row_id(code, mark.sub, mark.entry), context.roster.version), "$and": [changes]}
    if not payload.get("reason"):
        guard["$and"].append({"$or": [{"unlocked_before": False}, {path: {"$exists": False}}]})
    field = aspect_key(mark.aspect)
    entry = log_entry(_head(actor, payload, utc_now()), [_change(mark, context, actor)])
    row = repo.rows.write_one(guard["_id"], guard, {path: stored}, entry, context.state["policy"].get("dispute_limit"),
                              {f"j.{field}": 1}, mark.judgement)
    if row is None:
        return None
    scores = ((row.get("j") or {}).get(field) or {}) if mark.judgement else {}
    return _answer(code, 1, 1, _dispute(context, mark, scores, actor["username"]))


def _held(row: dict, mark: Mark, user: str) -> tuple[Any, Any, dict]:
    """(value held, observation held, the judges' scores) of the mark's cell in its row."""
    field = aspect_key(mark.aspect)
    if mark.judgement:
        scores = (row.get("j") or {}).get(field) or {}
        return scores.get(key(user)), None, scores
    cell = (row.get("m") or {}).get(field)
    return (cell["v"], cell.get("o"), {}) if cell else (None, None, {})


def _rows_of(repo: ScoringRepository, context: MarkingContext, code: str, checked: list[Mark]) -> dict[str, dict]:
    """The rows the marks go to (a row missing since marking opened is created first)."""
    ids = {row_id(code, m.sub, m.entry) for m in checked}
    rows = repo.rows.read(ids)
    missing = [m for m in checked if row_id(code, m.sub, m.entry) not in rows]
    if missing:
        heads = repo.heads(code)
        for mark in missing:
            repo.rows.create(code, [mark.sub], [mark.entry], context.roster.version, heads.get(mark.sub))
        rows = repo.rows.read(ids)
    if any(row.get("rv", 0) > context.roster.version for row in rows.values()):
        raise Stale
    return rows


def _record_many(repo: ScoringRepository, context: MarkingContext, actor: dict, code: str, checked: list[Mark],
                 payload: dict) -> dict:
    rows = _rows_of(repo, context, code, checked)
    by_row: dict[str, list[Mark]] = {}
    for mark in checked:
        by_row.setdefault(row_id(code, mark.sub, mark.entry), []).append(mark)
    head, changed, disputes = _head(actor, payload, utc_now()), 0, []
    for _ in range(ATTEMPTS):
        writes, problems, planned = _plan(context, actor, payload, rows, by_row, head)
        if problems:
            problems.sort(key=lambda p: int(p["path"].split("/")[2]))
            raise refused(problems, "marks refused")
        for rid in set(by_row) - set(writes):  # rows the request leaves as they are
            by_row.pop(rid)
        missed = _write(repo, context, writes, payload["request_id"], actor["username"])
        for rid in set(writes) - missed:
            changed += planned[rid][0]
            disputes += planned[rid][1]
            by_row.pop(rid)
        if not by_row:
            return _answer(code, len(checked), changed, [d for _, d in sorted(disputes, key=lambda pair: pair[0])])
        rows = repo.rows.read(by_row)  # changed by another writer meanwhile: check these marks again
    raise ServiceError("CONFLICT", "the rows of these marks kept changing while they were written; submit again")


Planned = dict[str, tuple[int, list[tuple[int, dict]]]]


def _plan(context: MarkingContext, actor: dict, payload: dict, rows: dict[str, dict], by_row: dict[str, list[Mark]],
          head: dict) -> tuple[dict[str, tuple[dict, dict]], list[dict], Planned]:
    """Each row's guarded update (none for a row whose marks change nothing), the problems found, and
    per row written: how many marks it changes and the disputes it raises (by the mark's place)."""
    user, reason, limit = actor["username"], payload.get("reason"), context.state["policy"].get("dispute_limit")
    writes: dict[str, tuple[dict, dict]] = {}
    planned: Planned = {}
    problems: list[dict] = []
    for rid, marks in by_row.items():
        row, cells, changes, disputes = rows[rid], {}, [], []
        for mark in marks:
            if row.get("locked"):
                problems.append(problem(f"/marks/{mark.index}", f"sub-criterion {mark.sub} is locked", "LOCKED"))
                continue
            old, old_observed, scores = _held(row, mark, user)
            if old == mark.value and (mark.judgement or old_observed == mark.observed):
                continue
            if old is not None and row.get("unlocked_before") and not reason:
                field = "score" if mark.judgement else ("observed" if mark.observed is not None else "value")
                problems.append(problem(f"/marks/{mark.index}/{field}", f"sub-criterion {mark.sub} was unlocked for "
                                        "a correction: changing a mark needs a reason", "REASON_REQUIRED"))
                continue
            path, stored = _cell(mark, user)
            cells[path] = stored
            changes.append(_change(mark, context, actor))
            disputes += [(mark.index, d) for d in _dispute(context, mark, {**scores, key(user): mark.value}, user)]
        if cells:
            guard = {**open_row(rid, context.roster.version), "v": row.get("v", 0)}
            writes[rid] = (guard, plain_update(row, cells, log_entry(head, changes), limit))
            planned[rid] = (len(changes), disputes)
    return writes, problems, planned


def _write(repo: ScoringRepository, context: MarkingContext, writes: dict[str, tuple[dict, dict]], request_id: str,
           user: str) -> set[str]:
    """Every row's update in one bulk write; the rows that were not written because another writer
    changed them meanwhile (refused when one was locked or holds a newer roster)."""
    if repo.rows.write_many(list(writes.values())) == len(writes):
        return set()
    missed = set(writes) - repo.rows.written_by(writes, request_id, user)
    rows = repo.rows.read(missed)
    if any(row.get("rv", 0) > context.roster.version for row in rows.values()):
        raise Stale
    locked = sorted({row["sub"] for row in rows.values() if row.get("locked")})
    if locked:
        raise ServiceError("INVALID_STATE", f"sub-criterion {', '.join(locked)} was locked meanwhile; "
                                            "check and resubmit")
    return missed
