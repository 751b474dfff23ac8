from datetime import date

import pytest

from services.registration.domain.competition import (
    CONFLICT_RELATIONS,
    TIERS,
    Skill,
    apply_update,
    change_status,
    check_competition,
    check_transition,
    check_update,
    competition_from_dict,
    competition_to_dict,
    registration_refusal,
)
from services.registration.domain.errors import ENVELOPE_CODE, Code, RegistrationRuleError
from tests.unit.registration.factories import TODAY, competition


def codes(errors):
    return [e.code for e in errors]


def test_tiers_match_the_shared_value_type():
    assert TIERS == ("worldskills", "national_class_1", "national_class_2", "municipal_class_1",
                     "municipal_class_2", "enterprise")


def test_every_code_maps_to_an_envelope_code():
    names = [v for k, v in vars(Code).items() if not k.startswith("_")]
    assert set(names) == set(ENVELOPE_CODE)


# ---------------------------------------------------------------------------- status machine

def test_draft_opens_before_the_deadline():
    opened = change_status(competition(status="draft"), "open", TODAY)
    assert opened.status == "open"


def test_draft_cannot_open_after_the_deadline():
    with pytest.raises(RegistrationRuleError) as err:
        change_status(competition(status="draft"), "open", date(2025, 5, 1))
    assert err.value.code == Code.DEADLINE_PASSED


def test_opening_on_the_deadline_day_is_allowed():
    assert change_status(competition(status="draft"), "open", date(2025, 4, 30)).status == "open"


def test_inconsistent_draft_cannot_open_and_all_reasons_are_given():
    draft = competition(status="draft", capacity=0, registration_deadline=date(2025, 7, 1))
    with pytest.raises(RegistrationRuleError) as err:
        change_status(draft, "open", TODAY)
    assert {d.path for d in err.value.details} == {"/capacity", "/registration_deadline"}


def test_open_closes_any_time():
    assert change_status(competition(), "closed", date(2025, 5, 20)).status == "closed"


def test_closed_reopens_only_before_the_deadline():
    closed = competition(status="closed")
    assert change_status(closed, "open", date(2025, 4, 30)).status == "open"
    assert codes(check_transition(closed, "open", date(2025, 5, 1))) == [Code.DEADLINE_PASSED]


@pytest.mark.parametrize("current, target", [
    ("draft", "closed"), ("open", "draft"), ("closed", "draft"), ("open", "open"),
    ("draft", "draft"), ("closed", "closed"), ("open", "archived")])
def test_invalid_transitions(current, target):
    assert codes(check_transition(competition(status=current), target, TODAY)) == [
        Code.INVALID_TRANSITION]


def test_registration_refusal_by_status_and_deadline():
    assert registration_refusal(competition(), TODAY) is None
    assert registration_refusal(competition(status="draft"), TODAY).code == Code.REGISTRATION_CLOSED
    assert registration_refusal(competition(status="closed"), TODAY).code == Code.REGISTRATION_CLOSED
    assert registration_refusal(competition(), date(2025, 5, 1)).code == Code.DEADLINE_PASSED


# ------------------------------------------------------------------------------- invariants

def test_a_valid_competition_has_no_problems():
    assert check_competition(competition()) == []


def test_invariant_problems():
    bad = competition(tier="olympic", skill=Skill("", "x"), end_date=date(2025, 5, 1),
                      team_size=0, skill_level=6, conflict_relations=("same_employer", "friends"),
                      name=" ")
    assert {e.path for e in check_competition(bad)} == {
        "/tier", "/skill", "/end_date", "/team_size", "/skill_level", "/conflict_relations",
        "/name"}


# -------------------------------------------------------------------------------- edits

def test_draft_allows_every_field():
    draft = competition(status="draft")
    changes = {"tier": "worldskills", "skill": Skill("04", "Mechatronics"), "team_size": 2,
               "start_date": date(2026, 9, 1), "end_date": date(2026, 9, 3), "skill_level": 2}
    assert apply_update(draft, changes, TODAY).team_size == 2


@pytest.mark.parametrize("field, value", [
    ("tier", "worldskills"), ("skill", Skill("04", "Mechatronics")), ("team_size", 2),
    ("skill_level", 3)])
def test_frozen_fields_once_open(field, value):
    for status in ("open", "closed"):
        errors = check_update(competition(status=status), {field: value}, TODAY)
        assert codes(errors) == [Code.FIELD_FROZEN] and errors[0].path == f"/{field}"


def test_sending_a_frozen_field_unchanged_is_not_an_edit():
    open_ = competition()
    assert check_update(open_, {"tier": open_.tier, "name": "Renamed", "code": open_.code},
                        TODAY) == []


