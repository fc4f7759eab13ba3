"""The tables identity resolution leaves in a run's database, as the rest of the library reads them.

``identity_links`` holds one row per purpose and pair at or above the review threshold (built by
models.linkage with splink); ``linkage_summary`` one summary per purpose linked. D02 and P04 read
identity_links, matches.csv and the manifest read both. Nothing here runs splink.
"""

from __future__ import annotations

import json

import duckdb

from fundwatch.db import table_exists

IDENTITY_LINKS_DDL = """
create table if not exists identity_links (
    purpose            varchar not null,  -- deaths / recipients / tipoffs
    left_key           varchar not null,  -- the left record (deaths: id_number|name; recipients: id_number; tipoffs: tip_id)
    right_key          varchar not null,  -- the right record (a recipient's id_number)
    left_id_number     varchar,
    right_id_number    varchar,
    left_name          varchar,
    right_name         varchar,
    left_id_valid      boolean,
    right_id_valid     boolean,
    match_probability  double not null,
    match_weight       double not null,
    match_key          varchar,           -- the blocking rule that made the pair (0 = the first)
    levels             map(varchar, varchar),  -- comparison -> level label (models/identity.toml)
    agreeing_fields    varchar,           -- 姓名、出生日期、性别 ...
    id_difference_kind varchar,           -- exact / check_digit / one_digit / transposition / one_digit_recheck / other
    id_difference      varchar,           -- 身份证号第14位不同, 第9、10位互换, 校验位错误 ...
    waterfall          varchar            -- splink's waterfall chart (vega-lite JSON), match weights only
)
"""

SUMMARY_DDL = "create table if not exists linkage_summary (purpose varchar primary key, summary json)"


def linked_purposes(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The purposes whose links this database holds (a rule reading identity_links needs its purpose here)."""
    if not table_exists(con, "linkage_summary") or not table_exists(con, "identity_links"):
        return set()
    return {r[0] for r in con.execute("select purpose from linkage_summary").fetchall()}


def summaries(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every purpose's summary (records, pairs compared, links, m and u), for the manifest."""
    if not table_exists(con, "linkage_summary"):
        return []
    return [json.loads(r[0]) for r in con.execute("select summary from linkage_summary order by purpose").fetchall()]
