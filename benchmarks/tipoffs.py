"""Tip-off matching measured against the ground truth of `fundwatch synth` (tipoffs_truth.csv).

    python benchmarks/tipoffs.py --seeds 1 2 3 --persons 3000
    python benchmarks/tipoffs.py --seeds 4 --persons 20000          # more tip-offs (persons / 500 per kind)

For each seed: a synthetic city, every county's exports loaded into one DuckDB database (the recipients
a city run matches against), the tip-offs matched exactly as a run does (fundwatch.tipoffs: the
linkage, then sql/tipoffs/tipoff_persons.sql), and each tip-off's 匹配方式 and person compared with the
truth. Full numbers: matched / correct / wrong / missed; partial numbers (身份信息): precision (correct
persons among the tip-offs matched by 身份信息) and recall (of the tip-offs that should match that
way); 未匹配 expected: how many were matched anyway. What tipoffs.csv says (数据印证 / 数据未见异常)
needs clues and is checked end to end by tests/test_ground_truth.py. JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"


def measure(seed: int, persons: int, counties: int, work: Path) -> dict:
    import csv

    from fundwatch.db import connect, run_sql
    from fundwatch.ingest import discover
    from models.linkage import match_tipoffs
    from fundwatch.load import load_inputs
    from fundwatch.paths import sql_file
    from fundwatch.synth import synth
    from fundwatch.tipoffs import config

    folder = work / f"seed{seed}"
    synth(folder / "in", counties=counties, persons=persons, months=13, seed=seed)
    started = time.perf_counter()
    with connect(folder / "run.duckdb") as con:
        load_inputs(con, discover(folder / "in"), folder)
        run_sql(con, "tip-off input", "create or replace table tipoff_input as\n" + sql_file("tipoffs/tipoff_input.sql"))
        match_tipoffs(con, "tipoff_input")
        run_sql(con, "tip-off persons", "create or replace table tipoff_persons as\n"
                + sql_file("tipoffs/tipoff_persons.sql"),
                {"min_digits_beyond_address": int(config()["tipoffs"]["min_digits_beyond_address"])})
        got = {r[0]: (r[1], r[2] or "") for r in con.execute(
            "select tip_id, match_kind, coalesce(id_number, '') from tipoff_persons").fetchall()}
    seconds = round(time.perf_counter() - started, 2)
    with open(folder / "in" / "tipoffs_truth.csv", encoding="utf-8", newline="") as fh:
        truth = list(csv.DictReader(fh))
    full = [t for t in truth if t["case"] == "full_id"]
    full_right = sum(got[t["tip_id"]] == ("身份证号", t["id_number"]) for t in full)
    full_wrong = sum(got[t["tip_id"]][0] != "未匹配" and got[t["tip_id"]][1] != t["id_number"] for t in full)
    by_identity = [t for t in truth if got[t["tip_id"]][0] == "身份信息"]
    identity_right = [t for t in by_identity if t["expected_match"] == "身份信息" and got[t["tip_id"]][1] == t["id_number"]]
    expected_identity = [t for t in truth if t["expected_match"] == "身份信息"]
    unmatched = [t for t in truth if t["expected_match"] == "未匹配"]
    return {
        "seed": seed, "persons": persons, "counties": counties, "tipoffs": len(truth), "match_seconds": seconds,
        "full_id": {"tipoffs": len(full), "correct": full_right, "wrong": full_wrong,
                    "missed": len(full) - full_right - full_wrong},
        "partial_id": {"expected": len(expected_identity), "matched": len(by_identity),
                       "correct": len(identity_right),
                       "precision": round(len(identity_right) / len(by_identity), 4) if by_identity else None,
                       "recall": round(len(identity_right) / len(expected_identity), 4) if expected_identity else None},
        "unmatched": {"expected": len(unmatched), "matched_anyway": sum(got[t["tip_id"]][0] != "未匹配"
                                                                         for t in unmatched)},
        "by_case": {case: sum(1 for t in truth if t["case"] == case) for case in sorted({t["case"] for t in truth})},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--persons", type=int, default=3000)
    parser.add_argument("--counties", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        results = [measure(seed, args.persons, args.counties, Path(work)) for seed in args.seeds]
    for r in results:
        print(json.dumps(r, ensure_ascii=False))
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"tipoffs-persons-{args.persons}-{date.today().isoformat()}.json"
    target.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"→ {target}")


if __name__ == "__main__":
    main()
