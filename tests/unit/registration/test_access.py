"""Where a caller stands towards a competition, and the contestant fields each standing reads."""
import pytest

from services.registration.domain.access import Standing, contestant_view, standing

RECORD = {"contestant_id": "C-1", "competition_code": "C", "person_key": "k" * 64, "masked_id": "310105********1011",
          "name": "张三", "gender": "male", "date_of_birth": "1990-01-01", "employer": "上海电气", "delegation": None,
          "skill_level": 3, "employment": "employee", "team": None, "status": "active"}


@pytest.mark.parametrize("actor, expected", [
    ({"username": "root", "role": "admin"}, Standing.OWNER),
    ({"username": "org-a", "role": "organiser"}, Standing.OWNER),
    ({"username": "org-b", "role": "organiser"}, Standing.OUTSIDER),
    ({"username": "judge-a", "role": "judge"}, Standing.MARKING_TEAM),
    ({"username": "judge-b", "role": "judge"}, Standing.OUTSIDER),
    ({"username": "judge-a", "role": "chief_expert"}, Standing.MARKING_TEAM),
    ({"username": "org-a", "role": "committee"}, Standing.COMMITTEE),
    ({"username": "judge-a", "role": "organiser"}, Standing.OUTSIDER),  # an organiser is not made a judge by name
    ({}, Standing.OUTSIDER),
])
def test_standing(actor, expected):
    assert standing(actor, ["org-a"], ["judge-a"]) is expected


def test_birth_date_and_masked_id_go_together_only_to_owners():
    assert contestant_view(RECORD, Standing.OWNER) == RECORD
    team = contestant_view(RECORD, Standing.MARKING_TEAM)
    assert team == {"contestant_id": "C-1", "competition_code": "C", "name": "张三", "delegation": None, "team": None,
                    "status": "active"}
    committee = contestant_view(RECORD, Standing.COMMITTEE)
    assert committee["masked_id"] == RECORD["masked_id"]
    assert not {"date_of_birth", "gender", "skill_level"} & set(committee)
    with pytest.raises(PermissionError):
        contestant_view(RECORD, Standing.OUTSIDER)
