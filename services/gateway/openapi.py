"""The OpenAPI 3.1 document, built from the route tables and the JSON Schemas the services validate with.

Every status an operation can answer is documented with what its body is, so a client (and the
schemathesis run in the tests) can rely on it: the route's success status(es), the refusals the
gateway gives every operation, and 500 (a fault, with a correlation id) / 503 (a backend down).
Schemas refer to the shared value types as ``urn:skills:common#/$defs/...``; in the document
those references point at ``#/components/schemas/Common``.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from shared.errors import HTTP_STATUS
from shared.validation import load_schema

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {
        "code": {"type": "string", "enum": sorted(HTTP_STATUS)},
        "message": {"type": "string"},
        "details": {"type": "array", "items": {"type": "object", "properties": {
            "path": {"type": "string"}, "problem": {"type": "string"}}}},
        "correlation_id": {"type": "string", "description": "on a 500: quote it, it finds the logged fault"},
    }}},
}
_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
COMMON_REF = "urn:skills:common#"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERROR_REF = {"$ref": "#/components/responses/Error"}
JSON_BODY = {"application/json": {"schema": {"type": ["object", "array"]}}}
EXPORT_BODY = {**JSON_BODY, "text/csv": {"schema": {"type": "string"}}, XLSX: {"schema": {"type": "string"}},
               "application/pdf": {"schema": {"type": "string"}}}
#: Refusals any operation may give (a path parameter naming nothing, a bad query, a fault, a backend down).
ALWAYS = {"400": "malformed request", "404": "no such resource", "405": "method not allowed (see Allow)",
          "409": "conflicts with the current state", "422": "invalid input, every problem listed",
          "500": "a fault of ours; the body carries a correlation id", "503": "a backend is down; retry (Retry-After)"}
WITH_BODY = {"413": "body too large", "415": "unsupported media type"}
#: Answered by the HTTP server itself before the API sees the request: no body.
URI_TOO_LONG = {"414": {"description": "the request line is longer than 8 KB; refused by the HTTP server, empty body"}}
WITH_TOKEN = {"401": "no token, or a bad or expired one", "403": "the role or the caller may not do this"}
OTHER = {"401": "not signed in: unknown username or wrong password", "429": "too many attempts; see Retry-After"}


def _local_refs(schema: Any) -> Any:
    """``schema`` with references to the shared types pointing into this document."""
    if isinstance(schema, dict):
        return {k: (_local(v) if k == "$ref" else _local_refs(v)) for k, v in schema.items() if k not in ("$schema", "$id")}
    if isinstance(schema, list):
        return [_local_refs(v) for v in schema]
    return schema


def _local(ref: str) -> str:
    return "#/components/schemas/Common" + ref[len(COMMON_REF):] if ref.startswith(COMMON_REF) else ref


def _query_parameter(name: str) -> dict:
    from services.gateway.http import QUERY_PARAMETERS

    schema = QUERY_PARAMETERS.get(name, {"type": "string", "maxLength": 200})
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _responses(route) -> dict:
    successes = route.success if isinstance(route.success, tuple) else (route.success,)
    body = EXPORT_BODY if "format" in route.query else JSON_BODY
    responses = {str(status): {"description": "the answer", "content": body} if status != 204 else
                 {"description": "done; no body"} for status in successes}
    responses.update(URI_TOO_LONG)
    refusals = {**ALWAYS, **(WITH_BODY if route.body != "none" and route.method in ("POST", "PUT", "PATCH") else {}),
                **(WITH_TOKEN if route.roles is not None else {}),
                **{str(status): OTHER.get(str(status), "refused") for status in route.refusals}}
    for status, description in refusals.items():
        responses.setdefault(status, {**ERROR_REF, "description": description})
    return dict(sorted(responses.items()))


def _operation(route) -> dict:
    operation = {
        "summary": route.summary,
        "tags": [route.tag],
        "operationId": route.handler.__module__.rsplit(".", 1)[-1] + "_" + route.handler.__name__,
        "parameters": [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                       for n in _PARAM.findall(route.path)] + [_query_parameter(q) for q in route.query],
        "responses": _responses(route),
    }
    if route.roles is not None:
        operation["security"] = [{"bearer": []}]
        operation["x-roles"] = sorted(route.roles)
        operation["description"] = "roles: " + ", ".join(sorted(route.roles)) + (
            f"; within that, only {route.scope}" + (" (and admins)" if "admin" in route.roles else "")
            if route.scope else "")
    if route.request_schema:
        schema = _local_refs(load_schema(route.request_schema))
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    elif route.body == "file":
        operation["requestBody"] = {"required": True, "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}}}}
    return operation


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    from services.gateway.routes import all_routes
    from shared.validation import SHARED_SCHEMAS

    paths: dict = {}
    for r in all_routes():
        paths.setdefault("/api/v1" + _PARAM.sub(r"{\1}", r.path), {})[r.method.lower()] = _operation(r)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Skills competitions and honours API", "version": "1.0.0",
                 "description": "WorldSkills-style competitions, marking and Shanghai honours nominations."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {"Error": ERROR_SCHEMA, "Common": _local_refs(load_schema(SHARED_SCHEMAS / "common.json"))},
            "responses": {"Error": {"description": "refused or failed: the error envelope",
                                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
        },
    }
