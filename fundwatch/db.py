"""Opening a run's DuckDB database and running SQL with errors that say what was being built."""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from fundwatch import interrupt
from fundwatch.paths import sql_file

MACRO_FILES = ("load/macros.sql", "clues/macros.sql", "linkage/macros.sql")


DEFAULT_MEMORY_LIMIT_BYTES = 3 * 1024**3


def default_memory_limit() -> str:
    """3 GiB, or DuckDB's own default (80% of RAM) where that is less.

    DuckDB's default lets a 10M-row county take 8 GB; with 3 GiB for DuckDB (it spills the rest
    to disk) a run's whole process peaks near 3.5 GB, at some cost in speed (load 38 s -> 42 s at
    10M rows). `--memory-limit` raises it on bigger machines.
    """
    try:
        ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        ram = 0
    limit = min(DEFAULT_MEMORY_LIMIT_BYTES, int(ram * 0.8)) if ram else DEFAULT_MEMORY_LIMIT_BYTES
    return f"{limit // 1024**2}MB"


@dataclass(frozen=True)
class EngineSettings:
    """DuckDB resource limits; memory_limit None is default_memory_limit(), threads None DuckDB's default."""

    memory_limit: str | None = None  # e.g. "4GB"
    threads: int | None = None
    temp_directory: str | None = None


def redact(message: str) -> str:
    """A database error message without the values it quotes (they can be ID numbers or names)."""
    message = re.sub(r"'(?:[^']|'')*'", "'…'", message)
    return re.sub(r"\d{10,}", "…", message)


class SqlError(Exception):
    """A statement failed; names the step (the model being built), the file and the statement.

    The message (what users, logs and Prefect see) is one line: the step, DuckDB's first line with
    quoted values and long numbers redacted, then where: the SQL file (`source`), which statement
    of a script, and the statement's first words (redacted too). The failing statement in full is
    attached as a note (PEP 678), so it is in the traceback a run writes to OUT.error.log; the
    unredacted error is kept in `detail` only, not chained into tracebacks.
    """

    def __init__(self, step: str, error: Exception, sql: str, *, source: str | None = None,
                 statement: str | None = None, index: int = 1, count: int = 1):
        first = redact(str(error).splitlines()[0] if str(error) else type(error).__name__)
        statement = (statement if statement is not None else sql).strip()
        where = [source] if source else []
        if count > 1:
            where.append(f"statement {index} of {count}")
        head = _head(statement)
        located = ", ".join(where) + (": " if where and head else "") + head
        super().__init__(f"{step}: {first}" + (f" [{located}]" if located else ""))
        self.sql = sql
        self.statement = statement
        self.source = source
        self.detail = str(error)
        self.add_note(f"failing statement ({', '.join(where) or step}):\n{statement}")

    def __reduce__(self):  # crosses process boundaries (a Dask worker's task) with its message and note
        return _rebuilt, (str(self), self.sql, self.statement, self.source, self.detail, getattr(self, "__notes__", []))


def _rebuilt(message: str, sql: str, statement: str, source: str | None, detail: str, notes: list[str]) -> SqlError:
    error = SqlError.__new__(SqlError)
    Exception.__init__(error, message)
    error.sql, error.statement, error.source, error.detail = sql, statement, source, detail
    error.__notes__ = list(notes)
    return error


STATEMENT_HEAD_CHARS = 80


def _head(statement: str) -> str:
    """The statement's first words, on one line: comments dropped, spaces collapsed, values redacted."""
    code = re.sub(r"--[^\n]*", " ", statement)
    code = redact(" ".join(code.split()))
    return code if len(code) <= STATEMENT_HEAD_CHARS else code[: STATEMENT_HEAD_CHARS - 1].rstrip() + "…"


