"""The ranking read model: each open round's ranked lists, kept current as results, profiles and
decisions arrive.

Every open round keeps three lists of ranked rows (``domain.ranking.ROW_FIELDS``), stored in
chunks of ``CHUNK_SIZE`` positions so that a page is one or two reads by ``_id``:

- ``field``: every eligible person the service knows, nominated or not (the source of suggestions);
- ``nominees``: the eligible nominees still in the running, approved ones included (the ranked list
  and its cut line);
- ``excluded``: the nominees not in the running (not eligible, ineligible or rejected).

A nominee also has a ``candidates`` document with the score's breakdown. A change re-scores only
the people concerned and moves their rows by bisection (``domain.ranking.merged``); a new round or
policy version ranks every person again. The scoring itself is CPU work: it runs in eventlet's
thread pool (``shared.spreadsheets.off_the_hub``) so the service keeps answering meanwhile.

A round's lists are read, merged and written by one worker at a time, in this process and across
instances of the service (:func:`one_at_a_time`: a lease on the round), each starting from the
round as the one before left it.
"""
from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterable, Iterator

import eventlet
from eventlet.semaphore import Semaphore

from services.awards.adapters.repository import CHUNK_SIZE, RANKING_LEASE, AwardsRepository
from services.awards.domain import ranking
from services.awards.domain.candidates import as_of_round
from services.awards.domain.cut_line import cut_line_of_rows
from services.awards.domain.eligibility import check_eligibility
from services.awards.domain.people import ranked_projection, stored_scoring_input
from services.awards.domain.policy import Policy
from services.awards.domain.scoring import programme_weights_fingerprint, score_candidate, score_summary
from shared.events import utc_now
from shared.spreadsheets import off_the_hub

RANKING_RULES = 3  # bump when the ranked rows change shape or order: open rounds ranked before are re-ranked
LISTS = ("field", "nominees", "excluded")
_ROUND_LOCKS: dict[str, Semaphore] = {}
LEASE_SECONDS = 30.0  # a round's ranking lease (renewed while a full ranking runs)
LEASE_POLL_SECONDS = 0.05  # a worker waiting for another instance's lease asks again after this, doubling to 0.5 s


@contextlib.contextmanager
def one_at_a_time(repo: AwardsRepository, round_id: str) -> Iterator[dict]:
    """Each round's lists are read, merged and written by one worker at a time, across every instance of
    the service (their scoring runs off the hub, so two workers would otherwise interleave and the last
    write would win). Yields the round as the worker before left it.

    Within a process the workers queue on a semaphore; between processes the round's ranking lease
    decides (``repository.take_ranking_lease``: one conditional write, retried while another holder's
    lease runs, released in the same write as the ranking's summary). A holder that outlives its
    lease (a process that stalled for ``LEASE_SECONDS``) finds it taken when it stores the summary and
    leaves the round due for a full ranking, which repairs any mix of two merges."""
    with _ROUND_LOCKS.setdefault(round_id, Semaphore(1)):
        holder, tries = uuid.uuid4().hex, 0
        while (rnd := repo.take_ranking_lease(round_id, holder, LEASE_SECONDS)) is None:
            if not tries:
                repo.round(round_id)  # not_found when there is no such round; else another holder's lease runs
            eventlet.sleep(min(LEASE_POLL_SECONDS * 2 ** tries, 0.5))
            tries += 1
        try:
            yield rnd
        finally:
            repo.release_ranking_lease(round_id, holder)


def lease_holder(rnd: dict) -> str | None:
    return (rnd.get(RANKING_LEASE) or {}).get("holder")


def is_due(rnd: dict) -> bool:
    """Whether the round must be ranked from scratch (new, re-pinned, or ranked under older rules)."""
    ranking = rnd.get("ranking") or {}
    return ranking.get("state") == "stale" or ranking.get("rules") != RANKING_RULES


def lot_seed(rnd: dict) -> str:
    """The seed of the round's lot (rounds opened before the lot was recorded draw with their id)."""
    return rnd.get("lot_seed") or rnd["_id"]


