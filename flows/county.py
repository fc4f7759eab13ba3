"""The county run (县级巡察数据分析): load, validate, link, every rule, score, assemble, the history,
tip-offs and management findings, emit; a Prefect task each, in this order."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from checks.registry import Registry, load_registry
from flows import tasks
from flows.artifacts import publish_artifacts
from flows.settings import RunOptions
from flows.tasks import Database
from fundwatch import interrupt, run
from fundwatch.city import ExchangeTarget
from fundwatch.ingest import RunInputs, discover
from fundwatch.provenance import now_iso, versions
from fundwatch.reference import SharedReference
from fundwatch.run import RunPaths

VALIDATION_STOP_SECONDS = 2.0


@flow(name="county-run")
def county_run(input_dir: str, out_dir: str, settings: RunOptions = RunOptions(),
               inputs: RunInputs | None = None) -> dict:
    """Find improper payments in one county's exports and write its clue list to out_dir.

    `inputs` are the files found in input_dir (fundwatch.ingest.discover), when the caller has
    looked already (the CLI, before Prefect starts); otherwise the flow looks.
    """
    registry = load_registry(overrides=settings.rule_parameters)
    inputs = inputs or discover(Path(input_dir))
    paths = run.prepare(Path(input_dir), Path(out_dir), settings.force)
    result = run_county(paths, inputs, settings, registry)
    publish_artifacts(result["county"] or Path(out_dir).name, result["clues"]["per_rule"],
                      result["clues"]["per_county"], result["out_dir"])
    return result


def run_county(paths: RunPaths, inputs: RunInputs, settings: RunOptions, registry: Registry,
               exchange: ExchangeTarget | None = None, reference: SharedReference | None = None) -> dict:
    """Every stage of a county run on a prepared staging folder (run.prepare), each a task.

    Validation only reads the loaded tables and reports, so it runs beside the linkage, rules, scoring
    and assembly, on a task runner of its own with one worker (in a city run the city's runner is
    busy with the counties: a task submitted there would wait for a county to finish, and the
    county for it); emit waits for it.
    The registry and the manifest go to the tasks quoted: Prefect would otherwise walk every field of
    them looking for futures at each task call (about 1 s of a small run).
    The database is held open from the load to the last stage before emit (Database.kept_open).
    In a city run the county's results are left in the exchange and its database for the city database
    (`exchange`: a database not kept is moved there), and its reference lists are copied from the
    city's one load of them (`reference`). Whatever
    stops the run (a failure, an interrupt), the staging folder is removed and the lock given back.
    """
    started_at = now_iso()
    db, clock, rules = Database(paths.database, settings.engine), StageClock(), registry.for_scope("county")
    with ThreadPoolTaskRunner(max_workers=1) as beside:
        validating = None
        try:
            with db.kept_open():
                with clock("load"):
                    loaded = tasks.load(paths, inputs, settings.engine, reference)
                validating = beside.submit(tasks.validate, {"paths": paths, "enabled": settings.validate})
                with clock("linkage"):
                    linkage = tasks.linkage(db, quote(rules))
                with clock("rules"):
                    outcomes = [tasks.rule(db, quote(registry), r.key) for r in rules if not r.needs_scores]
                with clock("score"):
                    scoring = tasks.score(db, settings.seed)
                with clock("rules"):
                    outcomes += [tasks.rule(db, quote(registry), r.key) for r in rules if r.needs_scores]  # M01 reads the others
                county = loaded["counties"][0] if len(loaded["counties"]) == 1 else ""
                with clock("assemble"):
                    clues = tasks.assemble(db, quote(registry), county)
                history = None
                if settings.history:
                    with clock("history"):
                        history = tasks.history(db, settings.history, f"county:{county}")
                with clock("tipoffs"):
                    tipoffs = verify_tipoffs(db)
                with clock("management"):
                    management = tasks.management(db, quote(registry))
                if exchange is not None:
                    with clock("exchange"):
                        tasks.exchange(db, exchange)
            validation, validating = clock.wait("validate", validating), None
            manifest = {
                "run": {"kind": loaded["kind"], "county": county, "input": str(paths.input_dir)},
                "inputs": loaded["inputs"], "ignored_files": loaded["ignored_files"],
                "load_warnings": loaded["load_warnings"], "table_rows": loaded["table_rows"],
                "validation": validation, "rules": outcomes, "scoring": scoring, "linkage": linkage, "clues": clues,
                "history": history, "tipoffs": tipoffs, "management": management,
                "parameters": settings.for_manifest(registry.all_parameters()), "versions": versions(),
                "stage_seconds": clock.seconds, "started_at": started_at,
            }
            with clock("emit"):
                emitted = tasks.emit(paths, quote(manifest), settings, exchange)
        except BaseException:
            if validating is not None:  # let it finish before its database and Data Docs are removed
                try:
                    # on an interrupt it stops at its next step; the CLI removes what it writes after this
                    validating.result(timeout=VALIDATION_STOP_SECONDS if interrupt.requested() else None)
                except BaseException:  # noqa: BLE001, S110 - the first failure is the one reported
                    pass
            run.discard(paths)
            raise
    return {"out_dir": str(paths.out_dir), "county": county, "rules": emitted["rules"], "inputs": loaded["inputs"],
            "load_warnings": loaded["load_warnings"],
            "clues": emitted["clues"], "stage_seconds": clock.seconds, "validation": validation, "history": history,
            "kept": [str(paths.kept)] if paths.kept else [], "management": management, "tipoffs": tipoffs,
            "database": emitted["database"]}


def verify_tipoffs(db: Database, given: bool | None = None) -> dict:
    """Tip-offs (信访): their input, matched to recipients (identity resolution), then checked against the
    final clue list. `given`: whether the inputs have tip-offs, if already known (a city run)."""
    given = tasks.tipoff_input(db, given)
    if given:
        tasks.match_tipoffs(db)
    return tasks.verify_tipoffs(db, given)


class StageClock:
    """Seconds per stage (summed over a stage's tasks), for the manifest; a failure while an interrupt is
    under way (DuckDB's "Query interrupted", a closed connection) is raised as the interrupt it is."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, stage: str) -> _Timed:
        return _Timed(self, stage)

    def wait(self, stage: str, running) -> dict:
        """The result of a stage begun earlier (validation): its own seconds, and how long it was waited for."""
        waited = time.perf_counter()
        result = running.result()
        self.seconds[stage] = result.get("seconds", 0.0)
        self.seconds[f"{stage}_wait"] = round(time.perf_counter() - waited, 3)
        return result


@dataclass
class _Timed:
    clock: StageClock
    stage: str
    started: float = 0.0

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, kind, error, traceback) -> bool:
        if error is None:
            seconds = self.clock.seconds
            seconds[self.stage] = round(seconds.get(self.stage, 0.0) + time.perf_counter() - self.started, 3)
        elif isinstance(error, Exception) and interrupt.requested():
            raise interrupt.Interrupted(interrupt.signal_name()) from error
        return False
