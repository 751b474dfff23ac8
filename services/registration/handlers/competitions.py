"""Competitions: create, change, open and close, add co-organisers; each change with its event in one write."""
from __future__ import annotations

from mongoengine.errors import NotUniqueError

from services.registration.adapters.documents import Competition
from services.registration.domain import competition as rules
from services.registration.domain import roster
from services.registration.domain.errors import RegistrationRuleError
from services.registration.permissions import ORGANISERS, owned
from shared.errors import ServiceError
from shared.events import utc_now
from shared.outbox import pending_event
from shared.roles import require_role
from shared.validation import validate

from .context import SCHEMAS, Context
from .errors import rule_error

STORED_FIELDS = ("code", "name", "tier", "skill", "skill_level", "team_size", "start_date", "end_date",
                 "registration_deadline", "capacity", "conflict_relations", "venue", "status", "selection_trial")


def stored_fields(competition: rules.Competition) -> dict:
    data = rules.competition_to_dict(competition)
    return {field: data[field] for field in STORED_FIELDS}


def create(ctx: Context, actor: dict, payload: dict) -> dict:
    require_role(actor, ORGANISERS)
    validate(payload, SCHEMAS / "competition_create.json", "competition")
    try:
        competition = rules.competition_from_dict({**payload, "status": "draft"})
    except ValueError as exc:
        raise ServiceError("VALIDATION_FAILED", str(exc)) from None
    errors = rules.check_competition(competition)
    if errors:
        raise rule_error(RegistrationRuleError(errors[0].code, errors[0].message, errors[0].path, tuple(errors)))
    now = utc_now()
    doc = Competition(**stored_fields(competition), event=payload.get("event"), created_by=actor["username"],
                      organisers=[actor["username"]], created_at=now, updated_at=now, revision=1)
    try:
        ctx.repo.add_competition(doc, pending_event("competition_created", {"competition": doc.snapshot()}))
    except NotUniqueError:
        raise ServiceError("DUPLICATE", f"competition '{competition.code}' already exists",
                           [{"path": "/code", "problem": "taken"}]) from None
    return doc.as_dict()


def _changed(doc: Competition, fields: dict) -> Competition:
    """``doc`` as it is after ``fields`` are set and its revision advanced (what the event carries)."""
    after = Competition(**{name: getattr(doc, name) for name in doc._fields if name not in ("id", "outbox")})
    for name, value in {**fields, "revision": doc.revision + 1}.items():
        setattr(after, name, value)
    return after


def _write(ctx: Context, doc: Competition, fields: dict, event_name: str, condition: dict | None = None) -> Competition:
    """Set ``fields`` on ``doc`` with ``event_name`` in one write, if ``doc`` is unchanged since it was read."""
    after = _changed(doc, {**fields, "updated_at": utc_now()})
    event = pending_event(event_name, {"competition": after.snapshot()})
    if not ctx.repo.update_competition(doc.code, {"$set": {**fields, "updated_at": after.updated_at},
                                                   "$inc": {"revision": 1}},
                                       event, condition={"revision": doc.revision, **(condition or {})}):
        raise ServiceError("CONFLICT", f"competition '{doc.code}' changed meanwhile; try again")
    return after


def update(ctx: Context, actor: dict, code: str, changes: dict) -> dict:
    doc = owned(ctx.repo, actor, code)
    validate(changes, SCHEMAS / "competition_update.json", "competition changes")
    current = doc.as_domain()
    merged = rules.competition_from_dict({**doc.as_dict(), **changes})
    typed = {k: getattr(merged, k) for k in changes if k in rules.EDITABLE_FIELDS}
    entries = roster.count_entries(current, [c.as_domain() for c in ctx.repo.active_contestants(code)])
    try:
        updated = rules.apply_update(current, typed, ctx.today, entries)
    except RegistrationRuleError as error:
        raise rule_error(error) from None
    fields = {**stored_fields(updated), **({"event": changes["event"]} if "event" in changes else {})}
    return _write(ctx, doc, fields, "competition_updated").as_dict()


def change_status(ctx: Context, actor: dict, code: str, target: str) -> dict:
    doc = owned(ctx.repo, actor, code)
    try:
        updated = rules.change_status(doc.as_domain(), target, ctx.today)
    except RegistrationRuleError as error:
        raise rule_error(error) from None
    event = "competition_opened" if target == "open" else "competition_closed"
    return _write(ctx, doc, {"status": updated.status}, event, condition={"status": doc.status}).as_dict()


def add_organiser(ctx: Context, actor: dict, code: str, payload: dict) -> dict:
    """Add a co-organiser (an admin or one of the competition's organisers may); adding twice changes nothing.

    The gateway checks that ``username`` is an organiser's account: registration keeps no accounts.
    """
    doc = owned(ctx.repo, actor, code)
    validate(payload, SCHEMAS / "organiser_add.json", "organiser")
    username = payload["username"]
    if username in doc.owners():
        return {"competition_code": code, "items": doc.owners()}
    after = _write(ctx, doc, {"organisers": [*doc.owners(), username]}, "competition_updated")
    return {"competition_code": code, "items": after.owners()}
