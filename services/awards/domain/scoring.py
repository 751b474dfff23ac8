"""Explainable nominee scores.

A score is a list of lines, one per piece of evidence (achievement, title, skill level, years
of service, innovation award, patents, apprentices), each with the weight applied and the points
it gives. Every line is rounded half-up to 2 places before adding, so the total is exactly
the sum of the lines a committee sees. All weights come from ``programmes.<code>.weights``.

The rules are written once, in :func:`weigh`: it weighs a record's evidence (best result per
competition, recency window and decay, best-n, titles counted once, caps) into an
:class:`Evidence`. :func:`score_candidate` renders its lines; :func:`score_summary` (ranking a
whole round) adds up the same figures without building lines. The weights of a programme for a
round year are looked up through :class:`ScoreTables`, built once per policy.

Cost is O(size of the record) so the service can re-score on every event; it re-ranks when
``programme_weights_fingerprint`` changes.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .candidates import Achievement, CandidateRecord, HeldTitle, InnovationAward
from .policy import Policy, as_policy, fingerprint
from .weighing import COUNTED, ZERO, Evidence, ScoreTables, Weighed, points, score_tables, weigh

# Bump when the meaning of the weights (this module's arithmetic) changes, so stored scores
# computed under older rules are recognised as stale even if the policy data did not change.
SCORING_RULES_VERSION = 1

KINDS = ("achievement", "title", "level", "years", "innovation", "patent", "apprentice")


@dataclass(frozen=True)
class ScoreLine:
    kind: str  # one of KINDS
    source: str  # which achievement/title/… this line is about
    detail: Mapping[str, Any]
    weight: Decimal  # the weight applied per unit (for achievements: the points before decay)
    points: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "source": self.source, "detail": dict(self.detail),
                "weight": str(self.weight), "points": str(self.points)}


@dataclass(frozen=True)
class Score:
    programme: str
    person_key: str
    round_year: int
    policy_version: int
    weights_fingerprint: str
    total: Decimal
    lines: tuple[ScoreLine, ...] = field(default=())

    @property
    def best_achievement_points(self) -> Decimal:
        return max((line.points for line in self.lines if line.kind == "achievement"), default=ZERO)

    @property
    def latest_achievement_year(self) -> int | None:
        """Year of the most recent achievement that scored points."""
        years = [line.detail["year"] for line in self.lines if line.kind == "achievement" and line.points > 0]
        return max(years, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "programme": self.programme,
            "person_key": self.person_key,
            "round_year": self.round_year,
            "policy_version": self.policy_version,
            "weights_fingerprint": self.weights_fingerprint,
            "total": str(self.total),
            "lines": [line.to_dict() for line in self.lines],
        }


def programme_weights_fingerprint(policy: Policy | Mapping[str, Any], programme: str) -> str:
    """Changes exactly when the scores of ``programme`` could change for an unchanged record."""
    policy = as_policy(policy)
    return policy.memo(("weights_fingerprint", programme), lambda: fingerprint(
        {"rules": SCORING_RULES_VERSION, "weights": policy.programme(programme)["weights"]}))


def programme_eligibility_fingerprint(policy: Policy | Mapping[str, Any], programme: str) -> str:
    """Changes exactly when eligibility results of ``programme`` could change for an unchanged record."""
    policy = as_policy(policy)
    spec = policy.programme(programme)
    return fingerprint({"eligibility": spec["eligibility"], "titles": policy.document["titles"],
                        "levels": policy.document["levels"]})


# ---------------------------------------------------------------------------------------------
# the explained score: the evidence as lines


def score_candidate(
    policy: Policy | Mapping[str, Any],
    programme: str,
    record: CandidateRecord | Mapping[str, Any],
    round_year: int,
) -> Score:
    """The explained score of ``record`` for ``programme`` in ``round_year``.

    Evidence dated after ``round_year`` is left out (it is not yet evidence for this round).
    Pass a :class:`Policy` (a plain dict is validated on every call).
    """
    policy = as_policy(policy)
    data = record.to_dict() if isinstance(record, CandidateRecord) else record
    tables = score_tables(policy, programme, round_year)
    evidence = weigh(tables, data)
    lines = ([_achievement_line(w) for w in evidence.achievements]
             + sorted((_title_line(*t) for t in evidence.titles), key=lambda line: (-line.points, line.source))
             + [_level_line(tables, data.get("current_level"), evidence.level)]
             + [_counted_line(tables, "years_of_service", evidence)]
             + [_innovation_line(w) for w in evidence.innovation]
             + [_counted_line(tables, "patents", evidence), _counted_line(tables, "apprentices", evidence)])
    return Score(programme=programme, person_key=data["person_key"], round_year=round_year,
                 policy_version=policy.version, weights_fingerprint=programme_weights_fingerprint(policy, programme),
                 total=sum((line.points for line in lines), ZERO), lines=tuple(lines))


def _achievement_line(w: Weighed) -> ScoreLine:
    a = Achievement.from_dict(w.item)
    detail = {"competition_code": a.competition_code, "competition_name": a.competition_name, "tier": a.tier,
              "skill": a.skill, "level": a.level, "year": a.year, "rank": a.rank, "medal": a.medal,
              "medallion": a.medallion, "scale": a.scale, **w.detail()}
    return ScoreLine("achievement", w.source, detail, w.weight, w.points)


def _innovation_line(w: Weighed) -> ScoreLine:
    award = InnovationAward.from_dict(w.item)
    detail = {"name": award.name, "year": award.year, "level": award.level, **w.detail()}
    return ScoreLine("innovation", w.source, detail, w.weight, w.points)


def _title_line(value: Decimal, title: Mapping[str, Any], weight: Mapping[str, Any] | None) -> ScoreLine:
    held = HeldTitle.from_dict(title)
    detail: dict[str, Any] = {"code": weight["code"] if weight else held.code,
                              "name_zh": held.name_zh or (weight or {}).get("name_zh"), "year": held.year}
    if weight is None:
        detail["not_counted_because"] = "title not weighted by this programme"
    source = held.name_zh or (weight or {}).get("name_zh") or held.label
    return ScoreLine("title", source, detail, value, value)


def _level_line(tables: ScoreTables, level: int | None, value: Decimal) -> ScoreLine:
    label = tables.policy.level_label(level)
    if level is None:
        return ScoreLine("level", "current skill level", {"level": None, "label": label,
                                                          "not_counted_because": "current level unknown"}, ZERO, ZERO)
    return ScoreLine("level", "current skill level", {"level": level, "label": label}, value, value)


def _counted_line(tables: ScoreTables, name: str, evidence: Evidence) -> ScoreLine:
    kind, source = next((kind, source) for weight, kind, source in COUNTED if weight == name)
    spec = tables.weights[name]
    per_unit = points(spec["per_unit"])
    quantity, counted, value = evidence.counted[name]
    if quantity is None:
        return ScoreLine(kind, source, {"quantity": None, "not_counted_because": "not recorded"}, per_unit, ZERO)
    detail: dict[str, Any] = {"quantity": quantity, "counted": counted, "max_counted": spec.get("max_counted")}
    if counted is not None and counted < quantity:
        detail["capped"] = True
    return ScoreLine(kind, source, detail, per_unit, value)


# ---------------------------------------------------------------------------------------------
# incremental updates


@dataclass(frozen=True)
class ScoreDelta:
    """What changed between two scores of the same person and programme."""

    total_before: Decimal
    total_after: Decimal
    added: tuple[ScoreLine, ...]
    removed: tuple[ScoreLine, ...]
    weights_changed: bool

    @property
    def change(self) -> Decimal:
        return self.total_after - self.total_before

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed) and not self.weights_changed


def score_delta(before: Score | None, after: Score) -> ScoreDelta:
    """Lines added and removed between ``before`` and ``after`` (e.g. for a nomination_* event)."""
    old = before.lines if before else ()
    old_keys = {_line_key(line) for line in old}
    new_keys = {_line_key(line) for line in after.lines}
    return ScoreDelta(
        total_before=before.total if before else ZERO,
        total_after=after.total,
        added=tuple(line for line in after.lines if _line_key(line) not in old_keys),
        removed=tuple(line for line in old if _line_key(line) not in new_keys),
        weights_changed=before is not None and before.weights_fingerprint != after.weights_fingerprint,
    )


def _line_key(line: ScoreLine) -> tuple[str, str, Decimal, Decimal]:
    return (line.kind, line.source, line.weight, line.points)


# ---------------------------------------------------------------------------------------------
# totals without the breakdown (ranking a whole round)


@dataclass(frozen=True)
class ScoreSummary:
    """What ranking reads of a :class:`Score`: ``total``, ``best_achievement_points`` and
    ``latest_achievement_year``, added up from the same weighed evidence without building lines."""

    total: Decimal
    best_achievement_points: Decimal
    latest_achievement_year: int | None

    def as_tuple(self) -> tuple[Decimal, Decimal, int | None]:
        return self.total, self.best_achievement_points, self.latest_achievement_year


def cents_to_points(cents: int) -> Decimal:
    """Whole hundredths back to points with 2 places."""
    return Decimal(cents).scaleb(-2)


def score_summary(
    policy: Policy | Mapping[str, Any],
    programme: str,
    record: CandidateRecord | Mapping[str, Any],
    round_year: int,
) -> ScoreSummary:
    """Total, best achievement and latest achievement year of :func:`score_candidate`, without lines."""
    evidence = weigh(score_tables(policy, programme, round_year), record)
    achievements = evidence.achievements
    return ScoreSummary(evidence.total, max((w.points for w in achievements), default=ZERO),
                        max((w.year for w in achievements if w.points > 0), default=None))
