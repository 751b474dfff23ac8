"""The gateway's HTTP plumbing: routes, the request a handler sees, JSON replies, error envelopes.

One nameko ``@http`` entrypoint takes every ``/api/v1/...`` request and dispatches it through a
werkzeug ``Map`` built from the route tables, so unknown paths, wrong methods, malformed JSON, bad
tokens and service refusals all leave in the same envelope; ``EnvelopeWebServer`` gives paths the
entrypoint cannot even match (outside ``/api/v1``, or holding a line break) the same envelope.
A fault of ours is a 500 with a correlation id in the body and the log, never a trace.

Bodies are read as the client sent them, chunked included, up to ``MAX_BODY_BYTES``. JSON bodies
are checked beyond syntax before any handler sees them: nesting depth, integers a database can
hold, no NaN/Infinity, and no control character or lone surrogate in any string (each named by
its JSON pointer). Declared query parameters are checked against ``QUERY_PARAMETERS``.
"""
from __future__ import annotations

import io
import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from shared.errors import ServiceError, detail, error_envelope
from shared.files import downloaded
from shared.validation import character_problem, text_problems

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_JSON_DEPTH = 32
INT64 = 2 ** 63  # what MongoDB stores as an integer
MAX_QUERY_TEXT = 200

#: The query parameters the routes declare, by name, as OpenAPI schemas (string values on the wire).
QUERY_PARAMETERS: dict[str, dict] = {
    "limit": {"type": "integer", "minimum": 1, "maximum": 100_000},
    "page": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
    "per_page": {"type": "integer", "minimum": 1, "maximum": 200},
    "version": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
    # every format some operation offers; each operation's summary says which it offers, and it
    # refuses the others with 422
    "format": {"type": "string", "enum": ["json", "csv", "xlsx", "pdf"]},
    "include_withdrawn": {"type": "string", "enum": ["true", "false", "1", "0", "yes", "no"]},
    "status": {"type": "string", "enum": ["draft", "open", "closed"]},
}
_INTEGER_TEXT = re.compile(r"^-?[0-9]{1,19}$")


@dataclass(frozen=True)
class Route:
    """One operation of the API: method, path (werkzeug syntax), who may call it, how it is documented."""

    method: str
    path: str
    handler: Callable[[Call], Any]
    roles: frozenset[str] | None  # None: no token needed; otherwise every role allowed, admin included or not
    summary: str
    tag: str
    request_schema: str | None = None  # file path of the JSON Schema of the body, for OpenAPI
    body: str = "json"  # json | file | none
    success: int | tuple[int, ...] = 200  # every status the operation answers with when it works
    query: tuple[str, ...] = ()
    scope: str = ""  # the object-level rule on top of the roles, e.g. "the competition's organisers"
    refusals: tuple[int, ...] = ()  # statuses beyond the usual ones this operation may answer (for OpenAPI)

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
    _json: dict = field(default_factory=dict, init=False)

    @property
    def actor(self) -> dict:
        return {"username": self.user["sub"], "role": self.user["role"]} if self.user else {}

    @property
    def query(self) -> dict:
        """The query string (checked against the route's declared parameters when it was matched)."""
        return self.request.args.to_dict()

    def json(self, parse_float: Callable[[str], Any] = Decimal) -> Any:
        """The body as JSON, checked (see the module doc); decimals as ``parse_float`` makes them."""
        if parse_float not in self._json:
            self._json[parse_float] = parse_json_body(self.request, parse_float)
        return self._json[parse_float]

    def file(self) -> tuple[bytes, str]:
        """The raw body and its content type (CSV or XLSX uploads)."""
        data = read_body(self.request)
        if not data:
            raise ServiceError("MALFORMED_REQUEST", "the request body is empty; send the file as the body")
        return data, self.request.mimetype or ""


class GatewayRequest(Request):
    """A request whose body is refused (not cut short) past ``MAX_BODY_BYTES``."""

    max_content_length = MAX_BODY_BYTES
    path_values: Mapping[str, Any]  # set by the WSGI app from the matched rule, as nameko expects


def read_body(request: Request) -> bytes:
    """The whole body (chunked too), or ``PAYLOAD_TOO_LARGE`` past ``MAX_BODY_BYTES``."""
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise ServiceError("PAYLOAD_TOO_LARGE", f"the body is larger than {MAX_BODY_BYTES} bytes",
                           [detail("/", f"at most {MAX_BODY_BYTES} bytes")]) from None


class _OutOfRange:
    """Stands in for a number JSON allows but we cannot hold, so the walk can name where it was."""

    def __init__(self, text: str, why: str):
        self.text, self.why = text, why


def _integer(text: str) -> int | _OutOfRange:
    if len(text.lstrip("-")) > 19 or not -INT64 <= int(text) < INT64:
        return _OutOfRange(text, f"the integer {text[:20]}{'...' if len(text) > 20 else ''} "
                                 f"({len(text.lstrip('-'))} digits) is out of range; integers are 64-bit")
    return int(text)


