"""Measuring child processes: wall time, CPU, peak RSS of the largest process and of the tree, the
machine's other load; the environments they run in; a Prefect server for runs against one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from child_scripts import FUNDWATCH_CLI, IMPORTS


ROOT = Path(__file__).resolve().parents[1]


class MeasureFailed(Exception):
    """A measured child process exited with an error (recorded in the results; the others go on)."""


QUIET = {"wait_seconds": 60.0, "cores": 0.3}  # set from --quiet-wait


def busy_cpu_seconds() -> float:
    import psutil

    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def wait_for_quiet_machine() -> float:
    """Wait (at most QUIET['wait_seconds']) until other processes use under QUIET['cores'] cores; seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < QUIET["wait_seconds"]:
        before = busy_cpu_seconds()
        time.sleep(1.0)
        if busy_cpu_seconds() - before < QUIET["cores"]:
            break
    return round(time.monotonic() - started, 1)


def measure(command: list[str], env: dict, log: Path, label: str, timeline: bool = False) -> dict:
    """Run `command` to completion; wall time, peak RSS of its largest process and of its process tree.

    Also the average number of cores that other processes on the machine kept busy meanwhile
    (`other_load_cores`: machine-wide busy CPU time minus the child tree's own, over the wall time).
    With `timeline`, the child's own RSS every 50 ms as (unix time, bytes) in `rss_timeline`.
    """
    import psutil

    waited = wait_for_quiet_machine()
    with log.open("ab") as out:
        out.write(f"\n===== {label}: {' '.join(command)[:300]}\n".encode())
        out.flush()
        busy_before = busy_cpu_seconds()
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        watched = psutil.Process(child.pid)
        tree_peak = 0
        samples = []
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            total = 0
            try:
                for process in [watched, *watched.children(recursive=True)]:
                    try:
                        rss = process.memory_info().rss
                    except psutil.Error:
                        continue
                    total += rss
                    if timeline and process is watched:
                        samples.append((time.time(), rss))
            except psutil.Error:
                pass
            tree_peak = max(tree_peak, total)
            time.sleep(0.05)
        wall = time.perf_counter() - started
        busy = busy_cpu_seconds() - busy_before
    own_cpu = usage.ru_utime + usage.ru_stime
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise MeasureFailed(f"{label} failed with exit code {child.returncode}; end of {log}:\n{tail}")
    found = {"wall_seconds": round(wall, 3), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
             "tree_peak_rss_mb": round(max(tree_peak, usage.ru_maxrss * 1024) / 2**20, 1),
             "cpu_seconds": round(own_cpu, 2), "other_load_cores": round(max(busy - own_cpu, 0.0) / wall, 2),
             "waited_for_quiet_seconds": waited}
    if timeline:
        found["rss_timeline"] = samples
    return found


def rss_by_stage(samples: list[tuple[float, int]], events: list, finished: float) -> dict:
    """Peak RSS (MB) of the run's process while each stage ran, from progress events and RSS samples."""
    spans = [("start-up", float("-inf"), events[0][0] if events else finished)]
    for i, (at, stage, _) in enumerate(events):
        spans.append((stage, at, events[i + 1][0] if i + 1 < len(events) else finished))
    spans.append(("exit", finished, float("inf")))
    peaks: dict[str, float] = {}
    for stage, start, end in spans:
        inside = [rss for t, rss in samples if start <= t < end]
        if inside:
            peaks[stage] = max(peaks.get(stage, 0.0), round(max(inside) / 2**20, 1))
    return peaks


def summarise(runs: list[dict], rows: int | None = None) -> dict:
    wall = statistics.median(r["wall_seconds"] for r in runs)
    summary = {"wall_seconds": round(wall, 3), "runs": [r["wall_seconds"] for r in runs],
               "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
               "tree_peak_rss_mb": max(r["tree_peak_rss_mb"] for r in runs),
               "cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in runs), 2),
               # of the machine's cores, busy with the run's process tree over its wall time
               "cpu_utilisation": round(statistics.median(r["cpu_seconds"] / r["wall_seconds"] for r in runs)
                                        / (os.cpu_count() or 1), 3),
               "other_load_cores": max(r["other_load_cores"] for r in runs)}
    if rows:
        summary["rows_per_second"] = round(rows / wall)
    return summary


