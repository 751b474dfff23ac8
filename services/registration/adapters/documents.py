"""Registration's stored documents (mongoengine). Only this service stores resident ID numbers.

A document whose change emits an event keeps that event in its ``_outbox`` array, written in the
same update as the change (``shared.outbox``); ``outbox`` below declares that array so documents
load while an event waits there.
"""
from __future__ import annotations

from datetime import date

from mongoengine import BooleanField, DateTimeField, DictField, Document, IntField, ListField, StringField

from services.registration.domain import competition as rules
from services.registration.domain.contestant import Contestant as DomainContestant
from services.registration.domain.contestant import Delegation
from shared.outbox import OUTBOX_FIELD

ALIAS = "registration"


def outbox_field() -> ListField:
    """The events waiting to be dispatched (``shared.outbox``); empty once the broker took them."""
    return ListField(DictField(), db_field=OUTBOX_FIELD)


class Competition(Document):
    meta = {"db_alias": ALIAS, "collection": "competitions",
            "indexes": ["status", "tier", {"fields": ["conflicts_due"], "sparse": True}]}
    code = StringField(primary_key=True)
    name = StringField(required=True)
    tier = StringField(required=True)
    skill = DictField(required=True)
    skill_level = IntField(null=True)
    team_size = IntField(default=1)
    start_date = StringField(required=True)
    end_date = StringField(null=True)
    registration_deadline = StringField(required=True)
    capacity = IntField(null=True)
    conflict_relations = ListField(StringField())
    event = StringField(null=True)
    selection_trial = BooleanField(default=False)
    marking_started = BooleanField(default=False)
    roster_version = IntField(default=0)  # advanced on every roster change; see handlers.contestants.admit
    roster_batches = DictField()  # batch id -> "committed" / "sent" / "aborted" until it is copied or dropped
    conflicts_revision = IntField(null=True)  # of the last conflicts_updated; None: ConflictRevision holds it
    conflicts_due = DateTimeField(null=True)  # set by a change the conflicts must be published after
    venue = StringField(null=True)
    status = StringField(required=True, default="draft")
    revision = IntField(default=1)
    created_by = StringField()
    organisers = ListField(StringField())  # who may change it besides admins; see owners()
    created_at = DateTimeField()
    updated_at = DateTimeField()
    outbox = outbox_field()

    FIELDS = ("code", "name", "tier", "skill", "skill_level", "team_size", "start_date", "end_date",
              "registration_deadline", "capacity", "conflict_relations", "event", "selection_trial", "venue", "status",
              "revision")

    def as_dict(self) -> dict:
        return {**{f: getattr(self, f) for f in self.FIELDS}, "marking_started": self.marking_started}

    def owners(self) -> list[str]:
        """Its organisers: the creator and those added since (older records know only the creator)."""
        return list(self.organisers) or ([self.created_by] if self.created_by else [])

    def snapshot(self) -> dict:
        """The competition as events carry it (``level``: the level it is set at)."""
        data = {**self.as_dict(), "organisers": self.owners()}
        data["level"] = data.pop("skill_level")
        data["team"] = self.team_size > 1
        data["year"] = int(self.start_date[:4])
        del data["marking_started"]
        return data

    def as_domain(self) -> rules.Competition:
        return rules.competition_from_dict(self.as_dict())


