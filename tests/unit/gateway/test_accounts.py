"""The admin bootstrap and the last-admin rule, on a database of their own."""
import contextlib
import re
import uuid

import mongoengine
import pytest
from mongoengine.connection import get_db
from mongoengine.context_managers import switch_db

from services.gateway import auth
from shared.errors import ServiceError


@contextlib.contextmanager
def on_own_database(document: type, mongodb_uri: str, db_prefix: str):
    """``document`` pointed at a fresh database of the test's own, dropped afterwards."""
    alias = f"unit-gateway-{uuid.uuid4().hex[:8]}"
    mongoengine.connect(db=db_prefix + alias, alias=alias, host=mongodb_uri, uuidRepresentation="standard")
    try:
        with switch_db(document, alias) as switched:
            yield switched
    finally:
        get_db(alias).client.drop_database(db_prefix + alias)
        mongoengine.disconnect(alias)


@pytest.fixture
def users(databases, mongodb_uri, db_prefix):
    """``auth.User`` on a database of the test's own (``databases`` connects the real one)."""
    with on_own_database(auth.User, mongodb_uri, db_prefix) as user_class:
        yield user_class


def _printed_password(text: str) -> str:
    return re.search(r"password: (\S+)", text).group(1)


def test_first_start_without_a_password_creates_the_admin_with_a_generated_one_shown_once(users, capsys):
    auth.bootstrap_admin("root", "")
    password = _printed_password(capsys.readouterr().err)
    stored = users.objects(username="root").first()
    assert stored.role == "admin" and auth.password_matches(stored.password_hash, password)
    assert not auth.password_problems(password, "root")
    auth.bootstrap_admin("root", "")
    assert "password" not in capsys.readouterr().err
    assert users.objects(username="root").first().password_hash == stored.password_hash


def test_a_configured_admin_password_is_used_and_not_printed(users, capsys):
    auth.bootstrap_admin("root", "correct horse battery")
    assert capsys.readouterr().err == ""
    assert auth.password_matches(users.objects(username="root").first().password_hash, "correct horse battery")


def test_an_admin_still_on_the_old_default_password_gets_a_new_one(users, capsys):
    users(username="root", role="admin", password_hash=auth.hash_password("admin-dev-password"),
          created_at=auth.utc_now()).save(force_insert=True)
    auth.bootstrap_admin("root", "")
    stored = users.objects(username="root").first()
    assert not auth.password_matches(stored.password_hash, "admin-dev-password")
    assert auth.password_matches(stored.password_hash, _printed_password(capsys.readouterr().err))
    assert stored.token_version == 1


@pytest.mark.parametrize("change", [{"active": False}, {"role": "organiser"}])
def test_the_last_active_admin_cannot_be_removed(users, change):
    auth.create_user("root", "correct horse battery", "admin")
    auth.create_user("dormant", "correct horse battery", "admin")
    auth.update_user("dormant", {"active": False})
    with pytest.raises(ServiceError) as refused:
        auth.update_user("root", change)
    assert refused.value.code == "CONFLICT" and "no active admin" in refused.value.message
    assert users.objects(username="root").first().active and users.objects(username="root").first().role == "admin"
    auth.create_user("second", "correct horse battery", "admin")
    assert auth.update_user("root", change).public()["active"] is change.get("active", True)
    with pytest.raises(ServiceError):
        auth.update_user("second", change)
    assert auth.update_user("second", {"name": "still the admin"}).name == "still the admin"


@pytest.fixture
def failures(databases, mongodb_uri, db_prefix):
    """``auth.SignInFailure`` on a database of the test's own."""
    with on_own_database(auth.SignInFailure, mongodb_uri, db_prefix) as failure_class:
        yield failure_class


def test_a_burst_recorded_before_any_check_lets_exactly_the_first_attempts_within_the_limit_through(failures):
    """Every attempt of a burst is stored before any throttle check runs (the worst interleaving);
    whatever order the checks then run in, the first ``limit`` attempts go on and the rest are refused."""
    limits = auth.SignInLimits(account_failures=3, account_window=900, address_failures=100, address_window=300)
    burst = [failures(at=auth.utc_now(), username="burst", address="10.0.0.1", reason=auth.UNFINISHED).save()
             for _ in range(7)]
    refused = set()
    for position in reversed(range(len(burst))):
        try:
            auth.refuse_if_throttled("burst", "10.0.0.1", limits, before=burst[position].id)
        except auth.SignInThrottled:
            refused.add(position)
    assert refused == {3, 4, 5, 6}
