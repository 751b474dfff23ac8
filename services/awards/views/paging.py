"""Pages of a list: ``page`` from 1, ``per_page`` up to ``MAX_PER_PAGE``."""
from __future__ import annotations

from shared.errors import ServiceError

MAX_PER_PAGE = 200


def paging(query: dict) -> tuple[int, int]:
    try:
        page = int(query.get("page") or 1)
        per_page = int(query.get("per_page") or 50)
    except (TypeError, ValueError):
        raise ServiceError("VALIDATION_FAILED", "page and per_page must be whole numbers",
                           [{"path": "/page", "problem": "not a whole number"}]) from None
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ServiceError("VALIDATION_FAILED", f"page starts at 1; per_page is 1..{MAX_PER_PAGE}",
                           [{"path": "/per_page", "problem": f"must be 1..{MAX_PER_PAGE}"}])
    return page, per_page