class Contestant(Document):
    """One entry of a person in a competition. ``active_key`` makes a second active entry impossible.

    ``status`` is ``active``, later ``withdrawn``. A contestant is admitted with its roster batch
    (``RosterBatch``) and copied here, ``active``, once the batch is committed; ``pending`` (its
    event held in ``held_events``) is what earlier versions stored while a batch was uncommitted.
    """

    meta = {"db_alias": ALIAS, "collection": "contestants",
            "indexes": ["competition_code", "status", {"fields": ["import_batch"], "sparse": True},
                        {"fields": ["active_key"], "unique": True, "sparse": True}]}
    contestant_id = StringField(primary_key=True)
    competition_code = StringField(required=True)
    active_key = StringField(null=True)
    person_key = StringField(required=True)
    id_number = StringField(required=True)
    masked_id = StringField(required=True)
    name = StringField(required=True)
    gender = StringField()
    date_of_birth = StringField()
    employer = StringField()
    delegation = DictField(null=True)
    skill_level = IntField(null=True)
    employment = StringField()
    team = StringField(null=True)
    status = StringField(default="active")
    registered_at = DateTimeField()
    registered_by = StringField()
    withdrawn_at = DateTimeField(null=True)
    withdrawn_by = StringField(null=True)
    withdrawn_reason = StringField(null=True)
    import_batch = StringField(null=True)
    held_events = ListField(DictField())
    outbox = outbox_field()

    def public(self) -> dict:
        """What the API shows: the masked ID number, never the full one."""
        return {"contestant_id": self.contestant_id, "competition_code": self.competition_code,
                "person_key": self.person_key, "masked_id": self.masked_id, "name": self.name,
                "gender": self.gender, "date_of_birth": self.date_of_birth, "employer": self.employer,
                "delegation": self.delegation or None, "skill_level": self.skill_level, "employment": self.employment,
                "team": self.team, "status": self.status,
                "registered_at": self.registered_at.isoformat() + "Z" if self.registered_at else None,
                "withdrawn_at": self.withdrawn_at.isoformat() + "Z" if self.withdrawn_at else None,
                "withdrawn_reason": self.withdrawn_reason}

    def as_domain(self) -> DomainContestant:
        delegation = Delegation(**self.delegation) if self.delegation else None
        return DomainContestant(person_key=self.person_key, name=self.name,
                                date_of_birth=date.fromisoformat(self.date_of_birth), gender=self.gender,
                                employer=self.employer, delegation=delegation, skill_level=self.skill_level,
                                employment=self.employment, team=self.team, contestant_id=self.contestant_id)

    def event_view(self) -> dict:
        return {"contestant_id": self.contestant_id, "person_key": self.person_key, "masked_id": self.masked_id,
                "name": self.name, "gender": self.gender, "employer": self.employer, "delegation": self.delegation or None,
                "employment": self.employment, "skill_level": self.skill_level, "team": self.team}


class RosterBatch(Document):
    """A roster batch (one contestant or a whole file) as admitted: one document, one write.

    ``contestants`` holds each contestant as ``contestants`` will store it (``status`` ``active``,
    its ``contestant_registered`` event in ``held_events``). The batch counts as part of the roster
    once the competition's ``roster_batches`` says ``committed`` (``sent`` once every held event
    went out). The service's ``settle`` timer copies a committed batch into ``contestants`` and
    deletes it (see ``repository``).
    """

    meta = {"db_alias": ALIAS, "collection": "roster_batches", "indexes": ["competition_code"]}
    batch = StringField(primary_key=True)
    competition_code = StringField(required=True)
    contestants = ListField(DictField())
    staged_at = DateTimeField()


class Expert(Document):
    meta = {"db_alias": ALIAS, "collection": "experts"}
    username = StringField(primary_key=True)
    name = StringField(required=True)
    employer = StringField(required=True)
    training_base = StringField(null=True)
    delegation = DictField(null=True)


class Assignment(Document):
    """An expert in one competition, with the details declared for it: conflicts of interest are
    derived from these, so assigning the same expert elsewhere with other details changes nothing here."""

    meta = {"db_alias": ALIAS, "collection": "assignments",
            "indexes": [{"fields": ["competition_code", "username"], "unique": True}]}
    competition_code = StringField(required=True)
    username = StringField(required=True)
    role = StringField(required=True)
    name = StringField()
    employer = StringField()
    training_base = StringField(null=True)
    delegation = DictField(null=True)
    assigned_by = StringField()
    assigned_at = DateTimeField()
    outbox = outbox_field()


class DeclaredConflict(Document):
    meta = {"db_alias": ALIAS, "collection": "declared_conflicts",
            "indexes": [{"fields": ["competition_code", "judge", "contestant_id", "relation"], "unique": True}]}
    competition_code = StringField(required=True)
    judge = StringField(required=True)
    contestant_id = StringField(required=True)
    relation = StringField(required=True)
    note = StringField(null=True)
    declared_by = StringField()
    declared_at = DateTimeField()
    outbox = outbox_field()


class ConflictRevision(Document):
    """Where the revision of ``conflicts_updated`` was counted before ``Competition.conflicts_revision``:
    read once to carry an older competition's count on (consumers keep only the newest revision)."""

    meta = {"db_alias": ALIAS, "collection": "conflict_revisions"}
    competition_code = StringField(primary_key=True)
    revision = IntField(default=0)


def judge_view(details: Assignment | Expert, role: str, username: str) -> dict:
    return {"username": username, "name": details.name, "employer": details.employer,
            "training_base": details.training_base, "delegation": details.delegation or None, "role": role}

