"""MongoDB through mongoengine: one database per service, one connection alias per service.

Every service talks to a server over the MongoDB wire protocol: MongoDB at ``MONGODB_URI``, or, when
that is empty, the local MongoDB-compatible server that ``python -m services`` starts
(``shared.localdb``) and hands to the services in their configuration.
"""
from __future__ import annotations

import logging

import mongoengine
from mongoengine.connection import get_db
from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)


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
        mongoengine.connect(db=name, alias=alias, host=config["MONGODB_URI"], uuidRepresentation="standard")
    return get_db(alias)


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
