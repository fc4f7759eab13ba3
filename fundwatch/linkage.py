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

SQL is built by the functions named ``*_sql`` / ``*_statements`` and run by ``execute`` (fundwatch
statements) or by splink's own DuckDB executor on the same connection (splink's statements).
"""

from __future__ import annotations

import functools
import json
import logging
import time
from dataclasses import asdict, dataclass, field

import duckdb

from fundwatch.db import run_sql, table_exists
from fundwatch.paths import sql_file
from models.identity import IdentityModels, Purpose, agreeing_fields_sql, level_label_sql, load_models

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

LINK_TABLE_COLUMNS = ("unique_id", "id_number", "id_valid", "name", "name_simplified", "name_pinyin", "birth_date",
                      "gender", "id_region", "county", "bank_accounts", "person_ids", "bank_account_key",
                      "person_id_key", "id_head5", "id_head14", "id_tail11")


@dataclass
class LinkageOutcome:
    purpose: str
    left_records: int = 0
    right_records: int = 0
    pairs_compared: int = 0
    pairs_by_blocking_rule: list = field(default_factory=list)
    links: int = 0  # pairs at or above the review threshold
    review_probability: float = 0.0
    prior: float = 0.0
    parameters: list = field(default_factory=list)  # m and u per comparison level, and where u came from
    seconds: float = 0.0

    def as_manifest(self) -> dict:
        return asdict(self)


@functools.cache
def models() -> IdentityModels:
    return load_models()


# -- SQL building --------------------------------------------------------------------------------


def name_sources_sql(con: duckdb.DuckDBPyConnection) -> str:
    """Every name the linkage may compare: recipients, deaths and tip-offs present in the database."""
    parts = [f"select name from {t}" for t in ("recipients", "deaths", "tipoff_rows") if table_exists(con, t)]
    return "select distinct name from (" + " union all ".join(parts) + ") where name is not null"


def input_statements(purpose: Purpose, side: str) -> list[tuple[str, str]]:
    """CREATE TABLE link_<purpose>_<side> from the purpose's input SQL file."""
    source = purpose.left if side == "left" else purpose.right
    table = input_table(purpose, side)
    body = sql_file(f"linkage/{source}")
    return [(f"linkage input {table}", f"create or replace table {table} as\n{body}")]


def input_table(purpose: Purpose, side: str) -> str:
    if purpose.link_type == "dedupe_only" or side == "left":
        return f"link_{purpose.name}_left"
    return f"link_{purpose.name}_right"


def links_insert_sql(purpose: Purpose, predictions: str, review_probability: float, has_waterfall: bool,
                     target: str = "identity_links") -> str:
    """identity_links rows of one purpose from splink's predictions table."""
    levels = ", ".join(f"'{c.name}'" for c in purpose.comparisons)
    labels = ", ".join(level_label_sql(c) for c in purpose.comparisons)
    return f"""
insert into {target}
select '{purpose.name}' as purpose,
       p.unique_id_l, p.unique_id_r,
       p.id_number_l, p.id_number_r, p.name_l, p.name_r, p.id_valid_l, p.id_valid_r,
       p.match_probability, p.match_weight, p.match_key::varchar,
       map([{levels}], [{labels}]) as levels,
       {agreeing_fields_sql(purpose)} as agreeing_fields,
       fw_id_difference_kind(p.id_number_l, p.id_number_r) as id_difference_kind,
       fw_id_difference_text(p.id_number_l, p.id_number_r) as id_difference,
       {"w.waterfall" if has_waterfall else "null"} as waterfall
from {predictions} as p
{"left join linkage_waterfalls as w on w.unique_id_l = p.unique_id_l and w.unique_id_r = p.unique_id_r" if has_waterfall else ""}
where p.match_probability >= {float(review_probability)!r}
  and p.unique_id_l <> p.unique_id_r
order by p.unique_id_l, p.unique_id_r
"""


