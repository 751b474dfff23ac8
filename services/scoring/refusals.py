"""How scoring turns located problems into one refusal (the error envelope's code, message, details)."""
from __future__ import annotations

from services.scoring.domain.errors import SchemeInvalid
from services.scoring.domain.marksheet import MAX_DETAILS
from shared.errors import ServiceError

# Which error code a refused batch carries when its problems differ: the most serious wins.
SEVERITY = {"CONFLICT_OF_INTEREST": ("FORBIDDEN", 3), "LOCKED": ("INVALID_STATE", 2)}


def refused(problems: list[dict], what: str) -> ServiceError:
    code, _ = max((SEVERITY.get(p.get("code") or "", ("VALIDATION_FAILED", 1)) for p in problems), key=lambda c: c[1])
    first = problems[0]["problem"]
    message = f"{what}: {first}" if len(problems) == 1 else f"{what}: {len(problems)} problems, nothing was recorded"
    return ServiceError(code, message, problems[:MAX_DETAILS])


def scheme_refused(error: SchemeInvalid, what: str) -> ServiceError:
    details = error.details()
    first = details[0]["problem"] if details else "invalid"
    suffix = f"{first}" if len(details) == 1 else f"{len(details)} problems: {first} ..."
    return ServiceError("VALIDATION_FAILED", f"{what} refused, {suffix}", details)


def check_format(fmt: str, known, served=None) -> None:
    """422 for a ``?format=`` this answer does not come in (``served``: those handled here)."""
    if fmt not in (served or known):
        raise ServiceError("VALIDATION_FAILED", f"format must be one of {', '.join(known)}",
                           [{"path": "/format", "problem": f"unknown format {fmt!r}"}])
