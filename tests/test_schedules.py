"""Schedules: the example file becomes deployments, and a triggered deployment produces its outputs."""

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from prefect.deployments import run_deployment
from prefect.runner import Runner

from flows.schedules import ScheduleError, load_schedules, to_deployment
from tests.builders import Person, write_county
from tests.contract import assert_outputs_pass_contract

EXAMPLE = Path(__file__).resolve().parents[1] / "schedules.example.toml"


def test_example_file_names_county_and_city_runs():
    runs = load_schedules(EXAMPLE)
    assert {r.kind for r in runs} == {"county", "city"}
    assert all(r.input.is_absolute() and r.timezone == "Asia/Shanghai" for r in runs)
    city = next(r for r in runs if r.kind == "city")
    assert city.parameters()["settings"] == {"mask": True}


def test_bad_schedules_file_is_one_clear_error(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text('[[runs]]\nname = "x"\nkind = "province"\ninput = "a"\noutput = "b"\ncron = "0 2 * * *"\n')
    with pytest.raises(ScheduleError, match="kind 'province'"):
        load_schedules(bad)


def test_options_are_the_settings_of_a_run(tmp_path):
    entry = '[[runs]]\nname = "x"\nkind = "county"\ninput = "a"\noutput = "b"\ncron = "0 2 * * *"\n'
    unknown = tmp_path / "unknown.toml"
    unknown.write_text(entry + "[runs.options]\npartitions = 8\n")  # a setting of earlier versions
    with pytest.raises(ScheduleError, match="run 'x': settings.partitions: Unexpected keyword argument"):
        load_schedules(unknown)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(entry + '[runs.options]\nseed = "one"\n')
    with pytest.raises(ScheduleError, match="run 'x': settings.seed: "):
        load_schedules(wrong)
    fine = tmp_path / "fine.toml"
    fine.write_text(entry + "[runs.options]\nvalidate = false\n[runs.options.engine]\nthreads = 2\n")
    assert load_schedules(fine)[0].parameters()["settings"] == {"validate": False, "engine": {"threads": 2}}


@pytest.mark.usefixtures("prefect_harness")
def test_triggered_deployment_produces_outputs(tmp_path):
    people = [Person(i) for i in range(1, 30)]
    county = write_county(tmp_path / "in", [x for p in people for x in p.monthly("202301", "202304")],
                          [p.recipient() for p in people])
    scheduled = next(r for r in load_schedules(EXAMPLE) if r.kind == "county")
    scheduled = replace(scheduled, input=county, output=tmp_path / "out",
                        options={"validate": False})
    deployment = to_deployment(scheduled)

    async def trigger_and_execute():
        runner = Runner(limit=1, query_seconds=1)
        await runner.add_deployment(deployment)
        flow_run = await run_deployment(f"county-run/{scheduled.name}", timeout=0)
        await runner.start(run_once=True)
        return flow_run

    flow_run = asyncio.run(trigger_and_execute())
    assert flow_run is not None
    assert_outputs_pass_contract(tmp_path / "out")
