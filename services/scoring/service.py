"""The scoring service."""
from __future__ import annotations

from nameko.rpc import rpc

from shared.db import MongoDatabase, database_health

ALIAS = "scoring"


class ScoringService:
    name = "scoring"

    db = MongoDatabase(ALIAS)

    @rpc
    def health(self) -> dict:
        return {"status": "ok", "database": database_health(ALIAS)}


SERVICE = ScoringService
