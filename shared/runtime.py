"""How a process runs services: against RabbitMQ, or embedded on kombu's in-memory transport."""
from __future__ import annotations

import logging
import signal
import socket
import subprocess
import time
from urllib.parse import urlparse

EMBEDDED_AMQP_URI = "memory://"
log = logging.getLogger("services")


def broker_reachable(uri: str, timeout: float = 1.0) -> bool:
    """Whether a TCP connection to the broker in ``uri`` opens (no login attempted)."""
    parsed = urlparse(uri)
    if not parsed.scheme.startswith(("amqp", "pyamqp", "amqps")):
        return False
    try:
        with socket.create_connection((parsed.hostname or "localhost", parsed.port or 5672), timeout=timeout):
            return True
    except OSError:
        return False


def patch_memory_transport() -> None:
    """Make nameko RPC work over kombu's ``memory://`` transport (all services in one process).

    Two gaps: nameko's RPC responder reads ``message.properties['content_type']``, which the virtual
    transport keeps only in headers; and the transport polls its queues every 1.0 s, far too slow for
    request/response.
    """
    from kombu.transport import memory, virtual

    if getattr(virtual.Channel, "_skills_patched", False):
        return
    prepare = virtual.Channel.prepare_message

    def prepare_message(self, body, priority=None, content_type=None, content_encoding=None,
                        headers=None, properties=None):
        message = prepare(self, body, priority, content_type, content_encoding, headers, properties)
        message["properties"].setdefault("content_type", content_type)
        return message

    virtual.Channel.prepare_message = prepare_message  # type: ignore[method-assign]
    virtual.Channel._skills_patched = True  # type: ignore[attr-defined]
    memory.Transport.polling_interval = 0.001


def run_until_stopped(runner) -> int:
    """Start ``runner`` and run it until SIGTERM/SIGINT (returns 0) or until a container dies (1).

    Waiting on the runner, not on a signal, is what makes a dead container end the process: a
    container killed by an error (say the broker closed its connection during an RPC reply) leaves
    no consumer behind, and a process that stayed up would never be restarted. Signal handlers run
    between bytecodes of whatever greenlet is current, so they must not use eventlet primitives:
    they spawn the stop in a greenlet, as nameko's own runner does. A second signal kills.
    """
    import eventlet

    requested: list[int] = []

    def on_signal(signum, _frame):
        eventlet.spawn_n(runner.kill if requested else runner.stop)
        requested.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    runner.start()
    waiting = eventlet.spawn(runner.wait)
    try:
        while True:
            try:
                waiting.wait()
                break
            except InterruptedError:
                continue
    except Exception:
        log.critical("a service container died; ending the process so that it is restarted", exc_info=True)
        runner.kill()
        return 1
    if not requested:
        log.critical("the services stopped by themselves; ending the process so that it is restarted")
        return 1
    return 0


class Supervisor:
    """Runs each service in a child process and restarts one that ends by itself, with backoff.

    The delay doubles with each crash in a row (1 s, 2 s, 4 s ... ``max_backoff``) and starts again
    from 1 s once a child has run ``healthy_after`` seconds. SIGTERM/SIGINT go to every child; the
    supervisor then waits for them (and kills those still running after ``stop_seconds``).
    """

    def __init__(self, commands: dict[str, list[str]], env: dict, max_backoff: float = 30.0,
                 healthy_after: float = 60.0, stop_seconds: float = 20.0):
        self.commands = commands
        self.env = env
        self.max_backoff = max_backoff
        self.healthy_after = healthy_after
        self.stop_seconds = stop_seconds
        self.children: dict[str, subprocess.Popen] = {}
        self.started_at: dict[str, float] = {}
        self.crashes: dict[str, int] = {name: 0 for name in commands}
        self.restart_at: dict[str, float] = {}
        self.stop_signal: int | None = None

    def run(self, still_ok=lambda: True) -> int:
        """Supervise until a signal (returns the worst child exit code) or until ``still_ok()`` fails (1)."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._on_signal)
        for name in self.commands:
            self._start(name)
        failed = False
        while self.stop_signal is None:
            if not still_ok():
                failed = True
                self._on_signal(signal.SIGTERM, None)
                break
            for name in self.commands:
                self._watch(name)
            time.sleep(0.2)
        codes = self._wait_all()
        return 1 if failed else max(codes, default=0)

    def _on_signal(self, signum, _frame) -> None:
        self.stop_signal = signum
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signum)

    def _start(self, name: str) -> None:
        self.children[name] = subprocess.Popen(self.commands[name], env=self.env)
        self.started_at[name] = time.monotonic()
        self.restart_at.pop(name, None)

    def _watch(self, name: str) -> None:
        code = self.children[name].poll()
        if code is None:
            return
        now = time.monotonic()
        if name not in self.restart_at:
            ran = now - self.started_at[name]
            self.crashes[name] = 1 if ran >= self.healthy_after else self.crashes[name] + 1
            delay = min(self.max_backoff, 2.0 ** (self.crashes[name] - 1))
            log.error("service %s ended with exit code %s after %.0f s; restarting it in %.0f s", name, code, ran, delay)
            self.restart_at[name] = now + delay
        elif now >= self.restart_at[name]:
            self._start(name)

    def _wait_all(self) -> list[int]:
        deadline = time.monotonic() + self.stop_seconds
        codes = []
        for name, child in self.children.items():
            try:
                codes.append(child.wait(max(0.1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                log.error("service %s did not stop within %.0f s; killing it", name, self.stop_seconds)
                child.kill()
                codes.append(child.wait())
        return codes
