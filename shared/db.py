"""MongoDB through mongoengine: one database per service, one connection alias per service.

Every service talks to a server over the MongoDB wire protocol: MongoDB at ``MONGODB_URI``, or, when
that is empty, the local MongoDB-compatible server that ``python -m services`` starts
(``shared.localdb``) and hands to the services in their configuration.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import mongoengine
from mongoengine.connection import get_db
from nameko.extensions import DependencyProvider

from shared.roundtrips import listeners_from_environment

log = logging.getLogger(__name__)
EXPIRES_AT = "expires_at"
_indexed: set[tuple[str, str, str]] = set()


class DatabaseNotConfigured(RuntimeError):
    """A service was started with no database to talk to."""


def needs_local_server(config: dict) -> bool:
    """Whether ``MONGODB_URI`` is empty, so the local server must be started for this system."""
    return not (config.get("MONGODB_URI") or "").strip()


def connect_database(alias: str, config: dict):
    """Connect ``alias`` once per process and return its database handle."""
    if alias not in mongoengine.connection._connection_settings:
        if needs_local_server(config):
            raise DatabaseNotConfigured(
                "MONGODB_URI is empty: start the system with `python -m services` (it starts the local "
                "database server) or set MONGODB_URI to a MongoDB server")
        name = f"{config.get('MONGODB_DB_PREFIX') or 'skills_'}{alias}"
        mongoengine.connect(db=name, alias=alias, host=config["MONGODB_URI"], uuidRepresentation="standard",
                            event_listeners=listeners_from_environment())
    return get_db(alias)


def ensure_index_once(collection, keys, **options) -> None:
    """``create_index`` the first time this process asks for it on this collection (idempotent anyway)."""
    marker = (collection.database.name, collection.name, repr((keys, sorted(options.items()))))
    if marker not in _indexed:
        collection.create_index(keys, **options)
        _indexed.add(marker)


def expires_after(now: datetime, seconds: float) -> dict:
    """The field that the expiry index (``ensure_expiry_index``) removes the document by."""
    return {EXPIRES_AT: now + timedelta(seconds=seconds)}


def ensure_expiry_index(collection) -> None:
    """A TTL index: the server deletes a document once its ``expires_at`` has passed (never without one)."""
    ensure_index_once(collection, EXPIRES_AT, expireAfterSeconds=0, name="expiry")


def database_health(alias: str) -> dict:
    """Whether the service's database answers a round trip."""
    try:
        get_db(alias).command("ping")
        return {"status": "ok"}
    except Exception as exc:  # any driver failure means "down" to a health check
        return {"status": "down", "problem": type(exc).__name__}


class MongoDatabase(DependencyProvider):
    """Connects the service's alias at container setup; workers get the database handle."""

    def __init__(self, alias: str):
        self.alias = alias

    def setup(self):
        connect_database(self.alias, self.container.config)

    def get_dependency(self, worker_ctx):
        return get_db(self.alias)