def code_env() -> dict:
    """The environment of every child: fundwatch imported from this checkout (ROOT), whatever the venv's
    editable install points at, so that a clone benchmarks its own code."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def prefect_env(home: Path, api_url: str | None = None) -> dict:
    env = {k: v for k, v in code_env().items() if not k.startswith("PREFECT_")}
    # the startup timeout only keeps a slow start on a busy machine from failing (default 20 s); it does
    # not change how long a start takes
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", GX_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING", PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
               PYTHONUNBUFFERED="1")
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def prefect_command() -> list[str]:
    script = Path(sys.executable).with_name("prefect")
    return [str(script)] if script.exists() else [sys.executable, "-m", "prefect"]


def _run_cli(inputs: Path, out: Path, env: dict, log: Path, label: str, timeline: bool = False) -> tuple[dict, dict | None]:
    """`fundwatch run INPUTS --out OUT` through the CLI wrapper, measured; and the stage events the
    wrapper wrote, when it wrote them."""
    shutil.rmtree(out, ignore_errors=True)
    stages = out.with_name(out.name + ".stages.json")
    stages.unlink(missing_ok=True)
    command = [sys.executable, "-c", FUNDWATCH_CLI, "run", str(inputs), "--out", str(out)]
    result = measure(command, {**env, "FUNDWATCH_BENCH_STAGES": str(stages)}, log, label, timeline=timeline)
    written = json.loads(stages.read_text()) if stages.exists() else None
    stages.unlink(missing_ok=True)
    return result, written


def run_fundwatch(county: Path, out: Path, env: dict, log: Path, label: str, keep: Path | None = None) -> dict:
    result, written = _run_cli(county, out, env, log, label, timeline=True)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    result["manifest_stage_seconds"] = manifest["stage_seconds"]
    samples = result.pop("rss_timeline")
    if written is not None:
        result["stage_seconds"] = written["stage_seconds"]
        result["peak_rss_mb_by_stage"] = rss_by_stage(samples, written["events"], written["finished"])
    else:
        result["stage_seconds"] = manifest["stage_seconds"]
    result["rule_seconds"] = {r["rule_id"]: r.get("seconds") for r in manifest["rules"]}
    # validation runs beside rules, scoring and assembly: only the wait for it after them is on the clock
    serial = {k: v for k, v in result["stage_seconds"].items() if k != "validate"}
    result["outside_stages_seconds"] = round(result["wall_seconds"] - sum(serial.values()), 3)
    result["clues"] = manifest["clues"]["clues"]
    if keep is not None:
        shutil.copy(out / "clues.csv", keep)
    shutil.rmtree(out, ignore_errors=True)
    return result


def run_fundwatch_city(city: Path, out: Path, env: dict, log: Path, label: str) -> dict:
    """`fundwatch run CITY --out OUT`: wall, CPU, memory; the city manifest's stages and, summed over the
    counties, each county stage's seconds (the counties run side by side: these add up past the wall)."""
    result, _ = _run_cli(city, out, env, log, label)
    manifest = json.loads((out / "city" / "manifest.json").read_text(encoding="utf-8"))
    result["stage_seconds"] = manifest["stage_seconds"]
    counties = sorted(p.name for p in out.iterdir() if p.is_dir() and p.name.isdigit())
    summed: dict[str, float] = {}
    for county in counties:
        county_stages = json.loads((out / county / "manifest.json").read_text(encoding="utf-8"))["stage_seconds"]
        for stage, seconds in county_stages.items():
            summed[stage] = round(summed.get(stage, 0.0) + seconds, 3)
    result["county_stage_seconds"] = summed
    result["counties"] = counties
    result["clues"] = manifest["clues"]["clues"]
    shutil.rmtree(out, ignore_errors=True)
    return result


class PrefectServer:
    """`prefect server start` on 127.0.0.1 in its own session; stopped (the whole session) on exit."""

    def __init__(self, home: Path, log: Path):
        self.home, self.log = home, log
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.process = None
        self.start_seconds = None

    def __enter__(self) -> PrefectServer:
        command = [*prefect_command(), "server", "start", "--host", "127.0.0.1", "--port", str(self.port)]
        self.home.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        self.output = self.log.open("ab")
        self.process = subprocess.Popen(command, env=prefect_env(self.home), cwd=ROOT, stdout=self.output,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"prefect server exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                    if response.status == 200:
                        self.start_seconds = round(time.perf_counter() - started, 2)
                        return self
            except OSError:
                pass
            time.sleep(0.5)
        self.__exit__(None, None, None)
        raise SystemExit("prefect server did not become healthy within 180 s")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        try:  # workers left in the session by a server that died first
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, TypeError, AttributeError):
            pass
        self.output.close()


def import_times(repeat: int, log: Path) -> dict:
    env = prefect_env(Path(tempfile.gettempdir()))

    def wall(code: str) -> float:
        return measure([sys.executable, "-c", code], env, log, f"import: {code[:60]}")["wall_seconds"]

    bare = statistics.median(wall("pass") for _ in range(repeat))
    found = {"interpreter_start_seconds": round(bare, 3)}
    for label, code in IMPORTS.items():
        found[label] = round(statistics.median(wall(code) for _ in range(repeat)) - bare, 3)
    # the heaviest top-level packages behind a run's imports, from -X importtime
    trace = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORTS["everything a run imports"]],
                           env=env, cwd=ROOT, capture_output=True, text=True, check=False).stderr
    heaviest: dict[str, int] = {}
    for line in trace.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( +)(\S+)", line)
        if match and len(match.group(2)) == 1:  # top level only
            package = match.group(3).split(".")[0]
            heaviest[package] = heaviest.get(package, 0) + int(match.group(1))
    found["top_level_packages_seconds"] = {k: round(v / 1e6, 3) for k, v in
                                           sorted(heaviest.items(), key=lambda kv: -kv[1])[:10]}
    return found
