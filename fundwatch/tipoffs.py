"""Tip-offs (信访举报): each matched to the recipient it names, checked against the data, and written as
tipoffs.csv (信访核查表, CLUES.md).

A run whose inputs hold reference/tipoffs.csv (INPUT.md) matches every tip-off with the identity
resolution of D02 (``models.linkage.match_tipoffs``: the name or its pinyin, and the full number,
or every digit a partial number shows and the county), resolves it to one person or says why it
cannot (sql/tipoffs/tipoff_persons.sql), lists the clues about that person, raises the person's
clues one 风险等级 with the 信访编号 in 疑点描述 (sql/tipoffs/raise_clues.sql), and describes what
the data shows (sql/tipoffs/tipoff_report.sql). Without the file nothing of this runs and no
tipoffs.csv is written.

Tables left in the run's database: tipoff_input, tipoff_matches, tipoff_persons, tipoff_clues,
tipoff_report. In a city run the city database does the same on the city's recipients and list.
"""

from __future__ import annotations

import csv
import os
import tomllib
from pathlib import Path

import duckdb

from fundwatch.db import run_sql, sql_literal, table_exists
from fundwatch.paths import sql_file

CONFIG_FILE = Path(__file__).resolve().parents[1] / "checks" / "verification.toml"
TIPOFF_COLUMNS = [("信访编号", "tip_id"), ("收到日期", "received_date"), ("被反映人", "name"),
                  ("匹配方式", "match_kind"), ("匹配对象", "id_number"), ("数据核查情况", "findings"),
                  ("相关线索编号", "clue_ids"), ("建议", "suggestion")]
MATCH_KINDS = ("身份证号", "身份信息", "未匹配")
SUGGESTIONS = ("数据印证", "数据未见异常", "无法匹配，需人工核实")
EXCHANGE_FILE = "tipoffs.parquet"


def config() -> dict:
    with open(CONFIG_FILE, "rb") as fh:
        return tomllib.load(fh)


def tipoffs_given(con: duckdb.DuckDBPyConnection) -> bool:
    """The run's inputs hold a tip-off file (input_columns is written by the load)."""
    return table_exists(con, "input_columns") and con.execute(
        "select exists (select 1 from input_columns where table_name = 'tipoffs')").fetchone()[0]


def prepare_tipoffs(con: duckdb.DuckDBPyConnection, given: bool | None = None) -> bool:
    """Clear an earlier verification's tables and, when the inputs have a tip-off file, build
    tipoff_input, which models.linkage.match_tipoffs matches to recipients. Returns whether they have one."""
    if given is None:
        given = tipoffs_given(con)
    for table in ("tipoff_report", "tipoff_clues", "tipoff_persons"):
        con.execute(f"drop table if exists {table}")
    if given:
        run_sql(con, "tip-off input", "create or replace table tipoff_input as\n" + sql_file("tipoffs/tipoff_input.sql"))
    return given


def verify_tipoffs(con: duckdb.DuckDBPyConnection, given: bool) -> dict:
    """Resolve each matched tip-off to one person, raise the clues about the people they name, build tipoff_report.

    Runs after the clue list is final (assembly, and the history's held-back clues removed) and after
    prepare_tipoffs and match_tipoffs (tipoff_matches). Returns the manifest summary; {"given": False}
    when the inputs have no tip-off file.
    """
    if not given:
        return {"given": False}
    settings = config()["tipoffs"]
    run_sql(con, "tip-off persons", "create or replace table tipoff_persons as\n"
            + sql_file("tipoffs/tipoff_persons.sql"),
            {"min_digits_beyond_address": int(settings["min_digits_beyond_address"])})
    run_sql(con, "tip-off clues", "create or replace table tipoff_clues as\n" + sql_file("tipoffs/tipoff_clues.sql"))
    caps = settings.get("severity_caps", {})
    run_sql(con, "raising clues named in tip-offs", sql_file("tipoffs/raise_clues.sql"),
            {"cap_rules": list(caps), "cap_levels": [caps[r] for r in caps]})
    run_sql(con, "tip-off report", "create or replace table tipoff_report as\n" + sql_file("tipoffs/tipoff_report.sql"))
    return summary(con)


