"""Results as readers see them: computed from the mark rows (provisional or to be finalised), the
stored final results, their exports and the event's top-score award."""
from __future__ import annotations

from services.scoring.access import COMMITTEE, OWNER
from services.scoring.adapters import results_export as export
from services.scoring.adapters.mark_rows import decode
from services.scoring.adapters.repository import ScoringRepository
from services.scoring.domain.errors import MarkingRuleViolation
from services.scoring.domain.marksheet import MAX_DETAILS, delegation_label, results_input
from services.scoring.domain.medals import top_score_award
from services.scoring.domain.numbers import format_mark
from services.scoring.domain.results import compute_results
from services.scoring.domain.roster import Roster
from shared.errors import ServiceError
from shared.events import iso_utc
from shared.files import download

IDENTIFIERS = ("person_key", "masked_id")  # results fields for the competition's owners and the committee only
PUBLISHED_FIELDS = ("contestant_id", "person_key", "masked_id", "name", "employer", "delegation", "employment",
                    "current_level", "team", "raw", "scale", "rank", "medal", "medallion", "best_of_delegation")
ROWS = {"entry": 1, "sub": 1, "m": 1, "j": 1}


def for_reader(answer: dict, where: str) -> dict:
    """Results without the person key and masked ID for anyone but the owners and the committee."""
    if where in (OWNER, COMMITTEE):
        return answer
    return {**answer, "results": [{k: v for k, v in row.items() if k not in IDENTIFIERS}
                                  for row in answer["results"]]}


def compute(repo: ScoringRepository, code: str, doc: dict, roster: Roster, provisional: bool) -> list[dict]:
    """The results table from the marks held now (missing marks count 0 when ``provisional``)."""
    parsed, _ = repo.scheme(code, doc["scheme_version"])
    rows = (decode(row) for row in repo.rows.of(code, projection=ROWS))
    measurements, judgements = results_input(parsed, rows, set(roster.members))
    people = [{"id": cid, "delegation": delegation_label(roster.contestants[cid].get("delegation")),
               "team": entry if entry != cid else None} for cid, entry in sorted(roster.entry_of.items())]
    try:
        results = compute_results(parsed, measurements, judgements, people, doc["policy"], provisional=provisional)
    except MarkingRuleViolation as error:
        raise ServiceError("RULE_VIOLATION", f"results of {code} cannot be computed: {error.problems[0].problem}",
                           error.details()[:MAX_DETAILS]) from None
    return [_row(r, roster.contestants[r.contestant_id], provisional) for r in results]


def _row(r, person: dict, provisional: bool) -> dict:
    return {"contestant_id": r.contestant_id, "person_key": person.get("person_key"),
            "masked_id": person.get("masked_id"), "name": person.get("name"),
            "employer": person.get("employer") or "", "delegation": person.get("delegation") or None,
            "employment": person.get("employment"), "current_level": person.get("skill_level"),
            "team": person.get("team"), "raw": format_mark(r.raw_total), "scale": r.scale,
            "rank": r.rank, "medal": r.medal, "medallion": r.medallion,
            "best_of_delegation": r.best_of_delegation, "entry_id": r.entry_id,
            "criterion_marks": {k: format_mark(v) for k, v in r.criterion_marks.items()},
            **({"missing": r.missing, "disputed": list(r.disputed)} if provisional else {})}


def event_competition(doc: dict) -> dict:
    snap = doc.get("snapshot") or {}
    return {"code": snap["code"], "name": snap["name"], "tier": snap["tier"], "skill": snap["skill"],
            "level": snap.get("level"), "year": snap["year"], "team": bool(snap.get("team")),
            "event": snap.get("event"), "selection_trial": bool(snap.get("selection_trial"))}


def stored(repo: ScoringRepository, code: str) -> dict:
    record = repo.results(code)
    if record is None:
        raise ServiceError("INVALID_STATE", f"results of {code} are being finalised; try again shortly")
    return {"competition_code": code, "final": True, "revision": record["revision"],
            "competition": record["competition"], "finalised_by": record["finalised_by"],
            "finalised_at": iso_utc(record["finalised_at"]), "results": record["results"]}


def provisional(repo: ScoringRepository, code: str, doc: dict, roster: Roster) -> dict:
    return {"competition_code": code, "final": False, "revision": None, "competition": event_competition(doc),
            "results": compute(repo, code, doc, roster, provisional=True)}


def exported(repo: ScoringRepository, code: str, answer: dict, fmt: str, scheme_version: int) -> dict:
    parsed, _ = repo.scheme(code, scheme_version)
    content, mimetype = export.render(fmt, answer, [c.letter for c in parsed.criteria])
    suffix = "" if answer["final"] else "-provisional"
    return download(f"{code}-results{suffix}.{fmt}", mimetype, content)


def top_score(repo: ScoringRepository, event: str) -> dict:
    """Top-score award of an event, over its finalised competitions (joint winners on ties)."""
    rows, competitions = [], []
    for record in repo.event_results(event):
        competitions.append(record["_id"])
        rows += [{**r, "id": f"{record['_id']}/{r['contestant_id']}", "competition_code": record["_id"]}
                 for r in record["results"]]
    winners = set(top_score_award(rows))
    return {"event": event, "competitions": sorted(competitions),
            "winners": [{k: r.get(k) for k in ("competition_code", "contestant_id", "name", "team", "delegation",
                                               "raw", "scale")} for r in rows if r["id"] in winners]}
