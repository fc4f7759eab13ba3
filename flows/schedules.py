"""Scheduled runs: a schedules file (TOML) turned into Prefect deployments and served."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from prefect.schedules import Cron

KINDS = ("county", "city")


@dataclass(frozen=True)
class ScheduledRun:
    name: str
    kind: str
    input: Path
    output: Path
    cron: str
    timezone: str = "Asia/Shanghai"
    options: dict = field(default_factory=dict)

    def parameters(self) -> dict:
        """The flow's parameters: the folders, and the options as the run's settings (flows.settings.RunOptions)."""
        return {"input_dir": str(self.input), "out_dir": str(self.output), "settings": self.options}


class ScheduleError(ValueError):
    """A schedules file that cannot be used; the message names the file and the entry."""


def load_schedules(path: Path) -> list[ScheduledRun]:
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            entries = tomllib.load(fh).get("runs", [])
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ScheduleError(f"{path}: cannot be read as TOML ({error})") from None
    runs = []
    for number, entry in enumerate(entries, start=1):
        missing = [k for k in ("name", "kind", "input", "output", "cron") if k not in entry]
        if missing:
            raise ScheduleError(f"{path}: run {number} lacks {', '.join(missing)}")
        if entry["kind"] not in KINDS:
            raise ScheduleError(f"{path}: run {entry['name']!r} has kind {entry['kind']!r}; use county or city")
        _check_options(path, entry["name"], entry["kind"], entry.get("options", {}))
        runs.append(ScheduledRun(
            name=entry["name"], kind=entry["kind"],
            input=(path.parent / entry["input"]).resolve(), output=(path.parent / entry["output"]).resolve(),
            cron=entry["cron"], timezone=entry.get("timezone", "Asia/Shanghai"), options=entry.get("options", {}),
        ))
    names = [r.name for r in runs]
    if len(set(names)) != len(names):
        raise ScheduleError(f"{path}: run names must be unique")
    return runs


def _check_options(path: Path, name, kind: str, options: dict) -> None:
    """[runs.options] must be settings of a run (flows.settings.RunOptions: its fields, with their types),
    checked as the flow will check them when the deployment runs."""
    import logging

    from prefect.exceptions import ParameterTypeError

    quiet = logging.getLogger("prefect.flows")
    level, quiet.level = quiet.level, logging.CRITICAL  # the error is ours to report, in one line
    try:
        _flow(kind).validate_parameters({"input_dir": "", "out_dir": "", "settings": options})
    except ParameterTypeError as error:
        problems = [line.strip(" -") for line in str(error).splitlines()[1:] if line.strip()]
        raise ScheduleError(f"{path}: run {name!r}: {'; '.join(problems)}") from None
    finally:
        quiet.level = level


def _flow(kind: str):
    from flows.city import city_run
    from flows.county import county_run

    return county_run if kind == "county" else city_run


def to_deployment(scheduled: ScheduledRun):
    return _flow(scheduled.kind).to_deployment(
        name=scheduled.name,
        schedules=[Cron(scheduled.cron, timezone=scheduled.timezone)],
        parameters=scheduled.parameters(),
        tags=["fundwatch", scheduled.kind],
        description=f"fundwatch {scheduled.kind} run of {scheduled.input.name}",
    )


def serve_schedules(path: Path) -> None:
    """Register every scheduled run as a deployment and execute their runs until stopped."""
    from prefect import serve

    serve(*[to_deployment(run) for run in load_schedules(path)])
