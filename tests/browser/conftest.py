"""Browser tests of the console: Debian's chromium driven by Selenium against the running services.

The browser reaches the gateway through a small proxy of the test's own, so a test can drop the
answer to one request after the gateway has handled it: the connection breaks exactly where a
tablet's Wi-Fi would, mid-submit. Screenshots of every page go to ``test-output/console/``.
"""
from __future__ import annotations

import http.server
import os
import shutil
import threading
import uuid
from pathlib import Path

import pytest
import requests

from tests.conftest import Api

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "console"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--lang=zh-CN")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length", "host"}

if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
    pytest.skip("chromium and chromium-driver are not installed (scripts/ensure-chromium.sh installs them)",
                allow_module_level=True)


class DroppingProxy(http.server.ThreadingHTTPServer):
    """Forwards every request to the gateway; ``drop_answer_to`` makes it swallow one matching answer."""

    daemon_threads = True

    def __init__(self, target: str):
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.target = target
        self.drops: list[tuple[str, str]] = []
        self.dropped: list[str] = []
        self.lock = threading.Lock()

    def drop_answer_to(self, method: str, path_suffix: str) -> None:
        with self.lock:
            self.drops.append((method, path_suffix))

    def should_drop(self, method: str, path: str) -> bool:
        with self.lock:
            for rule in self.drops:
                if rule[0] == method and path.split("?")[0].endswith(rule[1]):
                    self.drops.remove(rule)
                    self.dropped.append(path)
                    return True
        return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        answer = requests.request(self.command, self.server.target + self.path, headers=headers, data=body,
                                  allow_redirects=False, timeout=30)
        if self.server.should_drop(self.command, self.path):
            self.close_connection = True  # the gateway has answered; the browser never hears it
            return
        self.send_response(answer.status_code)
        for key, value in answer.headers.items():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def proxy(platform):
    server = DroppingProxy(platform.removesuffix("/api/v1"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture(scope="session")
def console_url(proxy) -> str:
    return proxy.url


@pytest.fixture
def browser(tmp_path, request):
    """A fresh headless Chromium in a 1024×768 window (a tablet), its own profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    options.add_argument("--window-size=1024,768")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(1024, 768)
    driver.implicitly_wait(0)
    yield driver
    OUTPUT.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(OUTPUT / f"{request.node.name}-last.png"))
    problems = page_errors(driver)
    driver.quit()
    assert not problems, f"the page logged errors (script, CSP): {problems}"


def page_errors(driver) -> list[str]:
    """Severe console messages other than the failed requests a test causes on purpose (4xx, a dropped answer)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
            and "Failed to load resource" not in entry["message"] and "net::ERR_" not in entry["message"]]


@pytest.fixture(scope="session")
def account(admin_api):
    """Create an account with a role; returns (username, password, Api signed in as it)."""

    def make(role: str) -> tuple[str, str, Api]:
        username = f"{role.replace('_', '-')}-{uuid.uuid4().hex[:6]}"
        password = "pw-" + uuid.uuid4().hex
        reply = admin_api.post("/users", json={"username": username, "password": password, "role": role, "name": username})
        assert reply.status_code == 201, reply.text
        return username, password, Api(admin_api.base).sign_in(username, password)

    return make


