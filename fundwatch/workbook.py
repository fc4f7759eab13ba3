"""clues.xlsx: the inspection team's workbook (问题线索清单).

A summary sheet (汇总) first — clues and amounts per rule and per county, the data-quality summary
(rows read / loaded / quarantined per file, failed expectations) and the rules that were skipped —
then one sheet per rule that has clues, with the Chinese clue headers of CLUES.md in that order
plus 追回金额, ready for the team to fill in the verification columns.

Every text value is written with ``write_string``: ID numbers, person ids and accounts stay text
(never 3.30102E+17) and a value such as ``=HYPERLINK(...)`` is never a formula. With ``mask=True``
ID numbers keep their first 6 and last 4 characters, names their surname, accounts and person ids
their last 4 characters, and the same values are masked inside the evidence sentences.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from decimal import Decimal
from pathlib import Path

import duckdb
import xlsxwriter

from fundwatch.summary import TOTALS_SQL
from fundwatch.emit import CLUE_COLUMNS
from fundwatch.masking import clue_rows, masked_clue
from fundwatch.rules import TABLE_TITLES

SUMMARY_SHEET = "汇总"
MANAGEMENT_SHEET = "管理问题"
RECOVERED_HEADER = "追回金额"
CHANGE_HEADER = "变化情况"
STATUS_CHOICES = ["待核查", "核查中", "属实", "部分属实", "不属实"]
# The verification workflow (核查销号, CLUES.md), beside 核查状态 / 核查结果 / 整改情况 / 追回金额.
WORKFLOW_COLUMNS = [("核查人", "verifier"), ("核查期限", "deadline"), ("处理方式", "disposal"),
                    ("应追回金额", "amount_due"), ("已追回金额", "amount_recovered"), ("销号人", "signed_off_by"),
                    ("销号日期", "signed_off_on")]
WORKFLOW_KEYS = {key for _, key in WORKFLOW_COLUMNS}
DISPOSAL_CHOICES = ["停发", "追回", "移送纪检监察机关", "移送公安机关", "无需处理"]
VERIFY_AMOUNT_KEYS = {"recovered_amount", "amount_due", "amount_recovered"}
VERIFY_DATE_KEYS = {"deadline", "signed_off_on"}
TIPOFF_SHEET = "信访核查"
RECHECK_SHEET = "抽查复核"
OVERDUE_SHEET = "逾期未销号"
LIST_SHEETS = (TIPOFF_SHEET, RECHECK_SHEET, OVERDUE_SHEET)  # lists to read, not to fill in (feedback skips them)
PRIVATE_FILE_MODE = 0o600
MAX_CELL_CHARS = 32767

# Columns written as numbers; every other clue column is text.
AMOUNT_COLUMNS = {"amount"}
INTEGER_COLUMNS = {"payment_count"}
SCORE_COLUMNS = {"score"}
MIN_WIDTHS = {"clue_id": 18, "id_number": 21, "person_id": 16, "name": 12, "region_code": 14}
WIDE_COLUMNS = {"evidence": 60, "policy_basis": 48, "suggestion": 40, "finding": 30, "rectification": 30}
RUN_KINDS = {"county": "县级（单个县区）", "city": "市级（多个县区联动）"}
STATUS_NAMES = {"run": "已运行", "skipped": "未运行"}
AMOUNT_FORMAT = "#,##0.00"
A4 = 9  # xlsxwriter's paper code
SCHEME_NAMES = {"110": "企业职工基本养老保险", "120": "机关事业单位基本养老保险", "170": "城乡居民基本养老保险",
                "210": "失业保险", "410": "工伤保险"}

# ---------------------------------------------------------------------------- reading the database


def _rule_order(con: duckdb.DuckDBPyConnection, manifest: dict) -> list[str]:
    order = [r["rule_id"] for r in manifest.get("rules", [])]
    for (rule_id,) in con.execute("select rule_id from rule_catalogue").fetchall():
        if rule_id not in order:
            order.append(rule_id)
    for (rule_id,) in con.execute("select distinct rule_id from clues order by 1").fetchall():
        if rule_id not in order:
            order.append(rule_id)
    return order


def _catalogue(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    rows = con.execute("select rule_id, title, severity, subject, policy, suggestion from rule_catalogue").fetchall()
    return {r[0]: dict(zip(("rule_id", "title", "severity", "subject", "policy", "suggestion"), r)) for r in rows}


# ---------------------------------------------------------------------------- layout helpers


def display_width(text: str) -> int:
    """Width in Excel character units: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def sheet_name(rule_id: str, title: str, taken: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "", f"{rule_id} {title}").strip("'")[:31].rstrip()
    candidate, n = name, 2
    while candidate.lower() in taken:
        suffix = f"~{n}"
        candidate, n = name[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _text(value) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text[:MAX_CELL_CHARS]


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook):
        base = {"font_name": "等线", "font_size": 10, "valign": "top"}
        self.header = book.add_format({**base, "bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF",
                                       "border": 1, "text_wrap": True, "valign": "vcenter", "align": "center"})
        self.verify_header = book.add_format({**base, "bold": True, "bg_color": "#C65911", "font_color": "#FFFFFF",
                                              "border": 1, "text_wrap": True, "valign": "vcenter",
                                              "align": "center"})
        self.text = book.add_format({**base, "num_format": "@"})
        self.wrap = book.add_format({**base, "num_format": "@", "text_wrap": True})
        self.amount = book.add_format({**base, "num_format": AMOUNT_FORMAT})
        self.integer = book.add_format({**base, "num_format": "0"})
        self.score = book.add_format({**base, "num_format": "0.0000"})
        self.percent = book.add_format({**base, "num_format": "0.000%"})
        self.verify = book.add_format({**base, "num_format": "@", "bg_color": "#FFF2CC", "border": 1,
                                       "border_color": "#D9D9D9", "text_wrap": True})
        self.verify_amount = book.add_format({**base, "num_format": AMOUNT_FORMAT, "bg_color": "#FFF2CC", "border": 1,
                                              "border_color": "#D9D9D9"})
        self.title = book.add_format({"font_name": "等线", "bold": True, "font_size": 16, "font_color": "#1F4E78"})
        self.section = book.add_format({"font_name": "等线", "bold": True, "font_size": 12, "font_color": "#1F4E78",
                                        "bottom": 2, "bottom_color": "#1F4E78"})
        self.label = book.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1,
                                      "border_color": "#BFBFBF"})
        self.cell = book.add_format({**base, "num_format": "@", "border": 1, "border_color": "#BFBFBF",
                                     "text_wrap": True})
        self.cell_amount = book.add_format({**base, "num_format": AMOUNT_FORMAT, "border": 1, "border_color": "#BFBFBF"})
        self.cell_integer = book.add_format({**base, "num_format": "#,##0", "border": 1, "border_color": "#BFBFBF"})
        self.cell_percent = book.add_format({**base, "num_format": "0.000%", "border": 1, "border_color": "#BFBFBF"})
        self.total = book.add_format({**base, "bold": True, "num_format": "@", "border": 1,
                                      "border_color": "#BFBFBF", "bg_color": "#F2F2F2"})
        self.total_amount = book.add_format({**base, "bold": True, "num_format": AMOUNT_FORMAT, "border": 1,
                                             "border_color": "#BFBFBF", "bg_color": "#F2F2F2"})
        self.total_integer = book.add_format({**base, "bold": True, "num_format": "#,##0", "border": 1,
                                              "border_color": "#BFBFBF", "bg_color": "#F2F2F2"})
        self.bad = book.add_format({**base, "num_format": "@", "border": 1, "border_color": "#BFBFBF",
                                    "font_color": "#C00000", "bold": True})
        self.note = book.add_format({"font_name": "等线", "font_size": 9, "italic": True, "font_color": "#595959"})
        self.verify_date = book.add_format({**base, "num_format": "yyyy-mm-dd", "bg_color": "#FFF2CC", "border": 1,
                                            "border_color": "#D9D9D9"})
        self.date = book.add_format({**base, "num_format": "yyyy-mm-dd"})


