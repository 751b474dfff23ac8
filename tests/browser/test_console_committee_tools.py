"""A committee member's other tools in the browser: profiles imported from a sheet (a bad file refused
with every bad row named and nothing written, then the corrected one), a person found by name, the
honours policy read and a broken edit refused by path, a new version stored, a strong person nobody
nominated suggested and nominated from the round, and the round pinned to the new policy version."""
from __future__ import annotations

import json
import uuid

from selenium.webdriver.support.ui import Select

from tests.browser.pages import all_css, assert_accessible, button, css, go, shot, sign_in, text_appears, wait
from tests.e2e.awards_fixtures import key

HEADERS = "人员标识,姓名,工作单位,行业,区,工会会员,一线职工,技能等级,工龄,已获称号,创新成果,专利数,带徒人数,首席技师资助年份"


def profile_line(person: str, name: str, level: str = "技师", years: str = "15") -> str:
    return (f"{person},{name},上海电气,装备制造,浦东新区,是,是,{level},{years},"
            "中华技能大奖 2020；全国技术能手 2015,职工创新成果奖 2021 市级,9,20,")


def set_text(driver, element, text: str) -> None:
    driver.execute_script("arguments[0].value = arguments[1]", element, text)


def test_committee_imports_profiles_edits_the_policy_and_nominates_a_suggestion(browser, console_url, account, tmp_path):
    username, password, committee = account("committee")
    name = f"导入{uuid.uuid4().hex[:6]}"
    strong, other = key(), key()

    sign_in(browser, console_url, username, password)
    imports_profiles_and_finds_them(browser, committee, tmp_path, name, (strong, other))
    version = edits_the_policy(browser, committee)
    nominates_a_suggestion_and_pins_the_policy(browser, console_url, committee, name, strong, version)


def imports_profiles_and_finds_them(browser, committee, tmp_path, name: str, keys: tuple[str, str]) -> None:
    strong, other = keys
    css(browser, "a[href='#/people']").click()
    bad = tmp_path / "people-bad.csv"
    bad.write_text("\n".join([HEADERS, profile_line(strong, name), profile_line("not-a-key", "坏行", level="九级", years="x")]),
                   encoding="utf-8-sig")
    css(browser, "#profile-file").send_keys(str(bad))
    button(browser, "上传").click()
    box = css(browser, "#profile-file-result .error-box")
    rows = [[td.text for td in tr.find_elements("css selector", "td")] for tr in box.find_elements("css selector", "tbody tr")]
    assert {(r[0], r[1]) for r in rows} >= {("3", "人员标识"), ("3", "技能等级"), ("3", "工龄")}, rows
    assert all(r[0] == "3" for r in rows), rows
    browser.execute_script("arguments[0].scrollIntoView()", box)
    assert_accessible(browser)
    shot(browser, "committee-import-refused")
    assert committee.get(f"/people/{strong}/record").status_code == 404  # nothing written

    good = tmp_path / "people.csv"
    good.write_text("\n".join([HEADERS, profile_line(strong, name), profile_line(other, f"{name}乙", level="高级工")]), encoding="utf-8-sig")
    css(browser, "#profile-file").clear()
    css(browser, "#profile-file").send_keys(str(good))
    button(browser, "上传").click()
    text_appears(browser, "#profile-file-result", "已导入 2 人的资料")

    Select(css(browser, "#people-by")).select_by_value("name")
    css(browser, "#people-query").send_keys(name)
    button(browser, "查找").click()
    text_appears(browser, "#people-found", "找到 2 人")
    assert {c.get_attribute("data-person") for c in all_css(browser, "#people-found code")} == {strong, other}
    assert_accessible(browser)
    shot(browser, "committee-people")


def edits_the_policy(browser, committee) -> int:
    """A broken policy refused by path and a JSON typo caught, then a new version stored; returns the old one."""

    css(browser, "a[href='#/policy']").click()
    header = css(browser, "#policy-header")
    version = int(css(browser, "#policy-version").get_attribute("value"))
    assert "现行" in header.text
    text_appears(browser, "#policy-summary", "chief_technician")
    editor = css(browser, "#policy-document")
    document = json.loads(editor.get_attribute("value"))
    broken = {**document, "workflow": {"notice_days_min": 0}}
    set_text(browser, editor, json.dumps(broken, ensure_ascii=False))
    button(browser, "保存为新版本").click()
    refusal = css(browser, "#policy-result .error-box")
    assert "/workflow/notice_days_min" in refusal.text
    assert committee.get("/honours-policy").json()["version"] == version  # nothing stored
    set_text(browser, editor, "{ not json")
    button(browser, "保存为新版本").click()
    text_appears(browser, "#policy-result", "不是有效的 JSON")
    set_text(browser, editor, json.dumps({**document, "description": f"{document.get('description', '')} 浏览器测试"}, ensure_ascii=False))
    button(browser, "保存为新版本").click()
    text_appears(browser, "#policy-header", f"第 {version + 1} 版")
    assert_accessible(browser)
    shot(browser, "committee-policy")
    return version


def nominates_a_suggestion_and_pins_the_policy(browser, console_url, committee, name: str, strong: str, version: int) -> None:

    opened = committee.post("/nominee-rounds", json={"programme": "master_studio", "year": 2025, "quota": 50, "name": f"大师工作室 {name}"})
    assert opened.status_code == 201, opened.text
    round_id = opened.json()["round_id"]
    go(browser, console_url, f"rounds/{round_id}")
    form = css(browser, f"#suggestions form[data-person='{strong}']")
    form.find_element("css selector", "input").send_keys("上海电气")
    form.find_element("css selector", "button[type=submit]").click()
    text_appears(browser, f"#nominees tr[data-person='{strong}']", name)
    assert not all_css(browser, f"#suggestions form[data-person='{strong}']")
    nominated = committee.get(f"/nominee-rounds/{round_id}/nominees").json()["items"]
    assert strong in {item["person_key"] for item in nominated}

    pinned = css(browser, "#round-policy-version")
    pinned.clear()
    pinned.send_keys(str(version))
    css(browser, "#round-policy-why").send_keys("沿用上一版")
    button(browser, "改用此版本并重新排名").click()
    text_appears(browser, "#round-policy h2", f"第 {version} 版")
    assert_accessible(browser)
    shot(browser, "committee-suggestions")
    wait(browser, lambda _: committee.get(f"/nominee-rounds/{round_id}").json()["policy_version"] == version)
