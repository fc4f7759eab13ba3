"""splink on the run's DuckDB for one identity-resolution purpose: u estimated on the run's data,
the blocked pairs scored, the pairs at or above the review threshold written to identity_links with
each pair's waterfall chart (match weights only), and the model's m and u reported with their source.

models.linkage builds the inputs and calls run_splink; the purpose's model (comparisons, m with
reasons, blocking rules, prior) is models/identity.toml read by models.identity. SQL is built by
the functions named ``*_sql`` and run by ``execute`` (fundwatch statements) or by splink's own DuckDB
executor on the same connection (splink's statements).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field

import duckdb

from fundwatch.db import run_sql
from models.identity import IdentityModels, Purpose, agreeing_fields_sql, level_label_sql


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


def execute(con: duckdb.DuckDBPyConnection, statements: list[tuple[str, str]]) -> None:
    """Run fundwatch's own linkage statements (splink runs its statements through its DuckDB API)."""
    for step, sql in statements:
        run_sql(con, step, sql).fetchall()  # consumed: splink's executor refuses a connection with a pending result


def links_insert_sql(purpose: Purpose, predictions: str, review_probability: float,
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
       w.waterfall
from {predictions} as p
left join linkage_waterfalls as w on w.unique_id_l = p.unique_id_l and w.unique_id_r = p.unique_id_r
where p.match_probability >= {float(review_probability)!r}
  and p.unique_id_l <> p.unique_id_r
order by p.unique_id_l, p.unique_id_r
"""


def pairs_by_rule_sql(predictions: str) -> str:
    return f"select match_key::integer as k, count(*) from {predictions} group by 1 order by 1"


def run_splink(con, purpose: Purpose, config: IdentityModels, outcome: LinkageOutcome, left: str, right: str,
               seed: int | None, chart_probability: float | None = None) -> None:
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
        write_waterfalls(con, linker, table, chart_probability)
        execute(con, [(f"{purpose.name} links", links_insert_sql(purpose, table, config.review_probability,
                                                                  target=f"{home}.main.identity_links"))])
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


def write_waterfalls(con, linker, predictions: str, chart_probability: float | None) -> None:
    """linkage_waterfalls: splink's waterfall chart, with match weights only (no values), of each pair at or
    above `chart_probability` (the lowest threshold at which a pair can become a clue; None: no charts).

    A chart costs splink about 5 ms: drawn for every review pair it was 38 s of a 10M-row county's
    49 s of linkage (6,621 review pairs, 14 of them able to become a clue). The pairs are held as Arrow
    and charted and stored a batch at a time: in a city whose people were each enrolled ten times over
    (a benchmark's first 100M inputs) the pairs were millions, and the process holding them all as
    Python objects reached 22 GB."""
    con.execute("create or replace table linkage_waterfalls (unique_id_l varchar, unique_id_r varchar, waterfall varchar)")
    if chart_probability is None:
        return
    pairs = con.sql(f"select * from {predictions} where match_probability >= ? and unique_id_l <> unique_id_r "
                    "order by unique_id_l, unique_id_r", params=[chart_probability]).to_arrow_table()
    import pyarrow as pa

    for batch in pairs.to_batches(max_chunksize=CHART_BATCH):
        records = batch.to_pylist()
        charts = pa.table({  # noqa: F841 (read by the insert below)
            "unique_id_l": [r["unique_id_l"] for r in records],
            "unique_id_r": [r["unique_id_r"] for r in records],
            "waterfall": [json.dumps(linker.visualisations.waterfall_chart(
                [_jsonable(r)], filter_nulls=True, remove_sensitive_data=True).chart_dict,
                ensure_ascii=False, default=str) for r in records]})
        con.execute("insert into linkage_waterfalls select * from charts")


CHART_BATCH = 5_000


def _jsonable(record: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in record.items()}