# ---------------------------------------------------------------------------- the rule sheets


def _print_setup(sheet, header_row: bool) -> None:
    """A4 landscape, every column on one page wide (as many pages down as needed), the header row on every page."""
    sheet.set_paper(A4)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.set_footer("&C第 &P 页，共 &N 页")
    if header_row:
        sheet.repeat_rows(0)


def scheme_text(value: str) -> str:
    """险种类型 codes with their names: "110 企业职工基本养老保险;170 城乡居民基本养老保险"."""
    return ";".join(f"{code} {SCHEME_NAMES[code]}" if code in SCHEME_NAMES else code
                    for code in str(value).split(";"))


def _write_rule_sheet(book, formats: _Formats, name: str, clues: list[dict]) -> None:
    sheet = book.add_worksheet(name)
    _print_setup(sheet, header_row=True)
    with_changes = any(c.get("change") for c in clues)
    headers = [h for h, _ in CLUE_COLUMNS] + [RECOVERED_HEADER] + ([CHANGE_HEADER] if with_changes else [])
    keys = [c for _, c in CLUE_COLUMNS] + ["recovered_amount"] + (["change"] if with_changes else [])
    headers, keys = _with_workflow_columns(headers, keys)
    verify_keys = {"status", "finding", "rectification", "recovered_amount"} | WORKFLOW_KEYS
    widths = [display_width(h) + 2 for h in headers]
    for col, (header, key) in enumerate(zip(headers, keys)):
        sheet.write_string(0, col, header, formats.verify_header if key in verify_keys else formats.header)
    for row_index, clue in enumerate(clues, start=1):
        for col, key in enumerate(keys):
            value = clue.get(key)
            if key in verify_keys:
                if value is None or value == "":
                    sheet.write_blank(row_index, col, None,
                                      formats.verify_amount if key in VERIFY_AMOUNT_KEYS else
                                      formats.verify_date if key in VERIFY_DATE_KEYS else formats.verify)
                elif key in VERIFY_AMOUNT_KEYS:
                    sheet.write_number(row_index, col, float(value), formats.verify_amount)
                elif key in VERIFY_DATE_KEYS:
                    sheet.write_datetime(row_index, col, value, formats.verify_date)
                else:
                    sheet.write_string(row_index, col, _text(value), formats.verify)
                continue
            if value is None:
                sheet.write_blank(row_index, col, None, formats.text)
                continue
            if key in AMOUNT_COLUMNS:
                sheet.write_number(row_index, col, float(value), formats.amount)
                text = f"{float(value):,.2f}"
            elif key in INTEGER_COLUMNS:
                sheet.write_number(row_index, col, int(value), formats.integer)
                text = str(value)
            elif key in SCORE_COLUMNS:
                sheet.write_number(row_index, col, float(value), formats.score)
                text = f"{float(value):.4f}"
            else:
                text = scheme_text(value) if key == "scheme" else _text(value)
                sheet.write_string(row_index, col, text, formats.wrap if key in WIDE_COLUMNS else formats.text)
            widths[col] = max(widths[col], display_width(text) + 2)
    for col, key in enumerate(keys):
        cap = WIDE_COLUMNS.get(key, 28)
        width = min(max(widths[col], MIN_WIDTHS.get(key, 8)), cap)
        if key in ("status", "recovered_amount", "change") or key in WORKFLOW_KEYS:
            width = max(width, 12)
        sheet.set_column(col, col, width, None)
    sheet.set_row(0, 30)
    sheet.freeze_panes(1, 0)
    last_row, last_col = max(len(clues), 1), len(headers) - 1
    sheet.autofilter(0, 0, last_row, last_col)
    status_col = keys.index("status")
    sheet.data_validation(1, status_col, last_row, status_col, {
        "validate": "list", "source": STATUS_CHOICES,
        "input_title": "核查状态", "input_message": "请选择：" + "/".join(STATUS_CHOICES),
        "error_title": "核查状态", "error_message": "请从下拉列表中选择：" + "/".join(STATUS_CHOICES),
    })
    recovered_col = keys.index("recovered_amount")
    sheet.data_validation(1, recovered_col, last_row, recovered_col, {
        "validate": "decimal", "criteria": ">=", "value": 0,
        "error_title": "追回金额", "error_message": "请输入追回金额（元，数字）",
    })
    _workflow_validations(sheet, keys, last_row)


