"""The bare nameko RPC ceiling: ``python -m bench.ping_service`` runs a service whose one method
answers at once (no database, no work) against ``AMQP_URI``; ``ping_rate`` calls it from concurrent
callers, as the gateway calls the services."""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402

import contextlib  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402

from nameko.rpc import rpc  # noqa: E402

from bench.deployed import ROOT  # noqa: E402


class PingService:
    name = "bench_ping"

    @rpc
    def ping(self) -> str:
        return "pong"


@contextlib.contextmanager
def ping_service(amqp_uri: str) -> Iterator[None]:
    from nameko.standalone.rpc import ClusterRpcProxy

    process = subprocess.Popen([sys.executable, "-m", "bench.ping_service"], env={**os.environ, "AMQP_URI": amqp_uri},
                               cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=2) as cluster:
                    cluster.bench_ping.ping()
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.3)
        yield
    finally:
        process.terminate()
        process.wait(30)


def ping_rate(amqp_uri: str, callers: int, seconds: float) -> float:
    """Calls per second of ``bench_ping.ping`` from ``callers`` concurrent callers, each its own proxy."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from bench.load import run_for

    with contextlib.ExitStack() as stack:
        proxies = [stack.enter_context(ClusterRpcProxy({"AMQP_URI": amqp_uri})) for _ in range(callers)]
        for proxy in proxies:
            proxy.bench_ping.ping()
        def call(n: int, _i: int) -> None:
            proxies[n].bench_ping.ping()

        done = run_for(seconds, callers, call)
    return done.rate


def main() -> int:
    from nameko.runners import ServiceRunner

    from shared.runtime import run_until_stopped

    runner = ServiceRunner({"AMQP_URI": os.environ["AMQP_URI"]})
    runner.add_service(PingService)
    return run_until_stopped(runner)


if __name__ == "__main__":
    sys.exit(main())
