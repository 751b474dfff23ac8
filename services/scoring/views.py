"""Scoring's queries: the scheme, marks, progress, disputes and the audit trail (the read side)."""
from __future__ import annotations

from services.scoring.adapters import marking_forms
from services.scoring.adapters.cis_export import cis_workbook
from services.scoring.adapters.mark_rows import COUNTERS, counts, decode, log_changes
from services.scoring.adapters.repository import ScoringRepository
from services.scoring.domain.marksheet import sub_counts
from services.scoring.domain.roster import Roster
from services.scoring.domain.scheme import MarkingScheme
from services.scoring.refusals import check_format
from shared.errors import ServiceError, not_found
from shared.events import iso_utc
from shared.exports import XLSX_MIMETYPE
from shared.files import download

MARK_FIELDS = {"entry": 1, "sub": 1, "m": 1, "j": 1, "locked": 1}
AUDIT_LIMIT = 5000


def stored_scheme(repo: ScoringRepository, code: str, doc: dict) -> MarkingScheme:
    if not doc.get("scheme_version"):
        raise ServiceError("NOT_FOUND", f"competition {code} has no marking scheme yet")
    return repo.scheme(code, doc["scheme_version"])[0]


def scheme_workbook(repo: ScoringRepository, code: str, doc: dict, fmt: str) -> dict:
    """The stored scheme as a CIS "Marking Scheme Import" workbook (with its Calculations sheet)."""
    check_format(fmt, ("json", "xlsx"), served=("xlsx",))
    parsed = stored_scheme(repo, code, doc)
    skill = (doc.get("snapshot") or {}).get("skill") or {}
    title = " ".join(str(part) for part in (skill.get("code"), skill.get("name")) if part) or code
    return download(f"{code}-marking-scheme.xlsx", XLSX_MIMETYPE, cis_workbook(parsed, title))


def marking_form(repo: ScoringRepository, code: str, doc: dict, sub: str, fmt: str) -> dict:
    """A printable form for one sub-criterion: contestant numbers down, aspects across."""
    check_format(fmt, tuple(marking_forms.FORMATS))
    parsed = stored_scheme(repo, code, doc)
    if not parsed.aspects_of(sub):
        raise not_found("sub-criterion", sub)
    entries = sorted(repo.roster(code, doc).members)
    snap = doc.get("snapshot") or {}
    content = marking_forms.render(fmt, parsed, sub, entries, {"code": code, "name": snap.get("name", "")})
    return download(f"{code}-{sub}-marking-form.{fmt}", marking_forms.FORMATS[fmt], content)


def list_marks(repo: ScoringRepository, code: str, doc: dict, filters: dict, viewer: str | None) -> list[dict]:
    """Marks, filtered; ``viewer`` (a judge) sees only their own marks until the sub-criterion is locked."""
    roster = repo.roster(code, doc)
    parsed, _ = repo.scheme(code, doc["scheme_version"])
    named = filters.get("contestant")
    wanted = roster.all_entries.get(named, named) if named else None
    match = {"entry": wanted} if wanted else {}
    heads = repo.heads(code)
    items: list[dict] = []
    for stored in repo.rows.of(code, filters.get("sub_criterion"), MARK_FIELDS, **match):
        locked = bool(heads.get(stored["sub"], {}).get("locked"))
        items += _row_marks({**stored, "locked": locked}, parsed, roster, filters, None if locked else viewer)
    items.sort(key=lambda r: (r["sub_criterion"], r["entry"], r["aspect"], r.get("judge") or ""))
    return items


def _row_marks(stored: dict, parsed: MarkingScheme, roster: Roster, filters: dict, only: str | None) -> list[dict]:
    row = decode(stored)
    base = {"entry": row.entry, "contestants": roster.members.get(row.entry, [row.entry]),
            "sub_criterion": row.sub, "locked": bool(stored.get("locked"))}
    items = []
    for position, (value, by, observed) in row.marks.items():
        aspect = parsed.aspects[position]
        if (filters.get("aspect") in (None, aspect.id)) and only in (None, by):
            items.append({**base, "aspect": aspect.id, "type": aspect.type, "value": value, "entered_by": by,
                          **({"observed": observed} if observed is not None else {})})
    for position, scores in row.scores.items():
        aspect = parsed.aspects[position]
        for judge, score in sorted(scores.items()):
            if filters.get("aspect") in (None, aspect.id) and only in (None, judge) and \
                    filters.get("judge") in (None, judge):
                items.append({**base, "aspect": aspect.id, "type": aspect.type, "judge": judge, "score": score})
    return items