def _with_workflow_columns(headers: list[str], keys: list[str]) -> tuple[list[str], list[str]]:
    """The workflow columns right after 追回金额 (before 变化情况)."""
    at = keys.index("recovered_amount") + 1
    return (headers[:at] + [h for h, _ in WORKFLOW_COLUMNS] + headers[at:],
            keys[:at] + [k for _, k in WORKFLOW_COLUMNS] + keys[at:])


def _workflow_validations(sheet, keys: list[str], last_row: int) -> None:
    """Drop-down for 处理方式, dates for 核查期限 / 销号日期, non-negative amounts, and a reminder of 回避."""
    rules = {
        "verifier": {"validate": "length", "criteria": "<=", "value": 50, "input_title": "核查人",
                     "input_message": "核查人不得为该线索所涉发放的经办人或审核人（回避）",
                     "error_title": "核查人", "error_message": "请填写核查人姓名或工号"},
        "deadline": {"validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
                     "maximum": dt.date(2099, 12, 31), "error_title": "核查期限",
                     "error_message": "请输入日期，如2024-07-31"},
        "disposal": {"validate": "list", "source": DISPOSAL_CHOICES, "input_title": "处理方式",
                     "input_message": "请选择：" + "/".join(DISPOSAL_CHOICES), "error_title": "处理方式",
                     "error_message": "请从下拉列表中选择：" + "/".join(DISPOSAL_CHOICES)},
        "amount_due": {"validate": "decimal", "criteria": ">=", "value": 0, "error_title": "应追回金额",
                       "error_message": "请输入应追回金额（元，数字）"},
        "amount_recovered": {"validate": "decimal", "criteria": ">=", "value": 0, "error_title": "已追回金额",
                             "error_message": "请输入已追回金额（元，数字，不大于应追回金额）"},
        "signed_off_by": {"validate": "length", "criteria": "<=", "value": 50, "input_title": "销号人",
                          "input_message": "有核查结论（属实/部分属实/不属实）后方可销号，销号人与销号日期同时填写",
                          "error_title": "销号人", "error_message": "请填写销号人姓名或工号"},
        "signed_off_on": {"validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
                          "maximum": dt.date(2099, 12, 31), "error_title": "销号日期",
                          "error_message": "请输入日期（不早于核查结论），如2024-07-31"},
    }
    for key, rule in rules.items():
        col = keys.index(key)
        sheet.data_validation(1, col, last_row, col, rule)


