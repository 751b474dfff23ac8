"""A process that runs services ends when one of its containers dies (so it gets restarted), and
acts on SIGTERM at once; the multi-process supervisor restarts a child that ended, with backoff."""
from __future__ import annotations

import os
import signal
import sys

import eventlet
import pytest
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from nameko.runners import ServiceRunner

from shared.runtime import Supervisor, run_until_stopped

CONFIG = {"AMQP_URI": "memory://"}


class BrokerConnectionLost(Exception):
    pass


class FailingConnection(DependencyProvider):
    """Kills its container soon after start, as a consumer whose broker connection was forced closed."""

    def start(self):
        def lose():
            eventlet.sleep(0.2)
            raise BrokerConnectionLost("CONNECTION_FORCED - broker forced connection closure")

        self.container.spawn_managed_thread(lose)


class Dying:
    name = "dying"
    connection = FailingConnection()

    @rpc
    def ping(self):
        return "pong"


class Healthy:
    name = "healthy"

    @rpc
    def ping(self):
        return "pong"


@pytest.fixture
def own_signal_handlers():
    """run_until_stopped installs handlers for the process; give pytest its own back afterwards."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def test_a_dead_container_ends_the_run_with_a_failure(own_signal_handlers):
    runner = ServiceRunner(CONFIG)
    runner.add_service(Dying)
    runner.add_service(Healthy)
    assert run_until_stopped(runner) == 1
    assert all(container._died.ready() for container in runner.containers)


def test_sigterm_stops_the_services_and_the_run_succeeds(own_signal_handlers):
    runner = ServiceRunner(CONFIG)
    runner.add_service(Healthy)
    eventlet.spawn_after(0.3, os.kill, os.getpid(), signal.SIGTERM)
    assert run_until_stopped(runner) == 0
    assert all(container._died.ready() for container in runner.containers)


def test_the_supervisor_restarts_a_child_that_ended_with_backoff(own_signal_handlers, tmp_path):
    starts = tmp_path / "starts"
    crash_twice = ("import pathlib, sys, time; p = pathlib.Path(sys.argv[1]); "
                   "p.write_text(p.read_text() + 'x' if p.exists() else 'x'); "
                   "sys.exit(3) if len(p.read_text()) < 3 else time.sleep(60)")
    supervisor = Supervisor({"flaky": [sys.executable, "-c", crash_twice, str(starts)]}, dict(os.environ),
                            max_backoff=0.5, stop_seconds=5)
    checks = iter(range(10_000))

    def until_third_start() -> bool:
        next(checks)
        if starts.exists() and len(starts.read_text()) >= 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return True

    code = supervisor.run(until_third_start)
    assert starts.read_text() == "xxx"
    assert supervisor.crashes["flaky"] == 2
    assert code == -signal.SIGTERM  # the third run was stopped by the forwarded SIGTERM


def test_the_supervisor_stops_everything_when_the_database_is_gone(own_signal_handlers):
    supervisor = Supervisor({"sleeper": [sys.executable, "-c", "import time; time.sleep(60)"]}, dict(os.environ),
                            stop_seconds=5)
    assert supervisor.run(lambda: False) == 1
    assert supervisor.children["sleeper"].returncode == -signal.SIGTERM
