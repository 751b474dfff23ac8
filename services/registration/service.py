"""The registration service."""
from __future__ import annotations

from nameko.rpc import rpc

from shared.db import MongoDatabase, database_health

ALIAS = "registration"


class RegistrationService:
    name = "registration"

    db = MongoDatabase(ALIAS)

    @rpc
    def health(self) -> dict:
        return {"status": "ok", "database": database_health(ALIAS)}


SERVICE = RegistrationService
