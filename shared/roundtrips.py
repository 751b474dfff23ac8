"""Database round trips counted with pymongo's command monitoring (diagnostics for the benchmarks).

Off unless ``DB_ROUND_TRIPS_DIR`` names a folder: then every database connection this process makes
(``shared.db.connect_database``) counts the commands it sends, by database and command name, and
rewrites ``<folder>/<pid>.json`` after each one. ``bench/`` reads those files before and after an
operation to print how many round trips it took in each service; nothing else reads them, and with
the variable unset no listener is attached (pymongo then builds no monitoring events at all).
"""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from pymongo import monitoring

ENVIRONMENT_VARIABLE = "DB_ROUND_TRIPS_DIR"


class RoundTrips(monitoring.CommandListener):
    """Counts the commands sent to the server by ``(database, command)``; optionally keeps them in a file."""

    def __init__(self, file: Path | None = None):
        self.counts: Counter[tuple[str, str]] = Counter()
        self.file = file

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.counts[(event.database_name, event.command_name)] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._keep()

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._keep()

    def total(self, database: str | None = None) -> int:
        return sum(n for (db, _), n in self.counts.items() if database in (None, db))

    def _keep(self) -> None:
        if self.file is None:
            return
        temporary = self.file.with_suffix(".tmp")
        temporary.write_text(json.dumps([[db, name, n] for (db, name), n in self.counts.items()]))
        os.replace(temporary, self.file)


_process_counter: list[RoundTrips] = []


def listeners_from_environment() -> list[RoundTrips]:
    """The process's counter when ``DB_ROUND_TRIPS_DIR`` is set (one per process), else none."""
    folder = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not folder:
        return []
    if not _process_counter:
        _process_counter.append(RoundTrips(Path(folder) / f"{os.getpid()}.json"))
    return _process_counter[:1]


def read_counts(folder: Path) -> Counter[tuple[str, str]]:
    """The counts every process has written into ``folder`` so far, summed."""
    total: Counter[tuple[str, str]] = Counter()
    for file in folder.glob("*.json"):
        try:
            rows = json.loads(file.read_text())
        except (OSError, ValueError):
            continue  # replaced while read: the next read sees it
        for database, name, n in rows:
            total[(database, name)] += n
    return total
