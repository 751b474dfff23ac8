"""Printable marking forms (评分记录表) for one sub-criterion, for venues without tablets.

Contestant numbers run down, the sub-criterion's aspects across (reference, type, max mark and
description in the heading, with what to record: the judge's 0-3 score for J, the observation
for typed M aspects, the mark for plain M). Below the grid the page carries every J aspect's
four descriptors and the options of typed measurements, then lines for the judge's name,
signature and date. XLSX (openpyxl) or PDF (reportlab, landscape A4; Chinese text uses the
standard CID font ``STSong-Light``, which needs no font file: PDF readers supply it).
Scheme text is always written as text, never as a formula.
"""
from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from services.scoring.domain.measurement import describe
from services.scoring.domain.numbers import format_mark
from services.scoring.domain.scheme import Aspect, MarkingScheme
from shared.exports import XLSX_MIMETYPE, put_text

FORMATS = {"xlsx": XLSX_MIMETYPE, "pdf": "application/pdf"}
CJK_FONT = "STSong-Light"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def what_to_record(aspect: Aspect) -> str:
    if aspect.is_judgement:
        return "评分 Score 0-3"
    if aspect.measurement is not None:
        return describe(aspect.measurement)
    return f"得分 Mark 0-{format_mark(aspect.max_mark)}" + (f" (step {format_mark(aspect.step)})" if aspect.step else "")


def heading(aspect: Aspect) -> str:
    return f"{aspect.reference or aspect.id} ({aspect.type}, max {format_mark(aspect.max_mark)})\n{aspect.description}"


def notes(aspects: tuple[Aspect, ...]) -> list[tuple[str, list[str]]]:
    """(title, lines) per aspect that needs explaining on the page: descriptors and measurement options."""
    found = []
    for aspect in aspects:
        if aspect.is_judgement:
            found.append((f"{aspect.reference or aspect.id} {aspect.description}",
                          [f"{score}: {text}" for score, text in sorted(aspect.descriptors.items())]))
        elif aspect.measurement is not None or aspect.requirement:
            lines = [describe(aspect.measurement)] if aspect.measurement else []
            lines += [aspect.requirement] if aspect.requirement else []
            found.append((f"{aspect.reference or aspect.id} {aspect.description}", lines))
    return found


def render(fmt: str, scheme: MarkingScheme, sub_id: str, entries: list[str], competition: dict) -> bytes:
    """The form as ``fmt`` bytes (``FORMATS`` keys)."""
    return (form_pdf if fmt == "pdf" else form_xlsx)(scheme, sub_id, entries, competition)


def _title(scheme: MarkingScheme, sub_id: str, competition: dict) -> tuple[str, str]:
    sub = scheme.sub_criterion(sub_id)
    day = f" · 第{sub.day}天 Day {sub.day}" if sub.day else ""
    return (f"{competition.get('name', '')} ({competition.get('code', '')}) 评分记录表 Marking form",
            f"{sub.id} {sub.name}{day}")


def form_xlsx(scheme: MarkingScheme, sub_id: str, entries: list[str], competition: dict) -> bytes:
    aspects = scheme.aspects_of(sub_id)
    book = Workbook()
    sheet = book.active
    sheet.title = sub_id[:31]
    title, subtitle = _title(scheme, sub_id, competition)
    put_text(sheet, 1, 1, title).font = Font(bold=True, size=13)
    put_text(sheet, 2, 1, subtitle).font = Font(bold=True)
    put_text(sheet, 4, 1, "参赛号 Contestant").font = Font(bold=True)
    put_text(sheet, 5, 1, "记录 Record")
    for column, aspect in enumerate(aspects, start=2):
        cell = put_text(sheet, 4, column, heading(aspect))
        cell.font, cell.alignment, cell.border = Font(bold=True), Alignment(wrap_text=True, vertical="top"), BOX
        hint = put_text(sheet, 5, column, what_to_record(aspect))
        hint.alignment, hint.border = Alignment(wrap_text=True, vertical="top"), BOX
        sheet.column_dimensions[sheet.cell(4, column).column_letter].width = 24
    sheet.column_dimensions["A"].width = 20
    row = 5
    for entry in entries:
        row += 1
        put_text(sheet, row, 1, entry).border = BOX
        for column in range(2, len(aspects) + 2):
            sheet.cell(row, column).border = BOX
    row += 2
    for note_title, lines in notes(aspects):
        put_text(sheet, row, 1, note_title).font = Font(bold=True)
        for line in lines:
            row += 1
            put_text(sheet, row, 2, line)
        row += 2
    put_text(sheet, row, 1, "裁判 Judge: ____________   签名 Signature: ____________   日期 Date: ________")
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def form_pdf(scheme: MarkingScheme, sub_id: str, entries: list[str], competition: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    body = ParagraphStyle("body", fontName=CJK_FONT, fontSize=8, leading=10, wordWrap="CJK")
    bold = ParagraphStyle("title", parent=body, fontSize=12, leading=15)
    aspects = scheme.aspects_of(sub_id)
    title, subtitle = _title(scheme, sub_id, competition)

    def para(text_: str, style: Any = body) -> Any:
        return Paragraph(_escape(text_).replace("\n", "<br/>"), style)

    grid = [[para("参赛号 Contestant")] + [para(heading(a)) for a in aspects],
            [para("记录 Record")] + [para(what_to_record(a)) for a in aspects]]
    grid += [[para(entry)] + [""] * len(aspects) for entry in entries]
    width = (landscape(A4)[0] - 20 * mm)
    first = 28 * mm
    columns = [first] + [max((width - first) / max(len(aspects), 1), 15 * mm)] * len(aspects)
    table = Table(grid, colWidths=columns, repeatRows=2)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, 1), colors.whitesmoke)]))
    story = [para(title, bold), para(subtitle, bold), Spacer(1, 4 * mm), table, Spacer(1, 6 * mm)]
    for note_title, lines in notes(aspects):
        story.append(para(note_title, ParagraphStyle("note", parent=body, fontSize=9)))
        story += [para("    " + line) for line in lines]
        story.append(Spacer(1, 2 * mm))
    story.append(para("裁判 Judge: ____________   签名 Signature: ____________   日期 Date: ________"))
    buffer = BytesIO()
    SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm, topMargin=10 * mm,
                      bottomMargin=10 * mm, title=title).build(story)
    return buffer.getvalue()


def _escape(text_: str) -> str:
    return text_.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
