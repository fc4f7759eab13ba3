"""The history database: its schema, and a run recorded in it with its clues and their staff."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from fundwatch.db import run_sql, table_exists
from fundwatch.locking import exclusive
from fundwatch.paths import sql_file


def _ensure_schema(history: Path) -> None:
    with duckdb.connect(str(history)) as con:
        con.execute(sql_file("history/schema.sql"))


@contextmanager
def locked(history: Path) -> Iterator[None]:
    """The history database held by this process alone, its schema in place."""
    with exclusive(history, f"history database {history.name}"):
        _ensure_schema(history)
        yield


def clue_staff(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(clue_id, staff, role) for every clue of a run's database: 经办, 审核, and names when a staff list exists."""
    run_sql(con, "clue staff", "create or replace temp table clue_staff as\n" + sql_file("history/clue_staff.sql"))
    rows = con.execute("select clue_id, staff, role from clue_staff").fetchall()
    if table_exists(con, "staff"):
        rows += con.execute(sql_file("history/clue_staff_names.sql")).fetchall()
    return rows


def insert_run(h: duckdb.DuckDBPyConnection, con: duckdb.DuckDBPyConnection, run_id: str, scope: str, started_at: str,
               out_dir: Path) -> None:
    """Insert one run, its clues and their staff into the history (the caller holds lock and transaction)."""
    rows = con.execute("select clue_id, rule_id, region_code, subject_type, period_start, period_end, "
                       "payment_count, amount, coalesce(change, '新增') from clues").fetchall()
    staff = clue_staff(con)
    h.execute("insert into history_runs values (?, ?, ?, ?)", [run_id, scope, started_at, str(out_dir)])
    h.executemany("insert into history_clues values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  [[run_id, scope, *row] for row in rows])
    if staff:
        h.executemany("insert into history_clue_staff values (?, ?, ?, ?)", [[run_id, *row] for row in staff])


def record_run(con: duckdb.DuckDBPyConnection, history: Path, scope: str, started_at: str, out_dir: Path) -> None:
    """Add this run and its clues to the history.

    Called before the outputs are published (the staging folder is not yet moved to OUT): a publish
    that then fails leaves this run in the history with none of its outputs in OUT.
    """
    history = Path(history)
    with locked(history):
        with duckdb.connect(str(history)) as h:
            h.execute("begin")
            insert_run(h, con, f"{started_at} {scope}", scope, started_at, out_dir)
            h.execute("commit")
