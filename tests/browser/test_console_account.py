"""Everyone's own account in the browser: the navigation shows only the role's pages, the password is
changed (a mismatch caught on the page, a wrong current password refused as the API says), and
signing out ends the token on the server, not only in the page."""
from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.browser.pages import all_css, button, css, go, shot, sign_in, sign_out, text_appears

NAV = {"judge": ["#/marking", "#/account"], "committee": ["#/rounds", "#/people", "#/policy", "#/account"],
       "organiser": ["#/competitions", "#/account"], "chief_expert": ["#/chief", "#/marking", "#/account"]}


def token(driver) -> str:
    return driver.execute_script("return JSON.parse(sessionStorage.getItem('skills.session')).token")


@pytest.mark.parametrize("role", sorted(NAV))
def test_the_navigation_shows_only_what_the_role_may_do(browser, console_url, account, role):
    username, password, _ = account(role)
    sign_in(browser, console_url, username, password)
    assert ["#" + a.get_attribute("href").split("#", 1)[1] for a in all_css(browser, "#nav a")] == NAV[role]


def test_password_change_and_sign_out(browser, console_url, account, platform):
    paths = requests.get(platform + "/openapi.json", timeout=10).json()["paths"]
    if "/api/v1/users/me/password" not in paths or "/api/v1/auth/tokens/current" not in paths:
        pytest.skip("the API has no password change or sign-out yet")
    username, password, _ = account("judge")
    sign_in(browser, console_url, username, password)
    go(browser, console_url, "account")
    fields = [css(browser, "form.card input[autocomplete=current-password]"),
              *browser.find_elements(By.CSS_SELECTOR, "form.card input[autocomplete=new-password]")]
    new_password = "Neu-Passwort-2026!"
    for field, value in zip(fields, [password, new_password, new_password + "x"], strict=True):
        field.send_keys(value)
    button(browser, "修改密码").click()
    text_appears(browser, "form.card .error-box", "两次输入的新密码不一致")
    fields[0].clear()
    fields[0].send_keys("not-the-password")
    fields[2].clear()
    fields[2].send_keys(new_password)
    button(browser, "修改密码").click()
    box = css(browser, "form.card .error-box[data-code]")  # the API's envelope, with where: /current_password
    assert "HTTP 4" in box.text and "/current_password" in box.text
    fields[0].clear()
    fields[0].send_keys(password)
    for field in fields[1:]:
        field.clear()
        field.send_keys(new_password)
    button(browser, "修改密码").click()
    text_appears(browser, "form.card .notice", "密码已修改")
    shot(browser, "account-password-changed")

    old_token = token(browser)
    assert requests.get(platform + "/users/me", headers={"Authorization": f"Bearer {old_token}"}, timeout=10).status_code == 200
    sign_out(browser)
    assert requests.get(platform + "/users/me", headers={"Authorization": f"Bearer {old_token}"}, timeout=10).status_code == 401
    sign_in(browser, console_url, username, new_password)
