"""What a rule needs from a run's database: whether its tables and columns hold data, why it is
skipped when they do not, and what part of it could not be checked.

The rules themselves (checks/rules.toml, checks.registry) are run by checks.rule_runner; this
module knows a rule only by what it requires, so the library (the identity-resolution stage, the
management findings) can ask the same question without the registry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol

import duckdb

from fundwatch.db import columns_with_values, table_exists
from fundwatch.ingest import table_specs

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


ASSEMBLY_TABLES = ("clue_evidence_rows", "clues", "clue_evidence")  # sql/clues/, built in this order
# A rule's hits table with no rows (a rule skipped), and the same with the rule's key and id (clue_hits)
NO_HITS = ("select null::varchar as subject_key, null::bigint as payment_key, null::boolean as improper, "
           "null::varchar as evidence where false")
NO_RULE_HITS = ("select null::varchar as rule_key, null::varchar as rule_id, null::varchar as subject_key, "
                "null::bigint as payment_key, null::boolean as improper, null::varchar as evidence where false")

# rule_catalogue: the run's rules as checks.rule_runner.write_catalogue records them (position: catalogue order)
CATALOGUE_COLUMNS = (("rule_key", "varchar"), ("rule_id", "varchar"), ("title", "varchar"), ("severity", "varchar"),
                     ("subject", "varchar"), ("scope", "varchar"), ("policy", "varchar"), ("suggestion", "varchar"),
                     ("amount_kind", "varchar"), ("checks", "varchar"), ("amount_basis", "varchar"),
                     ("parameters", "varchar"), ("position", "integer"))


@dataclass(frozen=True)
class CatalogueRule:
    """A rule as the run's database records it (rule_catalogue): its words rendered for the run's parameters."""

    key: str
    id: str
    title: str
    severity: str
    subject: str
    scope: str
    policy: str
    suggestion: str
    amount_kind: str
    checks: str = ""
    amount_basis: str = ""
    parameters: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Catalogue:
    rules: tuple[CatalogueRule, ...]


def read_catalogue(con: duckdb.DuckDBPyConnection) -> Catalogue:
    """The run's rule catalogue from its database, in catalogue order (empty before the rules ran)."""
    if not table_exists(con, "rule_catalogue"):
        return Catalogue(())
    names = [c for c, _ in CATALOGUE_COLUMNS if c != "position"]
    rows = con.execute(f"select {', '.join(names)} from rule_catalogue order by position").fetchall()
    return Catalogue(tuple(CatalogueRule(*row[:-1], parameters=json.loads(row[-1] or "{}")) for row in rows))


class Requirements(Protocol):
    """What skip_reason and partial_notes read of a rule (checks.registry.Rule has it)."""

    requires: tuple[str, ...]
    requires_columns: tuple[str, ...]
    partial_requires: dict


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return table_exists(con, table) and con.execute(f"select exists (select 1 from {table})").fetchone()[0]


def _available(con: duckdb.DuckDBPyConnection, requirement: str) -> bool:
    """A table with rows, or table.column holding at least one value."""
    table, _, column = requirement.partition(".")
    if not _has_rows(con, table):
        return False
    return not column or column in columns_with_values(con, table)


def skip_reason(con: duckdb.DuckDBPyConnection, rule: Requirements) -> str:
    """Why a rule cannot run on this database, or "" when it can."""
    for table in rule.requires:
        if not _available(con, table):
            return f"缺少{TABLE_TITLES.get(table, table)}（{table}）数据"
    for qualified in rule.requires_columns:
        if not _available(con, qualified):
            table, column = qualified.split(".")
            return f"{TABLE_TITLES.get(table, table)}缺少{column}列或该列全部为空"
    return ""


def partial_notes(con: duckdb.DuckDBPyConnection, rule: Requirements) -> str:
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
