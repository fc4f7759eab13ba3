"""The numbers and table rows of report.html that only the report shows: the overview, the scope and
inputs, clues per county and per month, the score distribution, the top clues (masked), data quality
and the method notes. What the workbook shows too comes from fundwatch.summary (computed once); the
markup is in fundwatch/templates/report/. Values here are plain text, escaped by the templates.
"""

from __future__ import annotations

import json

import duckdb

from fundwatch.db import table_exists
from fundwatch.emit import SEVERITY_ORDER
from fundwatch.masking import mask_id, mask_tail
from fundwatch.report_charts import chart_counties, chart_months, chart_rules, chart_scores
from fundwatch.summary import RunSummary

RUN_KINDS = {"county": "县级运行（单个县区）", "city": "市级运行（多个县区联动）"}
SUBJECT_WORDS = {"人员": "人员", "账户": "银行账户", "经办人": "经办人员"}
SEVERITIES = ("高", "中", "低")


# ---------------------------------------------------------------------------- formatting (also the templates' filters)


def count(value) -> str:
    return f"{int(value or 0):,}"


def yuan(value) -> str:
    return f"{float(value or 0):,.2f}"


def wan(value) -> str:
    return f"{float(value or 0) / 10000:,.2f}"


def rate(value) -> str:
    return "—" if value is None else f"{float(value):.1%}"


def period(p) -> str:
    return f"{int(p) // 100}年{int(p) % 100:02d}月" if p else ""


def parameters_text(parameters) -> str:
    if not parameters:
        return ""
    parts = []
    for key, value in parameters.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            value = "；".join("/".join(str(v) for v in item.values()) for item in value)
        elif isinstance(value, (list, dict)):
            value = json.dumps(value, ensure_ascii=False)
        parts.append(f"{key} = {value}")
    return "；".join(parts)


def _scalar(con, sql: str, default=0):
    value = con.execute(sql).fetchone()[0]
    return default if value is None else value


def _feature_labels(names: list[str]) -> list[str]:
    try:
        from fundwatch.features import FEATURES
    except ImportError:
        return names
    labels = {f.name: f.label for f in FEATURES}
    return [labels.get(n, n) for n in names]


# ---------------------------------------------------------------------------- queries


def improper_payments(con) -> tuple[str, str]:
    """SQL of (clue_id, rule_id, period, region_code, amount) for the improper part of every clue, and a
    note saying how it was obtained.

    Exact when the rules' hits (view clue_hits: subject, payment, improper flag) are still in the
    database and add up to the clues' amounts; otherwise each clue's amount is spread over the
    payments behind it (clue_evidence) in proportion to their amounts. Amounts stay decimal, so that
    their sums (per month, per county) do not depend on the order the engine adds them in.
    """
    exact = (
        "select c.clue_id, c.rule_id, p.period, p.region_code, p.amount "
        "from clue_hits h join clues c on c.rule_id = h.rule_id and c.subject_key = h.subject_key "
        "join payments p on p.row_key = h.payment_key where h.improper"
    )
    if table_exists(con, "clue_hits"):
        try:
            mismatched = con.execute(
                f"select count(*) from (select clue_id, sum(amount) as a from ({exact}) group by 1) x "
                "right join clues c using (clue_id) where abs(coalesce(x.a, 0) - c.amount) > 0.005"
            ).fetchone()[0]
        except duckdb.Error:
            mismatched = -1
        if mismatched == 0:
            return exact, ("按所属期统计的金额取自各规则判定为“不当”的发放明细（与线索涉及金额口径一致，"
                           "按发放的所属期归月、按发放的行政区划归县区）。")
    spread = (
        "with ev as (select e.clue_id, p.period, p.region_code, p.amount "
        "            from clue_evidence e join payments p on p.row_key = e.row_key), "
        "tot as (select clue_id, sum(amount) as total from ev group by 1) "
        "select c.clue_id, c.rule_id, ev.period, ev.region_code, "
        "       case when tot.total = 0 then 0 "
        "            else (ev.amount::double * c.amount::double / tot.total::double)::decimal(38, 6) end as amount "
        "from clues c join ev using (clue_id) join tot using (clue_id)"
    )
    return spread, ("本次数据库未保留各规则对单笔发放的“不当”判定，按所属期统计的金额为：将每条线索的涉及金额"
                    "按其疑点发放明细（起始所属期至截止所属期）的发放金额比例分摊到各所属期、各县区，合计与线索涉及金额一致。")


