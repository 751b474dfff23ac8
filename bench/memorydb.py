"""The database server the benchmarks use when ``MONGODB_URI`` is empty: mongoeco's wire server on its
MEMORY engine (the fastest local server; ``make run`` uses its SQLite engine, which keeps data on disk).

``python -m bench.memorydb`` prints its URI on the first line once it accepts connections and stops
when its standard input closes (its parent is gone) or on SIGTERM.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ENGINE = "mongoeco wire server, memory engine"


async def _serve() -> None:
    from mongoeco.engines.memory import MemoryEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    def parent_gone() -> None:
        if not os.read(0, 4096):
            loop.remove_reader(0)
            stop.set()

    loop.add_reader(0, parent_gone)
    server = AsyncMongoEcoProxyServer(engine=MemoryEngine(), host="127.0.0.1", port=0)
    address = await server.start()
    print(address.uri, flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()


@contextlib.contextmanager
def memory_server() -> Iterator[tuple[str, int]]:
    """A memory-engine server for the block: yields its URI and process id."""
    process = subprocess.Popen([sys.executable, "-m", "bench.memorydb"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent)
    try:
        uri = process.stdout.readline().strip() if process.stdout else ""
        if not uri.startswith("mongodb://"):
            raise RuntimeError(f"the memory database server did not start (exit code {process.poll()})")
        yield uri, process.pid
    finally:
        process.terminate()
        process.wait(15)


@contextlib.contextmanager
def database_server() -> Iterator[tuple[str, str, int | None]]:
    """``MONGODB_URI`` when set, else a memory-engine server: yields (uri, what it is, its pid or None)."""
    external = os.environ.get("MONGODB_URI", "").strip()
    if external:
        yield external, "MongoDB at MONGODB_URI", None
        return
    with memory_server() as (uri, pid):
        yield uri, ENGINE, pid


if __name__ == "__main__":
    asyncio.run(_serve())
    sys.exit(0)
