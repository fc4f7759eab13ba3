"""--profile: where a run's time goes, from timed SQL statements and py-spy's samples."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

from child_scripts import FUNDWATCH_CLI, HELLO_FLOW, PROFILE_STAGES
from measuring import ROOT, MeasureFailed, measure


def py_spy() -> str | None:
    found = Path(sys.executable).with_name("py-spy")
    return str(found) if found.exists() else shutil.which("py-spy")


PROJECT_DIRS = ("fundwatch/", "checks/", "models/", "flows/")


def collapse(raw: Path, top: int = 30) -> dict:
    """Summarise py-spy's raw stacks of the main thread (idle samples included, so shares are of wall time):
    inclusive share of fundwatch's own functions, and self share of every function."""
    inclusive: dict[str, int] = {}
    leaf: dict[str, int] = {}
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        if "MainThread" not in frames[0]:  # Prefect's and DuckDB's helper threads: not the run's own time
            continue
        frames = frames[1:] or ["(idle)"]
        samples = int(count)
        total += samples
        seen = set()
        for frame in frames:
            if any(d in frame for d in PROJECT_DIRS) and frame not in seen:
                seen.add(frame)
                inclusive[frame] = inclusive.get(frame, 0) + samples
        leaf[frames[-1]] = leaf.get(frames[-1], 0) + samples

    def shares(table: dict) -> list[dict]:
        return [{"frame": re.sub(r"\(/.*?site-packages/", "(", k).replace(str(ROOT) + "/", ""),
                 "share": round(v / total, 3)} for k, v in sorted(table.items(), key=lambda kv: -kv[1])[:top]]

    return {"samples": total, "inclusive_fundwatch_frames": shares(inclusive), "self_frames": shares(leaf)}


STAGE_FUNCTIONS = ("load_stage", "validate_stage", "rule_stage", "score_stage", "assemble_stage", "emit_stage")


def phases(raw: Path) -> dict:
    """Seconds of a CLI run's main thread by phase, from py-spy's raw stacks (idle samples included)."""
    found: dict[str, int] = {}
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not count.isdigit() or "MainThread" not in frames[0]:
            continue
        stack, samples = ";".join(frames[1:]), int(count)
        total += samples
        importing = "_find_and_load" in stack
        stage = next((f for f in STAGE_FUNCTIONS if f"{f} (" in stack), None)
        if stage:
            key = f"stage {stage.removesuffix('_stage')}" + (" (importing)" if importing else "")
        elif "task_run_engine" in stack or "run_task" in stack or "as_task" in stack or "hello (" in stack:
            key = "Prefect task engine, outside the task's function"
        elif "SubprocessASGIServer.start" in stack:
            key = "waiting for the temporary Prefect server"
        elif "get_client" in stack and importing:
            key = "importing prefect.server (for the temporary server)"
        elif importing:
            key = "imports before the flow (prefect, fundwatch, ...)"
        elif "Flow.__call__" in stack or "run_flow" in stack:
            key = "Prefect flow engine (set-up, state changes, shutdown)"
        else:
            key = "other (CLI, interpreter exit)"
        found[key] = found.get(key, 0) + samples
    rate = 25
    return {"seconds": {k: round(v / rate, 2) for k, v in sorted(found.items(), key=lambda kv: -kv[1])},
            "sampled_seconds": round(total / rate, 2)}


def spy_command(spy: str, raw: Path, command: list[str]) -> list[str]:
    return [spy, "record", "--rate", "25", "--idle", "--threads", "--format", "raw", "--output", str(raw), "--",
            *command]


def profile(county: Path, work: Path, env: dict, log: Path, tiny: Path | None = None) -> dict:
    """Where a run's time goes.

    direct_stages: the stages called directly (no Prefect) with every SQL statement timed, sampled
    by py-spy; cli / cli_tiny / hello: py-spy over the CLI run on the county and on the tiny
    county, and over the hello-world flow, cut into phases (imports, temporary server, stages, ...).
    Wall times here are under py-spy (25 samples/s); peak RSS is not measured through it.
    """
    found: dict = {}
    out = work / "out" / "profile"
    shutil.rmtree(out, ignore_errors=True)
    target = work / "profile_sql.json"
    spy = py_spy()
    command = [sys.executable, "-c", PROFILE_STAGES, str(county), str(out), str(target)]
    raw = work / "profile_stages.txt"
    if spy:  # the same direct run, sampled
        command = spy_command(spy, raw, command)
    target.unlink(missing_ok=True)
    found["direct_stages"] = measure(command, env, log, "profile: direct stages")
    if not target.exists():  # py-spy exits 0 whatever its child did
        raise MeasureFailed(f"profile: direct stages wrote no {target.name}; see {log}")
    found["direct_stages"].update(json.loads(target.read_text(encoding="utf-8")))
    if not spy:
        found["note"] = "py-spy not installed (uv pip install py-spy): only the SQL timings"
        return found
    found["direct_stages"]["py_spy"] = collapse(raw)
    runs = [("cli", county, "profile_cli.txt")] + ([("cli_tiny", tiny, "profile_cli_tiny.txt")] if tiny else [])
    for key, folder, name in runs:
        shutil.rmtree(out, ignore_errors=True)
        stages = work / f"{key}_stages.json"
        stages.unlink(missing_ok=True)
        command = spy_command(spy, work / name, [sys.executable, "-c", FUNDWATCH_CLI, "run", str(folder), "--out",
                                                 str(out)])
        found[key] = measure(command, {**env, "FUNDWATCH_BENCH_STAGES": str(stages)}, log, f"profile: {key}")
        if not stages.exists():
            raise MeasureFailed(f"profile: the CLI run ({key}) did not finish; see {log}")
        found[key]["stage_seconds"] = json.loads(stages.read_text())["stage_seconds"]
        found[key]["phases"] = phases(work / name)
        found[key]["py_spy"] = collapse(work / name)
    if tiny:
        found["hello"] = measure(spy_command(spy, work / "profile_hello.txt", [sys.executable, "-c", HELLO_FLOW]),
                                 env, log, "profile: hello-world")
        found["hello"]["phases"] = phases(work / "profile_hello.txt")
    shutil.rmtree(out, ignore_errors=True)
    return found
