"""An organiser in the browser: sign-in errors, a competition created and opened, a roster with a bad
row refused with that row named (nothing written), the corrected roster imported, sign-out."""
from __future__ import annotations

from datetime import date, timedelta

from tests.browser.pages import all_css, button, css, fill, go, shot, sign_in, sign_out, text_appears
from tests.e2e.helpers import person

HEADERS = "姓名,性别,出生日期,身份证号,工作单位,代表队,代表队类型,技能等级,身份"


def roster_line(p: dict) -> str:
    return f"{p['name']},男,{p['date_of_birth']},{p['id_number']},{p['employer']},浦东新区,区,3,职工"


def test_wrong_password_shows_the_envelope(browser, console_url, account):
    username, _, _ = account("organiser")
    browser.get(console_url + "/")
    css(browser, "input[name=username]").send_keys(username)
    css(browser, "input[name=password]").send_keys("not-the-password")
    css(browser, "#sign-in").click()
    box = css(browser, ".error-box")
    assert "UNAUTHENTICATED" in box.get_attribute("data-code") or "401" in box.text
    shot(browser, "sign-in-refused")


def test_organiser_uploads_a_roster_with_a_bad_row_and_sees_it_named(browser, console_url, account, tmp_path):
    username, password, api = account("organiser")
    sign_in(browser, console_url, username, password)
    today = date.today()
    code = f"BR{today:%m%d}{username[-6:]}"
    form = css(browser, "#create-competition")
    fields = form.find_elements("css selector", "input:not([type=checkbox]), select")
    values = [code, "上海市职业技能大赛 电工", None, "11", "电工 Electrical", None, "1",
              today + timedelta(days=60), today + timedelta(days=61), today + timedelta(days=30), "40"]
    fill(browser, fields, values)
    shot(browser, "organiser-competitions")
    button(browser, "创建").click()
    text_appears(browser, "h1", code)
    button(browser, "开放报名").click()
    text_appears(browser, "#flash", "报名已开放")
    assert api.get(f"/competitions/{code}").json()["status"] == "open"

    css(browser, "#tab-roster").click()
    good = [person(f"好人{i}") for i in range(2)]
    bad = person("坏号")
    bad["id_number"] = bad["id_number"][:-1] + ("0" if bad["id_number"][-1] != "0" else "1")
    bad_file = tmp_path / "roster-bad.csv"
    bad_file.write_text("\n".join([HEADERS, roster_line(good[0]), roster_line(bad), roster_line(good[1])]), encoding="utf-8-sig")
    css(browser, "#roster-file").send_keys(str(bad_file))
    button(browser, "上传").click()
    box = css(browser, "#roster-file-result .error-box")
    rows = [[cell.text for cell in row.find_elements("css selector", "td")] for row in box.find_elements("css selector", "tbody tr")]
    assert any(r[0] == "3" and r[1] == "id_number" and r[2] for r in rows), rows
    shot(browser, "organiser-roster-refused")
    assert api.get(f"/competitions/{code}/contestants").json()["items"] == []

    good_file = tmp_path / "roster-good.csv"
    good_file.write_text("\n".join([HEADERS, *map(roster_line, good)]), encoding="utf-8-sig")
    css(browser, "#roster-file").clear()
    css(browser, "#roster-file").send_keys(str(good_file))
    button(browser, "上传").click()
    text_appears(browser, "#roster-file-result", "已导入 2 名选手")
    text_appears(browser, "#panel", "好人1")
    assert len(all_css(browser, "#panel table tbody tr")) == 2
    shot(browser, "organiser-roster")
    assert len(api.get(f"/competitions/{code}/contestants").json()["items"]) == 2

    css(browser, "#lang").click()
    text_appears(browser, "#tab-roster", "Roster")
    css(browser, "#lang").click()
    sign_out(browser)
    go(browser, console_url, f"competitions/{code}")
    css(browser, "input[name=username]")
