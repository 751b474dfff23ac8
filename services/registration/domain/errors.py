"""What the registration rules say when they refuse something.

Two shapes:

- ``RegistrationRuleError``: one refusal of a command on a competition (a status change, an edit),
  raised or returned by ``competition``.
- ``RowProblem``: one problem of one row (and column) of a roster, so that a bulk upload reports
  every problem at once; returned by ``roster`` and ``roster_import``.

Both carry a domain ``code``; ``ENVELOPE_CODE`` maps it to the code of the shared error envelope
(which picks the HTTP status).
"""
from __future__ import annotations

from dataclasses import dataclass


class Code:
    """Domain problem codes."""

    # competition life cycle and edits
    INVALID_TRANSITION = "INVALID_TRANSITION"
    FIELD_FROZEN = "FIELD_FROZEN"
    INVALID_FIELD = "INVALID_FIELD"
    # adding contestants
    REGISTRATION_CLOSED = "REGISTRATION_CLOSED"
    DEADLINE_PASSED = "DEADLINE_PASSED"
    OVER_CAPACITY = "OVER_CAPACITY"
    DUPLICATE_CONTESTANT = "DUPLICATE_CONTESTANT"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    TEAM_SIZE = "TEAM_SIZE"
    TEAM_REQUIRED = "TEAM_REQUIRED"
    TEAM_NOT_ALLOWED = "TEAM_NOT_ALLOWED"
    # reading a roster file
    UNREADABLE_FILE = "UNREADABLE_FILE"
    MISSING_COLUMN = "MISSING_COLUMN"
    UNKNOWN_COLUMN = "UNKNOWN_COLUMN"
    DUPLICATE_COLUMN = "DUPLICATE_COLUMN"
    INVALID_VALUE = "INVALID_VALUE"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"


#: Domain code -> code of the shared error envelope (``shared.errors.HTTP_STATUS``).
ENVELOPE_CODE: dict[str, str] = {
    Code.INVALID_TRANSITION: "INVALID_STATE",
    Code.FIELD_FROZEN: "INVALID_STATE",
    Code.INVALID_FIELD: "VALIDATION_FAILED",
    Code.REGISTRATION_CLOSED: "INVALID_STATE",
    Code.DEADLINE_PASSED: "INVALID_STATE",
    Code.OVER_CAPACITY: "RULE_VIOLATION",
    Code.DUPLICATE_CONTESTANT: "DUPLICATE",
    Code.NOT_ELIGIBLE: "RULE_VIOLATION",
    Code.TEAM_SIZE: "RULE_VIOLATION",
    Code.TEAM_REQUIRED: "VALIDATION_FAILED",
    Code.TEAM_NOT_ALLOWED: "VALIDATION_FAILED",
    Code.UNREADABLE_FILE: "VALIDATION_FAILED",
    Code.MISSING_COLUMN: "VALIDATION_FAILED",
    Code.UNKNOWN_COLUMN: "VALIDATION_FAILED",
    Code.DUPLICATE_COLUMN: "VALIDATION_FAILED",
    Code.INVALID_VALUE: "VALIDATION_FAILED",
    Code.TOO_MANY_ROWS: "VALIDATION_FAILED",
}


class RegistrationRuleError(Exception):
    """A registration rule refused a command.

    ``path`` is a JSON pointer into the request (``/capacity``) or ``""`` for the whole command.
    ``details`` holds every error found when several were collected (the first is this one).
    """

    def __init__(self, code: str, message: str, path: str = "",
                 details: tuple[RegistrationRuleError, ...] = ()):
        super().__init__(code, message, path)
        self.code = code
        self.message = message
        self.path = path
        self.details = tuple(details) or (self,)

    def __str__(self) -> str:
        return f"{self.code} at {self.path or '/'}: {self.message}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RegistrationRuleError):
            return NotImplemented
        return (self.code, self.message, self.path) == (other.code, other.message, other.path)

    def __hash__(self) -> int:
        return hash((self.code, self.message, self.path))

    def as_detail(self) -> dict:
        """The error as an entry of the envelope's ``details``."""
        return {"path": self.path or "/", "problem": self.message, "code": self.code}


@dataclass(frozen=True)
class RowProblem:
    """One problem of a roster row.

    ``row`` is the spreadsheet row number (header = 1) for uploads, or whatever locator the caller
    gave an addition (e.g. the index in a JSON list); ``None`` means the whole file or command
    (competition closed, over capacity, unreadable file). ``column`` is the canonical field name
    (``id_number``) or ``None``.
    """

    row: int | None
    column: str | None
    problem: str
    code: str = Code.INVALID_VALUE

    def path(self, collection: str = "rows") -> str:
        """A JSON-pointer-like locator: ``/rows/3/id_number``, ``/rows/3``, or ``/``."""
        if self.row is None:
            return f"/{self.column}" if self.column else "/"
        return f"/{collection}/{self.row}" + (f"/{self.column}" if self.column else "")

    def as_detail(self, collection: str = "rows") -> dict:
        """The problem as an entry of the envelope's ``details`` (plus row, column and code)."""
        return {"path": self.path(collection), "problem": self.problem, "code": self.code,
                "row": self.row, "column": self.column}


def sort_problems(problems: list[RowProblem]) -> list[RowProblem]:
    """File-level problems first, then by row and column; otherwise in the order found."""
    return sorted(problems, key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
