"""Who may mark whom in one competition: entries, judges and conflicts of interest.

In a team competition a mark belongs to the team entry; a contestant id of any active member names
it. Nobody marks an entry they have a conflict of interest with (any member, for teams). A judgement
aspect may be scored by the judges of role ``judge`` without a conflict with the entry.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Roster:
    """Who may mark whom in one competition, as of ``version``."""

    version: int
    contestants: dict[str, dict]  # every contestant ever seen, with status
    judges: dict[str, str]  # username -> role
    conflicts: dict[tuple[str, str], list[str]]  # (judge, contestant_id) -> reasons
    team_mode: bool
    entry_of: dict[str, str] = field(default_factory=dict)  # active contestant -> entry id
    members: dict[str, list[str]] = field(default_factory=dict)  # active entry -> contestant ids
    all_entries: dict[str, str] = field(default_factory=dict)  # any contestant or team id -> entry id

    def __post_init__(self) -> None:
        for cid, person in sorted(self.contestants.items()):
            entry = (person.get("team") or cid) if self.team_mode else cid
            self.all_entries[cid] = entry
            if self.team_mode and person.get("team"):
                self.all_entries.setdefault(person["team"], entry)
            if person.get("status") == "active":
                self.entry_of[cid] = entry
                self.members.setdefault(entry, []).append(cid)

    def conflicted(self, judge: str, entry: str) -> list[str]:
        """The members of ``entry`` the judge has a conflict of interest with."""
        return [cid for cid in self.members.get(entry, [entry]) if (judge, cid) in self.conflicts]

    def conflict_reasons(self, judge: str, entry: str) -> list[str]:
        """Why ``judge`` may not mark ``entry`` (the declared relations), sorted."""
        return sorted({r for cid in self.conflicted(judge, entry) for r in self.conflicts.get((judge, cid), [])})

    def eligible_judges(self, entry: str) -> list[str]:
        return [j for j, role in self.judges.items() if role == "judge" and not self.conflicted(j, entry)]

    def marker(self, username: str) -> bool:
        """Whether ``username`` is assigned to mark here (as judge or chief expert)."""
        return self.judges.get(username) in ("judge", "chief_expert")


def build_roster(version: int, rows: list[dict], conflicts: list[dict], team_mode: bool) -> Roster:
    """The roster from stored rows (contestants and judges) and the conflict list."""
    people, judges = {}, {}
    for row in rows:
        if row["kind"] == "contestant":
            people[row["contestant_id"]] = row
        else:
            judges[row["username"]] = row["role"]
    pairs = {(c["judge"], c["contestant_id"]): list(c.get("reasons") or []) for c in conflicts}
    return Roster(version, people, judges, pairs, team_mode)
