"""End-to-end benchmark: fundwatch against the engine's floor and against a hand-written pandas script.

    .venv/bin/python benchmarks/run.py --rows 1M --repeat 3            # ~1M payment rows, one county
    .venv/bin/python benchmarks/run.py --rows 10M --repeat 1 --with-server
    .venv/bin/python benchmarks/run.py --rows 200k --only baseline,fundwatch --keep-inputs

One invocation:

1. generates a synthetic county with fundwatch's synth (one county folder, 24 months; persons chosen
   for the row count, ~21.6 payment rows per person) in a child process, and converts its exports to
   plain UTF-8 CSV with the same headers: the per-year payment files become one payments.csv, the
   recipients workbook becomes recipients.csv; reference/ is kept as synth wrote it;
2. measures, each run in a fresh child process, run one at a time (wall time; peak RSS of the
   largest process from wait4's ru_maxrss, and of the whole process tree by polling with psutil):
     baseline    bare DuckDB: read every payments CSV, one GROUP BY id_number, period
     pandas      benchmarks/pandas_rules.py: D01 and P01 as an analyst writes them by hand
     fundwatch   `fundwatch run COUNTY --out OUT` (Prefect's temporary local server), with the
                 manifest's stage_seconds; with --with-server also against a running
                 `prefect server start` (PREFECT_API_URL)
     start-up    a one-task hello-world Prefect flow vs fundwatch on a tiny county (200 persons,
                 13 months), both with the temporary server (and with the running server)
     imports     wall time of importing fundwatch's modules in a fresh interpreter
3. checks that pandas and fundwatch find the same D01 and P01 subjects (with the same payment
   counts and improper amounts), prints rich tables, and writes everything to
   benchmarks/results/rows-<rows>-<date>.json.

Wall times are medians over --repeat runs (rounds interleave baseline, pandas and fundwatch); peak
RSS is the largest over the runs. Prefect runs use their own PREFECT_HOME inside the work folder
(warmed by one untimed hello-world run, so database migrations are not timed). The generated inputs
and output folders are deleted at the end unless --keep-inputs / --inputs is given.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
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

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
ROWS_PER_PERSON_24_MONTHS = 21.64  # measured: 432,790 payment rows for 20,000 persons over 24 months
TINY = {"persons": 200, "months": 13}
MEASUREMENTS = ("baseline", "pandas", "fundwatch", "startup", "imports", "profile")
TARGETS = {"fundwatch_over_baseline": 4.0, "pandas_over_fundwatch": 10.0, "fundwatch_peak_rss_gb": 4.0,
           "startup_over_hello": 1.2, "startup_overhead_seconds": 5.0}
IMPORTS = {  # what each stage imports, each measured in a fresh interpreter
    "flows.county (CLI start: prefect, fundwatch.run, sklearn)": "import flows.county",
    "great_expectations (validate stage)": "import great_expectations, duckdb_engine, checks.validation",
    "fundwatch.report + workbook (emit stage)": "import fundwatch.report, fundwatch.workbook",
    "everything a run imports": ("import flows.county, great_expectations, duckdb_engine, checks.validation, "
                                 "fundwatch.report, fundwatch.workbook"),
}
HELLO_FLOW = """
from prefect import flow, task

@task
def hello():
    return "hello"

@flow(name="hello-world")
def hello_flow():
    return hello()

print(hello_flow())
"""
# The `fundwatch` console script's entry point (flows.cli.app), with its summary printer also writing the
# run's stage_seconds (manifest.json is written during the emit stage, so its stage_seconds lack emit) and
# the time each stage started (fundwatch.progress events), to find the stage of the peak RSS.
FUNDWATCH_CLI = """
import json, os, sys, time
import flows.cli as cli
from fundwatch import progress

events = []
progress.subscribe(lambda stage, message: events.append((time.time(), stage, message)))
print_summary = cli._summary

def summary(result):
    with open(os.environ["FUNDWATCH_BENCH_STAGES"], "w") as f:
        json.dump({"stage_seconds": result["stage_seconds"], "events": events, "finished": time.time()}, f)
    print_summary(result)

