"""Configuration: YAML files whose scalar values may name environment variables, ``${VAR:default}``.

``shared/config.yaml`` holds what every service reads; ``services/<name>/config.yaml`` adds what one
service reads. A process that runs several services merges their files.

The files are parsed first and the variables are substituted afterwards, in scalar values only, so
a value from the environment is taken as it is: a quote, a backslash, a colon or a newline in a
secret cannot change the value, break the file or add keys. A variable that is unset or empty takes
the default. A quoted scalar stays a string; an unquoted one becomes an int, float, bool or null when
its substituted text reads as one (``max_workers: ${MAX_WORKERS:20}``), never a list or mapping.
Substituted text is not scanned again.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<default>[^}]*))?\}")
_PLAIN_WITH_VAR = "!plain-with-var"
_SCALAR_TAGS = {f"tag:yaml.org,2002:{kind}" for kind in ("int", "float", "bool", "null")}


def substitute(text: str, environ: Mapping[str, str] | None = None) -> str:
    """``text`` with each ``${VAR:default}`` replaced by VAR's value, or the default when VAR is unset or empty."""
    env = os.environ if environ is None else environ

    def value(match: re.Match) -> str:
        return env.get(match["name"]) or match["default"] or ""

    return _VAR.sub(value, text)


class _ConfigLoader(yaml.SafeLoader):
    """A safe loader that substitutes environment variables in scalars after parsing."""

    environ: Mapping[str, str]


def _construct_str(loader: _ConfigLoader, node: yaml.ScalarNode) -> str:
    return substitute(loader.construct_scalar(node), loader.environ)


def _construct_plain(loader: _ConfigLoader, node: yaml.ScalarNode):
    text = substitute(loader.construct_scalar(node), loader.environ)
    tag = loader.resolve(yaml.ScalarNode, text, (True, False))
    if tag in _SCALAR_TAGS:
        return loader.yaml_constructors[tag](loader, yaml.ScalarNode(tag, text))
    return text


_ConfigLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_ConfigLoader.add_constructor(_PLAIN_WITH_VAR, _construct_plain)
_ConfigLoader.add_implicit_resolver(_PLAIN_WITH_VAR, re.compile(r".*\$\{.*\}", re.DOTALL), None)


def parse(text: str, environ: Mapping[str, str] | None = None) -> dict:
    """The configuration in YAML ``text`` with the environment substituted."""
    loader = _ConfigLoader(text)
    loader.environ = os.environ if environ is None else environ
    try:
        return loader.get_single_data() or {}
    finally:
        loader.dispose()


def _read(path: Path, environ: Mapping[str, str] | None) -> dict:
    if not path.exists():
        return {}
    return parse(path.read_text(encoding="utf-8"), environ)


def load_config(services: list[str] | tuple[str, ...] = (), environ: Mapping[str, str] | None = None) -> dict:
    """The merged configuration for a process running ``services``."""
    config = _read(ROOT / "shared" / "config.yaml", environ)
    for name in services:
        config.update(_read(ROOT / "services" / name / "config.yaml", environ))
    return config
