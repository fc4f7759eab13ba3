"""A county (or each county of a city) N times the size of a generated one, written without holding it in memory.

    .venv/bin/python benchmarks/scale_up.py SOURCE_INPUTS TARGET_INPUTS --times 10
    .venv/bin/python benchmarks/scale_up.py SOURCE_INPUTS TARGET_INPUTS --times 10 --city-counties 10

`fundwatch synth` builds a county in memory (about 12 GB for 10M payment rows), so 100M rows are
made from a 10M-row county of benchmarks/run.py (`--keep-inputs`) by DuckDB, streaming: copy k of
the payments and recipients gets its own payment, person and account numbers, names of its own (a
character added) and valid ID numbers of its own (`new_id`: a real division of its own, so that A02
does not take them for fabricated numbers; the order code moved by 100·k). To the rules and the
identity resolution the copies are other people, not one person enrolled N times (whose pairs it
would score and chart by the million) nor N-1 sets of fabricated numbers (whose A02 clues, 416k a
county, were most of a first 100M attempt's work). Copy 0 is the original. ID numbers that are
malformed or of no real division on purpose (A02's plants) and legacy 15-digit ones are the same in
every copy, so their few people are paid N times over; reference/ is linked, not copied. The result
is for measuring capacity, not for checking the rules: a copy's people match no reference list.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import duckdb

from fundwatch.db import connect, sql_literal
from fundwatch.divisions import load_division_codes

ID_COLUMN, PAYMENT_ID, PERSON_ID, ACCOUNT, NAME = "公民身份号码", "发放流水号", "个人编号", "银行账号", "姓名"


def new_id() -> str:
    """Copy k's ID number: the address code of copy k's division (a real one, so that A02 does not take
    the copies for fabricated numbers), the birth date, the order code moved by 100·k (its last digit,
    the gender, kept), the check digit recomputed. A number whose address code is no real division (an
    A02 plant) or that is malformed stays as it is."""
    order = f"lpad(((substr(\"{ID_COLUMN}\", 15, 3)::integer + 100 * k) % 1000)::varchar, 3, '0')"
    prefix = f"division || substr(\"{ID_COLUMN}\", 7, 8) || {order}"
    return (f"case when k = 0 or not regexp_full_match(\"{ID_COLUMN}\", '[0-9]{{17}}[0-9X]') "
            f"or left(\"{ID_COLUMN}\", 6) not in (select code from division_codes) then \"{ID_COLUMN}\" "
            f"else {prefix} || fw_id_check_char({prefix}) end")


COPY_DIVISIONS = "3302__"  # copy k's ID numbers are of the k-th county of 宁波 (the synthetic people are of 杭州)


def copy_divisions(con: duckdb.DuckDBPyConnection, times: int) -> None:
    """copies(k, division): copy 0 is the original; copy k gets a real county-level division of its own."""
    load_division_codes(con)
    codes = [r[0] for r in con.execute("select distinct code from division_codes where code like ? "
                                       "and code not like '%00' and code not like '%01' order by code", [COPY_DIVISIONS]).fetchall()]
    if times - 1 > len(codes):
        raise SystemExit(f"--times {times}: only {len(codes)} divisions {COPY_DIVISIONS} for the copies")
    con.execute("create or replace table copies as select k, case when k = 0 then null else ?[k] end as division "
                "from range(?) r(k)", [codes, times])


def replicate(con: duckdb.DuckDBPyConnection, source: Path, target: Path, times: int) -> int:
    columns = [r[0] for r in con.execute("describe select * from read_csv(?, header = true, all_varchar = true)",
                                         [str(source)]).fetchall()]
    copy_divisions(con, times)
    changed = {
        ID_COLUMN: new_id(),
        PAYMENT_ID: f"case when k = 0 then \"{PAYMENT_ID}\" else k || '-' || \"{PAYMENT_ID}\" end",
        PERSON_ID: f"case when k = 0 then \"{PERSON_ID}\" else k || '-' || \"{PERSON_ID}\" end",
        ACCOUNT: f"case when k = 0 then \"{ACCOUNT}\" else \"{ACCOUNT}\" || k end",
        NAME: f"case when k = 0 then \"{NAME}\" else \"{NAME}\" || chr(19968 + k::integer) end",  # 一 + k
    }
    select = ", ".join(f"{changed[c]} as \"{c}\"" if c in changed else f"\"{c}\"" for c in columns)
    con.execute(f"""copy (select {select}
                          from copies, read_csv({sql_literal(source)}, header = true, all_varchar = true))
                    to {sql_literal(target)} (header true)""")
    return con.execute("select count(*) from read_csv(?, header = true, all_varchar = true)", [str(target)]).fetchone()[0]


def scale_county(source: Path, target: Path, times: int) -> None:
    meta = json.loads((source / "bench_inputs.json").read_text(encoding="utf-8"))
    county = meta["county"]
    (target / county).mkdir(parents=True, exist_ok=True)
    link_reference(source, target)
    shutil.copy(source / "ground_truth.csv", target / "ground_truth.csv")
    started = time.perf_counter()
    with streaming() as con:
        rows = {name: replicate(con, source / county / name, target / county / name, times) for name in TABLES}
    meta.update(payment_rows=rows["payments.csv"], recipient_rows=rows["recipients.csv"],
                payment_bytes=(target / county / "payments.csv").stat().st_size, scaled_from=str(source), times=times,
                synth_layout=f"{meta.get('synth_layout', '')}; replicated {times}x by benchmarks/scale_up.py")
    (target / "bench_inputs.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{rows['payments.csv']:,} payment rows, {rows['recipients.csv']:,} recipients in "
          f"{target / county} ({time.perf_counter() - started:.0f} s)")


def scale_city(source: Path, target: Path, times: int, counties: int) -> None:
    """Every county of SOURCE's city-<counties>/ (county_inputs.split_into_city) `times` larger, as
    TARGET/city-<counties>/: `benchmarks/run.py --inputs TARGET --only baseline,city` measures it. The
    floor of run.py scans TARGET/<county>/payments*.csv: links to every county's payments."""
    meta = json.loads((source / "bench_inputs.json").read_text(encoding="utf-8"))
    city_meta = json.loads((source / f"city-{counties}" / "city_inputs.json").read_text(encoding="utf-8"))
    city = target / f"city-{counties}"
    link_reference(source, target)
    link_reference(source, city)
    started, rows = time.perf_counter(), {}
    with streaming() as con:
        for code in city_meta["counties"]:
            (city / code).mkdir(parents=True, exist_ok=True)
            rows[code] = {name: replicate(con, source / city.name / code / name, city / code / name, times)
                          for name in TABLES}
            print(f"{code}: {rows[code]['payments.csv']:,} payment rows ({time.perf_counter() - started:.0f} s)",
                  flush=True)
    floor = target / meta["county"]
    floor.mkdir(parents=True, exist_ok=True)
    for code in city_meta["counties"]:
        (floor / f"payments_{code}.csv").unlink(missing_ok=True)
        (floor / f"payments_{code}.csv").symlink_to(city / code / "payments.csv")
    payment_rows = sum(r["payments.csv"] for r in rows.values())
    (city / "city_inputs.json").write_text(json.dumps({"counties": city_meta["counties"], "rows": rows,
                                                       "payment_rows": payment_rows}, indent=1), encoding="utf-8")
    meta.update(payment_rows=payment_rows, recipient_rows=sum(r["recipients.csv"] for r in rows.values()),
                payment_bytes=sum((city / c / "payments.csv").stat().st_size for c in city_meta["counties"]),
                scaled_from=str(source / city.name), times=times,
                synth_layout=f"{meta.get('synth_layout', '')}; each county of {city.name} replicated {times}x by "
                             "benchmarks/scale_up.py --city-counties")
    (target / "bench_inputs.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{payment_rows:,} payment rows in {city} ({time.perf_counter() - started:.0f} s)")


TABLES = ("payments.csv", "recipients.csv")


def link_reference(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    reference = target / "reference"
    if not reference.exists():
        reference.symlink_to((source / "reference").resolve(), target_is_directory=True)


def streaming():
    con = connect(":memory:")
    con.execute("set preserve_insertion_order = false")  # streams; the order of rows does not matter here
    return con


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="inputs folder of benchmarks/run.py (holds <county>/ and reference/)")
    parser.add_argument("target", type=Path)
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--city-counties", type=int, default=None,
                        help="scale the city SOURCE/city-N/ that run.py's city measurement made, county by county")
    args = parser.parse_args()
    if args.city_counties:
        scale_city(args.source, args.target, args.times, args.city_counties)
    else:
        scale_county(args.source, args.target, args.times)


if __name__ == "__main__":
    main()
