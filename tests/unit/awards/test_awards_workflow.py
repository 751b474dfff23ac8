"""Nominee status workflow: legal paths, refusals and their codes."""
from datetime import date

import pytest

from services.awards.domain.workflow import (
    DecisionContext,
    NomineeStatus,
    WorkflowError,
    allowed_actions,
    decide,
    decision_context,
    notice_ends_on,
)

START = date(2023, 9, 1)


def _refused(status, action, context=None) -> str:
    with pytest.raises(WorkflowError) as raised:
        decide(status, action, context)
    return raised.value.code


def _approval(policy, **values):
    base = dict(today=date(2023, 9, 6), notice_start=START, quota=2, budget_yuan=100_000, amount_yuan=50_000)
    return decision_context(policy, **(base | values))


def test_full_path_to_approval(policy):
    status = decide("nominated", "check_eligibility", DecisionContext(eligibility_reasons=[]))
    assert status == NomineeStatus.ELIGIBLE == "eligible"
    status = decide(status, "shortlist")
    status = decide(status, "review")
    status = decide(status, "publicise", decision_context(policy, notice_start=START))
    assert status == "publicised"
    assert decide(status, "approve", _approval(policy)) == "approved"


def test_eligibility_outcome_follows_the_reasons():
    reasons = [{"code": "NOT_UNION_MEMBER", "message": "..."}]
    assert decide("nominated", "check_eligibility", DecisionContext(eligibility_reasons=reasons)) == "ineligible"
    # a corrected record can be re-checked before shortlisting
    assert decide("ineligible", "check_eligibility", DecisionContext(eligibility_reasons=[])) == "eligible"
    assert decide("eligible", "check_eligibility", DecisionContext(eligibility_reasons=reasons)) == "ineligible"
    assert _refused("nominated", "check_eligibility") == "ELIGIBILITY_NOT_CHECKED"


@pytest.mark.parametrize("status", ["eligible", "shortlisted", "reviewed", "publicised"])
def test_reject_from_each_open_status(status):
    assert decide(status, "reject", DecisionContext(reason="评审未通过")) == "rejected"


def test_reject_needs_a_reason():
    assert _refused("reviewed", "reject", DecisionContext(reason="  ")) == "REASON_REQUIRED"


@pytest.mark.parametrize("status, action", [
    ("nominated", "shortlist"),
    ("nominated", "reject"),
    ("ineligible", "shortlist"),
    ("ineligible", "reject"),
    ("eligible", "review"),
    ("shortlisted", "publicise"),
    ("reviewed", "approve"),
    ("shortlisted", "check_eligibility"),
    ("approved", "reject"),
    ("rejected", "check_eligibility"),
    ("approved", "approve"),
])
def test_illegal_transitions(status, action):
    assert _refused(status, action, DecisionContext(reason="x", eligibility_reasons=[])) == "ILLEGAL_TRANSITION"


def test_final_status_message():
    with pytest.raises(WorkflowError) as raised:
        decide("approved", "reject", DecisionContext(reason="x"))
    assert "final" in raised.value.message


def test_unknown_status_and_action():
    assert _refused("archived", "approve") == "UNKNOWN_STATUS"
    assert _refused("reviewed", "fast_track") == "UNKNOWN_ACTION"


def test_allowed_actions():
    assert set(allowed_actions("eligible")) == {"check_eligibility", "shortlist", "reject"}
    assert allowed_actions("approved") == ()


def test_publicise_needs_start_and_at_least_the_policy_days(policy):
    assert _refused("reviewed", "publicise", decision_context(policy)) == "NOTICE_REQUIRED"
    assert _refused("reviewed", "publicise", decision_context(policy, notice_start=START, notice_days=3)) \
        == "NOTICE_TOO_SHORT"
    assert decide("reviewed", "publicise", decision_context(policy, notice_start=START, notice_days=7)) == "publicised"
    assert _refused("reviewed", "publicise", DecisionContext(notice_start=START)) == "NOTICE_RULE_MISSING"


def test_approval_waits_for_the_end_of_the_notice(policy):
    assert notice_ends_on(START, 5) == date(2023, 9, 6)
    assert _refused("publicised", "approve", _approval(policy, today=date(2023, 9, 5))) == "NOTICE_PERIOD_NOT_ENDED"
    assert decide("publicised", "approve", _approval(policy, today=date(2023, 9, 6))) == "approved"
    longer = _approval(policy, today=date(2023, 9, 6), notice_days=7)
    assert _refused("publicised", "approve", longer) == "NOTICE_PERIOD_NOT_ENDED"
    assert _refused("publicised", "approve", _approval(policy, today=None)) == "NOTICE_REQUIRED"


def test_approval_within_quota_and_budget(policy):
    assert _refused("publicised", "approve", _approval(policy, approved_count=2)) == "QUOTA_EXCEEDED"
    assert _refused("publicised", "approve", _approval(policy, approved_count=1, approved_sum_yuan=60_000)) \
        == "BUDGET_EXCEEDED"
    assert decide("publicised", "approve", _approval(policy, approved_count=1, approved_sum_yuan=50_000)) == "approved"
    assert decide("publicised", "approve", _approval(policy, quota=None, budget_yuan=None, approved_count=500)) \
        == "approved"


def test_funded_once_only(policy):
    with pytest.raises(WorkflowError) as raised:
        decide("publicised", "approve", _approval(policy, funded_before_year=2021))
    assert raised.value.code == "ALREADY_FUNDED" and "2021" in raised.value.message