def pairs_by_rule_sql(predictions: str) -> str:
    return f"select match_key::integer as k, count(*) from {predictions} group by 1 order by 1"


# -- running -------------------------------------------------------------------------------------


def execute(con: duckdb.DuckDBPyConnection, statements: list[tuple[str, str]]) -> None:
    """Run fundwatch's own linkage statements (splink runs its statements through its DuckDB API)."""
    for step, sql in statements:
        run_sql(con, step, sql).fetchall()  # consumed: splink's executor refuses a connection with a pending result


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


def link(con: duckdb.DuckDBPyConnection, purpose_name: str, *, seed: int | None = None) -> LinkageOutcome:
    """Build the purpose's inputs, estimate u, score the blocked pairs; append the review pairs to identity_links."""
    started = time.perf_counter()
    config = models()
    purpose = config.purpose(purpose_name)
    if not table_exists(con, "name_keys"):
        prepare(con)
    execute(con, [("identity_links", IDENTITY_LINKS_DDL),
                  (f"clearing {purpose.name} links", f"delete from identity_links where purpose = '{purpose.name}'")])
    statements = input_statements(purpose, "left")
    if purpose.link_type != "dedupe_only":
        statements += input_statements(purpose, "right")
    execute(con, statements)
    left = input_table(purpose, "left")
    right = input_table(purpose, "right")
    n_left = con.execute(f"select count(*) from {left}").fetchall()[0][0]
    n_right = n_left if purpose.link_type == "dedupe_only" else con.execute(f"select count(*) from {right}").fetchall()[0][0]
    outcome = LinkageOutcome(purpose.name, n_left, n_right, review_probability=config.review_probability,
                             prior=purpose.prior(n_left, n_right))
    if n_left == 0 or n_right == 0 or (purpose.link_type == "dedupe_only" and n_left < 2):
        outcome.parameters = configured_parameters(purpose)
        outcome.pairs_by_blocking_rule = [{"blocking_rule": r, "pairs": 0} for r in purpose.blocking_rules]
        outcome.seconds = round(time.perf_counter() - started, 3)
        return outcome
    _run_splink(con, purpose, config, outcome, left, right, seed)
    outcome.links = con.execute("select count(*) from identity_links where purpose = ?", [purpose.name]).fetchall()[0][0]
    outcome.seconds = round(time.perf_counter() - started, 3)
    return outcome


def _run_splink(con, purpose: Purpose, config: IdentityModels, outcome: LinkageOutcome, left: str, right: str,
                seed: int | None) -> None:
    """splink's work tables go to an in-memory catalog (it creates and drops dozens of them: on the run's file
    each costs a write); its inputs and fundwatch's macros are read from the run's database by search path."""
    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.WARNING)
    name = con.execute("select current_database()").fetchall()[0][0]
    home = '"' + name.replace('"', '""') + '"'  # a database is named after its file: run-2.duckdb is "run-2"
    execute(con, [("linkage workspace", "attach if not exists ':memory:' as linkage_work"),
                  ("linkage workspace", "use linkage_work"),
                  ("linkage workspace", f"set search_path = 'linkage_work.main,{home}.main'")])
    db_api = DuckDBAPI(connection=con)
    try:
        inputs = [db_api.register(left, dataset_display_name=f"{purpose.name}_left")]
        if purpose.link_type != "dedupe_only":
            inputs.append(db_api.register(right, dataset_display_name=f"{purpose.name}_right"))
        settings = purpose.settings(outcome.left_records, outcome.right_records)
        linker = Linker(inputs if len(inputs) > 1 else inputs[0], settings, log_level=None)
        _estimate_u(linker, config, seed)
        keep_configured_u(linker, purpose)
        bound_unobserved_u(linker, purpose, config)
        outcome.parameters = model_parameters(linker, purpose)
        predictions = linker.inference.predict(warning_mode="never")
        table = predictions.physical_name
        counts = dict(con.execute(pairs_by_rule_sql(table)).fetchall())
        outcome.pairs_by_blocking_rule = [{"blocking_rule": rule, "pairs": int(counts.get(i, 0))}
                                          for i, rule in enumerate(purpose.blocking_rules)]
        outcome.pairs_compared = sum(r["pairs"] for r in outcome.pairs_by_blocking_rule)
        has_waterfall = write_waterfalls(con, linker, table, config.review_probability)
        execute(con, [(f"{purpose.name} links", links_insert_sql(purpose, table, config.review_probability,
                                                                  has_waterfall, target=f"{home}.main.identity_links"))])
    finally:
        db_api.delete_tables_created_by_splink_from_db()
        execute(con, [("linkage workspace", f"use {home}"), ("linkage workspace", "reset search_path"),
                      ("linkage workspace", "detach if exists linkage_work")])


