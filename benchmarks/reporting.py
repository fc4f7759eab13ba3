"""What the benchmark found: pandas and fundwatch compared, the code and machine, the ratios against
their targets, rich tables, the results file.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from measuring import ROOT


# issue 18's targets (issue 7's were 4x the floor for the county of a run without validation, linkage or staff rules)
TARGETS = {"fundwatch_over_baseline": 10.0, "pandas_over_fundwatch": 10.0, "fundwatch_peak_rss_gb": 4.0,
           "startup_over_hello": 1.2, "startup_overhead_seconds": 5.0, "city_over_county": 1.3,
           "city_over_baseline": 12.0}


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
    city = m.get("city", {}).get("wall_seconds")
    if city and fw:
        value = ratio(city, fw)
        checks["city of the same rows / one county (wall)"] = {
            "value": value, "target": f"<= {TARGETS['city_over_county']}", "met": value <= TARGETS["city_over_county"]}
    if city and "baseline" in m:
        value = ratio(city, m["baseline"]["wall_seconds"])
        checks["city / baseline (wall)"] = {
            "value": value, "target": f"<= {TARGETS['city_over_baseline']}", "met": value <= TARGETS["city_over_baseline"]}
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
        "city": "fundwatch run, the same rows as a city (temporary server)",
        "startup_hello": "start-up: hello-world flow (temporary server)",
        "startup_fundwatch": "start-up: fundwatch tiny county (temporary server)",
        "startup_hello_server": "start-up: hello-world flow (running server)",
        "startup_fundwatch_server": "start-up: fundwatch tiny county (running server)",
    }
    table = Table(title=f"fundwatch benchmark: {rows:,} payment rows, one county "
                        f"({results['machine']['cpus']} cores, {results['machine']['memory_gb']} GB)")
    for column in ("measurement", "wall s (median)", "runs", "peak RSS MB", "tree peak MB", "rows/s", "CPU s",
                   "CPU use", "other load"):
        table.add_column(column, justify="left" if column == "measurement" else "right")
    for key, label in names.items():
        if key in m:
            r = m[key]
            table.add_row(label, f"{r['wall_seconds']:.2f}", " ".join(f"{w:.1f}" for w in r["runs"]),
                          f"{r['peak_rss_mb']:,.0f}", f"{r['tree_peak_rss_mb']:,.0f}",
                          f"{r['rows_per_second']:,}" if "rows_per_second" in r else "", f"{r['cpu_seconds']:.1f}",
                          f"{r['cpu_utilisation']:.0%}", f"{r['other_load_cores']:.2f}")
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

    if "city" in m:
        r = m["city"]
        table = Table(title=f"the city run: {len(r['counties'])} counties of the same rows; seconds (median over runs)")
        table.add_column("stage")
        table.add_column("city wall", justify="right")
        table.add_column("summed over the counties", justify="right")
        for stage, seconds in r["stage_seconds"].items():
            table.add_row(stage, f"{seconds:.2f}", "")
        for stage, seconds in r["county_stage_seconds"].items():
            table.add_row(f"  county {stage}", "", f"{seconds:.2f}")
        console.print(table)

    checks = verdicts(results)
    if checks:
        table = Table(title="ratios against the targets of issue 18")
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


def save(results: dict, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
