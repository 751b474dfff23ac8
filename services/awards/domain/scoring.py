"""Explainable nominee scores.

A score is a list of lines, one per piece of evidence (achievement, title, skill level, years
of service, innovation award, patents, apprentices), each with the weight applied and the points
it gives. Every line is rounded half-up to 2 places before adding, so the total is exactly
the sum of the lines a committee sees. All weights come from ``programmes.<code>.weights``.

Cost is O(size of the record) so the service can re-score on every event; it re-ranks when
``programme_weights_fingerprint`` changes.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .candidates import Achievement, CandidateRecord, HeldTitle, InnovationAward, as_record
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


# ---------------------------------------------------------------------------------------------
# totals without the breakdown (ranking a whole round)


@dataclass(frozen=True)
class ScoreSummary:
    """What ranking reads of a :class:`Score`: exactly ``total``, ``best_achievement_points`` and
    ``latest_achievement_year`` of the full score, without building its lines."""

    total: Decimal
    best_achievement_points: Decimal
    latest_achievement_year: int | None

    def as_tuple(self) -> tuple[Decimal, Decimal, int | None]:
        return self.total, self.best_achievement_points, self.latest_achievement_year


def _cents(value: Decimal) -> int:
    """A points value (2 places) as whole hundredths: exact, so sums of cents are sums of lines."""
    return int(value.scaleb(2))


def cents_to_points(cents: int) -> Decimal:
    """Whole hundredths back to points with 2 places, as ``sum(line.points)`` would show them."""
    return Decimal(cents).scaleb(-2)


class ScoreTables:
    """The weights of one programme for one round year, turned into lookup tables once.

    :meth:`summary` computes, in whole hundredths of a point, the same total, best achievement
    and latest achievement year as :func:`score_candidate` (same rules: best result per
    competition, recency window and decay, best-n, titles counted once, caps), without building
    lines. Each table entry is computed by the very functions that build the lines
    (``points``, ``achievement_base_points``), so the figures are identical by construction;
    records with unusual value types fall back to the full score.
    """

    def __init__(self, policy: Policy, programme: str, round_year: int):
        self.policy, self.programme, self.round_year = policy, programme, round_year
        weights = policy.programme(programme)["weights"]
        spec = weights["achievements"]
        self._tiers = spec["tiers"]
        self._best_n = spec.get("best_n")
        self._window = spec.get("window_years")
        factor = spec.get("recency_factor_per_year")
        self._factor = None if factor is None else Decimal(str(factor))
        self._base: dict[tuple, tuple[int, Decimal]] = {}
        self._decayed: dict[tuple[Decimal, int], int] = {}
        self._title_weights = weights["titles"]
        self._titles: dict[tuple, tuple[str, int]] = {}
        self._level_weights = weights["levels"]
        self._levels: dict[int, int] = {}
        self._counted = {name: (_cents(points(weights[name]["per_unit"])), weights[name].get("max_counted"))
                         for name in ("years_of_service", "patents", "apprentices")}
        innovation = weights["innovation_awards"]
        self._innovation_by_level = innovation.get("by_level", {})
        self._innovation_default = innovation["default_points"]
        self._innovation_max = innovation.get("max_counted")
        self._innovation: dict[Any, int] = {}

    # table entries, computed on first use by the functions that build the lines

    def _base_points(self, tier: str, medal: Any, medallion: bool, rank: Any) -> tuple[int, Decimal]:
        key = (tier, medal, medallion, rank)
        found = self._base.get(key)
        if found is None:
            probe = Achievement(competition_code="", competition_name="", tier=tier, skill="", level=None, year=0,
                                rank=rank, medal=medal, medallion=medallion)
            base, _ = achievement_base_points(self._tiers.get(tier), probe)
            found = self._base[key] = (_cents(base), base)
        return found

    def _after_decay(self, base: Decimal, age: int) -> int:
        key = (base, age)
        found = self._decayed.get(key)
        if found is None:
            factor = self._factor if self._factor is not None else Decimal(1)
            found = self._decayed[key] = _cents(points(base * factor ** age))
        return found

    def _title(self, code: Any, name_zh: Any) -> tuple[str, int]:
        key = (code, name_zh)
        found = self._titles.get(key)
        if found is None:
            held = HeldTitle(code=code, name_zh=name_zh)
            weight = next((w for w in self._title_weights if title_matches(held, w)), None)
            found = self._titles[key] = ((weight["code"], _cents(points(weight["points"]))) if weight
                                         else (held.label, 0))
        return found

    def _level(self, level: int) -> int:
        found = self._levels.get(level)
        if found is None:
            found = self._levels[level] = _cents(points(self._level_weights.get(str(level), 0)))
        return found

    def _innovation_points(self, level: Any) -> int:
        found = self._innovation.get(level)
        if found is None:
            found = self._innovation[level] = _cents(points(self._innovation_by_level.get(level, self._innovation_default)))
        return found

    def _counted_points(self, name: str, quantity: int | None) -> int:
        per_unit, cap = self._counted[name]
        if quantity is None:
            return 0
        return per_unit * (quantity if cap is None else min(quantity, cap))

    # the summary

    def summary_cents(self, data: Mapping[str, Any]) -> tuple[int, int, int | None]:
        """(total, best achievement) in hundredths and the latest scoring year of a record given as
        the plain dict :meth:`CandidateRecord.from_dict` reads."""
        years = data.get("years_of_service")
        level = data.get("current_level")
        if not (years is None or type(years) is int) or not (level is None or type(level) is int):
            return self._from_full_score(data)
        round_year = self.round_year
        best_per_competition: dict[str, tuple[int, Decimal, int]] = {}
        for a in data.get("achievements") or ():
            year = int(a["year"])
            if year > round_year:
                continue
            cents, base = self._base_points(a["tier"], a.get("medal"), bool(a.get("medallion", False)), a.get("rank"))
            code = a["competition_code"]
            known = best_per_competition.get(code)
            if known is None or cents > known[0]:
                best_per_competition[code] = (cents, base, year)
        window, factor = self._window, self._factor
        counted: list[tuple[int, int]] = []
        uncounted = 0
        for cents, base, year in best_per_competition.values():
            age = round_year - year
            if window is not None and age >= window:
                uncounted += 1
                continue
            if factor is not None and age > 0:
                cents = self._after_decay(base, age)
            counted.append((cents, year))
        counted.sort(reverse=True)  # the lines' order: points, then year (the source only orders equals)
        kept = counted if self._best_n is None else counted[:self._best_n]
        achievements = sum(c for c, _ in kept)
        values = [c for c, _ in kept] + [0] * (uncounted + len(counted) - len(kept))
        best = max(values) if values else 0
        latest = max((y for c, y in kept if c > 0), default=None)

        titles = 0
        seen: set[str] = set()
        for held in data.get("titles") or ():
            year = held.get("year")
            if year is not None and year > round_year:
                continue
            key, cents = self._title(held.get("code"), held.get("name_zh"))
            if key not in seen:
                seen.add(key)
                titles += cents

        innovation = []
        for award in data.get("innovation_awards") or ():
            year = int(award["year"])
            if year <= round_year:
                innovation.append(self._innovation_points(award.get("level")))
        innovation.sort(reverse=True)
        if self._innovation_max is not None:
            innovation = innovation[:self._innovation_max]

        total = (achievements + titles + (0 if level is None else self._level(level)) + sum(innovation)
                 + self._counted_points("years_of_service", years)
                 + self._counted_points("patents", int(data.get("patents") or 0))
                 + self._counted_points("apprentices", int(data.get("apprentices") or 0)))
        return total, best, latest

    def _from_full_score(self, data: Mapping[str, Any]) -> tuple[int, int, int | None]:
        score = score_candidate(self.policy, self.programme, data, self.round_year)
        return _cents(score.total), _cents(score.best_achievement_points), score.latest_achievement_year

    def summary(self, record: CandidateRecord | Mapping[str, Any]) -> ScoreSummary:
        data = record.to_dict() if isinstance(record, CandidateRecord) else record
        total, best, latest = self.summary_cents(data)
        return ScoreSummary(cents_to_points(total), cents_to_points(best), latest)


def score_tables(policy: Policy | Mapping[str, Any], programme: str, round_year: int) -> ScoreTables:
    """The lookup tables of ``programme`` for ``round_year`` (built once per policy object)."""
    policy = as_policy(policy)
    return policy.memo(("score_tables", programme, round_year), lambda: ScoreTables(policy, programme, round_year))


def score_summary(
    policy: Policy | Mapping[str, Any],
    programme: str,
    record: CandidateRecord | Mapping[str, Any],
    round_year: int,
) -> ScoreSummary:
    """Total, best achievement and latest achievement year of :func:`score_candidate`, without lines."""
    return score_tables(policy, programme, round_year).summary(record)