def _estimate_u(linker, config: IdentityModels, seed: int | None) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # one chunk: splink's probe phase runs the sample in ten rounds of small queries, which costs seconds
        linker.training.estimate_u_using_random_sampling(
            max_pairs=config.u_max_pairs, seed=config.u_seed if seed is None else seed, num_chunks=1,
            min_count_per_level=None)


def keep_configured_u(linker, purpose: Purpose) -> None:
    """Levels whose u is configured keep it: random pairs never show them at scale, and on a small run the
    few pairs that do are the true matches themselves (an estimate would count them as chance)."""
    for comparison in linker._settings_obj.comparisons:  # splink keeps the model on its settings object
        configured = next(c for c in purpose.comparisons if c.name == comparison.output_column_name)
        for level in comparison.comparison_levels:
            if not level.is_null_level and configured.level(level.label_for_charts).u is not None:
                level.u_probability = configured.level(level.label_for_charts).u


def bound_unobserved_u(linker, purpose: Purpose, config: IdentityModels) -> None:
    """A level no random pair showed gets u = 3 / pairs sampled (the rule of three: the upper 95 % bound
    of a rate never observed), not u = m: that it never happens by chance is evidence. With u = m, a
    shared bank account would weigh nothing in a city whose sample happened to hold no shared card."""
    from splink.internals.constants import LEVEL_NOT_OBSERVED_TEXT

    for comparison in linker._settings_obj.comparisons:
        configured = next(c for c in purpose.comparisons if c.name == comparison.output_column_name)
        for level in comparison.comparison_levels:
            trained = [r["probability"] for r in level._trained_u_probabilities]
            if (not level.is_null_level and configured.level(level.label_for_charts).u is None
                    and trained and trained[-1] == LEVEL_NOT_OBSERVED_TEXT):
                level.u_probability = UNOBSERVED_EVENTS / config.u_max_pairs


UNOBSERVED_EVENTS = 3  # the rule of three


def model_parameters(linker, purpose: Purpose) -> list[dict]:
    """m and u of every comparison level as the model holds them after estimation, and where each came from."""
    from splink.internals.constants import LEVEL_NOT_OBSERVED_TEXT

    rows = []
    for comparison in linker._settings_obj.comparisons:
        configured = next(c for c in purpose.comparisons if c.name == comparison.output_column_name)
        for level in comparison.comparison_levels:
            if level.is_null_level:
                continue
            label = level.label_for_charts
            trained = [r["probability"] for r in level._trained_u_probabilities]
            if configured.level(label).u is not None:
                source = "configured"
            elif trained and trained[-1] == LEVEL_NOT_OBSERVED_TEXT:
                source = f"not observed in the random pairs: u = {UNOBSERVED_EVENTS}/pairs sampled (rule of three)"
            elif trained:
                source = "estimated"
            else:
                source = "configured"
            rows.append({"comparison": comparison.output_column_name, "level": label,
                         "m": round(level.m_probability, 6),
                         "u": float(f"{level.u_probability:.6g}"),
                         "u_source": source,
                         "bayes_factor": float(f"{level.m_probability / level.u_probability:.6g}"),
                         "m_reason": configured.level(label).reason})
    return rows


