"""Holding a workbook parse mid-way, to prove the services keep answering while one runs."""
from __future__ import annotations

import time

import eventlet
from eventlet import patcher

from shared import spreadsheets

threading = patcher.original("threading")


class HeldParse:
    """Makes ``shared.spreadsheets`` wait, inside the parse, on a real OS event until ``release``.

    A parse off the event loop waits in its own thread while green threads go on, so whatever
    ``release`` records comes first. A parse on the loop would block every green thread until
    the wait timed out, and ``order`` would show the parse first.
    """

    def __init__(self, monkeypatch, timeout: float = 20.0):
        self.order: list[str] = []
        self._started, self._released = threading.Event(), threading.Event()
        parse = spreadsheets._read_workbook

        def held(*args):
            self._started.set()
            self._released.wait(timeout)
            self.order.append("parse finished")
            return parse(*args)

        monkeypatch.setattr(spreadsheets, "_read_workbook", held)

    def wait_until_parsing(self, seconds: float = 20.0) -> None:
        deadline = time.monotonic() + seconds
        while not self._started.is_set():
            assert time.monotonic() < deadline, "the parse never started"
            eventlet.sleep(0.01)

    def release(self, what_happened_meanwhile: str) -> None:
        self.order.append(what_happened_meanwhile)
        self._released.set()
