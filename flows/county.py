"""The county run (县级巡察数据分析): load, validate, every rule, score, emit; a Prefect task each."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows import tasks
from flows.artifacts import publish_artifacts
from fundwatch import run
from fundwatch.db import EngineSettings
from fundwatch.run import RunOptions

STAGE_TASKS = {
    "load": tasks.load,
    "validate": tasks.validate,
    "linkage": tasks.linkage,
    "rules": tasks.apply_rule,
    "score": tasks.score,
    "assemble": tasks.assemble,
    "history": tasks.history,
    "tipoffs": tasks.tipoffs,
    "management": tasks.management,
    "exchange": tasks.exchange,
    "emit": tasks.emit,
}


def as_task(stage: str, function, *args):
    return STAGE_TASKS[stage](*args)


def as_submitted_task(stage: str, function, *args):
    """A task run in the flow's task runner's thread pool, beside the stages that follow."""
    return STAGE_TASKS[stage].submit(*args)


@flow(name="county-run")
def county_run(
    input_dir: str,
    out_dir: str,
    seed: int = 0,
    run_validation: bool = True,
    keep_database: bool = True,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | None = None,
    rule_parameters: dict | None = None,
    mask: bool = False,
    history: str | None = None,
    force: bool = False,
) -> dict:
    """Find improper payments in one county's exports and write its clue list to out_dir."""
    options = RunOptions(seed, run_validation, keep_database, mask,
                         EngineSettings(memory_limit, threads, temp_directory), rule_parameters or {},
                         history=history)
    paths, _ = run.prepare(Path(input_dir), Path(out_dir), force)
    result = run.run_county(paths, options, call=as_task, start=as_submitted_task)
    publish_artifacts(result["county"] or Path(out_dir).name, result["clues"]["per_rule"],
                      result["clues"]["per_county"], result["out_dir"])
    return result
