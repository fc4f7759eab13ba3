"""Management findings (管理问题汇总): the agency's handling judged from the final clue list.

Each part is one SQL file of sql/management/ declared in management.toml; a part whose inputs are
missing is skipped with the reason (never silently), and management.csv is written when at least one
part ran. Findings are read from the final clues (after the history held back what it holds back),
their evidence and the payments, so they trace to payments and to source lines like every clue.
"""

from __future__ import annotations

import tomllib

import duckdb

from fundwatch.db import columns_with_values, run_sql, table_exists
from fundwatch.paths import sql_dir, sql_file
from fundwatch.rules import TABLE_TITLES

MANAGEMENT_COLUMNS = [
    ("问题编号", "finding_id"), ("问题类型", "problem_type"), ("行政区划代码", "region_code"), ("责任环节", "stage"),
    ("经办人", "operator_id"), ("审核人", "reviewer_id"), ("涉及线索数", "clue_count"), ("涉及人数", "people"),
    ("问题金额", "amount"), ("说明", "note"), ("线索编号", "clue_ids"),
]


def parts() -> list[dict]:
    with open(sql_dir() / "management" / "management.toml", "rb") as fh:
        return tomllib.load(fh)["parts"]


def _has_values(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    table, _, column = qualified.partition(".")
    if not table_exists(con, table) or not con.execute(f"select exists (select 1 from {table})").fetchone()[0]:
        return False
    return column in columns_with_values(con, table)


def _column_text(qualified: str) -> str:
    from fundwatch.rules import _header_of

    table, _, column = qualified.partition(".")
    return f"{TABLE_TITLES.get(table, table)}的{_header_of(table, column)}（{column}）列"


def skip_reason(con: duckdb.DuckDBPyConnection, part: dict, rules_run: set[str]) -> str:
    missing = [c for c in part.get("requires_columns", []) if not _has_values(con, c)]
    if missing:
        return "缺少" + "、".join(_column_text(c) for c in missing) + "（或该列全部为空）"
    any_columns = part.get("requires_any_columns", [])
    if any_columns and not any(_has_values(con, c) for c in any_columns):
        return "缺少" + "或".join(_column_text(c) for c in any_columns) + "（或该列全部为空）"
    wanted = part.get("requires_rules", [])
    if wanted and not set(wanted) & rules_run:
        return "规则" + "、".join(wanted) + "均未运行"
    return ""


def build_management(con: duckdb.DuckDBPyConnection, rules_run: set[str]) -> dict:
    """Build table `management` from the parts the inputs allow; returns the manifest's summary."""
    run_sql(con, "management schema", "delete from management")
    outcomes = []
    for part in parts():
        reason = skip_reason(con, part, rules_run)
        if reason:
            outcomes.append({"part": part["key"], "title": part["title"], "status": "skipped", "reason": reason,
                             "findings": 0})
            continue
        body = sql_file(f"management/{part['sql']}")
        run_sql(con, f"management {part['key']}",
                f"insert into management by name select upper(left(md5('{part['key']}|' || finding_key), 12)) "
                f"as finding_id, '{part['key']}' as part, * from ({body})")
        found = con.execute("select count(*) from management where part = ?", [part["key"]]).fetchone()[0]
        outcomes.append({"part": part["key"], "title": part["title"], "status": "run", "reason": "", "findings": found})
    con.execute("update management set finding_id = 'GL-' || finding_id where finding_id not like 'GL-%'")
    written = any(o["status"] == "run" for o in outcomes)
    return {"written": written, "findings": sum(o["findings"] for o in outcomes), "parts": outcomes,
            **({} if written else {"reason": "；".join(f"{o['title']}：{o['reason']}" for o in outcomes)})}


def rules_available(con: duckdb.DuckDBPyConnection, registry) -> set[str]:
    """The rules whose inputs this database holds (the same test that runs or skips them)."""
    from fundwatch.rules import skip_reason as rule_skip_reason

    return {r.id for r in registry.rules if not rule_skip_reason(con, r)}


def management_query() -> str:
    """management.csv's rows: the headers of CLUES.md, ordered by type, amount and ID."""
    select = []
    for header, column in MANAGEMENT_COLUMNS:
        if column == "amount":
            expr = "printf('%.2f', amount)"
        elif column in ("clue_count", "people"):
            expr = f"{column}::varchar"
        else:
            expr = f"fw_cell({column})"
        select.append(f'{expr} as "{header}"')
    return (f"select {', '.join(select)} from management "
            "order by case part when 'late_stops' then 0 when 'staff_clues' then 1 else 2 end, "
            "amount desc, finding_id")
