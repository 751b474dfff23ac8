"""Load from the benchmark's own process: concurrent green clients for a time, their latencies, and a
keep-alive HTTP client for the gateway (one connection per client, as a judge's tablet has)."""
from __future__ import annotations

import http.client
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import eventlet
from eventlet.semaphore import Semaphore


class Refused(RuntimeError):
    """The API answered with a status the benchmark did not expect."""


@dataclass
class Done:
    """What a timed run did: operations, items (marks), seconds and each operation's latency."""

    operations: int = 0
    items: int = 0
    refused: list[str] = field(default_factory=list)  # operations the API refused (e.g. 503 after the RPC timeout)
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def failures(self) -> str:
        """`` (N refused: first reason)`` when some operation was refused, else nothing."""
        return f" ({len(self.refused)} refused: {self.refused[0][:120]})" if self.refused else ""

    @property
    def rate(self) -> float:
        return self.operations / self.seconds if self.seconds else 0.0

    @property
    def item_rate(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def run_for(seconds: float, clients: int, work: Callable[[int, int], Any]) -> Done:
    """``work(client, i)`` in a loop on ``clients`` green threads for ``seconds``; ``work`` returns
    how many items it did (or None for one)."""
    done = Done()
    deadline = time.perf_counter() + seconds

    def client(n: int) -> None:
        i = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                items = work(n, i)
            except Refused as refusal:
                done.refused.append(str(refusal))
                i += 1
                continue
            done.latencies.append(time.perf_counter() - started)
            done.operations += 1
            done.items += 1 if items is None else items
            i += 1

    begin = time.perf_counter()
    pool = eventlet.GreenPool(clients)
    for n in range(clients):
        pool.spawn(client, n)
    pool.waitall()
    done.seconds = time.perf_counter() - begin
    return done


class Client:
    """One keep-alive connection to the gateway, signed in as one user: one request at a time (green
    threads sharing a client wait for each other, as a judge's tablet sends one form after the other)."""

    def __init__(self, base: str, token: str | None = None):
        parts = urlsplit(base)
        self.host, self.port, self.prefix = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
        self.token = token
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        self.turn = Semaphore()

    def send(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        if data is not None:
            headers["Content-Type"] = "application/json"
        with self.turn:
            status, text = self._exchange(method, path, data, headers)
        return status, json.loads(text) if text[:1] in (b"{", b"[") else text

    def _exchange(self, method: str, path: str, data: bytes | None, headers: dict) -> tuple[int, bytes]:
        """One request on the kept connection; a connection the server closed meanwhile is opened again."""
        for attempt in (1, 2):
            try:
                self.connection.request(method, self.prefix + path, body=data, headers=headers)
                reply = self.connection.getresponse()
                return reply.status, reply.read()
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None,
             expect: tuple[int, ...] = (200, 201)) -> Any:
        status, answer = self.send(method, path, body, raw)
        if status not in expect:
            raise Refused(f"{method} {path}: {status} {str(answer)[:400]}")
        return answer
