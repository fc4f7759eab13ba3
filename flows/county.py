"""The county run (县级巡察数据分析): load, validate, every rule, score, emit."""

from __future__ import annotations

import time
from pathlib import Path

from prefect import flow

from fundwatch import run
from fundwatch.db import EngineSettings
from fundwatch.run import RunOptions
from flows import tasks


def _timed(seconds: dict, stage: str, call, *args):
    started = time.perf_counter()
    result = call(*args)
    seconds[stage] = round(seconds.get(stage, 0.0) + time.perf_counter() - started, 3)
    return result


@flow(name="county-run", log_prints=False)
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
) -> dict:
    """Find improper payments in one county's exports and write its clue list to out_dir."""
    started_at = run.now_iso()
    options = RunOptions(seed, run_validation, keep_database, EngineSettings(memory_limit, threads, temp_directory),
                         rule_parameters or {})
    paths, inputs = run.prepare(Path(input_dir), Path(out_dir))
    seconds: dict[str, float] = {}
    try:
        loaded = _timed(seconds, "load", tasks.load, paths, options)
        validation = _timed(seconds, "validate", tasks.validate, paths, options)
        registry = options.registry()
        rule_results = []
        for rule in registry.for_scope("county"):
            if not rule.needs_scores:
                rule_results.append(_timed(seconds, "rules", tasks.apply_rule, paths, options, rule.id))
        scoring = _timed(seconds, "score", tasks.score, paths, options)
        for rule in registry.for_scope("county"):
            if rule.needs_scores:
                rule_results.append(_timed(seconds, "rules", tasks.apply_rule, paths, options, rule.id))
        county = loaded["counties"][0] if len(loaded["counties"]) == 1 else ""
        clues = _timed(seconds, "assemble", tasks.assemble, paths, options, county)
        manifest = {
            "run": {"kind": "county", "county": county, "input": str(paths.input_dir)},
            "inputs": loaded["inputs"],
            "ignored_files": loaded["ignored_files"],
            "table_rows": loaded["table_rows"],
            "validation": validation,
            "rules": rule_results,
            "scoring": scoring,
            "clues": clues,
            "parameters": run.options_for_manifest(options),
            "versions": run.versions(),
            "stage_seconds": seconds,
            "started_at": started_at,
        }
        _timed(seconds, "emit", tasks.emit, paths, options, manifest)
    except BaseException:
        run.discard(paths)
        raise
    return {"out_dir": str(paths.out_dir), "rules": rule_results, "inputs": loaded["inputs"],
            "clues": clues, "stage_seconds": seconds, "validation": validation}
