"""Password hashing stays off the eventlet hub; the password policy; the throttle's arithmetic."""
from datetime import datetime, timedelta, timezone

import eventlet
import pytest

from services.gateway import auth


def _hub_turns_during(work) -> int:
    """How often another greenthread ran while ``work()`` was running in this one."""
    turns, running = [0], [True]

    def other_request():
        while running[0]:
            turns[0] += 1
            eventlet.sleep(0)

    other = eventlet.spawn(other_request)
    eventlet.sleep(0)
    before = turns[0]
    try:
        work()
    finally:
        running[0] = False
        other.wait()
    return turns[0] - before


def test_hashing_and_verifying_leave_the_hub_free_for_other_requests():
    stored = auth.hash_password("correct horse battery")
    assert _hub_turns_during(lambda: auth.hash_password("another long password")) > 0
    assert _hub_turns_during(lambda: auth.password_matches(stored, "a wrong password!")) > 0
    assert _hub_turns_during(lambda: auth.password_matches(None, "an unknown account")) > 0


def test_password_matches_only_the_right_password_of_a_real_account():
    stored = auth.hash_password("correct horse battery")
    assert auth.password_matches(stored, "correct horse battery")
    assert not auth.password_matches(stored, "correct horse battery!")
    assert not auth.password_matches(None, "not-a-real-password")  # the dummy hash's own password
    assert not auth.password_matches("not a hash", "correct horse battery")


@pytest.mark.parametrize("password, problem", [
    ("short-pw-1", "at least 12 characters"),
    ("aaaabbbbaaaabbbb", "at least 5 different characters"),
    ("judge-wang-2026!", "must not contain the username"),
    ("admin-dev-password", "published default"),
])
def test_password_policy_names_each_problem(password, problem):
    assert problem in " | ".join(auth.password_problems(password, "judge-wang" if "wang" in password else "someone"))


def test_a_good_password_passes_the_policy():
    assert auth.password_problems("correct horse battery", "judge-wang") == []


def test_retry_after_counts_down_from_the_oldest_failure_that_still_counts():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    newest_first = [now - timedelta(seconds=s) for s in (10, 20, 30, 40, 50, 600)]
    assert auth._retry_after(newest_first, 5, 900, now) == 900 - 50
    assert auth._retry_after(newest_first[:4], 5, 900, now) is None
    assert auth._retry_after(newest_first, 5, 40, now) is None  # the fifth is outside the window
    assert auth._retry_after([t.replace(tzinfo=None) for t in newest_first], 5, 900, now) == 850  # as stored
