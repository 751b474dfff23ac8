"""Roster import benchmark: ``python -m bench.roster [rows ...]`` (default 300 and 1,000 rows).

One CSV roster imported into a fresh competition (``import_contestants``, all rows or none), by the
registration service running in this process as deployed: a nameko container on the real broker
(a private RabbitMQ virtual host, deleted afterwards; its events go out with publisher confirms) and
the local database server (``shared.localdb``), first on its SQLite engine (what ``make run`` uses)
and then on its memory engine. Prints, per engine and roster size, the import's time, its database
round trips (``shared.roundtrips``; the service's timers may add a few) and the broker publishes.

The gateway gives up on a call after ``RPC_TIMEOUT_SECONDS`` (10 s) and answers 503, so an import
must stay well below that. The machine's load average is printed with the figures: compare runs only
under the same load.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402

import base64  # noqa: E402
import contextlib  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

DEFAULT_SIZES = (300, 1000)
ORGANISER = {"username": "bench-org", "role": "organiser"}
HEADER = "姓名,性别,出生日期,身份证号码,工作单位,代表队,代表队类型"


def roster_csv(rows: int) -> str:
    """``rows`` distinct valid people as a base64 CSV roster (the upload's encoding)."""
    from tests.unit.registration.idgen import make_resident_id

    lines = [HEADER]
    for n in range(rows):
        born = date(1990, 1, 1) + timedelta(days=n // 400)
        seq = f"{100 + n % 400:03d}"
        gender = "男" if int(seq) % 2 else "女"
        lines.append(f"选手{n},{gender},{born.isoformat()},{make_resident_id(birth=born, seq=seq)},"
                     f"上海电气集团{n % 7},浦东新区,区")
    return base64.b64encode("\n".join(lines).encode()).decode()


@contextlib.contextmanager
def database(engine: str):
    """A local server on ``engine`` ("sqlite": a throw-away data folder; "memory"): yields its URI."""
    from shared.localdb import LocalDatabase

    with tempfile.TemporaryDirectory(prefix="bench-roster-") as folder:
        server = LocalDatabase(Path(folder) if engine == "sqlite" else None)
        try:
            yield server.start()
        finally:
            server.stop()


@contextlib.contextmanager
def registration(amqp_uri: str, mongodb_uri: str):
    """The registration service in a container of its own; yields the container."""
    import mongoengine
    from nameko.containers import ServiceContainer

    from services.registration.adapters.documents import ALIAS
    from services.registration.service import RegistrationService
    from shared.config import load_config

    config = load_config(("registration",), {
        "AMQP_URI": amqp_uri, "MONGODB_URI": mongodb_uri, "MONGODB_DB_PREFIX": "bench_roster_",
        "PERSON_KEY_SECRET": "bench-person-key-secret-for-this-run-only-2b8d", "LOG_LEVEL": "WARNING"})
    container = ServiceContainer(RegistrationService, config)
    container.start()
    try:
        yield container
    finally:
        container.stop()
        mongoengine.disconnect(ALIAS)  # the next engine connects afresh


def import_once(container, rows: int, counts_folder: Path) -> tuple[float, int, int, float]:
    """Seconds, database round trips and broker publishes of one import of ``rows`` rows, and the
    seconds the ``settle`` timer then takes to copy the batch into ``contestants`` (off the request)."""
    from nameko.testing.services import entrypoint_hook

    from shared.roundtrips import read_counts
    from tests.e2e.helpers import competition_payload

    with entrypoint_hook(container, "create_competition") as create:
        code = create(ORGANISER, competition_payload(capacity=None))["code"]
    with entrypoint_hook(container, "change_status") as change:
        change(ORGANISER, code, "open")
    content = roster_csv(rows)
    before = sum(read_counts(counts_folder).values())
    with entrypoint_hook(container, "import_contestants", timeout=600) as import_contestants:
        started = time.perf_counter()
        answer = import_contestants(ORGANISER, code, content, "roster.csv")
        seconds = time.perf_counter() - started
    assert answer["registered"] == rows, answer
    round_trips = sum(read_counts(counts_folder).values()) - before
    publishes = PUBLISHES.since(started)
    with entrypoint_hook(container, "settle", timeout=600) as settle:
        started = time.perf_counter()
        settle()  # what the timer does next: copy the batch into contestants (kept off the next import's time)
        copied = time.perf_counter() - started
    return seconds, round_trips, publishes, copied


class Publishes:
    """Counts the messages the service publishes (nameko's ``Publisher.publish``), with when each went out."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def install(self) -> None:
        from nameko.amqp.publish import Publisher

        publish = Publisher.publish

        def counted(publisher, *args, **kwargs):
            self.times.append(time.perf_counter())
            return publish(publisher, *args, **kwargs)
        Publisher.publish = counted

    def since(self, started: float) -> int:
        return sum(1 for at in self.times if at >= started)


PUBLISHES = Publishes()


def main(argv: list[str]) -> int:
    sizes = tuple(int(a) for a in argv) or DEFAULT_SIZES
    counts_folder = Path(tempfile.mkdtemp(prefix="bench-roster-counts-"))
    os.environ["DB_ROUND_TRIPS_DIR"] = str(counts_folder)  # before any connection: see shared.roundtrips
    from tests.conftest import private_vhost

    PUBLISHES.install()

    print(f"roster import (registration in one container, real broker), load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'engine':<8} {'rows':>6} {'seconds':>8} {'rows/s':>8} {'round trips':>12} {'publishes':>10} "
          f"{'copy after (s)':>15}")
    with private_vhost() as amqp_uri:
        for engine in ("sqlite", "memory"):
            with database(engine) as mongodb_uri, registration(amqp_uri, mongodb_uri) as container:
                import_once(container, 10, counts_folder)  # warm-up: indexes, caches, connections
                for rows in sizes:
                    seconds, round_trips, publishes, copied = import_once(container, rows, counts_folder)
                    print(f"{engine:<8} {rows:>6} {seconds:>8.2f} {rows / seconds:>8.0f} {round_trips:>12} "
                          f"{publishes:>10} {copied:>15.2f}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