# ---------------------------------------------------------------------------- the summary sheet


class _Summary:
    """Writes sections of small tables down the summary sheet."""

    def __init__(self, sheet, formats: _Formats):
        self.sheet, self.f, self.row = sheet, formats, 0
        self.widths: dict[int, int] = {}

    def _fit(self, col: int, text: str, cap: int = 50) -> None:
        self.widths[col] = min(max(self.widths.get(col, 8), display_width(text) + 2), cap)

    def title(self, text: str) -> None:
        self.sheet.write_string(self.row, 0, text, self.f.title)
        self.sheet.set_row(self.row, 24)
        self.row += 2

    def section(self, text: str) -> None:
        self.sheet.write_string(self.row, 0, text, self.f.section)
        self.row += 1

    def note(self, text: str) -> None:
        self.sheet.write_string(self.row, 0, text, self.f.note)
        self.row += 1

    def pairs(self, items: list[tuple[str, object]]) -> None:
        for label, value in items:
            self.sheet.write_string(self.row, 0, label, self.f.label)
            self._fit(0, label)
            self.cell(self.row, 1, value)
            self.row += 1
        self.row += 1

    def cell(self, row: int, col: int, value, style: str = "", kind: str = "") -> None:
        f = self.f
        if value is None:
            self.sheet.write_blank(row, col, None, f.total if style == "total" else f.cell)
        elif kind == "amount" or isinstance(value, (Decimal, float)) and kind != "percent":
            self.sheet.write_number(row, col, float(value), f.total_amount if style == "total" else f.cell_amount)
            self._fit(col, f"{float(value):,.2f}")
        elif kind == "percent":
            self.sheet.write_number(row, col, float(value), f.cell_percent)
        elif isinstance(value, bool):
            self.sheet.write_string(row, col, "是" if value else "否", f.cell)
        elif isinstance(value, int):
            self.sheet.write_number(row, col, value, f.total_integer if style == "total" else f.cell_integer)
            self._fit(col, f"{value:,}")
        else:
            text = _text(value)
            fmt = {"total": f.total, "bad": f.bad}.get(style, f.cell)
            self.sheet.write_string(row, col, text, fmt)
            self._fit(col, text)

    def table(self, headers: list[str], rows: list[list], kinds: list[str] | None = None,
              total: list | None = None, styles: list[list[str]] | None = None) -> None:
        kinds = kinds or [""] * len(headers)
        for col, header in enumerate(headers):
            self.sheet.write_string(self.row, col, header, self.f.header)
            self._fit(col, header)
        self.row += 1
        for r, values in enumerate(rows):
            for col, value in enumerate(values):
                style = styles[r][col] if styles else ""
                self.cell(self.row, col, value, style, kinds[col])
            self.row += 1
        if total is not None:
            for col, value in enumerate(total):
                self.cell(self.row, col, value, "total", kinds[col] if value is not None else "")
            self.row += 1
        self.row += 1

    def finish(self) -> None:
        for col, width in self.widths.items():
            self.sheet.set_column(col, col, width)