def configured_parameters(purpose: Purpose) -> list[dict]:
    return [{"comparison": c.name, "level": lv.label, "m": lv.m, "u": lv.u, "u_source": "configured",
             "bayes_factor": None, "m_reason": lv.reason}
            for c in purpose.comparisons for lv in c.levels if not lv.null]


def write_waterfalls(con, linker, predictions: str, review_probability: float) -> bool:
    """linkage_waterfalls: splink's waterfall chart of each review pair, with match weights only (no values)."""
    rows = con.execute(f"select * from {predictions} where match_probability >= ? and unique_id_l <> unique_id_r "
                       "order by unique_id_l, unique_id_r", [review_probability])
    names = [d[0] for d in rows.description]
    records = [dict(zip(names, r)) for r in rows.fetchall()]
    con.execute("create or replace table linkage_waterfalls (unique_id_l varchar, unique_id_r varchar, waterfall varchar)")
    if not records:
        return True
    out = []
    for record in records:
        chart = linker.visualisations.waterfall_chart([_jsonable(record)], filter_nulls=True, remove_sensitive_data=True)
        out.append((record["unique_id_l"], record["unique_id_r"], json.dumps(chart.chart_dict, ensure_ascii=False,
                                                                             default=str)))
    import pyarrow as pa

    charts = pa.table({"unique_id_l": [o[0] for o in out], "unique_id_r": [o[1] for o in out],  # noqa: F841
                       "waterfall": [o[2] for o in out]})
    con.execute("insert into linkage_waterfalls select * from charts")
    return True


def _jsonable(record: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in record.items()}


# -- stages ----------------------------------------------------------------------------------------


SUMMARY_DDL = "create table if not exists linkage_summary (purpose varchar primary key, summary json)"


def link_purposes(con: duckdb.DuckDBPyConnection, purposes: list[str], *, seed: int | None = None) -> list[dict]:
    """Every purpose named, in order; identity_links and linkage_summary exist afterwards, maybe empty."""
    prepare(con)
    execute(con, [("linkage summary", SUMMARY_DDL)])
    results = []
    for name in dict.fromkeys(purposes):
        summary = link(con, name, seed=seed).as_manifest()
        con.execute("insert or replace into linkage_summary values (?, ?)", [name, json.dumps(summary, ensure_ascii=False)])
        results.append(summary)
    return results


def linked_purposes(con: duckdb.DuckDBPyConnection) -> set[str]:
    if not table_exists(con, "linkage_summary") or not table_exists(con, "identity_links"):
        return set()
    return {r[0] for r in con.execute("select purpose from linkage_summary").fetchall()}


def link_for_rules(con: duckdb.DuckDBPyConnection, rules: list) -> list[dict]:
    """The linkage stage: every purpose a runnable rule reads (D02: deaths, P04: recipients)."""
    from fundwatch.rules import skip_reason

    purposes = [r.linkage for r in rules if r.linkage and not skip_reason(con, r)]
    execute(con, [("identity_links", IDENTITY_LINKS_DDL), ("linkage summary", SUMMARY_DDL)])
    return link_purposes(con, purposes) if purposes else []


def summaries(con: duckdb.DuckDBPyConnection) -> list[dict]:
    if not table_exists(con, "linkage_summary"):
        return []
    return [json.loads(r[0]) for r in con.execute("select summary from linkage_summary order by purpose").fetchall()]


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
        from fundwatch.divisions import load_division_codes

        load_division_codes(con)
    prepare(con)
    execute(con, [("linkage summary", SUMMARY_DDL)])
    summary = link(con, "tipoffs").as_manifest()
    con.execute("insert or replace into linkage_summary values (?, ?)", ["tipoffs", json.dumps(summary, ensure_ascii=False)])
    execute(con, [("tip-off matches", "create or replace table tipoff_matches as " + TIPOFF_MATCHES_SQL)])
    return [TipoffMatch(*row) for row in con.execute("select * from tipoff_matches").fetchall()]


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
