"""Domain problems as the shared error envelope."""
from __future__ import annotations

from services.registration.domain.errors import ENVELOPE_CODE, RegistrationRuleError, RowProblem
from shared.errors import ServiceError


def rule_error(error: RegistrationRuleError) -> ServiceError:
    return ServiceError(ENVELOPE_CODE.get(error.code, "VALIDATION_FAILED"), error.message,
                        [d.as_detail() for d in error.details])


def roster_error(problems: list[RowProblem], collection: str | None, what: str) -> ServiceError:
    """One refusal listing every problem; the envelope code is the shared one when they agree."""
    codes = {ENVELOPE_CODE.get(p.code, "VALIDATION_FAILED") for p in problems}
    code = codes.pop() if len(codes) == 1 else ("INVALID_STATE" if "INVALID_STATE" in codes else "VALIDATION_FAILED")
    details = [p.as_detail(collection) if collection else
               {"path": f"/{p.column}" if p.column else "/", "problem": p.problem, "code": p.code} for p in problems]
    first = problems[0].problem
    message = f"{what}: {first}" if len(problems) == 1 else f"{what}: {len(problems)} problems, nothing was registered"
    return ServiceError(code, message, details)
