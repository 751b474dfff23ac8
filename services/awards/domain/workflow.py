"""Nominee status workflow for one programme round.

::

    nominated ──check_eligibility──▶ eligible | ineligible
    eligible  ──shortlist──▶ shortlisted ──review──▶ reviewed ──publicise──▶ publicised ──approve──▶ approved
    eligible, shortlisted, reviewed, publicised ──reject──▶ rejected

- ``check_eligibility`` may be repeated from eligible or ineligible while the record changes
  (e.g. union membership is added); the outcome is ``context.eligibility_reasons`` (empty =
  eligible). After shortlisting, a problem found later is a ``reject`` with a reason.
- ``publicise`` starts the public notice (公示): ``context.notice_start`` and
  ``context.notice_days`` (default and minimum: the policy's ``workflow.notice_days_min``).
- ``approve`` is refused before the notice period ends: the notice runs on the calendar days
  ``notice_start`` … ``notice_start + notice_days - 1``; approval is possible from
  ``notice_start + notice_days``. ``today`` is a parameter, never the wall clock.
- ``approve`` is refused when it would exceed the quota or the budget
  (``approved_count``/``approved_sum_yuan`` are the round's approvals so far), or when the
  person was already funded by this programme (funding is granted once only).
- ``approved`` and ``rejected`` are final; ``ineligible`` only leaves by a new eligibility check.

The domain sequence for 上海工匠 (review → list → federation approval → 公示) differs from this
order; this module follows the project's brief (公示 before approval).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from .policy import Policy, as_policy


class NomineeStatus(StrEnum):
    NOMINATED = "nominated"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    SHORTLISTED = "shortlisted"
    REVIEWED = "reviewed"
    PUBLICISED = "publicised"
    APPROVED = "approved"
    REJECTED = "rejected"


class NomineeAction(StrEnum):
    CHECK_ELIGIBILITY = "check_eligibility"
    SHORTLIST = "shortlist"
    REVIEW = "review"
    PUBLICISE = "publicise"
    APPROVE = "approve"
    REJECT = "reject"


S, A = NomineeStatus, NomineeAction

# (status, action) -> next status; check_eligibility's outcome is decided by the context.
TRANSITIONS: dict[tuple[NomineeStatus, NomineeAction], NomineeStatus | None] = {
    (S.NOMINATED, A.CHECK_ELIGIBILITY): None,
    (S.ELIGIBLE, A.CHECK_ELIGIBILITY): None,
    (S.INELIGIBLE, A.CHECK_ELIGIBILITY): None,
    (S.ELIGIBLE, A.SHORTLIST): S.SHORTLISTED,
    (S.SHORTLISTED, A.REVIEW): S.REVIEWED,
    (S.REVIEWED, A.PUBLICISE): S.PUBLICISED,
    (S.PUBLICISED, A.APPROVE): S.APPROVED,
    (S.ELIGIBLE, A.REJECT): S.REJECTED,
    (S.SHORTLISTED, A.REJECT): S.REJECTED,
    (S.REVIEWED, A.REJECT): S.REJECTED,
    (S.PUBLICISED, A.REJECT): S.REJECTED,
}

FINAL_STATUSES = frozenset({S.APPROVED, S.REJECTED})


class WorkflowError(Exception):
    """An action refused: ``code`` is stable (for the error envelope), ``message`` is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DecisionContext:
    """What a decision needs to know besides the current status. Build it with :func:`decision_context`."""

    min_notice_days: int | None = None  # from policy workflow.notice_days_min
    today: date | None = None
    eligibility_reasons: Sequence[Any] | None = None  # for check_eligibility
    notice_start: date | None = None  # for publicise and approve
    notice_days: int | None = None  # None: min_notice_days
    reason: str | None = None  # for reject
    quota: int | None = None
    budget_yuan: int | None = None
    amount_yuan: int = 0  # what approving this nominee commits
    approved_count: int = 0  # approvals so far in this programme round
    approved_sum_yuan: int = 0
    funded_before_year: int | None = None  # this person already funded by this programme


def decision_context(policy: Policy | Mapping[str, Any], **values: Any) -> DecisionContext:
    """A context whose notice rule comes from ``policy``."""
    return DecisionContext(min_notice_days=as_policy(policy).notice_days_min, **values)


def allowed_actions(status: str) -> tuple[NomineeAction, ...]:
    current = _status(status)
    return tuple(action for (from_status, action) in TRANSITIONS if from_status == current)


def notice_ends_on(notice_start: date, notice_days: int) -> date:
    """The first day after the public notice: approval is possible from this day."""
    return notice_start + timedelta(days=notice_days)


