"""Explainable nominee scores.

A score is a list of lines, one per piece of evidence (achievement, title, skill level, years
of service, innovation award, patents, apprentices), each with the weight applied and the points
it gives. Every line is rounded half-up to 2 places before adding, so the total is exactly
the sum of the lines a committee sees. All weights come from ``programmes.<code>.weights``.

Cost is O(size of the record) so the service can re-score on every event; it re-ranks when
``programme_weights_fingerprint`` changes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable, Mapping

from .candidates import Achievement, CandidateRecord, InnovationAward, as_record
from .eligibility import title_matches
from .policy import Policy, as_policy, fingerprint

# Bump when the meaning of the weights (this module's arithmetic) changes, so stored scores
# computed under older rules are recognised as stale even if the policy data did not change.
SCORING_RULES_VERSION = 1

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

KINDS = ("achievement", "title", "level", "years", "innovation", "patent", "apprentice")


def points(value: Any) -> Decimal:
    """A policy number or product as points, rounded half-up to 2 places."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


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
    record = as_record(record)
    weights = policy.programme(programme)["weights"]
    lines = (
        _achievement_lines(weights["achievements"], record.achievements, round_year)
        + _title_lines(weights["titles"], record, round_year)
        + [_level_line(weights["levels"], record, policy)]
        + [_counted_line("years", "years of service", record.years_of_service, weights["years_of_service"])]
        + _innovation_lines(weights["innovation_awards"], record.innovation_awards, round_year)
        + [_counted_line("patent", "patents", record.patents, weights["patents"]),
           _counted_line("apprentice", "apprentices trained", record.apprentices, weights["apprentices"])]
    )
    return Score(
        programme=programme,
        person_key=record.person_key,
        round_year=round_year,
        policy_version=policy.version,
        weights_fingerprint=programme_weights_fingerprint(policy, programme),
        total=sum((line.points for line in lines), ZERO),
        lines=tuple(lines),
    )


# ---------------------------------------------------------------------------------------------
# achievements


def achievement_base_points(tier_points: Mapping[str, Any] | None, achievement: Achievement) -> tuple[Decimal, str]:
    """Points for one achievement before any decay, and the basis: medal, medallion, rank band or participation."""
    if tier_points is None:
        return ZERO, "tier not weighted by this programme"
    medal_points = tier_points.get("medal", {})
    if achievement.medal in medal_points:
        return points(medal_points[achievement.medal]), f"{achievement.medal} medal"
    if achievement.medallion and "medallion" in tier_points:
        return points(tier_points["medallion"]), "Medallion for Excellence"
    for band in tier_points.get("rank_bands", []):
        if achievement.rank is not None and band["from"] <= achievement.rank <= band["to"]:
            return points(band["points"]), f"rank {achievement.rank} in band {band['from']}–{band['to']}"
    return points(tier_points.get("participation", 0)), "participation"


def _achievement_lines(spec: Mapping[str, Any], achievements: Iterable[Achievement], round_year: int) -> list[ScoreLine]:
    tiers = spec["tiers"]
    best_per_competition: dict[str, tuple[Decimal, str, Achievement]] = {}
    for achievement in achievements:
        if achievement.year > round_year:
            continue
        base, basis = achievement_base_points(tiers.get(achievement.tier), achievement)
        known = best_per_competition.get(achievement.competition_code)
        if known is None or base > known[0]:
            best_per_competition[achievement.competition_code] = (base, basis, achievement)
    lines = [_achievement_line(spec, base, basis, a, round_year) for base, basis, a in best_per_competition.values()]
    lines.sort(key=lambda line: (-line.points, -line.detail["year"], line.source))
    return _keep_best(lines, spec.get("best_n"), "achievement")


def _achievement_line(spec: Mapping[str, Any], base: Decimal, basis: str, a: Achievement, round_year: int) -> ScoreLine:
    age = round_year - a.year
    detail: dict[str, Any] = {
        "competition_code": a.competition_code, "competition_name": a.competition_name, "tier": a.tier,
        "skill": a.skill, "level": a.level, "year": a.year, "rank": a.rank, "medal": a.medal,
        "medallion": a.medallion, "scale": a.scale, "basis": basis, "age_years": age, "counted": True,
    }
    window = spec.get("window_years")
    if window is not None and age >= window:
        detail |= {"counted": False, "not_counted_because": f"older than the {window}-year window"}
        return ScoreLine("achievement", _achievement_source(a), detail, base, ZERO)
    factor = spec.get("recency_factor_per_year")
    value = base
    if factor is not None and age > 0:
        decay = Decimal(str(factor)) ** age
        detail["decay_factor"] = str(decay)
        value = base * decay
    return ScoreLine("achievement", _achievement_source(a), detail, base, points(value))


