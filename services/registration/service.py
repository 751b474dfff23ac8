"""The registration service: competitions, contestants, experts and their assignments, conflicts.

Entry points are thin: validate the payload, ask the domain, persist, emit the event. Only this
service ever sees a resident ID number; events and other services get the person key and the
masked number.
"""
from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from mongoengine.errors import NotUniqueError
from nameko.dependency_providers import Config
from nameko.events import event_handler

from services.registration import storage
from services.registration.domain import competition as rules
from services.registration.domain import conflicts as conflict_rules
from services.registration.domain import roster
from services.registration.domain.access import Standing, contestant_view, standing
from services.registration.domain.contestant import Contestant as DomainContestant
from services.registration.domain.contestant import Delegation
from services.registration.domain.eligibility import load_eligibility_policy
from services.registration.domain.errors import (
    ENVELOPE_CODE,
    RegistrationRuleError,
    RowProblem,
    sort_problems,
)
from services.registration.domain.identity import mask_resident_id, person_key
from services.registration.domain.roster_import import additions_from_rows, clean_contestant, parse_roster
from services.registration.storage import Competition, Contestant
from shared.clock import ShanghaiToday
from shared.db import MongoDatabase, database_health
from shared.entrypoints import rpc
from shared.errors import ServiceError, not_found
from shared.events import handle_once, utc_now
from shared.files import decode_upload
from shared.idempotency import run_command
from shared.outbox import OutboxPublisher
from shared.roles import require_role
from shared.secrets import RequiredSecrets
from shared.validation import validate

SCHEMAS = Path(__file__).resolve().parent / "schemas"
ORGANISERS = ("organiser", "admin")


def rule_error(error: RegistrationRuleError) -> ServiceError:
    return ServiceError(ENVELOPE_CODE.get(error.code, "VALIDATION_FAILED"), error.message,
                        [d.as_detail() for d in error.details])


def roster_error(problems: list[RowProblem], collection: str | None, what: str) -> ServiceError:
    """One refusal listing every problem; the envelope code is the shared one when they agree."""
    codes = {ENVELOPE_CODE.get(p.code, "VALIDATION_FAILED") for p in problems}
    code = codes.pop() if len(codes) == 1 else ("INVALID_STATE" if "INVALID_STATE" in codes else "VALIDATION_FAILED")
    details = [p.as_detail(collection) if collection else
               {"path": f"/{p.column}" if p.column else "/", "problem": p.problem, "code": p.code} for p in problems]
    first = problems[0].problem
    message = f"{what}: {first}" if len(problems) == 1 else f"{what}: {len(problems)} problems, nothing was registered"
    return ServiceError(code, message, details)


def domain_competition(doc: Competition) -> rules.Competition:
    return rules.competition_from_dict(doc.as_dict())


def domain_contestant(doc: Contestant) -> DomainContestant:
    delegation = Delegation(**doc.delegation) if doc.delegation else None
    return DomainContestant(person_key=doc.person_key, name=doc.name, date_of_birth=date.fromisoformat(doc.date_of_birth),
                            gender=doc.gender, employer=doc.employer, delegation=delegation, skill_level=doc.skill_level,
                            employment=doc.employment, team=doc.team, contestant_id=doc.contestant_id)


