"""The rules applied when contestants are added to a competition.

``check_additions`` takes the competition, its *active* contestants (withdrawn ones filtered out
by the caller) and the additions, and returns every problem at once, so one bulk upload reports
all of them. Additions are all-or-nothing: the service applies none if any problem is returned.

Rules:

- Registration must be open (status ``open``) and ``today <= registration_deadline``.
- Capacity counts places: contestants in an individual competition, teams in a team competition.
  Joining a team that already exists takes no new place.
- One person enters once: no addition may share a ``person_key`` with an active contestant or
  with an earlier addition in the same batch (the later rows are flagged, naming the first).
- Eligibility (``eligibility.check_eligibility``) for every addition.
- Team competitions: every addition names a team; no team may exceed ``team_size`` counting its
  existing members. A team below size is allowed while registration is open (members may be
  added one by one or a file may add whole teams); ``incomplete_teams`` lists them for the
  organiser at closing. Individual competitions reject a team name.

Team names compare by ``text.name_key`` (whitespace and case folded).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from .competition import Competition, registration_refusal
from .contestant import Contestant
from .eligibility import EligibilityPolicy, check_eligibility
from .errors import Code, RowProblem, sort_problems
from .text import name_key


@dataclass(frozen=True)
class Addition:
    """A contestant to add, with the locator its problems are reported at.

    ``row`` is the spreadsheet row number for uploads, or e.g. the index in a JSON list.
    """

    row: int
    contestant: Contestant


def team_key(team: str | None) -> str:
    return name_key(team)


def count_entries(competition: Competition, contestants: Iterable[Contestant]) -> int:
    """Places taken: contestants (individual) or distinct teams (team competition)."""
    contestants = list(contestants)
    if not competition.is_team:
        return len(contestants)
    return len({team_key(c.team) for c in contestants if team_key(c.team)})


def remaining_places(competition: Competition, contestants: Iterable[Contestant]) -> int | None:
    """Places still free, or ``None`` when capacity is unlimited."""
    if competition.capacity is None:
        return None
    return max(competition.capacity - count_entries(competition, contestants), 0)


def incomplete_teams(competition: Competition, contestants: Iterable[Contestant]) -> dict[str, int]:
    """Teams with fewer than ``team_size`` members: team name (as first written) -> members."""
    if not competition.is_team:
        return {}
    contestants = list(contestants)
    sizes = _team_sizes(contestants)
    names = _team_names(contestants)
    return {names[k]: n for k, n in sorted(sizes.items()) if n < competition.team_size}


def check_additions(competition: Competition, existing: Sequence[Contestant],
                    additions: Sequence[Addition], today: date,
                    policy: EligibilityPolicy) -> list[RowProblem]:
    """Every reason the additions may not be registered (empty list: all may)."""
    problems: list[RowProblem] = []
    refusal = registration_refusal(competition, today)
    if refusal is not None:
        problems.append(RowProblem(None, None, refusal.message, refusal.code))
    problems += _duplicate_problems(existing, additions)
    problems += _eligibility_problems(competition, additions, policy)
    problems += _team_problems(competition, existing, additions)
    problems += _capacity_problems(competition, existing, additions)
    return sort_problems(problems)


def _duplicate_problems(existing: Sequence[Contestant],
                        additions: Sequence[Addition]) -> list[RowProblem]:
    registered = {c.person_key for c in existing}
    first_row: dict[str, int] = {}
    problems = []
    for add in additions:
        key = add.contestant.person_key
        if key in registered:
            problems.append(RowProblem(add.row, "id_number",
                                       "this person is already registered in this competition",
                                       Code.DUPLICATE_CONTESTANT))
        elif key in first_row:
            problems.append(RowProblem(add.row, "id_number",
                                       f"same person as row {first_row[key]}",
                                       Code.DUPLICATE_CONTESTANT))
        else:
            first_row[key] = add.row
    return problems


def _eligibility_problems(competition: Competition, additions: Sequence[Addition],
                          policy: EligibilityPolicy) -> list[RowProblem]:
    return [RowProblem(add.row, "date_of_birth", reason, Code.NOT_ELIGIBLE)
            for add in additions
            for reason in check_eligibility(competition, add.contestant, policy)]


def _team_problems(competition: Competition, existing: Sequence[Contestant],
                   additions: Sequence[Addition]) -> list[RowProblem]:
    if not competition.is_team:
        return [RowProblem(add.row, "team", "this is an individual competition; leave the team "
                           "empty", Code.TEAM_NOT_ALLOWED)
                for add in additions if team_key(add.contestant.team)]
    problems = [RowProblem(add.row, "team", f"this is a team competition (teams of "
                           f"{competition.team_size}); name the contestant's team",
                           Code.TEAM_REQUIRED)
                for add in additions if not team_key(add.contestant.team)]
    sizes = _team_sizes([*existing, *(a.contestant for a in additions)])
    for add in additions:
        key = team_key(add.contestant.team)
        if key and sizes[key] > competition.team_size:
            problems.append(RowProblem(
                add.row, "team", f"team {add.contestant.team!r} would have {sizes[key]} members; "
                f"teams have at most {competition.team_size}", Code.TEAM_SIZE))
    return problems


def _capacity_problems(competition: Competition, existing: Sequence[Contestant],
                       additions: Sequence[Addition]) -> list[RowProblem]:
    free = remaining_places(competition, existing)
    if free is None:
        return []
    if competition.is_team:
        taken = {team_key(c.team) for c in existing}
        wanted = len({team_key(a.contestant.team) for a in additions
                      if team_key(a.contestant.team) and team_key(a.contestant.team) not in taken})
        unit = "teams"
    else:
        wanted, unit = len(additions), "contestants"
    if wanted <= free:
        return []
    return [RowProblem(None, None, f"{wanted} new {unit} but only {free} of "
                       f"{competition.capacity} places remain", Code.OVER_CAPACITY)]


def _team_sizes(contestants: Iterable[Contestant]) -> Counter[str]:
    return Counter(team_key(c.team) for c in contestants if team_key(c.team))


def _team_names(contestants: Iterable[Contestant]) -> dict[str, str]:
    names: dict[str, str] = defaultdict(str)
    for c in contestants:
        key = team_key(c.team)
        if key and not names[key]:
            names[key] = c.team or key
    return names
