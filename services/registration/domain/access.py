"""Who stands where towards one competition, and which contestant fields each standing reads.

A competition belongs to its organisers (the one who created it and those added since) and to
the admins; its judges and chief experts are the experts assigned to it. The contestant fields
follow the README's role × data table: the date of birth and the masked ID number together are
the whole resident ID number (the mask hides exactly the eight birth-date digits), so they only
ever go together to the competition's own organisers and admins; the committee recognises a
person by name, employer and masked ID but never reads a birth date; the marking team reads a
contestant number, a name and the delegation, nothing that identifies the person further.
"""
from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Standing(StrEnum):
    OWNER = "owner"  # admin, or one of the competition's organisers
    MARKING_TEAM = "marking_team"  # an expert assigned to it (judge or chief expert)
    COMMITTEE = "committee"  # honours committee: not bound to competitions
    OUTSIDER = "outsider"  # anyone else, e.g. another competition's organiser or judge


MARKING_TEAM_FIELDS = ("contestant_id", "competition_code", "name", "delegation", "team", "status")
COMMITTEE_FIELDS = MARKING_TEAM_FIELDS + ("person_key", "masked_id", "employer")
CONTESTANT_FIELDS = {Standing.MARKING_TEAM: MARKING_TEAM_FIELDS, Standing.COMMITTEE: COMMITTEE_FIELDS}


def standing(actor: dict, organisers: Iterable[str], assigned: Iterable[str]) -> Standing:
    """Where ``actor`` stands towards a competition with these organisers and assigned experts."""
    role, username = actor.get("role"), actor.get("username")
    if role == "admin" or (role == "organiser" and username in set(organisers)):
        return Standing.OWNER
    if role in ("judge", "chief_expert") and username in set(assigned):
        return Standing.MARKING_TEAM
    if role == "committee":
        return Standing.COMMITTEE
    return Standing.OUTSIDER


def contestant_view(record: dict, where: Standing) -> dict:
    """The contestant record as ``where`` may read it (owners: all of it, outsiders: nothing)."""
    if where is Standing.OWNER:
        return record
    fields = CONTESTANT_FIELDS.get(where)
    if fields is None:
        raise PermissionError(where)
    return {k: record.get(k) for k in fields}