def candidate(rnd: dict, policy: Policy, person: dict, nomination: dict | None,
              breakdown: bool = False) -> tuple[dict, dict]:
    """The candidate document (score, eligibility; the breakdown lines for a nominee or when asked)
    and the ranked row of ``person`` in ``rnd``."""
    data = as_of_round(stored_scoring_input(person), rnd["_id"])
    key = person["_id"]
    reasons = check_eligibility(policy, rnd["programme"], data, rnd["year"])
    lines = None
    if nomination is not None or breakdown:  # the breakdown lines are built only where they are kept
        score = score_candidate(policy, rnd["programme"], data, rnd["year"])
        total, best, latest = score.total, score.best_achievement_points, score.latest_achievement_year
        lines = [line.to_dict() for line in score.lines]
    else:  # the same figures, added up without the lines
        total, best, latest = score_summary(policy, rnd["programme"], data, rnd["year"]).as_tuple()
    doc = {"_id": f"{rnd['_id']}:{key}", "round_id": rnd["_id"], "person_key": key,
           "eligible": not reasons, "reasons": [r.to_dict() for r in reasons],
           "total": str(total), "score": float(total), "best": float(best), "latest_year": latest,
           "policy_version": policy.version,
           "weights_fingerprint": programme_weights_fingerprint(policy, rnd["programme"]), "updated_at": utc_now()}
    if lines is not None:
        doc["lines"] = lines
    row = {"person_key": key, "name": person.get("name") or "", "masked_id": person.get("masked_id"),
           "employer": person.get("employer"), "industry": person.get("industry"),
           "district": person.get("district"), "skills": person.get("skills") or [],
           "total": doc["total"], "score": doc["score"], "best": doc["best"], "latest_year": latest,
           "tie_evidence": list(ranking.tie_evidence(policy, data.get("achievements") or (), rnd["year"])),
           "lot": ranking.draw_lot(lot_seed(rnd), key), "eligible": doc["eligible"],
           "channel": (nomination or {}).get("channel"), "status": (nomination or {}).get("status")}
    if reasons:
        row["reason_codes"] = [r.code for r in reasons]
    return doc, row


def kept(row: dict) -> bool:
    """Score + breakdown documents are kept for nominees; everyone else's score lives in the ranked rows
    and a breakdown shown for them (suggestions) is computed when asked for."""
    return row.get("channel") is not None


def excluded(row: dict) -> bool:
    """Nominees not in the running: not eligible, or ruled out (ineligible/rejected)."""
    return bool(row.get("channel")) and not (row["eligible"] and ranking.in_running(row))


def _scored(rnd: dict, policy: Policy, people: Iterable[dict], nominations: dict[str, dict]) -> list[tuple[dict, dict]]:
    return [candidate(rnd, policy, person, nominations.get(f"{rnd['_id']}:{person['_id']}")) for person in people]


def rescore(repo: AwardsRepository, person_keys: Iterable[str], people: dict[str, dict] | None = None) -> None:
    """Re-score ``person_keys`` in every open round and move them in its ranked lists (``people``: their
    documents when the caller holds them already)."""
    keys = list(person_keys)
    open_rounds = repo.open_rounds()
    if not open_rounds or not keys:
        return
    if people is None:
        people = repo.people_by_keys(keys, ranked_projection())
    persons = [people[k] for k in keys if k in people]
    for rnd in open_rounds:
        with one_at_a_time(repo, rnd["_id"]) as rnd:
            if not is_due(rnd):  # a round due for ranking from scratch will see the new data then
                _rescore_in(repo, rnd, persons)


def _rescore_in(repo: AwardsRepository, rnd: dict, persons: list[dict]) -> None:
    policy = repo.policy_at(rnd["policy_version"])
    nominations = repo.nominations_by_ids(f"{rnd['_id']}:{p['_id']}" for p in persons)
    scored = off_the_hub(_scored, rnd, policy, persons, nominations)
    repo.put_candidates([doc for doc, row in scored if kept(row)])  # a nominee stays one: nothing to drop
    merge_rows(repo, rnd, {row["person_key"]: row for _, row in scored})


def move_row(repo: AwardsRepository, round_id: str, row: dict) -> None:
    """Put one person's new row in place in the round's lists (unless the round is due for a full ranking)."""
    with one_at_a_time(repo, round_id) as rnd:
        if not is_due(rnd):
            merge_rows(repo, rnd, {row["person_key"]: row})


def rank_if_due(repo: AwardsRepository, round_id: str) -> dict:
    """Rank the round from scratch if it is due (and nobody in this process is ranking it meanwhile)."""
    with one_at_a_time(repo, round_id) as rnd:
        return rank_round(repo, rnd) if is_due(rnd) else rnd


def rank_round(repo: AwardsRepository, rnd: dict) -> dict:
    """Score every known person for the round and rebuild its ranked lists (a full re-rank)."""
    policy = repo.policy_at(rnd["policy_version"])
    nominations = {n["_id"]: n for n in repo.nominations_of_round(rnd["_id"])}
    docs: list[dict] = []
    rows: list[dict] = []
    batch: list[dict] = []
    for person in repo.scan(repo.people, projection=ranked_projection()):
        batch.append(person)
        if len(batch) == 1000:
            rows += _keep_nominees(off_the_hub(_scored, rnd, policy, batch, nominations), docs)
            batch = []
            if holder := lease_holder(rnd):  # a large round: the lease runs as long as the ranking does
                repo.renew_ranking_lease(rnd["_id"], holder, LEASE_SECONDS)
    rows += _keep_nominees(off_the_hub(_scored, rnd, policy, batch, nominations), docs)
    repo.replace_round_candidates(rnd["_id"], docs)
    return store_lists(repo, rnd, rows)


