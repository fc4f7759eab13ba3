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
from pathlib import Path

import duckdb
import xlsxwriter

from fundwatch.emit import CLUE_COLUMNS
from fundwatch.masking import clue_rows, masked_clue
from fundwatch.summary import RunSummary, run_summary
from fundwatch.workbook_layout import (CHANGE_HEADER, DISPOSAL_CHOICES, LIST_SHEETS, MANAGEMENT_SHEET,  # noqa: F401
                                       OVERDUE_SHEET, PRIVATE_FILE_MODE, RECHECK_SHEET, RECOVERED_HEADER,
                                       STATUS_CHOICES, SUMMARY_SHEET, TIPOFF_SHEET, VERIFY_AMOUNT_KEYS,
                                       VERIFY_DATE_KEYS, WORKFLOW_COLUMNS, WORKFLOW_KEYS, Formats, cell_text,
                                       display_width, print_setup, sheet_name)
from fundwatch.workbook_lists import with_workflow_values, write_list_sheets, write_management_sheet
from fundwatch.workbook_summary import write_summary_sheet

# Columns written as numbers; every other clue column is text.
AMOUNT_COLUMNS = {"amount"}
INTEGER_COLUMNS = {"payment_count"}
SCORE_COLUMNS = {"score"}
MIN_WIDTHS = {"clue_id": 18, "id_number": 21, "person_id": 16, "name": 12, "region_code": 14}
WIDE_COLUMNS = {"evidence": 60, "policy_basis": 48, "suggestion": 40, "finding": 30, "rectification": 30}
SCHEME_NAMES = {"110": "企业职工基本养老保险", "120": "机关事业单位基本养老保险", "170": "城乡居民基本养老保险",
                "210": "失业保险", "410": "工伤保险"}


# ---------------------------------------------------------------------------- the rule sheets


def scheme_text(value: str) -> str:
    """险种类型 codes with their names: "110 企业职工基本养老保险;170 城乡居民基本养老保险"."""
    return ";".join(f"{code} {SCHEME_NAMES[code]}" if code in SCHEME_NAMES else code
                    for code in str(value).split(";"))


def _write_rule_sheet(book, formats: Formats, name: str, clues: list[dict]) -> None:
    sheet = book.add_worksheet(name)
    print_setup(sheet, header_row=True)
    with_changes = any(c.get("change") for c in clues)
    headers = [h for h, _ in CLUE_COLUMNS] + [RECOVERED_HEADER] + ([CHANGE_HEADER] if with_changes else [])
    keys = [c for _, c in CLUE_COLUMNS] + ["recovered_amount"] + (["change"] if with_changes else [])
    headers, keys = _with_workflow_columns(headers, keys)
    verify_keys = {"status", "finding", "rectification", "recovered_amount"} | WORKFLOW_KEYS
    widths = [display_width(h) + 2 for h in headers]
    caps = [WIDE_COLUMNS.get(key, 28) for key in keys]  # a width at its cap is not measured further
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
                    sheet.write_string(row_index, col, cell_text(value), formats.verify)
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
                text = scheme_text(value) if key == "scheme" else cell_text(value)
                sheet.write_string(row_index, col, text, formats.wrap if key in WIDE_COLUMNS else formats.text)
            if widths[col] < caps[col]:
                widths[col] = max(widths[col], display_width(text) + 2)
    for col, key in enumerate(keys):
        width = min(max(widths[col], MIN_WIDTHS.get(key, 8)), caps[col])
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


# ---------------------------------------------------------------------------- entry point


def write_workbook(con: duckdb.DuckDBPyConnection, out_path: Path, manifest: dict, *, mask: bool = False,
                   summary: RunSummary | None = None) -> None:
    """Write clues.xlsx: the summary sheet, then one sheet per rule that has clues. `summary` is the
    run's (fundwatch.summary.run_summary), computed here when not given."""
    out_path = Path(out_path)
    summary = summary or run_summary(con, manifest)
    clues = clue_rows(con, for_masking=mask)
    clues = with_workflow_values(con, clues, mask)
    if mask:
        clues = [masked_clue(c) for c in clues]
    by_rule: dict[str, list[dict]] = {}
    for clue in clues:
        by_rule.setdefault(clue["rule_id"], []).append(clue)
    taken = {SUMMARY_SHEET.lower(), MANAGEMENT_SHEET.lower()}
    sheets = {r.rule_id: sheet_name(r.rule_id, r.title, taken) for r in summary.rules if r.rule_id in by_rule}
    book = xlsxwriter.Workbook(str(out_path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                               "strings_to_urls": False})
    try:
        book.set_properties({"title": "问题线索清单", "subject": "社会保险基金疑点线索", "author": "fundwatch",
                             "comments": "已脱敏" if mask else "含个人信息，注意保密"})
        formats = Formats(book)
        write_summary_sheet(book, formats, summary, manifest, sheets)
        for rule_id, name in sheets.items():
            _write_rule_sheet(book, formats, name, by_rule[rule_id])
        if (manifest.get("management") or {}).get("written"):  # after the clues: "a summary, then a sheet per rule"
            write_management_sheet(book, formats, con, mask)
        write_list_sheets(book, formats, con, mask)
    finally:
        book.close()
    os.chmod(out_path, PRIVATE_FILE_MODE)