def progress(repo: ScoringRepository, code: str, doc: dict) -> list[dict]:
    """Progress per sub-criterion, in scheme order, from the rows' counters."""
    if doc["status"] == "setup":
        raise ServiceError("INVALID_STATE", f"marking of {code} has not opened")
    parsed, _ = repo.scheme(code, doc["scheme_version"])
    roster, heads = repo.roster(code, doc), repo.heads(code)
    by_sub: dict[str, list] = {s.id: [] for s in parsed.sub_criteria}
    for stored in repo.rows.of(code, projection=COUNTERS):
        by_sub.setdefault(stored["sub"], []).append(counts(stored))
    return [sub_counts(parsed, s.id, by_sub[s.id], roster, doc["policy"], bool(heads.get(s.id, {}).get("locked")))
            for s in parsed.sub_criteria if s.id in heads]


def disputes(repo: ScoringRepository, code: str, doc: dict) -> list[dict]:
    """Every judgement aspect in dispute now, in scheme order."""
    if doc["status"] == "setup":
        raise ServiceError("INVALID_STATE", f"marking of {code} has not opened")
    parsed, _ = repo.scheme(code, doc["scheme_version"])
    roster, limit = repo.roster(code, doc), doc["policy"].get("dispute_limit")
    order = {s.id: i for i, s in enumerate(parsed.sub_criteria)}
    found = []
    for stored in repo.rows.of(code, projection={"entry": 1, "sub": 1, "j": 1}, jd={"$gt": 0}):
        row = decode(stored)
        if row.entry not in roster.members:
            continue
        for position, scores in row.scores.items():
            spread = max(scores.values()) - min(scores.values())
            if limit is not None and spread > limit:
                found.append(((order.get(row.sub, 0), row.entry, position),
                              {"entry": row.entry, "aspect": parsed.aspects[position].id, "sub_criterion": row.sub,
                               "scores": dict(sorted(scores.items())), "spread": spread}))
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]


def audit(repo: ScoringRepository, code: str, roster: Roster, filters: dict) -> list[dict]:
    """Every recorded change, oldest first: marks from the rows' logs, the rest from the audit records."""
    named = filters.get("contestant")
    entry = roster.all_entries.get(named, named) if named else None
    rows = [] if filters.get("kind") not in (None, "marks", "dispute") else _mark_changes(repo, code, entry, filters)
    if not (entry or filters.get("aspect") or filters.get("judge")):
        query = {"code": code, **({"kind": filters["kind"]} if filters.get("kind") else {}),
                 **({"by": filters["by"]} if filters.get("by") else {})}
        for record in repo.audit_records(query):
            if filters.get("sub_criterion") in (None, record.get("sub_criterion")):
                rows.append(_audit_row(record))
    rows.sort(key=lambda r: r["at"])
    limit = int(filters.get("limit") or AUDIT_LIMIT)
    return [{**row, "at": iso_utc(row["at"])} for row in rows[-limit:]]


def _audit_row(record: dict) -> dict:
    return {"at": record["at"], "by": record["by"], "role": record.get("role"), "kind": record["kind"],
            "reason": record.get("reason"), "request_id": record.get("request_id"),
            **{k: record[k] for k in ("sub_criterion", "version", "revision") if k in record}}


def _mark_changes(repo: ScoringRepository, code: str, entry: str | None, filters: dict) -> list[dict]:
    match = {"entry": entry} if entry else {}
    changes = []
    for stored in repo.rows.of(code, filters.get("sub_criterion"), {"entry": 1, "sub": 1, "log": 1}, **match):
        changes += [c for c in _changes(stored) if _wanted(c, filters)]
    return changes


def _changes(stored: dict) -> list[dict]:
    """A row's log as changes, each with the old value (the previous entry's for the same cell)."""
    held: dict[tuple, dict] = {}
    changes = []
    for entry in (change for logged in stored.get("log") or [] for change in log_changes(logged)):
        cell = (entry["a"], entry.get("judge"))
        before = held.get(cell, {})
        change = {"at": entry["at"], "by": entry["by"], "role": entry.get("role"), "kind": entry["kind"],
                  "reason": entry.get("reason"), "request_id": entry.get("rid"), "entry": stored["entry"],
                  "aspect": entry["a"], "sub_criterion": stored["sub"], "type": entry["t"],
                  "old": before.get("new"), "new": entry["new"]}
        if entry.get("judge"):
            change["judge"] = entry["judge"]
        elif entry.get("o") is not None or before.get("o") is not None:
            change.update(observed=entry.get("o"), old_observed=before.get("o"))
        held[cell] = entry
        changes.append(change)
    return changes


def _wanted(change: dict, filters: dict) -> bool:
    return (filters.get("aspect") in (None, change["aspect"]) and filters.get("kind") in (None, change["kind"])
            and filters.get("by") in (None, change["by"])
            and filters.get("judge") in (None, change.get("judge", change["by"])))

