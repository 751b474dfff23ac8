"""Upload benchmark: ``python -m bench.spreadsheets``.

- a 1.1 GB zip bomb (a sheet of one repeated row, about 1 MB on the wire) is refused: how long
  it takes and how much memory the process grows
- a real 5,000-row roster read through the shared reader (streaming, in the thread pool)
"""
from __future__ import annotations

import io
import resource
import sys
import time
import zipfile

import eventlet

eventlet.monkey_patch()

from openpyxl import Workbook  # noqa: E402

from shared.errors import ServiceError  # noqa: E402
from shared.spreadsheets import read_workbook  # noqa: E402

SHEET = "xl/worksheets/sheet1.xml"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def roster(rows: int) -> bytes:
    book = Workbook()
    book.active.append(["姓名", "性别", "出生日期", "身份证号", "工作单位", "代表队", "代表队类型", "技能等级"])
    for n in range(rows):
        book.active.append([f"选手{n}", "男", "2000-05-03", f"31010520000503{n % 10000:04d}", "上海电气", "浦东新区",
                            "区", "三级"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bomb(inflated_mb: int) -> bytes:
    """Written a megabyte at a time: the benchmark itself never holds the inflated sheet."""
    source = zipfile.ZipFile(io.BytesIO(roster(1)))
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>'
    block = row * (1024 * 1024 // len(row))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            if item.filename != SHEET:
                target.writestr(item.filename, source.read(item.filename))
                continue
            with target.open(SHEET, "w", force_zip64=True) as sheet:
                sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                for _ in range(inflated_mb):
                    sheet.write(block)
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def main() -> int:
    data = bomb(1100)
    before = rss_mb()
    start = time.perf_counter()
    try:
        read_workbook(data)
        print("bomb: NOT refused")
        return 1
    except ServiceError as error:
        print(f"bomb of {len(data) / 1e6:.1f} MB (inflates to 1.1 GB): refused in "
              f"{time.perf_counter() - start:.3f} s, peak RSS {before:.0f} -> {rss_mb():.0f} MB ({error.message})")
    data = roster(5000)
    start = time.perf_counter()
    book = read_workbook(data, first_sheet_only=True)
    print(f"roster of 5,000 rows ({len(data) / 1e3:.0f} KB): read in {time.perf_counter() - start:.2f} s, "
          f"{len(book.worksheets[0].rows)} rows, peak RSS {rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
