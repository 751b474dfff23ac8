"""The awards service: achievement records and honours from published results, candidate profiles,
the versioned honours policy, and nominee rounds for the honours programmes.

Entry points stay thin: check the role, validate the payload, and hand over to a command handler
(``handlers/``) or a view (``views/``); the rules are the domain's (``domain/``), the ranked lists
a projection (``projections/ranking``), storage the repository (``adapters/repository``).

Roles: ``committee`` and ``admin`` see nominee lists, suggestions and decide; ``organiser``,
``committee`` and ``admin`` write profiles and nominations and read a person's record; the
honours policy is read by every signed-in role and changed by ``committee``/``admin``. The service
never holds a full ID number: only ``person_key`` and the masked number from events or profiles.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nameko.timer import timer

from services.awards.adapters.documents import ALIAS, CompetitionResults, Nomination, collection_name
from services.awards.adapters.repository import CURRENT_VERSION_SECONDS, AwardsRepository, Repository, as_json
from services.awards.entrypoints import bounded_event_handler
from services.awards.handlers import nominations, profiles, results, rounds
from services.awards.views import people
from services.awards.views import rounds as round_views
from shared.clock import ShanghaiToday
from shared.db import database_health
from shared.entrypoints import rpc
from shared.errors import ServiceError
from shared.events import handle_once
from shared.files import decode_upload
from shared.idempotency import run_command
from shared.outbox import OutboxPublisher
from shared.roles import require_role
from shared.validation import validate

SCHEMAS = Path(__file__).resolve().parent / "schemas"
COMMITTEE = ("committee", "admin")
PROFILE_WRITERS = ("organiser", "committee", "admin")
RECORD_READERS = ("organiser", "committee", "admin")


class AwardsService(OutboxPublisher):
    name = "awards"
    outbox_collections = (collection_name(CompetitionResults), collection_name(Nomination))

    if TYPE_CHECKING:  # what a worker sees of its dependencies
        repo: AwardsRepository
        today: Callable[[], date]
    else:
        repo = Repository()
        today = ShanghaiToday()

    @property
    def db(self):
        """The database the repository works on (the outbox, request ids and processed events live there too)."""
        return self.repo.db

    approval_grace_seconds = 60.0  # how long an approval may be under way before its timer finishes it

    @timer(interval=2)
    def rank_stale_rounds(self) -> None:
        rounds.rank_stale_rounds(self)

    @timer(interval=10)
    def settle_approvals(self) -> None:
        """Finish what a dead process left of an approval: the person's record, the round's claims."""
        nominations.settle_approvals(self, self.approval_grace_seconds)

    @rpc
    def health(self) -> dict:
        return {"status": "ok", "database": database_health(ALIAS)}

    # ------------------------------------------------------------------------- policy

    @rpc
    def get_policy(self, actor: dict, version: int | str | None = None) -> dict:
        current = self.repo.current_version(max_age=CURRENT_VERSION_SECONDS)  # read often: may lag 1 s
        try:
            wanted = current if version is None or version == "" else int(version)
        except (TypeError, ValueError):
            raise ServiceError("VALIDATION_FAILED", "version must be a whole number",
                               [{"path": "/version", "problem": f"'{version}' is not a whole number"}]) from None
        doc = self.repo.policy_document(wanted)
        return {"version": wanted, "current": wanted == current, "document": doc["document"],
                "stored_by": doc.get("stored_by"), "stored_at": as_json(doc.get("stored_at"))}

    @rpc
    def put_policy(self, actor: dict, document: Any) -> dict:
        require_role(actor, COMMITTEE)
        return self.get_policy(actor, rounds.put_policy(self, actor, document))

    # ------------------------------------------------------------------------- results

    @bounded_event_handler("scoring", "results_published")  # a burst leaves workers for the RPCs
    def on_results_published(self, event: dict) -> None:
        def record(delivered: dict) -> None:
            self.record_results(delivered)

        handle_once(self.db, event, record)

    def record_results(self, event: dict) -> dict:
        return results.record_results(self, event)

    # ------------------------------------------------------------------------- people

    @rpc
    def save_person(self, actor: dict, payload: dict) -> dict:
        require_role(actor, PROFILE_WRITERS)
        validate(payload, SCHEMAS / "person_upsert.json", "person")
        return people.for_reader(actor, run_command(self.db, f"{actor['username']}:person", payload,
                                                    lambda body: profiles.save_person(self, actor, body)))

    @rpc
    def import_people(self, actor: dict, content_b64: str, hint: str = "") -> dict:
        require_role(actor, PROFILE_WRITERS)
        return profiles.import_people(self, actor, decode_upload(content_b64), hint or "")

    @rpc
    def search_people(self, actor: dict, query: dict | None = None) -> dict:
        """People on record found by name (prefix), employer (part of it), district, skill, or ``q``
        (any of these, or the person key), ordered by name, a page at a time, with the masked ID."""
        require_role(actor, people.ID_READERS)
        return people.search_people(self.repo, query or {})

    @rpc
    def person_record(self, actor: dict, person_key: str) -> dict:
        require_role(actor, RECORD_READERS)
        return people.for_reader(actor, people.person_record(self.repo, person_key))

    # ------------------------------------------------------------------------- rounds

    @rpc
    def open_round(self, actor: dict, payload: dict) -> dict:
        require_role(actor, COMMITTEE)
        validate(payload, SCHEMAS / "round_open.json", "nominee round")
        return run_command(self.db, f"{actor['username']}:round", payload,
                           lambda body: round_views.round_view(rounds.open_round(self, actor, body)))

    @rpc
    def list_rounds(self, actor: dict) -> dict:
        require_role(actor, COMMITTEE)
        return {"items": [round_views.round_view(r) for r in self.repo.all_rounds()]}

    @rpc
    def get_round(self, actor: dict, round_id: str) -> dict:
        require_role(actor, COMMITTEE)
        return round_views.round_view(self.repo.round(round_id))

    @rpc
    def set_round_policy(self, actor: dict, round_id: str, payload: dict) -> dict:
        require_role(actor, COMMITTEE)
        validate(payload, SCHEMAS / "round_policy.json", "round policy")
        return round_views.round_view(rounds.set_round_policy(self, actor, round_id, payload))

    # ------------------------------------------------------------------------- nominations

    @rpc
    def nominate(self, actor: dict, round_id: str, payload: dict) -> dict:
        require_role(actor, PROFILE_WRITERS)
        validate(payload, SCHEMAS / "nomination.json", "nomination")
        return run_command(self.db, f"{actor['username']}:nominate:{round_id}", payload,
                           lambda body: nominations.nominate(self, actor, round_id, body))

    @rpc
    def decide(self, actor: dict, round_id: str, person_key: str, payload: dict) -> dict:
        require_role(actor, COMMITTEE)
        validate(payload, SCHEMAS / "decision.json", "decision")
        return run_command(self.db, f"{actor['username']}:decide:{round_id}:{person_key}", payload,
                           lambda body: nominations.decide(self, actor, round_id, person_key, body))

    @rpc
    def list_nominees(self, actor: dict, round_id: str, query: dict | None = None) -> dict:
        require_role(actor, COMMITTEE)
        return round_views.list_nominees(self.repo, round_id, query or {})

    @rpc
    def suggestions(self, actor: dict, round_id: str, query: dict | None = None) -> dict:
        require_role(actor, COMMITTEE)
        return round_views.suggestions(self.repo, round_id)

    @rpc
    def export_nominees(self, actor: dict, round_id: str, fmt: str) -> dict:
        require_role(actor, COMMITTEE)
        return round_views.export_nominees(self.repo, round_id, fmt)


SERVICE = AwardsService
