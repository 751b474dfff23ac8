"""JSON Schema checks that report :class:`Problem` lists with JSON-pointer paths."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .errors import Problem


@cache
def load_schema(path: str) -> dict[str, Any]:
    """Read a packaged JSON Schema once; the schema itself is checked against Draft 2020-12."""
    schema = json.loads(Path(path).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


def pointer(parts: Any) -> str:
    """A JSON pointer ("/a/0/b") from path parts, escaping "~" and "/" as RFC 6901 says."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "/" + "/".join(escaped) if parts else ""


def schema_problems(schema: dict[str, Any], data: Any) -> list[Problem]:
    """Every JSON Schema violation of ``data``, in document order, as problems."""
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return [_problem(error) for error in errors]


def _problem(error: ValidationError) -> Problem:
    parts = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return Problem(pointer(parts + [missing]), "is required")
    if error.validator == "additionalProperties":
        return Problem(pointer(parts), error.message)
    if error.validator == "anyOf":
        return Problem(pointer(parts), f"{error.instance!r} is not an accepted value here")
    return Problem(pointer(parts), error.message)
