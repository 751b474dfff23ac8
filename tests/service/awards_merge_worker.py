"""One instance of the awards service merging rows into a round's ranked lists, in a process of its own
(``tests/service/test_awards_ranking_lease.py`` runs two at once against the same database server).

``python -m tests.service.awards_merge_worker <mongodb uri> <database> <round> <tag> <start at> <person key>...``:
from the wall-clock time ``start at`` on, moves each person's row in the round (renamed ``<tag>``
so the test can tell whose merge each stored row comes from), one merge at a time, through the
projection's own ``move_row``.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import sys  # noqa: E402
import time  # noqa: E402

from pymongo import MongoClient  # noqa: E402

from services.awards.adapters.repository import AwardsRepository  # noqa: E402
from services.awards.domain.people import ranked_projection  # noqa: E402
from services.awards.projections.ranking import candidate, move_row  # noqa: E402


def main(uri: str, database: str, round_id: str, tag: str, start_at: float, keys: list[str]) -> None:
    with MongoClient(uri) as client:
        repo = AwardsRepository(client[database])
        rnd = repo.round(round_id)
        policy = repo.policy_at(rnd["policy_version"])
        rows = []
        for key in keys:
            _, row = candidate(rnd, policy, repo.person(key, ranked_projection()), None)
            rows.append(row | {"name": tag})
        time.sleep(max(0.0, start_at - time.time()))
        for row in rows:
            move_row(repo, round_id, row)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), sys.argv[6:])
