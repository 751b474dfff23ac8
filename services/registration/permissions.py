"""Who may change or read a competition: the domain's standing rules over the stored competition."""
from __future__ import annotations

from services.registration.adapters.documents import Competition
from services.registration.adapters.repository import RegistrationRepository
from services.registration.domain.access import Standing, standing
from shared.errors import ServiceError
from shared.roles import require_role

ORGANISERS = ("organiser", "admin")
READERS = (Standing.OWNER, Standing.MARKING_TEAM)


def owned(repo: RegistrationRepository, actor: dict, code: str) -> Competition:
    """The competition, if ``actor`` is an admin or one of its organisers; FORBIDDEN otherwise."""
    require_role(actor, ORGANISERS)
    doc = repo.competition(code)
    if standing(actor, doc.owners(), ()) is not Standing.OWNER:
        raise ServiceError("FORBIDDEN", f"competition {code} belongs to other organisers; "
                                        "ask one of them or an admin to add you")
    return doc


def visible(repo: RegistrationRepository, actor: dict, code: str,
            allowed: tuple[Standing, ...] = READERS) -> tuple[Competition, Standing]:
    """The competition and where ``actor`` stands, if that standing may read it; FORBIDDEN otherwise."""
    doc = repo.competition(code)
    where = standing(actor, doc.owners(), repo.assigned_usernames(code))
    if where not in allowed:
        raise ServiceError("FORBIDDEN", f"{actor.get('username')} is neither an organiser of {code} "
                                        "nor assigned to it")
    return doc, where
