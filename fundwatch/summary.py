"""The one count of a run's clues, read from the final clue list (after the history held back what it
holds back): clues and amounts per rule, per county and in total. Console, manifest, Prefect artifacts,
report and workbook all show these numbers.

Totals count a payment once however many clues name it, and keep apart 问题金额 (improper: payments
counted by a rule that finds money that should not have been paid) and 涉及金额 (exposure: payments
counted by any clue), as CLUES.md's "Amounts" says.
"""

from __future__ import annotations

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


def clue_summary(con: duckdb.DuckDBPyConnection) -> dict:
    per_rule = con.execute("select rule_id, count(*), coalesce(sum(amount), 0) from clues group by 1 order by 1").fetchall()
    improper, exposure = con.execute(TOTALS_SQL).fetchone()
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
