"""Entrypoint decorators every service uses.

A ``ServiceError`` is an answer (the caller asked for something the rules refuse), not a fault:
declaring it expected keeps nameko from logging a traceback at ERROR for every refused request,
which both floods the logs and costs time on the hot path. Unexpected exceptions are still
logged with their traceback.
nameko logs expected exceptions at WARNING with their traceback; ``shared/config.yaml`` sets the
``nameko.containers`` logger to ERROR so only faults are logged.

The gateway tells "down" (503, retry) from "broken" (500) by what crosses RPC: a database that
does not answer is turned into ``ServiceError("UNAVAILABLE")`` here; any other exception arrives
as a ``RemoteError`` and is a fault.
"""
import functools
from collections.abc import Callable

from nameko.rpc import rpc as nameko_rpc
from pymongo.errors import ConnectionFailure

from shared.errors import ServiceError


def rpc(method: Callable) -> Callable:
    """``@rpc`` with ``ServiceError`` declared as an expected outcome, and a database that is
    not answering reported as ``UNAVAILABLE``."""

    @functools.wraps(method)
    def answer(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except ConnectionFailure as exc:  # no server selected, connection lost, network timeout
            raise ServiceError("UNAVAILABLE", "the service's database is not answering; try again shortly") from exc

    return nameko_rpc(expected_exceptions=ServiceError)(answer)
