"""Running the rules of the registry (checks/rules.toml) against a run's database, and assembling
every rule's hits into the clue list.

A rule's statement is built by checks.registry; whether it can run on this database is decided by
fundwatch.rules (its required tables and columns). A rule that reads identity_links (D02, P04)
runs after the identity-resolution stage (models.linkage.link_for_rules) has linked its purpose.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import duckdb

from checks.registry import Registry, Rule
from fundwatch.db import run_sql, table_exists
from fundwatch.identity_links import linked_purposes
from fundwatch.paths import sql_file
from fundwatch.rules import (
    ASSEMBLY_TABLES,
    CATALOGUE_COLUMNS,
    NO_HITS,
    NO_RULE_HITS,
    partial_notes,
    skip_reason,
)


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


def run_rule(con: duckdb.DuckDBPyConnection, registry: Registry, rule: Rule) -> RuleOutcome:
    reason = skip_reason(con, rule)
    if reason:
        run_sql(con, f"rule {rule.id}", f"drop table if exists {rule.hits_table}")
        return RuleOutcome(rule.id, "skipped", reason, key=rule.key)
    started = time.perf_counter()
    if rule.linkage and rule.linkage not in linked_purposes(con):
        raise ValueError(f"rule {rule.id} reads identity_links ({rule.linkage}), which this database does not hold: "
                         "link it first (models.linkage.link_for_rules)")
    statement, parameters = rule.statement(registry.parameters)
    run_sql(con, f"rule {rule.id}", statement, parameters)
    clues = con.execute(f"select count(distinct subject_key) from {rule.hits_table}").fetchone()[0]
    return RuleOutcome(rule.id, "run", partial_notes(con, rule), clues, time.perf_counter() - started, rule.key)


def apply_rule(con: duckdb.DuckDBPyConnection, registry: Registry, rule_key: str) -> dict:
    """One rule of a county run, as the manifest records it. A rule that reads the other rules' hits
    (M01) first sees them (clue_hits) and the catalogue (rule_catalogue) as they are now."""
    rule = registry.rule(rule_key)
    if rule.reads_other_rules:
        write_catalogue(con, registry)
        refresh_hits_view(con, registry)
    return run_rule(con, registry, rule).as_manifest()


def refresh_hits_view(con: duckdb.DuckDBPyConnection, registry: Registry) -> None:
    """clue_hits: every rule's hits so far, with rule_id; M01 reads it to leave explained people out."""
    parts = [
        f"select '{r.key}' as rule_key, '{r.id}' as rule_id, subject_key, payment_key, improper, evidence "
        f"from {r.hits_table}"
        for r in registry.rules
        if table_exists(con, r.hits_table)
    ]
    if not parts:
        parts = [NO_RULE_HITS]
    run_sql(con, "clue_hits view", "create or replace view clue_hits as " + " union all ".join(parts))


def write_catalogue(con: duckdb.DuckDBPyConnection, registry: Registry) -> None:
    """rule_catalogue: every rule of the run's registry, in catalogue order, with its words as rendered for
    the run's parameters; the clue assembly, the report and the workbook read it (fundwatch.rules.read_catalogue)."""
    con.execute(f"create or replace table rule_catalogue ({', '.join(f'{c} {t}' for c, t in CATALOGUE_COLUMNS)})")
    con.executemany(
        f"insert into rule_catalogue values ({', '.join('?' for _ in CATALOGUE_COLUMNS)})",
        [[r.key, r.id, r.title, r.severity, r.subject, r.scope, r.policy, r.suggestion, r.amount_kind,
          getattr(r, "checks", ""), getattr(r, "amount_basis", ""), json.dumps(r.parameters, ensure_ascii=False), n]
         for n, r in enumerate(registry.rules)],
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


# ---------------------------------------------------------------------------- city runs


def city_wide_rules(registry: Registry) -> list[Rule]:
    """The county rules that compare a person's payments (their sidecars say `city_wide = true`: D02, E05,
    P02, P04, S01-S04): a city run runs them on the whole city."""
    return [r for r in registry.for_scope("county") if r.city_wide]


def run_city_wide_rules(con: duckdb.DuckDBPyConnection, registry: Registry, rules: list[Rule]) -> None:
    """The city-wide rules (`city_wide_rules`) on the city database (CLUES.md: city runs see the city),
    after the identity resolution across the counties. Their clues replace the counties' clues of the
    same rules in the city list (fundwatch.city.assemble_city_clues)."""
    write_catalogue(con, registry)
    run_on_city_database(con, registry, rules)


def run_cross_county_rules(con: duckdb.DuckDBPyConnection, registry: Registry, rules: list[Rule]) -> list[dict]:
    """The cross-county rules (`registry.for_scope("city")`: P03, A01 across counties) on the city
    database, as the manifest records them."""
    return [o.as_manifest() for o in run_on_city_database(con, registry, rules)]


def run_on_city_database(con: duckdb.DuckDBPyConnection, registry: Registry, rules: list[Rule]) -> list[RuleOutcome]:
    """Rules of a city run on its database; a skipped rule leaves an empty hits table, so that the city
    list is assembled from every rule's table the same way."""
    outcomes = []
    for rule in rules:
        outcome = run_rule(con, registry, rule)
        if outcome.status == "skipped":
            run_sql(con, f"rule {rule.key}", f"create or replace table {rule.hits_table} as {NO_HITS}")
        outcomes.append(outcome)
    return outcomes