def test_code_and_status_are_not_edits():
    errors = check_update(competition(status="draft"), {"code": "X", "status": "open"}, TODAY)
    assert codes(errors) == [Code.FIELD_FROZEN, Code.FIELD_FROZEN]


def test_unknown_field():
    assert codes(check_update(competition(), {"colour": "red"}, TODAY)) == [Code.INVALID_FIELD]


def test_start_date_moves_only_within_its_year_once_open():
    open_ = competition()
    assert check_update(open_, {"start_date": date(2025, 7, 1), "end_date": date(2025, 7, 2)},
                        TODAY) == []
    errors = check_update(open_, {"start_date": date(2026, 1, 5), "end_date": None}, TODAY)
    assert codes(errors) == [Code.FIELD_FROZEN]


def test_capacity_never_below_registered_entries():
    errors = check_update(competition(capacity=10), {"capacity": 3}, TODAY, entries=4)
    assert codes(errors) == [Code.OVER_CAPACITY]
    assert check_update(competition(capacity=10), {"capacity": 4}, TODAY, entries=4) == []


def test_open_deadline_cannot_move_into_the_past_but_closed_may_extend_it():
    errors = check_update(competition(), {"registration_deadline": date(2025, 2, 1)}, TODAY)
    assert codes(errors) == [Code.INVALID_FIELD]
    closed = competition(status="closed")
    extended = apply_update(closed, {"registration_deadline": date(2025, 5, 20)}, date(2025, 5, 10))
    assert change_status(extended, "open", date(2025, 5, 10)).status == "open"


def test_deadline_after_start_is_refused():
    errors = check_update(competition(), {"registration_deadline": date(2025, 6, 2)}, TODAY)
    assert errors[0].path == "/registration_deadline"


def test_apply_update_raises_with_every_detail():
    with pytest.raises(RegistrationRuleError) as err:
        apply_update(competition(), {"tier": "worldskills", "team_size": 3}, TODAY)
    assert len(err.value.details) == 2
    assert err.value.as_detail()["code"] == Code.FIELD_FROZEN


def test_plain_data_round_trip():
    original = competition(capacity=20, conflict_relations=("same_employer",))
    data = competition_to_dict(original)
    assert data["start_date"] == "2025-06-01" and data["skill"] == {"code": "WELD", "name": "焊工"}
    assert competition_from_dict({**data, "_id": "ignored"}) == original


def test_from_dict_defaults():
    c = competition_from_dict({"code": "C1", "name": "n", "tier": "enterprise",
                               "skill": {"code": "s", "name": "s"}, "start_date": "2025-06-01",
                               "registration_deadline": "2025-05-01"})
    assert (c.status, c.team_size, c.capacity, c.conflict_relations) == (
        "draft", 1, None, CONFLICT_RELATIONS)
    assert not c.is_team and c.competition_year == 2025


def test_edits_may_arrive_as_plain_json_values():
    updated = apply_update(competition(status="draft"), {
        "start_date": "2025-07-01", "end_date": None, "skill": {"code": "04", "name": "Mechatronics"},
        "conflict_relations": ["declared"]}, TODAY)
    assert updated.start_date == date(2025, 7, 1) and updated.skill == Skill("04", "Mechatronics")
    assert updated.conflict_relations == ("declared",)
    errors = check_update(competition(), {"end_date": "soon", "skill": {"code": "x"}}, TODAY)
    assert [(e.code, e.path) for e in errors] == [
        (Code.INVALID_FIELD, "/end_date"), (Code.INVALID_FIELD, "/skill")]


def test_selection_trial_is_frozen_once_registration_opened():
    from datetime import date

    from services.registration.domain.competition import (
        Competition,
        Skill,
        apply_update,
        competition_from_dict,
        competition_to_dict,
    )
    from services.registration.domain.errors import RegistrationRuleError

    trial = Competition(code="WS-T", name="世赛选拔赛", tier="worldskills", skill=Skill("17", "Web"),
                        start_date=date(2030, 3, 1), registration_deadline=date(2030, 2, 1),
                        selection_trial=True)
    assert competition_from_dict(competition_to_dict(trial)).selection_trial is True
    assert apply_update(trial, {"selection_trial": False}, date(2030, 1, 1)).selection_trial is False
    opened = competition_from_dict({**competition_to_dict(trial), "status": "open"})
    try:
        apply_update(opened, {"selection_trial": False}, date(2030, 1, 1))
    except RegistrationRuleError as error:
        assert error.code == "FIELD_FROZEN" and error.path == "/selection_trial"
    else:
        raise AssertionError("a selection trial cannot stop being one once open")
