"""Ranked lists and committee decisions as CSV (UTF-8 with BOM, opens in Excel) or XLSX, Chinese headers."""
from __future__ import annotations

from shared import exports

NOMINEE_COLUMNS = (
    ("position", "排名"), ("person_key", "人员标识"), ("masked_id", "身份证号(脱敏)"), ("name", "姓名"),
    ("employer", "工作单位"), ("industry", "行业"), ("district", "区"), ("channel", "推荐渠道"),
    ("total", "总分"), ("breakdown", "得分明细"), ("tie_break", "同分排序说明"), ("inside_cut_line", "是否在名额内"),
    ("status", "状态"), ("decided_by", "决定人"), ("decided_at", "决定时间"), ("why", "理由"),
)
STATUS_ZH = {"nominated": "已推荐", "eligible": "符合条件", "ineligible": "不符合条件", "shortlisted": "入围",
             "reviewed": "已评审", "publicised": "公示中", "approved": "批准", "rejected": "未通过"}
CHANNEL_ZH = {"employer": "单位推荐", "association": "协会推荐", "self": "自荐"}


def _row(item: dict) -> list:
    last = (item.get("history") or [{}])[-1]
    breakdown = "；".join(f"{line['source']}: {line['points']}" for line in item.get("lines") or []
                         if line.get("points") not in ("0.00", "0"))
    values = {
        **item, "breakdown": breakdown,
        "channel": CHANNEL_ZH.get(item.get("channel") or "", item.get("channel")),
        "status": STATUS_ZH.get(item.get("status") or "", item.get("status")),
        "inside_cut_line": "是" if item.get("inside_cut_line") else "否",
        "decided_by": last.get("by"), "decided_at": last.get("at"), "why": last.get("why"),
    }
    return [values.get(key) if values.get(key) is not None else "" for key, _ in NOMINEE_COLUMNS]


def nominee_table(items: list[dict]) -> tuple[list[str], list[list]]:
    return [zh for _, zh in NOMINEE_COLUMNS], [_row(item) for item in items]


def to_csv(headers: list[str], rows: list[list]) -> bytes:
    return exports.to_csv([headers, *rows])


def to_xlsx(headers: list[str], rows: list[list], title: str = "名单") -> bytes:
    return exports.to_xlsx([headers, *rows], title)
