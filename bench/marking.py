"""Issue 12's throughput figures on the deployed system: the ceilings (bare RPC ping, bare database
round trip), single marks, batches of both shapes with 1 and 10 clients, and reads idle versus under
batch writes."""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable

import eventlet

from bench import api
from bench.deployed import Deployed
from bench.load import Done, median, run_for
from bench.ping_service import ping_rate, ping_service
from bench.table import Row, milliseconds, number

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
CLIENTS = 10
CONTESTANTS, SUB_CRITERIA, PER_SUB = 45, 10, 30
READS = 20


def database_ceiling(uri: str, clients: int = CLIENTS, seconds: float = SECONDS) -> dict[str, float]:
    """Bare round trips/s of ``clients`` pymongo clients: ``update_one``, ``insert_one``, and the two alternating."""
    import pymongo

    connections = [pymongo.MongoClient(uri) for _ in range(clients)]
    database = f"bench_ceiling_{uuid.uuid4().hex[:6]}"
    rates = {}
    try:
        for name in ("mixed", "update_one", "insert_one"):  # each on a fresh collection
            collection = [c[database][name] for c in connections]
            for n, rows in enumerate(collection):
                rows.insert_one({"_id": f"row-{n}", "v": 0})

            def update(n: int, i: int, collection=collection) -> None:
                collection[n].update_one({"_id": f"row-{n}"}, {"$set": {"v": i}})

            def insert(n: int, i: int, collection=collection) -> None:
                collection[n].insert_one({"client": n, "i": i, "payload": "x" * 200})

            def mixed(n: int, i: int) -> None:
                (update if i % 2 else insert)(n, i)

            rates[name] = run_for(seconds, clients, {"mixed": mixed, "update_one": update, "insert_one": insert}[name]).rate
        return rates
    finally:
        connections[0].drop_database(database)
        for connection in connections:
            connection.close()


def rpc_ceiling(system: Deployed) -> float:
    with ping_service(system.amqp_uri):
        return ping_rate(system.amqp_uri, CLIENTS, SECONDS)


