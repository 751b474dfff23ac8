"""An event handler that leaves room for the service's other entrypoints.

Nameko runs at most ``max_workers`` workers per service and takes that many messages at once
from each queue. A burst of heavy events (twenty ``results_published`` of hundreds of contestants)
would hold every worker, and the health check and the committee's requests would wait for the
whole burst. ``bounded_event_handler`` lets at most ``share`` of the workers (at least one) run the
handler at a time; the other deliveries wait, unacknowledged, for a slot, and every RPC finds a
free worker. The handler's CPU work runs off the hub (see ``projections.ranking``), so the
service also keeps its broker heartbeats while it digests the burst.
"""
from __future__ import annotations

from eventlet.semaphore import Semaphore
from nameko.events import EventHandler


class BoundedEventHandler(EventHandler):
    def __init__(self, source_service: str, event_type: str, share: float = 0.25, **kwargs):
        super().__init__(source_service, event_type, **kwargs)
        self.share = share
        self._slots: Semaphore | None = None

    @property
    def slots(self) -> int:
        return max(1, int(self.container.max_workers * self.share))

    def setup(self) -> None:
        super().setup()
        self._slots = Semaphore(self.slots)

    def handle_message(self, body, message) -> None:
        assert self._slots is not None, "set up by the container"
        self._slots.acquire()  # in a managed thread of its own: the consumer keeps delivering
        try:
            super().handle_message(body, message)
        except BaseException:
            self._slots.release()
            raise

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        finally:
            assert self._slots is not None
            self._slots.release()


bounded_event_handler = BoundedEventHandler.decorator
