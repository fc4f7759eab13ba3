"""Running the county flow from a test: on an input folder (a real Prefect flow run, the server from
the `prefect_harness` fixture), or, where a test prepares the staging folder itself (run.prepare, to
hold the lock or look at it first), the county flow's stages on that folder, in a flow of their own."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from checks.registry import load_registry
from flows.county import county_run, run_county
from flows.settings import RunOptions
from fundwatch.ingest import discover
from fundwatch.run import RunPaths


def run_flow(input_dir: Path, out: Path, settings: RunOptions | None = None) -> dict:
    return county_run(str(input_dir), str(out), settings or RunOptions(validate=False))


@flow(name="county-run-prepared")
def run_prepared(paths: RunPaths, settings: RunOptions | None = None) -> dict:
    settings = settings or RunOptions(validate=False)
    return run_county(paths, discover(paths.input_dir), settings, load_registry(overrides=settings.rule_parameters))
