"""The sheets of clues.xlsx beside the clues: 管理问题 (management.csv's rows) and the lists to read —
信访核查, 抽查复核, 逾期未销号 — plus the workflow values the history carries into the clue sheets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb

from fundwatch.workbook_layout import (MANAGEMENT_SHEET, OVERDUE_SHEET, RECHECK_SHEET, TIPOFF_SHEET, WORKFLOW_COLUMNS,
                                       Formats, cell_text, display_width, print_setup)


def write_management_sheet(book, formats: Formats, con, mask: bool) -> None:
    """管理问题: management.csv's rows (CLUES.md columns); masked, staff IDs keep their last two characters."""
    from fundwatch.management import MANAGEMENT_COLUMNS
    from fundwatch.masking import mask_tail

    keys = [c for _, c in MANAGEMENT_COLUMNS]
    rows = con.execute(f"select {', '.join(keys)} from management order by "
                       "case part when 'late_stops' then 0 when 'staff_clues' then 1 else 2 end, amount desc, "
                       "finding_id").fetchall()
    sheet = book.add_worksheet(MANAGEMENT_SHEET)
    print_setup(sheet, header_row=True)
    sheet.freeze_panes(1, 0)
    widths = [display_width(h) + 2 for h, _ in MANAGEMENT_COLUMNS]
    for col, (header, _) in enumerate(MANAGEMENT_COLUMNS):
        sheet.write_string(0, col, header, formats.header)
    for r, row in enumerate(rows, start=1):
        values = dict(zip(keys, row))
        if mask:
            staff = {v for k in ("operator_id", "reviewer_id") for v in (values[k] or "").split(";") if v}
            for k in ("operator_id", "reviewer_id"):
                values[k] = ";".join(mask_tail(v, 2) for v in (values[k] or "").split(";") if v) or None
            for v in sorted(staff, key=len, reverse=True):
                values["note"] = values["note"].replace(v, mask_tail(v, 2))
        for col, key in enumerate(keys):
            value = values[key]
            if value is None:
                sheet.write_blank(r, col, None, formats.text)
                continue
            if key == "amount":
                sheet.write_number(r, col, float(value), formats.amount)
                text = f"{float(value):,.2f}"
            elif key in ("clue_count", "people"):
                sheet.write_number(r, col, int(value), formats.integer)
                text = str(value)
            else:
                text = cell_text(value)
                sheet.write_string(r, col, text, formats.wrap if key in ("note", "clue_ids") else formats.text)
            widths[col] = max(widths[col], display_width(text) + 2)
    for col, key in enumerate(keys):
        sheet.set_column(col, col, min(widths[col], 60 if key in ("note", "clue_ids") else 24))
    sheet.set_row(0, 30)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(keys) - 1)


def with_workflow_values(con: duckdb.DuckDBPyConnection, clues: list[dict], mask: bool) -> list[dict]:
    """Each clue with the workflow values the history holds for it (a run with --history), carried like
    核查状态: the next workbook shows what the teams wrote, and sending it back again changes nothing."""
    from fundwatch.db import table_exists
    from fundwatch.masking import mask_name

    if not table_exists(con, "latest_feedback"):
        return clues
    keys = [k for _, k in WORKFLOW_COLUMNS]
    carried = {r[0]: dict(zip(keys, r[1:])) for r in con.execute(
        f"select clue_id, {', '.join(keys)} from latest_feedback").fetchall()}
    out = []
    for clue in clues:
        values = carried.get(clue["clue_id"], {})
        if mask:
            values = {k: (mask_name(v) if k in ("verifier", "signed_off_by") else v) for k, v in values.items()}
        out.append({**clue, **values})
    return out


def _list_sheet(book, formats: Formats, name: str, headers: list[str], rows: list[list], note: str) -> None:
    """A list to read (信访核查, 抽查复核, 逾期未销号): header row, frozen, filtered; dates and amounts typed."""
    sheet = book.add_worksheet(name)
    widths = [display_width(h) + 2 for h in headers]
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, formats.header)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None or value == "":
                sheet.write_blank(r, col, None, formats.text)
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(r, col, value, formats.date)
                text = value.isoformat()
            elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                sheet.write_number(r, col, float(value), formats.integer if isinstance(value, int) else formats.amount)
                text = str(value)
            else:
                text = cell_text(value)
                sheet.write_string(r, col, text, formats.wrap if display_width(text) > 40 else formats.text)
            widths[col] = max(widths[col], display_width(text) + 2)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(max(width, 10), 60))
    sheet.set_row(0, 30)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
    sheet.write_string(len(rows) + 2, 0, note, formats.note)


def write_list_sheets(book, formats: Formats, con: duckdb.DuckDBPyConnection, mask: bool) -> None:
    """信访核查 (a run with tip-offs), 抽查复核 and 逾期未销号 (a run with a history)."""
    from fundwatch.db import table_exists
    from fundwatch.masking import mask_id, mask_name

    if table_exists(con, "tipoff_report"):
        from fundwatch.tipoffs import TIPOFF_COLUMNS, report_rows

        rows = [[r["tip_id"], r["received_date"], mask_name(r["name"]), r["match_kind"],
                 mask_id(r["id_number"]) if mask else r["id_number"], r["findings"], r["clue_ids"], r["suggestion"]]
                for r in report_rows(con)]
        _list_sheet(book, formats, TIPOFF_SHEET, [h for h, _ in TIPOFF_COLUMNS], rows,
                    "信访核查表：每条信访举报的匹配方式、匹配对象与数据核查情况（同 tipoffs.csv）；被反映人已脱敏。")
    if table_exists(con, "recheck"):
        rows = con.execute("select clue_id, rule_id, clue_type, region_code, subject_type, id_number, name, "
                           "case when in_run then '是' else '否' end, finding, verifier, signed_off_by, signed_off_on "
                           "from recheck order by draw_rank").fetchall()
        if mask:
            rows = [[*r[:5], mask_id(r[5]), mask_name(r[6]), r[7], r[8], mask_name(r[9]), mask_name(r[10]), r[11]]
                    for r in rows]
        population = con.execute("select coalesce(max(population), 0) from recheck").fetchone()[0]
        _list_sheet(book, formats, RECHECK_SHEET,
                    ["线索编号", "规则编号", "线索类型", "行政区划代码", "对象类型", "公民身份号码", "姓名", "本次数据仍发现",
                     "原核查结果", "原核查人", "销号人", "销号日期"], [list(r) for r in rows],
                    f"抽查复核：从核查结论为“不属实”的{population}条线索中按固定种子随机抽取（默认10%，至少1条），"
                    "请另行安排人员复核，复核结论可按线索编号通过 fundwatch feedback 录入。")
    if table_exists(con, "overdue"):
        rows = con.execute("select clue_id, rule_id, clue_type, region_code, subject_type, verifier, deadline, "
                           "days_overdue, coalesce(status, ''), case when in_run then '是' else '否' end "
                           "from overdue order by deadline, clue_id").fetchall()
        if mask:
            rows = [[*r[:5], mask_name(r[5]), *r[6:]] for r in rows]
        _list_sheet(book, formats, OVERDUE_SHEET,
                    ["线索编号", "规则编号", "线索类型", "行政区划代码", "对象类型", "核查人", "核查期限", "逾期天数",
                     "核查状态", "本次数据仍发现"], [list(r) for r in rows],
                    "逾期未销号：核查期限已过（以本次运行日期计）仍未销号的线索。")
