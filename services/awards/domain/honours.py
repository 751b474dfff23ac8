"""What one published competition result earns: titles, a skill-level promotion, cash.

``honours_for_result`` evaluates the tier's rules from the policy against one contestant's
result. Every rule whose conditions hold applies: titles are united, cash is added, the
highest promotion is kept, and a promotion never lowers a level. Pure and deterministic; each
decision is written out as a human sentence citing the rule and the policy version.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .levels import promoted_by
from .policy import Policy, as_policy
from .results import MEDALS, Competition, ContestantResult, as_competition, as_contestant


@dataclass(frozen=True)
class Title:
    code: str
    name_zh: str
    name_en: str
    issuer: str | None = None

    @classmethod
    def from_policy(cls, data: Mapping[str, Any]) -> Title:
        return cls(data["code"], data["name_zh"], data["name_en"], data.get("issuer"))

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name_zh": self.name_zh, "name_en": self.name_en, "issuer": self.issuer}


@dataclass(frozen=True)
class Promotion:
    """A skill-level promotion.

    ``determinable`` is False when the rule promotes "by one level" and the current level is
    unknown: then ``to_level`` is None and ``note`` says what is missing. ``from_level`` is None
    when the current level is unknown but the rule names the level reached ("to 技师").
    """

    from_level: int | None
    to_level: int | None
    rule: str
    determinable: bool = True
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "from_level": self.from_level,
            "to_level": self.to_level,
            "rule": self.rule,
            "determinable": self.determinable,
            "note": self.note,
        }


@dataclass(frozen=True)
class Honours:
    person_key: str
    competition_code: str
    tier: str
    year: int
    policy_version: int
    titles: tuple[Title, ...] = ()
    promotion: Promotion | None = None
    cash_yuan: int = 0
    medal: str | None = None  # a medal granted by the tier's rules (e.g. municipal class-1 top 3)
    reasons: tuple[str, ...] = ()
    rules_applied: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.titles or self.promotion or self.cash_yuan or self.medal)

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_key": self.person_key,
            "competition_code": self.competition_code,
            "tier": self.tier,
            "year": self.year,
            "policy_version": self.policy_version,
            "titles": [t.to_dict() for t in self.titles],
            "promotion": self.promotion.to_dict() if self.promotion else None,
            "cash_yuan": self.cash_yuan,
            "medal": self.medal,
            "reasons": list(self.reasons),
            "rules_applied": list(self.rules_applied),
        }


# ---------------------------------------------------------------------------------------------
# entry point


def honours_for_result(
    policy: Policy | Mapping[str, Any],
    competition: Competition | Mapping[str, Any],
    contestant: ContestantResult | Mapping[str, Any],
) -> Honours:
    """The honours one contestant earns from one published result under ``policy``."""
    policy = as_policy(policy)
    competition = as_competition(competition)
    contestant = as_contestant(contestant)
    tier = policy.tier(competition.tier)
    empty = _empty_honours(policy, competition, contestant)
    if _is_team_result(competition, contestant) and not tier.get("team_members_each_honoured", True):
        return _replace(empty, reasons=(_team_not_individual_reason(policy, competition, contestant),))
    matched = [rule for rule in tier["rules"] if _conditions_hold(rule["when"], competition, contestant)]
    if not matched:
        return _replace(empty, reasons=(_no_rule_reason(policy, competition, contestant),))
    return _grant(policy, competition, contestant, matched, empty)


def _empty_honours(policy: Policy, competition: Competition, contestant: ContestantResult) -> Honours:
    return Honours(
        person_key=contestant.person_key,
        competition_code=competition.code,
        tier=competition.tier,
        year=competition.year,
        policy_version=policy.version,
    )


def _replace(honours: Honours, **changes: Any) -> Honours:
    return replace(honours, **changes)


def _is_team_result(competition: Competition, contestant: ContestantResult) -> bool:
    return competition.team or contestant.team is not None


def _grant(
    policy: Policy,
    competition: Competition,
    contestant: ContestantResult,
    rules: list[Mapping[str, Any]],
    empty: Honours,
) -> Honours:
    refs = tuple(_rule_ref(competition.tier, rule) for rule in rules)
    promotion, promotion_reason = _promotion(policy, competition.tier, rules, contestant.current_level)
    reasons = [_rule_reason(policy, competition, contestant, rule) for rule in rules]
    if promotion_reason:
        reasons.append(promotion_reason)
    if _is_team_result(competition, contestant):
        reasons.append(f"Team event: every member of team {contestant.team or '(unnamed)'} receives these honours "
                       f"(tier {competition.tier}, team_members_each_honoured).")
    return _replace(
        empty,
        titles=_united_titles(rules),
        promotion=promotion,
        cash_yuan=sum(int(rule["grant"].get("cash_yuan", 0)) for rule in rules),
        medal=_best_medal(rules),
        reasons=tuple(reasons),
        rules_applied=refs,
    )


def _rule_ref(tier_name: str, rule: Mapping[str, Any]) -> str:
    return f"{tier_name}.{rule['id']}"


def _united_titles(rules: list[Mapping[str, Any]]) -> tuple[Title, ...]:
    titles: dict[str, Title] = {}
    for rule in rules:
        for title in rule["grant"].get("titles", []):
            titles.setdefault(title["code"], Title.from_policy(title))
    return tuple(titles.values())


def _best_medal(rules: list[Mapping[str, Any]]) -> str | None:
    medals = [rule["grant"]["medal"] for rule in rules if "medal" in rule["grant"]]
    return min(medals, key=MEDALS.index) if medals else None


# ---------------------------------------------------------------------------------------------
# conditions


def _conditions_hold(when: Mapping[str, Any], competition: Competition, contestant: ContestantResult) -> bool:
    return all(_CONDITIONS[name](expected, competition, contestant) for name, expected in when.items())


def _rank_within(expected: Mapping[str, int], _c: Competition, contestant: ContestantResult) -> bool:
    if contestant.rank is None:
        return False
    return expected.get("min", 1) <= contestant.rank <= expected.get("max", contestant.rank)


_CONDITIONS = {
    "rank": _rank_within,
    "medal": lambda expected, _c, r: (r.medal or "none") in expected,
    "medallion": lambda expected, _c, r: r.medallion is expected,
    "award_winner": lambda expected, _c, r: r.is_award_winner is expected,
    "employment": lambda expected, _c, r: r.employment in expected,
    "competition_level": lambda expected, c, _r: c.level in expected,
    "current_level": lambda expected, _c, r: r.current_level in expected,
    "team": lambda expected, c, r: _is_team_result(c, r) is expected,
    "selection_trial": lambda expected, c, _r: c.selection_trial is expected,
}


def _describe_conditions(policy: Policy, when: Mapping[str, Any], competition: Competition, contestant: ContestantResult) -> str:
    parts = [_DESCRIBE[name](policy, expected, competition, contestant) for name, expected in when.items()]
    return "; ".join(part for part in parts if part) or "applies to every contestant"


def _describe_rank(_p: Policy, expected: Mapping[str, int], _c: Competition, r: ContestantResult) -> str:
    low, high = expected.get("min", 1), expected.get("max")
    span = f"{low}–{high}" if high is not None else f"{low} or lower"
    return f"rank {r.rank} within {span}"


_DESCRIBE = {
    "rank": _describe_rank,
    "medal": lambda _p, _e, _c, r: f"medal {r.medal or 'none'}",
    "medallion": lambda _p, _e, _c, r: "Medallion for Excellence" if r.medallion else "no Medallion for Excellence",
    "award_winner": lambda _p, _e, _c, r: "award winner (medal or medallion)" if r.is_award_winner else "no medal or medallion",
    "employment": lambda _p, _e, _c, r: f"{r.employment} group",
    "competition_level": lambda p, _e, c, _r: f"competition set at {p.level_label(c.level)}",
    "current_level": lambda p, _e, _c, r: f"currently {p.level_label(r.current_level)}",
    "team": lambda _p, _e, c, r: "team event" if _is_team_result(c, r) else "individual event",
    "selection_trial": lambda _p, _e, c, _r: "selection trial" if c.selection_trial else "",
}


# ---------------------------------------------------------------------------------------------
# reasons


def _rule_reason(policy: Policy, competition: Competition, contestant: ContestantResult, rule: Mapping[str, Any]) -> str:
    matched = _describe_conditions(policy, rule["when"], competition, contestant)
    return (
        f"{rule['description']} — rule {_rule_ref(competition.tier, rule)} "
        f"(policy v{policy.version}) applies to {contestant.name or contestant.person_key} in "
        f"{competition.name} {competition.year} ({matched}): {_describe_grant(policy, rule['grant'])}."
    )


def _describe_grant(policy: Policy, grant: Mapping[str, Any]) -> str:
    parts = [f"title {t['name_zh']} ({t['name_en']})" for t in grant.get("titles", [])]
    if "medal" in grant:
        parts.append(f"{grant['medal']} medal")
    if grant.get("cash_yuan"):
        parts.append(f"¥{grant['cash_yuan']:,}")
    promotion = grant.get("promotion")
    if promotion:
        parts.append(_describe_promotion_rule(policy, promotion))
    return ", ".join(parts) or "nothing"


def _describe_promotion_rule(policy: Policy, promotion: Mapping[str, Any]) -> str:
    if "by_levels" in promotion:
        n = promotion["by_levels"]
        return "promotion by one level" if n == 1 else f"promotion by {n} levels"
    text = f"promotion to {policy.level_label(promotion['to_level'])}"
    for choice in promotion.get("if_current", []):
        text += (f" ({policy.level_label(choice['to_level'])} if already "
                 f"{policy.level_label(choice['current_level'])})")
    return text


def _no_rule_reason(policy: Policy, competition: Competition, contestant: ContestantResult) -> str:
    return (
        f"No honours rule of tier {competition.tier} (policy v{policy.version}) applies to "
        f"{contestant.name or contestant.person_key} in {competition.name} {competition.year} "
        f"(rank {contestant.rank}, medal {contestant.medal or 'none'}, {contestant.employment}); "
        f"the result still counts as an achievement in nominations."
    )


def _team_not_individual_reason(policy: Policy, competition: Competition, contestant: ContestantResult) -> str:
    return (
        f"Team event: tier {competition.tier} (policy v{policy.version}) does not honour team members "
        f"individually (team_members_each_honoured is false); team {contestant.team or '(unnamed)'} "
        f"is honoured as a team and {contestant.name or contestant.person_key} receives no individual grant."
    )


# ---------------------------------------------------------------------------------------------
# promotion


@dataclass(frozen=True)
class _Outcome:
    rule: str
    target: int | None  # None: not determinable
    note: str = ""
    raises: bool = True  # False: already at or above the target

    @property
    def determinable(self) -> bool:
        return self.target is not None


def _promotion(
    policy: Policy, tier_name: str, rules: list[Mapping[str, Any]], current: int | None
) -> tuple[Promotion | None, str | None]:
    outcomes = [
        _promotion_outcome(policy, _rule_ref(tier_name, rule), rule["grant"]["promotion"], current)
        for rule in rules
        if "promotion" in rule["grant"]
    ]
    if not outcomes:
        return None, None
    effective = [o for o in outcomes if o.determinable and o.raises]
    if effective:
        best = min(effective, key=_target)  # a lower number is a higher level; first rule wins ties
        return _promoted(policy, best, current)
    undeterminable = [o for o in outcomes if not o.determinable]
    if undeterminable:
        return _not_determinable(undeterminable[0])
    return None, _no_change_reason(policy, outcomes, current)


def _promotion_outcome(policy: Policy, rule: str, spec: Mapping[str, Any], current: int | None) -> _Outcome:
    if "by_levels" in spec:
        if current is None:
            return _Outcome(rule, None, "the current skill level is unknown, so a promotion by "
                                        f"{spec['by_levels']} level(s) cannot be determined")
        target = promoted_by(current, spec["by_levels"])
        return _Outcome(rule, target, "", raises=target < current)
    target, note = _named_target(policy, spec, current)
    return _Outcome(rule, target, note, raises=current is None or target < current)


def _named_target(policy: Policy, spec: Mapping[str, Any], current: int | None) -> tuple[int, str]:
    """Apply "to level X (Y if already Z)"; with an unknown current level only X can apply."""
    choices = spec.get("if_current", [])
    for choice in choices:
        if current == choice["current_level"]:
            return choice["to_level"], (f"already {policy.level_label(current)}, so "
                                        f"{policy.level_label(choice['to_level'])}")
    if current is None and choices:
        alternatives = ", ".join(f"{policy.level_label(c['to_level'])} if already {policy.level_label(c['current_level'])}"
                                 for c in choices)
        return spec["to_level"], f"current level unknown, so the rule's {alternatives} could not be checked"
    return spec["to_level"], ""


def _promoted(policy: Policy, outcome: _Outcome, current: int | None) -> tuple[Promotion, str]:
    if current is None:
        note = "; ".join(filter(None, [
            outcome.note,
            f"the current level is unknown: promotion to {policy.level_label(outcome.target)} applies as "
            "stated unless the person already holds that level or higher",
        ]))
        reason = f"Promotion to {policy.level_label(outcome.target)} by rule {outcome.rule}; {note}."
    else:
        note = outcome.note
        reason = (f"Promotion from {policy.level_label(current)} to {policy.level_label(outcome.target)} "
                  f"by rule {outcome.rule}" + (f" ({note})" if note else "") + ".")
    return Promotion(current, outcome.target, outcome.rule, True, note), reason


def _not_determinable(outcome: _Outcome) -> tuple[Promotion, str]:
    reason = (f"Promotion by rule {outcome.rule} is recorded as not determinable: {outcome.note}; "
              "record the current level to settle it.")
    return Promotion(None, None, outcome.rule, False, outcome.note), reason


def _target(outcome: _Outcome) -> int:
    """The level an outcome promotes to, for comparing outcomes (one not determinable comes last)."""
    return outcome.target if outcome.target is not None else 99


def _no_change_reason(policy: Policy, outcomes: list[_Outcome], current: int | None) -> str:
    best = min(outcomes, key=_target)
    return (f"No promotion: already {policy.level_label(current)}, at or above "
            f"{policy.level_label(best.target)} from rule {best.rule} (a promotion never lowers a level).")


def titles_held_from(honours: Honours) -> list[dict[str, Any]]:
    """The titles of ``honours`` as a candidate record's held-title entries ({code, name_zh, year})."""
    return [{"code": t.code, "name_zh": t.name_zh, "year": honours.year} for t in honours.titles]


__all__ = ["Honours", "Promotion", "Title", "honours_for_result", "titles_held_from"]
