"""The rules of a nominee score: a record's evidence weighed by a programme's weights.

:func:`weigh` is the one place the rules live (best result per competition, recency window and
decay, best-n, titles counted once, caps); ``scoring`` renders the weighed evidence as explained
lines or adds it up. The weights of a programme for a round year are looked up through
:class:`ScoreTables`, built once per policy.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from .candidates import Achievement, CandidateRecord, HeldTitle
from .eligibility import title_matches
from .policy import Policy, as_policy

CENT = Decimal("0.01")
ZERO = Decimal("0.00")



def points(value: Any) -> Decimal:
    """A policy number or product as points, rounded half-up to 2 places."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------
# the weights of a programme for a round year, looked up once


class ScoreTables:
    """The weights of one programme for one round year, with each lookup computed on first use."""

    def __init__(self, policy: Policy, programme: str, round_year: int):
        self.policy, self.programme, self.round_year = policy, programme, round_year
        self.weights = policy.programme(programme)["weights"]
        spec = self.weights["achievements"]
        self.best_n = spec.get("best_n")
        self.window = spec.get("window_years")
        factor = spec.get("recency_factor_per_year")
        self.factor = None if factor is None else Decimal(str(factor))
        self._base: dict[tuple, tuple[Decimal, str]] = {}
        self._decayed: dict[tuple[Decimal, int], tuple[Decimal, str]] = {}
        self._titles: dict[tuple, Mapping[str, Any] | None] = {}
        self._innovation: dict[Any, tuple[Decimal, str]] = {}
        self._levels: dict[Any, Decimal] = {}
        self._counted: dict[tuple[str, Any], tuple[Any, Decimal]] = {}

    def base(self, achievement: Mapping[str, Any]) -> tuple[Decimal, str]:
        """Points of an achievement before decay, and their basis (medal, medallion, rank band, participation)."""
        key = (achievement["tier"], achievement.get("medal"), bool(achievement.get("medallion", False)),
               achievement.get("rank"))
        found = self._base.get(key)
        if found is None:
            tier, medal, medallion, rank = key
            probe = Achievement(competition_code="", competition_name="", tier=tier, skill="", level=None, year=0,
                                rank=rank, medal=medal, medallion=medallion)
            found = self._base[key] = achievement_base_points(self.weights["achievements"]["tiers"].get(tier), probe)
        return found

    def decayed(self, base: Decimal, age: int) -> tuple[Decimal, str]:
        """Points after ``age`` years of decay, and the decay factor."""
        key = (base, age)
        found = self._decayed.get(key)
        if found is None:
            decay = (self.factor or Decimal(1)) ** age
            found = self._decayed[key] = (points(base * decay), str(decay))
        return found

    def title(self, code: str | None, name_zh: str | None) -> Mapping[str, Any] | None:
        """The programme's weight of a held title (matched by code or Chinese name), if any."""
        key = (code, name_zh)
        if key not in self._titles:
            held = HeldTitle(code=code, name_zh=name_zh)
            self._titles[key] = next((w for w in self.weights["titles"] if title_matches(held, w)), None)
        return self._titles[key]

    def level(self, level: Any) -> Decimal:
        found = self._levels.get(level)
        if found is None:
            found = self._levels[level] = points(self.weights["levels"].get(str(level), 0))
        return found

    def counted(self, name: str, quantity: Any) -> tuple[Any, Decimal]:
        """How much of ``quantity`` counts (the cap) and the points it gives."""
        key = (name, quantity)
        found = self._counted.get(key)
        if found is None:
            spec = self.weights[name]
            cap = spec.get("max_counted")
            counted = quantity if cap is None else min(quantity, cap)
            found = self._counted[key] = (counted, points(points(spec["per_unit"]) * counted))
        return found

    def innovation(self, level: Any) -> tuple[Decimal, str]:
        found = self._innovation.get(level)
        if found is None:
            spec = self.weights["innovation_awards"]
            by_level = spec.get("by_level", {})
            basis = f"{level} level" if level in by_level else "default points (level not weighted)"
            found = self._innovation[level] = (points(by_level.get(level, spec["default_points"])), basis)
        return found


def score_tables(policy: Policy | Mapping[str, Any], programme: str, round_year: int) -> ScoreTables:
    """The lookup tables of ``programme`` for ``round_year`` (built once per policy object)."""
    policy = as_policy(policy)
    return policy.memo(("score_tables", programme, round_year), lambda: ScoreTables(policy, programme, round_year))


# ---------------------------------------------------------------------------------------------
# the rules: a record's evidence, weighed


class Weighed(NamedTuple):
    """One dated piece of evidence (an achievement or an innovation award) as the rules weigh it."""

    points: Decimal
    year: int
    source: str
    item: Mapping[str, Any]  # the achievement or innovation award as the record gives it
    weight: Decimal  # per unit (for achievements: the points before decay)
    basis: str
    age: int | None = None  # achievements: years before the round
    decay: str | None = None  # the decay factor applied
    not_counted: str | None = None  # why it is worth nothing

    def detail(self) -> dict[str, Any]:
        """What its line says besides the evidence itself."""
        detail: dict[str, Any] = {"basis": self.basis}
        if self.age is not None:
            detail["age_years"] = self.age
        detail["counted"] = self.not_counted is None
        if self.decay is not None:
            detail["decay_factor"] = self.decay
        if self.not_counted is not None:
            detail["not_counted_because"] = self.not_counted
        return detail