def _write_summary(book, formats: _Formats, con, manifest: dict, order: list[str], catalogue: dict,
                   sheets: dict[str, str]) -> None:
    sheet = book.add_worksheet(SUMMARY_SHEET)
    _print_setup(sheet, header_row=False)
    s = _Summary(sheet, formats)
    run = manifest.get("run", {})
    total_clues = con.execute("select count(*) from clues").fetchone()[0]
    improper_total, exposure_total = con.execute(TOTALS_SQL).fetchone()
    s.title("问题线索清单 · 汇总")
    s.pairs([
        ("运行类型", RUN_KINDS.get(run.get("kind"), run.get("kind") or "")),
        ("行政区划", run.get("county") or "、".join(sorted({i.get("county") for i in manifest.get("inputs", [])
                                                          if i.get("county")}))),
        ("输入目录", run.get("input", "")),
        ("开始时间", manifest.get("started_at", "")),
        ("fundwatch 版本", (manifest.get("versions") or {}).get("fundwatch", "")),
        ("线索总数", int(total_clues)),
        ("问题金额合计（元）", Decimal(improper_total)),
        ("涉及金额合计（元）", Decimal(exposure_total)),
    ])
    s.note("问题金额：认定不应发放的规则计入的发放；涉及金额：所有线索计入的发放（含需核实的 E04、A01–A03、M01）。"
           "均扣除冲正和未到账的发放，同一笔发放只计一次；按规则、按行政区划的金额分别计算，相加会重复计算。")
    s.row += 1

    s.section("一、按规则统计")
    per_rule = {r: (n, a, high) for r, n, a, high in con.execute(
        "select rule_id, count(*), sum(amount), count(*) filter (severity = '高') from clues group by 1").fetchall()}
    outcomes = {r["rule_id"]: r for r in manifest.get("rules", [])}
    rows, styles = [], []
    for rule_id in order:
        info = catalogue.get(rule_id, {})
        outcome = outcomes.get(rule_id, {})
        n, amount, _ = per_rule.get(rule_id, (0, Decimal(0), 0))
        status = STATUS_NAMES.get(outcome.get("status"), outcome.get("status") or "—")
        reason = outcome.get("reason") or ""
        if outcome.get("status") == "run" and reason:
            status = "已运行（部分未检查）"
        rows.append([rule_id, info.get("title", ""), info.get("severity", ""), info.get("subject", ""), status,
                     int(n), Decimal(amount or 0), sheets.get(rule_id, ""), reason])
        styles.append(["", "", "", "", "bad" if outcome.get("status") == "skipped" else "", "", "", "", ""])
    s.table(["规则编号", "线索类型", "风险等级", "对象类型", "运行状态", "线索数", "涉及金额（元）", "明细工作表", "说明"],
            rows, ["", "", "", "", "", "", "amount", "", ""],
            total=["合计（金额每笔只计一次）", None, None, None, None, int(total_clues), Decimal(exposure_total), None, None],
            styles=styles)

    s.section("二、按行政区划统计")
    by_region = con.execute(
        "select region_code, count(*), count(*) filter (severity = '高'), count(*) filter (severity = '中'), "
        "count(*) filter (severity = '低'), sum(amount) from clues group by 1 order by 1").fetchall()
    s.table(["行政区划代码", "线索数", "高", "中", "低", "涉及金额（元）"],
            [[r or "（未知）", int(n), int(h), int(m), int(lo), Decimal(a)] for r, n, h, m, lo, a in by_region],
            ["", "", "", "", "", "amount"],
            total=["合计（金额每笔只计一次）", int(total_clues), None, None, None, Decimal(exposure_total)])
    s.note("跨地区线索的行政区划代码为所涉各县区以“;”连接，单独成行。")
    s.row += 1

    s.section("三、数据质量：输入文件读取与核对（读取行数 = 入库行数 + 隔离行数）")
    rows, styles = [], []
    inputs = manifest.get("inputs", [])
    for f in inputs:
        read, loaded, quarantined = (int(f.get(k) or 0) for k in ("rows_read", "rows_loaded", "rows_quarantined"))
        ok = read == loaded + quarantined
        rows.append([f.get("path", ""), TABLE_TITLES.get(f.get("table"), f.get("table") or ""),
                     f.get("county") or "参考数据", f.get("encoding") or "",
                     read, loaded, quarantined, "一致" if ok else "不一致", (f.get("sha256") or "")[:16]])
        styles.append([""] * 7 + ["" if ok else "bad", ""])
    totals = [sum(int(f.get(k) or 0) for f in inputs) for k in ("rows_read", "rows_loaded", "rows_quarantined")]
    s.table(["文件", "数据表", "行政区划", "编码", "读取行数", "入库行数", "隔离行数", "核对", "SHA-256（前16位）"],
            rows, total=["合计", None, None, None, *totals, None, None], styles=styles)
    ignored = manifest.get("ignored_files") or []
    if ignored:
        s.note("未读取的文件：" + "；".join(str(i) for i in ignored))
        s.row += 1
    quarantine = con.execute(
        "select table_name, coalesce(column_name, ''), regexp_replace(reason, '（与第[0-9]+行相同）', ''), count(*) "
        "from quarantine group by all order by 4 desc, 1, 2, 3").fetchall()
    if quarantine:
        s.note("隔离的输入行（按原因汇总；逐行明细见 quarantine.csv）：")
        s.table(["数据表", "列", "隔离原因", "行数"],
                [[TABLE_TITLES.get(t, t), c, r, int(n)] for t, c, r, n in quarantine])

    s.section("四、数据质量：未通过的校验规则（Great Expectations）")
    validation = manifest.get("validation") or {}
    if "tables" not in validation:
        reason = validation.get("skipped") if isinstance(validation.get("skipped"), str) else ""
        s.note("本次未进行数据质量校验" + (f"：{reason}" if reason else "。"))
        s.row += 1
    else:
        overview = [[TABLE_TITLES.get(t, t), int(v.get("rows") or 0), int(v.get("expectations") or 0), int(v.get("failed") or 0)]
                    for t, v in validation["tables"].items()]
        s.table(["数据表", "行数", "校验项数", "未通过"], overview)
        failed = [[TABLE_TITLES.get(t, t), r.get("column") or "", r.get("description") or r.get("expectation") or "",
                   r.get("unexpected_count"), (r.get("unexpected_percent") or 0) / 100]
                  for t, v in validation["tables"].items() for r in v.get("results", []) if not r.get("success")]
        if failed:
            s.table(["数据表", "列", "校验规则", "异常行数", "异常占比"], failed, ["", "", "", "", "percent"])
        else:
            s.note("全部校验规则均已通过。")
            s.row += 1

    s.section("五、未运行或部分未检查的规则")
    skipped = [[r["rule_id"], catalogue.get(r["rule_id"], {}).get("title", ""),
                STATUS_NAMES.get(r.get("status"), r.get("status")), r.get("reason") or ""]
               for r in manifest.get("rules", []) if r.get("status") == "skipped" or r.get("reason")]
    if skipped:
        s.table(["规则编号", "线索类型", "运行状态", "原因"], skipped)
    else:
        s.note("全部规则均已完整运行。")
    s.finish()
    sheet.set_column(0, 0, max(s.widths.get(0, 10), 18))
    sheet.activate()


