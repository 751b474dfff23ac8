"""Secrets the services need (token signing key, person-key key): never a usable default.

A secret comes from its configuration value (the environment variable of the same name). When it is
missing:

- in production (``ENVIRONMENT=production``) the service refuses to start, naming the variable;
- in a local run it is generated once and kept in the data folder (``shared.datadir``), owner-only,
  so person keys stay stable across restarts and every process of a run reads the same value.

A value that is a known published default is refused everywhere; a weak one (short, low variety) is
refused in production and only warned about in a local run.
"""
from __future__ import annotations

import contextlib
import logging
import os
import secrets as random_source
from pathlib import Path

from nameko.extensions import DependencyProvider

from shared.datadir import data_dir

log = logging.getLogger(__name__)

MIN_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 10
# Values this project once shipped as defaults: anyone can read them, so none may ever sign or key.
KNOWN_DEFAULTS = frozenset({
    "dev-only-token-secret-change-me",
    "dev-only-person-key-secret-change-me",
    "admin-dev-password",
})
_PLACEHOLDERS = ("changeme", "change-me", "change_me")


class SecretProblem(RuntimeError):
    """A secret is missing or unusable; the message names the variable and says what to do."""


def is_production(environ: dict | None = None) -> bool:
    env = os.environ if environ is None else environ
    return (env.get("ENVIRONMENT") or "").strip().lower() == "production"


def known_default(value: str) -> bool:
    lowered = value.strip().lower()
    return lowered in KNOWN_DEFAULTS or any(p in lowered for p in _PLACEHOLDERS)


def weakness(value: str, min_length: int = MIN_LENGTH, min_distinct: int = MIN_DISTINCT_CHARACTERS) -> str | None:
    """Why ``value`` is not fit to be a secret, or None."""
    if not value:
        return "is not set"
    if known_default(value):
        return "is a published default value"
    if len(value) < min_length:
        return f"is shorter than {min_length} characters"
    if len(set(value)) < min_distinct:
        return f"has too little variety (fewer than {min_distinct} different characters)"
    return None


def resolve_secret(name: str, config: dict, environ: dict | None = None) -> str:
    """The value of secret ``name``: configured, or (local runs only) generated once and kept.

    Raises ``SecretProblem`` naming ``name`` when the service must not start.
    """
    value = str(config.get(name) or "").strip()
    production = is_production(environ)
    if value:
        problem = weakness(value)
        if problem and (production or known_default(value)):
            raise SecretProblem(f"{name} {problem}; set {name} to a long random value "
                                f"(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))')")
        if problem:
            log.warning("%s %s: acceptable for a local run only", name, problem)
        return value
    if production:
        raise SecretProblem(f"{name} is not set; with ENVIRONMENT=production every secret must come from "
                            f"the environment (a long random value)")
    return local_secret(name, environ)


def local_secret(name: str, environ: dict | None = None) -> str:
    """The secret kept in the data folder, generated on first use.

    Two processes starting together agree: each writes a complete candidate to a private temporary
    file and hard-links it into place; ``link`` fails if the name exists, so exactly one candidate
    wins and nobody ever reads a half-written file.
    """
    folder = data_dir(environ) / "secrets"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / name
    if not path.exists():
        _publish_once(path, random_source.token_urlsafe(48))
        log.info("generated %s and kept it in %s", name, path)
    value = path.read_text(encoding="utf-8").strip()
    if weakness(value):
        raise SecretProblem(f"{name} kept in {path} {weakness(value)}; delete the file to generate a new one "
                            f"(for PERSON_KEY_SECRET this changes every person key)")
    return value


def _publish_once(path: Path, value: str) -> None:
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{random_source.token_hex(4)}")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process won; its value is the one everybody uses
            os.link(candidate, path)
    finally:
        candidate.unlink(missing_ok=True)


def generate_password() -> str:
    """A password for an account created without one (shown once to whoever starts the system)."""
    return random_source.token_urlsafe(18)



class RequiredSecrets(DependencyProvider):
    """Declares the secrets a service reads from its config and resolves them at container setup.

    The resolved (possibly generated) values are written back into the container's config, so the
    service keeps reading ``self.config[NAME]``. ``python -m services`` runs ``preflight`` before
    starting anything, so a missing or weak secret stops the run with a message naming it.
    """

    def __init__(self, *names: str):
        self.names = names

    def preflight(self, config: dict) -> None:
        resolve_into(config, self.names)

    def setup(self):
        self.preflight(self.container.config)

    def get_dependency(self, worker_ctx) -> tuple[str, ...]:
        return self.names


def resolve_into(config: dict, names) -> None:
    for name in names:
        config[name] = resolve_secret(name, config)


def preflight(*service_classes: type, config: dict) -> None:
    """Run the ``preflight(config)`` check of every dependency provider of the services that has one.

    Raises one ``SecretProblem`` naming every missing or weak secret, before any service starts, so
    no half of the system runs without the other.
    """
    problems = []
    for service_class in service_classes:
        for value in vars(service_class).values():
            if isinstance(value, DependencyProvider) and callable(getattr(value, "preflight", None)):
                try:
                    value.preflight(config)
                except SecretProblem as problem:
                    problems.append(str(problem))
    if problems:
        raise SecretProblem("\n".join(dict.fromkeys(problems)))
