"""The database server the benchmarks use when ``MONGODB_URI`` is empty: the local server
(``shared.localdb``) on mongoeco's MEMORY engine, the fastest local server (``make run`` uses its
SQLite engine, which keeps data on disk)."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from shared.localdb import LocalDatabase

ENGINE = "mongoeco wire server, memory engine"


@contextlib.contextmanager
def memory_server() -> Iterator[tuple[str, int]]:
    """A memory-engine server for the block: yields its URI and process id."""
    database = LocalDatabase(None)
    try:
        uri = database.start()
        assert database.process is not None
        yield uri, database.process.pid
    finally:
        database.stop()


@contextlib.contextmanager
def database_server() -> Iterator[tuple[str, str, int | None]]:
    """``MONGODB_URI`` when set, else a memory-engine server: yields (uri, what it is, its pid or None)."""
    external = os.environ.get("MONGODB_URI", "").strip()
    if external:
        yield external, "MongoDB at MONGODB_URI", None
        return
    with memory_server() as (uri, pid):
        yield uri, ENGINE, pid
