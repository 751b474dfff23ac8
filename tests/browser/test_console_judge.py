"""A judge on a tablet-sized window marks a whole sub-criterion; the answer to the submit is lost on
the way back (the gateway recorded it), the judge retries and nothing is recorded twice."""
from __future__ import annotations

from decimal import Decimal

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.pages import all_css, button, css, go, shot, sign_in, text_appears
from tests.e2e.scoring_fixtures import marked_competition, rid, small_scheme

GRID = "#marking-grid"


def assign(organiser, code: str, username: str, role: str = "judge") -> None:
    reply = organiser.post(f"/competitions/{code}/judges",
                           json={"username": username, "name": username, "employer": "评委单位", "role": role})
    assert reply.status_code == 201, reply.text


def cell_input(driver, row: int, aspect: str):
    return driver.find_elements(By.CSS_SELECTOR, f"{GRID} tbody tr")[row].find_element(
        By.CSS_SELECTOR, f"td[data-cell$='|{aspect}'] input")


def refuses_marks_off_max_and_step(browser) -> None:
    """A mark over the maximum or off the step is named in its cell before anything is sent."""
    length = cell_input(browser, 0, "A1.1")
    length.send_keys("0.3")
    problem = browser.find_element(By.ID, length.get_attribute("aria-describedby"))
    assert "0.50" in problem.text and length.get_attribute("aria-invalid") == "true"
    length.clear()
    length.send_keys("11")
    assert "10.00" in problem.text
    width = cell_input(browser, 0, "A1.2")
    width.send_keys("3.251")  # two decimals at most when the aspect names no step
    assert "0.01" in browser.find_element(By.ID, width.get_attribute("aria-describedby")).text
    width.clear()
    length.clear()


def test_judge_marks_a_sub_criterion_survives_a_reload_and_a_dropped_answer(
        browser, console_url, proxy, account, organiser_api, make_user):
    username, password, judge = account("judge")
    competition = marked_competition(organiser_api, make_user, contestants=3, judges=2)
    code = competition["code"]
    assign(organiser_api, code, username)

    sign_in(browser, console_url, username, password)
    assert browser.get_window_size()["width"] == 1024
    css(browser, f"a[href='#/marking/{code}']").click()
    css(browser, f"a[href='#/marking/{code}/A1']").click()
    css(browser, GRID)
    rows = all_css(browser, f"{GRID} tbody tr")
    assert len(rows) == 3

    refuses_marks_off_max_and_step(browser)
    values = {"A1.1": ["7.5", "10", "0"], "A1.2": ["15", "20", "3.25"], "A1.3": ["30", "12.5", "0.01"]}
    for aspect, column in values.items():
        for row, value in enumerate(column):
            cell = cell_input(browser, row, aspect)
            cell.clear()
            cell.send_keys(value)
    assert not all_css(browser, f"{GRID} input[aria-invalid=true]")

    browser.refresh()  # unsaved marks live in this device's storage
    css(browser, GRID)
    for aspect, column in values.items():
        assert [cell_input(browser, row, aspect).get_attribute("value") for row in range(3)] == column
    assert len(all_css(browser, f"{GRID} td.unsaved")) == 9
    shot(browser, "judge-form-unsaved")

    proxy.drop_answer_to("POST", f"/competitions/{code}/marks")
    button(browser, "提交评分").click()
    css(browser, "#pending-banner")
    assert proxy.dropped, "the proxy should have swallowed the answer"
    recorded = organiser_api.get(f"/competitions/{code}/marks?sub_criterion=A1").json()["items"]
    assert len(recorded) == 9  # the gateway did record the batch: only its answer was lost
    assert cell_input(browser, 0, "A1.1").get_attribute("disabled")  # no edits until the batch is settled
    shot(browser, "judge-form-answer-lost")

    browser.refresh()  # even a reload keeps the unconfirmed batch and its request_id
    button(browser, "重新提交（同一请求）").click()
    text_appears(browser, "#marks-saved", "记录 9 条")
    assert not all_css(browser, f"{GRID} td.unsaved")

    marks = organiser_api.get(f"/competitions/{code}/marks?sub_criterion=A1").json()["items"]
    assert sorted((m["entry"], m["aspect"], m["value"]) for m in marks) == sorted(
        (competition["contestants"][row], aspect, f"{float(value):.2f}")
        for aspect, column in values.items() for row, value in enumerate(column))
    audit = organiser_api.get(f"/competitions/{code}/audit?sub_criterion=A1&kind=marks&limit=100").json()["items"]
    assert len(audit) == 9 and len({a["request_id"] for a in audit}) == 1

    scores_a_judgement_sub_criterion(browser, judge, code)


def scores_a_judgement_sub_criterion(browser, judge, code: str) -> None:
    """0–3 buttons with the descriptors at hand, a whole judgement sub-criterion submitted."""
    css(browser, f"a[href='#/marking/{code}/B1']").click()
    css(browser, f"{GRID} details.descriptors summary").click()
    assert "Excellent" in css(browser, f"{GRID} details.descriptors dl").text
    css(browser, f"{GRID} details.descriptors summary").click()
    for row in range(3):
        for aspect_index in range(2):
            group = all_css(browser, f"{GRID} tbody tr")[row].find_elements(By.CSS_SELECTOR, ".scores")[aspect_index]
            group.find_elements(By.TAG_NAME, "button")[(row + aspect_index) % 4].click()
    pressed = all_css(browser, f"{GRID} button[aria-pressed=true]")
    assert len(pressed) == 6 and "Excellent" in all_css(browser, f"{GRID} button[aria-pressed=true]")[5].get_attribute("title")
    browser.execute_script("window.scrollTo(0, 0)")
    shot(browser, "judge-form")
    button(browser, "提交评分").click()
    text_appears(browser, "#marks-saved", "记录 6 条")
    mine = judge.get(f"/competitions/{code}/marks?sub_criterion=B1").json()["items"]
    assert sorted(m["score"] for m in mine) == sorted((r + a) % 4 for r in range(3) for a in range(2))


