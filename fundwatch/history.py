"""The verification loop: feedback from the teams (核查结果 and the workflow 核查销号) into a history
database, and runs that compare their clues with the previous run, carry the findings forward, keep a
clue open until it is signed off, draw clues verified 不属实 for re-checking (抽查复核), list overdue
clues and report rectification.

The history database is append-only; every access holds its lock (fundwatch.locking), so two
processes never write it at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb

from fundwatch.db import run_sql, sql_literal, table_exists
from fundwatch.locking import exclusive
from fundwatch.paths import sql_file
from fundwatch.workbook import (DISPOSAL_CHOICES, LIST_SHEETS, RECOVERED_HEADER, STATUS_CHOICES, SUMMARY_SHEET,
                                WORKFLOW_COLUMNS)

VERIFIED = ("属实", "部分属实", "不属实")
HEADER_ROWS_SEARCHED = 5
HISTORY_TABLES = ("scope_clues", "latest_feedback", "clue_changes", "recheck", "overdue", "rectification")
# 核查人 may name several people: 张三、李四 / 张三,李四 / 张三;李四 / 张三 李四
PEOPLE_SEPARATORS = re.compile(r"[、,，;；/\s]+")


def _ensure_schema(history: Path) -> None:
    with duckdb.connect(str(history)) as con:
        con.execute(sql_file("history/schema.sql"))


def _recheck_settings() -> dict:
    from fundwatch.tipoffs import config

    settings = config()["recheck"]
    return {"share": float(settings["share"]), "minimum": int(settings["minimum"]), "seed": str(settings["seed"])}


def apply_history(con: duckdb.DuckDBPyConnection, history: Path, scope: str,
                  run_date: dt.date | None = None) -> dict:
    """Mark this run's clues against the history: changes, carried findings, held-back clues (verified
    不属实 and signed off, nothing new since), the re-check sample, overdue clues, rectification."""
    history = Path(history)
    run_date = run_date or dt.date.today()
    with exclusive(history, f"history database {history.name}"):
        _ensure_schema(history)
        con.execute(f"attach {sql_literal(history)} as h (read_only)")
        try:
            con.execute("create or replace temp table run_scope as select ? as scope, ?::date as run_date",
                        [scope, run_date])
            recheck = _recheck_settings()
            for table in HISTORY_TABLES:
                body = sql_file(f"history/{table}.sql")
                used = {k: v for k, v in recheck.items() if f"${k}" in body}
                run_sql(con, f"history: {table}", f"create or replace table {table} as\n" + body, used or None)
        finally:
            con.execute("detach h")
    verdicts = con.execute("select count(*) from rectification where verified > 0").fetchone()[0]
    con.execute("drop table if exists verified_ranking")
    if verdicts:
        run_sql(con, "history: verified_ranking", "create table verified_ranking as\n"
                + sql_file("history/verified_ranking.sql"))
    con.execute("""
        delete from clue_evidence where clue_id in (select clue_id from clue_changes where change = '不属实未再提出');
        delete from clues where clue_id in (select clue_id from clue_changes where change = '不属实未再提出');
        update clues set status = f.status, finding = f.finding, rectification = f.rectification,
                         recovered_amount = f.recovered_amount
        from latest_feedback as f where clues.clue_id = f.clue_id;
        update clues set change = c.change from clue_changes as c where clues.clue_id = c.clue_id;
    """)
    return history_summary(con, scope)


def history_summary(con: duckdb.DuckDBPyConnection, scope: str | None = None) -> dict:
    """The manifest's "history": changes, re-check and overdue counts (no personal data)."""
    counts = dict(con.execute("select change, count(*) from clue_changes group by 1").fetchall())
    summary = {"scope": scope, "changes": counts}
    if table_exists(con, "recheck"):
        population = con.execute("select coalesce(max(population), 0) from recheck").fetchone()[0]
        summary.update({
            "recheck": con.execute("select count(*) from recheck").fetchone()[0],
            "untrue_verdicts": int(population),
            "overdue": con.execute("select count(*) from overdue").fetchone()[0],
            "signed_off": con.execute("select count(*) from scope_clues join latest_feedback using (clue_id) "
                                      "where signed_off_on is not null").fetchone()[0],
            "ranking_basis": "verified" if table_exists(con, "verified_ranking") else "clues_per_10k",
        })
    return summary