def _counties(con, improper_sql: str, recipients_by_region: dict) -> list[dict]:
    """Clues (by 风险等级) and the improper amount per county, also per 10,000 recipients. A clue across
    counties counts in each of them; amounts go to the county of the payment."""
    clue_regions = con.execute(
        "select trim(r) as region, severity, count(*) from clues, "
        "unnest(string_split(coalesce(region_code, ''), ';')) as t(r) group by 1, 2").fetchall()
    amount_by_region = dict(con.execute(
        f"select region_code, sum(amount) from ({improper_sql}) group by 1").fetchall())
    regions = sorted(set(recipients_by_region) | {r for r, _, _ in clue_regions if r} | set(amount_by_region))
    counties = []
    for region in regions:
        recipients = int(recipients_by_region.get(region, 0))
        by_sev = {s: int(n) for r, s, n in clue_regions if r == region}
        clues_n = sum(by_sev.values())
        amount = float(amount_by_region.get(region) or 0)
        per = (10000 / recipients) if recipients else 0
        counties.append({"region": region, "recipients": recipients, "clues": clues_n, "amount": amount,
                         "per10k": clues_n * per, "amount_per10k": amount * per,
                         "per10k_by_severity": {s: n * per for s, n in by_sev.items()},
                         "by_severity": by_sev})
    return counties


def _scores(con, manifest: dict, summary: RunSummary) -> dict | None:
    """The score histogram, the M01 threshold and the scoring notes; None when nothing was scored."""
    if not (table_exists(con, "scores") and _scalar(con, "select count(*) from scores") > 0):
        return None
    m01 = summary.rule("M01")
    flagged = m01.clues if m01 else 0
    bins = [(float(b), int(n)) for b, n in con.execute(
        "select least(floor(score * 50) / 50, 0.98) as b, count(*) from scores group by 1 order by 1").fetchall()]
    top_share = (((manifest.get("parameters") or {}).get("rules") or {}).get("M01") or {}).get("top_share")
    threshold = None
    if top_share:
        threshold = con.execute("select round(quantile_cont(score, ?), 6) from scores",  # last float bits vary
                                [1 - float(top_share)]).fetchone()[0]
    scoring = manifest.get("scoring") or {}
    return {"chart": chart_scores(bins, threshold, flagged), "model": scoring.get("model", "IsolationForest"),
            "scored": count(scoring.get("recipients_scored") or sum(n for _, n in bins)),
            "top_share": top_share if top_share is not None else "",
            "features": "、".join(_feature_labels(scoring.get("features") or []))}


def _top_clues(con) -> list[list[str]]:
    """The 10 clues first by 风险等级 and amount, their subject masked."""
    rows = []
    for clue_id, rule_id, clue_type, severity, region, subject_type, id_number, name, n, amount, p1, p2 in con.execute(
            "select clue_id, rule_id, clue_type, severity, region_code, subject_type, id_number, name, "
            "payment_count, amount, period_start, period_end from clues "
            f"order by {SEVERITY_ORDER}, amount desc, clue_id limit 10").fetchall():
        if subject_type == "人员":
            subject = mask_id(id_number) or ""
        elif subject_type == "账户":
            subject = "账户 ****" + (name or "")[-4:]
        else:
            subject = f"{subject_type} " + (mask_tail(name, 2) or "")
        rows.append([clue_id, f"{rule_id} {clue_type}", severity, region or "", subject, count(n), yuan(amount),
                     f"{p1}–{p2}" if p1 else ""])
    return rows


