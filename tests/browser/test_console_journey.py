"""A competition from roster to honours in the browser alone: the organiser creates it, uploads the
roster, assigns the judges and the chief expert, uploads the scheme and opens marking; three judges
mark on their tablets; the chief expert locks and finalises; a committee member opens a round, finds
the winner among the people nobody nominated, nominates them and approves them inside the cut line.
Only the accounts are made through the API (the console has no user administration)."""
from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.pages import all_css, button, css, fill, go, shot, sign_in, sign_out, text_appears, wait
from tests.browser.test_console_committee import approve
from tests.browser.test_console_organiser import HEADERS
from tests.e2e.helpers import person
from tests.e2e.scoring_fixtures import small_scheme

MEASURED = {"A1.1": ["10", "8", "6"], "A1.2": ["20", "15", "10"], "A1.3": ["30", "20", "10"]}
JUDGED = [3, 2, 1]  # every judge's score of each row on both judgement aspects: no dispute


def roster_csv(folder, people: list[dict]) -> str:
    lines = [f"{p['name']},男,{p['date_of_birth']},{p['id_number']},{p['employer']},浦东新区,区,{p['skill_level']},职工" for p in people]
    path = folder / "roster.csv"
    path.write_text("\n".join([HEADERS, *lines]), encoding="utf-8-sig")
    return str(path)


def organiser_sets_up(driver, base: str, code: str, folder, people: list[dict], experts: list[tuple[str, str]]) -> None:
    today = date.today()
    fill(driver, css(driver, "#create-competition").find_elements(By.CSS_SELECTOR, "input:not([type=checkbox]), select"),
         [code, "上海市职业技能大赛 焊工", None, "10", "焊工 Welding", None, "1",
          today + timedelta(days=60), today + timedelta(days=61), today + timedelta(days=30), "20"])
    button(driver, "创建").click()
    text_appears(driver, "h1", code)
    button(driver, "开放报名").click()
    text_appears(driver, "#flash", "报名已开放")
    css(driver, "#tab-roster").click()
    css(driver, "#roster-file").send_keys(roster_csv(folder, people))
    button(driver, "上传").click()
    text_appears(driver, "#roster-file-result", f"已导入 {len(people)} 名选手")
    css(driver, "#tab-judges").click()
    for username, role in experts:
        form = css(driver, "#assign-judge")
        fill(driver, form.find_elements(By.CSS_SELECTOR, "input"), [username, f"专家{username[-4:]}", "评委单位"])
        Select(form.find_element(By.TAG_NAME, "select")).select_by_value(role)
        button(driver, "分配").click()
        text_appears(driver, "#panel table", username)
    css(driver, "#tab-overview").click()
    button(driver, "截止报名").click()
    text_appears(driver, "#flash", "报名已截止")
    css(driver, "#tab-scheme").click()
    scheme = folder / "scheme.json"
    scheme.write_text(json.dumps(small_scheme(), ensure_ascii=False), encoding="utf-8")
    css(driver, "#scheme-file").send_keys(str(scheme))
    button(driver, "上传").click()
    text_appears(driver, "#scheme-file-result", "评分方案已保存")
    css(driver, "#tab-overview").click()
    button(driver, "开始评分").click()
    text_appears(driver, "#flash", "评分已开始")


def judge_marks(driver, base: str, code: str, measures: bool) -> None:
    grid = "#marking-grid"
    if measures:
        go(driver, base, f"marking/{code}/A1")
        css(driver, grid)
        for aspect, column in MEASURED.items():
            for row, value in enumerate(column):
                all_css(driver, f"{grid} tbody tr")[row].find_element(By.CSS_SELECTOR, f"td[data-cell$='|{aspect}'] input").send_keys(value)
        button(driver, "提交评分").click()
        text_appears(driver, "#marks-saved", "记录 9 条")
    go(driver, base, f"marking/{code}/B1")
    css(driver, grid)
    for row, score in enumerate(JUDGED):
        for group in all_css(driver, f"{grid} tbody tr")[row].find_elements(By.CSS_SELECTOR, ".scores"):
            group.find_elements(By.TAG_NAME, "button")[score].click()
    button(driver, "提交评分").click()
    text_appears(driver, "#marks-saved", "记录 6 条")


def chief_finalises(driver, code: str) -> None:
    css(driver, f"a[href='#/chief/{code}']").click()
    text_appears(driver, "#disputes", "没有分歧")
    for sub in ("A1", "B1"):
        Select(css(driver, "#lock-sub")).select_by_value(sub)
        button(driver, "锁定").click()
        text_appears(driver, "main", f"子项 {sub} 已锁定")
    button(driver, "确认并发布成绩").click()
    text_appears(driver, "#flash", "成绩已发布")
    css(driver, "svg#distribution circle")


def committee_approves(driver, winner: str, name: str) -> None:
    form = css(driver, "main form")
    Select(form.find_element(By.TAG_NAME, "select")).select_by_value("chief_technician")
    fill(driver, form.find_elements(By.CSS_SELECTOR, "input"), [None, f"首席技师 {name}", "300", "100000000"])
    button(driver, "开始评选").click()
    nominate = css(driver, f"#suggestions form[data-person='{winner}']")
    nominate.find_element(By.CSS_SELECTOR, "input").send_keys("上海电气集团")
    nominate.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    text_appears(driver, f"#nominees tr[data-person='{winner}']", name)
    assert "线内" in css(driver, f"#nominees tr[data-person='{winner}']").text
    approve(driver, winner, "大赛第一名")


def test_a_competition_runs_from_roster_to_honours_in_the_browser(browser, console_url, account, tmp_path):
    organiser = account("organiser")
    judges = [account("judge") for _ in range(3)]
    chief = account("chief_expert")
    committee = account("committee")
    tag = uuid.uuid4().hex[:6]
    code = f"J{tag}"
    people = [person(f"状元{tag}", skill_level=2, employer=f"上海电气集团{tag}"),
              *(person(f"选手{tag}{i}", employer=f"单位{i}{tag}") for i in (1, 2))]

    sign_in(browser, console_url, organiser[0], organiser[1])
    organiser_sets_up(browser, console_url, code, tmp_path, people, [*((j[0], "judge") for j in judges), (chief[0], "chief_expert")])
    shot(browser, "journey-organiser")
    sign_out(browser)
    for index, (username, password, _) in enumerate(judges):
        sign_in(browser, console_url, username, password)
        judge_marks(browser, console_url, code, measures=index == 0)
        sign_out(browser)
    sign_in(browser, console_url, chief[0], chief[1])
    chief_finalises(browser, code)
    shot(browser, "journey-finalised")
    results = chief[2].get(f"/competitions/{code}/results").json()
    assert results["final"] and results["results"][0]["name"] == people[0]["name"]
    sign_out(browser)

    winner = next(p["person_key"] for p in organiser[2].get(f"/competitions/{code}/contestants").json()["items"]
                  if p["name"] == people[0]["name"])
    wait(browser, lambda _: committee[2].get(f"/people/{winner}/record").status_code == 200, 30)  # the results event arrived
    sign_in(browser, console_url, committee[0], committee[1])
    committee_approves(browser, winner, people[0]["name"])
    shot(browser, "journey-approved")
    rounds = committee[2].get("/nominee-rounds").json()["items"]
    round_id = next(r["round_id"] for r in rounds if r.get("name") == f"首席技师 {people[0]['name']}")
    listing = committee[2].get(f"/nominee-rounds/{round_id}/nominees").json()
    approved = next(i for i in listing["items"] + listing["not_ranked"] if i["person_key"] == winner)
    assert approved["status"] == "approved"