cli._summary = summary
sys.argv[0] = "fundwatch"
cli.main()
"""
# --profile: the stages of a county run called directly (fundwatch.run.run_county, no Prefect), with
# every DuckDB statement and every named SQL step (fundwatch.db.run_sql) timed through a thin proxy.
PROFILE_STAGES = """
import collections, json, sys, time
from pathlib import Path
import flows.county, checks.validation, fundwatch.report, fundwatch.workbook  # what a run imports, before patching
import fundwatch.db as db
from fundwatch import run

county, out, target = sys.argv[1:4]
steps = collections.defaultdict(lambda: [0, 0.0])
statements = collections.defaultdict(lambda: [0, 0.0])

def record(table, key, started):
    entry = table[key]
    entry[0] += 1
    entry[1] += time.perf_counter() - started

class Timed:
    def __init__(self, con):
        self._con = con
    def __getattr__(self, name):
        return getattr(self._con, name)
    def __enter__(self):
        self._con.__enter__()
        return self
    def __exit__(self, *exc):
        return self._con.__exit__(*exc)
    def execute(self, sql, *args, **kwargs):
        # DuckDB finds Arrow/pandas/polars objects named in SQL in the frame that calls execute, which is
        # now this one: register the caller's for the statement
        caller, text, registered = sys._getframe(1).f_locals, str(sql), []
        for name, value in caller.items():
            if name in text and type(value).__module__.split(".")[0] in ("pyarrow", "pandas", "polars"):
                self._con.register(name, value)
                registered.append(name)
        started = time.perf_counter()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            record(statements, " ".join(text.split())[:200], started)
            for name in registered:
                self._con.unregister(name)

original_connect, original_run_sql = db.connect, db.run_sql

def connect(*args, **kwargs):
    return Timed(original_connect(*args, **kwargs))

def run_sql(con, step, sql, params=None):
    started = time.perf_counter()
    try:
        return original_run_sql(con, step, sql, params)
    finally:
        record(steps, step, started)

for module in list(sys.modules.values()):
    if getattr(module, "connect", None) is original_connect:
        module.connect = connect
    if getattr(module, "run_sql", None) is original_run_sql:
        module.run_sql = run_sql

started = time.perf_counter()
paths, _ = run.prepare(Path(county), Path(out))
result = run.run_county(paths, run.RunOptions())
top = lambda table, n: [{"what": k, "calls": c, "seconds": round(t, 3)}
                        for k, (c, t) in sorted(table.items(), key=lambda kv: -kv[1][1])[:n]]
with open(target, "w", encoding="utf-8") as f:
    json.dump({"wall_seconds": round(time.perf_counter() - started, 3), "stage_seconds": result["stage_seconds"],
               "rule_seconds": {r["rule_id"]: r.get("seconds") for r in result["rules"]},
               "sql_steps": top(steps, 40), "statements": top(statements, 40)}, f, ensure_ascii=False, indent=1)
"""
BASELINE = """
import duckdb, json, sys, time
files, id_column, period_column = json.loads(sys.argv[1])
started = time.perf_counter()
con = duckdb.connect()
con.execute(f'''create table groups as
    select "{id_column}" as id_number, "{period_column}" as period, count(*) as payments
    from read_csv($files, header = true, all_varchar = true)
    group by all''', {"files": files})
groups, rows = con.execute("select count(*), sum(payments) from groups").fetchone()
print(json.dumps({"groups": groups, "rows": int(rows), "seconds": round(time.perf_counter() - started, 3)}))
"""


# ----------------------------------------------------------------------------------------------
# Inputs


def parse_rows(text: str) -> int:
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kKmM]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a row count: {text!r} (e.g. 1M, 300k, 2500000)")
    return int(float(match.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()])


def rows_label(rows: int) -> str:
    """1,000,994 -> 1M, 3,002,480 -> 3M, 100,560 -> 101k (three significant digits)."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if rows >= size:
            return f"{rows / size:.3g}{suffix}"
    return str(rows)


