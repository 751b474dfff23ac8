"""The OpenAPI 3.1 document, built from the route tables and the JSON Schemas the services validate with."""
from __future__ import annotations

import re
from functools import lru_cache

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
    }}},
}
_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def _operation(route) -> dict:
    operation = {
        "summary": route.summary,
        "tags": [route.tag],
        "operationId": route.handler.__module__.rsplit(".", 1)[-1] + "_" + route.handler.__name__,
        "parameters": [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                       for n in _PARAM.findall(route.path)]
                      + [{"name": q, "in": "query", "required": False, "schema": {"type": "string"}} for q in route.query],
        "responses": {str(route.success): {"description": "success"},
                      "default": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
    }
    if route.roles is not None:
        operation["security"] = [{"bearer": []}]
        operation["x-roles"] = sorted(route.roles)
        operation["description"] = "roles: " + ", ".join(sorted(route.roles)) + (
            f"; within that, only {route.scope}" + (" (and admins)" if "admin" in route.roles else "")
            if route.scope else "")
    if route.request_schema:
        schema = {k: v for k, v in load_schema(route.request_schema).items() if k != "$schema"}
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    elif route.body == "file":
        operation["requestBody"] = {"required": True, "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}}
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
            "schemas": {"Error": ERROR_SCHEMA, "Common": load_schema(SHARED_SCHEMAS / "common.json")},
        },
    }
