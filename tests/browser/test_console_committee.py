"""A committee member opens a nominee round's ranked list, sees the evidence lines, the reasons a
nominee is not eligible and the cut line, walks a nominee inside the line from shortlist to approval
(each step with its reason) and downloads the list."""
from __future__ import annotations

from datetime import date, timedelta

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.pages import button, css, shot, sign_in, text_appears, wait
from tests.e2e.awards_fixtures import key, profile


def decide(driver, person: str, action: str, why: str = "", notice: tuple[str, int] | None = None) -> None:
    form = css(driver, f"tr[data-person='{person}'] form.decision")
    Select(form.find_element(By.TAG_NAME, "select")).select_by_value(action)
    if why:
        form.find_element(By.CSS_SELECTOR, "input:not([type])").send_keys(why)
    if notice:
        start, days = form.find_elements(By.CSS_SELECTOR, "input[type=date], input[type=number]")
        driver.execute_script("arguments[0].value = arguments[1]", start, notice[0])
        days.send_keys(str(notice[1]))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def approve(driver, person: str, why: str) -> None:
    """Shortlist (with ``why``), review, a public notice that ended, approval: each step seen in the row."""
    steps = (("shortlist", why, None, "已初选"), ("review", "评审通过", None, "已评审"),
             ("publicise", "", ((date.today() - timedelta(days=10)).isoformat(), 7), "公示中"), ("approve", "公示无异议", None, "批准"))
    for action, reason, notice, status in steps:
        decide(driver, person, action, reason, notice)
        text_appears(driver, f"tr[data-person='{person}'] td.status", status)  # approved: ranked or, holding the title now, not


def test_committee_member_approves_a_nominee_inside_the_cut_line(browser, console_url, account, organiser_api, tmp_path):
    username, password, committee = account("committee")
    people = [key() for _ in range(3)]
    for index, person in enumerate(people):
        assert organiser_api.post("/people", json=profile(person, name=f"候选人{index}", apprentices=index * 5)).status_code in (200, 201)
    outsider = key()
    organiser_api.post("/people", json=profile(outsider, name="非会员", union_member=False))
    opened = committee.post("/nominee-rounds", json={"programme": "shanghai_craftsman", "year": 2025, "quota": 2,
                                                     "name": "上海工匠 浏览器测试"})
    assert opened.status_code == 201, opened.text
    round_id = opened.json()["round_id"]
    for person in [*people, outsider]:
        reply = organiser_api.post(f"/nominee-rounds/{round_id}/nominations",
                                   json={"person_key": person, "channel": "employer", "nominator": "上海电气集团"})
        assert reply.status_code == 201, reply.text

    sign_in(browser, console_url, username, password)
    css(browser, "a[href='#/people']").click()
    css(browser, "#people-query").send_keys("非会员")
    button(browser, "查找").click()
    text_appears(browser, "#people-found", "非会员")
    css(browser, "a[href='#/rounds']").click()
    css(browser, f"a[href='#/rounds/{round_id}']").click()
    text_appears(browser, "#cut-line", "quota")
    rows = browser.find_elements(By.CSS_SELECTOR, "#nominees tbody tr[data-person]")
    assert [r.get_attribute("data-person") for r in rows] == [people[2], people[1], people[0]]
    assert "线内" in rows[0].text and "线外" in rows[2].text
    assert browser.find_elements(By.CSS_SELECTOR, "#nominees tr.cut")
    text_appears(browser, "main", "NOT_UNION_MEMBER")
    rows[0].find_element(By.TAG_NAME, "summary").click()
    assert "全国技术能手" in rows[0].find_element(By.CSS_SELECTOR, "details table").text
    shot(browser, "committee-round")

    chosen = people[2]
    decide(browser, chosen, "reject")  # a rejection needs a reason: the API refuses and says where
    text_appears(browser, f"tr[data-person='{chosen}'] .error-box", "VALIDATION_FAILED")
    approve(browser, chosen, "业绩突出")
    shot(browser, "committee-approved")
    listing = committee.get(f"/nominee-rounds/{round_id}/nominees").json()
    nominee = next(i for i in listing["items"] + listing["not_ranked"] if i["person_key"] == chosen)
    assert nominee["status"] == "approved"
    assert [h["why"] for h in nominee["history"]][-4:][0] == "业绩突出"

    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.find_element(By.XPATH, "//button[normalize-space(.)='下载 CSV']").click()
    csv_file = wait(browser, lambda _: next((p for p in tmp_path.glob("*.csv")), None))
    text = csv_file.read_text(encoding="utf-8-sig")
    assert text.startswith("排名") and "批准" in text
