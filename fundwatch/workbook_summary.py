"""The summary sheet (汇总) of clues.xlsx: the run, clues and amounts per rule and per region, the
inputs' reconciliation, the quarantine, the validation results and the rules that were skipped — the
numbers of fundwatch.summary.run_summary, which the report shows too."""

from __future__ import annotations

from decimal import Decimal

from fundwatch.summary import STATUS_NAMES, RunSummary
from fundwatch.workbook_layout import SUMMARY_SHEET, Formats, cell_text, display_width, print_setup

RUN_KINDS = {"county": "县级（单个县区）", "city": "市级（多个县区联动）"}


class _Summary:
    """Writes sections of small tables down the summary sheet."""

    def __init__(self, sheet, formats: Formats):
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
            text = cell_text(value)
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


def write_summary_sheet(book, formats: Formats, summary: RunSummary, manifest: dict, sheets: dict[str, str]) -> None:
    """汇总; `sheets` names each rule's sheet (rules with clues)."""
    sheet = book.add_worksheet(SUMMARY_SHEET)
    print_setup(sheet, header_row=False)
    s = _Summary(sheet, formats)
    run = manifest.get("run", {})
    s.title("问题线索清单 · 汇总")
    s.pairs([
        ("运行类型", RUN_KINDS.get(run.get("kind"), run.get("kind") or "")),
        ("行政区划", summary.scope_name),
        ("输入目录", run.get("input", "")),
        ("开始时间", manifest.get("started_at", "")),
        ("fundwatch 版本", (manifest.get("versions") or {}).get("fundwatch", "")),
        ("线索总数", summary.total_clues),
        ("问题金额合计（元）", Decimal(summary.improper)),
        ("涉及金额合计（元）", Decimal(summary.exposure)),
    ])
    s.note("问题金额：认定不应发放的规则计入的发放；涉及金额：所有线索计入的发放（含需核实的 E04、A01–A03、M01）。"
           "均扣除冲正和未到账的发放，同一笔发放只计一次；按规则、按行政区划的金额分别计算，相加会重复计算。")
    s.row += 1

    s.section("一、按规则统计")
    s.table(["规则编号", "线索类型", "风险等级", "对象类型", "运行状态", "线索数", "涉及金额（元）", "明细工作表", "说明"],
            [[r.rule_id, r.title, r.severity, r.subject, r.status_text, r.clues, r.amount, sheets.get(r.rule_id, ""),
              r.reason] for r in summary.rules],
            ["", "", "", "", "", "", "amount", "", ""],
            total=["合计（金额每笔只计一次）", None, None, None, None, summary.total_clues, Decimal(summary.exposure),
                   None, None],
            styles=[["", "", "", "", "bad" if r.status == "skipped" else "", "", "", "", ""] for r in summary.rules])

    s.section("二、按行政区划统计")
    s.table(["行政区划代码", "线索数", "高", "中", "低", "涉及金额（元）"],
            [[r or "（未知）", int(n), int(h), int(m), int(lo), Decimal(a)] for r, n, h, m, lo, a in summary.regions],
            ["", "", "", "", "", "amount"],
            total=["合计（金额每笔只计一次）", summary.total_clues, None, None, None, Decimal(summary.exposure)])
    s.note("跨地区线索的行政区划代码为所涉各县区以“;”连接，单独成行。")
    s.row += 1

    s.section("三、数据质量：输入文件读取与核对（读取行数 = 入库行数 + 隔离行数）")
    s.table(["文件", "数据表", "行政区划", "编码", "读取行数", "入库行数", "隔离行数", "核对", "SHA-256（前16位）"],
            [[f.path, f.table_title, f.county, f.encoding, f.read, f.loaded, f.quarantined,
              "一致" if f.reconciled else "不一致", f.sha256[:16]] for f in summary.inputs],
            total=["合计", None, None, None, *summary.input_totals, None, None],
            styles=[[""] * 7 + ["" if f.reconciled else "bad", ""] for f in summary.inputs])
    if summary.ignored_files:
        s.note("未读取的文件：" + "；".join(summary.ignored_files))
        s.row += 1
    if summary.quarantine:
        s.note("隔离的输入行（按原因汇总；逐行明细见 quarantine.csv）：")
        s.table(["数据表", "列", "隔离原因", "行数"], [list(r) for r in summary.quarantine])

    s.section("四、数据质量：未通过的校验规则（Great Expectations）")
    if not summary.validated:
        s.note("本次未进行数据质量校验" + (f"：{summary.validation_skipped}" if summary.validation_skipped else "。"))
        s.row += 1
    else:
        s.table(["数据表", "行数", "校验项数", "未通过"], [list(r) for r in summary.validation_tables])
        if summary.failed_expectations:
            s.table(["数据表", "列", "校验规则", "异常行数", "异常占比"],
                    [[t, column, description, n, (share or 0) / 100]
                     for t, column, description, n, share in summary.failed_expectations],
                    ["", "", "", "", "percent"])
        else:
            s.note("全部校验规则均已通过。")
            s.row += 1

    s.section("五、未运行或部分未检查的规则")
    if summary.skipped_rules:
        s.table(["规则编号", "线索类型", "运行状态", "原因"],
                [[rule_id, title, STATUS_NAMES.get(status, status), reason]
                 for rule_id, title, status, reason in summary.skipped_rules])
    else:
        s.note("全部规则均已完整运行。")
    s.finish()
    sheet.set_column(0, 0, max(s.widths.get(0, 10), 18))
    sheet.activate()
