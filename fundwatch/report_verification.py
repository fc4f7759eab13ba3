"""The numbers of report.html's sections on the agency's handling (管理问题), tip-offs (信访举报核查) and
the verification loop (核查销号与整改): counts, amounts and IDs only, staff IDs masked. The markup is
in fundwatch/templates/report/sections/.
"""

from __future__ import annotations

from fundwatch.db import table_exists
from fundwatch.report_charts import chart_desks, chart_late_stops, masked_staff
from fundwatch.report_data import count, rate, yuan

CHANGES = ("新增", "持续", "已消除", "不属实未再提出", "再次提出")
TIPOFF_SUGGESTIONS = ["数据印证", "数据未见异常", "无法匹配，需人工核实"]
MATCH_KINDS = ("身份证号", "身份信息", "未匹配")


def management_data(con, manifest: dict) -> dict:
    """管理问题与责任划定: which parts ran, and when management.csv was written its figures and charts."""
    summary = manifest.get("management") or {}
    parts = summary.get("parts") or []
    data = {
        "status_rows": [[p.get("title", p.get("part")), {"run": "已分析", "skipped": "未分析"}.get(p.get("status"), ""),
                         count(p.get("findings")), p.get("reason") or ""] for p in parts],
        "status_classes": ["skipped" if p.get("status") == "skipped" else "" for p in parts],
        "written": bool(summary.get("written")) and table_exists(con, "management"),
        "reason": summary.get("reason") or "本次运行未进行管理问题分析。",
    }
    if not data["written"]:
        return data
    late = con.execute("select months, days, amount from management where part = 'late_stops' "
                       "order by amount desc, finding_id").fetchall()
    desks = con.execute("select stage, region_code, coalesce(operator_id, reviewer_id), amount, clue_count, people "
                        "from management where part = 'desks' order by stage, amount desc, finding_id").fetchall()
    staff_people, staff_clues, staff_amount = con.execute(
        "select count(*), coalesce(sum(clue_count), 0), coalesce(sum(amount), 0) from management "
        "where part = 'staff_clues'").fetchone()
    top = con.execute("select finding_id, problem_type, region_code, stage, operator_id, reviewer_id, clue_count, "
                      "people, amount from management order by amount desc, finding_id limit 10").fetchall()
    return {**data,
            "late_people": len(late), "late_months": sum(int(m) for m, _, _ in late),
            "late_amount": sum(float(a) for _, _, a in late),
            "late_days": max((int(d) for _, d, _ in late), default=0),
            "staff_people": staff_people, "staff_clues": staff_clues, "staff_amount": staff_amount,
            "desks_chart": chart_desks(desks) if desks else "",
            "late_chart": chart_late_stops(late) if late else "",
            "top_rows": [[f, t, r or "", st, masked_staff(o), masked_staff(v), count(c), count(n), yuan(a)]
                         for f, t, r, st, o, v, c, n, a in top]}


def tipoff_data(con, manifest: dict) -> dict | None:
    """信访举报核查: counts by 匹配方式 and by what the data showed (no names, no ID numbers); None without tip-offs."""
    summary = manifest.get("tipoffs") or {}
    if not summary.get("given") or not table_exists(con, "tipoff_report"):
        return None
    crossed = con.execute("select match_kind, suggestion, count(*) from tipoff_report group by 1, 2").fetchall()
    by_category = con.execute("select coalesce(category, '未注明'), suggestion, count(*) from tipoff_report "
                              "group by 1, 2 order by 1").fetchall()

    def rows(groups, keys) -> list[list[str]]:
        return [[key, *(count(next((n for k, s_, n in groups if k == key and s_ == s), 0)) for s in TIPOFF_SUGGESTIONS),
                 count(sum(n for k, _, n in groups if k == key))] for key in keys]

    return {**summary, "suggestions": TIPOFF_SUGGESTIONS, "match_rows": rows(crossed, MATCH_KINDS),
            "category_rows": rows(by_category, sorted({c for c, _, _ in by_category}))}


def history_data(con) -> dict | None:
    """核查销号与整改: 变化情况, 整改成效 and 追回 per county, overdue and re-check counts, the ranking; None
    without a history."""
    if not table_exists(con, "clue_changes") or not table_exists(con, "rectification"):
        return None
    changes = dict(con.execute("select change, count(*) from clue_changes group by 1").fetchall())
    verified, confirmed, due, recovered = con.execute(
        "select coalesce(sum(verified), 0), coalesce(sum(confirmed), 0), coalesce(sum(amount_due), 0), "
        "coalesce(sum(amount_recovered), 0) from rectification").fetchone()
    scoped, signed_off = con.execute(
        "select count(*), count(*) filter (f.signed_off_on is not null) from scope_clues "
        "left join latest_feedback as f using (clue_id)").fetchone()
    overdue = con.execute("select count(*) from overdue").fetchone()[0] or 0
    recheck, untrue = con.execute("select count(*), coalesce(max(population), 0) from recheck").fetchone()
    counties = con.execute("select county, clues, verified, confirmed, confirmed_share, rectification_rate, amount_due, "
                           "amount_recovered, recovery_rate, signed_off, signed_off_rate, overdue, rechecked "
                           "from rectification order by county").fetchall()
    ranking = None
    if table_exists(con, "verified_ranking"):
        ranking = [[k, c, rate(a), rate(b), rate(d), "—" if x is None else f"{x:.3f}", basis]
                   for k, c, a, b, d, x, basis in con.execute(
                       "select verified_rank, county, confirmed_share, recovery_rate, rectification_rate, "
                       "attention, basis from verified_ranking order by verified_rank").fetchall()]
    overdue_rows = con.execute("select clue_id, rule_id, region_code, strftime(deadline, '%Y-%m-%d'), days_overdue, "
                               "coalesce(status, '') from overdue order by deadline, clue_id limit 20").fetchall()
    return {
        "verified": verified, "confirmed": confirmed, "confirmed_share": rate(confirmed / verified if verified else None),
        "due": due, "recovered": recovered, "recovery_rate": rate(recovered / due if due else None),
        "signed_off": signed_off, "signed_off_rate": rate(signed_off / scoped if scoped else None),
        "overdue": overdue, "recheck": recheck, "untrue": untrue,
        "change_rows": [[c, count(changes.get(c, 0))] for c in CHANGES],
        "change_foot": ["合计", count(sum(changes.values()))],
        "county_rows": [[c, count(n), count(v), count(t), rate(cs), rate(rr), yuan(d), yuan(r), rate(rec), count(so),
                         rate(sr), count(od), count(rc)] for c, n, v, t, cs, rr, d, r, rec, so, sr, od, rc in counties],
        "ranking_rows": ranking,
        "overdue_rows": [list(r) for r in overdue_rows],
    }