def _achievement_source(a: Achievement) -> str:
    return f"{a.competition_name} ({a.competition_code}, {a.year})"


def _keep_best(lines: list[ScoreLine], best_n: int | None, label: str) -> list[ScoreLine]:
    """Zero the lines beyond the best ``best_n`` counted ones, saying why; keeps every line visible."""
    if best_n is None:
        return lines
    kept: list[ScoreLine] = []
    counted = 0
    for line in lines:
        if line.detail.get("counted", True) and counted < best_n:
            counted += 1
            kept.append(line)
        elif line.detail.get("counted", True):
            detail = dict(line.detail) | {"counted": False, "not_counted_because": f"only the best {best_n} {label}s count"}
            kept.append(ScoreLine(line.kind, line.source, detail, line.weight, ZERO))
        else:
            kept.append(line)
    return sorted(kept, key=lambda line: not line.detail.get("counted", True))


# ---------------------------------------------------------------------------------------------
# titles, level, counted quantities, innovation


def _title_lines(weights: list[Mapping[str, Any]], record: CandidateRecord, round_year: int) -> list[ScoreLine]:
    lines: list[ScoreLine] = []
    seen: set[str] = set()
    for held in record.titles:
        if held.year is not None and held.year > round_year:
            continue
        weight = next((w for w in weights if title_matches(held, w)), None)
        key = weight["code"] if weight else held.label
        if key in seen:
            continue  # a title held twice counts once
        seen.add(key)
        detail = {"code": weight["code"] if weight else held.code, "name_zh": held.name_zh or (weight or {}).get("name_zh"),
                  "year": held.year}
        if weight is None:
            detail["not_counted_because"] = "title not weighted by this programme"
        value = points(weight["points"]) if weight else ZERO
        source = held.name_zh or (weight or {}).get("name_zh") or held.label
        lines.append(ScoreLine("title", source, detail, value, value))
    return sorted(lines, key=lambda line: (-line.points, line.source))


def _level_line(weights: Mapping[str, Any], record: CandidateRecord, policy: Policy) -> ScoreLine:
    level = record.current_level
    label = policy.level_label(level)
    if level is None:
        return ScoreLine("level", "current skill level", {"level": None, "label": label,
                                                          "not_counted_because": "current level unknown"}, ZERO, ZERO)
    value = points(weights.get(str(level), 0))
    return ScoreLine("level", "current skill level", {"level": level, "label": label}, value, value)


def _counted_line(kind: str, source: str, quantity: int | None, spec: Mapping[str, Any]) -> ScoreLine:
    per_unit = points(spec["per_unit"])
    cap = spec.get("max_counted")
    if quantity is None:
        return ScoreLine(kind, source, {"quantity": None, "not_counted_because": "not recorded"}, per_unit, ZERO)
    counted = quantity if cap is None else min(quantity, cap)
    detail: dict[str, Any] = {"quantity": quantity, "counted": counted, "max_counted": cap}
    if counted < quantity:
        detail["capped"] = True
    return ScoreLine(kind, source, detail, per_unit, points(per_unit * counted))


def _innovation_lines(spec: Mapping[str, Any], awards: Iterable[InnovationAward], round_year: int) -> list[ScoreLine]:
    by_level = spec.get("by_level", {})
    lines = []
    for award in awards:
        if award.year > round_year:
            continue
        value = points(by_level.get(award.level, spec["default_points"]))
        basis = f"{award.level} level" if award.level in by_level else "default points (level not weighted)"
        detail = {"name": award.name, "year": award.year, "level": award.level, "basis": basis, "counted": True}
        lines.append(ScoreLine("innovation", f"{award.name} ({award.year})", detail, value, value))
    lines.sort(key=lambda line: (-line.points, -line.detail["year"], line.source))
    return _keep_best(lines, spec.get("max_counted"), "innovation award")


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
