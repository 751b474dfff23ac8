"""Contestants: one by one or a whole roster file (all rows or none), and withdrawals.

A batch is admitted in the repository's steps, each one write whatever the batch's size (stage
it as one document, commit it by the roster's compare-and-set, send its events and mark it sent);
the service's timer copies it into ``contestants`` afterwards: see ``adapters.repository``.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from services.registration.adapters.documents import Competition, Contestant
from services.registration.adapters.roster_file import parse_roster
from services.registration.domain import roster
from services.registration.domain.errors import RowProblem, sort_problems
from services.registration.domain.identity import mask_resident_id
from services.registration.domain.roster_import import additions_from_rows, clean_contestant
from services.registration.permissions import owned
from shared.errors import ServiceError, not_found
from shared.events import utc_now
from shared.files import decode_upload
from shared.outbox import pending_event

from .conflicts import publish_conflicts
from .context import Context
from .errors import roster_error

#: How long a batch may stay uncommitted before the timer aborts it (its process died mid-way).
PENDING_GRACE_SECONDS = 300


def register_one(ctx: Context, actor: dict, code: str, body: dict) -> dict:
    """One contestant sent as JSON (already checked against ``contestant_register.json``)."""
    doc = ctx.repo.competition(code)
    raw = {**body, "delegation": body["delegation"]["name"], "delegation_kind": body["delegation"]["kind"]}
    clean, problems = clean_contestant(raw, today=ctx.today)
    if problems:
        raise ServiceError("VALIDATION_FAILED", "contestant: " + problems[0][1],
                           [{"path": f"/{field}", "problem": problem} for field, problem in problems])
    [saved] = admit(ctx, actor, doc, [{**clean, "row": 0}], collection=None, what="contestant")
    return saved.public()


def import_roster(ctx: Context, actor: dict, code: str, content_b64: str, content_type: str) -> dict:
    """A CSV or XLSX roster: every row admitted, or none with every problem listed."""
    doc = owned(ctx.repo, actor, code)
    content = decode_upload(content_b64)
    rows, problems = parse_roster(content, content_type, today=ctx.today)
    if not rows and not problems:
        raise ServiceError("VALIDATION_FAILED", "roster file: no contestant rows found",
                           [{"path": "/rows", "problem": "the file has a header but no rows"}])
    saved = admit(ctx, actor, doc, rows, collection="rows", what="roster file", known_problems=problems)
    return {"registered": len(saved), "contestants": [c.public() for c in saved]}


def admit(ctx: Context, actor: dict, doc: Competition, rows: list[dict], collection: str | None, what: str,
          known_problems: Sequence[RowProblem] = ()) -> list[Contestant]:
    """Check every rule for ``rows`` together, then write them all or none.

    ``known_problems`` (rows that could not be read) are reported together with the rule
    problems of the readable rows, so one upload lists every bad row.

    Capacity and team sizes are checked against the roster as read, so the batch only commits if
    nobody changed the roster meanwhile: ``roster_version`` (read with ``doc``, before the roster)
    is advanced by the commit's compare-and-set, and the loser of a race takes its rows back.
    """
    version = doc.roster_version
    existing = [c.as_domain() for c in ctx.repo.active_contestants(doc.code)]
    additions = additions_from_rows(rows, ctx.person_secret)
    problems = roster.check_additions(doc.as_domain(), existing, additions, ctx.today, ctx.policy)
    problems = sort_problems([*known_problems, *problems])
    if problems:
        raise roster_error(problems, collection, what)
    batch = uuid.uuid4().hex
    docs = [_new_contestant(actor, doc.code, row, addition.contestant.person_key, batch)
            for row, addition in zip(rows, additions, strict=True)]
    ctx.repo.stage_batch(doc.code, batch, docs)
    if not ctx.repo.commit_batch(doc.code, batch, version):
        ctx.repo.abort_batch(doc.code, batch)
        raise ServiceError("CONFLICT", f"{what}: the roster of {doc.code} changed while this request was checked; "
                                       "nothing was registered, try again")
    ctx.repo.activate_batch(doc.code, batch, ctx.dispatch)
    publish_conflicts(ctx, doc.code)
    return docs


def _new_contestant(actor: dict, code: str, row: dict, key: str, batch: str) -> Contestant:
    contestant = Contestant(
        contestant_id=f"{code}-{uuid.uuid4().hex[:10]}", competition_code=code, active_key=f"{code}:{key}",
        person_key=key, id_number=row["id_number"], masked_id=mask_resident_id(row["id_number"]),
        name=row["name"], gender=row.get("gender"), date_of_birth=row["date_of_birth"].isoformat(),
        employer=row.get("employer") or "",
        delegation={"kind": row["delegation_kind"], "name": row["delegation"]} if row.get("delegation") else None,
        skill_level=row.get("skill_level"), employment=row.get("employment"), team=row.get("team"),
        status="active", registered_at=utc_now(), registered_by=actor["username"], import_batch=batch)
    contestant.held_events = [pending_event("contestant_registered",
                                            {"competition_code": code, "contestant": contestant.event_view()})]
    return contestant


def withdraw(ctx: Context, actor: dict, code: str, contestant_id: str, reason: str | None) -> dict:
    owned(ctx.repo, actor, code)
    doc = ctx.repo.contestant(code, contestant_id)
    if doc is None:
        raise not_found("contestant", contestant_id)
    if doc.status == "withdrawn":
        return doc.public()
    ctx.repo.update_competition(code, {"$inc": {"roster_version": 1}, "$set": {"conflicts_due": utc_now()}})
    now = utc_now()
    event = pending_event("contestant_withdrawn", {"competition_code": code, "contestant_id": contestant_id,
                                                   "person_key": doc.person_key, "reason": reason})
    ctx.repo.withdraw(code, contestant_id, {"$set": {"status": "withdrawn", "withdrawn_at": now,
                                                     "withdrawn_by": actor["username"], "withdrawn_reason": reason},
                                            "$unset": {"active_key": ""}}, event)
    publish_conflicts(ctx, code)
    doc.reload()
    return doc.public()


def settle_batches(ctx: Context) -> None:
    """Copy the committed batches into ``contestants`` (each with the events a dead process did not
    send), and abort the others once they are older than any request could take.

    Neither changes the roster readers see (a committed batch is listed from where it is), so no
    conflicts are published here: a commit whose process died left them due for ``publish_overdue``.
    """
    abandoned = utc_now() - timedelta(seconds=PENDING_GRACE_SECONDS)
    for (code, batch), since in ctx.repo.staged_batches().items():
        if ctx.repo.batch_committed(code, batch):
            ctx.repo.expand_batch(code, batch)
        elif since < abandoned:
            ctx.repo.abort_batch(code, batch)
