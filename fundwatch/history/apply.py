"""A run against the history: changes since the previous run of its scope, findings carried forward,
clues held back, the re-check sample, overdue clues, rectification, the ranking on verified results.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from fundwatch.db import run_sql, sql_literal, table_exists
from fundwatch.history.store import locked
from fundwatch.paths import sql_file


HISTORY_TABLES = ("scope_clues", "latest_feedback", "clue_changes", "recheck", "overdue", "rectification")


def _recheck_settings() -> dict:
    from fundwatch.tipoffs import config

    settings = config()["recheck"]
    return {"share": float(settings["share"]), "minimum": int(settings["minimum"]), "seed": str(settings["seed"])}


def apply_history(con: duckdb.DuckDBPyConnection, history: Path, scope: str,
                  run_date: dt.date | None = None) -> dict:
    """Mark this run's clues against the history: changes, carried findings, held-back clues (verified
    不属实 and signed off, nothing new since), the re-check sample, overdue clues, rectification."""
    history = Path(history)
    run_date = run_date or dt.date.today()
    with locked(history):
        con.execute(f"attach {sql_literal(history)} as h (read_only)")
        try:
            con.execute("create or replace temp table run_scope as select ? as scope, ?::date as run_date",
                        [scope, run_date])
            recheck = _recheck_settings()
            for table in HISTORY_TABLES:
                body = sql_file(f"history/{table}.sql")
                used = {k: v for k, v in recheck.items() if f"${k}" in body}
                run_sql(con, f"history: {table}", f"create or replace table {table} as\n" + body, used or None)
        finally:
            con.execute("detach h")
    verdicts = con.execute("select count(*) from rectification where verified > 0").fetchone()[0]
    con.execute("drop table if exists verified_ranking")
    if verdicts:
        run_sql(con, "history: verified_ranking", "create table verified_ranking as\n"
                + sql_file("history/verified_ranking.sql"))
    con.execute("""
        delete from clue_evidence where clue_id in (select clue_id from clue_changes where change = '不属实未再提出');
        delete from clues where clue_id in (select clue_id from clue_changes where change = '不属实未再提出');
        update clues set status = f.status, finding = f.finding, rectification = f.rectification,
                         recovered_amount = f.recovered_amount
        from latest_feedback as f where clues.clue_id = f.clue_id;
        update clues set change = c.change from clue_changes as c where clues.clue_id = c.clue_id;
    """)
    return history_summary(con, scope)


def history_summary(con: duckdb.DuckDBPyConnection, scope: str | None = None) -> dict:
    """The manifest's "history": changes, re-check and overdue counts (no personal data)."""
    counts = dict(con.execute("select change, count(*) from clue_changes group by 1").fetchall())
    summary = {"scope": scope, "changes": counts}
    if table_exists(con, "recheck"):
        population = con.execute("select coalesce(max(population), 0) from recheck").fetchone()[0]
        summary.update({
            "recheck": con.execute("select count(*) from recheck").fetchone()[0],
            "untrue_verdicts": int(population),
            "overdue": con.execute("select count(*) from overdue").fetchone()[0],
            "signed_off": con.execute("select count(*) from scope_clues join latest_feedback using (clue_id) "
                                      "where signed_off_on is not null").fetchone()[0],
            "ranking_basis": "verified" if table_exists(con, "verified_ranking") else "clues_per_10k",
        })
    return summary


def rank_counties_on_verified_results(con: duckdb.DuckDBPyConnection) -> bool:
    """The city's county_ranking re-ranked on verified results once the history holds verdicts."""
    if not (table_exists(con, "verified_ranking") and table_exists(con, "county_ranking")):
        return False
    run_sql(con, "ranking on verified results", sql_file("history/rank_counties.sql"))
    return True


RANKING_HEADERS = [("ranking_basis", "排名依据"), ("confirmed_share", "属实率"), ("recovery_rate", "追回率"),
                   ("rectification_rate", "整改率"), ("attention", "待关注指数"), ("clue_rate_rank", "按线索率排名")]


def ranking_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """county_ranking.csv's extra columns when the ranking is on verified results (rates as shares 0-1)."""
    names = {r[0] for r in con.execute("describe county_ranking").fetchall()} if table_exists(con, "county_ranking") \
        else set()
    if "ranking_basis" not in names:
        return []
    return [f"coalesce({c}::varchar, '') as \"{h}\"" if c == "ranking_basis" else
            f"case when {c} is null then '' else printf('%.4f', {c}) end as \"{h}\"" if c != "clue_rate_rank" else
            f'{c} as "{h}"' for c, h in RANKING_HEADERS]


def write_history_csvs(con: duckdb.DuckDBPyConnection, out_dir: Path) -> dict[str, int]:
    """clue_changes.csv, rectification.csv, recheck.csv, overdue.csv of a run with a history."""
    from fundwatch.emit import PRIVATE_FILE_MODE, SPREADSHEET_SAFE_MACRO, _copy_csv_with_bom

    if not table_exists(con, "clue_changes"):
        return {}
    con.execute(SPREADSHEET_SAFE_MACRO)
    counts = {}
    for name in ("clue_changes", "rectification", "recheck", "overdue"):
        if not table_exists(con, name):
            continue
        query = sql_file(f"history/csv/{name}.sql")
        target = Path(out_dir) / f"{name}.csv"
        _copy_csv_with_bom(con, query, target, f"writing {name}.csv")
        counts[target.name] = con.execute(f"select count(*) from ({query})").fetchone()[0]
    for name in ("recheck.csv", "overdue.csv"):  # names, ID numbers, verifiers
        if (Path(out_dir) / name).exists():
            (Path(out_dir) / name).chmod(PRIVATE_FILE_MODE)
    return counts
