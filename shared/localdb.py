"""The local MongoDB-compatible server used when ``MONGODB_URI`` is empty.

mongoeco's wire server on its SQLite engine: every service talks to it with pymongo over the MongoDB
wire protocol, exactly as to MongoDB, and the data is one SQLite database in the data folder. It is
for trying the system and for small events (a few hundred writes a second); real events use MongoDB.

The server runs in a process of its own (``python -m shared.localdb --data DIR``): the services are
eventlet-patched, the server is asyncio. It prints its URI on the first line of its output when it
accepts connections, and stops on SIGTERM/SIGINT or when its standard input closes (its parent is
gone, however it ended). A lock on the folder keeps a second server off the same data.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

DATABASE_FILE = "skills.sqlite"
LOCK_FILE = "localdb.lock"
READY_PREFIX = "mongodb://"


class LocalDatabaseError(RuntimeError):
    """The local server could not be started."""


def database_file(folder: Path) -> Path:
    return folder / DATABASE_FILE


def _hold_folder_lock(folder: Path):
    """An exclusive lock on the data folder for as long as this process lives (file left open)."""
    handle = open(folder / LOCK_FILE, "a+")  # noqa: SIM115 - held open for the life of the process: the lock
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise LocalDatabaseError(f"another local database server already uses {folder}; stop it first") from None
    return handle


async def _serve(folder: Path | None, host: str, port: int) -> None:
    """Serve the SQLite engine on ``folder``, or with ``folder`` None the memory engine (nothing kept)."""
    from mongoeco.engines.memory import MemoryEngine
    from mongoeco.engines.sqlite import SQLiteEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer

    from shared.localdb_engines import skip_redundant_id_scans

    skip_redundant_id_scans()

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    def parent_gone() -> None:
        if not os.read(0, 4096):  # end of file: the parent closed the pipe or died
            loop.remove_reader(0)
            stop.set()

    loop.add_reader(0, parent_gone)
    engine = MemoryEngine() if folder is None else SQLiteEngine(str(database_file(folder)))
    server = AsyncMongoEcoProxyServer(engine=engine, host=host, port=port)
    address = await server.start()
    print(address.uri, flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()


def serve(folder: Path, host: str = "127.0.0.1", port: int = 0) -> None:
    """Run the server on ``folder`` until told to stop."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = _hold_folder_lock(folder)
    try:
        asyncio.run(_serve(folder, host, port))
    finally:
        lock.close()


def backup(folder: Path, target: Path) -> Path:
    """A consistent copy of the database, safe while the server runs (SQLite's online backup)."""
    source = database_file(folder)
    if not source.exists():
        raise LocalDatabaseError(f"no local database in {folder}")
    target = target.expanduser().resolve()
    if target.suffix != ".sqlite":
        target.mkdir(parents=True, exist_ok=True)
        target = target / f"skills-{time.strftime('%Y%m%d-%H%M%S')}.sqlite"
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target


class LocalDatabase:
    """The parent's handle on a local server process: ``start()`` returns its URI, ``stop()`` ends it.

    With ``folder`` None the server runs the memory engine and keeps nothing (the benchmarks' server).
    """

    def __init__(self, folder: Path | None, startup_seconds: float = 60.0):
        self.folder = folder
        self.startup_seconds = startup_seconds
        self.process: subprocess.Popen | None = None
        self.uri: str | None = None

    def start(self) -> str:
        where = ["--memory"] if self.folder is None else ["--data", str(self.folder)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shared.localdb", *where],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=Path(__file__).resolve().parent.parent)
        self.uri = self._read_uri(self.process)
        return self.uri

    def _read_uri(self, process: subprocess.Popen) -> str:
        output = process.stdout
        assert output is not None  # started with stdout=PIPE
        deadline = time.monotonic() + self.startup_seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([output], [], [], 0.2)
            if ready:
                line = output.readline().strip()
                if line.startswith(READY_PREFIX):
                    return line
                if not line and process.poll() is not None:
                    break
            elif process.poll() is not None:
                break
        self.stop()
        raise LocalDatabaseError(f"the local database server on {self.folder or 'its memory engine'} did not start "
                                 f"(exit code {process.returncode}); see its messages above")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, seconds: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def running(folder: Path):
    """A local server on ``folder`` for the duration of the block; yields its URI."""
    database = LocalDatabase(folder)
    try:
        yield database.start()
    finally:
        database.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.localdb", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="the data folder (default: DATA_DIR, else var/)")
    parser.add_argument("--memory", action="store_true",
                        help="serve mongoeco's memory engine instead: nothing is kept (for benchmarks)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    parser.add_argument("--backup", type=Path, metavar="TARGET",
                        help="write a consistent copy of the database to TARGET (a .sqlite file, or a folder "
                             "that gets a dated file) and exit")
    args = parser.parse_args(argv)
    from shared.datadir import data_dir

    if args.memory:
        asyncio.run(_serve(None, "127.0.0.1", args.port))
        return 0
    folder = args.data.expanduser().resolve() if args.data else data_dir()
    try:
        if args.backup:
            print(backup(folder, args.backup))
        else:
            serve(folder, port=args.port)
    except LocalDatabaseError as exc:
        print(f"local database: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
