"""Builders for registration domain tests (competitions, contestants, workbooks)."""
from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date
from typing import Any

import openpyxl

from services.registration.domain.competition import Competition, Skill
from services.registration.domain.contestant import Contestant, Delegation
from services.registration.domain.identity import person_key
from services.registration.domain.roster import Addition
from tests.unit.registration.idgen import make_resident_id

KEY = b"test-person-key"
TODAY = date(2025, 3, 1)


def competition(**changes: Any) -> Competition:
    values: dict[str, Any] = dict(
        code="WSC2026-SH-04", name="Mechatronics selection", tier="municipal_class_1",
        skill=Skill("WELD", "焊工"), start_date=date(2025, 6, 1),
        registration_deadline=date(2025, 4, 30), end_date=date(2025, 6, 3), capacity=None,
        team_size=1, status="open")
    values.update(changes)
    return Competition(**values)


def contestant(seq: int = 1, born: date = date(2001, 5, 3), team: str | None = None,
               **changes: Any) -> Contestant:
    id_number = make_resident_id(birth=born, seq=f"{seq:03d}")
    values: dict[str, Any] = dict(person_key=person_key(id_number, KEY), name=f"选手{seq}",
                                  date_of_birth=born, team=team,
                                  contestant_id=f"C{seq:03d}")
    values.update(changes)
    return Contestant(**values)


def additions(*contestants: Contestant, first_row: int = 2) -> list[Addition]:
    return [Addition(row=first_row + i, contestant=c) for i, c in enumerate(contestants)]


def xlsx_bytes(rows: Iterable[Iterable[Any]], *, text_columns: Iterable[int] = ()) -> bytes:
    """A workbook whose first sheet holds ``rows`` (row 1 = header)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    for column in text_columns:
        for cells in sheet.iter_rows(min_col=column, max_col=column):
            cells[0].number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def delegation(name: str, kind: str = "district") -> Delegation:
    return Delegation(kind=kind, name=name)
