"""Running the rules of the registry against a run's database and assembling their clues."""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb

from checks.registry import Registry, Rule
from fundwatch.db import columns_with_values, run_sql, table_exists
from fundwatch.ingest import table_specs
from fundwatch.paths import sql_file

TABLE_TITLES = {
    "deaths": "死亡人员信息",
    "prisoners": "服刑人员信息",
    "public_employees": "财政供养人员信息",
    "employment": "职工参保缴费记录",
    "operations": "经办操作日志",
    "staff": "经办人员信息",
    "payments": "待遇发放明细",
    "recipients": "待遇领取人员信息",
    "scores": "异常评分",
}


ASSEMBLY_TABLES = ("clue_evidence_rows", "clues", "clue_evidence")


@dataclass
class RuleOutcome:
    rule_id: str
    status: str  # "run" or "skipped"
    reason: str = ""
    clues: int = 0
    seconds: float = 0.0
    key: str = ""

    def as_manifest(self) -> dict:
        return {"rule_id": self.rule_id, "rule_key": self.key or self.rule_id, "status": self.status,
                "reason": self.reason, "clues": self.clues, "seconds": round(self.seconds, 3)}


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return table_exists(con, table) and con.execute(f"select exists (select 1 from {table})").fetchone()[0]


def _available(con: duckdb.DuckDBPyConnection, requirement: str) -> bool:
    """A table with rows, or table.column holding at least one value."""
    table, _, column = requirement.partition(".")
    if not _has_rows(con, table):
        return False
    return not column or column in columns_with_values(con, table)


def skip_reason(con: duckdb.DuckDBPyConnection, rule: Rule) -> str:
    """Why a rule cannot run on this database, or "" when it can."""
    for table in rule.requires:
        if not _available(con, table):
            return f"缺少{TABLE_TITLES.get(table, table)}（{table}）数据"
    for qualified in rule.requires_columns:
        if not _available(con, qualified):
            table, column = qualified.split(".")
            return f"{TABLE_TITLES.get(table, table)}缺少{column}列或该列全部为空"
    return ""


def partial_notes(con: duckdb.DuckDBPyConnection, rule: Rule) -> str:
    """What part of a rule could not be checked on this database: missing optional inputs, and files of a
    table that lack a column the rule needs (their rows are not checked by it)."""
    notes = [note for requirement, note in rule.partial_requires.items() if not _available(con, requirement)]
    for qualified in (*rule.requires_columns, *(r for r in rule.partial_requires if "." in r)):
        table, column = qualified.split(".")
        lacking = files_lacking_column(con, table, column)
        if lacking and _available(con, qualified):
            notes.append(f"{'、'.join(lacking)}无{_header_of(table, column)}列，其中的记录未检查")
    return "；".join(dict.fromkeys(notes))


def _header_of(table: str, column: str) -> str:
    spec = table_specs().get(table)
    found = next((c for c in spec.columns if c.name == column), None) if spec else None
    return found.aliases[0] if found and found.aliases else column


def files_lacking_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[str]:
    """The input files of a table that have no header for one of its columns (input_columns, from the load)."""
    if not table_exists(con, "input_columns"):
        return []
    return [r[0] for r in con.execute(
        "select distinct source_file from input_columns where table_name = $table "
        "except select source_file from input_columns where table_name = $table and column_name = $column "
        "order by 1", {"table": table, "column": column}).fetchall()]


def run_rule(con: duckdb.DuckDBPyConnection, registry: Registry, rule: Rule) -> RuleOutcome:
    reason = skip_reason(con, rule)
    if reason:
        run_sql(con, f"rule {rule.id}", f"drop table if exists {rule.hits_table}")
        return RuleOutcome(rule.id, "skipped", reason, key=rule.key)
    started = time.perf_counter()
    if rule.linkage:
        from fundwatch.linkage import link_purposes, linked_purposes

        if rule.linkage not in linked_purposes(con):  # the linkage stage normally did it already
            link_purposes(con, [rule.linkage])
    statement, parameters = rule.statement(registry.parameters)
    run_sql(con, f"rule {rule.id}", statement, parameters)
    clues = con.execute(f"select count(distinct subject_key) from {rule.hits_table}").fetchone()[0]
    return RuleOutcome(rule.id, "run", partial_notes(con, rule), clues, time.perf_counter() - started, rule.key)


def refresh_hits_view(con: duckdb.DuckDBPyConnection, registry: Registry) -> None:
    """clue_hits: every rule's hits so far, with rule_id; M01 reads it to leave explained people out."""
    parts = [
        f"select '{r.key}' as rule_key, '{r.id}' as rule_id, subject_key, payment_key, improper, evidence "
        f"from {r.hits_table}"
        for r in registry.rules
        if table_exists(con, r.hits_table)
    ]
    if not parts:
        parts = ["select null::varchar as rule_key, null::varchar as rule_id, null::varchar as subject_key, "
                 "null::bigint as payment_key, null::boolean as improper, null::varchar as evidence where false"]
    run_sql(con, "clue_hits view", "create or replace view clue_hits as " + " union all ".join(parts))


def write_catalogue(con: duckdb.DuckDBPyConnection, registry: Registry) -> None:
    con.execute("create or replace table rule_catalogue (rule_key varchar, rule_id varchar, title varchar, "
                "severity varchar, subject varchar, scope varchar, policy varchar, suggestion varchar, "
                "amount_kind varchar)")
    con.executemany(
        "insert into rule_catalogue values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[r.key, r.id, r.title, r.severity, r.subject, r.scope, r.policy, r.suggestion, r.amount_kind]
         for r in registry.rules],
    )


def assemble_clues(con: duckdb.DuckDBPyConnection, registry: Registry, county: str) -> int:
    """Build the clues and clue_evidence tables from every rule's hits."""
    refresh_hits_view(con, registry)
    write_catalogue(con, registry)
    parameters = {"county": county}
    for table in ASSEMBLY_TABLES:
        body = sql_file(f"clues/{table}.sql")
        used = {k: v for k, v in parameters.items() if f"${k}" in body}
        run_sql(con, f"building {table}", f"create or replace table {table} as\n{body}", used)
    con.execute("drop table clue_evidence_rows")
    return con.execute("select count(*) from clues").fetchone()[0]