# ---------------------------------------------------------------------------- the management sheet


def _write_management_sheet(book, formats: _Formats, con, mask: bool) -> None:
    """管理问题: management.csv's rows (CLUES.md columns); masked, staff IDs keep their last two characters."""
    from fundwatch.management import MANAGEMENT_COLUMNS
    from fundwatch.masking import mask_tail

    keys = [c for _, c in MANAGEMENT_COLUMNS]
    rows = con.execute(f"select {', '.join(keys)} from management order by "
                       "case part when 'late_stops' then 0 when 'staff_clues' then 1 else 2 end, amount desc, "
                       "finding_id").fetchall()
    sheet = book.add_worksheet(MANAGEMENT_SHEET)
    _print_setup(sheet, header_row=True)
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
                text = _text(value)
                sheet.write_string(r, col, text, formats.wrap if key in ("note", "clue_ids") else formats.text)
            widths[col] = max(widths[col], display_width(text) + 2)
    for col, key in enumerate(keys):
        sheet.set_column(col, col, min(widths[col], 60 if key in ("note", "clue_ids") else 24))
    sheet.set_row(0, 30)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(keys) - 1)


# ---------------------------------------------------------------------------- the verification loop's lists


def _with_workflow_values(con: duckdb.DuckDBPyConnection, clues: list[dict], mask: bool) -> list[dict]:
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