def _constant(text: str) -> _OutOfRange:
    return _OutOfRange(text, f"{text} is not a number JSON allows")


def parse_json_body(request: Request, parse_float: Callable[[str], Any] = Decimal) -> Any:
    raw = read_body(request)
    if not raw.strip():
        raise ServiceError("MALFORMED_REQUEST", "the request body is empty; a JSON document was expected")
    out_of_range: list[_OutOfRange] = []

    def kept(value: Any) -> Any:
        if isinstance(value, _OutOfRange):
            out_of_range.append(value)
        return value

    try:
        text = raw.decode("utf-8")
        document = json.loads(text, parse_float=parse_float, parse_int=lambda t: kept(_integer(t)),
                              parse_constant=lambda t: kept(_constant(t)))
    except UnicodeDecodeError:
        raise ServiceError("MALFORMED_REQUEST", "the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ServiceError("MALFORMED_REQUEST", f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                           [{"path": "/", "problem": exc.msg}]) from None
    except RecursionError:
        raise _too_deep("/") from None
    if out_of_range or _deeper_than(document, MAX_JSON_DEPTH) or _may_hold_forbidden_text(text):
        check_json_values(document)  # finds and names every problem
    return document


def _deeper_than(document: Any, limit: int) -> bool:
    """Whether containers nest more than ``limit`` levels (what ``check_json_values`` refuses)."""
    level, depth = ([document] if isinstance(document, (dict, list)) else []), 0
    while level:
        if depth >= limit and any(level):  # what they hold lies deeper than the limit
            return True
        below: list[Any] = []
        for value in level:
            if isinstance(value, dict):
                below.extend(v for v in value.values() if isinstance(v, (dict, list)))
            elif isinstance(value, list):
                below.extend(v for v in value if isinstance(v, (dict, list)))
        level, depth = below, depth + 1
    return False


def _may_hold_forbidden_text(text: str) -> bool:
    """Whether a string of the document could hold a character ``text_problems`` refuses: only when the
    JSON text holds one itself, or an escape (``\\u0000``, ``\\b``, ...) that could make one."""
    return "\\" in text or character_problem(text) is not None


def _too_deep(path: str) -> ServiceError:
    return ServiceError("MALFORMED_REQUEST", f"the JSON document is nested more than {MAX_JSON_DEPTH} levels deep",
                        [detail(path, f"nested more than {MAX_JSON_DEPTH} levels deep")])


def check_json_values(document: Any) -> None:
    """Refuse too deep nesting, numbers out of range and forbidden characters, naming each place."""
    problems: list[dict] = []
    stack: list[tuple[str, Any, int]] = [("", document, 0)]
    while stack:
        path, value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _too_deep(path)
        if isinstance(value, _OutOfRange):
            problems.append(detail(path or "/", value.why))
        elif isinstance(value, dict):
            stack.extend((f"{path}/{_pointer(k)}", v, depth + 1) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((f"{path}/{i}", v, depth + 1) for i, v in reversed(list(enumerate(value))))
    if problems:
        raise ServiceError("VALIDATION_FAILED", f"{problems[0]['path']}: {problems[0]['problem']}", problems)
    problems = text_problems(document)
    if problems:
        raise ServiceError("VALIDATION_FAILED", f"{problems[0]['path']} {problems[0]['problem']}", problems)


def _pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def check_query(route: Route, args) -> None:
    """The query holds only ``route``'s declared parameters, each once and as ``QUERY_PARAMETERS`` says."""
    problems = []
    for name in args:
        values = args.getlist(name)
        if name not in route.query:
            takes = ", ".join(route.query) if route.query else "none"
            problems.append(detail(f"/query/{name}", f"unknown query parameter; this operation takes: {takes}"))
        elif len(values) > 1:
            problems.append(detail(f"/query/{name}", "given more than once"))
        elif problem := query_problem(name, values[0]):
            problems.append(detail(f"/query/{name}", problem))
    if problems:
        raise ServiceError("VALIDATION_FAILED", f"query parameter {problems[0]['path'][7:]}: {problems[0]['problem']}",
                           problems)


def query_problem(name: str, value: str) -> str | None:
    schema = QUERY_PARAMETERS.get(name, {"type": "string"})
    text_problem = character_problem(value)
    if text_problem:
        return text_problem
    if len(value) > MAX_QUERY_TEXT:
        return f"longer than {MAX_QUERY_TEXT} characters"
    if "enum" in schema and value not in schema["enum"]:
        return f"'{value}' is not one of {', '.join(schema['enum'])}"
    if schema["type"] == "integer":
        if not _INTEGER_TEXT.match(value):
            return f"'{value}' is not a whole number"
        if not schema["minimum"] <= int(value) <= schema["maximum"]:
            return f"must be {schema['minimum']}..{schema['maximum']}, not {value}"
    return None


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, default=_default)
    return Response(body, status=status, mimetype="application/json", headers=headers)


def download_response(answer: dict) -> Response:
    """A file a service exported (``filename``, ``content_type``, ``content_b64``) as an attachment."""
    return Response(downloaded(answer), mimetype=answer["content_type"].split(";")[0],
                    headers={"Content-Disposition": f'attachment; filename="{answer["filename"]}"'})


RETRY_AFTER_SECONDS = 5


def error_response(error: ServiceError) -> Response:
    headers = dict(getattr(error, "headers", None) or {})
    if error.status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return json_response(error.envelope(), status=error.status, headers=headers)


class MethodNotAllowedError(ServiceError):
    """405 with the ``Allow`` header listing what the path does accept (never crosses RPC)."""

    def __init__(self, method: str, path: str, allowed: list[str]):
        allow = ", ".join(sorted(allowed))
        super().__init__("METHOD_NOT_ALLOWED", f"{method} is not allowed on {path}; allowed: {allow}",
                         [detail("/", f"allowed: {allow}")])
        self.headers = {"Allow": allow}


def build_map(routes: list[Route]) -> Map:
    # werkzeug takes any object as the endpoint (typed as a name): the rule hands back its Route
    rules = [Rule(API_PREFIX + r.path, methods=[r.method], endpoint=cast(Any, r)) for r in routes]
    return Map(rules, strict_slashes=False, merge_slashes=False)


def match(url_map: Map, request: Request) -> tuple[Route, dict]:
    adapter = url_map.bind_to_environ(request.environ)
    try:
        endpoint, params = adapter.match()
    except MethodNotAllowed as exc:
        raise MethodNotAllowedError(request.method, request.path, list(exc.valid_methods or [])) from None
    except NotFound:
        raise ServiceError("NOT_FOUND", f"no API resource at {request.path!r}") from None
    route = cast(Route, endpoint)
    check_query(route, request.args)
    return route, dict(params)


def unexpected_failure(request: Request, exc: BaseException, what: str = "unexpected failure") -> Response:
    """A fault of ours: 500 with a correlation id that finds the logged traceback."""
    correlation_id = uuid.uuid4().hex
    log.error("%s handling %s %r [correlation_id=%s]", what, request.method, request.path, correlation_id,
              exc_info=(type(exc), exc, exc.__traceback__))
    envelope = error_envelope("INTERNAL_ERROR", f"the request failed on our side; quote correlation id {correlation_id}",
                              [detail("/", "internal error")])
    envelope["error"]["correlation_id"] = correlation_id
    return json_response(envelope, 500, headers={"X-Correlation-Id": correlation_id})


def http_exception_response(request: Request, exc: HTTPException) -> Response:
    """werkzeug's own refusals (no route, wrong method, too large) in the envelope."""
    if isinstance(exc, MethodNotAllowed):
        return error_response(MethodNotAllowedError(request.method, request.path, list(exc.valid_methods or [])))
    if isinstance(exc, RequestEntityTooLarge):
        return error_response(ServiceError("PAYLOAD_TOO_LARGE", f"the body is larger than {MAX_BODY_BYTES} bytes"))
    if isinstance(exc, (NotFound, RequestRedirect)):  # a path is served as typed, never redirected
        return error_response(ServiceError("NOT_FOUND", f"no API resource at {request.path!r}; the API is under "
                                                        f"{API_PREFIX}/"))
    return error_response(ServiceError("MALFORMED_REQUEST", exc.description or exc.name))


class EnvelopeWsgiApp(WsgiApp):
    """nameko's WSGI app with ``GatewayRequest``, chunked bodies read, and every refusal of its own
    in the envelope."""

    def __call__(self, environ, start_response):
        request = GatewayRequest(environ, shallow=True)
        try:
            read_chunked_body(environ)
            provider, values = self.url_map.bind_to_environ(environ).match()
            request.path_values = values
            response = provider.handle_request(request)
        except HTTPException as exc:
            response = http_exception_response(request, exc)
        except ServiceError as error:
            response = error_response(error)
        return response(environ, start_response)


def read_chunked_body(environ: dict) -> None:
    """Read a body sent without a Content-Length (``Transfer-Encoding: chunked``) up to
    ``MAX_BODY_BYTES`` and present it as an ordinary one: werkzeug reads such a body as empty
    unless the server vouches for the stream's end, which eventlet's server does not say."""
    if environ.get("CONTENT_LENGTH") or environ.get("HTTP_TRANSFER_ENCODING", "").lower() != "chunked":
        return
    body = environ["wsgi.input"].read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise ServiceError("PAYLOAD_TOO_LARGE", f"the body is larger than {MAX_BODY_BYTES} bytes",
                           [detail("/", f"at most {MAX_BODY_BYTES} bytes")])
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    del environ["HTTP_TRANSFER_ENCODING"]


class EnvelopeWebServer(WebServer):
    def get_wsgi_app(self):
        return EnvelopeWsgiApp(self)


class ApiEntrypoint(HttpRequestHandler):
    """nameko's ``@http`` served by ``EnvelopeWebServer``."""

    server = EnvelopeWebServer()


api_entrypoint = ApiEntrypoint.decorator
