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


UNLABELLED = """
const named = (el) => (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
  || (el.tagName === 'BUTTON' && el.textContent.trim());
return [...document.querySelectorAll('main input, main select, main textarea, main button')]
  .filter((el) => el.getClientRects().length && el.type !== 'hidden' && !named(el))
  .map((el) => el.outerHTML.slice(0, 160));
"""

LOW_CONTRAST = """
const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
  .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
const background = (el) => {  // the translucent layers up to the first opaque one, blended
  const layers = [];
  for (; el; el = el.parentElement) {
    const c = rgb(getComputedStyle(el).backgroundColor);
    if (c.length < 4 || c[3] >= 1) { layers.push(c.slice(0, 3)); break; }
    if (c[3] > 0) layers.push(c);
  }
  if (layers.length === 0 || layers.at(-1).length === 4) layers.push([255, 255, 255]);
  return layers.reverse().reduce((below, c) => (c.length < 4 ? c : below.map((v, i) => v * (1 - c[3]) + c[i] * c[3])));
};
const found = [];
for (const el of document.querySelectorAll('body *')) {
  if (!el.getClientRects().length || el.closest('[disabled], svg')) continue;
  if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
  const style = getComputedStyle(el);
  const [a, b] = [lum(rgb(style.color)), lum(background(el))];
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700);
  if (ratio < (large ? 3 : 4.5)) found.push(`${ratio.toFixed(2)}: ${el.outerHTML.slice(0, 120)}`);
}
return found;
"""


def assert_accessible(driver) -> None:
    """Every visible control on the page has a name (label, aria-label or its text), all text has
    WCAG AA contrast with the background it sits on (4.5:1, large text 3:1; disabled controls aside),
    and the page fits the window's width (a 1024 px tablet) without scrolling sideways."""
    unnamed = driver.execute_script(UNLABELLED)
    assert unnamed == [], unnamed
    faint = driver.execute_script(LOW_CONTRAST)
    assert faint == [], faint
    width = driver.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways at this window size: {width}"
