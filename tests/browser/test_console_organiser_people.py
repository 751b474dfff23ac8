"""An organiser in the browser runs a team competition's people and files: a co-organiser added (an
account that is not an organiser refused where it was typed), the roster shown by team, a contestant
withdrawn with a reason, a conflict of interest declared, and every export downloaded (the results,
not ready yet, refused next to their button)."""
from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.pages import all_css, assert_accessible, button, css, go, shot, sign_in, text_appears, wait
from tests.e2e.helpers import open_competition, register
from tests.e2e.scoring_fixtures import small_scheme


def downloaded(folder, suffix: str, before: set):
    return wait(None, lambda _: next((p for p in folder.glob(f"*{suffix}") if p.name not in before and p.stat().st_size), None))


def test_organiser_runs_a_team_competitions_people_and_downloads_every_export(browser, console_url, account, tmp_path):
    username, password, organiser = account("organiser")
    partner, _, partner_api = account("organiser")
    judge_name, _, _ = account("judge")
    code = open_competition(organiser, team_size=2)["code"]
    people = [register(organiser, code, name=f"队员{i}", employer=f"单位{i}", team=f"T{i // 2}") for i in range(4)]
    assert organiser.post(f"/competitions/{code}/judges", json={"username": judge_name, "name": "李评委",
                                                                "employer": "评委单位", "role": "judge"}).status_code == 201
    assert organiser.put(f"/competitions/{code}/marking-scheme", json=small_scheme()).status_code == 200

    sign_in(browser, console_url, username, password)
    adds_a_co_organiser(browser, console_url, code, (username, partner, judge_name), partner_api)
    withdraws_a_team_member(browser, organiser, code, people[3])
    declares_a_conflict(browser, organiser, code, judge_name, people[0])
    downloads_every_export(browser, code, tmp_path)


def adds_a_co_organiser(browser, console_url, code, names, partner_api) -> None:
    username, partner, judge_name = names
    go(browser, console_url, f"competitions/{code}/organisers")
    text_appears(browser, "#organisers", username)
    css(browser, "#co-organiser").send_keys(judge_name)
    button(browser, "添加").click()
    refused = css(browser, "#co-organiser-result .error-box")
    assert "/username" in refused.text and refused.get_attribute("data-code") == "VALIDATION_FAILED"
    css(browser, "#co-organiser").clear()
    css(browser, "#co-organiser").send_keys(partner)
    button(browser, "添加").click()
    text_appears(browser, "#organisers", partner)
    assert_accessible(browser)
    shot(browser, "organiser-co-organisers")
    assert partner_api.get(f"/competitions/{code}/organisers").json()["items"] == [username, partner]


def withdraws_a_team_member(browser, organiser, code: str, member: dict) -> None:

    css(browser, "#tab-roster").click()
    text_appears(browser, "#panel caption", "每队 2 人")
    rows = all_css(browser, "#panel table tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[2].text for r in rows] == ["T0", "T0", "T1", "T1"]
    leaving = member["contestant_id"]
    css(browser, f"button[data-withdraw='{leaving}']").click()
    assert browser.switch_to.active_element == css(browser, "#withdraw-reason")
    browser.switch_to.active_element.send_keys("因伤退赛")
    button(browser, "确认退赛").click()
    text_appears(browser, "#withdraw-result", "队员3 已退赛")
    text_appears(browser, "#panel table", "已退赛：因伤退赛")
    assert not all_css(browser, f"button[data-withdraw='{leaving}']")
    assert_accessible(browser)
    shot(browser, "organiser-withdrawal")
    gone = organiser.get(f"/competitions/{code}/contestants?include_withdrawn=true").json()["items"]
    assert {p["contestant_id"]: (p["status"], p["withdrawn_reason"]) for p in gone}[leaving] == ("withdrawn", "因伤退赛")


def declares_a_conflict(browser, organiser, code: str, judge_name: str, contestant: dict) -> None:

    css(browser, "#tab-judges").click()
    text_appears(browser, "#panel", "没有利益冲突")
    Select(css(browser, "#conflict-judge")).select_by_value(judge_name)
    Select(css(browser, "#conflict-contestant")).select_by_value(contestant["contestant_id"])
    css(browser, "#conflict-relation").send_keys("teacher")
    css(browser, "#conflict-note").send_keys("曾为其师傅")
    button(browser, "申报").click()
    text_appears(browser, "#conflict-result", judge_name)
    text_appears(browser, "#panel", "利益冲突（1）")
    assert "曾为其师傅" in css(browser, "#panel table:nth-of-type(2) tbody tr").text
    assert_accessible(browser)
    shot(browser, "organiser-conflict-declared")
    conflicts = organiser.get(f"/competitions/{code}/conflicts").json()["items"]
    assert [(c["judge"], c["contestant_id"]) for c in conflicts] == [(judge_name, contestant["contestant_id"])]


def downloads_every_export(browser, code: str, tmp_path) -> None:

    css(browser, "#tab-downloads").click()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    expected = 2 + 1 + 2 * len(small_scheme()["sub_criteria"])  # results CSV and Excel, the scheme, two forms each
    wait(browser, lambda d: len(all_css(d, "button[data-download]")) == expected)
    for path, suffix, magic in ((f"/competitions/{code}/marking-scheme?format=xlsx", ".xlsx", b"PK"),
                                (f"/competitions/{code}/marking-forms/B1?format=pdf", ".pdf", b"%PDF-"),
                                (f"/competitions/{code}/marking-forms/A1?format=xlsx", ".xlsx", b"PK")):
        before = {p.name for p in tmp_path.iterdir()}
        css(browser, f"button[data-download='{path}']").click()
        assert downloaded(tmp_path, suffix, before).read_bytes()[:len(magic)] == magic
    css(browser, f"button[data-download='/competitions/{code}/results?format=csv']").click()
    refusal = css(browser, "#panel tbody tr:first-child .error-box")  # no marking yet: said next to the button
    assert refusal.get_attribute("data-code")
    assert_accessible(browser)
    shot(browser, "organiser-downloads")
