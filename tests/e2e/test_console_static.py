"""The console's files as the gateway serves them: types, caching, the CSP, no way out of the folder,
and the API beside it unchanged."""
from __future__ import annotations

import pytest
import requests

from services.gateway.console import STATIC


@pytest.fixture(scope="module")
def root(platform) -> str:
    return platform.removesuffix("/api/v1")


def test_the_page_is_served_at_the_root_with_a_strict_policy(root):
    reply = requests.get(root + "/", timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    policy = reply.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Cache-Control"] == "no-cache"
    assert '<script type="module" src="/console/js/app.js">' in reply.text


@pytest.mark.parametrize("path, content_type", [("/console/app.css", "text/css; charset=utf-8"),
                                                ("/console/js/app.js", "text/javascript; charset=utf-8"),
                                                ("/console/js/i18n/zh-CN.js", "text/javascript; charset=utf-8")])
def test_assets_have_their_type_and_revalidate_with_an_etag(root, path, content_type):
    reply = requests.get(root + path, timeout=10)
    assert reply.status_code == 200 and reply.headers["Content-Type"] == content_type
    etag = reply.headers["ETag"]
    again = requests.get(root + path, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and not again.content
    assert requests.get(root + path, headers={"If-None-Match": '"other"'}, timeout=10).status_code == 200


@pytest.mark.parametrize("path", [
    "/console/../service.py", "/console/%2e%2e/service.py", "/console/js/../../__init__.py",
    "/console/..%2f__init__.py", "/console/%2e%2e%2f%2e%2e%2fhttp.py", "/console/.hidden.js",
    "/console//etc/passwd", "/console/js", "/console/", "/console/nothing.js", "/console/js/app.py",
    "/console/js%5c..%5c..%5c__init__.py", "/console/app.css%00.js",
])
def test_nothing_outside_the_static_folder_is_served(root, path):
    with requests.Session() as session:
        prepared = requests.Request("GET", root + path).prepare()
        prepared.url = root + path  # as typed: no client-side normalisation of the dots
        reply = session.send(prepared, timeout=10)
    assert reply.status_code == 404, (path, reply.status_code)
    assert b"import" not in reply.content and b"def " not in reply.content


def test_only_get_is_served(root):
    assert requests.post(root + "/console/app.css", timeout=10).status_code == 405


def test_the_api_is_untouched_beside_the_console(root):
    reply = requests.get(root + "/api/v1/nowhere", timeout=10)
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "NOT_FOUND"
    assert requests.get(root + "/api/v1/openapi.json", timeout=10).json()["openapi"].startswith("3.1")


def test_every_file_the_page_loads_is_in_the_repository():
    assert {p.name for p in (STATIC / "js").glob("*.js")} >= {"app.js", "api.js", "ui.js", "i18n.js", "judge.js",
                                                               "organiser.js", "chief.js", "committee.js"}
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