def test_a_locked_sub_criterion_is_read_only_and_a_conflicted_contestant_is_not_shown(
        browser, console_url, account, organiser_api, make_user):
    username, password, judge = account("judge")
    competition = marked_competition(organiser_api, make_user, contestants=2, judges=1)
    code = competition["code"]
    first = competition["people"][0]
    reply = organiser_api.post(f"/competitions/{code}/judges", json={
        "username": username, "name": username, "employer": first["employer"], "role": "judge"})
    assert reply.status_code == 201, reply.text
    marker = competition["judges"][0]
    assert marker.post(f"/competitions/{code}/marks", json={"request_id": rid(), "marks": [
        {"contestant_id": c, "aspect": a, "value": "1"} for c in competition["contestants"] for a in ("A1.1", "A1.2", "A1.3")]}).status_code == 200
    assert competition["chief"].post(f"/competitions/{code}/sub-criteria/A1/lock").status_code == 200

    sign_in(browser, console_url, username, password)
    go(browser, console_url, f"marking/{code}/A1")
    css(browser, "#locked-banner")
    names = [row.find_element(By.TAG_NAME, "th").text for row in all_css(browser, f"{GRID} tbody tr")]
    assert first["name"] not in names and len(names) == 1
    assert all(i.get_attribute("disabled") for i in all_css(browser, f"{GRID} input"))
    assert not all_css(browser, "#submit-marks")
    shot(browser, "judge-locked")


def typed_scheme() -> dict:
    """A1 of three CIS measurement types (the judge enters what was observed), B1 judgement."""
    from services.scoring.domain.measurement import Choice, Measurement, measurement_to_json

    scheme = small_scheme()
    typed = [Measurement(kind="PASS_FAIL"), Measurement(kind="NUMBER_COMPLETED", possible=4),
             Measurement(kind="CHOICE", choices=(Choice("无缺陷", Decimal(0)), Choice("轻微缺陷", Decimal(5))))]
    for aspect, measurement in zip(scheme["sub_criteria"][0]["aspects"], typed, strict=True):
        aspect.pop("step", None)
        aspect["measurement"] = measurement_to_json(measurement)
    return scheme


def test_judge_enters_observations_and_the_api_computes_the_marks(browser, console_url, account, organiser_api, make_user):
    username, password, judge = account("judge")
    competition = marked_competition(organiser_api, make_user, contestants=1, judges=1, scheme=typed_scheme())
    code = competition["code"]
    assign(organiser_api, code, username)
    sign_in(browser, console_url, username, password)
    go(browser, console_url, f"marking/{code}/A1")
    row = css(browser, f"{GRID} tbody tr")
    Select(row.find_element(By.CSS_SELECTOR, "td[data-cell$='|A1.1'] select")).select_by_value("pass")
    row.find_element(By.CSS_SELECTOR, "td[data-cell$='|A1.2'] input").send_keys("3")
    Select(row.find_element(By.CSS_SELECTOR, "td[data-cell$='|A1.3'] select")).select_by_visible_text("2 轻微缺陷")
    button(browser, "提交评分").click()
    text_appears(browser, "#marks-saved", "记录 3 条")
    text_appears(browser, f"{GRID} td[data-cell$='|A1.2']", "得分 15.00")
    shot(browser, "judge-observed")
    marks = {m["aspect"]: (m["value"], m.get("observed")) for m in judge.get(f"/competitions/{code}/marks?sub_criterion=A1").json()["items"]}
    assert marks == {"A1.1": ("10.00", "pass"), "A1.2": ("15.00", 3), "A1.3": ("25.00", "轻微缺陷")}


def test_a_team_competitions_grid_has_one_row_per_team(browser, console_url, account, organiser_api, make_user):
    username, password, judge = account("judge")
    competition = marked_competition(organiser_api, make_user, contestants=4, judges=1, team_size=2)
    code = competition["code"]
    assign(organiser_api, code, username)
    sign_in(browser, console_url, username, password)
    go(browser, console_url, f"marking/{code}/B1")
    css(browser, GRID)
    assert [row.find_element(By.TAG_NAME, "th").text for row in all_css(browser, f"{GRID} tbody tr")] == ["团队 T0", "团队 T1"]
    for row, score in enumerate((3, 1)):
        for group in all_css(browser, f"{GRID} tbody tr")[row].find_elements(By.CSS_SELECTOR, ".scores"):
            group.find_elements(By.TAG_NAME, "button")[score].click()
    button(browser, "提交评分").click()
    text_appears(browser, "#marks-saved", "记录 4 条")
    shot(browser, "judge-team-grid")
    mine = judge.get(f"/competitions/{code}/marks?sub_criterion=B1").json()["items"]
    assert sorted((m["entry"], m["score"]) for m in mine) == [("T0", 3), ("T0", 3), ("T1", 1), ("T1", 1)]
