"""The reference lists of a city run (死亡、服刑、财政供养、就业、经办人员、信访), loaded once for every county.

Every county of a city folder reads the same reference/ folder. The city run loads it once, as a
county run would (typed, quarantined, reconciled), into a database of its own; each county's load
then copies the lists from there (fundwatch.load.load_inputs, `reference=`) instead of reading,
typing and checking the files again. A county's tables, row keys, quarantine rows and reconciliation
are the same as if it had read the files itself: row keys are renumbered to the county's own
numbering of its files, and each file's facts (hash, encoding, headers, rows read) come from the
one load.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from fundwatch.db import run_sql, sql_literal
from fundwatch.ingest import ROW_KEY_FILE_FACTOR, InputFile, RunInputs


@dataclass(frozen=True)
class SharedReference:
    """The reference lists loaded once: their database, and each reference file as that load read it."""

    database: Path
    files: tuple[InputFile, ...]

    def covers(self, f: InputFile) -> bool:
        return any(shared.rel == f.rel for shared in self.files)


def reference_files(inputs: RunInputs) -> list[InputFile]:
    return [f for f in inputs.files if f.county is None]


def take_shared_files(inputs: RunInputs, reference: SharedReference) -> None:
    """Give the county's reference files what the one load learnt of them, keeping the county's numbering."""
    loaded = {f.rel: f for f in reference.files}
    inputs.files[:] = [replace(loaded[f.rel], index=f.index) if f.rel in loaded else f for f in inputs.files]


def copy_reference(con: duckdb.DuckDBPyConnection, reference: SharedReference, inputs: RunInputs) -> None:
    """Copy the reference tables and their quarantine rows into the county's database."""
    shared = [f for f in inputs.files if reference.covers(f)]
    if not shared:
        return
    file_index = " ".join(f"when {sql_literal(f.rel)} then {f.index}" for f in shared)
    run_sql(con, "attaching the reference lists", f"attach {sql_literal(reference.database)} as shared_reference (read_only)")
    try:
        for table in sorted({f.table for f in shared}):
            run_sql(con, f"copying {table}",
                    f"insert into {table} by name select * replace ("
                    f"(case source_file {file_index} end) * {ROW_KEY_FILE_FACTOR} + source_line as row_key) "
                    f"from shared_reference.{table}")
        run_sql(con, "copying the reference quarantine", "insert into quarantine select * from shared_reference.quarantine")
    finally:
        con.execute("detach shared_reference")
