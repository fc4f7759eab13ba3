"""clues.xlsx's building blocks: the sheet names and choices the workbook and `fundwatch feedback`
share, the cell formats, the print setup and column widths."""

from __future__ import annotations

import re
import unicodedata

import xlsxwriter

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
AMOUNT_FORMAT = "#,##0.00"
A4 = 9  # xlsxwriter's paper code


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


def cell_text(value) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text[:MAX_CELL_CHARS]


class Formats:
    """The workbook's cell formats, added to the book once."""

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


def print_setup(sheet, header_row: bool) -> None:
    """A4 landscape, every column on one page wide (as many pages down as needed), the header row on every page."""
    sheet.set_paper(A4)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.set_footer("&C第 &P 页，共 &N 页")
    if header_row:
        sheet.repeat_rows(0)

