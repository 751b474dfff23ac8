"""The gateway's HTTP plumbing: routes, the request a handler sees, JSON replies, error envelopes.

One nameko ``@http`` entrypoint takes every ``/api/v1/...`` request and dispatches it through a
werkzeug ``Map`` built from the route tables, so unknown paths, wrong methods, malformed JSON, bad
tokens and service refusals all leave in the same envelope and nothing ever answers 500 with a trace.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from shared.errors import ServiceError, error_envelope

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Route:
    """One operation of the API: method, path (werkzeug syntax), who may call it, how it is documented."""

    method: str
    path: str
    handler: Callable[["Call"], Any]
    roles: frozenset[str] | None  # None: no token needed; otherwise every role allowed, admin included or not
    summary: str
    tag: str
    request_schema: str | None = None  # file path of the JSON Schema of the body, for OpenAPI
    body: str = "json"  # json | file | none
    success: int = 200
    query: tuple[str, ...] = ()
    scope: str = ""  # the object-level rule on top of the roles, e.g. "the competition's organisers"

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"


def route(method: str, path: str, roles: tuple[str, ...] | None, summary: str, tag: str, *, admin: bool = True,
          **kwargs) -> Callable:
    """Decorator collecting a handler into a module's ``ROUTES`` list (passed as ``kwargs['into']``).

    Admins may call every route with roles unless ``admin=False`` (entering marks is a judge's act).
    """
    into = kwargs.pop("into")
    allowed = None if roles is None else frozenset(roles) | ({"admin"} if admin else frozenset())

    def register(handler):
        into.append(Route(method, path, handler, allowed, summary, tag, **kwargs))
        return handler

    return register


@dataclass
class Call:
    """What a handler gets: the worker (for its RPC proxies), the caller, path params, the request."""

    worker: Any
    request: Request
    params: dict
    user: dict | None = None
    _json: Any = field(default=None, init=False)

    @property
    def actor(self) -> dict:
        return {"username": self.user["sub"], "role": self.user["role"]} if self.user else {}

    @property
    def query(self) -> dict:
        return self.request.args.to_dict()

    def json(self) -> Any:
        if self._json is None:
            self._json = parse_json_body(self.request)
        return self._json

    def file(self) -> tuple[bytes, str]:
        """The raw body and its content type (CSV or XLSX uploads)."""
        data = self.request.get_data(cache=True)
        if not data:
            raise ServiceError("MALFORMED_REQUEST", "the request body is empty; send the file as the body")
        return data, self.request.mimetype or ""


def parse_json_body(request: Request) -> Any:
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ServiceError("MALFORMED_REQUEST", "the request body is empty; a JSON document was expected")
    try:
        return json.loads(raw.decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError:
        raise ServiceError("MALFORMED_REQUEST", "the body is not UTF-8 text")
    except json.JSONDecodeError as exc:
        raise ServiceError("MALFORMED_REQUEST", f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                           [{"path": "/", "problem": exc.msg}])


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, default=_default)
    return Response(body, status=status, mimetype="application/json", headers=headers)


def error_response(error: ServiceError) -> Response:
    return json_response(error.envelope(), status=error.status)


def build_map(routes: list[Route]) -> Map:
    rules = [Rule(API_PREFIX + r.path, methods=[r.method], endpoint=r) for r in routes]
    return Map(rules, strict_slashes=False, merge_slashes=False)


def match(url_map: Map, request: Request) -> tuple[Route, dict]:
    adapter = url_map.bind_to_environ(request.environ)
    try:
        return adapter.match()
    except MethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.valid_methods or []))
        raise ServiceError("METHOD_NOT_ALLOWED", f"{request.method} is not allowed on {request.path}; allowed: {allowed}")
    except NotFound:
        raise ServiceError("NOT_FOUND", f"no API resource at {request.path}")


def unexpected_failure(request: Request, exc: Exception) -> Response:
    log.exception("unexpected failure handling %s %s", request.method, request.path)
    return json_response(error_envelope("UNAVAILABLE", "the request could not be completed; try again later"), 503)
