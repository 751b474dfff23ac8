"""The scoring service: marking schemes, marks, locks, disputes, the audit trail and results.

Thin Nameko entrypoints: check the caller's role and standing, validate the payload against its
JSON Schema, then call a command handler (``handlers/``) or a query (``views.py``,
``results_view.py``). Storage is the repository (``adapters/``), provided by a DependencyProvider;
the rules are in ``domain/``. Decisions are listed in ``services/scoring/README.md``.
"""
from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from eventlet.semaphore import Semaphore
from nameko.dependency_providers import Config
from nameko.events import event_handler
from nameko.rpc import RpcProxy

from services.scoring import results_view, views
from services.scoring.access import (
    CHIEF,
    CHIEFS,
    COMMITTEE,
    JUDGE,
    MARKERS,
    MARKING_TEAM,
    ORGANISERS,
    OWNER,
    SEE_ALL,
    STAFF,
    access,
    require_chief,
    standing,
    state_of,
)
from services.scoring.adapters.repository import COMPETITIONS, SHEETS, Repository
from services.scoring.handlers import disputes, marking, marks, roster, scheme
from services.scoring.refusals import check_format
from shared.db import MongoDatabase, database_health
from shared.entrypoints import rpc
from shared.errors import ServiceError
from shared.events import handle_once
from shared.files import decode_upload
from shared.idempotency import run_command
from shared.outbox import OutboxPublisher
from shared.roles import require_role
from shared.validation import validate

log = logging.getLogger(__name__)
SCHEMAS = Path(__file__).resolve().parent / "schemas"
ALIAS = "scoring"
#: Batches of marks one scoring process lets at the database at once (``SCORING_BATCHES_AT_ONCE``,
#: default 2); single marks and reads never wait for it. The local server works one command at a
#: time, so ten batches sent together only lengthen its queue: a read of progress waited behind all
#: of them. Admitted two at a time, the server still always has one to work on.
BATCHES_AT_ONCE = Semaphore(int(os.environ.get("SCORING_BATCHES_AT_ONCE") or 2))


