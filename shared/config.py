"""Configuration: YAML files with ``${VAR:default}`` substitution from the environment.

``shared/config.yaml`` holds what every service reads; ``services/<name>/config.yaml`` adds what one
service reads. A process that runs several services merges their files.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<default>[^}]*))?\}")


def substitute(text: str, environ: dict | None = None) -> str:
    env = os.environ if environ is None else environ

    def value(match: re.Match) -> str:
        found = env.get(match["name"])
        if found is None or found == "":
            return match["default"] or ""
        return found

    return _VAR.sub(value, text)


def _read(path: Path, environ: dict | None) -> dict:
    if not path.exists():
        return {}
    return yaml.safe_load(substitute(path.read_text(encoding="utf-8"), environ)) or {}


def load_config(services: list[str] | tuple[str, ...] = (), environ: dict | None = None) -> dict:
    """The merged configuration for a process running ``services``."""
    config = _read(ROOT / "shared" / "config.yaml", environ)
    for name in services:
        config.update(_read(ROOT / "services" / name / "config.yaml", environ))
    return config
