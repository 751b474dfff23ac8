"""The scoring service as nameko's ``worker_factory`` builds it over a given database handle."""
from __future__ import annotations

from nameko.testing.services import worker_factory

from services.scoring.adapters.repository import ScoringRepository
from services.scoring.service import ScoringService


def scoring_worker(database, test_config, **dependencies):
    """A worker whose database and repository use ``database`` (registration's RPC is a mock)."""
    return worker_factory(ScoringService, db=database, repo=ScoringRepository(database), config=test_config,
                          **dependencies)