class ScoringService(OutboxPublisher):
    name = "scoring"
    outbox_collections = (COMPETITIONS, SHEETS)

    config = Config()
    db = MongoDatabase(ALIAS)
    repo = Repository()
    registration = RpcProxy("registration")

    @rpc
    def health(self) -> dict:
        db = database_health(ALIAS)
        return {"status": db["status"], "database": db}

    def _team(self, actor: dict, code: str, allowed: tuple[str, ...] = MARKING_TEAM) -> tuple[dict, str]:
        doc = state_of(self.repo, code)
        return doc, access(self.repo, self.registration, actor, code, doc, allowed)

    # ----------------------------------------------------------- marking scheme

    @rpc
    def put_marking_scheme(self, actor: dict, code: str, payload: dict) -> dict:
        """Upload (or replace, until marking opens) the scheme as JSON."""
        require_role(actor, ORGANISERS)
        return scheme.put_scheme(self.repo, self.registration, actor, code, payload)

    @rpc
    def import_marking_scheme(self, actor: dict, code: str, content_b64: str) -> dict:
        """Upload (or replace) the scheme as a CIS "Marking Scheme Import" workbook or a 评分表."""
        require_role(actor, ORGANISERS)
        return scheme.import_scheme(self.repo, self.registration, actor, code, decode_upload(content_b64))

    @rpc
    def get_marking_scheme(self, actor: dict, code: str) -> dict:
        require_role(actor, STAFF)
        doc, _ = self._team(actor, code)
        parsed = views.stored_scheme(self.repo, code, doc)
        return {**scheme.scheme_answer(code, parsed, doc["scheme_version"], self.repo.scheme_source(code)),
                "frozen": doc["status"] != "setup"}

    @rpc
    def export_marking_scheme(self, actor: dict, code: str, fmt: str) -> dict:
        require_role(actor, STAFF)
        doc, _ = self._team(actor, code)
        return views.scheme_workbook(self.repo, code, doc, fmt)

    @rpc
    def marking_form(self, actor: dict, code: str, sub_id: str, fmt: str) -> dict:
        require_role(actor, SEE_ALL + MARKERS)
        doc = roster.known(self.repo, self.registration, code)
        access(self.repo, self.registration, actor, code, doc, MARKING_TEAM)
        return views.marking_form(self.repo, code, doc, sub_id, fmt)

    # ------------------------------------------------------------------ marking

    @rpc
    def open_marking(self, actor: dict, code: str) -> dict:
        """Freeze the scheme, take registration's roster (registration must be closed), accept marks."""
        require_role(actor, ("organiser", "admin", "chief_expert"))
        return marking.open_marking(self.repo, self.registration, self._update_with_event, actor, code,
                                    self.config.get("SCORING_POLICY"))

    @rpc
    def record_marks(self, actor: dict, code: str, payload: dict) -> dict:
        """Record a judge's marks: every mark checked first, then all written, or none."""
        require_role(actor, MARKERS)
        if not marks.plainly_valid(payload):
            validate(payload, SCHEMAS / "marks_submit.json", "marks")
        user = actor["username"]
        with BATCHES_AT_ONCE if len(payload["marks"]) > 1 else contextlib.nullcontext():
            return run_command(self.repo.request_records(code, user), f"{user}:marks:{code}", payload,
                               lambda _: marks.record_marks(self.repo, actor, code, payload))

    @rpc
    def list_marks(self, actor: dict, code: str, filters: dict | None = None) -> dict:
        """Marks, filtered; a judge sees only their own marks until the sub-criterion is locked."""
        require_role(actor, SEE_ALL + MARKERS)
        filters = {k: v for k, v in (filters or {}).items() if v}
        doc, where = self._team(actor, code)
        if not doc.get("scheme_version") or doc["status"] == "setup":
            return {"competition_code": code, "items": []}
        viewer = None if where in (OWNER, CHIEF) else actor["username"]
        return {"competition_code": code, "items": views.list_marks(self.repo, code, doc, filters, viewer)}

    @rpc
    def progress(self, actor: dict, code: str) -> dict:
        require_role(actor, SEE_ALL + MARKERS)
        doc, _ = self._team(actor, code)
        statuses = views.progress(self.repo, code, doc)
        totals = {k: sum(s[k] for s in statuses) for k in ("expected", "in", "missing", "partial", "disputed")}
        return {"competition_code": code, "status": doc["status"], "entries": len(self.repo.roster(code, doc).members),
                **totals, "locked": sum(s["locked"] for s in statuses), "sub_criteria_count": len(statuses),
                "sub_criteria": statuses}

    @rpc
    def list_disputes(self, actor: dict, code: str) -> dict:
        """Disputed judgements; a judge sees where, and their own score only, never the others' before the lock."""
        require_role(actor, SEE_ALL + MARKERS)
        doc, where = self._team(actor, code)
        items, user = views.disputes(self.repo, code, doc), actor["username"]
        if where == JUDGE:
            items = [{"entry": d["entry"], "aspect": d["aspect"], "sub_criterion": d["sub_criterion"],
                      "scores": {user: d["scores"][user]} if user in d["scores"] else {}} for d in items]
        return {"competition_code": code, "limit": doc["policy"].get("dispute_limit"), "items": items}

    @rpc
    def resolve_dispute(self, actor: dict, code: str, payload: dict) -> dict:
        """The chief expert records the judges' agreed scores on a disputed aspect (idempotent by request_id)."""
        require_role(actor, CHIEFS)
        require_chief(actor, self.repo.roster(code, state_of(self.repo, code)))
        validate(payload, SCHEMAS / "dispute_resolve.json", "dispute resolution")
        return run_command(self.db, f"{actor['username']}:dispute:{code}", payload,
                           lambda _: disputes.resolve_dispute(self.repo, actor, code, payload))

    @rpc
    def lock_sub_criterion(self, actor: dict, code: str, sub_id: str) -> dict:
        require_role(actor, CHIEFS)
        return marking.lock(self.repo, self._update_with_event, actor, code, sub_id)

    @rpc
    def unlock_sub_criterion(self, actor: dict, code: str, sub_id: str, payload: dict) -> dict:
        require_role(actor, CHIEFS)
        require_chief(actor, self.repo.roster(code, state_of(self.repo, code)))
        validate(payload, SCHEMAS / "reason.json", "unlock")
        return marking.unlock(self.repo, self._update_with_event, actor, code, sub_id, payload["reason"])

    @rpc
    def audit(self, actor: dict, code: str, filters: dict | None = None) -> dict:
        """Every recorded change, oldest first; filters: contestant, aspect, sub_criterion, judge, by, kind."""
        require_role(actor, SEE_ALL)
        doc, _ = self._team(actor, code, (OWNER, CHIEF))
        filters = {k: v for k, v in (filters or {}).items() if v}
        rows = views.audit(self.repo, code, self.repo.roster(code, doc), filters)
        return {"competition_code": code, "count": len(rows), "items": rows}

    # ------------------------------------------------------------------ results

    @rpc
    def finalise(self, actor: dict, code: str) -> dict:
        """Compute and publish the final results; finalising again returns the same stored results."""
        require_role(actor, CHIEFS)
        doc = state_of(self.repo, code)
        require_chief(actor, self.repo.roster(code, doc))
        where = standing(self.repo, self.registration, actor, code, doc)
        return marking.finalise(self.repo, self._update_with_event, where, actor, code, doc)

    @rpc
    def reopen_results(self, actor: dict, code: str, payload: dict) -> dict:
        """Take final results back for a correction: unlock, change, relock, finalise → revision + 1."""
        require_role(actor, CHIEFS)
        require_chief(actor, self.repo.roster(code, state_of(self.repo, code)))
        validate(payload, SCHEMAS / "reason.json", "reopen")
        return marking.reopen(self.repo, actor, code, payload["reason"])

    @rpc
    def get_results(self, actor: dict, code: str) -> dict:
        """Final results for the competition's owners, experts and the committee; before that, provisional
        ones (missing marks as 0) for its organisers and chief expert. Only owners and the committee
        read the person key and the masked ID number."""
        require_role(actor, STAFF)
        doc, where = self._team(actor, code, (*MARKING_TEAM, COMMITTEE))
        if doc["status"] == "final":
            return results_view.for_reader(results_view.stored(self.repo, code), where)
        if where not in (OWNER, CHIEF):
            raise ServiceError("INVALID_STATE", f"results of {code} are not final yet")
        if doc["status"] != "marking":
            raise ServiceError("INVALID_STATE", f"marking of {code} has not opened")
        answer = results_view.provisional(self.repo, code, doc, self.repo.roster(code, doc))
        return results_view.for_reader(answer, where)

    @rpc
    def export_results(self, actor: dict, code: str, fmt: str) -> dict:
        check_format(fmt, results_view.export.FORMATS)
        answer = self.get_results(actor, code)
        version = state_of(self.repo, code, {"scheme_version": 1})["scheme_version"]
        return results_view.exported(self.repo, code, answer, fmt, version)

    @rpc
    def event_top_score(self, actor: dict, event: str) -> dict:
        """Top-score award of an event, over its finalised competitions (joint winners on ties)."""
        require_role(actor, STAFF)
        return results_view.top_score(self.repo, event)

    # ---------------------------------------------------- registration's events

    @event_handler("registration", "competition_created")
    def on_competition_created(self, event: dict) -> None:
        handle_once(self.db, event, lambda e: roster.on_competition(self.repo, e))

    @event_handler("registration", "competition_updated")
    def on_competition_updated(self, event: dict) -> None:
        handle_once(self.db, event, lambda e: roster.on_competition(self.repo, e))

    @event_handler("registration", "competition_opened")
    def on_competition_opened(self, event: dict) -> None:
        handle_once(self.db, event, lambda e: roster.on_competition(self.repo, e))

    @event_handler("registration", "competition_closed")
    def on_competition_closed(self, event: dict) -> None:
        handle_once(self.db, event, lambda e: roster.on_competition(self.repo, e))

    @event_handler("registration", "contestant_registered")
    def on_contestant_registered(self, event: dict) -> None:
        handle_once(self.db, event, lambda e: roster.on_contestant_registered(self.repo, e))

    @event_handler("registration", "contestant_withdrawn")
    def on_contestant_withdrawn(self, event: dict) -> None:
        handle_once(self.db, event, lambda e: roster.on_contestant_withdrawn(self.repo, e))

    @event_handler("registration", "judge_assigned")
    def on_judge_assigned(self, event: dict) -> None:
        handle_once(self.db, event, lambda e: roster.on_judge_assigned(self.repo, e))

    @event_handler("registration", "conflicts_updated")
    def on_conflicts_updated(self, event: dict) -> None:
        handle_once(self.db, event, lambda e: roster.on_conflicts_updated(self.repo, e))


SERVICE = ScoringService
