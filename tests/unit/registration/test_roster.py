from datetime import date

from services.registration.adapters.policy import load_eligibility_policy
from services.registration.domain.competition import Skill
from services.registration.domain.errors import Code
from services.registration.domain.roster import (
    check_additions,
    count_entries,
    incomplete_teams,
    remaining_places,
)
from tests.unit.registration.factories import TODAY, additions, competition, contestant

POLICY = load_eligibility_policy()


def problems_of(comp, existing, adds, today=TODAY):
    return [(p.row, p.column, p.code)
            for p in check_additions(comp, existing, adds, today, POLICY)]


def test_clean_additions_pass():
    assert problems_of(competition(capacity=3), [contestant(1)],
                       additions(contestant(2), contestant(3))) == []


def test_draft_and_closed_competitions_refuse():
    adds = additions(contestant(1))
    assert problems_of(competition(status="draft"), [], adds) == [
        (None, None, Code.REGISTRATION_CLOSED)]
    assert problems_of(competition(status="closed"), [], adds) == [
        (None, None, Code.REGISTRATION_CLOSED)]


def test_deadline_is_inclusive():
    adds = additions(contestant(1))
    assert problems_of(competition(), [], adds, today=date(2025, 4, 30)) == []
    assert problems_of(competition(), [], adds, today=date(2025, 5, 1)) == [
        (None, None, Code.DEADLINE_PASSED)]


def test_duplicate_against_existing_and_within_the_file():
    existing = [contestant(1)]
    adds = additions(contestant(1), contestant(2), contestant(3), contestant(2), first_row=2)
    found = check_additions(competition(), existing, adds, TODAY, POLICY)
    assert [(p.row, p.column, p.code) for p in found] == [
        (2, "id_number", Code.DUPLICATE_CONTESTANT), (5, "id_number", Code.DUPLICATE_CONTESTANT)]
    assert found[1].problem == "same person as row 3"


def test_over_capacity_individual():
    comp = competition(capacity=3)
    existing = [contestant(1), contestant(2)]
    found = check_additions(comp, existing, additions(contestant(3), contestant(4)), TODAY, POLICY)
    assert [(p.row, p.code) for p in found] == [(None, Code.OVER_CAPACITY)]
    assert found[0].problem == "2 new contestants but only 1 of 3 places remain"
    assert problems_of(comp, existing, additions(contestant(3))) == []


def test_not_eligible_rows_are_reported_with_every_other_problem():
    comp = competition(tier="worldskills", skill=Skill("10", "Welding"),
                       start_date=date(2025, 9, 1), registration_deadline=date(2025, 4, 30),
                       end_date=None, capacity=1)
    adds = additions(contestant(1, born=date(2002, 12, 31)), contestant(2, born=date(2003, 1, 1)))
    assert problems_of(comp, [], adds, today=date(2025, 5, 2)) == [
        (None, None, Code.DEADLINE_PASSED), (None, None, Code.OVER_CAPACITY),
        (2, "date_of_birth", Code.NOT_ELIGIBLE)]


# ----------------------------------------------------------------------------------- teams

def team_comp(**changes):
    return competition(team_size=2, **changes)


def test_team_competition_counts_teams_against_capacity():
    comp = team_comp(capacity=2)
    existing = [contestant(1, team="A队"), contestant(2, team="A队"), contestant(3, team="B")]
    assert count_entries(comp, existing) == 2
    assert remaining_places(comp, existing) == 0
    # joining an existing team (case/space-insensitive) takes no new place
    assert problems_of(comp, existing, additions(contestant(4, team=" b "))) == []
    found = check_additions(comp, existing, additions(contestant(4, team="C"),
                                                      contestant(5, team="C")), TODAY, POLICY)
    assert [(p.code, p.problem) for p in found] == [
        (Code.OVER_CAPACITY, "1 new teams but only 0 of 2 places remain")]


def test_team_too_large_counts_existing_members():
    comp = team_comp()
    existing = [contestant(1, team="A"), contestant(2, team="A")]
    assert problems_of(comp, existing, additions(contestant(3, team="a"))) == [
        (2, "team", Code.TEAM_SIZE)]
    whole_file = additions(contestant(4, team="B"), contestant(5, team="B"),
                           contestant(6, team="B"))
    assert problems_of(comp, [], whole_file) == [
        (2, "team", Code.TEAM_SIZE), (3, "team", Code.TEAM_SIZE), (4, "team", Code.TEAM_SIZE)]


def test_team_below_size_is_allowed_while_open_and_listed():
    comp = team_comp()
    assert problems_of(comp, [], additions(contestant(1, team="A"))) == []
    everyone = [contestant(1, team="A"), contestant(2, team="Bee"), contestant(3, team="bee")]
    assert incomplete_teams(comp, iter(everyone)) == {"A": 1}
    assert incomplete_teams(competition(), everyone) == {}


def test_team_required_in_team_and_refused_in_individual_competitions():
    assert problems_of(team_comp(), [], additions(contestant(1, team="  "))) == [
        (2, "team", Code.TEAM_REQUIRED)]
    assert problems_of(competition(), [], additions(contestant(1, team="A"))) == [
        (2, "team", Code.TEAM_NOT_ALLOWED)]


def test_unlimited_capacity():
    assert remaining_places(competition(), [contestant(1)]) is None


def test_problem_paths_for_the_envelope():
    found = check_additions(competition(status="closed"), [contestant(1)],
                            additions(contestant(1)), TODAY, POLICY)
    assert [p.path("contestants") for p in found] == ["/", "/contestants/2/id_number"]
    assert found[1].as_detail()["path"] == "/rows/2/id_number"
