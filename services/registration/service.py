"""The registration service: competitions, contestants, experts and their assignments, conflicts.

Entry points are thin: commands go to ``handlers`` (load, ask the domain, save the state and its
events in one write), queries to ``views``; the events the writes stored are relayed after each
call (``shared.outbox``) and by the timer when a process died first. Only this service ever sees a
resident ID number; events and other services get the person key and the masked number.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nameko.dependency_providers import Config
from nameko.events import event_handler
from nameko.timer import timer

from services.registration import views
from services.registration.adapters.documents import ALIAS
from services.registration.adapters.policy import EligibilityPolicyFile
from services.registration.adapters.repository import OUTBOX_COLLECTIONS, Repository
from services.registration.handlers import competitions, conflicts, contestants, experts
from services.registration.handlers import events as event_handlers
from services.registration.handlers.context import SCHEMAS, Context
from services.registration.permissions import owned
from shared.clock import ShanghaiToday
from shared.db import MongoDatabase, database_health
from shared.entrypoints import rpc
from shared.events import handle_once
from shared.idempotency import run_command
from shared.outbox import OutboxPublisher
from shared.secrets import RequiredSecrets
from shared.validation import validate


class RegistrationService(OutboxPublisher):
    name = "registration"
    outbox_collections = OUTBOX_COLLECTIONS

    config = Config()
    db = MongoDatabase(ALIAS)
    repository = Repository()
    policy = EligibilityPolicyFile()
    today = ShanghaiToday()
    secrets = RequiredSecrets("PERSON_KEY_SECRET")

    def _run(self, handler: Callable[..., Any], *args: Any) -> Any:
        """Run a command handler, then relay the events its writes stored (also after a refusal)."""
        context = Context(self.repository, self.today(), self.policy, str(self.config["PERSON_KEY_SECRET"]).encode(),
                          self.dispatch)
        try:
            return handler(context, *args)
        finally:
            self.repository.relay(self.dispatch)

    @rpc
    def health(self) -> dict:
        db = database_health(ALIAS)
        return {"status": db["status"], "database": db}

    # ------------------------------------------------------------- competitions

    @rpc
    def create_competition(self, actor: dict, payload: dict) -> dict:
        return self._run(competitions.create, actor, payload)

    @rpc
    def list_competitions(self, actor: dict, filters: dict | None = None) -> dict:
        return views.list_competitions(self.repository, actor, filters)

    @rpc
    def get_competition(self, actor: dict, code: str) -> dict:
        return views.get_competition(self.repository, actor, code)

    @rpc
    def update_competition(self, actor: dict, code: str, changes: dict) -> dict:
        return self._run(competitions.update, actor, code, changes)

    @rpc
    def change_status(self, actor: dict, code: str, target: str) -> dict:
        return self._run(competitions.change_status, actor, code, target)

    @rpc
    def list_organisers(self, actor: dict, code: str) -> dict:
        return views.list_organisers(self.repository, actor, code)

    @rpc
    def add_organiser(self, actor: dict, code: str, payload: dict) -> dict:
        return self._run(competitions.add_organiser, actor, code, payload)

    @rpc
    def organisers_of(self, code: str) -> list[str]:
        """The competition's organisers now (for another service whose copy may lag behind an addition)."""
        return self.repository.competition(code).owners()

    # -------------------------------------------------------------- contestants

    @rpc
    def register_contestant(self, actor: dict, code: str, payload: dict) -> dict:
        owned(self.repository, actor, code)
        validate(payload, SCHEMAS / "contestant_register.json", "contestant")
        return run_command(self.db, f"{actor['username']}:register:{code}", payload,
                           lambda body: self._run(contestants.register_one, actor, code, body))

    @rpc
    def import_contestants(self, actor: dict, code: str, content_b64: str, content_type: str) -> dict:
        return self._run(contestants.import_roster, actor, code, content_b64, content_type)

    @rpc
    def list_contestants(self, actor: dict, code: str, include_withdrawn: bool = False) -> dict:
        return views.list_contestants(self.repository, actor, code, include_withdrawn)

    @rpc
    def withdraw_contestant(self, actor: dict, code: str, contestant_id: str, reason: str | None = None) -> dict:
        return self._run(contestants.withdraw, actor, code, contestant_id, reason)

    @rpc
    def roster_snapshot(self, code: str) -> dict:
        return views.roster_snapshot(self.repository, code)

    # ------------------------------------------------------------ judges, conflicts

    @rpc
    def assign_judge(self, actor: dict, code: str, payload: dict) -> dict:
        return self._run(experts.assign_judge, actor, code, payload)

    @rpc
    def list_judges(self, actor: dict, code: str) -> dict:
        return views.list_judges(self.repository, actor, code)

    @rpc
    def declare_conflict(self, actor: dict, code: str, payload: dict) -> dict:
        return self._run(experts.declare_conflict, actor, code, payload)

    @rpc
    def list_conflicts(self, actor: dict, code: str) -> dict:
        return views.list_conflicts(self.repository, actor, code)

    # ------------------------------------------------------------------ events

    @event_handler("scoring", "marking_opened")
    def on_marking_opened(self, event: dict) -> None:
        handle_once(self.db, event, lambda e: event_handlers.on_marking_opened(self.repository, e))

    @timer(interval=10)
    def settle(self) -> None:
        """Finish what a dead process left half-done: pending roster batches, conflicts not yet published."""
        self._run(contestants.settle_batches)
        self._run(conflicts.publish_overdue)


SERVICE = RegistrationService
