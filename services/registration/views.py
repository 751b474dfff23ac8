"""Registration's queries: what each caller may read, shaped for the API and for the other services."""
from __future__ import annotations

from services.registration.adapters.documents import Competition
from services.registration.adapters.repository import RegistrationRepository
from services.registration.domain import conflicts as conflict_rules
from services.registration.domain import roster
from services.registration.domain.access import Standing, contestant_view
from services.registration.permissions import owned, visible

EXPERTS = ("judge", "chief_expert")
LISTED_FILTERS = ("status", "tier", "event")


def list_competitions(repo: RegistrationRepository, actor: dict, filters: dict | None) -> dict:
    """Every competition; judges and chief experts see only those they are assigned to."""
    query = {k: v for k, v in (filters or {}).items() if k in LISTED_FILTERS and v}
    if actor.get("role") in EXPERTS:
        query["code__in"] = repo.competitions_of_expert(str(actor.get("username")))
    return {"items": [c.as_dict() for c in repo.competitions(query)]}


def get_competition(repo: RegistrationRepository, actor: dict, code: str) -> dict:
    doc = repo.competition(code)
    if actor.get("role") in EXPERTS:
        visible(repo, actor, code)
    domain = doc.as_domain()
    contestants = [c.as_domain() for c in repo.active_contestants(code)]
    return {**doc.as_dict(), "entries": roster.count_entries(domain, contestants),
            "remaining_places": roster.remaining_places(domain, contestants),
            "incomplete_teams": roster.incomplete_teams(domain, contestants)}


def list_organisers(repo: RegistrationRepository, actor: dict, code: str) -> dict:
    return {"competition_code": code, "items": owned(repo, actor, code).owners()}


def list_contestants(repo: RegistrationRepository, actor: dict, code: str, include_withdrawn: bool) -> dict:
    """The contestants as the caller's standing may read them (see ``domain.access``)."""
    _, where = visible(repo, actor, code, (Standing.OWNER, Standing.MARKING_TEAM, Standing.COMMITTEE))
    return {"items": [contestant_view(c.public(), where) for c in repo.contestants(code, include_withdrawn)]}


def list_judges(repo: RegistrationRepository, actor: dict, code: str) -> dict:
    visible(repo, actor, code)
    return {"items": sorted(repo.judges_of(code), key=lambda j: (j["role"], j["username"]))}


def list_conflicts(repo: RegistrationRepository, actor: dict, code: str) -> dict:
    doc, _ = visible(repo, actor, code)
    return {"competition_code": code, "relations": doc.conflict_relations,
            "items": [{"judge": c.judge, "contestant_id": c.contestant_id, "reasons": c.reasons, "notes": c.notes}
                      for c in _derived(repo, doc)]}


def current_conflicts(repo: RegistrationRepository, doc: Competition) -> list[dict]:
    """The conflicts as ``conflicts_updated`` and the roster snapshot carry them."""
    return [{"judge": c.judge, "contestant_id": c.contestant_id, "reasons": list(c.reasons)}
            for c in _derived(repo, doc)]


def _derived(repo: RegistrationRepository, doc: Competition) -> list:
    contestants = [c.event_view() for c in repo.active_contestants(doc.code)]
    return conflict_rules.derive_conflicts(doc.conflict_relations, repo.judges_of(doc.code), contestants,
                                           repo.declared_conflicts(doc.code))


def roster_snapshot(repo: RegistrationRepository, code: str) -> dict:
    """Everything another service needs to know who may mark whom, as of now.

    The same shapes as the events carry (no resident ID numbers); ``conflicts_revision`` orders
    this snapshot against ``conflicts_updated`` events.
    """
    doc = repo.competition(code)
    return {"competition": doc.snapshot(),
            "contestants": [c.event_view() for c in repo.active_contestants(code)],
            "withdrawn": repo.withdrawn_ids(code),
            "judges": repo.judges_of(code),
            "conflicts": current_conflicts(repo, doc),
            "conflicts_revision": repo.conflicts_revision(code)}