def persons_for(rows: int, months: int) -> int:
    return max(TINY["persons"], round(rows / (ROWS_PER_PERSON_24_MONTHS * months / 24)))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


def _xlsx_to_csv(workbook: Path, target: Path) -> int:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(workbook)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        for row in rows:
            writer.writerow([_cell(v) for v in row])
    return len(rows) - 1


def _text_to_utf8_csv(source: Path, target: Path) -> int:
    """Re-encode a delimited text export as comma-separated UTF-8 (for layouts other than synth's first)."""
    raw = source.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",\t|").delimiter
    rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
    with target.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(rows)
    return len(rows) - 1


def generate(folder: Path, rows: int, months: int, seed: int, persons: int | None = None) -> dict:
    """Synth one county at about `rows` payment rows and convert it to plain UTF-8 CSV in `folder`."""
    sys.path.insert(0, str(ROOT))
    from fundwatch.synth import synth

    persons = persons or persons_for(rows, months)
    raw = folder / "_synth"
    started = time.perf_counter()
    summary = synth(raw, counties=1, persons=persons, months=months, seed=seed)
    synth_seconds = time.perf_counter() - started
    started = time.perf_counter()
    (county_raw,) = [p for p in raw.iterdir() if p.is_dir() and p.name.isdigit()]
    county = folder / county_raw.name
    county.mkdir(parents=True)
    payment_files = sorted(p for p in county_raw.iterdir() if p.name.startswith("payments") or "发放" in p.name)
    payment_rows = 0
    with (county / "payments.csv").open("wb") as out:
        header = None
        for path in payment_files:
            if path.suffix != ".csv":  # other synth layouts: convert first
                _text_to_utf8_csv(path, folder / "_tmp.csv")
                path = folder / "_tmp.csv"
            with path.open("rb") as source:
                first = source.readline().removeprefix(b"\xef\xbb\xbf")
                if header is None:
                    header = first
                    out.write(first)
                elif first != header:
                    raise SystemExit(f"{path.name}: header differs from the first payments file")
                for line in source:
                    out.write(line)
                    payment_rows += 1
    (folder / "_tmp.csv").unlink(missing_ok=True)
    recipients = next(p for p in county_raw.iterdir() if p.name.startswith("recipients") or "领取人员" in p.name)
    recipient_rows = (_xlsx_to_csv(recipients, county / "recipients.csv") if recipients.suffix == ".xlsx"
                      else _text_to_utf8_csv(recipients, county / "recipients.csv"))
    shutil.move(str(raw / "reference"), str(folder / "reference"))
    shutil.move(str(raw / "ground_truth.csv"), str(folder / "ground_truth.csv"))
    shutil.rmtree(raw)
    meta = {"county": county.name, "persons": persons, "months": months, "seed": seed,
            "payment_rows": payment_rows, "recipient_rows": recipient_rows,
            "payment_bytes": (county / "payments.csv").stat().st_size,
            "synth_rows": summary["rows"], "synth_layout": summary["counties"][county.name],
            "synth_seconds": round(synth_seconds, 1), "convert_seconds": round(time.perf_counter() - started, 1)}
    (folder / "bench_inputs.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return meta


# ----------------------------------------------------------------------------------------------
# Measuring child processes


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


def run_fundwatch(county: Path, out: Path, env: dict, log: Path, label: str, keep: Path | None = None) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    stages = out.with_name(out.name + ".stages.json")
    stages.unlink(missing_ok=True)
    command = [sys.executable, "-c", FUNDWATCH_CLI, "run", str(county), "--out", str(out)]
    result = measure(command, {**env, "FUNDWATCH_BENCH_STAGES": str(stages)}, log, label, timeline=True)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    result["manifest_stage_seconds"] = manifest["stage_seconds"]
    samples = result.pop("rss_timeline")
    if stages.exists():
        written = json.loads(stages.read_text())
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


# ----------------------------------------------------------------------------------------------
# Agreement of pandas and fundwatch


def compare(pandas_json: Path, clues_csv: Path, ground_truth: Path) -> dict:
    found = json.loads(pandas_json.read_text(encoding="utf-8"))["subjects"]
    with clues_csv.open(encoding="utf-8-sig", newline="") as f:
        clues = list(csv.DictReader(f))
    truth = {}
    if ground_truth.exists():
        with ground_truth.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row["kind"] == "plant":
                    truth.setdefault(row["rule_id"], set()).add(row["subject_key"])
    agreement = {}
    for rule in ("D01", "P01"):
        ours = {c["公民身份号码"]: {"payments": int(c["涉及笔数"]), "amount": c["涉及金额"]}
                for c in clues if c["规则编号"] == rule}
        theirs = found.get(rule, {})
        both = ours.keys() & theirs.keys()
        differing = sorted(k for k in both if ours[k]["payments"] != theirs[k]["payments"]
                           or abs(float(ours[k]["amount"]) - float(theirs[k]["amount"])) > 0.005)
        agreement[rule] = {
            "fundwatch_subjects": len(ours), "pandas_subjects": len(theirs),
            "only_fundwatch": len(ours.keys() - theirs.keys()), "only_pandas": len(theirs.keys() - ours.keys()),
            "count_or_amount_differs": len(differing),
            "planted": len(truth.get(rule, ())), "planted_found_by_fundwatch": len(truth.get(rule, set()) & ours.keys()),
            "planted_found_by_pandas": len(truth.get(rule, set()) & theirs.keys()),
            "agree": ours.keys() == theirs.keys() and not differing,
        }
    return agreement


# ----------------------------------------------------------------------------------------------
# Report


def code_version() -> dict:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    return {"root": str(ROOT), "commit": git("rev-parse", "HEAD"), "subject": git("log", "-1", "--format=%s")[:120],
            "dirty_files": [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines()]}


def machine() -> dict:
    import psutil

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in ("duckdb", "pandas", "polars", "pyarrow", "prefect", "great-expectations", "scikit-learn"):
        try:
            from importlib.metadata import version
            versions[name] = version(name)
        except Exception:  # noqa: BLE001
            versions[name] = None
    return {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1), "cpu": cpu,
            "python": platform.python_version(), "platform": platform.platform(), "versions": versions}


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def verdicts(results: dict) -> dict:
    m = results["measurements"]
    fw = m.get("fundwatch", {}).get("wall_seconds")
    checks = {}
    if fw and "baseline" in m:
        value = ratio(fw, m["baseline"]["wall_seconds"])
        checks["fundwatch / baseline (wall)"] = {"value": value, "target": f"<= {TARGETS['fundwatch_over_baseline']}",
                                                 "met": value <= TARGETS["fundwatch_over_baseline"]}
    if fw and "pandas" in m:
        value = ratio(m["pandas"]["wall_seconds"], fw)
        checks["pandas / fundwatch (wall)"] = {"value": value, "target": f">= {TARGETS['pandas_over_fundwatch']}",
                                               "met": value >= TARGETS["pandas_over_fundwatch"]}
    if fw:
        value = round(m["fundwatch"]["peak_rss_mb"] / 1024, 2)
        checks["fundwatch peak RSS (GB)"] = {"value": value, "target": f"<= {TARGETS['fundwatch_peak_rss_gb']}",
                                             "met": value <= TARGETS["fundwatch_peak_rss_gb"]}
    if "fundwatch_server" in m and "baseline" in m:
        value = ratio(m["fundwatch_server"]["wall_seconds"], m["baseline"]["wall_seconds"])
        checks["fundwatch with server / baseline (wall)"] = {
            "value": value, "target": f"<= {TARGETS['fundwatch_over_baseline']}",
            "met": value <= TARGETS["fundwatch_over_baseline"]}
    if "startup_fundwatch" in m:
        value = ratio(m["startup_fundwatch"]["wall_seconds"], m["startup_hello"]["wall_seconds"])
        checks["start-up: fundwatch tiny / hello-world (temporary server)"] = {
            "value": value, "target": f"<= {TARGETS['startup_over_hello']}", "met": value <= TARGETS["startup_over_hello"]}
    if "startup_fundwatch_server" in m:
        value = startup_overhead(m["startup_fundwatch_server"])
        checks["start-up overhead, s (running server)"] = {
            "value": value, "target": f"<= {TARGETS['startup_overhead_seconds']}",
            "met": value <= TARGETS["startup_overhead_seconds"]}
    return checks