def rank_counties_on_verified_results(con: duckdb.DuckDBPyConnection) -> bool:
    """The city's county_ranking re-ranked on verified results once the history holds verdicts."""
    if not (table_exists(con, "verified_ranking") and table_exists(con, "county_ranking")):
        return False
    run_sql(con, "ranking on verified results", sql_file("history/rank_counties.sql"))
    return True


RANKING_HEADERS = [("ranking_basis", "排名依据"), ("confirmed_share", "属实率"), ("recovery_rate", "追回率"),
                   ("rectification_rate", "整改率"), ("attention", "待关注指数"), ("clue_rate_rank", "按线索率排名")]


def ranking_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """county_ranking.csv's extra columns when the ranking is on verified results (rates as shares 0-1)."""
    names = {r[0] for r in con.execute("describe county_ranking").fetchall()} if table_exists(con, "county_ranking") \
        else set()
    if "ranking_basis" not in names:
        return []
    return [f"coalesce({c}::varchar, '') as \"{h}\"" if c == "ranking_basis" else
            f"case when {c} is null then '' else printf('%.4f', {c}) end as \"{h}\"" if c != "clue_rate_rank" else
            f'{c} as "{h}"' for c, h in RANKING_HEADERS]


def write_history_csvs(con: duckdb.DuckDBPyConnection, out_dir: Path) -> dict[str, int]:
    """clue_changes.csv, rectification.csv, recheck.csv, overdue.csv of a run with a history."""
    from fundwatch.emit import PRIVATE_FILE_MODE, SPREADSHEET_SAFE_MACRO, _copy_csv_with_bom

    if not table_exists(con, "clue_changes"):
        return {}
    con.execute(SPREADSHEET_SAFE_MACRO)
    counts = {}
    for name in ("clue_changes", "rectification", "recheck", "overdue"):
        if not table_exists(con, name):
            continue
        query = sql_file(f"history/csv/{name}.sql")
        target = Path(out_dir) / f"{name}.csv"
        _copy_csv_with_bom(con, query, target, f"writing {name}.csv")
        counts[target.name] = con.execute(f"select count(*) from ({query})").fetchone()[0]
    for name in ("recheck.csv", "overdue.csv"):  # names, ID numbers, verifiers
        if (Path(out_dir) / name).exists():
            (Path(out_dir) / name).chmod(PRIVATE_FILE_MODE)
    return counts