def _keep_nominees(scored: list[tuple[dict, dict]], docs: list[dict]) -> list[dict]:
    docs += [doc for doc, row in scored if kept(row)]
    return [row for _, row in scored]


def merge_rows(repo: AwardsRepository, rnd: dict, changed: dict[str, dict]) -> dict:
    """Move the ``changed`` rows in the stored lists: the same lists as ranking every row again
    (``store_lists`` over all rows), found by bisection in the stored order instead of a sort."""
    counts = {name: (rnd.get("ranking") or {}).get(f"{name}_chunks", 0) for name in LISTS}
    packed = repo.read_packed(rnd["_id"], counts)
    lists = off_the_hub(_merged_lists, packed, changed)
    return write_lists(repo, rnd, lists, packed, {"field": lists.pop("_touched")})


def _merged_lists(packed: dict[str, list[str]], changed: dict[str, dict]) -> dict:
    old_field = [r for chunk in packed["field"] for r in json.loads(chunk)]
    field = ranking.merged(old_field, {k: (r if r["eligible"] else None) for k, r in changed.items()})
    touched = ranking.numbered(field, CHUNK_SIZE)
    nominees = [dict(r) for r in field if ranking.in_running(r)]
    ranking.numbered(nominees)
    out = [r for chunk in packed["excluded"] for r in json.loads(chunk) if r["person_key"] not in changed]
    out = ranking.ordered(out + [dict(r) for r in changed.values() if excluded(r)])
    return {"field": field, "nominees": nominees, "excluded": out, "_touched": touched}


def store_lists(repo: AwardsRepository, rnd: dict, rows: list[dict]) -> dict:
    """Rank ``rows`` (every person of the round) into its three lists and store them."""
    for row in rows:
        row.pop("position", None)
        row.pop("tied", None)
    field = ranking.ordered([r for r in rows if r["eligible"]])
    nominees = [dict(r) for r in field if ranking.in_running(r)]  # in the field's order already
    ranking.numbered(nominees)
    out = ranking.ordered([dict(r) for r in rows if excluded(r)])
    return write_lists(repo, rnd, {"field": field, "nominees": nominees, "excluded": out})


def write_lists(repo: AwardsRepository, rnd: dict, lists: dict[str, list[dict]],
                old_packed: dict[str, list[str]] | None = None, touched: dict[str, set[int]] | None = None) -> dict:
    """Store the lists (only the chunks whose text changed) and the round's ranking summary and cut line."""
    ranking_now = rnd.get("ranking") or {}
    summary: dict = {}
    writes = {}
    for name, rows in lists.items():
        count, changed = packed_chunks(rows, (old_packed or {}).get(name), (touched or {}).get(name))
        writes[name] = (changed, count, ranking_now.get(f"{name}_chunks", 0))
        summary |= {f"{name}_chunks": count, f"{name}_count": len(rows)}
    repo.write_chunks(rnd["_id"], writes)
    policy = repo.policy_at(rnd["policy_version"])
    line = cut_line_of_rows(ranking.tie_breaks(policy), lists["nominees"], rnd.get("quota"), rnd.get("budget_yuan"),
                            rnd.get("amount_per_person_yuan"), rnd.get("approved_count", 0),
                            rnd.get("approved_sum_yuan", 0))
    new_ranking = {**summary, "state": "current", "cut_line": line, "ranked_at": utc_now(), "rules": RANKING_RULES,
                   "weights_fingerprint": programme_weights_fingerprint(policy, rnd["programme"]),
                   "policy_version": policy.version}
    if not repo.set_ranking(rnd["_id"], new_ranking, lease_holder(rnd)):
        new_ranking["state"] = "stale"
    return {**rnd, "ranking": new_ranking}


def packed_chunks(rows: list[dict], old_packed: list[str] | None = None,
                  touched: set[int] | None = None) -> tuple[int, dict[int, str]]:
    """How many chunks ``rows`` (ordered, numbered) fill, and the packed text of those that changed.

    ``touched`` (with ``old_packed``): the only chunks whose rows can differ from the stored ones
    (see ``domain.ranking.numbered``); the others are not even encoded. The last chunk is always
    encoded (rows may have left the end of the list)."""
    count = (len(rows) + CHUNK_SIZE - 1) // CHUNK_SIZE
    changed = {}
    for n in range(count):
        if touched is not None and old_packed is not None and n not in touched and n < len(old_packed) \
                and n != count - 1:
            continue
        packed = json.dumps(rows[n * CHUNK_SIZE:(n + 1) * CHUNK_SIZE], ensure_ascii=False, separators=(",", ":"))
        if old_packed is None or n >= len(old_packed) or old_packed[n] != packed:
            changed[n] = packed
    return count, changed
