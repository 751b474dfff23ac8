"""mongoeco's engines as the local server runs them, without a full-collection scan on every insert.

mongoeco (4.11) checks a new document's ``_id`` twice: a lookup of its storage key, then a scan of
every document of the collection comparing ``_id`` values by BSON equality, so that ``1`` and
``1.0`` count as the same ``_id``. It makes that scan for each document an insert, an upsert or a
replace-with-upsert writes (``scan_payload_id``). For an ``_id`` that holds no number the storage
key already decides equality, so the scan finds nothing the lookup missed; it only makes each
write cost grow with the collection. Measured here on the memory engine, ``insert_one`` ran at 267/s
into an empty collection and 18/s into one of 3,000 documents; the SQLite engine also decodes every
stored document for it (53/s and 9/s). Every growing collection of the services (idempotency
records, contestants, mark rows, achievements) paid it.

The memory engine also reads a query's candidates from an ``_id`` only when the document is there:
an ``_id`` it does not hold (every upsert that inserts, every "seen this event?" check) and any
``_id: {$in: [...]}`` fall back to testing every document of the collection.

:func:`skip_redundant_id_scans` keeps the scans exactly where they can matter (an ``_id`` with a
number in it, which BSON equality compares by value, or a query with a collation) and drops them
elsewhere: the candidates it gives are the documents stored under those ``_id`` keys, which the
engine then filters as before. Into a collection of 3,000 documents on the memory engine,
``insert_one`` went from 18/s to 994/s and upserts that insert from 20/s to 1,973/s (the SQLite
engine's ``insert_one`` from 9/s to 176/s; its upserts still slow down as a collection grows, inside
SQLite). It is installed only in the local server's own process
(:mod:`shared.localdb`), and only on engine methods with the signature it was written for: a
mongoeco that changed them is left as it is.
"""
from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from typing import Any

from bson import ObjectId
from mongoeco.core.identity import id_contains_numeric_value
from mongoeco.core.query_plan import AndCondition, EqualsCondition, InCondition

_INSTALLED = "_skips_redundant_id_scan"
#: ``_id`` values whose storage key decides equality (no number, no pattern, no nesting).
PLAIN_IDS = (str, ObjectId)


def _without_redundant_scan(check: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(check)
    def checked(self, db_name, coll_name, document, *args, **kwargs):
        if kwargs.get("scan_payload_id") and not id_contains_numeric_value(document.get("_id")):
            kwargs["scan_payload_id"] = False
        return check(self, db_name, coll_name, document, *args, **kwargs)

    setattr(checked, _INSTALLED, True)
    return checked


def _root_ids(plan) -> tuple | None:
    """The ``_id`` values a query is limited to at its root, when every one of them is plain."""
    clauses = plan.clauses if isinstance(plan, AndCondition) else (plan,)
    for clause in clauses:
        if getattr(clause, "field", None) != "_id":
            continue
        if isinstance(clause, EqualsCondition):
            values: tuple = (clause.value,)
        elif isinstance(clause, InCondition):
            values = tuple(clause.values)
        else:
            continue
        return values if all(type(v) in PLAIN_IDS for v in values) else None
    return None


def _candidates_by_id(candidates: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(candidates)
    def narrowed(self, coll, query_plan, *, collation=None, natural_order_limit=None, **kwargs):
        ids = None if collation is not None else _root_ids(query_plan)
        if ids is None:
            return candidates(self, coll, query_plan, collation=collation, natural_order_limit=natural_order_limit,
                              **kwargs)
        keys = {self._storage_key(value) for value in ids}
        ordered = (coll.ordered_keys(keys, limit=natural_order_limit) if hasattr(coll, "ordered_keys")
                   else [key for key in coll if key in keys])
        return [(key, coll[key]) for key in ordered]

    setattr(narrowed, _INSTALLED, True)
    return narrowed


def _installable(check: Callable[..., Any], parameter: str) -> bool:
    if getattr(check, _INSTALLED, False):
        return False
    found = inspect.signature(check).parameters.get(parameter)
    return found is not None and found.kind is inspect.Parameter.KEYWORD_ONLY


def skip_redundant_id_scans() -> list[str]:
    """Install the narrower checks on the engines that still have the scans; the names of those changed."""
    changed = []
    for (module_name, class_name, method_name), parameter, narrow in PATCHES:
        engine = getattr(importlib.import_module(module_name), class_name)
        method = getattr(engine, method_name, None)
        if method is not None and _installable(method, parameter) and hasattr(engine, "_storage_key"):
            setattr(engine, method_name, narrow(method))
            changed.append(f"{class_name}.{method_name}")
    return changed


#: (module, class, method), the keyword-only parameter it must take, and its narrower version.
PATCHES = ((("mongoeco.engines.memory", "MemoryEngine", "_ensure_unique_indexes"), "scan_payload_id",
            _without_redundant_scan),
           (("mongoeco.engines.sqlite", "SQLiteEngine", "_validate_document_against_unique_indexes"),
            "scan_payload_id", _without_redundant_scan),
           (("mongoeco.engines.memory", "MemoryEngine", "_candidate_items_for_plan_locked"), "collation",
            _candidates_by_id))