def _clue_staff(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(clue_id, staff, role) for every clue of a run's database: 经办, 审核, and names when a staff list exists."""
    run_sql(con, "clue staff", "create or replace temp table clue_staff as\n" + sql_file("history/clue_staff.sql"))
    rows = con.execute("select clue_id, staff, role from clue_staff").fetchall()
    if table_exists(con, "staff"):
        rows += con.execute(sql_file("history/clue_staff_names.sql")).fetchall()
    return rows


def _record(h: duckdb.DuckDBPyConnection, con: duckdb.DuckDBPyConnection, run_id: str, scope: str, started_at: str,
            out_dir: Path) -> None:
    """Insert one run, its clues and their staff into the history (the caller holds lock and transaction)."""
    rows = con.execute("select clue_id, rule_id, region_code, subject_type, period_start, period_end, "
                       "payment_count, amount, coalesce(change, '新增') from clues").fetchall()
    staff = _clue_staff(con)
    h.execute("insert into history_runs values (?, ?, ?, ?)", [run_id, scope, started_at, str(out_dir)])
    h.executemany("insert into history_clues values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  [[run_id, scope, *row] for row in rows])
    if staff:
        h.executemany("insert into history_clue_staff values (?, ?, ?, ?)", [[run_id, *row] for row in staff])


def record_run(con: duckdb.DuckDBPyConnection, history: Path, scope: str, started_at: str, out_dir: Path) -> None:
    """Add this run and its clues to the history (after its outputs were published)."""
    history = Path(history)
    with exclusive(history, f"history database {history.name}"):
        _ensure_schema(history)
        with duckdb.connect(str(history)) as h:
            h.execute("begin")
            _record(h, con, f"{started_at} {scope}", scope, started_at, out_dir)
            h.execute("commit")


# ---------------------------------------------------------------------------- a run made without --history


@dataclass(frozen=True)
class RunFolder:
    """An output folder whose clues the history may not hold yet (a run made without --history)."""

    out_dir: Path
    scope: str
    started_at: str

    @property
    def run_id(self) -> str:
        return f"{self.started_at} {self.scope}"

    @property
    def database(self) -> Path:
        return self.out_dir / "run.duckdb"


def run_folder(out_dir: Path) -> RunFolder:
    """The run in an output folder, from its manifest.json; its run.duckdb must be there (kept by default)."""
    from fundwatch.ingest import InputError

    out_dir = Path(out_dir).resolve()
    try:
        manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"{out_dir}: not a fundwatch output folder (manifest.json: {error})") from None
    if not (out_dir / "run.duckdb").is_file():
        raise InputError(f"{out_dir}: no run.duckdb (the run was made with --no-keep-database); "
                         "rerun with --history to record its clues")
    run = manifest.get("run") or {}
    scope = ("city:" + ";".join(run.get("counties") or []) if run.get("kind") == "city"
             else f"county:{run.get('county', '')}")
    return RunFolder(out_dir, scope, manifest["started_at"])


def _beside(path: Path) -> RunFolder | None:
    """The run whose output folder holds the feedback file itself (clues.xlsx filled in place), if any."""
    folder = Path(path).resolve().parent
    if (folder / "manifest.json").is_file() and (folder / "run.duckdb").is_file():
        try:
            return run_folder(folder)
        except Exception:  # noqa: BLE001 - not a usable run folder: the rows say what is unknown
            return None
    return None


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


@dataclass
class FeedbackReport:
    rows: int = 0
    new: int = 0
    updated: list[tuple[str, str, str]] = field(default_factory=list)  # clue, old status, new status
    unchanged: int = 0
    problems: list[tuple[str, int, str, str]] = field(default_factory=list)  # sheet, row, clue, problem
    registered: str | None = None  # a run made without --history whose clues were added to the history
    hint: str | None = None  # one line on what to do when the history does not know the clues

    @property
    def accepted(self) -> bool:
        return not self.problems


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


def _amount(value: str) -> Decimal | None:
    if not value:
        return None
    amount = Decimal(value.replace(",", "").replace("¥", "").replace("元", ""))
    if amount < 0 or not amount.is_finite():
        raise InvalidOperation
    return amount.quantize(Decimal("0.01"))


def _date(value: str) -> dt.date | None:
    """2024-07-31, 2024/7/31, 20240731 or an Excel date cell (read as 2024-07-31)."""
    if not value:
        return None
    text = value.strip()
    for pattern in (r"(\d{4})-(\d{1,2})-(\d{1,2})", r"(\d{4})/(\d{1,2})/(\d{1,2})", r"(\d{4})(\d{2})(\d{2})",
                    r"(\d{4})年(\d{1,2})月(\d{1,2})日"):
        found = re.fullmatch(pattern, text)
        if found:
            return dt.date(*(int(g) for g in found.groups()))
    raise ValueError(text)


@dataclass
class _Parsed:
    status: str
    finding: str | None
    rectification: str | None
    recovered: Decimal | None
    verifier: str | None
    deadline: dt.date | None
    disposal: str | None
    amount_due: Decimal | None
    amount_recovered: Decimal | None
    signed_off_by: str | None
    signed_off_on: dt.date | None

    def values(self) -> tuple:
        return (self.status, self.finding, self.rectification, self.recovered, self.verifier, self.deadline,
                self.disposal, self.amount_due, self.amount_recovered, self.signed_off_by, self.signed_off_on)


STORED_COLUMNS = ("status", "finding", "rectification", "recovered_amount", "verifier", "deadline", "disposal",
                  "amount_due", "amount_recovered", "signed_off_by", "signed_off_on")


def _parse(r: FeedbackRow) -> tuple[_Parsed, list[str]]:
    """The row's values typed (None where a value cannot be read), and what is wrong with them."""
    problems = []
    if r.status not in STATUS_CHOICES:
        shown = f"「{r.status}」" if r.status else "为空"
        problems.append(f"核查状态{shown}不是可选值（{'/'.join(STATUS_CHOICES)}）")
    amounts = {}
    for label, value in (("追回金额", r.recovered), ("应追回金额", r.amount_due), ("已追回金额", r.amount_recovered)):
        try:
            amounts[label] = _amount(value)
        except (InvalidOperation, ValueError):
            amounts[label] = None
            problems.append(f"{label}「{value}」不是非负数字")
    dates = {}
    for label, value in (("核查期限", r.deadline), ("销号日期", r.signed_off_on)):
        try:
            dates[label] = _date(value)
        except ValueError:
            dates[label] = None
            problems.append(f"{label}「{value}」不是日期（如2024-07-31）")
    if r.disposal and r.disposal not in DISPOSAL_CHOICES:
        problems.append(f"处理方式「{r.disposal}」不是可选值（{'/'.join(DISPOSAL_CHOICES)}）")
    return _Parsed(r.status, r.finding or None, r.rectification or None, amounts["追回金额"], r.verifier or None,
                   dates["核查期限"], r.disposal or None, amounts["应追回金额"], amounts["已追回金额"],
                   r.signed_off_by or None, dates["销号日期"]), problems


def _workflow_problems(r: FeedbackRow, p: _Parsed, staff: set[str], verdict_since: dt.date | None,
                       verdict_known: bool) -> list[str]:
    """回避, 已追回 > 应追回, a 销号 without a verdict or before it (CLUES.md)."""
    problems = []
    if p.verifier:
        conflicted = [v for v in PEOPLE_SEPARATORS.split(p.verifier) if v and v.upper() in staff]
        if conflicted:
            problems.append(f"核查人「{'、'.join(conflicted)}」经办或审核了该线索所涉发放（或为该线索所指经办人员），应回避")
    recovered = p.amount_recovered if p.amount_recovered is not None else p.recovered
    if p.amount_due is not None and recovered is not None and recovered > p.amount_due:
        problems.append(f"已追回金额{recovered}大于应追回金额{p.amount_due}")
    if r.signed_off_by or r.signed_off_on:
        if p.status not in VERIFIED:
            problems.append(f"未有核查结论（属实/部分属实/不属实）不能销号，核查状态为「{p.status}」")
        elif not (r.signed_off_by and r.signed_off_on):
            problems.append("销号须同时填写销号人和销号日期")
        elif verdict_since and p.signed_off_on and p.signed_off_on < verdict_since:
            since = (f"该结论于{verdict_since.isoformat()}录入" if verdict_known
                     else f"该线索{verdict_since.isoformat()}才提出")
            problems.append(f"销号日期{p.signed_off_on.isoformat()}早于核查结论（{since}）")
    return problems


def _verdict_since(versions: list[tuple], status: str) -> tuple[dt.date | None, bool]:
    """When the history first stored the clue's current verdict (the latest versions with this status)."""
    since = None
    for version_status, recorded_at in reversed(versions):
        if version_status != status:
            break
        since = dt.date.fromisoformat(recorded_at[:10])
    return since, since is not None


def import_feedback(path: Path, history: Path, run_dir: Path | None = None) -> FeedbackReport:
    """Check every filled row; store them all as new versions, or none when any row is wrong.

    The clue IDs must be in the history: recorded by a run with --history, or by the run in `run_dir`
    (or in the folder the file sits in), whose clues are then added to the history with the feedback.
    """
    history = Path(history)
    report = FeedbackReport()
    rows = [r for r in read_feedback_file(path) if r.filled]
    report.rows = len(rows)
    folder = run_folder(run_dir) if run_dir is not None else _beside(path)
    with exclusive(history, f"history database {history.name}"):
        _ensure_schema(history)
        with duckdb.connect(str(history)) as h:
            known = dict(h.execute("select clue_id, max(period_end) from history_clues group by 1").fetchall())
            raised = {c: dt.date.fromisoformat(s[:10]) for c, s in h.execute(
                "select c.clue_id, min(r.started_at) from history_clues as c join history_runs as r using (run_id) "
                "group by 1").fetchall()}
            staff: dict[str, set[str]] = {}
            for clue_id, person in h.execute("select clue_id, upper(trim(staff)) from history_clue_staff").fetchall():
                staff.setdefault(clue_id, set()).add(person)
            register = None
            if folder is not None and not h.execute("select count(*) from history_runs where run_id = ?",
                                                    [folder.run_id]).fetchone()[0]:
                with duckdb.connect(str(folder.database), read_only=True) as con:
                    run_clues = con.execute("select clue_id, period_end from clues").fetchall()
                    run_staff = _clue_staff(con)
                if any(r.clue_id in {c for c, _ in run_clues} and r.clue_id not in known for r in rows):
                    register = folder
                    for clue_id, period_end in run_clues:
                        known.setdefault(clue_id, period_end)
                        raised.setdefault(clue_id, dt.date.fromisoformat(folder.started_at[:10]))
                    for clue_id, person, _ in run_staff:
                        staff.setdefault(clue_id, set()).add(person.strip().upper())
            versions: dict[str, list[tuple]] = {}
            for clue_id, status, recorded_at in h.execute(
                    "select clue_id, status, recorded_at from feedback order by clue_id, version").fetchall():
                versions.setdefault(clue_id, []).append((status, recorded_at))
            latest = {r[0]: r[1:] for r in h.execute(
                f"select clue_id, {', '.join(STORED_COLUMNS)}, version from feedback "
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
                parsed, problems = _parse(r)
                since, stored = _verdict_since(versions.get(r.clue_id, []), parsed.status)
                problems += _workflow_problems(r, parsed, staff.get(r.clue_id, set()),
                                               since or raised.get(r.clue_id), stored)
                if r.clue_id in seen:
                    first = seen[r.clue_id]
                    if first.content != r.content:
                        problems.append(f"同一线索重复出现且内容不一致（另见第{first.row}行）")
                    elif not problems:
                        continue
                if problems:
                    report.problems.append((*where, "；".join(problems)))
                    continue
                seen[r.clue_id] = r
                accepted.append((r, parsed))
            unknown = [p for p in report.problems if p[3].startswith("线索编号不在历史库中")]
            if unknown and len(unknown) == len([r for r in rows if r.clue_id]) and folder is None:
                report.hint = (f"none of these 线索编号 is in {history}: was the run made without --history? "
                               f"name its output folder: fundwatch feedback {path} --history {history} --run OUT")
            if report.problems:
                return report
            recorded_at = dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")
            inserts = []
            for r, parsed in accepted:
                previous = latest.get(r.clue_id)
                values = parsed.values()
                if previous and tuple(previous[:len(STORED_COLUMNS)]) == values:
                    report.unchanged += 1
                    continue
                if previous:
                    report.updated.append((r.clue_id, previous[0], r.status))
                else:
                    report.new += 1
                version = (previous[-1] + 1) if previous else 1
                inserts.append([r.clue_id, version, *values, known[r.clue_id], str(path), r.sheet, r.row, recorded_at])
            h.execute("begin")
            if register is not None:
                with duckdb.connect(str(register.database), read_only=True) as con:
                    _record(h, con, register.run_id, register.scope, register.started_at, register.out_dir)
                report.registered = register.run_id
            columns = ("clue_id", "version", *STORED_COLUMNS, "verdict_period_end", "source_file", "source_sheet",
                       "source_row", "recorded_at")
            h.executemany(f"insert into feedback ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
                          inserts)
            h.execute("commit")
    return report
