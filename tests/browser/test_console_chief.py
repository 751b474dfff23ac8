"""The organiser watches the progress board; the chief expert sees a dispute with every judge's score
side by side, sees it resolved when the judge scores again, locks, is refused an unlock without a
reason, reads the audit of the mark, and finalises: the results chart appears. The chief expert
resolves a dispute by entering the agreed scores with a reason; a lost answer is retried safely."""
from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import OUTPUT
from tests.browser.pages import (
    all_css,
    assert_accessible,
    button,
    css,
    go,
    shot,
    sign_in,
    sign_out,
    text_appears,
    wait,
)
from tests.e2e.scoring_fixtures import marked_competition, rid


def disputed_competition(organiser, make_user, chief_name: str, contestants: int) -> dict:
    """Every mark in, with one dispute: judge 0 scores B1.1 of the first contestant 0, the others 3."""
    competition = marked_competition(organiser, make_user, contestants=contestants, judges=3)
    code, people, judges = competition["code"], competition["contestants"], competition["judges"]
    assert organiser.post(f"/competitions/{code}/judges", json={"username": chief_name, "name": chief_name,
                                                                "employer": "评委单位", "role": "chief_expert"}).status_code == 201
    measured = [{"contestant_id": c, "aspect": a, "value": str(5 + i)} for i, c in enumerate(people) for a in ("A1.1", "A1.2", "A1.3")]
    assert judges[0].post(f"/competitions/{code}/marks", json={"request_id": rid(), "marks": measured}).status_code == 200
    for j, judge in enumerate(judges):
        scores = [{"contestant_id": c, "aspect": a, "score": 2 if i else (0 if (j, a) == (0, "B1.1") else 3)}
                  for i, c in enumerate(people) for a in ("B1.1", "B1.2")]
        assert judge.post(f"/competitions/{code}/marks", json={"request_id": rid(), "marks": scores}).status_code == 200
    return competition


def test_chief_expert_resolves_a_dispute_locks_and_finalises(browser, console_url, account, make_user):
    organiser_name, organiser_password, organiser = account("organiser")
    chief_name, chief_password, chief = account("chief_expert")
    competition = disputed_competition(organiser, make_user, chief_name, contestants=3)
    code, people, judges = competition["code"], competition["contestants"], competition["judges"]

    sign_in(browser, console_url, organiser_name, organiser_password)
    go(browser, console_url, f"competitions/{code}/progress")
    text_appears(browser, "#progress-board [data-sub=B1]", "有分歧")
    shot(browser, "progress-board")
    sign_out(browser)

    sign_in(browser, console_url, chief_name, chief_password)
    css(browser, f"a[href='#/chief/{code}']").click()
    table = css(browser, "#disputes table")
    headers = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert all(j.username in headers for j in judges), headers
    cells = [td.text for td in table.find_elements(By.CSS_SELECTOR, "tbody tr td")]
    assert cells[1] == "B1.1" and sorted(cells[2:5]) == ["0", "3", "3"] and cells[5] == "3"
    shot(browser, "chief-dispute")

    assert judges[0].post(f"/competitions/{code}/marks", json={"request_id": rid(), "marks": [
        {"contestant_id": people[0], "aspect": "B1.1", "score": 3}]}).status_code == 200
    text_appears(browser, "#disputes", "没有分歧")  # the page polls: the dispute is gone once rescored

    lock_sub = Select(css(browser, "#lock-sub"))
    for sub in ("A1", "B1"):
        lock_sub.select_by_value(sub)
        button(browser, "锁定").click()
        text_appears(browser, "main", f"子项 {sub} 已锁定")
    text_appears(browser, "#progress-board [data-sub=B1]", "已锁定")
    assert {s["sub_criterion"]: s["locked"] for s in chief.get(f"/competitions/{code}/progress").json()["sub_criteria"]} == {"A1": True, "B1": True}

    button(browser, "解锁").click()  # B1 selected, no reason: the API's envelope is shown
    box = css(browser, "main .error-box")
    assert "reason" in box.text
    css(browser, "#unlock-reason").send_keys("复核 B1.2 评分")
    button(browser, "解锁").click()
    text_appears(browser, "main", "子项 B1 已解锁")
    button(browser, "锁定").click()
    text_appears(browser, "main", "子项 B1 已锁定")

    form = browser.find_element(By.XPATH, "//form[.//h2[normalize-space(.)='评分审计记录']]")
    selects = form.find_elements(By.TAG_NAME, "select")
    Select(selects[0]).select_by_value(people[0])
    Select(selects[1]).select_by_value("B1.1")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, lambda d: len(form.find_elements(By.CSS_SELECTOR, "tbody tr")) >= 4)
    rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in form.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert any(r[1] == judges[0].username and r[5] == "0" and r[6] == "3" for r in rows), rows

    button(browser, "确认并发布成绩").click()
    text_appears(browser, "#flash", "成绩已发布")
    css(browser, "svg#distribution circle")
    assert len(all_css(browser, "svg#distribution circle")) == 3
    shot(browser, "chief-finalised")
    css(browser, "svg#distribution").screenshot(str(OUTPUT / "results-chart.png"))
    assert chief.get(f"/competitions/{code}/results").json()["final"] is True


def test_chief_expert_resolves_a_dispute_by_entering_the_agreed_scores(browser, console_url, proxy, account, make_user):
    _, _, organiser = account("organiser")
    chief_name, chief_password, chief = account("chief_expert")
    competition = disputed_competition(organiser, make_user, chief_name, contestants=2)
    code, people, judges = competition["code"], competition["contestants"], competition["judges"]

    sign_in(browser, console_url, chief_name, chief_password)
    go(browser, console_url, f"chief/{code}")
    css(browser, "#disputes table")
    assert_accessible(browser)
    css(browser, f"button[data-resolve='{people[0]}|B1.1']").click()
    selects = {s.get_attribute("data-judge"): s for s in all_css(browser, "#resolve select")}
    assert {j: Select(selects[j]).first_selected_option.text for j in selects} == {
        judges[0].username: "0", judges[1].username: "3", judges[2].username: "3"}
    Select(selects[judges[0].username]).select_by_value("2")
    Select(selects[judges[1].username]).select_by_value("2")
    css(browser, "#resolve-reason").send_keys("与三位裁判复议后商定")
    assert_accessible(browser)
    shot(browser, "chief-resolve-form")
    proxy.drop_answer_to("POST", f"/competitions/{code}/disputes/resolve")
    button(browser, "保存裁定").click()
    text_appears(browser, "#resolve-result", "网络中断")  # the answer was lost: the same request is sent again
    button(browser, "保存裁定").click()
    css(browser, "#resolved")
    text_appears(browser, "#disputes", "没有分歧")
    shot(browser, "chief-resolved")
    scores = sorted(m["score"] for m in chief.get(f"/competitions/{code}/marks?contestant={people[0]}&aspect=B1.1").json()["items"])
    assert scores == [2, 2, 3]
