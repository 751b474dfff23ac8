"""What the browser tests do on the console's pages: sign in, wait, find, screenshot."""
from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import OUTPUT


def wait(driver, condition, seconds: float = 15):
    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(condition)


def css(driver, selector: str, seconds: float = 15):
    return wait(driver, seen.visibility_of_element_located((By.CSS_SELECTOR, selector)), seconds)


def all_css(driver, selector: str):
    return driver.find_elements(By.CSS_SELECTOR, selector)


def text_appears(driver, selector: str, text: str, seconds: float = 15):
    return wait(driver, seen.text_to_be_present_in_element((By.CSS_SELECTOR, selector), text), seconds)


def button(driver, label: str, seconds: float = 15):
    """The visible, enabled button whose text is ``label``."""
    xpath = f"//button[normalize-space(.)='{label}']"
    return wait(driver, seen.element_to_be_clickable((By.XPATH, xpath)), seconds)


def sign_in(driver, base: str, username: str, password: str) -> None:
    driver.get(base + "/")
    css(driver, "input[name=username]").send_keys(username)
    css(driver, "input[name=password]").send_keys(password)
    css(driver, "#sign-in").click()
    css(driver, "#sign-out")


def sign_out(driver) -> None:
    css(driver, "#sign-out").click()
    css(driver, "input[name=username]")


def go(driver, base: str, route: str) -> None:
    driver.get(f"{base}/#/{route}")


def shot(driver, name: str) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def fill(driver, fields, values) -> None:
    """Type ``values`` into ``fields`` in order: None skips a field, a date is set (date inputs take no typing)."""
    from datetime import date

    for element, value in zip(fields, values, strict=False):  # a form may have more fields than values
        if value is None:
            continue
        if isinstance(value, date):
            driver.execute_script("arguments[0].value = arguments[1]", element, value.isoformat())
        else:
            element.clear()
            element.send_keys(value)
