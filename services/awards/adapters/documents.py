"""The awards service's documents: collections, fields and indexes, declared with mongoengine.

=================  =====================================  ==========================================
collection         _id                                    what
=================  =====================================  ==========================================
policies           version (int)                          every stored honours-policy version
people             person_key                             candidate profile + where each part came from;
                                                          ``scoring_input``: the record the programmes
                                                          score, packed (denormalised read model)
achievements       ``<competition>:<person_key>``         one published result of a person and its
                                                          honours; ``superseded`` keeps corrections
competitions       competition code                       last accepted revision of its results, and
                                                          its ``honour_granted`` events (``_outbox``)
rounds             round id                               nominee rounds (programme, year, quota, …)
nominations        ``<round>:<person_key>``               a nominee's channel, status and history, and
                                                          its ``nomination_decided`` events (``_outbox``)
candidates         ``<round>:<person_key>``               score + breakdown + eligibility of every
                                                          nominee of an open round
rankings           ``<round>:<list>:<chunk>``             the ranked order (the projection in
                                                          ``projections.ranking``), cut in chunks of
                                                          ``CHUNK_SIZE`` positions
=================  =====================================  ==========================================

The repository (``adapters.repository``) reads and writes these collections through the database
handle the service is given, so a test hands it any database.
"""
from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    FloatField,
    IntField,
    ListField,
    StringField,
)

ALIAS = "awards"


class PolicyVersion(Document):
    meta = {"db_alias": ALIAS, "collection": "policies"}
    version = IntField(primary_key=True)
    document = DictField(required=True)
    stored_by = StringField()
    stored_at = DateTimeField()
    note = StringField(null=True)


class Person(Document):
    meta = {"db_alias": ALIAS, "collection": "people",
            "indexes": ["industry", "district", "employer", "name", "skills"]}  # the last four: people search
    person_key = StringField(primary_key=True)
    masked_id = StringField(null=True)
    name = StringField()
    employer = StringField(null=True)
    industry = StringField(null=True)
    district = StringField(null=True)
    union_member = BooleanField(null=True)
    front_line = BooleanField(null=True)
    current_level = IntField(null=True)
    years_of_service = IntField(null=True)
    titles = ListField(DictField())
    innovation_awards = ListField(DictField())
    patents = IntField(null=True)
    apprentices = IntField(null=True)
    chief_technician_funded_year = IntField(null=True)
    studio_funded_year = IntField(null=True)
    still_in_post = BooleanField(null=True)
    registration_level = IntField(null=True)  # the level on the latest results_published row
    results = ListField(DictField())  # compact achievements for scoring, one per competition
    honour_titles = ListField(DictField())  # titles granted by recorded honours
    promoted_to = IntField(null=True)  # highest level reached through recorded promotions
    skills = ListField(StringField())
    sources = DictField()  # field -> {kind: api|import|event|decision, by, at, batch|event_id|round_id}
    history = ListField(DictField())
    scoring_input = StringField()  # packed CandidateRecord dict
    created_at = DateTimeField()
    updated_at = DateTimeField()


class AchievementRecord(Document):
    meta = {"db_alias": ALIAS, "collection": "achievements",
            "indexes": ["person_key", "competition.code"]}
    id = StringField(primary_key=True)
    person_key = StringField(required=True)
    competition = DictField()
    revision = IntField()
    event_id = StringField()
    result = DictField()
    honours = DictField()
    status = StringField(default="current")  # current | withdrawn (left out of a correction)
    recorded_at = DateTimeField()
    superseded = ListField(DictField())


class CompetitionResults(Document):
    meta = {"db_alias": ALIAS, "collection": "competitions"}
    code = StringField(primary_key=True)
    revision = IntField()
    event_id = StringField()
    person_keys = ListField(StringField())
    history = ListField(DictField())


class NomineeRound(Document):
    meta = {"db_alias": ALIAS, "collection": "rounds", "indexes": ["status", "programme"]}
    round_id = StringField(primary_key=True)
    programme = StringField(required=True)
    year = IntField(required=True)
    status = StringField(default="open")
    quota = IntField(null=True)
    budget_yuan = IntField(null=True)
    amount_per_person_yuan = IntField(null=True)
    policy_version = IntField()
    approved_count = IntField(default=0)
    approved_sum_yuan = IntField(default=0)
    approved_keys = ListField(StringField())  # who the counters count: each approval is claimed once
    approval_claims = ListField(DictField())  # claims not yet settled: person_key, amount_yuan, at
    ranking = DictField()
    ranking_lease = DictField(null=True)  # holder, until: who merges the ranked lists now


class Nomination(Document):
    meta = {"db_alias": ALIAS, "collection": "nominations", "indexes": ["round_id", "person_key"]}
    id = StringField(primary_key=True)
    round_id = StringField()
    person_key = StringField()
    programme = StringField()
    channel = StringField()
    status = StringField()
    history = ListField(DictField())
    person_update = DictField(null=True)  # an approval still to be put in the person's record (its source)


class Candidate(Document):
    meta = {"db_alias": ALIAS, "collection": "candidates",
            "indexes": [{"fields": ["round_id", "-eligible", "-score", "-best", "-latest_year", "person_key"]},
                        "person_key"]}
    id = StringField(primary_key=True)
    round_id = StringField()
    person_key = StringField()
    score = FloatField()
    best = FloatField()
    latest_year = IntField()
    eligible = BooleanField()
    total = StringField()
    lines = ListField(DictField())  # documents written before ``lines_json``
    lines_json = StringField()  # the breakdown lines, packed (see ``repository.packed_candidate``)
    reasons = ListField(DictField())


class RankingChunk(Document):
    meta = {"db_alias": ALIAS, "collection": "rankings", "indexes": [("round_id", "list", "chunk")]}
    id = StringField(primary_key=True)
    round_id = StringField()
    list = StringField()
    chunk = IntField()
    entries = StringField()  # packed JSON rows


DOCUMENTS = (PolicyVersion, Person, AchievementRecord, CompetitionResults, NomineeRound, Nomination, Candidate,
             RankingChunk)


def collection_name(document: type[Document]) -> str:
    return document._meta["collection"]
