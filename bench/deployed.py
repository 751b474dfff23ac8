"""The system as deployed, for the benchmarks: ``python -m services`` (one process per service, under
its supervisor) over the real RabbitMQ on a virtual host of the run's own (deleted afterwards) and a
database server (``bench.memorydb``: ``MONGODB_URI``, else mongoeco's memory engine), in databases
of the run's own (dropped afterwards).
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.memorydb import database_server

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("registration", "scoring", "awards")
SERVICES = (*BACKENDS, "gateway")
ADMIN = {"username": "admin", "password": "bench-root-Pw-9f3k"}
STARTUP_SECONDS = 120.0


@dataclass
class Deployed:
    """One running system: where its API is, its broker and database, and its processes."""

    base: str
    amqp_uri: str
    vhost: str
    mongodb_uri: str
    database: str  # which server
    db_prefix: str
    supervisor: subprocess.Popen
    round_trips: Path | None  # where the services count their database round trips (``shared.roundtrips``)
    database_pid: int | None = None  # the local database server's process (None for MONGODB_URI)

    def service_pids(self) -> dict[str, int]:
        """The process id of each service (children of the supervisor)."""
        pids = {}
        children = Path(f"/proc/{self.supervisor.pid}/task/{self.supervisor.pid}/children")
        for pid in children.read_text().split():
            with contextlib.suppress(OSError):
                args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if b"--one" in args:
                    pids[args[args.index(b"--one") + 1].decode()] = int(pid)
        return pids

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by each service's process, the database server's and this one's."""
        pids = {**self.service_pids(), "database": self.database_pid, "clients": os.getpid()}
        return {name: cpu_seconds(pid) for name, pid in pids.items() if pid}

    def config(self) -> dict:
        return {"AMQP_URI": self.amqp_uri}


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _environment(amqp_uri: str, mongodb_uri: str, prefix: str, port: int, data: str, round_trips: Path | None) -> dict:
    env = {**os.environ, "AMQP_URI": amqp_uri, "MONGODB_URI": mongodb_uri, "MONGODB_DB_PREFIX": prefix,
           "TOKEN_SECRET": "bench-token-secret-for-this-run-only-7f3a9c",
           "PERSON_KEY_SECRET": "bench-person-key-secret-for-this-run-only-2b8d",
           "ADMIN_USERNAME": ADMIN["username"], "ADMIN_PASSWORD": ADMIN["password"],
           "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(port), "LOG_LEVEL": "WARNING", "DATA_DIR": data,
           "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    env.pop("EMBEDDED", None)
    env.pop("ENVIRONMENT", None)
    if round_trips:
        env["DB_ROUND_TRIPS_DIR"] = str(round_trips)
    else:
        env.pop("DB_ROUND_TRIPS_DIR", None)
    return env


def _wait_until_serving(system: Deployed) -> None:
    from nameko.standalone.rpc import ClusterRpcProxy

    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if system.supervisor.poll() is not None:
            raise RuntimeError(f"python -m services ended with exit code {system.supervisor.returncode}")
        try:
            with urllib.request.urlopen(system.base + "/openapi.json", timeout=5) as reply:
                assert reply.status == 200
            with ClusterRpcProxy(system.config(), timeout=5) as cluster:
                for name in BACKENDS:
                    getattr(cluster, name).health()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _stop(supervisor: subprocess.Popen) -> None:
    if supervisor.poll() is None:
        supervisor.send_signal(signal.SIGTERM)
        try:
            supervisor.wait(40)
        except subprocess.TimeoutExpired:
            supervisor.kill()
            supervisor.wait()


def _drop_databases(uri: str, prefix: str) -> None:
    import pymongo

    with pymongo.MongoClient(uri) as client:
        for name in SERVICES:
            client.drop_database(prefix + name)


@contextlib.contextmanager
def deployed(count_round_trips: bool = False) -> Iterator[Deployed]:
    """The whole system as ``make run`` starts it with RabbitMQ reachable, for the block."""
    from tests.conftest import free_port, private_vhost

    with contextlib.ExitStack() as stack:
        amqp_uri = stack.enter_context(private_vhost())
        mongodb_uri, what, database_pid = stack.enter_context(database_server())
        data = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-data-"))
        round_trips = Path(data) / "round-trips" if count_round_trips else None
        if round_trips:
            round_trips.mkdir()
        prefix, port = f"bench_{uuid.uuid4().hex[:6]}_", free_port()
        env = _environment(amqp_uri, mongodb_uri, prefix, port, data, round_trips)
        supervisor = subprocess.Popen([sys.executable, "-m", "services"], env=env, cwd=ROOT)
        stack.callback(_drop_databases, mongodb_uri, prefix)
        stack.callback(_stop, supervisor)
        system = Deployed(f"http://127.0.0.1:{port}/api/v1", amqp_uri, amqp_uri.rsplit("/", 1)[1], mongodb_uri,
                          what, prefix, supervisor, round_trips, database_pid)
        _wait_until_serving(system)
        yield system
