"""Results tables as CSV (UTF-8 with BOM, so Excel reads the Chinese headers) or XLSX."""
from __future__ import annotations

from shared import exports

FORMATS = ("csv", "xlsx")
MIMETYPES = {"csv": exports.CSV_MIMETYPE, "xlsx": exports.XLSX_MIMETYPE}
MEDALS = {"gold": "金牌 Gold", "silver": "银牌 Silver", "bronze": "铜牌 Bronze"}


def table(answer: dict, letters: list[str]) -> list[list]:
    header = ["名次 Rank", "参赛号 Contestant ID", "姓名 Name", "单位 Employer", "代表队 Delegation", "团队 Team",
              *[f"{letter} 模块 Criterion {letter}" for letter in letters], "原始分 Raw", "标准分 Scale", "奖牌 Medal",
              "优胜奖 Medallion", "代表队最佳 Best of delegation"]
    rows = [header]
    for r in answer["results"]:
        delegation = r.get("delegation") or {}
        rows.append([r["rank"], r["contestant_id"], r["name"], r["employer"], delegation.get("name", ""),
                     r.get("team") or "", *[r["criterion_marks"].get(letter, "") for letter in letters], r["raw"],
                     r["scale"], MEDALS.get(r["medal"], ""), "是 Yes" if r["medallion"] else "",
                     "是 Yes" if r.get("best_of_delegation") else ""])
    return rows


def render(fmt: str, answer: dict, letters: list[str]) -> tuple[bytes, str]:
    rows = table(answer, letters)
    if fmt == "csv":
        return exports.to_csv(rows), MIMETYPES["csv"]
    title = "成绩 Results" if answer["final"] else "暂定成绩 Provisional"
    return exports.to_xlsx(([_cell(v) for v in row] for row in rows), title), MIMETYPES["xlsx"]


def _cell(value):
    """Marks as numbers in the workbook (they are exact 2-decimal texts)."""
    if isinstance(value, str) and value.replace(".", "", 1).isdigit() and "." in value:
        return float(value)
    return value