class RegistrationService(OutboxPublisher):
    name = "registration"

    config = Config()
    db = MongoDatabase(storage.ALIAS)
    today = ShanghaiToday()
    secrets = RequiredSecrets("PERSON_KEY_SECRET")

    # ----------------------------------------------------------------- plumbing

    @property
    def _person_secret(self) -> bytes:
        return str(self.config["PERSON_KEY_SECRET"]).encode()


    @staticmethod
    def _competition(code: str) -> Competition:
        doc = Competition.objects(code=code).first()
        if doc is None:
            raise not_found("competition", code)
        return doc

    @staticmethod
    def _standing(actor: dict, doc: Competition) -> Standing:
        return standing(actor, doc.owners(), storage.assigned_usernames(doc.code))

    def _owned(self, actor: dict, code: str) -> Competition:
        """The competition, if ``actor`` is an admin or one of its organisers; FORBIDDEN otherwise."""
        require_role(actor, ORGANISERS)
        doc = self._competition(code)
        if standing(actor, doc.owners(), ()) is not Standing.OWNER:
            raise ServiceError("FORBIDDEN", f"competition {code} belongs to other organisers; "
                                            "ask one of them or an admin to add you")
        return doc

    def _visible(self, actor: dict, code: str, allowed=(Standing.OWNER, Standing.MARKING_TEAM)) -> tuple[Competition, Standing]:
        """The competition and where ``actor`` stands, if that standing may read this; FORBIDDEN otherwise."""
        doc = self._competition(code)
        where = self._standing(actor, doc)
        if where not in allowed:
            raise ServiceError("FORBIDDEN", f"{actor.get('username')} is neither an organiser of {code} "
                                            "nor assigned to it")
        return doc, where

    @rpc
    def health(self) -> dict:
        db = database_health(storage.ALIAS)
        return {"status": db["status"], "database": db}

    # ------------------------------------------------------------- competitions

    @rpc
    def create_competition(self, actor: dict, payload: dict) -> dict:
        require_role(actor, ORGANISERS)
        validate(payload, SCHEMAS / "competition_create.json", "competition")
        data = {**payload, "status": "draft"}
        try:
            competition = rules.competition_from_dict(data)
        except ValueError as exc:
            raise ServiceError("VALIDATION_FAILED", str(exc))
        errors = rules.check_competition(competition)
        if errors:
            raise rule_error(RegistrationRuleError(errors[0].code, errors[0].message, errors[0].path, tuple(errors)))
        now = utc_now()
        doc = Competition(**self._stored_fields(competition), event=payload.get("event"), created_by=actor["username"],
                          organisers=[actor["username"]], created_at=now, updated_at=now, revision=1)
        try:
            doc.save(force_insert=True)
        except NotUniqueError:
            raise ServiceError("DUPLICATE", f"competition '{competition.code}' already exists",
                               [{"path": "/code", "problem": "taken"}])
        self._emit("competition_created", {"competition": doc.snapshot()})
        return doc.as_dict()

    @staticmethod
    def _stored_fields(competition: rules.Competition) -> dict:
        data = rules.competition_to_dict(competition)
        return {"code": data["code"], "name": data["name"], "tier": data["tier"], "skill": data["skill"],
                "skill_level": data["skill_level"], "team_size": data["team_size"], "start_date": data["start_date"],
                "end_date": data["end_date"], "registration_deadline": data["registration_deadline"],
                "capacity": data["capacity"], "conflict_relations": data["conflict_relations"],
                "venue": data["venue"], "status": data["status"], "selection_trial": data["selection_trial"]}

    @rpc
    def list_competitions(self, actor: dict, filters: dict | None = None) -> dict:
        """Every competition; judges and chief experts see only those they are assigned to."""
        filters = {k: v for k, v in (filters or {}).items() if k in ("status", "tier", "event") and v}
        if actor.get("role") in ("judge", "chief_expert"):
            filters["code__in"] = storage.competitions_of_expert(actor.get("username"))
        return {"items": [c.as_dict() for c in Competition.objects(**filters).order_by("start_date", "code")]}

    @rpc
    def get_competition(self, actor: dict, code: str) -> dict:
        doc = self._competition(code)
        if actor.get("role") in ("judge", "chief_expert"):
            self._visible(actor, code)
        active = storage.active_contestants(code)
        domain = domain_competition(doc)
        contestants = [domain_contestant(c) for c in active]
        return {**doc.as_dict(), "entries": roster.count_entries(domain, contestants),
                "remaining_places": roster.remaining_places(domain, contestants),
                "incomplete_teams": roster.incomplete_teams(domain, contestants)}

    @rpc
    def update_competition(self, actor: dict, code: str, changes: dict) -> dict:
        doc = self._owned(actor, code)
        validate(changes, SCHEMAS / "competition_update.json", "competition changes")
        current = domain_competition(doc)
        merged = rules.competition_from_dict({**doc.as_dict(), **changes})
        typed = {k: getattr(merged, k) for k in changes if k in rules.EDITABLE_FIELDS}
        entries = roster.count_entries(current, [domain_contestant(c) for c in storage.active_contestants(code)])
        try:
            updated = rules.apply_update(current, typed, self.today(), entries)
        except RegistrationRuleError as error:
            raise rule_error(error)
        stored = self._stored_fields(updated)
        extra = {"event": changes["event"]} if "event" in changes else {}
        Competition.objects(code=code).update_one(**{f"set__{k}": v for k, v in {**stored, **extra}.items()},
                                                  inc__revision=1, set__updated_at=utc_now())
        doc.reload()
        self._emit("competition_updated", {"competition": doc.snapshot()})
        return doc.as_dict()

    @rpc
    def change_status(self, actor: dict, code: str, target: str) -> dict:
        doc = self._owned(actor, code)
        try:
            updated = rules.change_status(domain_competition(doc), target, self.today())
        except RegistrationRuleError as error:
            raise rule_error(error)
        changed = Competition.objects(code=code, status=doc.status).update_one(
            set__status=updated.status, inc__revision=1, set__updated_at=utc_now())
        if not changed:
            raise ServiceError("CONFLICT", f"competition '{code}' changed meanwhile; try again")
        doc.reload()
        self._emit("competition_opened" if target == "open" else "competition_closed", {"competition": doc.snapshot()})
        return doc.as_dict()

    @rpc
    def list_organisers(self, actor: dict, code: str) -> dict:
        doc = self._owned(actor, code)
        return {"competition_code": code, "items": doc.owners()}

    @rpc
    def add_organiser(self, actor: dict, code: str, payload: dict) -> dict:
        """Add a co-organiser (an admin or one of the competition's organisers may); adding twice changes nothing.

        The gateway checks that ``username`` is an organiser's account: registration keeps no accounts.
        """
        doc = self._owned(actor, code)
        validate(payload, SCHEMAS / "organiser_add.json", "organiser")
        username = payload["username"]
        if username not in doc.owners():
            Competition.objects(code=code).update_one(set__organisers=[*doc.owners(), username], inc__revision=1,
                                                      set__updated_at=utc_now())
            doc.reload()
            self._emit("competition_updated", {"competition": doc.snapshot()})
        return {"competition_code": code, "items": doc.owners()}

    # -------------------------------------------------------------- contestants

    @rpc
    def register_contestant(self, actor: dict, code: str, payload: dict) -> dict:
        self._owned(actor, code)
        validate(payload, SCHEMAS / "contestant_register.json", "contestant")
        return run_command(self.db, f"{actor['username']}:register:{code}", payload,
                           lambda body: self._register_one(actor, code, body))

    def _register_one(self, actor: dict, code: str, body: dict) -> dict:
        doc = self._competition(code)
        raw = {**body, "delegation": body["delegation"]["name"], "delegation_kind": body["delegation"]["kind"]}
        clean, problems = clean_contestant(raw, today=self.today())
        if problems:
            raise ServiceError("VALIDATION_FAILED", "contestant: " + problems[0][1],
                               [{"path": f"/{field}", "problem": problem} for field, problem in problems])
        clean["row"] = 0
        [saved] = self._admit(actor, doc, [clean], collection=None, what="contestant")
        return saved.public()

    @rpc
    def import_contestants(self, actor: dict, code: str, content_b64: str, content_type: str) -> dict:
        """A CSV or XLSX roster: every row admitted, or none with every problem listed."""
        self._owned(actor, code)
        content = decode_upload(content_b64)
        doc = self._competition(code)
        rows, problems = parse_roster(content, content_type, today=self.today())
        if not rows and not problems:
            raise ServiceError("VALIDATION_FAILED", "roster file: no contestant rows found",
                               [{"path": "/rows", "problem": "the file has a header but no rows"}])
        saved = self._admit(actor, doc, rows, collection="rows", what="roster file", known_problems=problems)
        return {"registered": len(saved), "contestants": [c.public() for c in saved]}

    def _admit(self, actor: dict, doc: Competition, rows: list[dict], collection: str | None, what: str,
               known_problems: list[RowProblem] = ()) -> list[Contestant]:
        """Check every rule for ``rows`` together, then write them all or none.

        ``known_problems`` (rows that could not be read) are reported together with the rule
        problems of the readable rows, so one upload lists every bad row.

        Capacity and team sizes are checked against the roster as read, so the write only stands
        if nobody changed the roster meanwhile: ``roster_version`` (read with ``doc``, before the
        roster) is advanced after the insert with a compare-and-set, and the loser of a race takes
        its rows back. No transaction is needed.
        """
        version = doc.roster_version
        competition = domain_competition(doc)
        existing = [domain_contestant(c) for c in storage.active_contestants(doc.code)]
        additions = additions_from_rows(rows, self._person_secret)
        problems = roster.check_additions(competition, existing, additions, self.today(), load_eligibility_policy())
        problems = sort_problems([*known_problems, *problems])
        if problems:
            raise roster_error(problems, collection, what)
        batch = uuid.uuid4().hex
        docs = [self._new_contestant(actor, doc.code, row, batch) for row in rows]
        try:
            Contestant.objects.insert(docs, load_bulk=False)
        except NotUniqueError:
            Contestant.objects(import_batch=batch).delete()
            raise ServiceError("DUPLICATE", f"{what}: a contestant was registered meanwhile by another request; "
                                            "nothing was registered, try again")
        if not Competition.objects(code=doc.code, roster_version=version).update_one(inc__roster_version=1):
            Contestant.objects(import_batch=batch).delete()
            raise ServiceError("CONFLICT", f"{what}: the roster of {doc.code} changed while this request was checked; "
                                           "nothing was registered, try again")
        for contestant in docs:
            self._emit("contestant_registered", {"competition_code": doc.code, "contestant": contestant.event_view()})
        self._emit_conflicts(doc)
        return docs

    def _new_contestant(self, actor: dict, code: str, row: dict, batch: str) -> Contestant:
        key = person_key(row["id_number"], self._person_secret)
        return Contestant(
            contestant_id=f"{code}-{uuid.uuid4().hex[:10]}", competition_code=code, active_key=f"{code}:{key}",
            person_key=key, id_number=row["id_number"], masked_id=mask_resident_id(row["id_number"]),
            name=row["name"], gender=row.get("gender"), date_of_birth=row["date_of_birth"].isoformat(),
            employer=row.get("employer") or "",
            delegation={"kind": row["delegation_kind"], "name": row["delegation"]} if row.get("delegation") else None,
            skill_level=row.get("skill_level"), employment=row.get("employment"), team=row.get("team"),
            status="active", registered_at=utc_now(), registered_by=actor["username"], import_batch=batch)

    @rpc
    def list_contestants(self, actor: dict, code: str, include_withdrawn: bool = False) -> dict:
        """The contestants as the caller's standing may read them (see ``domain.access``)."""
        _, where = self._visible(actor, code, (Standing.OWNER, Standing.MARKING_TEAM, Standing.COMMITTEE))
        query = {"competition_code": code} if include_withdrawn else {"competition_code": code, "status": "active"}
        return {"items": [contestant_view(c.public(), where)
                          for c in Contestant.objects(**query).order_by("registered_at", "name")]}

    @rpc
    def withdraw_contestant(self, actor: dict, code: str, contestant_id: str, reason: str | None = None) -> dict:
        self._owned(actor, code)
        doc = Contestant.objects(competition_code=code, contestant_id=contestant_id).first()
        if doc is None:
            raise not_found("contestant", contestant_id)
        if doc.status == "withdrawn":
            return doc.public()
        Competition.objects(code=code).update_one(inc__roster_version=1)
        Contestant.objects(contestant_id=contestant_id, status="active").update_one(
            set__status="withdrawn", unset__active_key=True, set__withdrawn_at=utc_now(),
            set__withdrawn_by=actor["username"], set__withdrawn_reason=reason)
        doc.reload()
        self._emit("contestant_withdrawn", {"competition_code": code, "contestant_id": contestant_id,
                                            "person_key": doc.person_key, "reason": reason})
        self._emit_conflicts(self._competition(code))
        return doc.public()

    @rpc
    def roster_snapshot(self, code: str) -> dict:
        """Everything another service needs to know who may mark whom, as of now.

        The same shapes as the events carry (no resident ID numbers); ``conflicts_revision`` orders
        this snapshot against ``conflicts_updated`` events.
        """
        doc = self._competition(code)
        counter = storage.ConflictRevision.objects(competition_code=code).first()
        return {"competition": doc.snapshot(),
                "contestants": [c.event_view() for c in storage.active_contestants(code)],
                "withdrawn": [c.contestant_id for c in Contestant.objects(competition_code=code, status="withdrawn")],
                "judges": storage.judges_of(code),
                "conflicts": [{"judge": c.judge, "contestant_id": c.contestant_id, "reasons": list(c.reasons)}
                              for c in self._derive_conflicts(doc)],
                "conflicts_revision": counter.revision if counter else 0}

    @rpc
    def organisers_of(self, code: str) -> list[str]:
        """The competition's organisers now (for another service whose copy may lag behind an addition)."""
        return self._competition(code).owners()

    @event_handler("scoring", "marking_opened")
    def on_marking_opened(self, event: dict) -> None:
        """From now on the roster is what the judges mark: registration may not reopen."""
        handle_once(self.db, event, lambda e: Competition.objects(code=e["competition_code"]).update_one(
            set__marking_started=True))

    # ------------------------------------------------------------ judges, conflicts

    @rpc
    def assign_judge(self, actor: dict, code: str, payload: dict) -> dict:
        """Assign an expert with the employer, training base and delegation declared for this competition.

        The details belong to the assignment: the same expert assigned elsewhere with other details
        keeps this competition's conflicts of interest as they were.
        """
        doc = self._owned(actor, code)
        validate(payload, SCHEMAS / "judge_assign.json", "judge assignment")
        details = {"name": payload["name"], "employer": payload["employer"],
                   "training_base": payload.get("training_base"), "delegation": payload.get("delegation") or {}}
        storage.Expert.objects(username=payload["username"]).update_one(
            upsert=True, **{f"set__{k}": v for k, v in details.items()})
        storage.Assignment.objects(competition_code=code, username=payload["username"]).update_one(
            upsert=True, set__role=payload["role"], set__assigned_by=actor["username"], set__assigned_at=utc_now(),
            **{f"set__{k}": v for k, v in details.items()})
        assignment = storage.Assignment.objects.get(competition_code=code, username=payload["username"])
        judge = storage.judge_view(assignment, payload["role"], payload["username"])
        self._emit("judge_assigned", {"competition_code": code, "judge": judge})
        self._emit_conflicts(doc)
        return judge

    @rpc
    def list_judges(self, actor: dict, code: str) -> dict:
        self._visible(actor, code)
        return {"items": sorted(storage.judges_of(code), key=lambda j: (j["role"], j["username"]))}

    @rpc
    def declare_conflict(self, actor: dict, code: str, payload: dict) -> dict:
        require_role(actor, ORGANISERS + ("judge", "chief_expert"))
        doc, _ = self._visible(actor, code)
        validate(payload, SCHEMAS / "conflict_declare.json", "conflict declaration")
        if actor["role"] in ("judge", "chief_expert") and payload["judge"] != actor["username"]:
            raise ServiceError("FORBIDDEN", "a judge declares conflicts for themselves only",
                               [{"path": "/judge", "problem": "not you"}])
        problems = []
        if not storage.Assignment.objects(competition_code=code, username=payload["judge"]).first():
            problems.append({"path": "/judge", "problem": f"'{payload['judge']}' is not assigned to {code}"})
        if not Contestant.objects(competition_code=code, contestant_id=payload["contestant_id"]).first():
            problems.append({"path": "/contestant_id", "problem": f"no contestant '{payload['contestant_id']}' in {code}"})
        if problems:
            raise ServiceError("NOT_FOUND", "conflict declaration names an unknown judge or contestant", problems)
        storage.DeclaredConflict.objects(competition_code=code, judge=payload["judge"], contestant_id=payload["contestant_id"],
                                         relation=payload["relation"]).update_one(
            upsert=True, set__note=payload.get("note"), set__declared_by=actor["username"], set__declared_at=utc_now())
        self._emit("conflict_declared", {"competition_code": code, "judge": payload["judge"],
                                         "contestant_id": payload["contestant_id"], "relation": payload["relation"],
                                         "note": payload.get("note")})
        self._emit_conflicts(doc)
        return {"competition_code": code, **{k: payload.get(k) for k in ("judge", "contestant_id", "relation", "note")}}

    @rpc
    def list_conflicts(self, actor: dict, code: str) -> dict:
        doc, _ = self._visible(actor, code)
        return {"competition_code": code, "relations": doc.conflict_relations,
                "items": [{"judge": c.judge, "contestant_id": c.contestant_id, "reasons": c.reasons, "notes": c.notes}
                          for c in self._derive_conflicts(doc)]}

    def _derive_conflicts(self, doc: Competition) -> list:
        declared = [{"judge": d.judge, "contestant_id": d.contestant_id, "relation": d.relation, "note": d.note}
                    for d in storage.DeclaredConflict.objects(competition_code=doc.code)]
        contestants = [c.event_view() for c in storage.active_contestants(doc.code)]
        return conflict_rules.derive_conflicts(doc.conflict_relations, storage.judges_of(doc.code), contestants, declared)

    def _emit_conflicts(self, doc: Competition) -> None:
        conflicts = [{"judge": c.judge, "contestant_id": c.contestant_id, "reasons": list(c.reasons)}
                     for c in self._derive_conflicts(doc)]
        self._emit("conflicts_updated", {"competition_code": doc.code, "revision": storage.next_conflict_revision(doc.code),
                                         "conflicts": conflicts})


SERVICE = RegistrationService
