"""Writing a run's output files: the CSVs inspection teams open in Excel/WPS, and manifest.json.

CSV files are UTF-8 with a BOM (so Excel shows Chinese), with Chinese headers, and every text cell
that a spreadsheet would read as a formula is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from pathlib import Path

import duckdb

from fundwatch.db import run_sql

BOM = b"\xef\xbb\xbf"
PRIVATE_FILE_MODE = 0o600

CLUE_COLUMNS = [
    ("线索编号", "clue_id"), ("规则编号", "rule_id"), ("线索类型", "clue_type"), ("风险等级", "severity"),
    ("行政区划代码", "region_code"), ("对象类型", "subject_type"), ("个人编号", "person_id"),
    ("公民身份号码", "id_number"), ("姓名", "name"), ("险种类型", "scheme"), ("起始所属期", "period_start"),
    ("截止所属期", "period_end"), ("涉及笔数", "payment_count"), ("涉及金额", "amount"), ("异常分值", "score"),
    ("疑点描述", "evidence"), ("政策依据", "policy_basis"), ("核查建议", "suggestion"),
    ("核查状态", "status"), ("核查结果", "finding"), ("整改情况", "rectification"),
]
TEXT_CLUE_COLUMNS = {"clue_id", "clue_type", "person_id", "id_number", "name", "scheme", "evidence",
                     "policy_basis", "suggestion", "region_code"}

SEVERITY_ORDER = "case severity when '高' then 0 when '中' then 1 else 2 end"

SPREADSHEET_SAFE_MACRO = """
create or replace macro fw_cell(s) as
    case when s is null then null
         when left(s, 1) in ('=', '+', '@', chr(9), chr(13)) then '''' || s
         when left(s, 1) = '-' and not regexp_matches(s, '^-?[0-9]') then '''' || s
         else s end;
"""


def _copy_csv_with_bom(con: duckdb.DuckDBPyConnection, query: str, target: Path, step: str) -> None:
    plain = target.with_suffix(".nobom.csv")
    run_sql(con, step, f"copy ({query}) to '{plain}' (format csv, header true, quote '\"')")
    with open(target, "wb") as out, open(plain, "rb") as src:
        out.write(BOM)
        shutil.copyfileobj(src, out, 1 << 20)
    plain.unlink()


def clues_query() -> str:
    select = []
    for header, column in CLUE_COLUMNS:
        if column in TEXT_CLUE_COLUMNS:
            expr = f"fw_cell({column})"
        elif column in ("period_start", "period_end", "payment_count"):
            expr = f"{column}::varchar"
        elif column == "amount":
            expr = "printf('%.2f', amount)"
        elif column == "score":
            expr = "case when score is null then null else printf('%.4f', score) end"
        elif column in ("status", "finding", "rectification"):
            expr = "null::varchar"
        else:
            expr = column
        select.append(f'{expr} as "{header}"')
    return (f"select {', '.join(select)} from clues "
            f"order by {SEVERITY_ORDER}, amount desc, clue_id")


def write_csvs(con: duckdb.DuckDBPyConnection, out_dir: Path) -> dict[str, int]:
    con.execute(SPREADSHEET_SAFE_MACRO)
    queries = {
        "clues.csv": clues_query(),
        "clue_evidence.csv": (
            'select clue_id as "线索编号", fw_cell(payment_id) as "发放流水号", fw_cell(source_file) as "来源文件", '
            'source_line as "来源行号" from clue_evidence order by clue_id, source_file, source_line'
        ),
        "scores.csv": (
            'select fw_cell(person_id) as "个人编号", fw_cell(id_number) as "公民身份号码", '
            'region_code as "行政区划代码", printf(\'%.4f\', score) as "异常分值", top_features as "主要异常特征" '
            "from scores order by score desc, id_number"
        ),
        "quarantine.csv": (
            'select fw_cell(source_file) as "文件", source_line as "行号", column_name as "列", '
            'fw_cell(value) as "值", reason as "原因", table_name as "表" '
            "from quarantine order by source_file, source_line"
        ),
    }
    counts = {}
    for name, query in queries.items():
        _copy_csv_with_bom(con, query, out_dir / name, f"writing {name}")
        counts[name] = con.execute(f"select count(*) from ({query})").fetchone()[0]
    for name in ("clues.csv", "clue_evidence.csv", "scores.csv", "quarantine.csv"):
        os.chmod(out_dir / name, PRIVATE_FILE_MODE)
    return counts


def spreadsheet_safe(value: object) -> object:
    """The Python twin of the fw_cell macro, for files written from Python."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "=+@\t\r" or (value[0] == "-" and not re.match(r"-?[0-9]", value)):
        return "'" + value
    return value


def write_masked_clues_csv(con: duckdb.DuckDBPyConnection, target: Path) -> int:
    """clues_masked.csv: clues.csv with ID numbers, names, accounts and person ids masked."""
    from fundwatch.masking import clue_rows, masked_clue

    rows = [masked_clue(c) for c in clue_rows(con)]
    with open(target, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([header for header, _ in CLUE_COLUMNS])
        for clue in rows:
            writer.writerow([spreadsheet_safe(_masked_cell(clue, column)) for _, column in CLUE_COLUMNS])
    return len(rows)


def _masked_cell(clue: dict, column: str) -> object:
    value = clue.get(column)
    if value is None:
        return ""
    if column == "amount":
        return f"{value:.2f}"
    if column == "score":
        return f"{value:.4f}"
    return value


def write_manifest(manifest: dict, out_dir: Path) -> None:
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
    )


def publish(staging_dir: Path, out_dir: Path) -> None:
    """Move a finished output folder into place; a previous one is replaced only once the new one is whole."""
    out_dir = Path(out_dir)
    previous = out_dir.with_name(out_dir.name + ".previous")
    if previous.exists():
        shutil.rmtree(previous)
    if out_dir.exists():
        out_dir.rename(previous)
    staging_dir.rename(out_dir)
    if previous.exists():
        shutil.rmtree(previous)
