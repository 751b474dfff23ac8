"""Where a caller stands towards one competition, and what each standing may do in scoring."""
from __future__ import annotations

from services.scoring.adapters.repository import ScoringRepository
from services.scoring.domain.roster import Roster
from shared.errors import ServiceError, not_found

ORGANISERS = ("organiser", "admin")
MARKERS = ("judge", "chief_expert")
CHIEFS = ("chief_expert", "admin")
STAFF = ("organiser", "admin", "judge", "chief_expert", "committee")
SEE_ALL = ("organiser", "admin", "chief_expert")
OWNER, CHIEF, JUDGE, COMMITTEE, OUTSIDER = "owner", "chief", "judge", "committee", "outsider"
MARKING_TEAM = (OWNER, CHIEF, JUDGE)


def state_of(repo: ScoringRepository, code: str, projection: dict | None = None) -> dict:
    doc = repo.state(code, projection)
    if doc is None:
        raise not_found("competition", code)
    return doc


def require_chief(actor: dict, roster: Roster, also=("admin",)) -> None:
    if actor.get("role") in also:
        return
    if actor.get("role") != "chief_expert" or roster.judges.get(str(actor.get("username"))) != "chief_expert":
        raise ServiceError("FORBIDDEN", "only the competition's chief expert may do this")


def standing(repo: ScoringRepository, registration, actor: dict, code: str, doc: dict) -> str:
    """Owner (admin or one of its organisers), its chief expert, one of its judges, committee or outsider."""
    role, user = actor.get("role"), actor.get("username")
    if role == "admin":
        return OWNER
    snap = doc.get("snapshot") or {}
    if role == "organiser":
        if user in (snap.get("organisers") or []):
            return OWNER
        # our copy may lag behind a co-organiser just added (or predate organisers): registration knows
        return OWNER if user in registration.organisers_of(code) else OUTSIDER
    if role in MARKERS:
        assigned = repo.roster(code, doc).judges.get(str(user))
        if assigned is None:
            return OUTSIDER
        return CHIEF if role == assigned == "chief_expert" else JUDGE
    return COMMITTEE if role == "committee" else OUTSIDER


def access(repo: ScoringRepository, registration, actor: dict, code: str, doc: dict,
           allowed: tuple[str, ...]) -> str:
    """Where ``actor`` stands towards ``code``, if that may do this; FORBIDDEN otherwise."""
    where = standing(repo, registration, actor, code, doc)
    if where not in allowed:
        experts = " and its assigned experts" if JUDGE in allowed or CHIEF in allowed else ""
        raise ServiceError("FORBIDDEN", f"{actor.get('username')} may not do this in competition {code}: "
                                        f"it is for its organisers{experts}")
    return where
