"""Ranked rows (the stored ranking) follow the domain's order; profile sheets and cells."""
import random

from services.awards.adapters.profile_files import parse_profiles
from services.awards.domain import ranking as rm
from services.awards.domain.cut_line import cut_line_of_rows
from services.awards.domain.profiles import clean_field
from services.awards.domain.candidates import as_record
from services.awards.domain.programmes import rank_nominees, score_candidate
from services.awards.domain.ranking import draw_lot, tie_breaks, tie_evidence

from .conftest import achievement


def test_compact_rows_rank_exactly_like_the_domain(policy):
    rng = random.Random(7)
    pairs, rows = [], []
    for i in range(300):
        record = {"person_key": f"{i:064x}", "name": str(i), "current_level": rng.randint(1, 5),
                  "patents": rng.randint(0, 2),
                  "achievements": [achievement("municipal_class_1", rng.randint(2015, 2023), rng.randint(1, 4))]}
        score = score_candidate(policy, "shanghai_craftsman", record, 2024)
        pairs.append((as_record(record), score))
        rows.append({"person_key": record["person_key"], "name": str(i), "total": str(score.total), "score": float(score.total),
                     "tie_evidence": list(tie_evidence(policy, record["achievements"], 2024)), "lot": draw_lot("s", record["person_key"])})
    ranked = rank_nominees(pairs, policy, "s")
    ordered = rm.ordered(rows)
    assert [r["person_key"] for r in ordered] == [n.person_key for n in ranked]
    criteria = tie_breaks(policy)
    texts = [rm.tie_break(criteria, row, ordered[i - 1] if i else None, ordered[i + 1] if i + 1 < len(ordered) else None)
             for i, row in enumerate(ordered)]
    tied = [i for i, text in enumerate(texts) if text]
    assert tied and any("by lot" in texts[i] for i in tied)
    for i in tied:  # the same sentence but for who else shares the total (rows count them)
        assert texts[i].split(";", 1)[1] == ranked[i].tie_break.split(";", 1)[1]


def test_cut_line_uses_the_smaller_of_quota_and_budget(policy):
    rows = rm.ordered([{"person_key": f"{i:064x}", "total": f"{100 - i}.00", "score": 100.0 - i} for i in range(10)])
    line = cut_line_of_rows(tie_breaks(policy), rows, quota=5, budget_yuan=150000, amount=50000)
    assert line["capacity"] == 3 and line["cut_after"] == 3 and line["limited_by"] == "budget"


def test_cut_line_counts_the_rounds_approvals(policy):
    rows = rm.ordered([{"person_key": f"{i:064x}", "total": f"{100 - i}.00", "score": 100.0 - i, "status": "approved" if i < 5 else "publicised"}
                       for i in range(6)])
    line = cut_line_of_rows(tie_breaks(policy), rows, quota=5, budget_yuan=250000, amount=50000,
                       approved_count=5, approved_sum_yuan=250000)
    assert (line["funds_committed_yuan"], line["budget_left_yuan"], line["cut_after"]) == (250000, 0, 0)


def test_profile_cells(policy):
    assert clean_field("current_level", "技师", policy) == 2
    assert clean_field("current_level", "一级/高级技师", policy) == 1
    assert clean_field("union_member", "是", policy) is True
    titles = clean_field("titles", "全国技术能手 2019；自定称号", policy)
    assert titles == [{"code": "national_technical_expert", "name_zh": "全国技术能手", "year": 2019},
                      {"code": None, "name_zh": "自定称号", "year": None}]
    awards = clean_field("innovation_awards", "职工创新成果奖 2021 市级、小发明 2019", policy)
    assert awards == [{"name": "职工创新成果奖", "year": 2021, "level": "municipal"},
                      {"name": "小发明", "year": 2019, "level": None}]


def test_a_sheet_with_unknown_columns_or_no_person_key_is_refused(policy):
    rows, problems = parse_profiles("姓名,血型\n张三,A\n".encode(), "x.csv", policy)
    assert rows == []
    assert {p["problem"] for p in problems} >= {"unknown column"}
    assert any("person key" in p["problem"] for p in problems)
    rows, problems = parse_profiles(b"", "x.csv", policy)
    assert problems[0]["problem"] == "the file is empty"
    key = "a" * 64
    rows, problems = parse_profiles(f"人员标识,姓名\n{key},甲\n{key},乙\n".encode(), "x.csv", policy)
    assert problems == [{"path": "/rows/3/人员标识", "row": 3, "column": "人员标识", "problem": "the same person as row 2"}]


