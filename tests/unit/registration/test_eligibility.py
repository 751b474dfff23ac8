from datetime import date

import pytest
import yaml

from services.registration.adapters.policy import POLICY_FILE, load_eligibility_policy
from services.registration.domain.competition import Skill
from services.registration.domain.eligibility import (
    PolicyError,
    check_eligibility,
    earliest_birth_date,
    eligibility_policy_from_mapping,
)
from tests.unit.registration.factories import competition, contestant

POLICY = load_eligibility_policy()


def worldskills(skill=Skill("10", "Welding"), start=date(2026, 9, 22)):
    return competition(tier="worldskills", skill=skill, start_date=start,
                       registration_deadline=date(2026, 5, 1), end_date=None)


def test_packaged_policy_loads():
    assert POLICY.worldskills_age_limit == 22 and POLICY.under_25_age_limit == 25
    assert POLICY.age_limited_tiers == ("worldskills",)
    assert any(s.name == "Mechatronics" for s in POLICY.under_25_skills)


def test_age_limit_boundary_is_the_first_of_january():
    comp = worldskills()
    assert earliest_birth_date(comp, POLICY) == date(2004, 1, 1)
    assert check_eligibility(comp, contestant(born=date(2004, 1, 1)), POLICY) == []
    problems = check_eligibility(comp, contestant(born=date(2003, 12, 31)), POLICY)
    assert len(problems) == 1 and "2004-01-01" in problems[0]


def test_competition_year_is_the_start_year_not_the_deadline_year():
    comp = competition(tier="worldskills", skill=Skill("10", "Welding"),
                       registration_deadline=date(2025, 11, 30), start_date=date(2026, 1, 10),
                       end_date=None)
    assert earliest_birth_date(comp, POLICY) == date(2004, 1, 1)


@pytest.mark.parametrize("skill", [
    Skill("04", "Mechatronics"), Skill("4", "whatever"), Skill("X1", "机电一体化"),
    Skill("X2", "  cyber   SECURITY "), Skill("X3", "Cybersecurity"), Skill("X4", "工业４.０")])
def test_under_25_skills_by_code_or_name(skill):
    comp = worldskills(skill)
    assert earliest_birth_date(comp, POLICY) == date(2001, 1, 1)
    assert check_eligibility(comp, contestant(born=date(2001, 1, 1)), POLICY) == []
    assert check_eligibility(comp, contestant(born=date(2000, 12, 31)), POLICY)


def test_other_tiers_have_no_age_limit():
    comp = competition(tier="municipal_class_1")
    assert earliest_birth_date(comp, POLICY) is None
    assert check_eligibility(comp, contestant(born=date(1965, 1, 1)), POLICY) == []


def test_unknown_birth_date_is_a_problem_where_a_limit_applies():
    assert check_eligibility(worldskills(), {"date_of_birth": None}, POLICY) == [
        "date of birth unknown; the age limit cannot be checked"]


def test_policy_from_data_can_widen_tiers_and_change_limits():
    data = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    data.update(age_limited_tiers=["worldskills", "national_class_1"], worldskills_age_limit=21)
    policy = eligibility_policy_from_mapping(data)
    comp = competition(tier="national_class_1", start_date=date(2026, 6, 1),
                       registration_deadline=date(2026, 5, 1), end_date=None)
    assert earliest_birth_date(comp, policy) == date(2005, 1, 1)


def test_invalid_policy_reports_every_problem(tmp_path):
    bad = tmp_path / "eligibility.yaml"
    bad.write_text("version: '1'\nage_limited_tiers: [galactic]\nworldskills_age_limit: '22'\n"
                   "under_25_age_limit: 25\nunder_25_skills: [{codes: ['04']}]\n", encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_eligibility_policy(bad)
    assert len(err.value.problems) == 3


def test_policy_file_must_hold_a_mapping(tmp_path):
    bad = tmp_path / "eligibility.yaml"
    bad.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(PolicyError):
        load_eligibility_policy(bad)
