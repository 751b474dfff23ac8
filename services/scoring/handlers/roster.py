"""Scoring's own view of who may mark whom, kept from registration: its roster snapshot when marking
opens, and its events since (idempotent upserts; the newest revision of snapshots and conflicts wins)."""
from __future__ import annotations

from services.scoring.access import state_of
from services.scoring.adapters.repository import ScoringRepository


def sync_roster(repo: ScoringRepository, registration, code: str) -> dict:
    """Registration's view of the competition now, merged into ours (newest revision wins)."""
    snap = registration.roster_snapshot(code)
    repo.apply_snapshot(code, snap["competition"], at_least=True)
    withdrawn = set(snap.get("withdrawn") or [])
    people = snap.get("contestants") or []
    listed = {person["contestant_id"] for person in people}
    repo.write_roster(code, [(person, person["contestant_id"] in withdrawn) for person in people]
                      + [({"contestant_id": cid}, True) for cid in sorted(withdrawn - listed)],
                      snap.get("judges") or [])
    repo.apply_conflicts(code, int(snap.get("conflicts_revision") or 0), snap.get("conflicts") or [], at_least=True)
    return snap


def known(repo: ScoringRepository, registration, code: str) -> dict:
    """The competition's state, taken from registration first when scoring has not seen it yet."""
    doc = repo.state(code)
    if doc is None or not doc.get("snapshot"):
        sync_roster(repo, registration, code)
        doc = state_of(repo, code)
    return doc


def on_competition(repo: ScoringRepository, event: dict) -> None:
    repo.apply_snapshot(event["competition"]["code"], event["competition"])


def on_contestant_registered(repo: ScoringRepository, event: dict) -> None:
    repo.write_roster(event["competition_code"], [(event["contestant"], False)])


def on_contestant_withdrawn(repo: ScoringRepository, event: dict) -> None:
    repo.write_roster(event["competition_code"], [({"contestant_id": event["contestant_id"]}, True)])


def on_judge_assigned(repo: ScoringRepository, event: dict) -> None:
    repo.write_roster(event["competition_code"], judges=[event["judge"]])


def on_conflicts_updated(repo: ScoringRepository, event: dict) -> None:
    repo.apply_conflicts(event["competition_code"], event["revision"], event["conflicts"])
