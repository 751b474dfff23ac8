"""Commands of the awards service, one module per area: load -> domain -> save the state and its
events in one write (the outbox in the changed document), then the projections follow.

Handlers get the worker (``Worker``): its repository, its event dispatcher and outbox, its clock.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

from pymongo.database import Database
from pymongo.results import UpdateResult

from services.awards.adapters.repository import AwardsRepository


class Worker(Protocol):
    """What a handler uses of the service worker."""

    repo: AwardsRepository
    dispatch: Callable[[str, dict], None]
    today: Callable[[], date]

    @property
    def db(self) -> Database: ...

    def _update_with_event(self, collection: str, doc_id: Any, condition: dict, update: dict, name: str,
                           payload: dict) -> UpdateResult: ...
