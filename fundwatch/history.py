"""The verification loop: feedback from the teams (核查结果) into a history database, and runs that
compare their clues with the previous run, carry the findings forward and report rectification.

The history database is append-only; every access holds its lock (fundwatch.locking), so two
processes never write it at once.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb

from fundwatch.db import run_sql, sql_literal
from fundwatch.locking import exclusive
from fundwatch.paths import sql_file
from fundwatch.workbook import RECOVERED_HEADER, STATUS_CHOICES, SUMMARY_SHEET

VERIFIED = ("属实", "部分属实", "不属实")
HEADER_ROWS_SEARCHED = 5



def _ensure_schema(history: Path) -> None:
    with duckdb.connect(str(history)) as con:
        con.execute(sql_file("history/schema.sql"))


def apply_history(con: duckdb.DuckDBPyConnection, history: Path, scope: str) -> dict:
    """Mark this run's clues against the history: changes, carried findings, suppressed 不属实 clues."""
    history = Path(history)
    with exclusive(history, f"history database {history.name}"):
        _ensure_schema(history)
        con.execute(f"attach {sql_literal(history)} as h (read_only)")
        try:
            con.execute("create or replace temp table run_scope as select ? as scope", [scope])
            for table in ("latest_feedback", "clue_changes", "rectification"):
                run_sql(con, f"history: {table}", f"create or replace table {table} as\n"
                        + sql_file(f"history/{table}.sql"))
        finally:
            con.execute("detach h")
    con.execute("""
        delete from clue_evidence where clue_id in (select clue_id from clue_changes where change = '不属实未再提出');
        delete from clues where clue_id in (select clue_id from clue_changes where change = '不属实未再提出');
        update clues set status = f.status, finding = f.finding, rectification = f.rectification,
                         recovered_amount = f.recovered_amount
        from latest_feedback as f where clues.clue_id = f.clue_id;
        update clues set change = c.change from clue_changes as c where clues.clue_id = c.clue_id;
    """)
    counts = dict(con.execute("select change, count(*) from clue_changes group by 1").fetchall())
    return {"scope": scope, "changes": counts}


def record_run(con: duckdb.DuckDBPyConnection, history: Path, scope: str, started_at: str, out_dir: Path) -> None:
    """Add this run and its clues to the history (after its outputs were published)."""
    history = Path(history)
    run_id = f"{started_at} {scope}"
    rows = con.execute("select clue_id, rule_id, region_code, subject_type, period_start, period_end, "
                       "payment_count, amount, coalesce(change, '新增') from clues").fetchall()
    with exclusive(history, f"history database {history.name}"):
        _ensure_schema(history)
        with duckdb.connect(str(history)) as h:
            h.execute("begin")
            h.execute("insert into history_runs values (?, ?, ?, ?)", [run_id, scope, started_at, str(out_dir)])
            h.executemany("insert into history_clues values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          [[run_id, scope, *row] for row in rows])
            h.execute("commit")


# ---------------------------------------------------------------------------- feedback files


@dataclass
class FeedbackRow:
    sheet: str | None
    row: int
    clue_id: str
    status: str
    finding: str
    rectification: str
    recovered: str


@dataclass
class FeedbackReport:
    rows: int = 0
    new: int = 0
    updated: list[tuple[str, str, str]] = field(default_factory=list)  # clue, old status, new status
    unchanged: int = 0
    problems: list[tuple[str, int, str, str]] = field(default_factory=list)  # sheet, row, clue, problem

    @property
    def accepted(self) -> bool:
        return not self.problems


def _text(value: object) -> str:
    if value is None:
        return ""
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
                                cell(row, "核查结果"), cell(row, "整改情况"), cell(row, RECOVERED_HEADER)))
    return rows


def read_feedback_file(path: Path) -> list[FeedbackRow]:
    """The filled-in rows of a returned clue list: clues.xlsx (every rule sheet) or clues.csv."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
        rows = []
        for name in book.sheet_names:
            if name != SUMMARY_SHEET:
                rows += _rows_from_table(name, book.get_sheet_by_name(name).to_python(skip_empty_area=False), 1)
        return rows
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    return _rows_from_table(None, list(csv.reader(text.splitlines())), 1)


def _recovered(value: str) -> Decimal | None:
    if not value:
        return None
    amount = Decimal(value.replace(",", "").replace("¥", "").replace("元", ""))
    if amount < 0 or not amount.is_finite():
        raise InvalidOperation
    return amount.quantize(Decimal("0.01"))


def import_feedback(path: Path, history: Path) -> FeedbackReport:
    """Check every filled row; store them all as new versions, or none when any row is wrong."""
    history = Path(history)
    report = FeedbackReport()
    rows = [r for r in read_feedback_file(path) if r.status or r.finding or r.rectification or r.recovered]
    report.rows = len(rows)
    with exclusive(history, f"history database {history.name}"):
        _ensure_schema(history)
        with duckdb.connect(str(history)) as h:
            known = dict(h.execute("select clue_id, max(period_end) from history_clues group by 1").fetchall())
            latest = {r[0]: r[1:] for r in h.execute(
                "select clue_id, status, finding, rectification, recovered_amount, version from feedback "
                "qualify row_number() over (partition by clue_id order by version desc) = 1").fetchall()}
            seen: dict[str, FeedbackRow] = {}
            accepted = []
            for r in rows:
                where = (r.sheet or Path(path).name, r.row, r.clue_id)
                if not r.clue_id:
                    report.problems.append((*where, "线索编号为空"))
                    continue
                if r.clue_id not in known:
                    report.problems.append((*where, "线索编号不在历史库中（可能被修改或来自其他批次）"))
                    continue
                if r.status not in STATUS_CHOICES:
                    shown = f"「{r.status}」" if r.status else "为空"
                    report.problems.append((*where, f"核查状态{shown}不是可选值（{'/'.join(STATUS_CHOICES)}）"))
                    continue
                try:
                    recovered = _recovered(r.recovered)
                except (InvalidOperation, ValueError):
                    report.problems.append((*where, f"追回金额「{r.recovered}」不是非负数字"))
                    continue
                if r.clue_id in seen:
                    first = seen[r.clue_id]
                    if (first.status, first.finding, first.rectification, first.recovered) != (
                            r.status, r.finding, r.rectification, r.recovered):
                        report.problems.append((*where, f"同一线索重复出现且内容不一致（另见第{first.row}行）"))
                    continue
                seen[r.clue_id] = r
                accepted.append((r, recovered))
            if report.problems:
                return report
            recorded_at = dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")
            inserts = []
            for r, recovered in accepted:
                previous = latest.get(r.clue_id)
                values = (r.status, r.finding or None, r.rectification or None, recovered)
                if previous and tuple(previous[:4]) == values:
                    report.unchanged += 1
                    continue
                if previous:
                    report.updated.append((r.clue_id, previous[0], r.status))
                else:
                    report.new += 1
                version = (previous[4] + 1) if previous else 1
                inserts.append([r.clue_id, version, *values, known[r.clue_id], str(path), r.sheet, r.row, recorded_at])
            h.execute("begin")
            h.executemany("insert into feedback values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", inserts)
            h.execute("commit")
    return report
