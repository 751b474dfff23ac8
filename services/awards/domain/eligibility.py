"""Eligibility of a candidate for an honours programme.

The checks a programme applies, their parameters and their reason codes are policy data
(``programmes.<code>.eligibility``); this module knows how to evaluate each kind of check.
An empty list of reasons means eligible. Unknown facts (membership not recorded, level
unknown) are reasons too, so the committee sees what to ask for.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .candidates import CandidateRecord, HeldTitle, Reason, as_record
from .levels import is_at_or_above
from .policy import Policy, as_policy

FUNDED_YEAR_FIELD = {
    "chief_technician": "chief_technician_funded_year",
    "master_studio": "studio_funded_year",
}


def check_eligibility(
    policy: Policy | Mapping[str, Any],
    programme: str,
    record: CandidateRecord | Mapping[str, Any],
    round_year: int,
) -> list[Reason]:
    """Every reason ``record`` is not eligible for ``programme`` in ``round_year``; empty = eligible."""
    policy = as_policy(policy)
    record = _profile(record)
    spec = policy.programme(programme)
    context = _Context(policy, spec, record, round_year)
    reasons = [_CHECKS[check["kind"]](context, check) for check in spec["eligibility"]]
    return [reason for reason in reasons if reason is not None]


def _profile(record: CandidateRecord | Mapping[str, Any]) -> CandidateRecord:
    """The record the checks read. Every check reads the profile (membership, level, titles,
    funding, service) and none reads the evidence that is scored (achievements, innovation awards),
    so a plain dict is converted without it: that is most of the work of converting a record.
    A check that needs the evidence must take it out of this exclusion."""
    if isinstance(record, CandidateRecord):
        return record
    return as_record({**record, "achievements": (), "innovation_awards": ()})


class _Context:
    def __init__(self, policy: Policy, programme: Mapping[str, Any], record: CandidateRecord, round_year: int):
        self.policy = policy
        self.programme = programme
        self.record = record
        self.round_year = round_year

    @property
    def programme_name(self) -> str:
        return f"{self.programme['name_zh']} ({self.programme['name_en']})"

    def held(self) -> list[HeldTitle]:
        """Titles held by the round year (a title dated later is not yet held)."""
        return [t for t in self.record.titles if t.year is None or t.year <= self.round_year]


def _reason(check: Mapping[str, Any], message: str) -> Reason:
    return Reason(check["code"], check.get("message") or message)


def _union_member(ctx: _Context, check: Mapping[str, Any]) -> Reason | None:
    if ctx.record.union_member is True:
        return None
    if ctx.record.union_member is None:
        return _reason(check, f"Trade-union membership is not recorded; {ctx.programme_name} requires a trade-union member.")
    return _reason(check, f"Not a trade-union member; {ctx.programme_name} requires trade-union membership.")


def _front_line(ctx: _Context, check: Mapping[str, Any]) -> Reason | None:
    if ctx.record.front_line is True:
        return None
    if ctx.record.front_line is None:
        return _reason(check, f"Front-line work is not recorded; {ctx.programme_name} requires a front-line worker.")
    return _reason(check, f"Does not work on the front line; {ctx.programme_name} requires a front-line worker.")


def _not_previously_funded(ctx: _Context, check: Mapping[str, Any]) -> Reason | None:
    year = getattr(ctx.record, FUNDED_YEAR_FIELD[check["funding"]])
    if year is None:
        return None
    return _reason(check, f"Already funded by {ctx.programme_name} in {year}; this funding is granted once only.")


def _not_already_titled(ctx: _Context, check: Mapping[str, Any]) -> Reason | None:
    held = _matching_titles(ctx.held(), check["titles"])
    if not held:
        return None
    first = held[0]
    when = f" in {first.year}" if first.year else ""
    return _reason(check, f"Already named {first.label}{when}; the title is not conferred twice.")


def _holds_title(ctx: _Context, check: Mapping[str, Any]) -> Reason | None:
    if _matching_titles(ctx.held(), check["titles"]):
        return None
    names = ", ".join(t["name_zh"] for t in check["titles"])
    funding = check.get("or_previously_funded")
    if funding is None:
        return _reason(check, f"Holds none of {names}; {ctx.programme_name} requires one of them.")
    funded_year = getattr(ctx.record, FUNDED_YEAR_FIELD[funding])
    funding_name = _funding_name(ctx.policy, funding)
    if funded_year is not None and ctx.record.still_in_post is not False:
        return None
    if funded_year is not None:
        return _reason(check, f"Holds none of {names}; was funded as {funding_name} in {funded_year} "
                              "but is no longer in post.")
    return _reason(check, f"Holds none of {names} and has never received {funding_name} funding; "
                          f"{ctx.programme_name} requires one of these.")


def _min_skill_level(ctx: _Context, check: Mapping[str, Any]) -> Reason | None:
    required = ctx.policy.level_label(check["level"])
    current = ctx.record.current_level
    if current is None:
        return _reason(check, f"Current skill level is unknown; {ctx.programme_name} requires {required} or higher.")
    if is_at_or_above(current, check["level"]):
        return None
    return _reason(check, f"Skill level {ctx.policy.level_label(current)} is below the required {required}.")


def _min_years_of_service(ctx: _Context, check: Mapping[str, Any]) -> Reason | None:
    years = ctx.record.years_of_service
    if years is None:
        return _reason(check, f"Years of service are not recorded; {ctx.programme_name} requires {check['years']}.")
    if years >= check["years"]:
        return None
    return _reason(check, f"{years} years of service, fewer than the required {check['years']}.")


_CHECKS: dict[str, Callable[[_Context, Mapping[str, Any]], Reason | None]] = {
    "union_member": _union_member,
    "front_line": _front_line,
    "not_previously_funded": _not_previously_funded,
    "not_already_titled": _not_already_titled,
    "holds_title": _holds_title,
    "min_skill_level": _min_skill_level,
    "min_years_of_service": _min_years_of_service,
}


def title_matches(held: HeldTitle, title: Mapping[str, Any]) -> bool:
    """A held title matches a policy title by code or by Chinese name."""
    return (held.code is not None and held.code == title["code"]) or (
        held.name_zh is not None and held.name_zh == title["name_zh"]
    )


def _matching_titles(held: Iterable[HeldTitle], titles: Iterable[Mapping[str, Any]]) -> list[HeldTitle]:
    wanted = list(titles)
    return [h for h in held if any(title_matches(h, t) for t in wanted)]


def _funding_name(policy: Policy, funding: str) -> str:
    try:
        return policy.programme(funding)["name_zh"]
    except KeyError:
        return funding