def summary(con: duckdb.DuckDBPyConnection) -> dict:
    """Counts of tipoff_report (no personal data): by 匹配方式, by 建议, clues raised."""
    if not table_exists(con, "tipoff_report"):
        return {"given": False}
    by_match = dict(con.execute("select match_kind, count(*) from tipoff_report group by 1").fetchall())
    by_suggestion = dict(con.execute("select suggestion, count(*) from tipoff_report group by 1").fetchall())
    raised = con.execute("select count(distinct clue_id) from tipoff_clues where about_person").fetchone()[0]
    return {"given": True, "tipoffs": sum(by_match.values()),
            "by_match": {k: int(by_match.get(k, 0)) for k in MATCH_KINDS},
            "by_suggestion": {k: int(by_suggestion.get(k, 0)) for k in SUGGESTIONS},
            "clues_named": int(raised)}


def report_rows(con: duckdb.DuckDBPyConnection) -> list[dict]:
    keys = ["tip_id", "received_date", "name", "match_kind", "id_number", "findings", "clue_ids", "suggestion",
            "category"]
    rows = con.execute(f"select {', '.join(keys)} from tipoff_report order by tip_id").fetchall()
    return [dict(zip(keys, r)) for r in rows]


def write_tipoffs_csv(con: duckdb.DuckDBPyConnection, target: Path, masked: bool = False) -> int:
    """tipoffs.csv (信访核查表): 被反映人 masked always (CLUES.md); with `masked`, the matched number too."""
    from fundwatch.emit import BOM, PRIVATE_FILE_MODE, spreadsheet_safe
    from fundwatch.masking import mask_id, mask_name, mask_text

    rows = report_rows(con)
    with open(target, "w", encoding="utf-8", newline="") as fh:
        fh.write(BOM.decode("utf-8"))
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([h for h, _ in TIPOFF_COLUMNS])
        for row in rows:
            values = dict(row, name=mask_name(row["name"]),
                          received_date=row["received_date"].isoformat() if row["received_date"] else "")
            if masked:
                values["id_number"] = mask_id(row["id_number"])
                values["findings"] = mask_text(row["findings"], ids=[row["id_number"]] if row["id_number"] else [],
                                               names=[row["name"]] if row["name"] else [])
            writer.writerow([spreadsheet_safe("" if values[k] is None else values[k]) for _, k in TIPOFF_COLUMNS])
    os.chmod(target, PRIVATE_FILE_MODE)
    return len(rows)


def write_outputs(con: duckdb.DuckDBPyConnection, out_dir: Path, mask: bool) -> dict[str, int]:
    """tipoffs.csv (and tipoffs_masked.csv with --mask) when the run had a tip-off file."""
    if not table_exists(con, "tipoff_report"):
        return {}
    counts = {"tipoffs.csv": write_tipoffs_csv(con, Path(out_dir) / "tipoffs.csv")}
    if mask:
        counts["tipoffs_masked.csv"] = write_tipoffs_csv(con, Path(out_dir) / "tipoffs_masked.csv", masked=True)
    return counts


# ---------------------------------------------------------------------------- city runs


def export_tipoffs(con: duckdb.DuckDBPyConnection, reference_dir: Path, source_path_sql: str) -> None:
    """The first county of a city run hands the tip-offs on (only when the inputs had a tip-off file)."""
    if not tipoffs_given(con):
        return
    Path(reference_dir).mkdir(parents=True, exist_ok=True)
    run_sql(con, "exporting tipoffs",
            f"copy (select * replace ({source_path_sql} as source_file) from tipoffs) "
            f"to {sql_literal(Path(reference_dir) / EXCHANGE_FILE)} (format parquet)")


def import_tipoffs(con: duckdb.DuckDBPyConnection, reference_dir: Path) -> bool:
    """The city database's tip-offs from the exchange; False when the inputs had no tip-off file."""
    source = Path(reference_dir) / EXCHANGE_FILE
    if not source.is_file():
        return False
    con.execute("insert into tipoffs by name select * from read_parquet(?)", [str(source)])
    return True