def startup_overhead(run: dict) -> float:
    """Seconds of a tiny run spent on anything but its stages' work: imports, Prefect's flow and task
    start-up and exit (outside the stages), and the wait for validation after the other stages (on a
    tiny county, the wait for Great Expectations' import and context)."""
    return round(run["outside_stages_seconds"] + run["stage_seconds"].get("validate_wait", 0.0), 2)


def report(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    m = results["measurements"]
    rows = results["inputs"]["payment_rows"]
    names = {
        "baseline": "baseline: bare DuckDB read + GROUP BY", "pandas": "hand-written pandas D01 + P01",
        "fundwatch": "fundwatch run (temporary server)", "fundwatch_server": "fundwatch run (running server)",
        "startup_hello": "start-up: hello-world flow (temporary server)",
        "startup_fundwatch": "start-up: fundwatch tiny county (temporary server)",
        "startup_hello_server": "start-up: hello-world flow (running server)",
        "startup_fundwatch_server": "start-up: fundwatch tiny county (running server)",
    }
    table = Table(title=f"fundwatch benchmark: {rows:,} payment rows, one county "
                        f"({results['machine']['cpus']} cores, {results['machine']['memory_gb']} GB)")
    for column in ("measurement", "wall s (median)", "runs", "peak RSS MB", "tree peak MB", "rows/s", "CPU s",
                   "other load"):
        table.add_column(column, justify="left" if column == "measurement" else "right")
    for key, label in names.items():
        if key in m:
            r = m[key]
            table.add_row(label, f"{r['wall_seconds']:.2f}", " ".join(f"{w:.1f}" for w in r["runs"]),
                          f"{r['peak_rss_mb']:,.0f}", f"{r['tree_peak_rss_mb']:,.0f}",
                          f"{r['rows_per_second']:,}" if "rows_per_second" in r else "", f"{r['cpu_seconds']:.1f}",
                          f"{r['other_load_cores']:.2f}")
    console.print(table)

    stages = [k for k in ("fundwatch", "fundwatch_server", "startup_fundwatch", "startup_fundwatch_server") if k in m]
    if stages:
        table = Table(title="fundwatch stages: seconds (median over runs; emit included) and peak RSS of the run's "
                            "process while the stage ran")
        table.add_column("stage")
        for key in stages:
            table.add_column(names[key].replace("fundwatch ", "").replace("start-up: ", ""), justify="right")

        def cell(key: str, stage: str) -> str:
            r = m[key]
            seconds = r["outside_stages_seconds"] if stage == "outside" else r["stage_seconds"].get(stage, 0.0)
            peaks = r.get("peak_rss_mb_by_stage", {})
            peak = max(peaks.get("start-up", 0), peaks.get("exit", 0)) if stage == "outside" else peaks.get(stage)
            return f"{seconds:.2f} s" + (f"  {peak:,.0f} MB" if peak else "")

        for stage in (*m[stages[0]]["stage_seconds"], "outside"):
            label = {"outside": "outside stages (start-up, Prefect, exit)",
                     "validate": "validate (beside rules, score, assemble)",
                     "validate_wait": "waiting for validation after them"}.get(stage, stage)
            table.add_row(label, *[cell(k, stage) for k in stages])
        console.print(table)

    checks = verdicts(results)
    if checks:
        table = Table(title="ratios against the targets of issue 7")
        for column in ("ratio", "value", "target", "met"):
            table.add_column(column, justify="left" if column == "ratio" else "right")
        for label, c in checks.items():
            table.add_row(label, f"{c['value']}", c["target"], "[green]yes[/]" if c["met"] else "[red]no[/]")
        console.print(table)

    if "agreement" in results:
        table = Table(title="pandas vs fundwatch: D01 and P01 subjects")
        for column in ("rule", "fundwatch", "pandas", "only fundwatch", "only pandas", "count/amount differs",
                       "planted (found fw/pd)", "agree"):
            table.add_column(column, justify="right")
        for rule, a in results["agreement"].items():
            table.add_row(rule, str(a["fundwatch_subjects"]), str(a["pandas_subjects"]), str(a["only_fundwatch"]),
                          str(a["only_pandas"]), str(a["count_or_amount_differs"]),
                          f"{a['planted']} ({a['planted_found_by_fundwatch']}/{a['planted_found_by_pandas']})",
                          "[green]yes[/]" if a["agree"] else "[red]no[/]")
        console.print(table)

    if "imports" in results:
        table = Table(title="import time in a fresh interpreter (seconds over `python -c pass`)")
        table.add_column("import")
        table.add_column("seconds", justify="right")
        for label, seconds in results["imports"].items():
            if isinstance(seconds, float):
                table.add_row(label, f"{seconds:.2f}")
        heaviest = ", ".join(f"{k} {v:.2f}" for k, v in results["imports"]["top_level_packages_seconds"].items())
        console.print(table)
        console.print(f"heaviest top-level packages (-X importtime, cumulative s): {heaviest}")


# ----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=parse_rows, default=parse_rows("1M"), help="payment rows (default 1M)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (median reported)")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--with-server", action="store_true",
                        help="also measure against a running `prefect server start` on 127.0.0.1")
    parser.add_argument("--only", default=",".join(MEASUREMENTS[:-1]),
                        help=f"comma-separated subset of {','.join(MEASUREMENTS)} (default: all but profile)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one fundwatch run: timed SQL statements and py-spy samples (slower)")
    parser.add_argument("--work", type=Path, help="work folder (default: a new temporary folder, deleted at the end)")
    parser.add_argument("--inputs", type=Path, help="reuse inputs made by an earlier --keep-inputs run (not deleted)")
    parser.add_argument("--keep-inputs", action="store_true", help="keep the generated inputs in the work folder")
    parser.add_argument("--results", type=Path, help="JSON file to write (default benchmarks/results/rows-<N>-<date>.json)")
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="before each run, wait up to this many seconds for other processes to use < 0.3 cores")
    parser.add_argument("--generate-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--persons", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.generate_only:  # child process: synth + conversion, nothing else
        print(json.dumps(generate(args.generate_only, args.rows, args.months, args.seed, args.persons)))
        return

    QUIET["wait_seconds"] = args.quiet_wait
    only = {s.strip() for s in args.only.split(",") if s.strip()} | ({"profile"} if args.profile else set())
    if only - set(MEASUREMENTS):
        parser.error(f"--only: unknown {sorted(only - set(MEASUREMENTS))}")
    work = args.work or Path(tempfile.mkdtemp(prefix="fundwatch-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench.log"
    print(f"work folder {work}; child output in {log}", flush=True)
    inputs = args.inputs or work / "inputs"
    try:
        results = benchmark(args, only, work, inputs, log, args.results)
    finally:
        for folder in (work / "out", work / "tiny", work / "prefect-home", work / "prefect-server-home"):
            shutil.rmtree(folder, ignore_errors=True)
        if not args.inputs and not args.keep_inputs:
            shutil.rmtree(inputs, ignore_errors=True)
        if not args.work and not args.keep_inputs:
            shutil.rmtree(work, ignore_errors=True)
    report(results)
    print(f"results written to {results['results_file']}")


def make_inputs(folder: Path, rows: int, months: int, seed: int, log: Path, persons: int | None = None) -> dict:
    if (folder / "bench_inputs.json").exists():
        return json.loads((folder / "bench_inputs.json").read_text(encoding="utf-8"))
    shutil.rmtree(folder, ignore_errors=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--generate-only", str(folder), "--rows", str(rows),
               "--months", str(months), "--seed", str(seed)] + (["--persons", str(persons)] if persons else [])
    print(f"generating {folder.name}: ~{rows:,} payment rows ...", flush=True)
    generated = measure(command, code_env(), log, f"generate {folder}")
    meta = json.loads((folder / "bench_inputs.json").read_text(encoding="utf-8"))
    meta["generate"] = generated
    (folder / "bench_inputs.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return meta


def benchmark(args, only: set[str], work: Path, inputs: Path, log: Path, target: Path | None) -> dict:
    results = {"command": " ".join(["benchmarks/run.py", *sys.argv[1:]]), "date": dt.datetime.now().isoformat(
        timespec="seconds"), "code": code_version(), "machine": machine(), "repeat": args.repeat,
               "targets": TARGETS}
    meta = make_inputs(inputs, args.rows, args.months, args.seed, log)
    results["inputs"] = meta
    rows = meta["payment_rows"]
    target = target or RESULTS / f"rows-{rows_label(rows)}-{dt.date.today()}.json"
    results["results_file"] = str(target)
    county = inputs / meta["county"]
    payment_files = sorted(str(p) for p in county.glob("payments*.csv"))
    with open(payment_files[0], encoding="utf-8") as f:
        header = next(csv.reader(f))
    id_column = next(h for h in header if h.strip() in ("公民身份号码", "身份证号码", "证件号码"))
    period_column = next(h for h in header if h.strip() in ("所属期", "发放所属期", "所属年月"))
    for path in payment_files:  # page cache warm for everyone
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass
    print(f"inputs: {rows:,} payment rows, {meta['payment_bytes'] / 2**20:,.0f} MB in {county}", flush=True)

    home = work / "prefect-home"
    env = prefect_env(home)
    if only & {"fundwatch", "startup", "profile"}:
        print("creating PREFECT_HOME's database and warming it with one untimed hello-world run ...", flush=True)
        measure([*prefect_command(), "server", "database", "upgrade", "-y"], env, log, "prefect database upgrade")
        measure([sys.executable, "-c", HELLO_FLOW], env, log, "warm-up hello-world")

    runs: dict[str, list[dict]] = {}
    errors = results.setdefault("errors", [])
    out = work / "out"
    out.mkdir(exist_ok=True)
    pandas_json, clues_csv = work / "pandas_subjects.json", work / "fundwatch_clues.csv"

    def attempt(key: str, function, *args, **kwargs) -> dict | None:
        try:
            r = function(*args, **kwargs)
        except MeasureFailed as error:
            errors.append({"measurement": key, "error": str(error)[-2000:]})
            print(f"  {key:<22} FAILED: {str(error).splitlines()[0]}", flush=True)
            return None
        runs.setdefault(key, []).append(r)
        stages = f"  {r['stage_seconds']}" if "stage_seconds" in r else ""
        print(f"  {key:<22} {r['wall_seconds']:8.2f} s {r['peak_rss_mb']:8,.0f} MB  other load "
              f"{r['other_load_cores']:.2f}{stages}", flush=True)
        return r

    def pandas_run() -> dict:
        r = measure([sys.executable, str(ROOT / "benchmarks" / "pandas_rules.py"), str(county),
                     "--out", str(pandas_json)], env, log, "pandas")
        r["script_seconds"] = json.loads(pandas_json.read_text(encoding="utf-8"))["seconds"]
        return r

    hello = [sys.executable, "-c", HELLO_FLOW]
    for round_number in range(args.repeat):
        print(f"round {round_number + 1}/{args.repeat}", flush=True)
        if "baseline" in only:
            attempt("baseline", measure, [sys.executable, "-c", BASELINE,
                                          json.dumps([payment_files, id_column, period_column])], env, log, "baseline")
        if "pandas" in only:
            attempt("pandas", pandas_run)
        if "fundwatch" in only:
            attempt("fundwatch", run_fundwatch, county, out / "fundwatch", env, log, "fundwatch", keep=clues_csv)

    tiny = None
    if only & {"startup", "profile"}:
        tiny_meta = make_inputs(work / "tiny", 0, TINY["months"], args.seed, log, persons=TINY["persons"])
        tiny = work / "tiny" / tiny_meta["county"]
        results["tiny_inputs"] = tiny_meta
    if "startup" in only:
        for round_number in range(args.repeat):
            attempt("startup_hello", measure, hello, env, log, "hello-world")
            attempt("startup_fundwatch", run_fundwatch, tiny, out / "tiny", env, log, "fundwatch tiny")

    if args.with_server and only & {"fundwatch", "startup"}:
        with PrefectServer(work / "prefect-server-home", log) as server:
            results["server"] = {"api_url": server.api_url, "start_seconds": server.start_seconds}
            print(f"prefect server healthy at {server.api_url} after {server.start_seconds} s", flush=True)
            server_env = prefect_env(home, server.api_url)
            for round_number in range(args.repeat):
                if "startup" in only:
                    attempt("startup_hello_server", measure, hello, server_env, log, "hello-world (server)")
                    attempt("startup_fundwatch_server", run_fundwatch, tiny, out / "tiny", server_env, log,
                            "fundwatch tiny (server)")
                if "fundwatch" in only:
                    attempt("fundwatch_server", run_fundwatch, county, out / "fundwatch", server_env, log,
                            "fundwatch (server)")

    measurements = {}
    for key, measured in runs.items():
        summary = summarise(measured, None if key.startswith("startup") else rows)
        if "stage_seconds" in measured[0]:
            summary["stage_seconds"] = {s: round(statistics.median(r["stage_seconds"][s] for r in measured), 3)
                                        for s in measured[0]["stage_seconds"]}
            summary["outside_stages_seconds"] = round(statistics.median(r["outside_stages_seconds"] for r in measured), 3)
            summary["rule_seconds"] = measured[0]["rule_seconds"]
            by_stage = [r.get("peak_rss_mb_by_stage", {}) for r in measured]
            summary["peak_rss_mb_by_stage"] = {k: max(b.get(k, 0) for b in by_stage) for k in by_stage[0]}
            summary["clues"] = measured[0]["clues"]
        if "script_seconds" in measured[0]:
            summary["script_seconds"] = measured[len(measured) // 2]["script_seconds"]
        summary["all_runs"] = measured
        measurements[key] = summary
    results["measurements"] = measurements
    m = measurements
    results["ratios"] = {
        "fundwatch_over_baseline": ratio(m.get("fundwatch", {}).get("wall_seconds"), m.get("baseline", {}).get("wall_seconds")),
        "pandas_over_fundwatch": ratio(m.get("pandas", {}).get("wall_seconds"), m.get("fundwatch", {}).get("wall_seconds")),
        "fundwatch_server_over_baseline": ratio(m.get("fundwatch_server", {}).get("wall_seconds"),
                                                m.get("baseline", {}).get("wall_seconds")),
        "startup_over_hello": ratio(m.get("startup_fundwatch", {}).get("wall_seconds"),
                                    m.get("startup_hello", {}).get("wall_seconds")),
        "startup_over_hello_server": ratio(m.get("startup_fundwatch_server", {}).get("wall_seconds"),
                                           m.get("startup_hello_server", {}).get("wall_seconds")),
    }
    results["verdicts"] = verdicts(results)
    if pandas_json.exists() and clues_csv.exists():
        results["agreement"] = compare(pandas_json, clues_csv, inputs / "ground_truth.csv")
    save(results, target)  # a checkpoint: what follows may fail or be interrupted
    if "profile" in only:
        print("profiling one fundwatch run ...", flush=True)
        try:
            results["profile"] = profile(county, work, env, log, tiny)
        except Exception as error:  # noqa: BLE001 - the measurements above stand without it
            errors.append({"measurement": "profile", "error": f"{type(error).__name__}: {str(error)[-2000:]}"})
            print(f"  profile FAILED: {str(error).splitlines()[0] if str(error) else type(error).__name__}")
        save(results, target)
    if "imports" in only:
        print("import times ...", flush=True)
        results["imports"] = import_times(max(args.repeat, 3), log)
        save(results, target)
    return results


def save(results: dict, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
