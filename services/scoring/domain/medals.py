"""The WorldSkills scale and what is decided on it: standardisation, ranks with ties, medals,
medallions, best of delegation, the top-score award and medal points. Pure and policy-driven."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, localcontext
from typing import Any

from .numbers import parse_decimal, round_half_up

Medal = str  # "gold" | "silver" | "bronze"
MEDALS: tuple[str, ...] = ("gold", "silver", "bronze")
MAD_TO_SD = Decimal("1.4826")
DEFAULT_SPREAD_POLICY: dict[str, Any] = {"rule": "median_mad", "centre": 700, "spread": 30}
DEFAULT_MEDAL_POINTS: dict[str, int] = {"gold": 4, "silver": 3, "bronze": 2, "medallion": 1}
MAX_REPORTED_MISSING = 200

#: ``rule(raw, centre, spread) -> unrounded scale`` per contestant.
SpreadRule = Callable[[Mapping[str, Decimal], Decimal, Decimal], dict[str, Decimal]]


# --------------------------------------------------------------------------- standardisation


def median(values: Sequence[Decimal]) -> Decimal:
    """The median (mean of the two middle values for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def population_sd(values: Sequence[Decimal]) -> Decimal:
    mean = sum(values, Decimal(0)) / len(values)
    return (sum(((v - mean) ** 2 for v in values), Decimal(0)) / len(values)).sqrt()


def median_mad(raw: Mapping[str, Decimal], centre: Decimal, spread: Decimal) -> dict[str, Decimal]:
    """centre + spread × (raw − median) / (1.4826 × MAD).

    MAD is the median absolute deviation from the median; 1.4826 × MAD estimates the standard
    deviation for normal data while ignoring outliers. When MAD is 0 (more than half the field on
    the same raw total) the population standard deviation is used instead; when that is 0 too
    (everybody equal, or a single contestant) everybody is at the centre.
    """
    values = list(raw.values())
    if len(set(values)) <= 1:
        return {key: centre for key in raw}
    mid = median(values)
    mad = median([abs(v - mid) for v in values])
    unit = MAD_TO_SD * mad if mad else population_sd(values)
    return {key: centre + spread * (value - mid) / unit for key, value in raw.items()}


SPREAD_RULES: dict[str, SpreadRule] = {"median_mad": median_mad}


def standardise(raw: Mapping[str, Decimal], policy: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Whole scale points per contestant, rounded half-up, by the named spread rule.

    ``policy`` is the spread policy ``{"rule", "centre", "spread"}`` (default median_mad, 700, 30).
    Scale points are not clamped: an extreme outlier may fall far below 600.
    """
    spec = {**DEFAULT_SPREAD_POLICY, **(policy or {})}
    try:
        rule = SPREAD_RULES[spec["rule"]]
    except KeyError:
        raise ValueError(f"unknown spread rule {spec['rule']!r}; known: {sorted(SPREAD_RULES)}") from None
    raws = {key: parse_decimal(value) for key, value in raw.items()}
    with localcontext() as ctx:
        ctx.prec = 34
        scaled = rule(raws, parse_decimal(spec["centre"]), parse_decimal(spec["spread"]))
    return {key: int(round_half_up(value, 0)) for key, value in scaled.items()}


# --------------------------------------------------------------------------- ranks and medals


def rank_with_ties(scores: Mapping[str, int | Decimal]) -> dict[str, int]:
    """Competition ranking (1, 2, 2, 4), highest first; ordered by rank, then id."""
    ordered = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    ranks: dict[str, int] = {}
    for position, (key, score) in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        ranks[key] = ranks[previous[0]] if previous and previous[1] == score else position
    return ranks


def _within(anchor: Decimal, pool: list[tuple[str, Decimal]], threshold: Decimal) -> list[str]:
    return [key for key, score in pool if anchor - score <= threshold]


def allocate_medals(scale: Mapping[str, int | Decimal], tie_threshold: int | Decimal = 2) -> dict[str, Medal | None]:
    """Gold, silver and bronze with shared medals, as the WorldSkills 2015 tie rule reads.

    "Within the threshold" means a difference of *no more than* ``tie_threshold`` points,
    measured from the medal's anchor (the best score not yet medalled), never chained.

    * Gold: the top score and everyone within the threshold of it.
    * One gold: silver to the next score and everyone within the threshold of it.
      - one silver: bronze to the next score and everyone within the threshold of it;
      - two or more silvers: no bronze.
    * Two golds: no silver; bronze to the next score and everyone within the threshold of it.
    * Three or more golds: no silver; bronze to every next contestant within the threshold of
      the *last* (lowest) gold score, none when nobody is that close.
    """
    threshold = parse_decimal(tie_threshold)
    pool = sorted(((k, parse_decimal(v)) for k, v in scale.items()), key=lambda kv: (-kv[1], kv[0]))
    medals: dict[str, Medal | None] = {key: None for key, _ in pool}
    if not pool:
        return medals
    golds = _within(pool[0][1], pool, threshold)
    rest = pool[len(golds):]
    if len(golds) >= 3:
        bronzes = _within(pool[len(golds) - 1][1], rest, threshold)
        return _award(medals, golds, [], bronzes)
    silvers = _within(rest[0][1], rest, threshold) if rest and len(golds) == 1 else []
    rest = rest[len(silvers):]
    bronzes = _within(rest[0][1], rest, threshold) if rest and len(silvers) <= 1 else []
    return _award(medals, golds, silvers, bronzes)


def _award(medals: dict[str, Medal | None], *groups: list[str]) -> dict[str, Medal | None]:
    for medal, group in zip(MEDALS, groups, strict=False):
        for key in group:
            medals[key] = medal
    return medals


def medallion(scale: int | Decimal, medal: Medal | None, threshold: int | Decimal = 700) -> bool:
    """Medallion for Excellence: at least ``threshold`` scale points and no medal."""
    return medal is None and parse_decimal(scale) >= parse_decimal(threshold)


def _field(row: Any, name: str) -> Any:
    """A row's field from a mapping or an object; ``id`` falls back to ``contestant_id``."""
    get = row.get if isinstance(row, Mapping) else (lambda key: getattr(row, key, None))
    value = get(name)
    return get("contestant_id") if value is None and name == "id" else value


def best_of_delegation(rows: Iterable[Any]) -> set[str]:
    """Ids with the highest scale of their delegation (ties all get it).

    Rows are mappings or objects with ``id``, ``delegation`` and ``scale``; rows without a
    delegation take no part.
    """
    best: dict[str, Decimal] = {}
    members: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for row in rows:
        delegation = _field(row, "delegation")
        if not delegation:
            continue
        scale = parse_decimal(_field(row, "scale"))
        members[delegation].append((_field(row, "id"), scale))
        best[delegation] = max(best.get(delegation, scale), scale)
    return {key for d, group in members.items() for key, scale in group if scale == best[d]}


def top_score_award(rows: Iterable[Any]) -> list[str]:
    """Ids with the highest scale across all competitions of an event (joint winners on ties).

    Rows as for :func:`best_of_delegation` (``id``, ``scale``); sorted ids, empty for no rows.
    """
    scored = [(_field(row, "id"), parse_decimal(_field(row, "scale"))) for row in rows]
    if not scored:
        return []
    top = max(scale for _, scale in scored)
    return sorted({key for key, scale in scored if scale == top})


def medal_points(counts: Mapping[str, int], points: Mapping[str, int] | None = None) -> int:
    """Delegation points: gold 4, silver 3, bronze 2, medallion 1 unless ``points`` says otherwise."""
    weights = points or DEFAULT_MEDAL_POINTS
    unknown = set(counts) - set(weights)
    if unknown:
        raise ValueError(f"unknown award kinds: {sorted(unknown)}")
    return sum(weights[kind] * int(number) for kind, number in counts.items())
