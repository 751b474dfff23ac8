"""Nominee rounds as the committee reads them: a round, its ranked list (paged, filtered), the
suggestions (people not nominated who rank inside the capacity), and the list as CSV or XLSX."""
from __future__ import annotations

from services.awards.adapters import exports
from services.awards.adapters.repository import CHUNK_SIZE, AwardsRepository, as_json
from services.awards.domain.cut_line import inside_cut_line
from services.awards.domain.people import ranked_projection
from services.awards.domain.ranking import tie_break, tie_breaks
from services.awards.projections.ranking import RANKING_RULES, candidate, lot_seed
from services.awards.views.paging import paging
from shared.errors import ServiceError
from shared.exports import CSV_MIMETYPE, XLSX_MIMETYPE
from shared.files import download

ROUND_FIELDS = ("round_id", "programme", "year", "name", "status", "quota", "budget_yuan", "amount_per_person_yuan",
                "policy_version", "opened_by", "opened_at", "approved_count", "approved_sum_yuan", "policy_history")
FILTERS = {"industry": "industry", "district": "district"}  # query term -> ranked row field (and skill)


def round_view(rnd: dict) -> dict:
    ranking = rnd.get("ranking") or {}
    return as_json({k: rnd.get(k) for k in ROUND_FIELDS} | {
        "ranking": {k: ranking.get(k) for k in ("state", "ranked_at", "field_count", "excluded_count",
                                                "weights_fingerprint")} | {
            "nominee_count": ranking.get("nominees_count"),
            "lot_seed": lot_seed(rnd),
            "lot": "ties left equal on every tie-break criterion are ordered by lot: the first 16 hex "
                   "digits of SHA-256 of '<lot_seed>:<person_key>', lower first"},
        "cut_line": ranking.get("cut_line")})


def nominee_view(nomination: dict, candidate_doc: dict | None, row: dict | None = None,
                 cut_after: int | None = None, tie_text: str | None = None) -> dict:
    found = candidate_doc or {}
    view = {"person_key": nomination["person_key"], "round_id": nomination["round_id"],
            "channel": nomination.get("channel"), "nominator": nomination.get("nominator"),
            "status": nomination.get("status"), "eligible": found.get("eligible"),
            "reasons": found.get("reasons"), "total": found.get("total"),
            "lines": found.get("lines"), "history": nomination.get("history"),
            "notice_start": nomination.get("notice_start"), "notice_days": nomination.get("notice_days")}
    if row is not None:
        view |= {"position": row.get("position"), "name": row.get("name"), "masked_id": row.get("masked_id"),
                 "employer": row.get("employer"), "industry": row.get("industry"), "district": row.get("district"),
                 "skills": row.get("skills"), "tie_break": tie_text, "lot": row.get("lot"),
                 "inside_cut_line": inside_cut_line(row.get("position"), nomination.get("status"), cut_after)}
    return as_json(view)


def _ranked(rnd: dict) -> dict:
    ranking = rnd.get("ranking") or {}
    if ranking.get("state") == "stale" or ranking.get("rules") != RANKING_RULES:
        raise ServiceError("UNAVAILABLE", "the round is being ranked (new round or new policy version); "
                                          "try again shortly")
    return ranking