class Marking:
    """A competition of 45 contestants, 300 aspects in 10 sub-criteria and 10 judges, and its loads."""

    def __init__(self, system: Deployed):
        root = api.admin(system.base)
        _, organiser = api.new_user(root, system.base, "organiser")
        self.competition = api.build_competition(system.base, root, organiser, CONTESTANTS, [PER_SUB] * SUB_CRITERIA,
                                                 CLIENTS)
        self.path = f"/competitions/{self.competition.code}/marks"
        self.round = 0

    def _send(self, judge: int, marks: list[dict]) -> int:
        self.competition.judges[judge].call("POST", self.path, api.marks_request(marks))
        return len(marks)

    def single(self, clients: int = CLIENTS, seconds: float = SECONDS) -> Done:
        c = self.competition

        def one(n: int, i: int) -> int:
            aspect = c.aspects[(i * clients + n) % len(c.aspects)]
            return self._send(n, [api.mark(c.contestants[(i + n) % CONTESTANTS], aspect, i // len(c.aspects) + n)])

        return run_for(seconds, clients, one)

    def contestant_sheets(self, clients: int, seconds: float = SECONDS) -> Done:
        """Each request: one contestant across all 300 aspects (what a judge's form sends)."""
        c, base = self.competition, self._next_round()

        def sheet(n: int, i: int) -> int:
            contestant = c.contestants[(n + i * clients) % CONTESTANTS]
            return self._send(n, [api.mark(contestant, a, base + i) for a in c.aspects])

        return run_for(seconds, clients, sheet)

    def sub_criterion_blocks(self, clients: int, seconds: float = SECONDS) -> Done:
        """Each request: one sub-criterion across 10 contestants (300 marks)."""
        c, base = self.competition, self._next_round()

        def block(n: int, i: int) -> int:
            sub = c.subs[(n + i) % SUB_CRITERIA]
            first = (i // SUB_CRITERIA * 10) % (CONTESTANTS - 10)
            return self._send(n, [api.mark(who, a, base + i) for a in c.aspects_of(sub)
                                  for who in c.contestants[first:first + 10]])

        return run_for(seconds, clients, block)

    def _next_round(self) -> int:
        self.round += 1000
        return self.round

    def read_latencies(self, reads: int = READS) -> dict[str, list[float]]:
        """Latencies of GET results and GET progress, alternating, one reader."""
        import time

        organiser, code = self.competition.organiser, self.competition.code
        seen: dict[str, list[float]] = {"results": [], "progress": []}
        for _ in range(reads):
            for what in seen:
                started = time.perf_counter()
                organiser.call("GET", f"/competitions/{code}/{what}")
                seen[what].append(time.perf_counter() - started)
        return seen

    def reads_under_load(self) -> dict[str, list[float]]:
        """The same reads while 10 judges send contestant sheets."""
        load = eventlet.spawn(self.contestant_sheets, CLIENTS, SECONDS * 2)
        eventlet.sleep(1.0)
        seen = self.read_latencies(READS // 2)
        load.wait()
        return seen


def with_cpu(system: Deployed, run: Callable[[], Done]) -> tuple[Done, dict[str, float]]:
    """``run()`` and the CPU seconds each process (services, database server, clients) spent per operation."""
    before = system.cpu_seconds()
    done = run()
    return done, {name: (seconds - before.get(name, seconds)) / max(1, done.operations)
                  for name, seconds in system.cpu_seconds().items()}


def cpu_text(cpu: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in cpu.items())


def batch_rows(system: Deployed, label: str, shape: Callable[[int], Done]) -> list[Row]:
    """One batch shape with 1 and with 10 clients: marks/s, and CPU per batch by process."""
    (one, one_cpu), (ten, ten_cpu) = (with_cpu(system, lambda n=n: shape(n)) for n in (1, CLIENTS))
    return [
        Row(f"batch {label}, 1 client",
            f"{number(one.item_rate, 'marks/s')} (p50 {milliseconds(one.percentile(50))}){one.failures}"),
        Row("  CPU per batch, by process", cpu_text(one_cpu)),
        Row(f"batch {label}, 10 clients",
            f"{number(ten.item_rate, 'marks/s')} (p50 {milliseconds(ten.percentile(50))}){ten.failures}",
            ratio=f"{ten.item_rate / one.item_rate:.1f}x 1 client", target=">= 20,000 marks/s and >= 3x",
            met=ten.item_rate >= 20_000 and ten.item_rate >= 3 * one.item_rate and not ten.refused),
        Row("  CPU per batch, by process", cpu_text(ten_cpu)),
    ]


def measure(system: Deployed, round_trips_per_mark: float) -> list[Row]:
    rpc = rpc_ceiling(system)
    db = database_ceiling(system.mongodb_uri)
    marking = Marking(system)
    marking.single(seconds=1)  # warm-up: every judge's first request
    single, cpu = with_cpu(system, marking.single)
    single_ceiling = min(rpc, db["mixed"] / round_trips_per_mark)
    rows = [
        Row("bare nameko RPC ping, 10 callers", number(rpc, "calls/s")),
        Row(f"bare DB round trip, 10 pymongo clients ({system.database})",
            number(db["mixed"], "round trips/s"),
            ceiling=f"update_one {number(db['update_one'])}/s, insert_one {number(db['insert_one'])}/s"),
        Row("single mark per request, 10 clients",
            f"{number(single.rate, 'req/s')} (p95 {milliseconds(single.percentile(95))}){single.failures}",
            ceiling=f"{number(single_ceiling, 'req/s')} (lower of RPC and DB/{round_trips_per_mark:g})",
            ratio=f"{single.rate / single_ceiling:.2f}", target=">= 0.5", met=single.rate / single_ceiling >= 0.5),
        Row("  CPU per single mark, by process", cpu_text(cpu)),
    ]
    for label, shape in (("1 contestant x 300 aspects", marking.contestant_sheets),
                         ("1 sub-criterion x 10 contestants", marking.sub_criterion_blocks)):
        rows += batch_rows(system, label, shape)
    idle, loaded = marking.read_latencies(), marking.reads_under_load()
    for what in ("results", "progress"):
        ratio = median(loaded[what]) / median(idle[what])
        rows.append(Row(f"GET {what} under batch writes (idle)", f"{milliseconds(median(loaded[what]))} "
                        f"({milliseconds(median(idle[what]))})", ratio=f"{ratio:.1f}x idle", target="<= 2x idle",
                        met=ratio <= 2))
    return rows
