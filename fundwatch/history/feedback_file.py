"""Reading a returned clue list (clues.xlsx or clues.csv): the rows a team filled in."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from fundwatch.workbook import LIST_SHEETS, RECOVERED_HEADER, SUMMARY_SHEET, WORKFLOW_COLUMNS


HEADER_ROWS_SEARCHED = 5


@dataclass
class FeedbackRow:
    sheet: str | None
    row: int
    clue_id: str
    status: str
    finding: str
    rectification: str
    recovered: str
    verifier: str = ""
    deadline: str = ""
    disposal: str = ""
    amount_due: str = ""
    amount_recovered: str = ""
    signed_off_by: str = ""
    signed_off_on: str = ""

    @property
    def filled(self) -> bool:
        return any((self.status, self.finding, self.rectification, self.recovered, *self.workflow))

    @property
    def workflow(self) -> tuple[str, ...]:
        return (self.verifier, self.deadline, self.disposal, self.amount_due, self.amount_recovered,
                self.signed_off_by, self.signed_off_on)

    @property
    def content(self) -> tuple[str, ...]:
        return (self.status, self.finding, self.rectification, self.recovered, *self.workflow)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows_from_table(sheet: str | None, table: list[list], first_row: int) -> list[FeedbackRow]:
    header_index = next((i for i, row in enumerate(table[:HEADER_ROWS_SEARCHED])
                         if "线索编号" in [_text(c) for c in row]), None)
    if header_index is None:
        return []
    headers = [_text(c) for c in table[header_index]]

    def cell(row: list, name: str) -> str:
        return _text(row[headers.index(name)]) if name in headers and headers.index(name) < len(row) else ""

    rows = []
    for offset, row in enumerate(table[header_index + 1:], start=header_index + 1):
        rows.append(FeedbackRow(sheet, first_row + offset, cell(row, "线索编号"), cell(row, "核查状态"),
                                cell(row, "核查结果"), cell(row, "整改情况"), cell(row, RECOVERED_HEADER),
                                *(cell(row, header) for header, _ in WORKFLOW_COLUMNS)))
    return rows


def read_feedback_file(path: Path) -> list[FeedbackRow]:
    """The filled-in rows of a returned clue list: clues.xlsx (every rule sheet) or clues.csv."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
        rows = []
        for name in book.sheet_names:
            if name != SUMMARY_SHEET and name not in LIST_SHEETS:
                rows += _rows_from_table(name, book.get_sheet_by_name(name).to_python(skip_empty_area=False), 1)
        return rows
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    return _rows_from_table(None, list(csv.reader(text.splitlines())), 1)
