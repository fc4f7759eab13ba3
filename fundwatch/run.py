"""A county run's folders and files: the staging folder beside the output folder (and its lock), the
load of the inputs into the run's database, and the outputs written and published.

The order of the stages is the county flow's (flows/county.py). These functions take paths and
settings and return small summaries; each opens the run's DuckDB file, does its work and closes it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from fundwatch import interrupt
from fundwatch.db import EngineSettings, connect
from fundwatch.emit import (claim_output, publish, release_output, write_csvs, write_management_csv, write_manifest,
                            write_masked_clues_csv)
from fundwatch.ingest import RunInputs
from fundwatch.load import load_inputs, load_warnings
from fundwatch.provenance import now_iso
from fundwatch.reference import SharedReference, reference_files
from fundwatch.summary import clue_summary, final_rule_counts, run_summary

DATABASE_NAME = "run.duckdb"
LOADED_TABLES = ("payments", "recipients", "deaths", "prisoners", "public_employees", "employment", "operations",
                 "staff")


@dataclass(frozen=True)
class RunPaths:
    input_dir: Path
    out_dir: Path
    staging_dir: Path
    kept: Path | None = None  # where the filled-in files of the folder replaced were kept (--force)

    @property
    def database(self) -> Path:
        return self.staging_dir / DATABASE_NAME

    @property
    def work_dir(self) -> Path:
        return self.staging_dir / "_work"

    @property
    def docs_dir(self) -> Path:
        return self.staging_dir / "data_docs"


def prepare(input_dir: Path, out_dir: Path, force: bool = False) -> RunPaths:
    """Lock the output folder and make an empty staging folder beside it (the inputs are found first:
    fundwatch.ingest.discover).

    The lock (``OUT.lock``) is held until emit_county publishes or discard() gives up, or the process
    dies; a second run on the same output folder is refused with one line (locking.Busy). What
    killed runs left beside the folder is cleared (emit.claim_output).
    """
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging, kept = claim_output(out_dir, force)
    paths = RunPaths(Path(input_dir).resolve(), out_dir, staging, kept)
    interrupt.on_interrupt(paths, lambda: discard(paths))
    try:
        paths.work_dir.mkdir()
    except BaseException:
        discard(paths)
        raise
    return paths


def load_county(paths: RunPaths, inputs: RunInputs, engine: EngineSettings,
                reference: SharedReference | None = None) -> dict:
    """Every input file into the run's database (fundwatch.load); the reconciliation and table counts.
    In a city run the reference lists come from the city's one load of them (`reference`)."""
    with connect(paths.database, engine) as con:
        reconciliation = load_inputs(con, inputs, paths.work_dir, reference)
        tables = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in LOADED_TABLES}
        # a county folder not named by its code: the county is the region code most payments carry
        counties = sorted(code or con.execute("select mode(region_code) from payments").fetchone()[0] or ""
                          for code in inputs.counties)
    shutil.rmtree(paths.work_dir, ignore_errors=True)
    paths.work_dir.mkdir(exist_ok=True)
    return {"kind": inputs.kind, "counties": counties, "inputs": reconciliation,
            "ignored_files": inputs.ignored, "load_warnings": load_warnings(reconciliation), "table_rows": tables}


def load_reference(database: Path, county_inputs: RunInputs, work_dir: Path,
                   engine: EngineSettings) -> SharedReference | None:
    """Load the reference files a county of the city reads (the same for every county) into `database`,
    once for the whole city run; None when there are none."""
    files = reference_files(county_inputs)
    if not files:
        return None
    work_dir.mkdir(parents=True, exist_ok=True)
    with connect(database, engine) as con:
        load_inputs(con, replace(county_inputs, files=files, counties={}), work_dir)
    shutil.rmtree(work_dir, ignore_errors=True)
    return SharedReference(database, tuple(files))


def emit_county(paths: RunPaths, manifest: dict, *, engine: EngineSettings, mask: bool, keep_database: bool,
                history: str | None, hand_over: Path | None = None) -> dict:
    """Write every output file into the staging folder, then move the finished folder into place.

    A database not kept is deleted, or moved to `hand_over` (a county of a city run: the city database
    copies its tables from it). Returns the clues, the rules and where the database is now (or None).
    """
    from fundwatch.matches import write_identity_outputs
    from fundwatch.report import write_report
    from fundwatch.workbook import write_workbook

    out = paths.staging_dir
    with connect(paths.database, engine) as con:
        counts = write_csvs(con, out)
        counts.update(write_identity_outputs(con, out, mask))
        counts.update(write_verification_outputs(con, out, mask))
        if (manifest.get("management") or {}).get("written"):
            counts["management.csv"] = write_management_csv(con, out)
        summary = clue_summary(con)
        manifest = {**manifest, "clues": summary, "rules": final_rule_counts(manifest["rules"], summary),
                    "outputs": counts, "finished_at": now_iso()}
        summary = run_summary(con, manifest)  # what the workbooks and the report show, counted once
        write_workbook(con, out / "clues.xlsx", manifest, summary=summary)
        write_report(con, out / "report.html", manifest, summary=summary)
        if mask:
            counts["clues_masked.csv"] = write_masked_clues_csv(con, out / "clues_masked.csv")
            write_workbook(con, out / "clues_masked.xlsx", manifest, mask=True, summary=summary)
        if history:
            from fundwatch.history import record_run

            record_run(con, Path(history), manifest["history"]["scope"], manifest["started_at"], paths.out_dir)
    write_manifest(manifest, out)
    shutil.rmtree(paths.work_dir, ignore_errors=True)
    database = paths.out_dir / DATABASE_NAME if keep_database else _hand_over_or_delete(paths.database, hand_over)
    publish(paths.staging_dir, paths.out_dir)  # personal-data files made 0600 there
    interrupt.forget(paths)
    release_output(paths.out_dir)
    return {"clues": manifest["clues"], "rules": manifest["rules"], "database": str(database) if database else None}


def _hand_over_or_delete(database: Path, hand_over: Path | None) -> Path | None:
    if hand_over is None:
        database.unlink()
        return None
    hand_over.parent.mkdir(parents=True, exist_ok=True)
    return Path(shutil.move(database, hand_over))


def write_verification_outputs(con, out_dir: Path, mask: bool) -> dict[str, int]:
    """tipoffs.csv when the run had tip-offs (fundwatch.tipoffs); with a history, clue_changes.csv,
    rectification.csv, recheck.csv and overdue.csv (fundwatch.history)."""
    from fundwatch.history import write_history_csvs
    from fundwatch.tipoffs import write_outputs

    return {**write_outputs(con, out_dir, mask), **write_history_csvs(con, out_dir)}


def verification_manifest(con) -> dict:
    """The manifest's "tipoffs" summary, read from the database (city runs build it in the city database)."""
    from fundwatch.tipoffs import summary

    return {"tipoffs": summary(con)}


def discard(paths: RunPaths) -> None:
    """Remove the staging folder of a failed run and give back the output folder's lock."""
    shutil.rmtree(paths.staging_dir, ignore_errors=True)
    release_output(paths.out_dir)