def decide(current_status: str, action: str, context: DecisionContext | None = None) -> NomineeStatus:
    """The status after ``action``; raises :class:`WorkflowError` when the action is not allowed."""
    context = context or DecisionContext()
    current, act = _status(current_status), _action(action)
    if (current, act) not in TRANSITIONS:
        raise WorkflowError("ILLEGAL_TRANSITION", _illegal_message(current, act))
    guard = _GUARDS.get(act)
    if guard:
        guard(context)
    return _outcome(current, act, context)


def _status(value: str) -> NomineeStatus:
    try:
        return NomineeStatus(value)
    except ValueError:
        raise WorkflowError("UNKNOWN_STATUS", f"unknown nominee status {value!r}") from None


def _action(value: str) -> NomineeAction:
    try:
        return NomineeAction(value)
    except ValueError:
        raise WorkflowError("UNKNOWN_ACTION", f"unknown action {value!r}") from None


def _illegal_message(current: NomineeStatus, action: NomineeAction) -> str:
    if current in FINAL_STATUSES:
        return f"a nominee who is {current} is final; cannot {action}"
    allowed = ", ".join(allowed_actions(current)) or "none"
    return f"cannot {action} a nominee who is {current} (allowed: {allowed})"


def _outcome(current: NomineeStatus, action: NomineeAction, context: DecisionContext) -> NomineeStatus:
    if action is A.CHECK_ELIGIBILITY:
        return S.INELIGIBLE if context.eligibility_reasons else S.ELIGIBLE
    following = TRANSITIONS[(current, action)]
    assert following is not None, "only check_eligibility's outcome depends on the context"
    return following


# ---------------------------------------------------------------------------------------------
# guards


def _guard_eligibility(context: DecisionContext) -> None:
    if context.eligibility_reasons is None:
        raise WorkflowError("ELIGIBILITY_NOT_CHECKED", "check_eligibility needs the eligibility reasons (empty = eligible)")


def _guard_reject(context: DecisionContext) -> None:
    if not (context.reason or "").strip():
        raise WorkflowError("REASON_REQUIRED", "a rejection must state its reason")


def _notice_days(context: DecisionContext) -> int:
    if context.min_notice_days is None:
        raise WorkflowError("NOTICE_RULE_MISSING", "the policy's minimum notice days are needed (use decision_context)")
    return context.notice_days if context.notice_days is not None else context.min_notice_days


def _guard_publicise(context: DecisionContext) -> None:
    if context.notice_start is None:
        raise WorkflowError("NOTICE_REQUIRED", "publicising needs the notice start date")
    days = _notice_days(context)
    if context.min_notice_days is not None and days < context.min_notice_days:
        raise WorkflowError("NOTICE_TOO_SHORT",
                            f"a public notice (公示) lasts at least {context.min_notice_days} days, not {days}")


def _guard_approve(context: DecisionContext) -> None:
    _guard_notice_over(context)
    _guard_not_funded_before(context)
    _guard_quota(context)
    _guard_budget(context)


def _guard_notice_over(context: DecisionContext) -> None:
    if context.notice_start is None or context.today is None:
        raise WorkflowError("NOTICE_REQUIRED", "approval needs the notice start date and today's date")
    ends = notice_ends_on(context.notice_start, _notice_days(context))
    if context.today < ends:
        raise WorkflowError("NOTICE_PERIOD_NOT_ENDED",
                            f"the public notice that started {context.notice_start.isoformat()} runs until "
                            f"{(ends - timedelta(days=1)).isoformat()}; approval is possible from {ends.isoformat()}")


def _guard_not_funded_before(context: DecisionContext) -> None:
    if context.funded_before_year is not None:
        raise WorkflowError("ALREADY_FUNDED",
                            f"already funded by this programme in {context.funded_before_year}; funded once only")


def _guard_quota(context: DecisionContext) -> None:
    if context.quota is not None and context.approved_count + 1 > context.quota:
        raise WorkflowError("QUOTA_EXCEEDED",
                            f"{context.approved_count} approved already; the quota is {context.quota}")


def _guard_budget(context: DecisionContext) -> None:
    if context.budget_yuan is None:
        return
    after = context.approved_sum_yuan + context.amount_yuan
    if after > context.budget_yuan:
        raise WorkflowError("BUDGET_EXCEEDED",
                            f"approving ¥{context.amount_yuan:,} would commit ¥{after:,} of a ¥{context.budget_yuan:,} budget")


_GUARDS = {
    A.CHECK_ELIGIBILITY: _guard_eligibility,
    A.REJECT: _guard_reject,
    A.PUBLICISE: _guard_publicise,
    A.APPROVE: _guard_approve,
}
