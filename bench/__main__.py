"""``make bench``: the system as deployed (``python -m services``: one process per service over the real
RabbitMQ, on a virtual host of the run's own, and a database server: ``MONGODB_URI``, else mongoeco's
memory engine), measured against ceilings measured in the same run; prints one table.

Benchmarks are run on purpose, never as tests. ``bench/README.md`` lists each figure and its knobs.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402

import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from bench import api, event, marking, roundtrips, steady  # noqa: E402
from bench.deployed import deployed  # noqa: E402
from bench.table import Row, render  # noqa: E402


def section(title: str) -> Row:
    return Row(f"**{title}**", "")


class Table(list[Row]):
    """The rows measured so far; each is also printed as it comes (a long run shows its progress)."""

    def add(self, *rows: Row) -> None:
        for row in rows:
            print(f"  {row.figure}: {row.value}" + (f"  [{row.ratio}; {row.target}: {row.verdict}]" if row.target else ""),
                  flush=True)
        self.extend(rows)


def measure_all() -> tuple[list[Row], str]:
    rows = Table([section("database round trips per operation (counted in the services)")])
    with deployed(count_round_trips=True) as system:
        print(f"counting round trips on {system.database} ...", flush=True)
        counted, per_mark = roundtrips.measure(system)
        rows.add(*counted)
    with deployed() as system:
        print("throughput (issue 12) ...", flush=True)
        rows.append(section("marking at the speed of the broker (issue 12)"))
        rows.add(*marking.measure(system, per_mark))
        print("steady cost and leaks (issue 8) ...", flush=True)
        rows.append(section("the cost of a mark does not grow; the gateway does not leak (issue 8)"))
        root = api.admin(system.base)
        _, organiser = api.new_user(root, system.base, "organiser")
        leak_competition = api.build_competition(system.base, root, organiser, 20, [30], 10)
        rows.add(*steady.gateway_leak(system, leak_competition))
        rows.add(steady.sub_criterion_marked_one_by_one(system, root, organiser))
        print("whole event ...", flush=True)
        rows.append(section("whole event through the HTTP API"))
        rows.add(*event.measure(system))
        database = system.database
    return rows, database


def main() -> int:
    started = time.monotonic()
    rows, database = measure_all()
    load = os.getloadavg()
    title = (f"make bench: python -m services (one process per service) over RabbitMQ, database: {database}; "
             f"{os.cpu_count()} cores, load average {load[0]:.1f}; {time.monotonic() - started:,.0f} s")
    print(render(rows, title))
    judged = [r for r in rows if r.met is not None]
    print(f"{sum(r.met for r in judged)} of {len(judged)} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