def _list_sheet(book, formats: _Formats, name: str, headers: list[str], rows: list[list], note: str) -> None:
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
                text = _text(value)
                sheet.write_string(r, col, text, formats.wrap if display_width(text) > 40 else formats.text)
            widths[col] = max(widths[col], display_width(text) + 2)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(max(width, 10), 60))
    sheet.set_row(0, 30)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
    sheet.write_string(len(rows) + 2, 0, note, formats.note)


def _write_list_sheets(book, formats: _Formats, con: duckdb.DuckDBPyConnection, mask: bool) -> None:
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


# ---------------------------------------------------------------------------- entry point


def write_workbook(con: duckdb.DuckDBPyConnection, out_path: Path, manifest: dict, *, mask: bool = False) -> None:
    """Write clues.xlsx: the summary sheet, then one sheet per rule that has clues."""
    out_path = Path(out_path)
    order = _rule_order(con, manifest)
    catalogue = _catalogue(con)
    clues = clue_rows(con)
    clues = _with_workflow_values(con, clues, mask)
    if mask:
        clues = [masked_clue(c) for c in clues]
    by_rule: dict[str, list[dict]] = {}
    for clue in clues:
        by_rule.setdefault(clue["rule_id"], []).append(clue)
    taken = {SUMMARY_SHEET.lower(), MANAGEMENT_SHEET.lower()}
    sheets = {r: sheet_name(r, catalogue.get(r, {}).get("title", ""), taken) for r in order if r in by_rule}
    book = xlsxwriter.Workbook(str(out_path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                               "strings_to_urls": False})
    try:
        book.set_properties({"title": "问题线索清单", "subject": "社会保险基金疑点线索", "author": "fundwatch",
                             "comments": "已脱敏" if mask else "含个人信息，注意保密"})
        formats = _Formats(book)
        _write_summary(book, formats, con, manifest, order, catalogue, sheets)
        for rule_id, name in sheets.items():
            _write_rule_sheet(book, formats, name, by_rule[rule_id])
        if (manifest.get("management") or {}).get("written"):  # after the clues: "a summary, then a sheet per rule"
            _write_management_sheet(book, formats, con, mask)
        _write_list_sheets(book, formats, con, mask)
    finally:
        book.close()
    os.chmod(out_path, PRIVATE_FILE_MODE)
