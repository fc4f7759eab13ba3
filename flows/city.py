"""The city run (市县联动): every county's run mapped over the counties (each stage a task run), then the
city database: the cross-county and city-wide rules, the city list, the history, tip-offs,
management findings and the county ranking, and the city's outputs."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from checks.registry import Registry, load_registry
from checks.rule_runner import city_wide_rules
from flows import tasks
from flows.artifacts import publish_artifacts
from flows.county import StageClock, run_county, verify_tipoffs
from flows.settings import RunOptions
from flows.tasks import Database
from fundwatch import city, interrupt, run
from fundwatch.city import CityPlan, CountyDatabase
from fundwatch.ingest import RunInputs, discover
from fundwatch.provenance import now_iso
from fundwatch.reference import SharedReference

# Counties run in threads of this process by default: as many at once as there are cores (each county
# run is itself parallel inside DuckDB), which keeps memory to a few counties' worth.
LOCAL_RUNNER = ThreadPoolTaskRunner(max_workers=os.cpu_count() or 2)


@flow(name="city-run", task_runner=LOCAL_RUNNER)
def city_run(input_dir: str, out_dir: str, settings: RunOptions = RunOptions(),
             inputs: RunInputs | None = None) -> dict:
    """Run every county of a city folder in parallel, then the city database and its rules, into out_dir."""
    started_at = now_iso()
    registry = load_registry(overrides=settings.rule_parameters)
    plan = city.plan_city(inputs or discover(Path(input_dir)), Path(out_dir), settings.force)
    interrupt.on_interrupt(plan, lambda: city.discard(plan))
    clock = StageClock()
    try:
        # submitted tasks take the registry as it is: a task runner may send them to Dask, which reads a
        # quoted value (a tuple) as a task of its own
        with clock("reference"):
            reference = tasks.load_reference(plan, settings.engine)
        with clock("counties"):
            futures = [county.submit(plan, settings, registry, code, reference) for code in plan.counties]
            county_results = [f.result() for f in futures]
        db, cross_county, city_wide = (Database(plan.database, settings.engine), registry.for_scope("city"),
                                       city_wide_rules(registry))
        with db.kept_open():
            with clock("city_database"):
                tipoffs_given = tasks.city_database(plan, db, county_databases(plan, county_results))
            with clock("cross_county"):
                city_rules = tasks.cross_county_rules(db, quote(registry), quote(cross_county))
            with clock("city_linkage"):  # identity resolution across the counties (一人多号 is often two counties)
                tasks.linkage(db, quote(city_wide))
            with clock("city_rules"):
                tasks.city_wide_rules(db, quote(registry), quote(city_wide))
            with clock("city_assemble"):
                cross_county_clues = tasks.assemble_city(plan, db, quote(cross_county), quote(city_wide))
            history = None
            if settings.history:
                with clock("city_history"):
                    history = tasks.history(db, settings.history, city.city_scope(plan))
            with clock("city_tipoffs"):  # on the city's recipients and list: a tip-off may name another county
                verify_tipoffs(db, tipoffs_given)
            with clock("city_management"):
                management = tasks.management(db, quote(registry))
                totals = tasks.rank_counties(db)
        assembled = {**totals, "cross_county_clues": cross_county_clues, "history": history,
                     "ranking": totals["per_county"], "management": management}
        parameters = settings.for_manifest(registry.all_parameters())
        manifest = city.city_manifest(plan, parameters, county_results, city_rules, assembled, started_at,
                                       clock.seconds)
        rule_ids = list(dict.fromkeys(r.id for r in registry.rules))
        city_out = tasks.emit_city(plan, quote(manifest), settings, rule_ids)
    except BaseException:
        city.discard(plan)
        raise
    interrupt.forget(plan)
    prefixes = {code[:4] for code in plan.counties}
    scope = f"city-{prefixes.pop()}00" if len(prefixes) == 1 else city.CITY_FOLDER
    publish_artifacts(scope, assembled["per_rule"], assembled["ranking"], city_out)
    kept = [k for r in county_results for k in r.get("kept", [])] + ([str(plan.kept)] if plan.kept else [])
    return {"out_dir": city_out, "counties": county_results, "rules": manifest["rules"], "clues": assembled,
            "inputs": manifest["inputs"], "stage_seconds": clock.seconds, "validation": {}, "kept": kept}


def county_databases(plan: CityPlan, county_results: list[dict]) -> list[CountyDatabase]:
    """The finished counties' databases, in the plan's order (county_results is in it)."""
    return [CountyDatabase(code, plan.ordinal(code), Path(result["database"]))
            for code, result in zip(plan.counties, county_results, strict=True)]


@task(name="county", task_run_name="county-{county}", cache_policy=NO_CACHE)
def county(plan: CityPlan, settings: RunOptions, registry: Registry, county: str,
           reference: SharedReference | None = None) -> dict:
    """One county's full run, its stages task runs of their own, written to OUT/<county>/; its data left
    in the exchange, its reference lists copied from the city's one load of them. The history is kept
    for the city list."""
    inputs = discover(plan.county_dir(county))
    paths = run.prepare(plan.county_dir(county), plan.county_out(county), settings.force)
    result = run_county(paths, inputs, replace(settings, history=None), registry, exchange=plan.exchange(county),
                        reference=reference)
    get_run_logger().info("county %s: %d clues", county, result["clues"]["clues"])
    return result


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
