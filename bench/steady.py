"""Issue 8's figures on the deployed system: the cost of a mark does not grow with the marks stored,
and the gateway does not leak memory, reply queues or connections."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import eventlet

from bench import api
from bench.deployed import Deployed
from bench.table import Row, number

CONTESTANTS, ASPECTS, JUDGES = 60, 20, 3
LEAK_REQUESTS = int(os.environ.get("BENCH_LEAK_REQUESTS", "5000"))
LEAK_CLIENTS = 10


def sub_criterion_marked_one_by_one(system: Deployed, root: api.Client, organiser: api.Client) -> Row:
    """60 contestants x 20 judgement aspects x 3 judges, one mark per request, the judges in parallel."""
    competition = api.build_competition(system.base, root, organiser, CONTESTANTS, [ASPECTS], JUDGES, judgement_every=1)
    path = f"/competitions/{competition.code}/marks"
    finished: list[float] = []

    def judge(n: int) -> None:
        for who in competition.contestants:
            for aspect in competition.aspects:
                competition.judges[n].call("POST", path, api.marks_request([api.mark(who, aspect, 0)]))
                finished.append(time.perf_counter())

    started = time.perf_counter()
    pool = eventlet.GreenPool(JUDGES)
    for n in range(JUDGES):
        pool.spawn(judge, n)
    pool.waitall()
    first = 1000 / (finished[999] - started)
    last = 1000 / (finished[-1] - finished[-1001])
    return Row(f"one mark at a time, {CONTESTANTS} x {ASPECTS} x {JUDGES} judges: last 1,000 (first 1,000)",
               f"{number(last, 'marks/s')} ({number(first, 'marks/s')})", ratio=f"{last / first:.2f}",
               target=">= 0.80 of the first", met=last >= 0.8 * first)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def broker_counts(vhost: str) -> tuple[int, int, int]:
    """Queues, messages waiting in them, and connections on ``vhost``."""
    def rows(*args: str) -> list[str]:
        out = subprocess.run(["rabbitmqctl", *args, "--no-table-headers", "-q"], check=True, capture_output=True,
                             text=True, timeout=60).stdout
        return [line for line in out.splitlines() if line.strip()]

    queues = rows("list_queues", "-p", vhost, "name", "messages")
    connections = [line for line in rows("list_connections", "vhost") if line.strip() == vhost]
    return len(queues), sum(int(line.split()[-1]) for line in queues), len(connections)


def gateway_leak(system: Deployed, competition: api.Competition) -> list[Row]:
    """RSS of the gateway and the broker's queues and connections before and after many requests."""
    gateway = system.service_pids()["gateway"]
    path = f"/competitions/{competition.code}"
    judges = competition.judges

    def requests(count: int, offset: int) -> None:
        def client(n: int) -> None:
            for i in range(offset + n, offset + count, LEAK_CLIENTS):
                if i % 2:
                    judges[n % len(judges)].call("GET", path + "/progress")
                else:
                    aspect = competition.aspects[i % len(competition.aspects)]
                    judges[n % len(judges)].call("POST", path + "/marks", api.marks_request(
                        [api.mark(competition.contestants[i % len(competition.contestants)], aspect, i)]))
        pool = eventlet.GreenPool(LEAK_CLIENTS)
        for n in range(LEAK_CLIENTS):
            pool.spawn(client, n)
        pool.waitall()

    requests(500, 0)  # warm-up: the gateway's pools and caches fill
    readings = [(rss_kib(gateway), broker_counts(system.vhost))]
    for half in (0, 1):  # growth that goes on in the second half is a leak; a pool filling up once is not
        requests(LEAK_REQUESTS // 2, 500 + half * (LEAK_REQUESTS // 2))
        time.sleep(1.0)
        readings.append((rss_kib(gateway), broker_counts(system.vhost)))
    rss = [r for r, _ in readings]
    broker = ["/".join(str(n) for n in counts) for _, counts in readings]
    (_, middle), (_, end) = readings[1], readings[2]
    return [
        Row(f"gateway RSS after warm-up / {LEAK_REQUESTS // 2:,} / {LEAK_REQUESTS:,} requests",
            " / ".join(f"{r / 1024:.1f}" for r in rss) + " MiB", ratio=f"+{(rss[2] - rss[1]) / 1024:.1f} MiB in the 2nd half",
            target="no growth in the 2nd half (< 2 MiB)", met=rss[2] - rss[1] < 2 * 1024),
        Row("broker queues/queued messages/connections at the same points", " -> ".join(broker),
            target="none added in the 2nd half", met=end[0] <= middle[0] and end[2] <= middle[2] and end[1] == 0),
    ]
