"""MongoDB through mongoengine: one database per service, one connection alias per service.

With ``MONGODB_URI`` empty the service runs on the in-process engine (mongomock), which is what the
test suite and the embedded default use; production code must not rely on anything only it allows.
"""
from __future__ import annotations

import logging

import mongoengine
from mongoengine.connection import get_db
from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)


def uses_in_process_engine(config: dict) -> bool:
    return not (config.get("MONGODB_URI") or "").strip()


def connect_database(alias: str, config: dict):
    """Connect ``alias`` once per process and return its database handle."""
    if alias not in mongoengine.connection._connection_settings:
        name = f"{config.get('MONGODB_DB_PREFIX') or 'skills_'}{alias}"
        if uses_in_process_engine(config):
            import mongomock

            mongoengine.connect(db=name, alias=alias, mongo_client_class=mongomock.MongoClient,
                                uuidRepresentation="standard")
        else:
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
