"""The marking scheme: uploaded as JSON or a workbook, replaceable until marking opens, then frozen."""
from __future__ import annotations

from services.scoring.access import OWNER, access
from services.scoring.adapters.repository import ScoringRepository
from services.scoring.adapters.scheme_workbook import read_scheme_workbook
from services.scoring.domain.errors import SchemeInvalid
from services.scoring.domain.numbers import format_mark
from services.scoring.domain.scheme import MarkingScheme, wsos_variation, wsos_warnings
from services.scoring.domain.scheme_json import load_scheme, scheme_to_json
from services.scoring.domain.workbook_layout import scheme_summary
from services.scoring.handlers.roster import known
from services.scoring.refusals import scheme_refused
from shared.errors import ServiceError


def wsos_required(doc: dict) -> bool:
    """WSOS data is required at the WorldSkills tier only (below it, a warning when missing)."""
    return (doc.get("snapshot") or {}).get("tier") in (None, "worldskills")


def _owned_state(repo: ScoringRepository, registration, actor: dict, code: str) -> dict:
    doc = known(repo, registration, code)
    access(repo, registration, actor, code, doc, (OWNER,))
    return doc


def put_scheme(repo: ScoringRepository, registration, actor: dict, code: str, scheme: dict) -> dict:
    doc = _owned_state(repo, registration, actor, code)
    try:
        parsed = load_scheme(scheme, require_wsos=wsos_required(doc))
    except SchemeInvalid as error:
        raise scheme_refused(error, "marking scheme") from None
    return _store(repo, actor, code, doc, parsed, "json")


def import_scheme(repo: ScoringRepository, registration, actor: dict, code: str, content: bytes) -> dict:
    doc = _owned_state(repo, registration, actor, code)
    try:
        imported = read_scheme_workbook(content, require_wsos=wsos_required(doc))
    except SchemeInvalid as error:
        raise scheme_refused(error, "marking scheme workbook") from None
    source = "cis_xlsx" if imported.layout == "cis" else "score_sheet_xlsx"
    answer = _store(repo, actor, code, doc, imported.scheme, source)
    return {**answer, "warnings": imported.warnings + answer["warnings"]}


def _store(repo: ScoringRepository, actor: dict, code: str, doc: dict, parsed: MarkingScheme, source: str) -> dict:
    """``doc`` is the state read before parsing; ``save_scheme`` refuses again if marking opened since."""
    frozen = ServiceError("INVALID_STATE", f"marking of {code} has opened: its marking scheme is frozen")
    if doc["status"] != "setup":
        raise frozen
    version = repo.save_scheme(code, scheme_to_json(parsed), source, actor["username"])
    if not version:
        raise frozen
    repo.audit(code, actor, "scheme", version=version, source=source)
    return scheme_answer(code, parsed, version, source)


def scheme_answer(code: str, parsed: MarkingScheme, version: int, source: str) -> dict:
    variation = [{**row, "wsos_marks": format_mark(row["wsos_marks"]), "aspect_marks": format_mark(row["aspect_marks"]),
                  "variation": format_mark(row["variation"])} for row in wsos_variation(parsed)]
    return {"competition_code": code, "version": version, "source": source, "scheme": scheme_to_json(parsed),
            "aspects": len(parsed.aspects), "total": format_mark(parsed.total_max_mark),
            "summary": scheme_summary(parsed), "wsos_variation": variation, "warnings": wsos_warnings(parsed)}
