"""The one count of a run's clues, read from the final clue list (after the history held back what it
holds back): clues and amounts per rule, per county and in total. Console, manifest, Prefect artifacts,
report and workbook all show these numbers.

Totals count a payment once however many clues name it, and keep apart 问题金额 (improper: payments
counted by a rule that finds money that should not have been paid) and 涉及金额 (exposure: payments
counted by any clue), as CLUES.md's "Amounts" says.

`run_summary` is what the report and the workbook both show, computed once: the rules in the order
they are shown with their words (the rules' sidecars in sql/rules/, rendered with the run's parameters) and their
counts, the totals, the clues per region, the inputs' reconciliation, the quarantine, the validation
results and the rules that were skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from fundwatch.paths import sql_file

TOTALS_SQL = """
with counted_payments as (
    select row_key, any_value(amount) as amount, bool_or(amount_kind = 'improper') as improper
    from clue_evidence
    where counted
    group by row_key
)
select coalesce(sum(amount) filter (improper), 0)::decimal(18, 2), coalesce(sum(amount), 0)::decimal(18, 2)
from counted_payments
"""


def rule_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, Decimal]]:
    """(rule_id, clues, 涉及金额) of every rule with clues, by rule_id."""
    return con.execute("select rule_id, count(*), coalesce(sum(amount), 0) from clues group by 1 order by 1").fetchall()


def amount_totals(con: duckdb.DuckDBPyConnection) -> tuple[Decimal, Decimal]:
    """(问题金额, 涉及金额) of the run, each payment counted once."""
    return con.execute(TOTALS_SQL).fetchone()


def clue_summary(con: duckdb.DuckDBPyConnection) -> dict:
    per_rule = rule_counts(con)
    improper, exposure = amount_totals(con)
    ranking = con.execute("select * from (" + sql_file("clues/county_ranking.sql") + ") order by rank")
    columns = [d[0] for d in ranking.description]
    per_county = ranked_on_verified_results(con, [_plain(dict(zip(columns, row))) for row in ranking.fetchall()])
    return {
        "clues": sum(n for _, n, _ in per_rule),
        "per_rule": {rule: {"clues": n, "amount": f"{amount:.2f}"} for rule, n, amount in per_rule},
        "improper_amount": f"{improper:.2f}",
        "exposure_amount": f"{exposure:.2f}",
        "per_county": per_county,
    }


def ranked_on_verified_results(con: duckdb.DuckDBPyConnection, per_county: list[dict]) -> list[dict]:
    """Once the history holds verdicts (table verified_ranking, fundwatch.history), the county ranking
    (测评排名) ranks on verified results: 属实率, 追回率, 整改率 (sql/history/verified_ranking.sql)."""
    from fundwatch.db import table_exists

    if not table_exists(con, "verified_ranking"):
        return per_county
    verified = {r[0]: r[1:] for r in con.execute(
        "select county, verified_rank, confirmed_share, recovery_rate, rectification_rate, attention, basis "
        "from verified_ranking").fetchall()}
    last = len(verified)
    ranked = []
    for row in per_county:
        rank, confirmed, recovery, rectified, attention, basis = verified.get(
            row["county"], (None, None, None, None, None, "未核查"))
        ranked.append({**row, "clue_rate_rank": row["rank"], "rank": rank, "ranking_basis": basis,
                       "confirmed_share": confirmed, "recovery_rate": recovery, "rectification_rate": rectified,
                       "attention": attention})
    ranked.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["county"]))
    for offset, row in enumerate(r for r in ranked if r["rank"] is None):
        row["rank"] = last + offset + 1
    return ranked


def final_rule_counts(rules: list[dict], summary: dict) -> list[dict]:
    """The rules' outcomes with the number of clues the list holds: a clue the history held back
    (verified 不属实, nothing new since) is counted as found, not as listed (`held_back`)."""
    final = []
    for outcome in rules:
        listed = summary["per_rule"].get(outcome["rule_id"], {}).get("clues", 0)
        if outcome["status"] == "run" and outcome.get("rule_key", outcome["rule_id"]) == outcome["rule_id"] \
                and listed != outcome["clues"]:
            outcome = {**outcome, "clues": listed, "clues_found": outcome["clues"],
                       "held_back": outcome["clues"] - listed}
        final.append(outcome)
    return final


def _plain(row: dict) -> dict:
    """JSON-ready values: decimals as strings of two places, the per-rule map as a dict."""
    out = {}
    for key, value in row.items():
        if key == "rule_clues":
            out[key] = dict(value or {})
        elif hasattr(value, "quantize"):
            out[key] = f"{value:.2f}"
        else:
            out[key] = value
    return out


# ---------------------------------------------------------------------------- what the report and the workbook show

STATUS_NAMES = {"run": "已运行", "skipped": "未运行"}
QUARANTINE_SQL = (
    "select table_name, coalesce(column_name, ''), regexp_replace(reason, '（与第[0-9]+行相同）', ''), count(*) "
    "from quarantine group by all order by 4 desc, 1, 2, 3")


@dataclass(frozen=True)
class RuleRow:
    """A rule as the report and the workbook show it: its declared words and what the run found."""

    rule_id: str
    title: str = ""
    severity: str = ""
    subject: str = ""
    scope: str = ""
    policy: str = ""
    suggestion: str = ""
    checks: str = ""
    amount_basis: str = ""
    parameters: dict = field(default_factory=dict)
    status: str = ""
    reason: str = ""
    clues: int = 0
    amount: Decimal = Decimal(0)

    @property
    def status_text(self) -> str:
        if self.status == "run" and self.reason:
            return "已运行（部分未检查）"
        return STATUS_NAMES.get(self.status, self.status or "—")


@dataclass(frozen=True)
class InputRow:
    path: str
    table_title: str
    county: str  # 参考数据 for reference/ files
    encoding: str
    read: int
    loaded: int
    quarantined: int
    sha256: str

    @property
    def reconciled(self) -> bool:
        return self.read == self.loaded + self.quarantined


@dataclass(frozen=True)
class RunSummary:
    rules: list[RuleRow]          # in the order shown: the manifest's, then the catalogue's, then any other with clues
    total_clues: int
    high: int                     # clues of 风险等级 高
    improper: Decimal             # 问题金额, each payment once
    exposure: Decimal             # 涉及金额, each payment once
    regions: list[tuple]          # (region_code as written, clues, 高, 中, 低, 涉及金额)
    inputs: list[InputRow]
    ignored_files: list[str]
    quarantine: list[tuple]       # (table title, column, reason, rows)
    validated: bool
    validation_skipped: str       # why validation did not run ("" when it ran or no reason was given)
    validation_tables: list[tuple]  # (table title, rows, expectations, failed)
    failed_expectations: list[tuple]  # (table title, column, description, unexpected rows or None, unexpected %)
    validation_engine: str
    validation_seconds: object
    skipped_rules: list[tuple]    # (rule_id, title, status, reason) of rules skipped or partly unchecked
    scope_name: str               # the county, or the counties of a city run
    rules_run: int
    rules_skipped: int
    rules_total: int

    def rule(self, rule_id: str) -> RuleRow | None:
        return next((r for r in self.rules if r.rule_id == rule_id), None)

    @property
    def input_totals(self) -> tuple[int, int, int]:
        return (sum(f.read for f in self.inputs), sum(f.loaded for f in self.inputs),
                sum(f.quarantined for f in self.inputs))

    @property
    def reconciled(self) -> bool:
        return all(f.reconciled for f in self.inputs)

    @property
    def failed_expectation_count(self) -> int:
        return sum(failed for _, _, _, failed in self.validation_tables)


def run_registry(con: duckdb.DuckDBPyConnection):
    """The run's rule catalogue (sql/rules/*.toml) as its database records it (rule_catalogue), rendered
    with the parameters the run used, so each rule's words state the run's thresholds."""
    from fundwatch.rules import read_catalogue

    return read_catalogue(con)


def run_summary(con: duckdb.DuckDBPyConnection, manifest: dict, registry=None) -> RunSummary:
    """What the report and the workbook both show, from the final clue list and the manifest."""
    from fundwatch.rules import TABLE_TITLES

    def title_of(table) -> str:
        return TABLE_TITLES.get(table, table or "")

    registry = registry or run_registry(con)
    declared = {}
    for r in registry.rules:  # a rule with a county and a city entry (A01): one row, the county entry's words
        if r.id not in declared or declared[r.id].scope == "city":
            declared[r.id] = r
    outcomes = {r["rule_id"]: r for r in manifest.get("rules", [])}
    counts = {rule_id: (n, amount) for rule_id, n, amount in rule_counts(con)}
    order = list(dict.fromkeys(r["rule_id"] for r in manifest.get("rules", [])))
    order += [r for r in declared if r not in order]
    order += [r for r in counts if r not in order]
    rules = []
    for rule_id in order:
        rule, outcome = declared.get(rule_id), outcomes.get(rule_id) or {}
        words = {} if rule is None else {
            "title": rule.title, "severity": rule.severity, "subject": rule.subject, "scope": rule.scope,
            "policy": rule.policy, "suggestion": rule.suggestion, "checks": rule.checks,
            "amount_basis": rule.amount_basis, "parameters": rule.parameters}
        n, amount = counts.get(rule_id, (0, Decimal(0)))
        rules.append(RuleRow(rule_id, **words, status=outcome.get("status", ""), reason=outcome.get("reason") or "",
                             clues=int(n), amount=Decimal(amount or 0)))

    total_clues, high = con.execute("select count(*), count(*) filter (severity = '高') from clues").fetchone()
    improper, exposure = amount_totals(con)
    regions = con.execute(
        "select region_code, count(*), count(*) filter (severity = '高'), count(*) filter (severity = '中'), "
        "count(*) filter (severity = '低'), sum(amount) from clues group by 1 order by 1").fetchall()
    inputs = manifest.get("inputs", [])
    input_rows = [InputRow(f.get("path", ""), title_of(f.get("table")), f.get("county") or "参考数据",
                           f.get("encoding") or "", *(int(f.get(k) or 0) for k in
                                                      ("rows_read", "rows_loaded", "rows_quarantined")),
                           f.get("sha256") or "") for f in inputs]
    quarantine = [(title_of(t), c, r, int(n)) for t, c, r, n in con.execute(QUARANTINE_SQL).fetchall()]

    validation = manifest.get("validation") or {}
    tables = validation.get("tables") or {}
    validation_tables = [(title_of(t), int(v.get("rows") or 0), int(v.get("expectations") or 0),
                          int(v.get("failed") or 0)) for t, v in tables.items()]
    failed = [(title_of(t), r.get("column") or "", r.get("description") or r.get("expectation") or "",
               r.get("unexpected_count"), r.get("unexpected_percent"))
              for t, v in tables.items() for r in v.get("results", []) if not r.get("success")]
    skipped_reason = validation.get("skipped") if isinstance(validation.get("skipped"), str) else ""
    titles = {r.rule_id: r.title for r in rules}
    skipped_rules = [(r["rule_id"], titles.get(r["rule_id"], ""), r.get("status"), r.get("reason") or "")
                     for r in manifest.get("rules", []) if r.get("status") == "skipped" or r.get("reason")]
    run = manifest.get("run", {})
    scope_name = run.get("county") or "、".join(sorted({i.get("county") for i in inputs if i.get("county")}))
    return RunSummary(
        rules=rules, total_clues=int(total_clues), high=int(high), improper=improper, exposure=exposure,
        regions=regions, inputs=input_rows, ignored_files=[str(i) for i in manifest.get("ignored_files") or []],
        quarantine=quarantine, validated="tables" in validation, validation_skipped=skipped_reason,
        validation_tables=validation_tables, failed_expectations=failed,
        validation_engine=validation.get("engine", ""), validation_seconds=validation.get("seconds", ""),
        skipped_rules=skipped_rules, scope_name=scope_name,
        rules_run=sum(1 for r in manifest.get("rules", []) if r.get("status") == "run"),
        rules_skipped=sum(1 for r in manifest.get("rules", []) if r.get("status") == "skipped"),
        rules_total=len(manifest.get("rules", [])))
