"""Problems and the exceptions that carry them.

A :class:`Problem` is one thing wrong with an input, located by a ``path``: a JSON pointer
(``/sub_criteria/0/aspects/2/max_mark``) for JSON payloads, ``Sheet!D17`` for spreadsheet imports.
The service layer turns a list of problems into the ``details`` of the error envelope.
Exceptions carry *every* problem found, never just the first one.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


def pointer(parts) -> str:
    """A JSON pointer ("/a/0/b") from path parts, escaping "~" and "/" as RFC 6901 says."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "/" + "/".join(escaped) if parts else ""


class Problem(NamedTuple):
    """One thing wrong with an input: where (``path``) and what (``problem``)."""

    path: str
    problem: str


def problems_from(details: Iterable[dict]) -> list[Problem]:
    """Problems from the error envelope's ``details`` (``shared.validation.schema_problems`` answers so)."""
    return [Problem(d["path"], d["problem"]) for d in details]


class ProblemsError(Exception):
    """Base for domain exceptions that carry a list of :class:`Problem`."""

    default_message = "invalid input"

    def __init__(self, problems: Iterable[Problem], message: str | None = None) -> None:
        self.problems: list[Problem] = list(problems)
        self.message = message or self.default_message
        super().__init__(f"{self.message}: {len(self.problems)} problem(s)")

    def details(self) -> list[dict[str, str]]:
        """The problems in the shape of the error envelope's ``details``."""
        return [{"path": p.path, "problem": p.problem} for p in self.problems]


class SchemeInvalid(ProblemsError):
    """A marking scheme (JSON or CIS spreadsheet) cannot be accepted."""

    default_message = "marking scheme invalid"


class MarkingRuleViolation(ProblemsError):
    """Marks or judgement scores break a marking rule (range, step, dispute, completeness)."""

    default_message = "marking rule violated"


class PolicyInvalid(ProblemsError):
    """A scoring policy document does not validate."""

    default_message = "scoring policy invalid"
