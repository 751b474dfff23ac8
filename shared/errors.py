"""The error envelope every service speaks, and the one exception that crosses RPC.

A service raises ``ServiceError``; nameko serialises it with its args, and because the class is
registered with ``deserialize_to_instance`` the gateway gets the same exception back and turns it
into the HTTP envelope ``{"error": {"code", "message", "details"}}`` with the status of its code.
"""
from __future__ import annotations

import json
from collections.abc import Iterable

from nameko.exceptions import deserialize_to_instance

HTTP_STATUS = {
    "MALFORMED_REQUEST": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "CONFLICT": 409,
    "DUPLICATE": 409,
    "INVALID_STATE": 409,
    "IDEMPOTENCY_CONFLICT": 409,
    "VALIDATION_FAILED": 422,
    "RULE_VIOLATION": 422,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "PAYLOAD_TOO_LARGE": 413,
    "TOO_MANY_REQUESTS": 429,
    "INTERNAL_ERROR": 500,  # a fault of ours; the body carries a correlation id
    "UNAVAILABLE": 503,  # a backend (or its database) is down or not answering: retry later
}


def detail(path: str, problem: str) -> dict:
    """One entry of ``details``: a JSON-pointer-like path (or sheet!cell / row:column) and the problem."""
    return {"path": path, "problem": problem}


@deserialize_to_instance
class ServiceError(Exception):
    """A refusal the caller should see: what went wrong, where, and why.

    ``code`` picks the HTTP status (see ``HTTP_STATUS``); ``details`` lists every problem found.
    """

    def __init__(self, code: str, message: str, details: Iterable[dict] | str | None = None):
        self.code = code
        self.message = message
        # nameko turns non-string args into strings on the wire; JSON keeps row numbers numbers.
        self.details = json.loads(details) if isinstance(details, str) else list(details or [])
        super().__init__(code, message, json.dumps(self.details, ensure_ascii=False, default=str))

    @property
    def status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    def envelope(self) -> dict:
        return error_envelope(self.code, self.message, self.details)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def error_envelope(code: str, message: str, details: Iterable[dict] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": list(details or [])}}


def not_found(what: str, key: str) -> ServiceError:
    return ServiceError("NOT_FOUND", f"{what} '{key}' does not exist")


def validation_failed(message: str, details: Iterable[dict]) -> ServiceError:
    return ServiceError("VALIDATION_FAILED", message, details)
