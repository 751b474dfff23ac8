"""An organiser sets a competition up in the browser: experts assigned with the conflict they bring,
registration closed, a broken marking scheme refused with each problem's place, a scheme with a WSOS
variation accepted with its warning, marking opened, then provisional results with the chart and
an Excel download."""
from __future__ import annotations

import json

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.pages import button, css, fill, go, shot, sign_in, text_appears, wait
from tests.e2e.helpers import open_competition, register
from tests.e2e.scoring_fixtures import small_scheme


def test_organiser_assigns_experts_uploads_a_scheme_and_reads_results(browser, console_url, account, tmp_path):
    username, password, organiser = account("organiser")
    judge_name, _, _ = account("judge")
    code = open_competition(organiser)["code"]
    people = [register(organiser, code, name=f"选手{i}", employer=f"单位{i}") for i in range(3)]

    sign_in(browser, console_url, username, password)
    go(browser, console_url, f"competitions/{code}/judges")
    form = css(browser, "#panel form")
    fill(browser, form.find_elements(By.CSS_SELECTOR, "input"), [judge_name, "王评委", "单位1"])
    Select(form.find_element(By.TAG_NAME, "select")).select_by_value("judge")
    button(browser, "分配").click()
    text_appears(browser, "#panel", "利益冲突（1）")
    conflict = css(browser, "#panel table:last-of-type tbody tr").text
    assert judge_name in conflict and people[1]["contestant_id"] in conflict and "同一工作单位" in conflict
    shot(browser, "organiser-judges")

    css(browser, "#tab-overview").click()
    button(browser, "截止报名").click()
    text_appears(browser, "#flash", "报名已截止")

    css(browser, "#tab-scheme").click()
    broken = small_scheme()
    broken["sub_criteria"][0]["aspects"][0]["max_mark"] = "-1"
    broken_file = tmp_path / "broken.json"
    broken_file.write_text(json.dumps(broken), encoding="utf-8")
    css(browser, "#scheme-file").send_keys(str(broken_file))
    button(browser, "上传").click()
    box = css(browser, "#scheme-file-result .error-box")
    assert "/sub_criteria/0/aspects/0/max_mark" in box.text
    shot(browser, "organiser-scheme-refused")
    scheme_file = tmp_path / "scheme.json"
    scheme_file.write_text(json.dumps(small_scheme(), ensure_ascii=False), encoding="utf-8")
    css(browser, "#scheme-file").clear()
    css(browser, "#scheme-file").send_keys(str(scheme_file))
    button(browser, "上传").click()
    text_appears(browser, "#scheme-file-result", "评分方案已保存")
    assert "2 个 WSOS 模块" in css(browser, "#wsos-warnings").text  # section 1 has 10 marks too few, section 2 10 too many
    shot(browser, "organiser-scheme")
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    button(browser, "B1 评分表（PDF）").click()
    form = wait(browser, lambda _: next(iter(tmp_path.glob("*.pdf")), None))
    assert form.read_bytes()[:5] == b"%PDF-"

    css(browser, "#tab-overview").click()
    button(browser, "开始评分").click()
    text_appears(browser, "#flash", "评分已开始")
    assert organiser.get(f"/competitions/{code}/progress").json()["status"] == "marking"

    css(browser, "#tab-results").click()
    text_appears(browser, "#panel h2", "暂定成绩")
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg#distribution circle")) == 3
    shot(browser, "organiser-results")
    button(browser, "下载 Excel").click()
    workbook = wait(browser, lambda _: next(iter(tmp_path.glob("*.xlsx")), None))
    assert workbook.read_bytes()[:2] == b"PK"
