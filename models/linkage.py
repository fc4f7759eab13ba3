"""Identity resolution (识别同一人) in the run's database: splink models per purpose, on DuckDB, offline.

- ``deaths``: death records whose ID number matches no recipient exactly -> recipients (rule D02);
- ``recipients``: recipients -> recipients under another ID number (rule P04);
- ``tipoffs``: tip-offs -> recipients (``match_tipoffs``, for the verification of tip-offs).

The inputs are SQL files (sql/linkage/) built into tables here; the models (comparisons, m with
reasons, blocking rules, priors) are models/identity.toml read by models.identity; splink estimates
u on the run's data by random sampling, scores the blocked pairs and the pairs above the review
threshold go to the table ``identity_links`` (one row per purpose and pair: both records, the match
probability and weight, each comparison's level, the agreeing fields in words, how the ID numbers
differ, and splink's match-weight waterfall without personal data). Rules read identity_links.

The inputs are built here (``*_sql`` / ``*_statements``, run by ``execute``); splink itself runs in
models.splink_run. What the rest of the library reads of the result (the tables' DDL, the purposes
linked, the summaries) is fundwatch.identity_links.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass

import duckdb

from fundwatch.db import table_exists
from fundwatch.divisions import load_division_codes
from fundwatch.identity_links import IDENTITY_LINKS_DDL, SUMMARY_DDL
from fundwatch.paths import sql_file
from fundwatch.rules import skip_reason
from models.identity import IdentityModels, Purpose, load_models
from models.splink_run import LinkageOutcome, configured_parameters, execute, run_splink

LINK_TABLE_COLUMNS = ("unique_id", "id_number", "id_valid", "name", "name_simplified", "name_pinyin", "birth_date",
                      "gender", "id_region", "county", "bank_accounts", "person_ids", "bank_account_key",
                      "person_id_key", "id_head5", "id_head14", "id_tail11")


@functools.cache
def models() -> IdentityModels:
    return load_models()


# -- SQL building --------------------------------------------------------------------------------


def name_sources_sql(con: duckdb.DuckDBPyConnection) -> str:
    """Every name the linkage may compare: recipients, deaths and tip-offs present in the database (the loaded
    tip-offs' names too, so that matching them later finds their keys made)."""
    parts = [f"select name from {t}" for t in ("recipients", "deaths", "tipoffs", "tipoff_rows") if table_exists(con, t)]
    return "select distinct name from (" + " union all ".join(parts) + ") where name is not null"


def input_statements(table: str, source: str) -> list[tuple[str, str]]:
    """CREATE TABLE `table` (link_<purpose>_<side>) from a side's input SQL file."""
    body = sql_file(f"linkage/{source}")
    return [(f"linkage input {table}", f"create or replace table {table} as\n{body}")]


def input_sides(purpose: Purpose) -> list[tuple[str, str]]:
    """(side, input SQL file) of each side the purpose reads: a dedupe reads one."""
    if purpose.link_type == "dedupe_only":
        return [("left", purpose.left)]
    return [("left", purpose.left), ("right", purpose.right)]


def build_inputs(con: duckdb.DuckDBPyConnection, purpose: Purpose, built: dict[str, str]) -> tuple[str, str]:
    """The purpose's (left, right) input tables (the same for a dedupe). `built` maps each input SQL file
    already built to its table: a file is built once, and what this builds is added."""
    for side, source in input_sides(purpose):
        if source not in built:
            table = input_table(purpose, side)
            execute(con, input_statements(table, source))
            built[source] = table
    left = built[purpose.left]
    return left, left if purpose.link_type == "dedupe_only" else built[purpose.right]


def input_table(purpose: Purpose, side: str) -> str:
    if purpose.link_type == "dedupe_only" or side == "left":
        return f"link_{purpose.name}_left"
    return f"link_{purpose.name}_right"


# -- running -------------------------------------------------------------------------------------


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """identity_links (empty when new), the names' simplified and pinyin forms."""
    execute(con, [("identity_links", IDENTITY_LINKS_DDL)])
    build_name_keys(con)


def build_name_keys(con: duckdb.DuckDBPyConnection) -> None:
    """name_chars from the distinct characters of every name (OpenCC t2s, pypinyin), then name_keys."""
    execute(con, [("linkage names", "create or replace table linkage_names as " + name_sources_sql(con))])
    characters = [r[0] for r in con.execute(
        "select distinct unnest(string_split(name, '')) as ch from linkage_names order by ch").fetchall()]
    rows = character_forms(tuple(characters))
    import pyarrow as pa

    forms = pa.table({"ch": [r[0] for r in rows], "simplified": [r[1] for r in rows],  # noqa: F841 - read by name
                      "pinyin": [r[2] for r in rows]}, schema=pa.schema([("ch", pa.string()), ("simplified", pa.string()),
                                                                           ("pinyin", pa.string())]))
    con.execute("create or replace table name_chars as select * from forms")
    execute(con, [("name keys", "create or replace table name_keys as\n" + sql_file("linkage/name_keys.sql"))])


def character_forms(characters: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(character, simplified form, toneless pinyin) for each distinct character of the names."""
    import opencc
    from pypinyin import Style, lazy_pinyin

    converter = opencc.OpenCC("t2s")
    rows = []
    for ch in characters:
        simplified = converter.convert(ch) or ch
        reading = lazy_pinyin(simplified, style=Style.NORMAL, errors="default")
        rows.append((ch, simplified, reading[0] if reading else ch))
    return rows


def link(con: duckdb.DuckDBPyConnection, purpose_name: str, *, seed: int | None = None,
         chart_probability: float | None = None, built: dict[str, str] | None = None) -> LinkageOutcome:
    """Build the purpose's inputs, estimate u, score the blocked pairs; append the review pairs to identity_links,
    with splink's waterfall chart for those at or above `chart_probability` (None: no charts).

    `built`: the input tables built earlier in the same stage, by SQL file; a purpose whose input is
    built from a file already there reads that table (deaths and recipients both read the recipients),
    and the tables it builds are added."""
    started = time.perf_counter()
    config = models()
    purpose = config.purpose(purpose_name)
    if not table_exists(con, "name_keys"):
        prepare(con)
    execute(con, [("identity_links", IDENTITY_LINKS_DDL),
                  (f"clearing {purpose.name} links", f"delete from identity_links where purpose = '{purpose.name}'")])
    left, right = build_inputs(con, purpose, {} if built is None else built)
    n_left = con.execute(f"select count(*) from {left}").fetchall()[0][0]
    n_right = n_left if purpose.link_type == "dedupe_only" else con.execute(f"select count(*) from {right}").fetchall()[0][0]
    outcome = LinkageOutcome(purpose.name, n_left, n_right, review_probability=config.review_probability,
                             prior=purpose.prior(n_left, n_right))
    if n_left == 0 or n_right == 0 or (purpose.link_type == "dedupe_only" and n_left < 2):
        outcome.parameters = configured_parameters(purpose)
        outcome.pairs_by_blocking_rule = [{"blocking_rule": r, "pairs": 0} for r in purpose.blocking_rules]
        outcome.seconds = round(time.perf_counter() - started, 3)
        return outcome
    run_splink(con, purpose, config, outcome, left, right, seed, chart_probability)
    outcome.links = con.execute("select count(*) from identity_links where purpose = ?", [purpose.name]).fetchall()[0][0]
    outcome.seconds = round(time.perf_counter() - started, 3)
    return outcome


# -- stages ----------------------------------------------------------------------------------------


def link_purposes(con: duckdb.DuckDBPyConnection, purposes: dict[str, float | None], *,
                  seed: int | None = None) -> list[dict]:
    """Every purpose named ({purpose: the probability from which its pairs get a waterfall chart}), in order;
    identity_links and linkage_summary exist afterwards, maybe empty."""
    prepare(con)
    execute(con, [("linkage summary", SUMMARY_DDL)])
    results, built = [], {}
    for name, chart_probability in purposes.items():
        summary = link(con, name, seed=seed, chart_probability=chart_probability, built=built).as_manifest()
        con.execute("insert or replace into linkage_summary values (?, ?)", [name, json.dumps(summary, ensure_ascii=False)])
        results.append(summary)
    return results


def link_for_rules(con: duckdb.DuckDBPyConnection, rules: list) -> list[dict]:
    """The linkage stage: every purpose a runnable rule reads (D02: deaths, P04: recipients). A pair gets a
    waterfall chart when it is as probable as the lowest threshold of the rules reading its purpose
    (a rule's `min_probability`): the pairs that can become a clue."""
    purposes: dict[str, float | None] = {}
    for r in rules:
        if r.linkage and not skip_reason(con, r):
            threshold = r.parameters.get("min_probability", models().review_probability)
            purposes[r.linkage] = min(purposes.get(r.linkage, threshold), threshold)
    execute(con, [("identity_links", IDENTITY_LINKS_DDL), ("linkage summary", SUMMARY_DDL)])
    return link_purposes(con, purposes) if purposes else []


# -- tip-offs ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TipoffMatch:
    tip_id: str
    id_number: str  # the recipient's number
    probability: float
    agreeing_fields: str  # 姓名、身份证号（显示的各位）、所在县区 ...
    match_kind: str  # 身份证号 (the full number agrees) or 身份信息 (name, the digits shown and the county)


TIPOFF_MATCHES_SQL = """
select left_key as tip_id, right_id_number as id_number, match_probability as probability, agreeing_fields,
       case when levels['partial_id'] = 'exact' then '身份证号' else '身份信息' end as match_kind
from identity_links
where purpose = 'tipoffs'
  and list_contains(['exact', 'simplified', 'pinyin'], levels['name'])
  and (levels['partial_id'] = 'exact' or (levels['partial_id'] = 'partial' and levels['county'] = 'same'))
order by tip_id, probability desc, id_number
"""


def match_tipoffs(con: duckdb.DuckDBPyConnection, tipoffs) -> list[TipoffMatch]:
    """Tip-offs (信访举报) matched to recipients by the identity resolution of D02 (CLUES.md).

    `tipoffs` is a table of the run's database or rows (dicts) with tip_id, name, id_number (full,
    partial as 330102********1234, or empty) and place (a county name or 6-digit code). A tip-off
    matches a recipient when the name agrees (or its pinyin, or its simplified form) and either the
    full ID number agrees, or every digit a partial number shows agrees and the place is the
    recipient's county; a name and a place alone never match. One row per tip-off and recipient
    matched, with splink's match probability and the agreeing fields; also left in the table
    tipoff_matches. An unmatched tip-off has no row (无法匹配).
    """
    _write_tipoff_rows(con, tipoffs)
    if not table_exists(con, "division_codes"):
        load_division_codes(con)
    if not names_keyed(con, "tipoff_rows"):
        prepare(con)
    execute(con, [("linkage summary", SUMMARY_DDL)])
    summary = link(con, "tipoffs", built=inputs_built(con, exclude="tipoffs")).as_manifest()
    con.execute("insert or replace into linkage_summary values (?, ?)", ["tipoffs", json.dumps(summary, ensure_ascii=False)])
    execute(con, [("tip-off matches", "create or replace table tipoff_matches as " + TIPOFF_MATCHES_SQL)])
    return [TipoffMatch(*row) for row in con.execute("select * from tipoff_matches").fetchall()]


def names_keyed(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Every name of `table` has its simplified and pinyin keys already (the linkage stage keys the
    loaded tip-offs' names with the others)."""
    return table_exists(con, "name_keys") and not con.execute(
        f"select exists (select 1 from {table} where name is not null and name not in (select name from linkage_names))"
    ).fetchone()[0]


def inputs_built(con: duckdb.DuckDBPyConnection, exclude: str) -> dict[str, str]:
    """The linkage input tables an earlier stage built in this database, by SQL file (link's `built`),
    but those of purpose `exclude`: the recipients read by the tip-offs are the ones the deaths read.
    Nothing changes the inputs' tables after the load, so what was built from them still holds."""
    built: dict[str, str] = {}
    for purpose in models().purposes.values():
        if purpose.name == exclude:
            continue
        for side, source in input_sides(purpose):
            if source not in built and table_exists(con, input_table(purpose, side)):
                built[source] = input_table(purpose, side)
    return built


def _write_tipoff_rows(con: duckdb.DuckDBPyConnection, tipoffs) -> None:
    if isinstance(tipoffs, str):
        execute(con, [("tip-off rows", f"create or replace table tipoff_rows as select tip_id::varchar as tip_id, "
                                       f"name::varchar as name, id_number::varchar as id_number, "
                                       f"place::varchar as place from {tipoffs}")])
        return
    import pyarrow as pa

    rows = list(tipoffs)
    given = pa.table({k: pa.array([None if r.get(k) in (None, "") else str(r[k]) for r in rows], pa.string())
                      for k in ("tip_id", "name", "id_number", "place")})
    con.register("tipoff_rows_given", given)
    try:
        execute(con, [("tip-off rows", "create or replace table tipoff_rows as select * from tipoff_rows_given")])
    finally:
        con.unregister("tipoff_rows_given")
