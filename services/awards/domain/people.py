"""A person on record in the awards service, as plain data: what results, profiles and decisions do
to it, and the record the programmes score (``scoring_input``).

The record keeps where each part came from (``sources``: api, import, event or decision) and its
history. No I/O: the handlers load people, apply these rules and store them.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .candidates import achievement_from_result
from .eligibility import FUNDED_YEAR_FIELD
from .honours import Honours, titles_held_from
from .policy import Policy
from .results import Competition, ContestantResult

#: the honours title a programme confers on an approval (funding programmes record a year instead)
PROGRAMME_TITLE = {"shanghai_craftsman": "shanghai_craftsman",
                   "outstanding_technical_expert": "shanghai_outstanding_technical_expert"}
#: the fields of a person the ranked lists and candidate scores read
RANKED_FIELDS = ("scoring_input", "name", "masked_id", "employer", "industry", "district", "skills")


def ranked_projection() -> dict[str, int]:
    return dict.fromkeys(RANKED_FIELDS, 1)


def new_person(person_key: str, now: datetime) -> dict:
    return {"_id": person_key, "person_key": person_key, "name": "", "titles": [], "innovation_awards": [],
            "results": [], "achievement_ids": [], "granted": {}, "conferred": {}, "sources": {}, "history": [],
            "created_at": now, "updated_at": now}


def scoring_input(person: dict) -> dict:
    """The record the programmes score: profile + titles and levels earned by recorded honours."""
    titles = list(person.get("titles") or [])
    seen = {(t.get("code") or t.get("name_zh")) for t in titles}
    for title in person.get("honour_titles") or []:
        if (title.get("code") or title.get("name_zh")) not in seen:
            titles.append({"code": title.get("code"), "name_zh": title.get("name_zh"), "year": title.get("year"),
                           "round_id": title.get("round_id")})
            seen.add(title.get("code") or title.get("name_zh"))
    levels = [lv for lv in (person.get("current_level"), person.get("registration_level"), person.get("promoted_to"))
              if lv is not None]
    return {
        "person_key": person["_id"], "name": person.get("name") or "",
        "employer": person.get("employer"), "industry": person.get("industry"), "district": person.get("district"),
        "union_member": person.get("union_member"), "front_line": person.get("front_line"),
        "current_level": min(levels) if levels else None, "years_of_service": person.get("years_of_service"),
        "titles": titles, "innovation_awards": person.get("innovation_awards") or [],
        "patents": person.get("patents") or 0, "apprentices": person.get("apprentices") or 0,
        "chief_technician_funded_year": person.get("chief_technician_funded_year"),
        "studio_funded_year": person.get("studio_funded_year"), "still_in_post": person.get("still_in_post"),
        "funded_by_round": funded_by_round(person),
        "achievements": person.get("results") or [],
    }


def funded_by_round(person: dict) -> dict[str, str]:
    """Funding field -> the nominee round whose approval set it (funding recorded by a decision)."""
    sources = person.get("sources") or {}
    return {field: sources[field]["round_id"] for field in FUNDED_YEAR_FIELD.values()
            if person.get(field) is not None and (sources.get(field) or {}).get("kind") == "decision"}


def pack(person: dict) -> dict:
    """The person with the parts derived from the record brought up to date, ready to store."""
    granted = person.get("granted") or {}
    person["honour_titles"] = [t for g in granted.values() for t in g.get("titles", [])] + \
        list((person.get("conferred") or {}).values())
    promoted = [g["to_level"] for g in granted.values() if g.get("to_level") is not None]
    person["promoted_to"] = min(promoted) if promoted else None
    person["skills"] = sorted({r["skill"] for r in person.get("results") or [] if r.get("skill")})
    person["scoring_input"] = json.dumps(scoring_input(person), ensure_ascii=False, separators=(",", ":"))
    return person


def merge_profile(person: dict, clean: dict, source: dict) -> dict:
    """``clean`` profile fields written into the person, each with ``source``; the change in its history."""
    changed = [f for f, v in clean.items() if person.get(f) != v]
    for field, value in clean.items():
        person[field] = value
        person.setdefault("sources", {})[field] = source
    person.setdefault("history", []).append({**source, "fields": sorted(clean), "changed": sorted(changed)})
    person["updated_at"] = source["at"]
    return person


def with_result(person: dict, competition: Competition, contestant: ContestantResult, honours: Honours,
                achievement: dict, now: datetime) -> dict:
    """The person after the published result ``achievement`` (the stored achievement document)."""
    code = competition.code
    source = {"kind": "event", "event": "results_published", "competition_code": code,
              "event_id": achievement["event_id"], "revision": achievement["revision"], "at": now}
    for field, value in (("name", contestant.name), ("masked_id", contestant.masked_id),
                         ("employer", contestant.employer)):
        if value and (not person.get(field) or person.get("sources", {}).get(field, {}).get("kind") == "event"):
            person[field] = value
            person.setdefault("sources", {})[field] = source
    if contestant.current_level is not None:
        person["registration_level"] = contestant.current_level
        person.setdefault("sources", {})["registration_level"] = source
    result = achievement_from_result(competition, contestant).__dict__
    person["results"] = [r for r in person.get("results") or [] if r["competition_code"] != code] + [result]
    person["achievement_ids"] = sorted(set(person.get("achievement_ids") or []) | {achievement["_id"]})
    promotion = honours.promotion
    person["granted"] = {**(person.get("granted") or {}), code: {
        "titles": [{**t, "competition_code": code} for t in titles_held_from(honours)],
        "to_level": promotion.to_level if promotion and promotion.determinable else None,
        "cash_yuan": honours.cash_yuan}}
    person["updated_at"] = now
    return person


def without_result(person: dict, code: str, now: datetime) -> dict:
    """The person after a correction left them out of competition ``code``."""
    person["results"] = [r for r in person.get("results") or [] if r["competition_code"] != code]
    person["granted"] = {k: v for k, v in (person.get("granted") or {}).items() if k != code}
    person["updated_at"] = now
    return person


def funded_before(rnd: dict, person: dict) -> int | None:
    """The year a funding programme funded the person before this round (from the record), if any."""
    field = FUNDED_YEAR_FIELD.get(rnd["programme"])
    if field and person.get(field) is not None and funded_by_round(person).get(field) != rnd["_id"]:
        return person[field]
    return None


def approval_recorded(person: dict, round_id: str) -> bool:
    """Whether the person's record already holds their approval in round ``round_id``."""
    return any(h.get("kind") == "decision" and h.get("round_id") == round_id for h in person.get("history") or ())


def with_approval(person: dict, rnd: dict, policy: Policy, source: dict) -> dict:
    """The person after their approval in ``rnd``: the funding year, or the title conferred (once:
    a person whose record holds that approval already is returned as it is)."""
    if approval_recorded(person, rnd["_id"]):
        return person
    field = FUNDED_YEAR_FIELD.get(rnd["programme"])
    if field:
        person[field] = rnd["year"]
        person.setdefault("sources", {})[field] = source
    title_code = PROGRAMME_TITLE.get(rnd["programme"])
    if title_code:
        title = policy.title(title_code) or {"code": title_code, "name_zh": title_code}
        person.setdefault("conferred", {})[rnd["_id"]] = {"code": title_code, "name_zh": title["name_zh"],
                                                          "year": rnd["year"], "round_id": rnd["_id"]}
    person.setdefault("history", []).append({**source, "fields": [field or "titles"], "changed": [field or "titles"]})
    return person


def stored_scoring_input(person: dict) -> dict[str, Any]:
    return json.loads(person["scoring_input"])
