"""The mark-path helpers: Mongo-safe keys of the mark rows and checking a request's marks."""
import pytest

from services.scoring.adapters.mark_rows import key, unkey


@pytest.mark.parametrize("text", ["plain", "a.b", "$x", "50%.", "%2E", "张.三"])
def test_keys_round_trip_and_are_mongo_safe(text):
    encoded = key(text)
    assert "." not in encoded and not encoded.startswith("$") and unkey(encoded) == text


def test_observations_are_checked_and_turned_into_marks():
    from services.scoring.adapters.scheme_workbook import parse_cis_xlsx
    from services.scoring.domain.marksheet import check_marks
    from services.scoring.domain.roster import Roster
    from tests.unit.scoring.cis_fixture import build_cis_xlsx

    scheme = parse_cis_xlsx(build_cis_xlsx())
    index = {a.id: i for i, a in enumerate(scheme.aspects)}
    roster = Roster(1, {"c1": {"status": "active"}}, {"j": "judge"}, {}, False)
    marks = [{"contestant_id": "c1", "aspect": "A2.3", "observed": 2},
             {"contestant_id": "c1", "aspect": "C1.1", "observed": "not sanded"},
             {"contestant_id": "c1", "aspect": "A1.1", "observed": "pass", "value": "1"},
             {"contestant_id": "c1", "aspect": "A1.3", "observed": 2},
             {"contestant_id": "c1", "aspect": "A1.1", "value": "1"}]
    checked, problems = check_marks(marks, "j", roster, scheme, index)
    assert [(m.value, m.observed) for m in checked] == [("2.50", 2), ("0.00", "Not sanded"), ("1.00", "pass")]
    assert [(p["path"], p["code"]) for p in problems] == [("/marks/2/observed", "WRONG_TYPE"),
                                                          ("/marks/3/score", "WRONG_TYPE")]
