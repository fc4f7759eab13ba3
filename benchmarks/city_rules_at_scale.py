"""The city database's rules on N times the payments of a kept city run's database, each rule timed.

    .venv/bin/fundwatch run CITY_INPUTS -o OUT                         # keeps OUT/city/run.duckdb
    .venv/bin/python benchmarks/city_rules_at_scale.py OUT/city/run.duckdb /tmp/city-x10.duckdb --times 10

A whole city run at 100M takes most of an hour; this measures what grows faster than the rows in its
city stage in minutes. The payments are copied N-1 times with their row_key, 发放流水号, 个人编号, ID
number and account made distinct per copy (a copy's payments never meet another copy's, so the hits
grow N times, not N²), `paid_payments` is built as a run builds it, and every other table of the
database is taken once. Then each cross-county and city-wide rule runs alone, under the run's default
memory limit, and the times, hit rows and a digest of the hits are printed (compare two versions of a
rule's SQL by running this before and after, on the same TARGET with --reuse).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from checks.registry import load_registry
from checks.rule_runner import city_wide_rules, run_rule
from fundwatch.db import connect, sql_literal
from fundwatch.load import create_paid_payments

COPY_KEY_STEP = 10**15  # row_keys of one database stay below this (file number × 10^10 + line)
DISTINCT_PER_COPY = ("payment_id", "person_id", "id_number", "bank_account")


def build(source: Path, target: Path, times: int) -> None:
    target.unlink(missing_ok=True)
    con = connect(target)
    con.execute(f"attach {sql_literal(source)} as source (read_only)")
    tables = [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = 'source' and not starts_with(table_name, 'hits_')"
    ).fetchall()]
    for table in tables:
        con.execute(f"create table {table} as select * from source.{table}")
    renamed = ", ".join(f"{c} || '-' || $copy as {c}" for c in DISTINCT_PER_COPY)
    for copy in range(1, times):
        started = time.perf_counter()
        con.execute(f"insert into payments select * replace (row_key + $copy * {COPY_KEY_STEP} as row_key, {renamed}) "
                    "from source.payments", {"copy": copy})
        print(f"copy {copy}: {time.perf_counter() - started:.1f} s", flush=True)
    con.execute("detach source")
    started = time.perf_counter()
    create_paid_payments(con)
    rows = con.execute("select count(*) from payments").fetchone()[0]
    print(f"paid_payments: {time.perf_counter() - started:.1f} s; {rows:,} payments", flush=True)
    con.close()


def measure(target: Path, only: list[str]) -> None:
    con = connect(target)
    registry = load_registry()
    for rule in [*registry.for_scope("city"), *city_wide_rules(registry)]:
        if only and rule.key not in only and rule.id not in only:
            continue
        started = time.perf_counter()
        outcome = run_rule(con, registry, rule)
        seconds = time.perf_counter() - started
        rows, digest = (con.execute(f"select count(*), coalesce(bit_xor(hash(h)), 0) from {rule.hits_table} as h")
                        .fetchone() if outcome.status == "run" else (0, 0))
        print(f"{rule.key:10} {outcome.status:8} {seconds:8.2f} s  {rows:>9,} hit rows  digest {digest}", flush=True)
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a city run's kept run.duckdb")
    parser.add_argument("target", type=Path, help="the database to build (replaced) and measure")
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--reuse", action="store_true", help="measure TARGET as it is, without building it")
    parser.add_argument("--only", nargs="*", default=[], help="rule keys or ids (default: every city-database rule)")
    args = parser.parse_args()
    if not args.reuse:
        build(args.source, args.target, args.times)
    measure(args.target, args.only)


if __name__ == "__main__":
    main()
