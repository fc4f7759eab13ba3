"""Storing a returned clue list's feedback: every row checked, then all stored as new versions or none."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from fundwatch.history.feedback_checks import STORED_COLUMNS, parse_row, verdict_since, workflow_problems
from fundwatch.history.feedback_file import FeedbackRow, read_feedback_file
from fundwatch.history.run_folders import run_beside, run_folder
from fundwatch.history.store import clue_staff, insert_run, locked


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


def import_feedback(path: Path, history: Path, run_dir: Path | None = None) -> FeedbackReport:
    """Check every filled row; store them all as new versions, or none when any row is wrong.

    The clue IDs must be in the history: recorded by a run with --history, or by the run in `run_dir`
    (or in the folder the file sits in), whose clues are then added to the history with the feedback.
    """
    history = Path(history)
    report = FeedbackReport()
    rows = [r for r in read_feedback_file(path) if r.filled]
    report.rows = len(rows)
    folder = run_folder(run_dir) if run_dir is not None else run_beside(path)
    with locked(history):
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
                    run_staff = clue_staff(con)
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
                parsed, problems = parse_row(r)
                since, stored = verdict_since(versions.get(r.clue_id, []), parsed.status)
                problems += workflow_problems(r, parsed, staff.get(r.clue_id, set()),
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
                    insert_run(h, con, register.run_id, register.scope, register.started_at, register.out_dir)
                report.registered = register.run_id
            columns = ("clue_id", "version", *STORED_COLUMNS, "verdict_period_end", "source_file", "source_sheet",
                       "source_row", "recorded_at")
            h.executemany(f"insert into feedback ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
                          inserts)
            h.execute("commit")
    return report