def _row(rng, i: int) -> dict:
    total = rng.choice((10, 20, 25, 30, 31, 40)) + rng.choice((0, 0, 0.5))
    return {"person_key": f"{i:064x}", "name": f"n{i}", "total": f"{total:.2f}", "score": float(total), "best": float(rng.choice((0, 5, 10))),
            "latest_year": rng.choice((None, 2019, 2020, 2023)), "eligible": True}


def test_an_incremental_merge_gives_the_order_and_stored_text_of_a_full_sort():
    import json

    chunk = 7
    rng = random.Random(11)
    for trial in range(60):
        rows = {f"{i:064x}": _row(rng, i) for i in range(rng.randint(0, 80))}
        old = rm.ordered([dict(r) for r in rows.values()])
        old_packed = [json.dumps(old[n:n + chunk], ensure_ascii=False, separators=(",", ":"))
                      for n in range(0, len(old), chunk)]
        changed: dict = {}
        for _ in range(rng.randint(0, 12)):
            i = rng.randint(0, 100)  # existing people and new ones
            k = f"{i:064x}"
            changed[k] = None if rng.random() < 0.25 else _row(rng, i)  # None: leaves the list
        if trial % 10 == 0 and old:  # the last ones leave: only the end of the list changes
            changed = {old[-1]["person_key"]: None}
        after = {k: r for k, r in rows.items() if k not in changed} | {k: r for k, r in changed.items() if r}
        full = rm.ordered([dict(r) for r in after.values()])
        decoded = [r for text in old_packed for r in json.loads(text)]
        merged = rm.merged(decoded, {k: (dict(r) if r else None) for k, r in changed.items()})
        touched = rm.numbered(merged, chunk)
        assert merged == full
        assert [list(r) for r in merged] == [list(r) for r in full]  # same keys in the same order
        count = (len(merged) + chunk - 1) // chunk
        for n in range(count):
            text = json.dumps(merged[n * chunk:(n + 1) * chunk], ensure_ascii=False, separators=(",", ":"))
            if n not in touched and n < len(old_packed) and n != count - 1:  # what write_list leaves as stored
                assert text == old_packed[n]


def test_numbered_leaves_the_order_and_counts_ties():
    rows = [{"person_key": "a", "total": "2.00"}, {"person_key": "b", "total": "1.00"}, {"person_key": "c", "total": "1.00"}]
    assert rm.numbered(rows, 2) == {0, 1}
    assert [(r["position"], r["tied"]) for r in rows] == [(1, 1), (2, 2), (3, 2)]
    assert rm.numbered(rows, 2) == set()  # nothing moved


def test_eligibility_of_a_plain_record_equals_that_of_the_converted_record(policy):
    from services.awards.domain.candidates import as_record
    from services.awards.domain.eligibility import check_eligibility

    rng = random.Random(5)
    for i in range(300):
        record = {"person_key": f"{i:064x}", "name": str(i), "union_member": rng.choice((True, False, None)),
                  "front_line": rng.choice((True, False, None)), "current_level": rng.choice((None, 1, 2, 3, 5)),
                  "years_of_service": rng.choice((None, 3, 20)), "still_in_post": rng.choice((True, False, None)),
                  "chief_technician_funded_year": rng.choice((None, 2020)), "studio_funded_year": rng.choice((None, 2021)),
                  "titles": rng.sample([{"name_zh": "全国技术能手", "year": 2019}, {"code": "shanghai_craftsman", "year": 2022},
                                        {"code": "shanghai_outstanding_technical_expert", "year": 2030}], rng.randint(0, 3)),
                  "innovation_awards": [{"name": "x", "year": 2020, "level": "municipal"}],
                  "achievements": [achievement("municipal_class_1", 2020, 1)]}
        for programme in policy.programme_codes:
            assert check_eligibility(policy, programme, record, 2024) == \
                check_eligibility(policy, programme, as_record(record), 2024)