def _unmapped_benefit_types(inputs: list[dict]) -> list[list[str]]:
    """未归类待遇类型: benefit types the category table does not name, with counts (never guessed)."""
    counts: dict[str, int] = {}
    for f in inputs:
        for benefit_type, n in (f.get("unmapped_benefit_types") or {}).items():
            counts[benefit_type] = counts.get(benefit_type, 0) + int(n)
    return [[benefit_type, count(n)] for benefit_type, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


# ---------------------------------------------------------------------------- the page


def page_data(con: duckdb.DuckDBPyConnection, manifest: dict, summary: RunSummary, generated: str) -> dict:
    """Everything sections 一 to 十一 show beyond the summary, as plain values and table rows."""
    run = manifest.get("run", {})
    inputs = manifest.get("inputs", [])
    people = _scalar(con, "select count(distinct id_number) from clues where subject_type = '人员'")
    payments_n, payments_amount, first_period, last_period = con.execute(
        "select count(*), coalesce(sum(amount), 0), min(period), max(period) from payments").fetchone()
    recipients_total = _scalar(con, "select count(distinct id_number) from recipients")
    recipients_by_region = dict(con.execute(
        "select region_code, count(distinct id_number) from recipients group by 1").fetchall())
    improper_sql, improper_note = improper_payments(con)
    months = [(int(p), r, float(a)) for p, r, a in con.execute(
        f"select period, rule_id, sum(amount) from ({improper_sql}) group by 1, 2 order by 1, 2").fetchall()]
    counties = _counties(con, improper_sql, recipients_by_region)
    charted = [r for r in summary.rules if r.status != "skipped" or r.clues]
    exposure = summary.exposure
    period_text = f"{period(first_period)} 至 {period(last_period)}" if first_period else "—"

    return {
        "run_kind": RUN_KINDS.get(run.get("kind"), ""),
        "run_kind_or_code": RUN_KINDS.get(run.get("kind"), run.get("kind") or ""),
        "input_dir": run.get("input", ""), "started_at": manifest.get("started_at", ""), "generated": generated,
        "period_text": period_text,
        "people": people, "people_share": f"占领取人 {people / recipients_total:.2%}" if recipients_total else "",
        "payments": payments_n, "payments_amount": payments_amount,
        "recipients": recipients_total, "counties_with_recipients": len(recipients_by_region),
        "inputs_count": len(inputs),
        "input_rows": [[f.path, f.table_title, f.county, f.encoding, count(f.read), count(f.loaded),
                        count(f.quarantined), "一致" if f.reconciled else "不一致", f.sha256[:12]]
                       for f in summary.inputs],
        "input_classes": ["" if f.reconciled else "bad" for f in summary.inputs],
        "input_foot": ["合计", "", "", "", *(count(t) for t in summary.input_totals),
                       "一致" if summary.reconciled else "不一致", ""],
        "ignored": "；".join(summary.ignored_files),
        "load_warnings": manifest.get("load_warnings") or [],
        "unmapped_benefit_types": _unmapped_benefit_types(inputs),
        "rule_rows": [[r.rule_id, r.title, r.severity, SUBJECT_WORDS.get(r.subject, r.subject), r.status_text,
                       count(r.clues), yuan(r.amount),
                       f"{float(r.amount) / float(exposure):.1%}" if exposure else "—"] for r in summary.rules],
        "rule_classes": ["skipped" if r.status == "skipped" else "" for r in summary.rules],
        "rules_chart": chart_rules(charted) if charted else "",
        "county_rows": [[c["region"], count(c["recipients"]), count(c["clues"]),
                         *(count(c["by_severity"].get(s, 0)) for s in SEVERITIES), yuan(c["amount"]),
                         f"{c['per10k']:,.1f}" if c["recipients"] else "—",
                         wan(c["amount_per10k"]) if c["recipients"] else "—"] for c in counties],
        "counties_chart": chart_counties(counties) if counties else "",
        "months_chart": chart_months(months, charted) if months else "",
        "improper_note": improper_note,
        "scores": _scores(con, manifest, summary),
        "top_rows": _top_clues(con),
        "validation_rows": [[t, count(rows), count(n), count(failed), "通过" if not failed else "有未通过项"]
                            for t, rows, n, failed in summary.validation_tables],
        "validation_classes": ["bad" if failed else "" for *_, failed in summary.validation_tables],
        "failed_rows": [[t, column, description, count(n) if n is not None else "—", f"{float(share or 0):.3f}%"]
                        for t, column, description, n, share in summary.failed_expectations],
        "quarantine_rows": [[t, c, r, count(n)] for t, c, r, n in summary.quarantine],
        "skipped_rows": [[rule_id, title, "未运行" if status == "skipped" else "部分未检查", reason]
                         for rule_id, title, status, reason in summary.skipped_rules],
        "rule_cards": [{"rule": r, "subject": SUBJECT_WORDS.get(r.subject, r.subject),
                        "where": "跨县区" if r.scope == "city" else "县区内",
                        "parameters": parameters_text(r.parameters)} for r in summary.rules if r.title],
        "versions": "；".join(f"{k} {v}" for k, v in (manifest.get("versions") or {}).items() if v),
    }
