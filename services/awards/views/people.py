"""People on record: a person's whole record with its sources, and the people search."""
from __future__ import annotations

from services.awards.adapters.people_search import SEARCH_TERMS, people_query, search_terms
from services.awards.adapters.repository import AwardsRepository, as_json
from services.awards.domain.people import scoring_input
from services.awards.domain.profiles import PROFILE_FIELDS
from services.awards.views.paging import paging
from shared.errors import not_found

ID_READERS = ("committee", "admin")  # read the masked ID number; organisers key people by person_key only


def without_masked_id(value):
    """``value`` with every ``masked_id`` left out, however deep (profiles, their history, sources)."""
    if isinstance(value, dict):
        return {k: without_masked_id(v) for k, v in value.items() if k != "masked_id"}
    if isinstance(value, list):
        return [without_masked_id(v) for v in value]
    return value


def for_reader(actor: dict, answer: dict) -> dict:
    """A person's data as ``actor`` may read it: the masked ID number is for the committee and admins.

    Organisers see the birth date of their own contestants in registration; a masked ID from here
    beside it would be the whole ID number of anybody they could name by person key.
    """
    return answer if (actor or {}).get("role") in ID_READERS else without_masked_id(answer)


def profile_view(person: dict) -> dict:
    return {field: person.get(field) for field in PROFILE_FIELDS} | {"masked_id": person.get("masked_id")}


def search_people(repo: AwardsRepository, query: dict) -> dict:
    page, per_page = paging(query)
    repo.ensure_indexes()
    found = repo.search_people(people_query(**search_terms(query)), (page - 1) * per_page, per_page)
    return {"query": {k: query[k] for k in SEARCH_TERMS if query.get(k)}, "page": page, "per_page": per_page,
            "total": found.total, "items": [as_json({
                "person_key": p["_id"], "name": p.get("name"), "masked_id": p.get("masked_id"),
                "employer": p.get("employer"), "industry": p.get("industry"), "district": p.get("district"),
                "skills": p.get("skills") or []}) for p in found.people]}


def _achievement_view(doc: dict) -> dict:
    result = doc["result"]
    return {
        "competition": doc["competition"], "status": doc.get("status", "current"),
        "rank": result.get("rank"), "medal": result.get("medal"), "medallion": result.get("medallion"),
        "scale": result.get("scale"), "raw": result.get("raw"), "employment": result.get("employment"),
        "team": result.get("team"), "level_at_registration": doc.get("level_at_registration"),
        "honours": doc.get("honours") or None,
        "source": {"event": "results_published", "event_id": doc.get("event_id"),
                   "revision": doc.get("revision"), "recorded_at": doc.get("recorded_at")},
        "corrected": bool(doc.get("superseded")), "superseded": doc.get("superseded") or [],
    }


def person_record(repo: AwardsRepository, person_key: str) -> dict:
    """Everything known about a person and where each part came from."""
    person = repo.person(person_key)
    if person is None:
        raise not_found("person", person_key)
    found = repo.achievements_by_ids(person.get("achievement_ids") or [])
    achievements = sorted(found.values(), key=lambda d: (-(d["competition"].get("year") or 0), d["_id"]))
    granted = person.get("granted") or {}
    return as_json({
        "person_key": person_key, "masked_id": person.get("masked_id"), "name": person.get("name"),
        "profile": profile_view(person), "profile_sources": person.get("sources") or {},
        "profile_history": person.get("history") or [],
        "effective_level": scoring_input(person)["current_level"],
        "achievements": [_achievement_view(doc) for doc in achievements],
        "honours": {"titles": person.get("honour_titles") or [], "promoted_to": person.get("promoted_to"),
                    "cash_yuan": sum(g.get("cash_yuan") or 0 for g in granted.values()),
                    "from_competitions": granted},
        "nominations": [{"round_id": n["round_id"], "programme": n.get("programme"), "year": n.get("year"),
                         "channel": n.get("channel"), "status": n.get("status"), "history": n.get("history")}
                        for n in repo.nominations_of_person(person_key)],
    })
