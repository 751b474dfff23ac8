"""Every text the console shows exists in both languages, and nothing loads from the network."""
from __future__ import annotations

import json
import re

from services.gateway.console import STATIC, resolve

SCRIPTS = sorted((STATIC / "js").glob("*.js"))
KEY = re.compile(r'^\s*"([\w./-]+)":', re.M)
USED = re.compile(r'\bt\("([\w./-]+)"')
USED_PREFIX = re.compile(r"\bt\(`([\w./-]+)\$\{")


def dictionary(name: str) -> dict[str, str]:
    text = (STATIC / "js" / "i18n" / name).read_text(encoding="utf-8")
    body = text[text.index("{"):text.rindex("}") + 1]
    return json.loads(re.sub(r",\s*}", "}", re.sub(r"^\s*//.*$", "", body, flags=re.M)))


def test_both_languages_have_the_same_keys():
    chinese, english = dictionary("zh-CN.js"), dictionary("en.js")
    assert chinese.keys() == english.keys()
    assert all(chinese.values()) and all(english.values())


def test_every_key_the_scripts_use_is_defined():
    keys = dictionary("zh-CN.js").keys()
    code = "\n".join(path.read_text(encoding="utf-8") for path in SCRIPTS)
    assert sorted(set(USED.findall(code)) - keys) == []
    for prefix in set(USED_PREFIX.findall(code)):
        assert any(k.startswith(prefix) for k in keys), prefix


def test_no_script_reaches_beyond_its_origin():
    for path in SCRIPTS + sorted((STATIC / "js" / "i18n").glob("*.js")) + [STATIC / "app.css"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), path.name
        assert "innerHTML" not in text and "eval(" not in text, path.name


def test_resolve_keeps_to_the_static_folder():
    assert resolve("js/app.js") == STATIC / "js" / "app.js"
    for bad in ("", "../__init__.py", "js/../../__init__.py", "/etc/passwd", "js//app.js", ".git", "js\\app.js",
                "app.css\x00", "js", "index.html/", "../console/static/app.css"):
        assert resolve(bad) is None, bad