def _page(repo: AwardsRepository, rnd: dict, list_name: str, page: int, per_page: int, filters: dict):
    """One page of a stored list: its rows, the list's length, and the rows just before and after it."""
    ranking = _ranked(rnd)
    if filters:
        rows = [r for r in repo.read_list(rnd["_id"], list_name, ranking.get(f"{list_name}_chunks", 0))
                if _matches(r, filters)]
        start = (page - 1) * per_page
        return rows[start:start + per_page], len(rows), None, None
    count = ranking.get(f"{list_name}_count", 0)
    first = (page - 1) * per_page  # zero-based index of the first row on the page
    if first >= count:
        return [], count, None, None
    numbers = range(max(first - 1, 0) // CHUNK_SIZE, min(first + per_page, count - 1) // CHUNK_SIZE + 1)
    rows = repo.read_chunks(rnd["_id"], list_name, numbers)
    start = first - numbers.start * CHUNK_SIZE
    end = start + per_page
    return rows[start:end], count, rows[start - 1] if first > 0 else None, rows[end] if end < len(rows) else None


def _matches(row: dict, filters: dict) -> bool:
    if any(filters.get(term) and row.get(field) != filters[term] for term, field in FILTERS.items()):
        return False
    return not (filters.get("skill") and filters["skill"] not in (row.get("skills") or []))


def _items(repo: AwardsRepository, rnd: dict, rows: list[dict], before, after, cut_after) -> list[dict]:
    round_id = rnd["_id"]
    ids = [f"{round_id}:{r['person_key']}" for r in rows]
    candidates = repo.candidates_by_ids(ids)
    nominations = repo.nominations_by_ids(ids)
    policy = repo.policy_at(rnd["policy_version"])
    missing = [r["person_key"] for r in rows if f"{round_id}:{r['person_key']}" not in candidates]
    for person in repo.people_by_keys(missing, ranked_projection()).values():  # not nominated: computed now
        doc, _ = candidate(rnd, policy, person, None, breakdown=True)
        candidates[doc["_id"]] = doc
    criteria = tie_breaks(policy)
    items = []
    for index, row in enumerate(rows):
        ident = f"{round_id}:{row['person_key']}"
        tie = tie_break(criteria, row, rows[index - 1] if index else before,
                        rows[index + 1] if index + 1 < len(rows) else after)
        nomination = nominations.get(ident) or {"person_key": row["person_key"], "round_id": round_id}
        items.append(nominee_view(nomination, candidates.get(ident), row, cut_after, tie))
    return items


def list_nominees(repo: AwardsRepository, round_id: str, query: dict) -> dict:
    rnd = repo.round(round_id)
    page, per_page = paging(query)
    filters = {k: query.get(k) for k in ("industry", "district", "skill") if query.get(k)}
    ranking = rnd.get("ranking") or {}
    rows, total, before, after = _page(repo, rnd, "nominees", page, per_page, filters)
    cut_after = (ranking.get("cut_line") or {}).get("cut_after")
    excluded = repo.read_chunks(round_id, "excluded", [0])[:20] if ranking.get("excluded_chunks") else []
    criteria = ", ".join(c.label for c in tie_breaks(repo.policy_at(rnd["policy_version"])))
    return {"round": round_view(rnd), "filters": filters, "page": page, "per_page": per_page,
            "total": total, "cut_line": ranking.get("cut_line"),
            "items": _items(repo, rnd, rows, before, after, cut_after),
            "not_ranked": _items(repo, rnd, excluded, None, None, None),  # the first 20; all in the export
            "not_ranked_total": ranking.get("excluded_count", 0),
            "order": f"total score, then the policy's tie-break criteria ({criteria}), then the round's seeded "
                     "lot; positions are those of the whole list even when filtered; approved nominees keep "
                     "their rank and are inside the cut line"}


def suggestions(repo: AwardsRepository, round_id: str) -> dict:
    """People not nominated whose record ranks them inside the round's capacity."""
    rnd = repo.round(round_id)
    capacity = ((rnd.get("ranking") or {}).get("cut_line") or {}).get("capacity")
    limit = capacity if capacity is not None else 20
    rows, total, _, _ = _page(repo, rnd, "field", 1, max(1, min(limit, 5000)), {})
    chosen = [r for r in rows if not r.get("channel")]
    items = _items(repo, rnd, chosen, None, None, None)
    shown = capacity if capacity is not None else "unlimited; top 20 shown"
    for item, row in zip(items, chosen, strict=True):
        item["field_position"] = row["position"]
        item["why"] = (f"ranks {row['position']} of {total} eligible people on record for {rnd['programme']} "
                       f"{rnd['year']} (capacity {shown}) and is not nominated")
    return {"round": round_view(rnd), "capacity": capacity, "field_size": total, "items": items}


def export_nominees(repo: AwardsRepository, round_id: str, fmt: str) -> dict:
    """The ranked list with every decision as CSV or XLSX (Chinese headers), base64."""
    if fmt not in ("csv", "xlsx"):
        raise ServiceError("VALIDATION_FAILED", "format is csv or xlsx", [{"path": "/format", "problem": fmt}])
    rnd = repo.round(round_id)
    ranking = _ranked(rnd)
    rows = repo.read_list(round_id, "nominees", ranking.get("nominees_chunks", 0))
    items = _items(repo, rnd, rows, None, None, (ranking.get("cut_line") or {}).get("cut_after"))
    excluded = repo.read_list(round_id, "excluded", ranking.get("excluded_chunks", 0))
    items += _items(repo, rnd, excluded, None, None, None)
    for item in items:
        if item.get("position") is not None and item.get("status") in ("ineligible", "rejected") or \
                item.get("eligible") is False:
            item["position"] = None
    headers, table = exports.nominee_table(items)
    data = exports.to_csv(headers, table) if fmt == "csv" else exports.to_xlsx(headers, table, rnd["round_id"])
    return download(f"{round_id}-nominees.{fmt}", CSV_MIMETYPE if fmt == "csv" else XLSX_MIMETYPE, data)
