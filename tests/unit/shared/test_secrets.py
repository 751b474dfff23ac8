"""Secret resolution: nothing published is ever in effect, production refuses, local runs generate once."""
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from shared.config import ROOT
from shared.secrets import KNOWN_DEFAULTS, SecretProblem, local_secret, preflight, resolve_secret, weakness

STRONG = "vQ3-xZ9_kP2mR7tY4wB8nC1dF6gH0jL5sA"
PRODUCTION = {"ENVIRONMENT": "production"}


@pytest.fixture
def local(tmp_path) -> dict:
    return {"DATA_DIR": str(tmp_path / "data")}


@pytest.mark.parametrize("value, problem", [
    ("", "is not set"),
    ("dev-only-token-secret-change-me", "published default"),
    ("please-changeme-0123456789abcdefghijkl", "published default"),
    ("short-but-varied-9", "shorter than 32"),
    ("ab" * 20, "too little variety"),
])
def test_weak_secrets_are_named_for_what_is_wrong(value, problem):
    assert problem in weakness(value)


def test_a_long_random_value_is_not_weak():
    assert weakness(STRONG) is None


@pytest.mark.parametrize("value", ["", "   "])
def test_production_refuses_a_missing_secret_naming_it(value):
    with pytest.raises(SecretProblem, match="^TOKEN_SECRET is not set"):
        resolve_secret("TOKEN_SECRET", {"TOKEN_SECRET": value}, PRODUCTION)


@pytest.mark.parametrize("value", ["test-token-secret", "a" * 64, "dev-only-person-key-secret-change-me"])
def test_production_refuses_a_weak_secret_naming_it(value):
    with pytest.raises(SecretProblem, match="^PERSON_KEY_SECRET (is|has)"):
        resolve_secret("PERSON_KEY_SECRET", {"PERSON_KEY_SECRET": value}, PRODUCTION)


def test_production_takes_a_strong_secret_and_writes_nothing(local):
    assert resolve_secret("TOKEN_SECRET", {"TOKEN_SECRET": STRONG}, {**PRODUCTION, **local}) == STRONG
    assert resolve_secret("TOKEN_SECRET", {"TOKEN_SECRET": STRONG}, local) == STRONG


@pytest.mark.parametrize("value", sorted(KNOWN_DEFAULTS))
def test_a_published_default_is_refused_even_in_a_local_run(value, local):
    with pytest.raises(SecretProblem, match="^TOKEN_SECRET is a published default"):
        resolve_secret("TOKEN_SECRET", {"TOKEN_SECRET": value}, local)


def test_a_local_run_accepts_an_explicit_weak_value_for_tests(local):
    assert resolve_secret("TOKEN_SECRET", {"TOKEN_SECRET": "test-token-secret"}, local) == "test-token-secret"


def test_a_local_run_generates_a_secret_once_and_keeps_it_owner_only(local, tmp_path):
    first = resolve_secret("PERSON_KEY_SECRET", {"PERSON_KEY_SECRET": ""}, local)
    again = resolve_secret("PERSON_KEY_SECRET", {}, local)
    assert first == again and weakness(first) is None
    kept = tmp_path / "data" / "secrets" / "PERSON_KEY_SECRET"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert resolve_secret("TOKEN_SECRET", {}, local) != first  # each secret its own value
    assert sorted(p.name for p in kept.parent.iterdir()) == ["PERSON_KEY_SECRET", "TOKEN_SECRET"]  # no leftovers


def test_a_process_that_loses_the_race_uses_the_winners_secret(local, tmp_path, monkeypatch):
    """Both saw no file; the other process published first: this one must not overwrite it."""
    winner = local_secret("TOKEN_SECRET", local)
    monkeypatch.setattr(Path, "exists", lambda self: False)
    assert local_secret("TOKEN_SECRET", local) == winner
    assert sorted(p.name for p in (tmp_path / "data" / "secrets").iterdir()) == ["TOKEN_SECRET"]


def test_a_tampered_kept_secret_is_refused(local, tmp_path):
    local_secret("TOKEN_SECRET", local)
    (tmp_path / "data" / "secrets" / "TOKEN_SECRET").write_text("dev-only-token-secret-change-me\n")
    with pytest.raises(SecretProblem, match="TOKEN_SECRET kept in"):
        local_secret("TOKEN_SECRET", local)


def test_preflight_refuses_each_service_missing_its_secret_in_production(monkeypatch):
    from services.gateway.service import GatewayService
    from services.registration.service import RegistrationService

    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(SecretProblem) as refused:
        preflight(GatewayService, RegistrationService, config={"ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": "admin-dev-password"})
    assert [line.split(" ")[0] for line in str(refused.value).splitlines()] == [
        "TOKEN_SECRET", "ADMIN_PASSWORD", "PERSON_KEY_SECRET"]
    config = {"TOKEN_SECRET": STRONG, "PERSON_KEY_SECRET": STRONG[::-1], "ADMIN_USERNAME": "admin",
              "ADMIN_PASSWORD": "correct horse battery staple"}
    preflight(GatewayService, RegistrationService, config=config)
    assert config["TOKEN_SECRET"] == STRONG


def test_the_platform_refuses_a_production_start_naming_what_is_missing(tmp_path):
    environ = {**os.environ, "ENVIRONMENT": "production", "TOKEN_SECRET": "short", "PERSON_KEY_SECRET": "",
               "DATA_DIR": str(tmp_path), "AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/"}
    started = subprocess.run([sys.executable, "-W", "ignore", "-m", "services"], env=environ, cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert started.returncode == 2, started.stderr
    assert "TOKEN_SECRET is shorter than 32 characters" in started.stderr
    assert "PERSON_KEY_SECRET is not set" in started.stderr
    assert not any(tmp_path.iterdir())  # production never generates secrets
