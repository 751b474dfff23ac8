"""Comparing names people type (employers, delegations, teams, skills)."""
from __future__ import annotations

import unicodedata


def name_key(name: object) -> str:
    """The form two spellings of one name share: full-width folded, no whitespace, case-folded.

    Whitespace is removed rather than collapsed because Chinese names carry no meaningful
    spaces ("上海 电气" and "上海电气" are the same employer). Empty for ``None``.
    """
    if name is None:
        return ""
    text = unicodedata.normalize("NFKC", str(name))
    return "".join(text.split()).casefold()


def clean_text(value: object) -> str | None:
    """Trimmed text with inner whitespace runs collapsed to one space; ``None`` if blank."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None
