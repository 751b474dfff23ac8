"""Entrypoint decorators every service uses.

A ``ServiceError`` is an answer (the caller asked for something the rules refuse), not a fault:
declaring it expected keeps nameko from logging a traceback at ERROR for every refused request,
which both floods the logs and costs time on the hot path. Unexpected exceptions are still
logged with their traceback.
nameko logs expected exceptions at WARNING with their traceback; ``shared/config.yaml`` sets the
``nameko.containers`` logger to ERROR so only faults are logged.
"""
from typing import Callable

from nameko.rpc import rpc as nameko_rpc

from shared.errors import ServiceError


def rpc(method: Callable) -> Callable:
    """``@rpc`` with ``ServiceError`` declared as an expected outcome."""
    return nameko_rpc(expected_exceptions=ServiceError)(method)
