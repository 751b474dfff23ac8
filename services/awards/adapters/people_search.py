"""Finding a person on record: the query a committee member's search terms make."""
from __future__ import annotations

import re
from typing import NamedTuple

from shared.errors import ServiceError

SEARCH_TERMS = ("q", "name", "employer", "district", "skill")
SEARCH_TERM_MAX = 100
SHOWN = ("name", "masked_id", "employer", "industry", "district", "skills")


class FoundPeople(NamedTuple):
    total: int
    people: list[dict]


def search_projection() -> dict:
    return dict.fromkeys(SHOWN, 1)


def search_terms(query: dict) -> dict[str, str]:
    """The terms of a people search; refuses a search without any term, or a bad term."""
    terms = {}
    for term in SEARCH_TERMS:
        value = query.get(term)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > SEARCH_TERM_MAX:
            raise ServiceError("VALIDATION_FAILED", f"{term}: a search term is 1..{SEARCH_TERM_MAX} characters",
                               [{"path": f"/{term}", "problem": f"must be text of 1..{SEARCH_TERM_MAX} characters"}])
        terms[term] = value.strip()
    if not terms:
        raise ServiceError("VALIDATION_FAILED", "say what to search: q, name, employer, district or skill",
                           [{"path": "/q", "problem": "no search term given"}])
    return terms


def people_query(q: str | None = None, name: str | None = None, employer: str | None = None,
                 district: str | None = None, skill: str | None = None) -> dict:
    """Every given term must match: name from its start, employer anywhere in it, district and skill
    exactly; ``q`` matches any of these or the whole person key. Terms are matched literally."""
    def by_name(text: str) -> dict:
        return {"name": {"$regex": "^" + re.escape(text)}}

    def by_employer(text: str) -> dict:
        return {"employer": {"$regex": re.escape(text)}}

    clauses: list[dict] = []
    if q:
        clauses.append({"$or": [by_name(q), by_employer(q), {"district": q}, {"skills": q}, {"_id": q}]})
    if name:
        clauses.append(by_name(name))
    if employer:
        clauses.append(by_employer(employer))
    if district:
        clauses.append({"district": district})
    if skill:
        clauses.append({"skills": skill})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
