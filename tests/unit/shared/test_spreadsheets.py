"""The shared spreadsheet reader refuses bombs and hostile cells before they cost memory or time.

Every bomb is built here, small, from a real openpyxl workbook whose sheet XML is replaced.
"""
import io
import zipfile
from datetime import date

import eventlet
import pytest
from openpyxl import Workbook

from services.awards.domain.policy import load_default_policy
from services.awards.adapters.profile_files import parse_profiles
from services.registration.adapters.roster_file import parse_roster
from services.scoring.adapters.scheme_workbook import parse_cis_xlsx
from shared.errors import ServiceError
from shared.spreadsheets import Limits, UnreadableSpreadsheet, check_archive, read_csv, read_workbook
from tests.unit.shared.parse_hold import HeldParse

SHEET = "xl/worksheets/sheet1.xml"
HEAD = ('<?xml version="1.0" encoding="UTF-8"?><worksheet '
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
TAIL = "</sheetData></worksheet>"


def workbook_bytes(rows=(("姓名", "性别"), ("张三", "男"))) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_sheet_xml(sheet_xml: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """A valid workbook whose first sheet is ``sheet_xml`` (deflated), plus ``extra`` entries."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            target.writestr(item.filename, sheet_xml if item.filename == SHEET else source.read(item.filename))
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def refusal(call, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)
    return caught.value


def zip_bomb(inflated_mb: int) -> bytes:
    """A sheet of ``inflated_mb`` MB of one repeated blank row: deflates about 1000 to 1."""
    row = b'<row r="1" spans="1:1"></row>'
    body = row * (inflated_mb * 1024 * 1024 // len(row))
    return with_sheet_xml(HEAD.encode() + body + TAIL.encode())


def test_a_sheet_inflating_past_the_part_limit_is_refused_before_parsing():
    bomb = zip_bomb(40)
    assert len(bomb) < 200_000
    error = refusal(read_workbook, bomb)
    assert error.code == "PAYLOAD_TOO_LARGE" and error.status == 413
    assert SHEET in error.message and "bytes per part" in error.message and error.details[0]["path"] == "/file"


def test_a_highly_compressed_part_is_refused_by_its_ratio():
    error = refusal(check_archive, zip_bomb(4))
    assert "to 1" in error.message and error.code == "PAYLOAD_TOO_LARGE"


def test_too_many_parts_and_too_much_in_total_are_refused():
    extra = {f"xl/media/image{i}.bin": b"x" for i in range(5)}
    assert "files" in refusal(check_archive, with_sheet_xml(b"<x/>", extra), Limits(max_entries=5)).message
    big = {f"xl/media/image{i}.bin": bytes(range(256)) * 400 for i in range(4)}
    error = refusal(check_archive, with_sheet_xml(b"<x/>", big), Limits(max_total_bytes=300_000))
    assert "inflates to" in error.message


def test_a_value_far_down_the_sheet_is_refused_without_reading_a_million_rows():
    xml = HEAD + f'<row r="1">{inline("A1", "姓名")}</row><row r="1048576">{inline("A1048576", "x")}</row>' + TAIL
    error = refusal(read_workbook, with_sheet_xml(xml.encode()), limits=Limits(max_rows=100))
    assert "row 1048576" in error.message and "at most 100 rows" in error.message


def test_a_value_far_right_is_refused():
    xml = HEAD + f'<row r="1">{inline("A1", "a")}{inline("XFD1", "b")}</row>' + TAIL
    error = refusal(read_workbook, with_sheet_xml(xml.encode()))
    assert "column XFD" in error.message and "at most 100 columns" in error.message


def test_blank_rows_past_the_cap_are_dropped_not_refused():
    rows = "".join(f'<row r="{n}" s="1" customFormat="1"/>' for n in range(3, 500))
    xml = HEAD + f'<row r="1">{inline("A1", "a")}</row><row r="2">{inline("A2", "b")}</row>{rows}' + TAIL
    sheet = read_workbook(with_sheet_xml(xml.encode()), limits=Limits(max_rows=10)).worksheets[0]
    assert sheet.rows == [("a",), ("b",)] and sheet.max_row == 2


def test_a_control_character_in_a_cell_is_refused_naming_the_cell():
    """XML cannot carry U+0001 at all; DEL (U+007F) it can, and it is no more a character of a name."""
    error = refusal(read_workbook, workbook_bytes([("姓名",), ("张\x7f三",)]))
    assert error.code == "VALIDATION_FAILED" and error.status == 422
    assert error.details == [{"path": "Sheet!A2", "problem": "the cell holds the control character U+007F at "
                                                            "position 1, which is not allowed in text"}]


def test_bytes_that_are_not_a_workbook_are_unreadable_not_an_error():
    with pytest.raises(UnreadableSpreadsheet):
        read_workbook(b"PK\x03\x04 not a zip")
    with pytest.raises(UnreadableSpreadsheet):
        read_workbook(with_sheet_xml(b"<worksheet><sheetData><row>"))


def test_csv_rows_columns_size_and_characters_are_capped():
    assert read_csv("a,b\r\n1,2\r\n") == [("a", "b"), ("1", "2")]
    assert "rows" in refusal(read_csv, "a\n" * 50, limits=Limits(max_rows=10)).message
    assert "column E" in refusal(read_csv, "a,b,c,d,e\n", limits=Limits(max_columns=4)).message
    assert "characters" in refusal(read_csv, "a" * 101, limits=Limits(max_csv_bytes=100)).message
    assert refusal(read_csv, "name\nx\x1by\n").details[0]["path"] == "csv!A2"


def test_sheet_reads_like_an_openpyxl_sheet():
    sheet = read_workbook(workbook_bytes([("a", "b", "c"), ("d",)])).worksheets[0]
    assert list(sheet.iter_rows(min_row=1, max_row=2, min_col=2, max_col=4)) == [("b", "c", None), (None, None, None)]
    assert sheet.max_column == 3 and sheet.title == "Sheet"


# ----------------------------------------------------------------- every importer uses it

def test_every_importer_refuses_a_zip_bomb_with_413():
    bomb = zip_bomb(40)
    assert refusal(parse_roster, bomb, "roster.xlsx", today=date(2026, 6, 1)).code == "PAYLOAD_TOO_LARGE"
    assert refusal(parse_profiles, bomb, "people.xlsx", load_default_policy()).code == "PAYLOAD_TOO_LARGE"
    assert refusal(parse_cis_xlsx, bomb).code == "PAYLOAD_TOO_LARGE"


def test_every_importer_refuses_control_characters_in_csv_and_xlsx():
    csv_roster = "姓名,性别,出生日期,身份证号\n张\x07三,男,2000-05-03,x\n".encode()
    assert refusal(parse_roster, csv_roster, "roster.csv", today=date(2026, 6, 1)).details[0]["path"] == "csv!A2"
    profile = "人员标识,姓名\n" + "a" * 64 + ",李\x01四\n"
    assert refusal(parse_profiles, profile.encode(), "people.csv", load_default_policy()).details[0]["path"] == "csv!B2"
    workbook = workbook_bytes([("Marking Scheme",), ("\x85",)])
    assert refusal(parse_cis_xlsx, workbook).details[0]["path"] == "Sheet!A2"


# ------------------------------------------------------------------ the hub keeps running

def test_parsing_runs_off_the_event_loop_so_other_work_is_answered_meanwhile(monkeypatch):
    hold = HeldParse(monkeypatch)
    importer = eventlet.spawn(read_workbook, workbook_bytes())
    hold.wait_until_parsing()
    eventlet.spawn(hold.release, "other answered")
    with eventlet.Timeout(60, AssertionError("the parse's answer never came back from the thread pool")):
        book = importer.wait()
    assert hold.order == ["other answered", "parse finished"]
    assert book.worksheets[0].rows[1] == ("张三", "男")
