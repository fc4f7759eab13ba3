"""The staging database `raw` a run reads its files into, one table per file."""

from __future__ import annotations

from pathlib import Path

import duckdb

from fundwatch.ingest.csv_files import read_csv
from fundwatch.ingest.files import InputError, InputFile
from fundwatch.ingest.parquet_files import read_parquet
from fundwatch.ingest.specs import TableSpec
from fundwatch.ingest.xlsx_files import read_xlsx


def attach_staging(con: duckdb.DuckDBPyConnection) -> None:
    """`raw`: an in-memory database for the text as read and the typing steps, spilled to disk when
    memory runs short; none of it is written to (or kept in) the run's database file."""
    con.execute("attach if not exists ':memory:' as raw")


def drop_raw(con: duckdb.DuckDBPyConnection, files: list[InputFile]) -> None:
    """Free the text of files whose rows are typed (their raw tables and views)."""
    prefixes = tuple(f"f{f.index:04d}" for f in files)
    objects = con.execute("select view_name, 'view' from duckdb_views() where database_name = 'raw' "
                          "union all select table_name, 'table' from duckdb_tables() where database_name = 'raw' "
                          "order by 2 desc").fetchall()  # views before the tables they read
    for name, kind in objects:
        if name.startswith(prefixes):
            con.execute(f"drop {kind} raw.{name}")


def read_raw(con: duckdb.DuckDBPyConnection, f: InputFile, spec: TableSpec, work_dir: Path) -> None:
    """Read one input file into raw.fNNNN (text columns plus source_line); `raw` is attach_staging's."""
    suffix = f.path.suffix.lower()
    try:
        if suffix == ".xlsx":
            read_xlsx(con, f, spec)
        elif suffix == ".parquet":
            read_parquet(con, f, spec)
        else:
            read_csv(con, f, spec, work_dir)
    except (PermissionError, IsADirectoryError, FileNotFoundError) as error:
        raise InputError(f"{f.rel}: cannot be opened ({error.strerror or type(error).__name__})") from None
