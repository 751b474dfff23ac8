"""Explainable scores: every line visible, lines sum to the total."""
import copy
from decimal import Decimal

from services.awards.domain.policy import Policy
from services.awards.domain.programmes import (
    CandidateRecord,
    achievement_from_result,
    programme_eligibility_fingerprint,
    programme_weights_fingerprint,
    score_candidate,
    score_delta,
)


def _lines(score, kind):
    return [line for line in score.lines if line.kind == kind]


def _worked_record(make):
    return make.record(
        current_level=2,
        years_of_service=25,
        titles=[{"name_zh": "全国技术能手", "year": 2019}, {"code": "shanghai_technical_expert", "year": 2016}],
        innovation_awards=[{"name": "焊缝自动跟踪装置", "year": 2020, "level": "municipal"}],
        patents=2,
        apprentices=30,
        achievements=[
            make.achievement("worldskills", 2017, 1, medal="gold", code="WSC2017"),
            make.achievement("national_class_1", 2019, 4, code="NC1-2019"),
            make.achievement("municipal_class_1", 2016, 11, code="MC1-2016"),
        ],
    )


def test_worked_example_breakdown(policy, make):
    score = score_candidate(policy, "shanghai_craftsman", _worked_record(make), 2023)
    table = [(line.kind, line.source, line.points) for line in score.lines]
    assert table == [
        ("achievement", "worldskills 2017 (WSC2017, 2017)", Decimal("100.00")),  # gold medal
        ("achievement", "national_class_1 2019 (NC1-2019, 2019)", Decimal("50.00")),  # rank band 4–5
        ("achievement", "municipal_class_1 2016 (MC1-2016, 2016)", Decimal("2.00")),  # participation
        ("title", "全国技术能手", Decimal("50.00")),
        ("title", "上海市技术能手", Decimal("20.00")),
        ("level", "current skill level", Decimal("20.00")),
        ("years", "years of service", Decimal("20.00")),  # 25 years capped at 20
        ("innovation", "焊缝自动跟踪装置 (2020)", Decimal("12.00")),
        ("patent", "patents", Decimal("6.00")),
        ("apprentice", "apprentices trained", Decimal("20.00")),  # 30 capped at 20
    ]
    assert score.total == Decimal("300.00")
    assert score.total == sum(line.points for line in score.lines)
    assert score.lines[0].detail["basis"] == "gold medal"
    assert score.lines[1].detail["basis"] == "rank 4 in band 4–5"
    assert _lines(score, "years")[0].detail == {"quantity": 25, "counted": 20, "max_counted": 20, "capped": True}


def test_lines_sum_to_total_for_every_programme(policy, make):
    rec = _worked_record(make)
    for programme in policy.programme_codes:
        score = score_candidate(policy, programme, rec, 2023)
        assert score.total == sum(line.points for line in score.lines)
        assert score.total == score.total.quantize(Decimal("0.01"))
        assert {line.kind for line in score.lines} <= {"achievement", "title", "level", "years", "innovation",
                                                       "patent", "apprentice"}


def test_programmes_weigh_differently(policy, make):
    rec = _worked_record(make)
    studio = score_candidate(policy, "master_studio", rec, 2023)
    assert _lines(studio, "apprentice")[0].points == Decimal("60.00")  # 2 per apprentice, up to 30


def test_recency_decay_and_window(policy, make):
    rec = make.record(achievements=[make.achievement("worldskills", 2017, 1, medal="gold", code="W17"),
                                    make.achievement("national_class_1", 2012, 1, code="N12")])
    score = score_candidate(policy, "outstanding_technical_expert", rec, 2023)
    gold, old = _lines(score, "achievement")
    assert gold.weight == Decimal("100.00") and gold.points == Decimal("53.14")  # 100 × 0.9^6
    assert gold.detail["decay_factor"] == "0.531441"
    assert old.points == Decimal("0.00") and old.detail["counted"] is False
    assert "10-year window" in old.detail["not_counted_because"]
    assert score.total == sum(line.points for line in score.lines)


def test_only_best_n_achievements_count(policy, make):
    achievements = [make.achievement("enterprise", 2015 + i, 1, code=f"E{i}") for i in range(5)]
    achievements.append(make.achievement("municipal_class_2", 2020, 1, code="M2"))
    score = score_candidate(policy, "shanghai_craftsman", make.record(achievements=achievements), 2023)
    lines = _lines(score, "achievement")
    counted = [line for line in lines if line.detail["counted"]]
    assert len(lines) == 6 and len(counted) == 5
    assert counted[0].source.startswith("municipal_class_2")
    dropped = [line for line in lines if not line.detail["counted"]][0]
    assert dropped.detail["year"] == 2015 and dropped.points == 0  # the oldest of the equal ones
    assert "best 5" in dropped.detail["not_counted_because"]


