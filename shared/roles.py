"""The one role check every service makes on the actor the gateway passes along.

The gateway has already checked the route's roles; a service checks again because an RPC caller
is not necessarily the gateway. ``roles`` is exact: a service lists ``admin`` where admins may act.
"""
from __future__ import annotations

from collections.abc import Iterable

from shared.errors import ServiceError


def require_role(actor: dict | None, roles: Iterable[str]) -> None:
    """FORBIDDEN unless ``actor`` holds one of ``roles``."""
    role = (actor or {}).get("role")
    allowed = set(roles)
    if role not in allowed:
        raise ServiceError("FORBIDDEN", f"role '{role}' may not do this; allowed: {', '.join(sorted(allowed))}")
