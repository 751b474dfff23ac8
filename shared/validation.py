"""JSON Schema loading and validation (Draft 2020-12) with every problem reported at once.

Schemas that carry a ``urn:skills:...`` ``$id`` (the files under ``shared/schemas``) can be referenced
from any other schema, so services share tiers, levels and event base fields without copying them.
"""
from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from shared.errors import ServiceError, detail

SHARED_SCHEMAS = Path(__file__).resolve().parent / "schemas"
FORMAT_CHECKER = FormatChecker()


def _whole_number(checker, instance) -> bool:
    """JSON Schema counts 5.0 as an integer; a count or a level sent as 5.0 is a client's mistake."""
    return isinstance(instance, int) and not isinstance(instance, bool)


#: Draft 2020-12 where ``integer`` means an integer in the document, not any number with no fraction.
StrictValidator = validators.extend(
    Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _whole_number))


@cache
def load_schema(path: str | Path) -> dict:
    schema = json.loads(Path(path).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


@lru_cache(maxsize=1)
def shared_registry() -> Registry:
    resources = []
    for path in sorted(SHARED_SCHEMAS.rglob("*.json")):
        schema = load_schema(path)
        if "$id" in schema:
            resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@cache
def validator(path: str) -> Draft202012Validator:
    return StrictValidator(load_schema(path), registry=shared_registry(), format_checker=FORMAT_CHECKER)


def pointer(error: ValidationError) -> str:
    return "/" + "/".join(str(p) for p in error.absolute_path)


def _problem(error: ValidationError) -> str:
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        return f"unknown field ({error.message})"
    return error.message


def schema_problems(instance, schema_path: str | Path) -> list[dict]:
    """Every violation of the schema at ``schema_path`` as ``{"path", "problem"}``, in document order."""
    errors = sorted(validator(str(schema_path)).iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    return [detail(pointer(e), _problem(e)) for e in errors]


def validate(instance, schema_path: str | Path, what: str = "payload") -> None:
    """Raise ``ServiceError(VALIDATION_FAILED)`` listing every problem, or return quietly."""
    problems = schema_problems(instance, schema_path)
    if problems:
        raise ServiceError("VALIDATION_FAILED", f"{what} does not match its schema", problems)


#: What no text we store may hold: C0 controls except tab, line feed and carriage return, DEL and
#: the C1 controls, lone surrogates (half of a UTF-16 pair: not a character) and U+FFFE/U+FFFF.
#: XML 1.0 cannot carry most of them, so one stored name would break every XLSX export.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def character_problem(text: str) -> str | None:
    """Why ``text`` cannot be accepted, or ``None`` when every character is allowed."""
    found = FORBIDDEN_CHARACTERS.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        return f"holds a lone surrogate U+{code:04X} at position {found.start()}, which is not a character"
    return f"holds the control character U+{code:04X} at position {found.start()}, which is not allowed in text"


def text_problems(value, path: str = "") -> list[dict]:
    """A ``detail`` for every string (keys too) under ``value`` that holds a forbidden character."""
    if isinstance(value, str):
        problem = character_problem(value)
        return [detail(path or "/", problem)] if problem else []
    problems: list[dict] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}/{_escape_pointer(key)}"
            problem = character_problem(key)
            problems += [detail(where, "the field name " + problem)] if problem else text_problems(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems += text_problems(item, f"{path}/{index}")
    return problems


def _escape_pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