def test_same_competition_counts_once_and_future_evidence_is_ignored(policy, make):
    rec = make.record(
        achievements=[make.achievement("national_class_2", 2021, 2, code="NC2"),
                      make.achievement("national_class_2", 2021, 2, code="NC2"),
                      make.achievement("worldskills", 2024, 1, medal="gold", code="W24")],
        titles=[{"name_zh": "全国技术能手", "year": 2021}, {"name_zh": "全国技术能手", "year": 2021},
                {"name_zh": "中华技能大奖", "year": 2025}],
        innovation_awards=[{"name": "future", "year": 2030}],
    )
    score = score_candidate(policy, "shanghai_craftsman", rec, 2023)
    assert [line.source for line in _lines(score, "achievement")] == ["national_class_2 2021 (NC2, 2021)"]
    assert [line.source for line in _lines(score, "title")] == ["全国技术能手"]
    assert _lines(score, "innovation") == []


def test_unknown_and_unweighted_evidence_shows_as_zero_lines(policy, make):
    rec = make.record(current_level=None, years_of_service=None,
                      titles=[{"name_zh": "五一劳动奖章", "year": 2020}],
                      innovation_awards=[{"name": "QC成果", "year": 2021, "level": "team"}])
    score = score_candidate(policy, "shanghai_craftsman", rec, 2023)
    assert _lines(score, "level")[0].points == 0 and "unknown" in _lines(score, "level")[0].detail["not_counted_because"]
    assert _lines(score, "years")[0].points == 0
    assert _lines(score, "title")[0].points == 0
    innovation = _lines(score, "innovation")[0]
    assert innovation.points == Decimal("4.00") and innovation.detail["basis"].startswith("default points")


def test_achievement_from_published_result(policy, make):
    comp = make.competition("worldskills", code="WSC2019-welding", year=2019)
    person = make.contestant(4, medallion=True, scale=712)
    rec = CandidateRecord(person_key="p-4", name="选手4", achievements=(achievement_from_result(comp, person),))
    score = score_candidate(policy, "shanghai_craftsman", rec, 2023)
    line = _lines(score, "achievement")[0]
    assert line.points == Decimal("60.00") and line.detail["basis"] == "Medallion for Excellence"
    assert line.detail["scale"] == 712


def test_weights_fingerprint_changes_only_with_weights(policy):
    base = programme_weights_fingerprint(policy, "shanghai_craftsman")
    assert base == programme_weights_fingerprint(policy, "shanghai_craftsman")
    assert base != programme_weights_fingerprint(policy, "chief_technician")

    document = copy.deepcopy(dict(policy.document))
    document["programmes"]["shanghai_craftsman"]["eligibility"].pop()
    eligibility_edit = Policy.from_dict(document)
    assert programme_weights_fingerprint(eligibility_edit, "shanghai_craftsman") == base
    assert programme_eligibility_fingerprint(eligibility_edit, "shanghai_craftsman") != \
        programme_eligibility_fingerprint(policy, "shanghai_craftsman")

    document["programmes"]["shanghai_craftsman"]["weights"]["patents"]["per_unit"] = 4
    assert programme_weights_fingerprint(Policy.from_dict(document), "shanghai_craftsman") != base


def test_score_carries_its_fingerprint_and_serialises(policy, make):
    score = score_candidate(policy, "master_studio", _worked_record(make), 2023)
    assert score.weights_fingerprint == programme_weights_fingerprint(policy, "master_studio")
    data = score.to_dict()
    assert data["total"] == str(score.total) and data["lines"][0]["points"] == "100.00"


def test_score_delta_shows_what_an_event_added(policy, make):
    rec = make.record(achievements=[make.achievement("municipal_class_1", 2021, 2, code="M1")])
    before = score_candidate(policy, "shanghai_craftsman", rec, 2023)
    after_rec = make.record(achievements=rec["achievements"] + [make.achievement("national_class_2", 2022, 1, code="N2")])
    after = score_candidate(policy, "shanghai_craftsman", after_rec, 2023)
    delta = score_delta(before, after)
    assert delta.change == Decimal("50.00")
    assert [line.source for line in delta.added] == ["national_class_2 2022 (N2, 2022)"]
    assert delta.removed == () and delta.weights_changed is False
    assert score_delta(after, after).is_empty
    assert score_delta(None, after).total_before == 0