def connect(db_path: Path | str, settings: EngineSettings | None = None) -> duckdb.DuckDBPyConnection:
    settings = settings or EngineSettings()
    con = duckdb.connect(str(db_path))
    interrupt.track(con)
    con.execute(f"set memory_limit = '{settings.memory_limit or default_memory_limit()}'")
    if settings.threads:
        con.execute(f"set threads = {int(settings.threads)}")
    # DuckDB 2.0's common_subplan materialises a subplan that a query reads more than once; for the
    # recipient features (three reads of paid_payments, a view over a join) that made one aggregate
    # 5x slower (10M payments: 32.6 s, 13.4 s without it; the rules alike either way)
    con.execute("set disabled_optimizers = 'common_subplan'")
    # a connection may join a database instance another one holds open (flows.tasks.Database.kept_open),
    # where DuckDB refuses to switch a spill folder it has used, even to the same one
    if settings.temp_directory and \
            con.execute("select current_setting('temp_directory')").fetchone()[0] != settings.temp_directory:
        con.execute("set temp_directory = ?", [settings.temp_directory])
    _define_macros(con)
    return con


@functools.cache
def _macros() -> tuple[str, str]:
    text = "\n".join(sql_file(name) for name in MACRO_FILES)
    return text, hashlib.sha256(text.encode()).hexdigest()[:16]


def _define_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create fundwatch's macros in the database, unless this version of them is there already.

    They are stored in the database file, so the stages that reopen a run's database skip parsing
    them again (~0.1 s a time).
    """
    text, version = _macros()
    try:
        if con.execute("select fw_macros_version()").fetchone()[0] == version:
            return
    except duckdb.Error:
        pass
    con.execute(text)
    con.execute(f"create or replace macro fw_macros_version() as '{version}'")


def sql_literal(text: object) -> str:
    """A string (a path, usually) as a SQL literal, for statements that take no parameters (COPY, ATTACH)."""
    return "'" + str(text).replace("'", "''") + "'"


def statements_of(sql: str) -> list[str]:
    """The statements of a script, as written; the script itself when DuckDB cannot split it (a
    syntax error: executing it then reports the error)."""
    try:
        statements = [s.query for s in duckdb.extract_statements(sql)]
    except duckdb.Error:
        return [sql]
    return statements if len(statements) > 1 else [sql]


def run_sql(con: duckdb.DuckDBPyConnection, step: str, sql: str, params: dict | list | None = None, *,
            source: str | None = None):
    """Run a statement, or a script of several one by one, as one `execute` would (parameters bind to
    the last statement); returns the connection with the last statement's result.

    A failure raises SqlError naming `step` (the model being built), `source` (the SQL file, when
    the text comes from one) and the statement that failed.
    """
    statements = statements_of(sql)
    result = None
    for index, statement in enumerate(statements, start=1):
        if index > 1 and interrupt.requested():  # an interrupt between two statements stops the script too
            raise interrupt.Interrupted(interrupt.signal_name())
        try:
            if params is not None and index == len(statements):
                result = con.execute(statement, params)
            else:
                result = con.execute(statement)
        except duckdb.Error as error:
            raise SqlError(step, error, sql, source=source, statement=statement, index=index,
                           count=len(statements)) from None
    return result


def run_sql_file(con: duckdb.DuckDBPyConnection, step: str, relative: str, params: dict | list | None = None, *,
                 prefix: str = ""):
    """Run sql/<relative> (after `prefix`, e.g. "create or replace table x as"); errors name the file."""
    return run_sql(con, step, prefix + sql_file(relative), params, source=f"sql/{relative}")


def table_exists(con: duckdb.DuckDBPyConnection, name: str, schema: str = "main") -> bool:
    """A table or view of that name in a schema of any attached database, as information_schema.tables
    says, read from duckdb_tables() and duckdb_views() (half the time)."""
    return bool(
        con.execute(
            "select exists (select 1 from duckdb_tables() where schema_name = $1 and table_name = $2) "
            "or exists (select 1 from duckdb_views() where schema_name = $1 and view_name = $2)",
            [schema, name],
        ).fetchone()[0]
    )


def columns_with_values(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """Columns of a table that hold at least one non-null value (an optional column the files lacked is all null)."""
    names = [r[0] for r in con.execute(f"describe {table}").fetchall()]
    if not names:
        return set()
    counts = con.execute("select " + ", ".join(f'count("{n}")' for n in names) + f" from {table}").fetchone()
    return {n for n, c in zip(names, counts) if c}