class Evidence(NamedTuple):
    achievements: list[Weighed]
    titles: list[tuple[Decimal, Mapping[str, Any], Mapping[str, Any] | None]]  # (points, title held, weight)
    level: Decimal
    counted: dict[str, tuple[int | None, int | None, Decimal]]  # weight name -> (quantity, counted, points)
    innovation: list[Weighed]

    @property
    def total(self) -> Decimal:
        return (sum((w.points for w in self.achievements), ZERO) + sum((t[0] for t in self.titles), ZERO)
                + self.level + sum((c[2] for c in self.counted.values()), ZERO)
                + sum((w.points for w in self.innovation), ZERO))


COUNTED = (("years_of_service", "years", "years of service"), ("patents", "patent", "patents"),
           ("apprentices", "apprentice", "apprentices trained"))


def weigh(tables: ScoreTables, record: CandidateRecord | Mapping[str, Any]) -> Evidence:
    """Every piece of ``record``'s evidence with the points it is worth in the round (the rules).

    The record as stored (the plain dict :meth:`CandidateRecord.from_dict` reads: the hot path,
    every person of a round) or as a :class:`CandidateRecord`."""
    data = record.to_dict() if isinstance(record, CandidateRecord) else record
    level = data.get("current_level")
    awards = [_weigh_award(tables, a) for a in data.get("innovation_awards") or ()
              if int(a["year"]) <= tables.round_year]
    return Evidence(
        achievements=_weigh_achievements(tables, data.get("achievements") or ()),
        titles=_weigh_titles(tables, data.get("titles") or ()),
        level=ZERO if level is None else tables.level(level),
        counted={"years_of_service": _counted(tables, "years_of_service", data.get("years_of_service")),
                 "patents": _counted(tables, "patents", int(data.get("patents") or 0)),
                 "apprentices": _counted(tables, "apprentices", int(data.get("apprentices") or 0))},
        innovation=_best_n(awards, tables.weights["innovation_awards"].get("max_counted"), "innovation award"),
    )


def _weigh_achievements(tables: ScoreTables, achievements: Iterable[Mapping[str, Any]]) -> list[Weighed]:
    best_per_competition: dict[str, tuple[Decimal, str, Mapping[str, Any]]] = {}
    for achievement in achievements:
        if int(achievement["year"]) > tables.round_year:
            continue  # not yet evidence for this round
        base, basis = tables.base(achievement)
        known = best_per_competition.get(achievement["competition_code"])
        if known is None or base > known[0]:
            best_per_competition[achievement["competition_code"]] = (base, basis, achievement)
    weighed = [_weigh_achievement(tables, base, basis, a) for base, basis, a in best_per_competition.values()]
    return _best_n(weighed, tables.best_n, "achievement")


def _weigh_achievement(tables: ScoreTables, base: Decimal, basis: str, a: Mapping[str, Any]) -> Weighed:
    year, code = int(a["year"]), a["competition_code"]
    age = tables.round_year - year
    source = f"{a.get('competition_name', code)} ({code}, {year})"
    if tables.window is not None and age >= tables.window:
        return Weighed(ZERO, year, source, a, base, basis, age,
                       not_counted=f"older than the {tables.window}-year window")
    if tables.factor is not None and age > 0:
        value, decay = tables.decayed(base, age)
        return Weighed(value, year, source, a, base, basis, age, decay)
    return Weighed(base, year, source, a, base, basis, age)


def _weigh_award(tables: ScoreTables, award: Mapping[str, Any]) -> Weighed:
    value, basis = tables.innovation(award.get("level"))
    year = int(award["year"])
    return Weighed(value, year, f"{award['name']} ({year})", award, value, basis)


def _best_n(weighed: list[Weighed], best_n: int | None, label: str) -> list[Weighed]:
    """In line order (points, then the more recent, then the source); beyond the best ``best_n``
    counted ones worth nothing, saying why; the ones not counted last. Every one stays visible."""
    weighed.sort(key=lambda w: (-w.points, -w.year, w.source))
    if best_n is None:
        return weighed
    kept: list[Weighed] = []
    counted = 0
    for w in weighed:
        if w.not_counted is None and counted < best_n:
            counted += 1
            kept.append(w)
        elif w.not_counted is None:
            kept.append(w._replace(points=ZERO, not_counted=f"only the best {best_n} {label}s count"))
        else:
            kept.append(w)
    return sorted(kept, key=lambda w: w.not_counted is not None)


def _weigh_titles(tables: ScoreTables, held: Iterable[Mapping[str, Any]]) -> list[tuple[Decimal, Mapping, Mapping | None]]:
    weighed = []
    seen: set[str] = set()
    for title in held:
        year = title.get("year")
        if year is not None and year > tables.round_year:
            continue
        weight = tables.title(title.get("code"), title.get("name_zh"))
        key = weight["code"] if weight else (title.get("name_zh") or title.get("code") or "?")  # HeldTitle.label
        if key not in seen:  # a title held twice counts once
            seen.add(key)
            weighed.append((points(weight["points"]) if weight else ZERO, title, weight))
    return weighed


def _counted(tables: ScoreTables, name: str, quantity: int | None) -> tuple[int | None, int | None, Decimal]:
    if quantity is None:
        return None, None, ZERO
    counted, value = tables.counted(name, quantity)
    return quantity, counted, value



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
