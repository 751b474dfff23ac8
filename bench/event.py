"""A whole event through the HTTP API: contestants in skills, schemes of 100-300 aspects, 3 judges on
each judgement aspect; registered, marked, locked and finalised, and awards processing every
``results_published`` while its API keeps answering.

Size: ``BENCH_EVENT_SKILLS`` (default 6) and ``BENCH_EVENT_CONTESTANTS`` (default 140); the
WorldSkills-size run is ``BENCH_EVENT_SKILLS=60 BENCH_EVENT_CONTESTANTS=1400``.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import zip_longest

import eventlet

from bench import api
from bench.deployed import Deployed
from bench.load import Client, Refused, percentile
from bench.table import Row, milliseconds, number

SKILLS = int(os.environ.get("BENCH_EVENT_SKILLS", "6"))
CONTESTANTS = int(os.environ.get("BENCH_EVENT_CONTESTANTS", "140"))
JUDGES = 3
CONCURRENCY = 10
ATTEMPTS = 3  # a 503 is retried with the same request, as the API asks clients to
AWARDS_WITHIN = 0.2


@dataclass
class Step:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    marks: int = 0
    retried: int = 0
    refused: list[str] = field(default_factory=list)


def in_parallel(step: Step, jobs: Iterable[Callable[[], int | None]]) -> Step:
    """Run ``jobs`` on ``CONCURRENCY`` green clients, timing each (a job returns the marks it sent)."""
    def timed(job: Callable[[], int | None]) -> None:
        started = time.perf_counter()
        for attempt in range(1, ATTEMPTS + 1):
            try:
                sent = job() or 0  # before the sum: other jobs add to it while this one waits
                step.marks += sent
                break
            except Refused as refusal:
                if " 503 " not in str(refusal) or attempt == ATTEMPTS:
                    step.refused.append(str(refusal))
                    return
                step.retried += 1
        step.latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    pool = eventlet.GreenPool(CONCURRENCY)
    for job in jobs:
        pool.spawn(timed, job)
    pool.waitall()
    step.seconds = time.perf_counter() - started
    return step


def interleaved(per_competition: list[list[Callable[[], int | None]]]) -> list[Callable[[], int | None]]:
    """One job of each competition in turn, so that the concurrent clients are different people."""
    return [job for turn in zip_longest(*per_competition) for job in turn if job is not None]


def scheme_sizes(skills: int) -> list[list[int]]:
    """Each skill's sub-criteria: 100 to 300 aspects (multiples of 3), in sub-criteria of at most 30."""
    sizes = []
    for s in range(skills):
        total = 100 + (200 * s // max(1, skills - 1)) // 3 * 3 if skills > 1 else 200
        total -= total % 3
        sizes.append([30] * (total // 30) + ([total % 30] if total % 30 else []))
    return sizes


def judge_sheets(competition: api.Competition) -> list[Callable[[], int]]:
    """Every judge's form for every contestant: judge 0 all aspects, the others their judgement scores."""
    path = f"/competitions/{competition.code}/marks"

    def sheet(judge: int, who: str) -> Callable[[], int]:
        request = api.marks_request([api.mark(who, a, 0) for a in competition.aspects if judge == 0 or a.judgement])
        return lambda: len(competition.judges[judge].call("POST", path, request) and request["marks"])

    return [sheet(j, who) for who in competition.contestants for j in range(JUDGES)]


def watch_awards(committee: Client, stop: list[bool], latencies: list[float], refused: list[int]) -> None:
    while not stop[0]:
        started = time.perf_counter()
        status, _ = committee.send("GET", "/honours-policy")
        latencies.append(time.perf_counter() - started)
        if status != 200:
            refused.append(status)
        eventlet.sleep(0.05)


def awards_caught_up(committee: Client, people: dict[str, str]) -> None:
    """Wait until awards has recorded every competition's results (one contestant of each)."""
    waiting = dict(people)
    while waiting:
        for code, person_key in list(waiting.items()):
            status, record = committee.send("GET", f"/people/{person_key}/record")
            if status == 200 and any((a.get("competition") or {}).get("code") == code
                                      for a in record.get("achievements", [])):
                del waiting[code]
        eventlet.sleep(0.2)


def measure(system: Deployed) -> list[Row]:
    root = api.admin(system.base)
    organiser_login = api.new_login(root, "organiser")
    committee_login = api.new_login(root, "committee")
    committee, watching = (api.sign_in(system.base, *committee_login) for _ in range(2))
    per_skill = [CONTESTANTS // SKILLS + (1 if s < CONTESTANTS % SKILLS else 0) for s in range(SKILLS)]
    setup = Step("set up (a job: one competition, its contestants, judges and scheme)")
    started = time.perf_counter()
    competitions: list[api.Competition] = []
    # signed in one after the other: sign-ins of one account at the same moment count against its throttle
    logins = [(api.admin(system.base), api.sign_in(system.base, *organiser_login)) for _ in range(SKILLS)]
    in_parallel(setup, [lambda n=n, sizes=sizes, login=login: competitions.append(api.build_competition(
        system.base, *login, n, sizes, JUDGES))
        for n, sizes, login in zip(per_skill, scheme_sizes(SKILLS), logins, strict=True)])
    marking = in_parallel(Step("marking (each judge's form per contestant)"),
                          interleaved([judge_sheets(c) for c in competitions]))
    locking = in_parallel(Step("locking every sub-criterion"), interleaved([[
        lambda c=c, s=s: c.chief.call("POST", f"/competitions/{c.code}/sub-criteria/{s}/lock") and None
        for s in c.subs] for c in competitions]))
    stop, awards_latencies, awards_refused = [False], [], []
    watcher = eventlet.spawn(watch_awards, watching, stop, awards_latencies, awards_refused)
    finalising = in_parallel(Step("finalising"), [
        lambda c=c: c.chief.call("POST", f"/competitions/{c.code}/results/finalise") and None for c in competitions])
    people = {c.code: c.organiser.call("GET", f"/competitions/{c.code}/results")["results"][0]["person_key"]
              for c in competitions}
    awards_caught_up(committee, people)
    stop[0] = True
    watcher.wait()
    awards_seconds = time.perf_counter() - started - setup.seconds - marking.seconds - locking.seconds
    total = time.perf_counter() - started
    label = f"{sum(per_skill):,} contestants in {SKILLS} skills"
    rows = [Row(f"whole event, {label}: total time", f"{total:,.0f} s",
                ceiling=f"{number(marking.marks / total, 'marks/s')} over the whole run")]
    for step in (setup, marking, locking, finalising):
        rate = f", {number(step.marks / step.seconds, 'marks/s')}" if step.marks else ""
        trouble = (f"; {step.retried} retried after 503" if step.retried else "") + (
            f"; {len(step.refused)} refused: {step.refused[0][:100]}" if step.refused else "")
        rows.append(Row(f"  {step.name}", f"{step.seconds:,.1f} s{rate}{trouble}",
                        ceiling=f"p95 {milliseconds(percentile(step.latencies, 95))} per job ({len(step.latencies)} jobs)"))
    worst = max(awards_latencies, default=0.0)
    rows.append(Row(f"  awards processes all {SKILLS} results_published (from the first finalise)",
                    f"{awards_seconds:,.1f} s", ceiling=f"awards API p95 {milliseconds(percentile(awards_latencies, 95))}, "
                    f"max {milliseconds(worst)}" + (f", {len(awards_refused)} not 200" if awards_refused else ""),
                    target=f"answers within {milliseconds(AWARDS_WITHIN)}", met=worst <= AWARDS_WITHIN and not awards_refused))
    return rows
