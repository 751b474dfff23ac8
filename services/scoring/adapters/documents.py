"""Scoring's documents, fields and indexes, declared with mongoengine (database ``scoring``).

The repository (:mod:`.repository`, :mod:`.mark_rows`) writes most of them through the document's
collection directly: the marks path needs single atomic updates (pipeline updates, ``$max``,
filters on nested fields) that mongoengine's ``save`` cannot express.

``MarkRow`` is the unit of marking: one document per competition, sub-criterion and entry (a row of
the marking form). It holds that row's marks, the audit trail of every change to them and its
progress counters, all changed by one atomic update per row, so a mark's cost depends on the size of
one row (aspects × judges), never on the marks already stored. The layout before this one (one
document per sub-criterion holding every mark, and a separate ``audit`` row per request) is not read
any more: there is no production data yet, so nothing is migrated.
"""
from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    DynamicDocument,
    IntField,
    ListField,
    StringField,
)

ALIAS = "scoring"


class CompetitionState(DynamicDocument):
    """One per competition (``_id`` = code): registration's snapshot, marking status, versions, policy.

    ``roster_version`` is bumped on every roster change (the key of the in-memory roster cache) and
    copied to the competition's mark rows (``MarkRow.rv``), which refuse writers holding an older roster.
    ``_outbox`` holds events written with a change (``shared.outbox``).
    """

    meta = {"db_alias": ALIAS, "collection": "competitions", "indexes": []}
    id = StringField(primary_key=True)
    status = StringField(default="setup")  # setup | marking | final
    snapshot = DictField(null=True)
    snapshot_revision = IntField(default=0)
    scheme_version = IntField(default=0)
    roster_version = IntField(default=0)
    conflicts = ListField(DictField())
    conflicts_revision = IntField(default=0)
    results_revision = IntField(default=0)
    policy = DictField(null=True)


class RosterMember(DynamicDocument):
    """A contestant (``<code>|c|<id>``) or an assigned expert (``<code>|j|<username>``)."""

    meta = {"db_alias": ALIAS, "collection": "roster", "indexes": ["code"]}
    id = StringField(primary_key=True)
    code = StringField(required=True)
    kind = StringField(required=True)  # contestant | judge


class StoredScheme(DynamicDocument):
    """The current marking scheme of a competition (``_id`` = code) as scheme JSON."""

    meta = {"db_alias": ALIAS, "collection": "schemes", "indexes": []}
    id = StringField(primary_key=True)
    version = IntField(required=True)
    scheme = DictField(required=True)
    source = StringField()
    uploaded_by = StringField()
    uploaded_at = DateTimeField()


class SubCriterionHead(DynamicDocument):
    """The lock of one sub-criterion (``<code>|<sub>``), created when marking opens; its events in ``_outbox``."""

    meta = {"db_alias": ALIAS, "collection": "sheets", "indexes": ["code"]}
    id = StringField(primary_key=True)
    code = StringField(required=True)
    sub = StringField(required=True)
    locked = BooleanField(default=False)
    unlocked_before = BooleanField(default=False)


class MarkRow(DynamicDocument):
    """One entry's marks in one sub-criterion (``<code>|<sub>|<entry>``) with their audit trail.

    ``m``: measurement marks by aspect key (``a<index in the frozen scheme>``): ``{"v": mark text,
    "by": who entered it, "o": observation}``; ``j``: judgement scores by aspect key and judge;
    ``log``: every change in order (``at, by, role, kind, rid, reason, a, sub, t, judge, new, o``; the
    old value is the previous entry's); ``nm``, ``jn``, ``jd``: marks in, scores per judgement aspect
    and aspects in dispute, recomputed from the row itself in the same update as every change;
    ``locked``/``unlocked_before`` mirror the sub-criterion's head; ``rv``: the roster version a
    writer must hold at least; ``v``: changes so far.
    """

    meta = {"db_alias": ALIAS, "collection": "marks",
            "indexes": [{"fields": ["code", "sub", "entry"], "name": "code_sub_entry"}]}
    id = StringField(primary_key=True)
    code = StringField(required=True)
    sub = StringField(required=True)
    entry = StringField(required=True)
    locked = BooleanField(default=False)
    unlocked_before = BooleanField(default=False)
    rv = IntField(default=0)
    v = IntField(default=0)
    m = DictField()
    j = DictField()
    log = ListField(DictField())
    nm = IntField(default=0)
    jn = DictField()
    jd = IntField(default=0)


class AuditRecord(DynamicDocument):
    """A change other than a mark (scheme, open, lock, unlock, finalise, reopen): who, when, why."""

    meta = {"db_alias": ALIAS, "collection": "audit", "indexes": [{"fields": ["code", "at"], "name": "code_at"}]}
    id = StringField(primary_key=True)
    code = StringField(required=True)
    at = DateTimeField(required=True)
    by = StringField(required=True)
    kind = StringField(required=True)


class StoredResults(DynamicDocument):
    """The finalised results of a competition (``_id`` = code) with their revision."""

    meta = {"db_alias": ALIAS, "collection": "results", "indexes": ["event"]}
    id = StringField(primary_key=True)
    revision = IntField(required=True)
    event = StringField(null=True)
    results = ListField(DictField())


DOCUMENTS = (CompetitionState, RosterMember, StoredScheme, SubCriterionHead, MarkRow, AuditRecord, StoredResults)


def collection_name(document) -> str:
    return document._meta["collection"]
