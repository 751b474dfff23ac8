"""Database round trips per operation, counted inside the service processes with pymongo's command
monitoring (``shared.roundtrips``, switched on by ``DB_ROUND_TRIPS_DIR``) on a system of their own.

Each operation runs after a warm-up (indexes created, caches filled: the steady state of an event
in progress). The services' timers (outbox relay, ranking) also send commands: their rate is
measured while the system is idle and subtracted, command by command, from each operation's window.
"""
from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable

from bench import api
from bench.deployed import SERVICES, Deployed
from bench.table import Row
from shared.roundtrips import read_counts

SINGLE_TARGET, BATCH_TARGET = 3, 5
IDLE_SECONDS = 6.0


class Counting:
    """Round trips per service of what happens between two readings, background subtracted."""

    def __init__(self, system: Deployed):
        assert system.round_trips is not None
        self.system = system
        self.background: Counter[tuple[str, str]] = Counter()
        self.idle_seconds = 1.0

    def per_service(self, counts: Counter[tuple[str, str]]) -> dict[str, float]:
        totals = dict.fromkeys(SERVICES, 0.0)
        for (database, _), n in counts.items():
            name = database.removeprefix(self.system.db_prefix)
            if name in totals:
                totals[name] += n
        return totals

    def measure_idle(self, seconds: float = IDLE_SECONDS) -> None:
        before = read_counts(self.system.round_trips)
        time.sleep(seconds)
        self.background = read_counts(self.system.round_trips) - before
        self.idle_seconds = seconds

    def window(self, before: Counter, after: Counter, seconds: float) -> dict[str, float]:
        expected = {k: n * seconds / self.idle_seconds for k, n in self.background.items()}
        delta: Counter[tuple[str, str]] = Counter()
        for k, n in (after - before).items():
            delta[k] = max(0, round(n - expected.get(k, 0.0)))
        return self.per_service(delta)

    def of(self, operation: Callable[[], object]) -> dict[str, float]:
        before, started = read_counts(self.system.round_trips), time.monotonic()
        operation()
        return self.window(before, read_counts(self.system.round_trips), time.monotonic() - started)

    def reading(self) -> tuple[Counter[tuple[str, str]], float]:
        return read_counts(self.system.round_trips), time.monotonic()

    def until_quiet(self, service: str, since: tuple[Counter[tuple[str, str]], float], quiet: float = 2.0,
                    limit: float = 120.0) -> dict[str, float]:
        """Counts from ``since`` until ``service`` has sent nothing beyond its background for ``quiet`` s."""
        before, started = since
        last, last_change = -1.0, time.monotonic()
        while time.monotonic() - started < limit:
            time.sleep(0.25)
            now = self.window(before, read_counts(self.system.round_trips), time.monotonic() - started)[service]
            if now != last:
                last, last_change = now, time.monotonic()
            elif now > 0 and time.monotonic() - last_change >= quiet:
                break
        return self.window(before, read_counts(self.system.round_trips), last_change - started)


def _median(samples: list[dict[str, float]]) -> dict[str, float]:
    return {name: statistics.median(s[name] for s in samples) for name in SERVICES}


def _describe(counts: dict[str, float]) -> str:
    return ", ".join(f"{name} {counts[name]:g}" for name in SERVICES if counts[name])


def measure(system: Deployed) -> tuple[list[Row], float]:
    """The rows, and the round trips a single mark needs in all services (for the single-mark ceiling)."""
    root = api.admin(system.base)
    _, organiser = api.new_user(root, system.base, "organiser")
    competition = api.build_competition(system.base, root, organiser, 12, [30] * 10, 3)
    judge, path = competition.judges[0], f"/competitions/{competition.code}/marks"
    sheet = lambda c, r: [api.mark(competition.contestants[c], a, r) for a in competition.aspects]  # noqa: E731
    across = lambda s, r: [api.mark(c, a, r) for a in competition.aspects_of(competition.subs[s])  # noqa: E731
                           for c in competition.contestants[:10]]
    for warm_judge in competition.judges:  # first request of each judge: indexes, caches, collections
        warm_judge.call("POST", path, api.marks_request(sheet(0, 0)))
        warm_judge.call("POST", path, api.marks_request([api.mark(competition.contestants[0], competition.aspects[0], 1)]))
    counting = Counting(system)
    counting.measure_idle()
    single = _median([counting.of(lambda i=i: judge.call("POST", path, api.marks_request(
        [api.mark(competition.contestants[1 + i % 10], competition.aspects[i], i)]))) for i in range(7)])
    contestant_batch = _median([counting.of(lambda i=i: judge.call("POST", path, api.marks_request(sheet(1 + i, 1))))
                                for i in range(5)])
    sub_batch = _median([counting.of(lambda i=i: judge.call("POST", path, api.marks_request(across(1 + i, 2))))
                         for i in range(5)])
    for marker in competition.judges:  # every mark in, the judges agreeing: the sub-criteria can be locked
        for c in range(len(competition.contestants)):
            marker.call("POST", path, api.marks_request(sheet(c, 3)))
    for sub in competition.subs:
        competition.chief.call("POST", f"/competitions/{competition.code}/sub-criteria/{sub}/lock")
    since = counting.reading()
    finalise = counting.of(lambda: competition.chief.call("POST", f"/competitions/{competition.code}/results/finalise"))
    awards = counting.until_quiet("awards", since)
    rows = [
        Row("DB round trips: single mark (scoring)", f"{single['scoring']:g}", target=f"<= {SINGLE_TARGET}",
            met=single["scoring"] <= SINGLE_TARGET, ceiling=f"all services: {_describe(single)}"),
        Row("DB round trips: batch, 1 contestant x 300 aspects", f"{contestant_batch['scoring']:g}",
            target=f"<= {BATCH_TARGET}", met=contestant_batch["scoring"] <= BATCH_TARGET,
            ceiling=f"all services: {_describe(contestant_batch)}"),
        Row("DB round trips: batch, 1 sub-criterion x 10 contestants (300)", f"{sub_batch['scoring']:g}",
            target=f"<= {BATCH_TARGET}", met=sub_batch["scoring"] <= BATCH_TARGET,
            ceiling=f"all services: {_describe(sub_batch)}"),
        Row("DB round trips: finalise 12 contestants x 300 aspects", f"{finalise['scoring']:g}",
            ceiling=f"gateway {finalise['gateway']:g}, registration {finalise['registration']:g}"),
        Row("DB round trips: awards processes one results_published", f"{awards['awards']:g}",
            ceiling="from the finalise until awards is quiet"),
    ]
    return rows, sum(single.values())
