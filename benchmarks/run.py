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
     city        the same rows as a city: the county's people cut into --city-counties counties (by
                 个人编号, 行政区划代码 set to each county's code, reference/ shared), `fundwatch run CITY`;
                 the city manifest's stages and each county stage summed over the counties
     start-up    a one-task hello-world Prefect flow vs fundwatch on a tiny county (250 persons,
                 13 months), both with the temporary server (and with the running server)
     imports     wall time of importing fundwatch's modules in a fresh interpreter
3. checks that pandas and fundwatch find the same D01 and P01 subjects (with the same payment
   counts and improper amounts), prints rich tables, and writes everything to
   benchmarks/results/rows-<rows>-<date>.json.

Wall times are medians over --repeat runs (rounds interleave baseline, pandas and fundwatch); peak
RSS is the largest over the runs. Prefect runs use their own PREFECT_HOME inside the work folder
(warmed by one untimed hello-world run, so database migrations are not timed). The generated inputs
and output folders are deleted at the end unless --keep-inputs / --inputs is given.

Beside this file: county_inputs (generating the inputs), child_scripts (the programs measured),
measuring (child processes, their environments, a Prefect server), profiling (--profile) and
reporting (agreement, ratios, tables, the results file).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from child_scripts import BASELINE, HELLO_FLOW
from county_inputs import TINY, generate, parse_rows, rows_label, split_into_city
from measuring import (QUIET, ROOT, MeasureFailed, PrefectServer, code_env, import_times, measure, prefect_command,
                       prefect_env, run_fundwatch, run_fundwatch_city, summarise)
from profiling import profile
from reporting import TARGETS, code_version, compare, machine, ratio, report, save, verdicts

RESULTS = ROOT / "benchmarks" / "results"
MEASUREMENTS = ("baseline", "pandas", "fundwatch", "city", "startup", "imports", "profile")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=parse_rows, default=parse_rows("1M"), help="payment rows (default 1M)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (median reported)")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--city-counties", type=int, default=10,
                        help="city: the county's people cut into this many counties (default 10)")
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
    if "city" in only:
        results["city_inputs"] = split_into_city(inputs, args.city_counties)
        city = inputs / f"city-{args.city_counties}"
        print(f"city: the same rows in {args.city_counties} counties, {city}", flush=True)

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
        if "city" in only:
            attempt("city", run_fundwatch_city, city, out / "city", env, log, "fundwatch city")

    tiny = None
    if only & {"startup", "profile"}:
        try:
            tiny_meta = make_inputs(work / "tiny", 0, TINY["months"], args.seed, log, persons=TINY["persons"])
        except MeasureFailed as error:  # the measurements above stand without the start-up ones
            errors.append({"measurement": "tiny inputs", "error": str(error)[-2000:]})
            print(f"  tiny county FAILED: {str(error).splitlines()[0]}; no start-up measurement", flush=True)
            only = only - {"startup", "profile"}
        else:
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
        if key == "city":
            summary["stage_seconds"] = {s: round(statistics.median(r["stage_seconds"][s] for r in measured), 3)
                                        for s in measured[0]["stage_seconds"]}
            summary["county_stage_seconds"] = {s: round(statistics.median(r["county_stage_seconds"][s] for r in measured), 3)
                                               for s in measured[0]["county_stage_seconds"]}
            summary["counties"], summary["clues"] = measured[0]["counties"], measured[0]["clues"]
        elif "stage_seconds" in measured[0]:
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
        "city_over_county": ratio(m.get("city", {}).get("wall_seconds"), m.get("fundwatch", {}).get("wall_seconds")),
        "city_over_baseline": ratio(m.get("city", {}).get("wall_seconds"), m.get("baseline", {}).get("wall_seconds")),
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


if __name__ == "__main__":
    main()
