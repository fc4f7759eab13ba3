"""Wall time and peak RSS of validating a 1M-row payments table.

    .venv/bin/python benchmarks/validate_1m.py                 # both engines, 1M rows
    .venv/bin/python benchmarks/validate_1m.py --rows 200000 --engine duckdb

Builds a database with sql/schema.sql and N generated payments (a few known violations mixed
in), then measures, each in a fresh child process so that peak RSS is its own:

  baseline  importing Great Expectations only
  duckdb    checks.validation.validate_database (GX SQL engine inside DuckDB via
            checks.gx_duckdb), without and with Data Docs
  pandas    the alternative: the payments suite's column expectations on pandas batches read
            from DuckDB, whole table and in chunks (UnexpectedRowsExpectation does not exist
            on pandas, and uniqueness cannot be checked chunk by chunk)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Violations mixed into the generated data (row index modulo these):
BAD = {"future_period": 100_003, "negative_amount": 100_019, "region_5": 100_043, "dup_payment_id": 100_057}


def build(db: Path, rows: int) -> float:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect(str(db))
    con.execute((ROOT / "sql" / "schema.sql").read_text(encoding="utf-8"))
    con.execute(
        f"""
        insert into payments
        select i,
            case when i % {BAD['dup_payment_id']} = 1 then 'P' || lpad((i - 1)::varchar, 10, '0')
                 else 'P' || lpad(i::varchar, 10, '0') end,
            'R' || lpad((i % 200000)::varchar, 8, '0'),
            '330102' || (19400101 + (i % 50) * 10000 + (i % 28))::varchar
                || lpad((i % 1000)::varchar, 3, '0') || 'X',
            true,
            '姓名' || (i % 1000)::varchar,
            (['110', '120', '170', '210', '410'])[1 + (i % 5)],
            '基本养老金',
            case when i % {BAD['future_period']} = 0 then 209912
                 else (2019 + (i % 6)) * 100 + 1 + (i % 12) end,
            date '2019-01-15' + (i % 2000)::int,
            case when i % {BAD['negative_amount']} = 0 then -100.00
                 else (500 + (hash(i) % 600000) / 100.0)::decimal(18, 2) end,
            '6222' || lpad(i::varchar, 15, '0'),
            case when i % {BAD['region_5']} = 0 then '33010' else '330102' end,
            'op' || (i % 20)::varchar, 'rv' || (i % 7)::varchar,
            '330102', 'payments.csv', i + 2
        from range({rows}) t(i)
        """
    )
    con.close()
    return time.perf_counter() - started


def expected_counts(rows: int) -> dict:
    return {
        "period": len(range(0, rows, BAD["future_period"])),
        "amount": len(range(0, rows, BAD["negative_amount"])),
        "region_code": len(range(0, rows, BAD["region_5"])),
        # each duplicate row and the row it copies
        "payment_id": 2 * len([i for i in range(1, rows, BAD["dup_payment_id"])]),
    }


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------ children (one per measurement)


def child_baseline() -> dict:
    started = time.perf_counter()
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations  # noqa: F401

    return {"import_seconds": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()}


def child_duckdb(db: Path, docs: Path | None) -> dict:
    from checks.validation import validate_database

    started = time.perf_counter()
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations  # noqa: F401

    imported = time.perf_counter()
    summary = validate_database(db, docs)
    done = time.perf_counter()
    pay = summary["tables"]["payments"]
    failed = {
        r["column"]: r["unexpected_count"]
        for r in pay["results"]
        if not r["success"] and r["expectation"] != "UnexpectedRowsExpectation"
    }
    return {
        "import_seconds": imported - started,
        "validate_seconds": done - imported,
        "expectations": sum(t["expectations"] for t in summary["tables"].values()),
        "payments_expectations": pay["expectations"],
        "failed_counts": failed,
        "peak_rss_mb": peak_rss_mb(),
    }


def child_pandas(db: Path, chunk: int | None) -> dict:
    import duckdb

    from checks.validation import build_plan, load_spec, resolve_params

    started = time.perf_counter()
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    imported = time.perf_counter()
    spec = load_spec()
    items = [
        i for i in build_plan(spec, resolve_params(spec["params"]))["payments"]
        if i["type"] != "UnexpectedRowsExpectation"
    ]
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = ctx.data_sources.add_pandas("pd").add_dataframe_asset("payments")
    batch_def = asset.add_batch_definition_whole_dataframe("all")
    suite = ctx.suites.add(gx.ExpectationSuite(name="payments"))
    for item in items:
        suite.add_expectation(getattr(gxe, item["type"])(**item["kwargs"], meta={"key": item["key"]}))
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name="payments", data=batch_def, suite=suite))

    con = duckdb.connect(str(db), read_only=True)
    counts: dict[str, int] = {}
    cur = con.execute("select * from payments")
    batches = 0
    read_seconds = 0.0
    while True:
        t = time.perf_counter()
        df = cur.fetch_df_chunk(max(1, chunk // 2048)) if chunk else (cur.df() if batches == 0 else None)
        read_seconds += time.perf_counter() - t
        if df is None or len(df) == 0:
            break
        batches += 1
        res = vd.run(batch_parameters={"dataframe": df}, result_format="SUMMARY")
        for r in res.results:
            c = r.result.get("unexpected_count")
            if c:
                col = r.expectation_config.kwargs.get("column")
                counts[col] = counts.get(col, 0) + c
        del df
        if not chunk:
            break
    con.close()
    return {
        "import_seconds": imported - started,
        "validate_seconds": time.perf_counter() - imported,
        "read_seconds": read_seconds,
        "batches": batches,
        "payments_expectations": len(items),
        "failed_counts": counts,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--engine", choices=["duckdb", "pandas", "both"], default="both")
    ap.add_argument("--chunk", type=int, default=250_000, help="pandas chunk size (rows)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.child:
        kind, *rest = a.child
        if kind == "baseline":
            res = child_baseline()
        elif kind == "duckdb":
            res = child_duckdb(Path(rest[0]), Path(rest[1]) if len(rest) > 1 else None)
        else:
            res = child_pandas(Path(rest[0]), int(rest[1]) if len(rest) > 1 else None)
        print(json.dumps(res))
        return

    with tempfile.TemporaryDirectory(prefix="fundwatch-bench-") as tmp:
        db = Path(tmp) / "run.duckdb"
        print(f"build {a.rows:,} payments: {build(db, a.rows):.1f} s, {db.stat().st_size / 2**20:.0f} MiB")
        print(f"expected failures: {expected_counts(a.rows)}")
        report = {"rows": a.rows, "baseline": run_child("baseline")}
        if a.engine in ("duckdb", "both"):
            report["duckdb"] = run_child("duckdb", str(db))
            report["duckdb+docs"] = run_child("duckdb", str(db), str(Path(tmp) / "docs"))
        if a.engine in ("pandas", "both"):
            report["pandas whole"] = run_child("pandas", str(db))
            report[f"pandas chunks of {a.chunk}"] = run_child("pandas", str(db), str(a.chunk))
        for name, r in report.items():
            if name == "rows":
                continue
            line = f"{name:>24}: import {r['import_seconds']:.1f} s"
            if "validate_seconds" in r:
                line += f", validate {r['validate_seconds']:.2f} s"
            line += f", peak RSS {r['peak_rss_mb']:.0f} MB"
            if "failed_counts" in r:
                line += f", failures {r['failed_counts']}"
            print(line)
        print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
