"""The city run (市县联动): counties in parallel, then the cross-county rules partition by partition."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.cache_policies import NO_CACHE

from flows.artifacts import publish_artifacts
from fundwatch import city, interrupt, run
from fundwatch.city import CityPlan
from fundwatch.db import EngineSettings
from fundwatch.run import ExchangeTarget, RunOptions


@task(name="county", task_run_name="county-{county}", cache_policy=NO_CACHE)
def county(plan: CityPlan, options: RunOptions, county: str, force: bool = False) -> dict:
    """One county's full run, written to OUT/<county>/, its data left in the exchange."""
    exchange = ExchangeTarget(str(plan.exchange_dir), county, plan.ordinal(county), plan.partitions)
    paths, _ = run.prepare(plan.county_dir(county), plan.county_out(county), force)
    result = run.run_county(paths, replace(options, exchange=exchange, history=None))
    get_run_logger().info("county %s: %d clues", county, result["clues"]["clues"])
    return result


@task(name="cross-county", task_run_name="{rule_key}-partition-{bucket}", cache_policy=NO_CACHE)
def cross_county(plan: CityPlan, options: RunOptions, rule_key: str, bucket: int) -> int:
    """One cross-county rule on one partition of the city's payments."""
    return city.run_partition(plan.exchange_dir, options.registry(), rule_key, bucket)


@task(name="assemble-city", cache_policy=NO_CACHE)
def assemble_city(plan: CityPlan, options: RunOptions) -> dict:
    """Every county's clues plus the cross-county ones, and the county ranking."""
    return city.assemble_city(plan, options.registry(), options.history)


@task(name="emit-city", cache_policy=NO_CACHE)
def emit_city(plan: CityPlan, options: RunOptions, manifest: dict) -> str:
    """Write the city outputs to OUT/city/."""
    return str(city.emit_city(plan, options, manifest))


# Counties run in threads of this process by default: as many at once as there are cores (each county
# run is itself parallel inside DuckDB), which keeps memory to a few counties' worth.
LOCAL_RUNNER = ThreadPoolTaskRunner(max_workers=os.cpu_count() or 2)


@flow(name="city-run", task_runner=LOCAL_RUNNER)
def city_run(
    input_dir: str,
    out_dir: str,
    seed: int = 0,
    run_validation: bool = True,
    keep_database: bool = True,
    mask: bool = False,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | None = None,
    rule_parameters: dict | None = None,
    partitions: int = 8,
    history: str | None = None,
    force: bool = False,
) -> dict:
    """Run every county of a city folder in parallel, then the cross-county rules, into out_dir."""
    started_at, started = run.now_iso(), time.perf_counter()
    options = RunOptions(seed, run_validation, keep_database, mask,
                         EngineSettings(memory_limit, threads, temp_directory), rule_parameters or {},
                         history=history)
    plan = city.plan_city(Path(input_dir), Path(out_dir), partitions, force)
    interrupt.on_interrupt(plan, lambda: city.discard(plan))
    seconds: dict[str, float] = {}
    try:
        futures = [county.submit(plan, options, code, force) for code in plan.counties]
        county_results = [f.result() for f in futures]
        seconds["counties"] = round(time.perf_counter() - started, 3)
        city_rules = []
        for rule in options.registry().for_scope("city"):
            rule_started = time.perf_counter()
            partition_futures = [cross_county.submit(plan, options, rule.key, b) for b in range(plan.partitions)]
            clues = sum(f.result() for f in partition_futures)
            city_rules.append({"rule_id": rule.id, "rule_key": rule.key, "status": "run", "reason": "",
                               "clues": clues, "seconds": round(time.perf_counter() - rule_started, 3)})
        seconds["cross_county"] = round(time.perf_counter() - started - seconds["counties"], 3)
        assembled = assemble_city(plan, options)
        manifest = city.city_manifest(plan, options, county_results, city_rules, assembled, started_at, seconds)
        city_out = emit_city(plan, options, manifest)
    except BaseException:
        city.discard(plan)
        raise
    interrupt.forget(plan)
    prefixes = {code[:4] for code in plan.counties}
    scope = f"city-{prefixes.pop()}00" if len(prefixes) == 1 else city.CITY_FOLDER
    publish_artifacts(scope, assembled["per_rule"], assembled["ranking"], city_out)
    kept = [k for r in county_results for k in r.get("kept", [])] + ([str(plan.kept)] if plan.kept else [])
    return {"out_dir": city_out, "counties": county_results, "rules": manifest["rules"], "clues": assembled,
            "inputs": manifest["inputs"], "stage_seconds": seconds, "validation": {}, "kept": kept}


DASK_EXTRA = ("prefect_dask", "dask", "distributed")
DASK_EXTRA_MISSING = ("--dask-address needs fundwatch's dask extra (prefect-dask), which is not installed: "
                      "install it with `uv sync --extra dask` (or `pip install 'fundwatch[dask]'`)")


def dask_task_runner(address: str):
    """prefect-dask's DaskTaskRunner on the Dask scheduler at `address` (`run --dask-address`).

    prefect-dask is an optional extra: without it this raises an InputError of one line saying how to
    install it (the CLI reports it as a bad argument, exit 2), not a traceback.
    """
    from fundwatch.ingest import InputError

    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as error:
        if (error.name or "").split(".")[0] not in DASK_EXTRA:
            raise
        raise InputError(DASK_EXTRA_MISSING) from None
    return DaskTaskRunner(address=address)
