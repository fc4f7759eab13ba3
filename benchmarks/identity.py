"""Identity resolution measured: D02/P04 precision and recall over seeds, and what linkage adds to a run.

    python benchmarks/identity.py quality --seeds 1 2 3            # county runs and a city run per seed
    python benchmarks/identity.py cost --rows 1M                    # linkage seconds and memory at 1M rows

`quality` generates a 3-county city per seed (fundwatch synth), runs every county and the city, and
compares the clues with ground_truth.csv: precision and recall of D02 and P04 (county runs: the
cases within one county; the city run: every case), near-misses flagged, and precision/recall of
every exact-match rule. `cost` generates one county of the given size (as benchmarks/run.py does),
runs it once with the linkage stage and reads the stage seconds from the manifest, then measures the
linkage stage alone on the kept run.duckdb (wall time and peak RSS of a process doing only that),
and splink's blocking analysis (exact pair counts per blocking rule). JSON goes to
benchmarks/results/identity-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
EXACT_RULES = ("D01", "P01", "P02", "E01", "E02", "E03", "E04", "E05", "A01", "A02", "A03")


def read_csv(path: Path) -> list[dict]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def subject_of(clue: dict) -> str:
    return clue["公民身份号码"] if clue["对象类型"] == "人员" else clue["姓名"]


def scores(found: set, planted: set, near: set) -> dict:
    true = found & planted
    return {"planted": len(planted), "found": len(found), "true": len(true),
            "precision": round(len(true) / len(found), 4) if found else 1.0,
            "recall": round(len(true) / len(planted), 4) if planted else 1.0,
            "near_misses_flagged": len(found & near)}


def quality(seeds: list[int], persons: int, counties: int, work: Path) -> dict:
    from prefect.testing.utilities import prefect_test_harness

    from flows.city import city_run
    from flows.county import county_run
    from flows.settings import RunOptions
    from fundwatch.synth import synth

    out: dict = {}
    with prefect_test_harness(server_startup_timeout=180):
        for seed in seeds:
            root = work / f"seed{seed}"
            synth(root / "in", counties=counties, persons=persons, months=24, seed=seed)
            truth = read_csv(root / "in" / "ground_truth.csv")
            county_found = defaultdict(set)
            for county in sorted(p.name for p in (root / "in").iterdir() if p.name.isdigit()):
                county_run(str(root / "in" / county), str(root / "out-county" / county), RunOptions(validate=False))
                for c in read_csv(root / "out-county" / county / "clues.csv"):
                    county_found[c["规则编号"]].add((county, subject_of(c)))
            city_run(str(root / "in"), str(root / "out-city"), RunOptions(validate=False))
            city_found = defaultdict(set)
            for c in read_csv(root / "out-city" / "city" / "clues.csv"):
                city_found[c["规则编号"]].add((c["行政区划代码"], subject_of(c)))
            result = {}
            for rule in ("D02", "P04", *EXACT_RULES):
                planted = {(t["region_code"], t["subject_key"]) for t in truth if t["rule_id"] == rule and t["kind"] == "plant"}
                near = {(c, t["subject_key"]) for t in truth if t["rule_id"] == rule and t["kind"] == "near_miss"
                        for c in t["region_code"].split(";") + [t["region_code"]]}
                single = {p for p in planted if ";" not in p[0]}
                result[rule] = {"county_runs": scores(county_found[rule], single, near)}
                if rule in ("D02", "P04"):
                    result[rule]["city_run"] = scores(city_found[rule], planted, near)
            manifest = json.loads((root / "out-city" / "city" / "manifest.json").read_text())
            result["linkage_city"] = manifest.get("linkage", [])
            out[f"seed {seed}"] = result
            print(seed, {r: v for r, v in result.items() if r in ("D02", "P04")}, flush=True)
    return out


def linkage_alone(database: Path) -> dict:
    """The linkage stage on a copy of a kept run.duckdb, in this process: seconds and peak RSS."""
    from checks.registry import load_registry
    from fundwatch.db import connect
    from models.linkage import link_for_rules

    started = time.perf_counter()
    with connect(database) as con:
        imported = time.perf_counter()
        summaries = link_for_rules(con, [r for r in load_registry().for_scope("county") if r.linkage])
        linked = time.perf_counter()
        pairs = blocking_analysis(con)  # not timed: it builds each purpose's inputs again
    return {"seconds": round(linked - started, 2), "connect_seconds": round(imported - started, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "purposes": [{k: v for k, v in s.items() if k != "parameters"} for s in summaries],
            "parameters": {s["purpose"]: s["parameters"] for s in summaries},
            "blocking_analysis": pairs}


def blocking_analysis(con) -> dict:
    """splink.blocking_analysis: exact pairs per blocking rule (marginal and cumulative) for each purpose."""
    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    from models.linkage import build_inputs, models

    result, built = {}, {}
    for name in ("deaths", "recipients"):
        purpose = models().purpose(name)
        db_api = DuckDBAPI(connection=con)
        left, right = build_inputs(con, purpose, built)  # the inputs again, each SQL file once, as in the run
        inputs = [db_api.register(left)]
        if purpose.link_type != "dedupe_only":
            inputs.append(db_api.register(right))
        records = count_comparisons_from_blocking_rules(
            inputs if len(inputs) > 1 else inputs[0], blocking_rules=list(purpose.blocking_rules),
            link_type=purpose.link_type, record_sample_proportion=1.0)
        result[name] = [{"blocking_rule": r["blocking_rule"], "marginal": r["marginal_comparison_count"],
                         "cumulative": r["cumulative_comparison_count"],
                         "cartesian": r["total_possible_comparison_count"]} for r in records]
    return result


def cost(rows_text: str, work: Path) -> dict:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import shutil

    from run import generate, parse_rows

    rows = parse_rows(rows_text)
    county = work / f"county-{rows_text}"
    if not county.exists():
        generate(county, rows, 24, 1)
    folder = next(p for p in county.iterdir() if p.is_dir() and p.name.isdigit())
    out = work / f"out-{rows_text}"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "flows.cli", "run", str(folder), "--out", str(out)], check=True, cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    manifest = json.loads((out / "manifest.json").read_text())
    copy = work / "linkage-copy.duckdb"
    shutil.copy(out / "run.duckdb", copy)
    alone = subprocess.run([sys.executable, __file__, "alone", str(copy)], capture_output=True, text=True, check=True,
                           cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return {"rows": rows, "wall_seconds": round(wall, 1), "stage_seconds": manifest["stage_seconds"],
            "table_rows": manifest["table_rows"],
            "linkage_share_of_wall": round(manifest["stage_seconds"].get("linkage", 0) / wall, 3),
            "linkage_in_run": manifest.get("linkage"), "linkage_alone": json.loads(alone.stdout.splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    q.add_argument("--persons", type=int, default=3000)
    q.add_argument("--counties", type=int, default=3)
    q.add_argument("--work", type=Path, default=Path("/tmp/fundwatch-identity"))
    c = sub.add_parser("cost")
    c.add_argument("--rows", default="1M")
    c.add_argument("--work", type=Path, default=Path("/tmp/fundwatch-identity"))
    a = sub.add_parser("alone")
    a.add_argument("database", type=Path)
    args = parser.parse_args()
    if args.command == "alone":
        print(json.dumps(linkage_alone(args.database), ensure_ascii=False, default=str))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    result = quality(args.seeds, args.persons, args.counties, args.work) if args.command == "quality" else cost(args.rows, args.work)
    RESULTS.mkdir(exist_ok=True)
    label = f"seeds-{'-'.join(map(str, args.seeds))}" if args.command == "quality" else f"rows-{args.rows}"
    target = RESULTS / f"identity-{args.command}-{label}-{date.today().isoformat()}.json"
    target.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    print(target)


if __name__ == "__main__":
    main()
