"""report.html: one self-contained page (Chinese) for people who would rather look than read.

The page carries plotly.js inline once and nothing else from outside: no CDN, no web fonts, and a
Content-Security-Policy that forbids any network access, so it opens the same on an offline
laptop. It holds aggregates only — counts and amounts per rule, per county and per month, the
score distribution, data-quality results and method notes — plus a top-10 table of clues whose
subjects are masked (ID number 330102********1234, account ****5678). No names, no full ID
numbers, accounts or person ids and no evidence sentences. Every text is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from html import escape
from pathlib import Path

import duckdb
import plotly.graph_objects as go
import plotly.offline
from plotly.subplots import make_subplots

from fundwatch.summary import TOTALS_SQL
from fundwatch.db import table_exists
from fundwatch.emit import SEVERITY_ORDER
from fundwatch.rules import TABLE_TITLES
from fundwatch.masking import mask_id, mask_tail

SEVERITY_COLOURS = {"高": "#C0392B", "中": "#E08E0B", "低": "#7F8C8D"}
PRIMARY = "#1F4E78"
ACCENT = "#2E86C1"
FONT_STACK = ('"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
              '"Hiragino Sans GB", "WenQuanYi Micro Hei", "Noto Sans", sans-serif')
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data: blob:; font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'")
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "showSendToCloud": False,
                 "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
                 "toImageButtonOptions": {"format": "png", "scale": 2}}
RUN_KINDS = {"county": "县级运行（单个县区）", "city": "市级运行（多个县区联动）"}
SUBJECT_WORDS = {"人员": "人员", "账户": "银行账户", "经办人": "经办人员"}

# What each rule checks, in words (CLUES.md, "fires when"); thresholds are the run's parameters.
RULE_CHECKS = {
    "D01": "待遇所属期晚于最早死亡日期所在月份（死亡当月仍可发放）；丧葬补助金、抚恤金、一次性死亡待遇、个人账户余额退还等死亡后一次性待遇除外。",
    "P01": "同一公民身份号码、险种、待遇类型、所属期在同一县区有两笔及以上不同发放流水号的发放。",
    "P02": "同一人同一所属期既领取职工养老金（110/120）又领取城乡居民养老金（170）。",
    "P03": "同 P01，但重复发放分布在两个及以上县区（仅在市级运行时可发现）。",
    "E01": "待遇开始年月早于达到领取年龄的月份：城乡居民养老金60周岁；职工养老金按退休类型、性别、人员身份确定最低年龄（正常退休男60、女干部55、女工人50；特殊工种男55、女45；因病男50、女45）。",
    "E02": "财政供养（在编）期间领取城乡居民养老金（170）。",
    "E03": "服刑开始月份之后、服刑结束月份之前（或尚未结束）的所属期仍发放基本养老金。",
    "E04": "1998年1月及以后开始领取的企业职工养老金（110），累计缴费不足180个月。",
    "E05": "失业保险金：(a) 领取月数超过按缴费年限确定的最长期限（不足5年12个月、5至10年18个月、10年以上24个月）；(b) 有就业参保缴费记录的所属期仍领取；(c) 同期领取养老金。",
    "A01": "同一银行账户接收3个及以上不同公民身份号码的待遇。",
    "A02": "公民身份号码长度或字符错误、校验码错误、出生日期不存在，或与登记的出生日期、性别不符。",
    "A03": "同一笔发放的经办人与审核人为同一人（每名经办人一条线索）。",
    "M01": "孤立森林模型按发放特征为每名领取人计算异常分值，分值居前（默认前1%）且未被其他规则解释的人员。",
    "S01": "待遇汇入经办人员信息中登记为某经办人员本人所有的银行账户，而领取人不是该经办人员本人。",
    "S02": "死亡月份之后办理恢复发放，或办理补发且其后发放了死亡次月起所属期的待遇（死亡前月份的欠发待遇补发给继承人属正常）。",
    "S03": "变更账号后90天内补发3个月及以上（或3笔及以上补发）汇入新账号。",
    "S04": "同一经办人将3名及以上不同人员的待遇账号改为同一账户。",
}
AMOUNT_BASIS = {
    "D01": "死亡次月起的发放", "E01": "达龄前的发放", "E02": "在编期间的城乡居民养老金", "E03": "服刑期间的养老金",
    "E05": "超期、就业期间或同期领取养老金的失业保险金", "P01": "重复组中除最早一笔外的发放",
    "P03": "重复组中除最早一笔外的发放", "P02": "重叠所属期的城乡居民养老金", "E04": "该人员的全部发放",
    "A02": "该人员的全部发放", "M01": "该人员的全部发放", "A01": "汇入该账户的全部发放", "A03": "自审自批的全部发放",
    "S01": "汇入经办人员本人账户的发放", "S02": "恢复发放或补发后死亡次月起的发放", "S03": "变更账号后汇入新账号的补发",
    "S04": "汇入该账户的全部发放",
}


# ---------------------------------------------------------------------------- small formatting helpers


def _e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _yuan(value) -> str:
    return f"{float(value or 0):,.2f}"


def _wan(value) -> str:
    return f"{float(value or 0) / 10000:,.2f}"


def _int(value) -> str:
    return f"{int(value or 0):,}"


def _period(p) -> str:
    return f"{int(p) // 100}年{int(p) % 100:02d}月" if p else ""


def _table(headers: list[str], rows: list[list], numeric: set[int] = frozenset(), css: str = "",
           row_classes: list[str] | None = None, foot: list | None = None) -> str:
    """An HTML table; every cell is escaped here (pass plain values, never markup)."""
    head = "".join(f'<th class="{"num" if i in numeric else ""}">{_e(h)}</th>' for i, h in enumerate(headers))
    body = []
    for r, row in enumerate(rows):
        cls = f' class="{_e(row_classes[r])}"' if row_classes and row_classes[r] else ""
        cells = "".join(f'<td class="{"num" if i in numeric else ""}">{_e(v)}</td>' for i, v in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    tfoot = ""
    if foot:
        tfoot = "<tfoot><tr>" + "".join(
            f'<td class="{"num" if i in numeric else ""}">{_e(v)}</td>' for i, v in enumerate(foot)) + "</tr></tfoot>"
    return (f'<div class="table-wrap"><table class="{_e(css)}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody>{tfoot}</table></div>')


def _figure_html(fig: go.Figure, div_id: str) -> str:
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT_STACK, "size": 13, "color": "#2C3E50"},
        margin={"l": 60, "r": 30, "t": 50, "b": 50},
        hoverlabel={"font": {"family": FONT_STACK}},
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
    )
    return fig.to_html(full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG, div_id=div_id,
                       default_width="100%")


def _table_title(table) -> str:
    return TABLE_TITLES.get(table, table or "")


def _feature_labels(names: list[str]) -> list[str]:
    try:
        from fundwatch.features import FEATURES
    except ImportError:
        return names
    labels = {f.name: f.label for f in FEATURES}
    return [labels.get(n, n) for n in names]


def _label(text) -> str:
    """Plotly reads a few HTML tags in labels: escape so data is shown, never interpreted."""
    return escape("" if text is None else str(text), quote=False)


# ---------------------------------------------------------------------------- queries


def _catalogue(con) -> dict[str, dict]:
    rows = con.execute("select rule_id, title, severity, subject, scope, policy, suggestion from rule_catalogue") \
        .fetchall() if table_exists(con, "rule_catalogue") else []
    return {r[0]: dict(zip(("rule_id", "title", "severity", "subject", "scope", "policy", "suggestion"), r))
            for r in rows}


def _rule_order(con, manifest: dict, catalogue: dict) -> list[str]:
    order = [r["rule_id"] for r in manifest.get("rules", [])]
    order += [r for r in catalogue if r not in order]
    order += [r for (r,) in con.execute("select distinct rule_id from clues order by 1").fetchall() if r not in order]
    return order


def _improper_payments(con) -> tuple[str, str]:
    """SQL of (clue_id, rule_id, period, region_code, amount) for the improper part of every clue, and a
    note saying how it was obtained.

    Exact when the rules' hits (view clue_hits: subject, payment, improper flag) are still in the
    database and add up to the clues' amounts; otherwise each clue's amount is spread over the
    payments behind it (clue_evidence) in proportion to their amounts.
    """
    exact = (
        "select c.clue_id, c.rule_id, p.period, p.region_code, p.amount::double as amount "
        "from clue_hits h join clues c on c.rule_id = h.rule_id and c.subject_key = h.subject_key "
        "join payments p on p.row_key = h.payment_key where h.improper"
    )
    if table_exists(con, "clue_hits"):
        try:
            mismatched = con.execute(
                f"select count(*) from (select clue_id, sum(amount) as a from ({exact}) group by 1) x "
                "right join clues c using (clue_id) where abs(coalesce(x.a, 0) - c.amount::double) > 0.005"
            ).fetchone()[0]
        except duckdb.Error:
            mismatched = -1
        if mismatched == 0:
            return exact, ("按所属期统计的金额取自各规则判定为“不当”的发放明细（与线索涉及金额口径一致，"
                           "按发放的所属期归月、按发放的行政区划归县区）。")
    spread = (
        "with ev as (select e.clue_id, p.period, p.region_code, p.amount::double as amount "
        "            from clue_evidence e join payments p on p.row_key = e.row_key), "
        "tot as (select clue_id, sum(amount) as total from ev group by 1) "
        "select c.clue_id, c.rule_id, ev.period, ev.region_code, "
        "       case when tot.total = 0 then 0 else ev.amount * c.amount::double / tot.total end as amount "
        "from clues c join ev using (clue_id) join tot using (clue_id)"
    )
    return spread, ("本次数据库未保留各规则对单笔发放的“不当”判定，按所属期统计的金额为：将每条线索的涉及金额"
                    "按其疑点发放明细（起始所属期至截止所属期）的发放金额比例分摊到各所属期、各县区，合计与线索涉及金额一致。")


def _scalar(con, sql: str, default=0):
    value = con.execute(sql).fetchone()[0]
    return default if value is None else value


# ---------------------------------------------------------------------------- charts


def _chart_rules(rules: list[dict]) -> str:
    labels = [_label(f"{r['rule_id']} {r['title']}") for r in rules][::-1]
    colours = [SEVERITY_COLOURS.get(r["severity"], ACCENT) for r in rules][::-1]
    counts = [r["clues"] for r in rules][::-1]
    amounts = [float(r["amount"]) / 10000 for r in rules][::-1]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=("线索数（条）", "涉及金额（万元）"))
    fig.add_trace(go.Bar(y=labels, x=counts, orientation="h", marker_color=colours, text=counts,
                         textposition="outside", cliponaxis=False, name="线索数",
                         hovertemplate="%{y}<br>线索数：%{x} 条<extra></extra>"), 1, 1)
    fig.add_trace(go.Bar(y=labels, x=amounts, orientation="h", marker_color=colours,
                         text=[f"{a:,.2f}" for a in amounts], textposition="outside", cliponaxis=False,
                         name="涉及金额", hovertemplate="%{y}<br>涉及金额：%{x:,.2f} 万元<extra></extra>"), 1, 2)
    for severity, colour in SEVERITY_COLOURS.items():  # legend for the colours
        fig.add_trace(go.Bar(y=[None], x=[None], marker_color=colour, name=f"风险等级：{severity}",
                             showlegend=True, hoverinfo="skip"), 1, 1)
    fig.update_traces(selector={"name": "线索数"}, showlegend=False)
    fig.update_traces(selector={"name": "涉及金额"}, showlegend=False)
    fig.update_layout(height=max(320, 34 * len(rules) + 120), bargap=0.3,
                      legend={"orientation": "h", "y": -0.08, "x": 0, "traceorder": "normal"})
    fig.update_xaxes(rangemode="tozero", automargin=True)
    fig.update_yaxes(automargin=True)
    return _figure_html(fig, "chart-rules")


def _chart_counties(counties: list[dict]) -> str:
    labels = [_label(c["region"]) for c in counties]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("每万名领取人的线索数（条）", "每万名领取人的涉及金额（万元）"))
    for severity, colour in SEVERITY_COLOURS.items():
        values = [c["per10k_by_severity"].get(severity, 0) for c in counties]
        fig.add_trace(go.Bar(x=labels, y=values, name=f"风险等级：{severity}", marker_color=colour,
                             hovertemplate="%{x}<br>" + severity + "：%{y:.1f} 条/万人<extra></extra>"), 1, 1)
    fig.add_trace(go.Bar(x=labels, y=[c["amount_per10k"] / 10000 for c in counties], marker_color=PRIMARY,
                         name="涉及金额", showlegend=False,
                         text=[f"{c['amount_per10k'] / 10000:,.2f}" for c in counties], textposition="outside",
                         cliponaxis=False,
                         customdata=[[c["recipients"]] for c in counties],
                         hovertemplate="%{x}<br>%{y:,.2f} 万元/万人<br>领取人 %{customdata[0]:,} 人<extra></extra>"),
                  1, 2)
    fig.update_layout(barmode="stack", height=380,
                      legend={"orientation": "h", "y": -0.22, "x": 0, "traceorder": "normal"})
    fig.update_xaxes(type="category", title_text="行政区划代码")
    fig.update_yaxes(rangemode="tozero")
    return _figure_html(fig, "chart-counties")


def _chart_months(months: list[tuple], rules: list[dict]) -> str:
    periods = sorted({p for p, _, _ in months})
    labels = [f"{p // 100}-{p % 100:02d}" for p in periods]
    by_rule: dict[str, dict[int, float]] = {}
    for period, rule_id, amount in months:
        by_rule.setdefault(rule_id, {})[period] = amount
    palette = ["#1F4E78", "#C0392B", "#E08E0B", "#27AE60", "#8E44AD", "#16A085", "#D35400", "#2C3E50",
               "#F1C40F", "#7F8C8D", "#E74C3C", "#3498DB", "#95A5A6"]
    fig = go.Figure()
    titles = {r["rule_id"]: r["title"] for r in rules}
    for i, rule_id in enumerate(r["rule_id"] for r in rules):
        if rule_id not in by_rule:
            continue
        fig.add_trace(go.Bar(
            x=labels, y=[by_rule[rule_id].get(p, 0) / 10000 for p in periods],
            name=_label(f"{rule_id} {titles.get(rule_id, '')}"), marker_color=palette[i % len(palette)],
            visible="legendonly" if rule_id == "M01" else True,
            hovertemplate="%{x}<br>" + _label(rule_id) + "：%{y:,.2f} 万元<extra></extra>"))
    fig.update_layout(barmode="stack", height=460, yaxis_title="涉及金额（万元）",
                      legend={"orientation": "h", "y": -0.2, "x": 0, "traceorder": "normal"})
    fig.update_xaxes(type="category", tickangle=-45)
    return _figure_html(fig, "chart-months")


def _chart_scores(bins: list[tuple], threshold: float | None, flagged: int) -> str:
    fig = go.Figure(go.Bar(
        x=[b + 0.01 for b, _ in bins], y=[n for _, n in bins], width=0.018, marker_color=ACCENT,
        name="领取人数", hovertemplate="分值 %{x:.2f} 附近：%{y:,} 人<extra></extra>"))
    if threshold is not None:
        fig.add_vline(x=threshold, line_dash="dash", line_color=SEVERITY_COLOURS["高"],
                      annotation_text=f"M01 阈值 {threshold:.3f}（{flagged} 条 M01 线索）",
                      annotation_position="top left", annotation_font_color=SEVERITY_COLOURS["高"])
    fig.update_layout(height=360, xaxis_title="异常分值（0–1，越高越异常）", yaxis_title="领取人数（对数刻度）",
                      yaxis_type="log", bargap=0.05)
    fig.update_xaxes(range=[0, 1])
    return _figure_html(fig, "chart-scores")


# ---------------------------------------------------------------------------- the page


STYLE = """
:root { --primary: #1F4E78; --accent: #2E86C1; --muted: #5D6D7E; --line: #D5DBE1; --bg: #F4F6F9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: #2C3E50; font-family: FONTS; font-size: 14px; line-height: 1.6; }
header.top { background: linear-gradient(120deg, #16364F, var(--primary)); color: #fff; padding: 28px 40px 22px; }
header.top h1 { margin: 0 0 6px; font-size: 26px; font-weight: 700; letter-spacing: 1px; }
header.top .meta { opacity: .88; font-size: 13px; }
header.top .meta span { margin-right: 22px; }
nav.toc { background: #fff; border-bottom: 1px solid var(--line); padding: 8px 40px; position: sticky; top: 0; z-index: 5; }
nav.toc a { color: var(--primary); text-decoration: none; margin-right: 18px; font-size: 13px; white-space: nowrap; }
nav.toc a:hover { text-decoration: underline; }
main { max-width: 1280px; margin: 0 auto; padding: 20px 40px 40px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 18px 24px; margin-bottom: 18px; }
h2 { font-size: 19px; color: var(--primary); margin: 0 0 12px; padding-bottom: 6px; border-bottom: 2px solid var(--primary); }
h3 { font-size: 15px; color: #34495E; margin: 18px 0 8px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-bottom: 18px; }
.kpi { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 6px; padding: 12px 16px; }
.kpi.high { border-left-color: #C0392B; } .kpi.money { border-left-color: #E08E0B; } .kpi.ok { border-left-color: #27AE60; }
.kpi .label { color: var(--muted); font-size: 12px; }
.kpi .value { font-size: 24px; font-weight: 700; color: #1B2631; }
.kpi .unit { font-size: 13px; font-weight: 400; color: var(--muted); margin-left: 3px; }
.kpi .sub { font-size: 12px; color: var(--muted); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 4px 0 10px; }
th { background: #EAF1F8; color: #1B2631; font-weight: 600; text-align: left; padding: 6px 10px; border-bottom: 2px solid #AEB6BF; white-space: nowrap; }
td { padding: 5px 10px; border-bottom: 1px solid #EBEDEF; vertical-align: top; }
tbody tr:nth-child(even) td { background: #FAFBFC; }
table.kv td:first-child { width: 160px; color: var(--muted); }
tfoot td { font-weight: 700; background: #F2F4F4; border-top: 2px solid #AEB6BF; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.bad td { color: #B03A2E; }
tr.skipped td { color: #7F8C8D; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; color: #fff; }
.note { color: var(--muted); font-size: 12.5px; background: #F8F9F9; border-left: 3px solid #AEB6BF; padding: 6px 12px; margin: 8px 0; }
.ok { color: #1E8449; } .fail { color: #B03A2E; font-weight: 600; }
.rule-card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; margin-bottom: 10px; }
.rule-card h3 { margin: 0 0 4px; }
.rule-card dl { display: grid; grid-template-columns: 88px 1fr; gap: 2px 10px; margin: 0; font-size: 13px; }
.rule-card dt { color: var(--muted); } .rule-card dd { margin: 0; }
.rule-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; align-items: start; }
.rule-grid .rule-card { margin-bottom: 0; }
.two-col { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 10px 0 30px; }
@media (max-width: 900px) { .two-col, .rule-grid { grid-template-columns: 1fr; } main, header.top, nav.toc { padding-left: 14px; padding-right: 14px; } }
@media print { nav.toc { display: none; } section { break-inside: avoid; } body { background: #fff; } }
""".replace("FONTS", FONT_STACK)


def _unmapped_benefit_types(inputs: list[dict]) -> str:
    """未归类待遇类型: benefit types the category table does not name, with counts (never guessed)."""
    counts: dict[str, int] = {}
    for f in inputs:
        for benefit_type, count in (f.get("unmapped_benefit_types") or {}).items():
            counts[benefit_type] = counts.get(benefit_type, 0) + int(count)
    if not counts:
        return ""
    rows = [[benefit_type, _int(count)] for benefit_type, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return ("<h3>未归类待遇类型（不在待遇类型分类表中，未计入任何类别）</h3>"
            + _table(["待遇类型", "发放笔数"], rows, numeric={1}))


def _kpi(label: str, value: str, unit: str = "", sub: str = "", css: str = "") -> str:
    return (f'<div class="kpi {_e(css)}"><div class="label">{_e(label)}</div>'
            f'<div class="value">{_e(value)}<span class="unit">{_e(unit)}</span></div>'
            f'<div class="sub">{_e(sub)}</div></div>')


def _severity_badge(severity: str) -> str:
    return f'<span class="badge" style="background:{SEVERITY_COLOURS.get(severity, ACCENT)}">{_e(severity)}</span>'


def _parameters_text(parameters) -> str:
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


# ---------------------------------------------------------------------------- management (管理问题)

DESKS_CHARTED = 15


def _masked_staff(value) -> str:
    """Staff IDs (工号), ;-joined when several, each keeping its last two characters."""
    return ";".join(mask_tail(v, 2) or "" for v in str(value or "").split(";") if v)


def _chart_desks(rows: list[tuple]) -> str:
    """问题金额 by operator and by reviewer, largest first, with the cumulative share of the total."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("按经办人（问题金额，万元）", "按审核人（问题金额，万元）"),
                        specs=[[{"secondary_y": True}, {"secondary_y": True}]])
    for col, stage in ((1, "经办"), (2, "审核")):
        desks = [r for r in rows if r[0] == stage]
        total = sum(float(r[3]) for r in desks) or 1.0
        desks = desks[:DESKS_CHARTED]
        labels = [_label(f"{i}. {r[1]} {_masked_staff(r[2])}") for i, r in enumerate(desks, start=1)]
        amounts = [float(r[3]) / 10000 for r in desks]
        shares, running = [], 0.0
        for r in desks:
            running += float(r[3])
            shares.append(running / total * 100)
        fig.add_trace(go.Bar(x=labels, y=amounts, marker_color=PRIMARY if stage == "经办" else ACCENT,
                             name=f"{stage}问题金额", customdata=[[r[4], r[5]] for r in desks],
                             hovertemplate="%{x}<br>%{y:,.2f} 万元<br>线索 %{customdata[0]} 条 · "
                                           "%{customdata[1]} 人<extra></extra>"), 1, col, secondary_y=False)
        fig.add_trace(go.Scatter(x=labels, y=shares, mode="lines+markers", line_color=SEVERITY_COLOURS["高"],
                                 name="累计占比（%）", showlegend=col == 1,
                                 hovertemplate="前 %{pointNumber} 名之和占 %{y:.1f}%<extra></extra>"),
                      1, col, secondary_y=True)
        fig.update_yaxes(range=[0, 105], secondary_y=True, row=1, col=col, title_text="累计占比（%）" if col == 2 else "")
    fig.update_layout(height=420, legend={"orientation": "h", "y": -0.35, "x": 0})
    fig.update_xaxes(type="category", tickangle=-45)
    return _figure_html(fig, "chart-desks")


def _chart_late_stops(rows: list[tuple]) -> str:
    """处置时效: people by months paid after the death reached the agency, and by days to the last payment."""
    months: dict[int, int] = {}
    days: dict[int, int] = {}
    for m, d, _ in rows:
        months[int(m)] = months.get(int(m), 0) + 1
        bucket = int(d) // 30
        days[bucket] = days.get(bucket, 0) + 1
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("登记后仍发放的月数（人数）", "登记至最后一笔发放的天数（人数，每30天一档）"))
    month_keys = sorted(months)
    fig.add_trace(go.Bar(x=[f"{m}个月" for m in month_keys], y=[months[m] for m in month_keys],
                         marker_color=SEVERITY_COLOURS["高"], name="人数",
                         hovertemplate="%{x}：%{y} 人<extra></extra>"), 1, 1)
    day_keys = sorted(days)
    fig.add_trace(go.Bar(x=[f"{b * 30}–{b * 30 + 29}天" for b in day_keys], y=[days[b] for b in day_keys],
                         marker_color=SEVERITY_COLOURS["中"], name="人数",
                         hovertemplate="%{x}：%{y} 人<extra></extra>"), 1, 2)
    fig.update_layout(height=360, showlegend=False)
    fig.update_xaxes(type="category")
    fig.update_yaxes(rangemode="tozero", dtick=1)
    return _figure_html(fig, "chart-late-stops")


def _management_section(con, manifest: dict) -> str:
    head = '<section id="management"><h2>八、管理问题与责任划定</h2>'
    summary = manifest.get("management") or {}
    parts = summary.get("parts") or []
    status_rows = [[p.get("title", p.get("part")), {"run": "已分析", "skipped": "未分析"}.get(p.get("status"), ""),
                    _int(p.get("findings")), p.get("reason") or ""] for p in parts]
    status = (_table(["分析项", "状态", "问题数", "原因"], status_rows, numeric={2},
                     row_classes=["skipped" if p.get("status") == "skipped" else "" for p in parts])
              if parts else "")
    if not summary.get("written") or not table_exists(con, "management"):
        reason = summary.get("reason") or "本次运行未进行管理问题分析。"
        return (head + f'<div class="note">未生成 management.csv：{_e(reason)}</div>' + status + "</section>")
    late = con.execute("select months, days, amount from management where part = 'late_stops' "
                       "order by amount desc, finding_id").fetchall()
    desks = con.execute("select stage, region_code, coalesce(operator_id, reviewer_id), amount, clue_count, people "
                        "from management where part = 'desks' order by stage, amount desc, finding_id").fetchall()
    staff_people, staff_clues, staff_amount = con.execute(
        "select count(*), coalesce(sum(clue_count), 0), coalesce(sum(amount), 0) from management "
        "where part = 'staff_clues'").fetchone()
    late_amount = sum(float(a) for _, _, a in late)
    kpis = '<div class="kpis">' + "".join([
        _kpi("死亡信息已到达仍发放", _int(len(late)), "人", f"{_int(sum(int(m) for m, _, _ in late))} 个月", "high"),
        _kpi("登记后发放金额", _wan(late_amount), "万元", f"{_yuan(late_amount)} 元", "money"),
        _kpi("最长处置天数", _int(max((int(d) for _, d, _ in late), default=0)), "天", "登记至最后一笔发放"),
        _kpi("经办人员违规线索", _int(staff_clues), "条", f"{_int(staff_people)} 名经办人员 · 问题金额 "
             f"{_yuan(staff_amount)} 元"),
    ]) + "</div>"
    charts = ""
    if desks:
        charts += "<h3>问题金额集中在哪些经办、审核岗位（工号已脱敏）</h3>" + _chart_desks(desks)
    if late:
        charts += "<h3>处置时效：死亡信息到达经办机构后多久停发</h3>" + _chart_late_stops(late)
    top = con.execute("select finding_id, problem_type, region_code, stage, operator_id, reviewer_id, clue_count, "
                      "people, amount from management order by amount desc, finding_id limit 10").fetchall()
    top_rows = [[f, t, r or "", st, _masked_staff(o), _masked_staff(v), _int(c), _int(n), _yuan(a)]
                for f, t, r, st, o, v, c, n, a in top]
    return (head + kpis + status + charts
            + "<h3>问题金额最大的 10 项管理问题</h3>"
            + _table(["问题编号", "问题类型", "行政区划", "责任环节", "经办人", "审核人", "线索数", "人数", "问题金额（元）"],
                     top_rows, numeric={6, 7, 8})
            + '<div class="note">处置时效：死亡信息登记（推送）到经办机构之后，仍审批发放死亡次月起待遇的月数与金额；'
              "经办审核问题发放：各经办人、审核人经手的问题发放（每笔只计一次）。完整清单与线索编号见 management.csv 和 "
              "clues.xlsx 的“管理问题”工作表。</div></section>")


# ---------------------------------------------------------------------------- tip-offs and the verification loop

CHINESE_NUMERALS = "一二三四五六七八九十"
CHANGES = ("新增", "持续", "已消除", "不属实未再提出", "再次提出")


def _numeral(n: int) -> str:
    """1 -> 一, 11 -> 十一, 20 -> 二十."""
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CHINESE_NUMERALS[tens - 1]) + "十" + (CHINESE_NUMERALS[ones - 1] if ones else "")


def _rate(value) -> str:
    return "—" if value is None else f"{float(value):.1%}"


def _tipoff_section(con, manifest: dict, number: int) -> str:
    """信访举报核查: counts by 匹配方式 and by what the data showed (no names, no ID numbers)."""
    head = f'<section id="tipoffs"><h2>{_numeral(number)}、信访举报核查</h2>'
    summary = manifest.get("tipoffs") or {}
    if not summary.get("given") or not table_exists(con, "tipoff_report"):
        return (head + '<div class="note">本次输入没有信访举报线索（reference/tipoffs.csv），未进行信访核查，'
                "未生成 tipoffs.csv。</div></section>")
    by_match, by_suggestion = summary["by_match"], summary["by_suggestion"]
    kpis = '<div class="kpis">' + "".join([
        _kpi("信访举报", _int(summary["tipoffs"]), "件"),
        _kpi("匹配到领取人员", _int(by_match["身份证号"] + by_match["身份信息"]), "件",
             f"身份证号 {_int(by_match['身份证号'])} · 身份信息 {_int(by_match['身份信息'])}"),
        _kpi("数据印证", _int(by_suggestion["数据印证"]), "件", f"涉及线索 {_int(summary['clues_named'])} 条（已提高风险等级）",
             "high"),
        _kpi("数据未见异常", _int(by_suggestion["数据未见异常"]), "件"),
        _kpi("无法匹配", _int(by_match["未匹配"]), "件", "需人工核实"),
    ]) + "</div>"
    suggestions = ["数据印证", "数据未见异常", "无法匹配，需人工核实"]
    crossed = con.execute("select match_kind, suggestion, count(*) from tipoff_report group by 1, 2").fetchall()
    match_rows = [[kind, *(_int(next((n for k, s_, n in crossed if k == kind and s_ == s), 0)) for s in suggestions),
                   _int(sum(n for k, _, n in crossed if k == kind))] for kind in ("身份证号", "身份信息", "未匹配")]
    by_category = con.execute("select coalesce(category, '未注明'), suggestion, count(*) from tipoff_report "
                              "group by 1, 2 order by 1").fetchall()
    categories = sorted({c for c, _, _ in by_category})
    category_rows = [[c, *(_int(next((n for c_, s_, n in by_category if c_ == c and s_ == s), 0)) for s in suggestions),
                      _int(sum(n for c_, _, n in by_category if c_ == c))] for c in categories]
    return (head + kpis
            + "<h3>按匹配方式</h3>"
            + _table(["匹配方式", *suggestions, "合计"], match_rows, numeric={1, 2, 3, 4})
            + "<h3>按反映类型</h3>"
            + _table(["反映类型", *suggestions, "合计"], category_rows, numeric={1, 2, 3, 4})
            + '<div class="note">匹配与 D02 相同的身份识别：姓名（或拼音、简体）一致，且身份证号完整一致（身份证号），或部分号码'
              "显示的各位与所在县区一致（身份信息）；仅有姓名和所在地、或匹配到多人时为无法匹配。被信访举报反映的人员的线索"
              "在疑点描述中注明信访编号并提高一个风险等级（D02、P04 不高于“中”）。逐件明细见 tipoffs.csv（被反映人已脱敏），"
              "本页不含姓名和身份证号。</div></section>")


def _history_section(con, manifest: dict, number: int) -> str:
    """核查销号与整改: 变化情况, 整改成效 and 追回 per county, overdue and re-check counts, the ranking basis."""
    head = f'<section id="verification"><h2>{_numeral(number)}、核查销号与整改</h2>'
    if not table_exists(con, "clue_changes") or not table_exists(con, "rectification"):
        return (head + '<div class="note">本次运行未使用历史库（--history），没有核查结果可比对。团队填写 clues.xlsx 后用 '
                "fundwatch feedback 录入，下次运行加 --history 即显示变化情况、整改成效、逾期未销号和抽查复核。</div></section>")
    changes = dict(con.execute("select change, count(*) from clue_changes group by 1").fetchall())
    totals = con.execute(
        "select coalesce(sum(verified), 0), coalesce(sum(confirmed), 0), coalesce(sum(amount_due), 0), "
        "coalesce(sum(amount_recovered), 0) from rectification").fetchone()
    verified, confirmed, due, recovered = totals
    scoped = con.execute(
        "select count(*), count(*) filter (f.signed_off_on is not null) from scope_clues "
        "left join latest_feedback as f using (clue_id)").fetchone()
    overdue = _scalar(con, "select count(*) from overdue")
    recheck, untrue = con.execute("select count(*), coalesce(max(population), 0) from recheck").fetchone()
    kpis = '<div class="kpis">' + "".join([
        _kpi("已核查线索", _int(verified), "条", f"属实 {_int(confirmed)} 条 · 属实率 "
             f"{_rate(confirmed / verified if verified else None)}"),
        _kpi("应追回", _wan(due), "万元", f"{_yuan(due)} 元", "money"),
        _kpi("已追回", _wan(recovered), "万元", f"追回率 {_rate(recovered / due if due else None)}", "ok"),
        _kpi("已销号", _int(scoped[1]), "条", f"销号率 {_rate(scoped[1] / scoped[0] if scoped[0] else None)}"),
        _kpi("逾期未销号", _int(overdue), "条", "核查期限已过", "high" if overdue else "ok"),
        _kpi("抽查复核", _int(recheck), "条", f"抽自 {_int(untrue)} 条“不属实”线索"),
    ]) + "</div>"
    change_table = _table(["变化情况", "线索数"], [[c, _int(changes.get(c, 0))] for c in CHANGES], numeric={1},
                          foot=["合计", _int(sum(changes.values()))])
    rows = con.execute("select county, clues, verified, confirmed, confirmed_share, rectification_rate, amount_due, "
                       "amount_recovered, recovery_rate, signed_off, signed_off_rate, overdue, rechecked "
                       "from rectification order by county").fetchall()
    county_rows = [[c, _int(n), _int(v), _int(t), _rate(cs), _rate(rr), _yuan(d), _yuan(r), _rate(rec), _int(so),
                    _rate(sr), _int(od), _int(rc)] for c, n, v, t, cs, rr, d, r, rec, so, sr, od, rc in rows]
    ranking = ""
    if table_exists(con, "verified_ranking"):
        ranked = con.execute("select verified_rank, county, confirmed_share, recovery_rate, rectification_rate, "
                             "attention, basis from verified_ranking order by verified_rank").fetchall()
        ranking = ("<h3>测评排名（按核查结果）</h3>"
                   + _table(["排名", "行政区划代码", "属实率", "追回率", "整改率", "待关注指数", "依据"],
                            [[k, c, _rate(a), _rate(b), _rate(d), "—" if x is None else f"{x:.3f}", basis]
                             for k, c, a, b, d, x, basis in ranked], numeric={0, 2, 3, 4, 5})
                   + '<div class="note">历史库已有核查结论：排名按核查结果而非线索率（线索率会奖励参考数据不全的县区）。'
                     "待关注指数为属实率、未追回比例（1−追回率）、未整改比例（1−整改率）的平均，排名第1为最需关注；"
                     "没有核查结论的县区排在其后。</div>")
    overdue_rows = con.execute("select clue_id, rule_id, region_code, strftime(deadline, '%Y-%m-%d'), days_overdue, "
                               "coalesce(status, '') from overdue order by deadline, clue_id limit 20").fetchall()
    overdue_html = ("<h3>逾期未销号（前20条；全部见 overdue.csv）</h3>"
                    + _table(["线索编号", "规则", "行政区划", "核查期限", "逾期天数", "核查状态"],
                             [list(r) for r in overdue_rows], numeric={4})) if overdue_rows else ""
    return (head + kpis + "<h3>变化情况（与上次运行相比）</h3>" + change_table
            + "<h3>整改成效与追回（按县区）</h3>"
            + _table(["行政区划代码", "线索数", "已核查", "属实", "属实率", "整改率", "应追回（元）", "已追回（元）", "追回率",
                      "已销号", "销号率", "逾期未销号", "抽查复核"], county_rows, numeric=set(range(1, 13)))
            + '<div class="note">统计口径：本范围（县或市）历次运行提出的全部线索及其最新核查结果。应追回为团队填写的应追回金额，'
              "属实线索未填写时按线索涉及金额计；已追回为已追回金额（未填写时取追回金额）；销号率为已销号线索占线索数的比例。"
              "“不属实”线索在销号后且无新发放时不再列入清单（不属实未再提出），并按固定种子随机抽取至少10%复核（recheck.csv）。"
              "</div>"
            + ranking + overdue_html + "</section>")


def _verification_sections(con, manifest: dict, first_number: int) -> list[tuple[str, str, str]]:
    """(anchor, title, html) of the sections on tip-offs and on the verification loop."""
    return [("tipoffs", "信访核查", _tipoff_section(con, manifest, first_number)),
            ("verification", "核查销号", _history_section(con, manifest, first_number + 1))]


def write_report(con: duckdb.DuckDBPyConnection, out_path: Path, manifest: dict) -> None:
    """Write report.html: scope and inputs, clues per rule and county, charts, data quality, method."""
    out_path = Path(out_path)
    run = manifest.get("run", {})
    catalogue = _catalogue(con)
    order = _rule_order(con, manifest, catalogue)
    outcomes = {r["rule_id"]: r for r in manifest.get("rules", [])}
    inputs = manifest.get("inputs", [])

    # -- aggregates
    total_clues, high = con.execute("select count(*), count(*) filter (severity = '高') from clues").fetchone()
    improper_total, exposure_total = con.execute(TOTALS_SQL).fetchone()
    people_in_clues = _scalar(con, "select count(distinct id_number) from clues where subject_type = '人员'")
    payments_n, payments_amount, first_period, last_period = con.execute(
        "select count(*), coalesce(sum(amount), 0), min(period), max(period) from payments").fetchone()
    recipients_total = _scalar(con, "select count(distinct id_number) from recipients")
    per_rule = {r: (n, a) for r, n, a in con.execute(
        "select rule_id, count(*), sum(amount) from clues group by 1").fetchall()}
    rules = []
    for rule_id in order:
        info = catalogue.get(rule_id, {})
        n, amount = per_rule.get(rule_id, (0, Decimal(0)))
        rules.append({"rule_id": rule_id, "title": info.get("title", ""), "severity": info.get("severity", ""),
                      "subject": info.get("subject", ""), "clues": int(n), "amount": Decimal(amount or 0),
                      "status": (outcomes.get(rule_id) or {}).get("status", ""),
                      "reason": (outcomes.get(rule_id) or {}).get("reason", "")})
    charted_rules = [r for r in rules if r["status"] != "skipped" or r["clues"]]

    improper_sql, improper_note = _improper_payments(con)
    months = [(int(p), r, float(a)) for p, r, a in con.execute(
        f"select period, rule_id, sum(amount) from ({improper_sql}) group by 1, 2 order by 1, 2").fetchall()]
    recipients_by_region = dict(con.execute(
        "select region_code, count(distinct id_number) from recipients group by 1").fetchall())
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
    has_scores = table_exists(con, "scores") and _scalar(con, "select count(*) from scores") > 0
    score_bins, threshold, flagged = [], None, int(per_rule.get("M01", (0, 0))[0])
    if has_scores:
        score_bins = [(float(b), int(n)) for b, n in con.execute(
            "select least(floor(score * 50) / 50, 0.98) as b, count(*) from scores group by 1 order by 1").fetchall()]
        top_share = (((manifest.get("parameters") or {}).get("rules") or {}).get("M01") or {}).get("top_share")
        if top_share:
            threshold = con.execute("select quantile_cont(score, ?) from scores", [1 - float(top_share)]).fetchone()[0]
    top10 = con.execute(
        "select clue_id, rule_id, clue_type, severity, region_code, subject_type, id_number, name, "
        "payment_count, amount, period_start, period_end from clues "
        f"order by {SEVERITY_ORDER}, amount desc, clue_id limit 10"
    ).fetchall()
    quarantine = con.execute(
        "select table_name, coalesce(column_name, ''), regexp_replace(reason, '（与第[0-9]+行相同）', ''), count(*) "
        "from quarantine group by all order by 4 desc, 1, 2, 3").fetchall()

    # -- sections
    scope_name = run.get("county") or "、".join(sorted({i.get("county") for i in inputs if i.get("county")}))
    period_text = f"{_period(first_period)} 至 {_period(last_period)}" if first_period else "—"
    generated = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    toc = [("overview", "概览"), ("scope", "范围与输入"), ("rules", "按规则"), ("counties", "按县区"),
           ("months", "按所属期"), ("scores", "异常评分"), ("top", "重点线索"), ("management", "管理问题"), ("quality", "数据质量"),
           ("skipped", "未运行的规则"), ("method", "方法说明")]
    parts: list[str] = []

    rules_run = sum(1 for r in manifest.get("rules", []) if r.get("status") == "run")
    reconciled = all(int(f.get("rows_read") or 0) == int(f.get("rows_loaded") or 0) + int(f.get("rows_quarantined") or 0)
                     for f in inputs)
    validation = manifest.get("validation") or {}
    failed_expectations = sum(int(t.get("failed") or 0) for t in (validation.get("tables") or {}).values())
    parts.append('<section id="overview"><h2>一、概览</h2><div class="kpis">' + "".join([
        _kpi("问题线索", _int(total_clues), "条", f"高风险 {_int(high)} 条", "high"),
        _kpi("问题金额", _wan(improper_total), "万元", f"{_yuan(improper_total)} 元（每笔发放只计一次）", "money"),
        _kpi("涉及金额", _wan(exposure_total), "万元", f"{_yuan(exposure_total)} 元（含待核实的发放）"),
        _kpi("涉及人员", _int(people_in_clues), "人", f"占领取人 {people_in_clues / recipients_total:.2%}"
             if recipients_total else ""),
        _kpi("分析发放", _int(payments_n), "笔", f"{_wan(payments_amount)} 万元 · {period_text}"),
        _kpi("领取人", _int(recipients_total), "人", f"{len(recipients_by_region)} 个县区"),
        _kpi("规则运行", f"{rules_run}/{len(manifest.get('rules', []))}", "条",
             f"{sum(1 for r in manifest.get('rules', []) if r.get('status') == 'skipped')} 条因缺少数据未运行"),
        _kpi("输入核对", "一致" if reconciled else "不一致", "",
             f"{len(inputs)} 个文件；{failed_expectations} 项数据质量校验未通过", "ok" if reconciled else "high"),
    ]) + "</div>" + '<div class="note">问题金额：认定不应发放的规则（D01、P01–P03、E01–E03、E05、E06 等）计入的发放；'
        "涉及金额：所有线索计入的发放，另含需核实的规则（E04、A01–A03、M01）计入的全部发放。两者均扣除冲正和未到账（失败、退回）的发放，"
        "同一笔发放被多条线索涉及时只计一次；按规则的金额见下表，各规则相加会重复计算。</div></section>")

    # scope and inputs
    input_rows, input_classes = [], []
    for f in inputs:
        read, loaded, quarantined = (int(f.get(k) or 0) for k in ("rows_read", "rows_loaded", "rows_quarantined"))
        ok = read == loaded + quarantined
        input_rows.append([f.get("path", ""), _table_title(f.get("table")), f.get("county") or "参考数据", f.get("encoding", ""),
                           _int(read), _int(loaded), _int(quarantined), "一致" if ok else "不一致",
                           (f.get("sha256") or "")[:12]])
        input_classes.append("" if ok else "bad")
    totals = [sum(int(f.get(k) or 0) for f in inputs) for k in ("rows_read", "rows_loaded", "rows_quarantined")]
    ignored = manifest.get("ignored_files") or []
    scope_table = _table(["项目", "内容"], [
        ["运行类型", RUN_KINDS.get(run.get("kind"), run.get("kind") or "")],
        ["行政区划", scope_name or "—"],
        ["输入目录", run.get("input", "")],
        ["所属期范围", period_text],
        ["开始时间", manifest.get("started_at", "")],
        ["报告生成时间", generated],
    ], css="kv")
    parts.append(
        '<section id="scope"><h2>二、运行范围与输入</h2>' + scope_table
        + "<h3>输入文件与行数核对（读取行数 = 入库行数 + 隔离行数）</h3>"
        + _table(["文件", "数据表", "县区", "编码", "读取行数", "入库行数", "隔离行数", "核对", "SHA-256"],
                 input_rows, numeric={4, 5, 6}, row_classes=input_classes,
                 foot=["合计", "", "", "", *(_int(t) for t in totals), "一致" if reconciled else "不一致", ""])
        + (f'<div class="note">未读取的文件：{_e("；".join(str(i) for i in ignored))}</div>' if ignored else "")
        + "".join(f'<div class="note bad">注意：{_e(w)}</div>' for w in manifest.get("load_warnings") or [])
        + _unmapped_benefit_types(inputs)
        + "</section>")

    # per rule
    rule_rows, rule_classes = [], []
    for r in rules:
        status = {"run": "已运行", "skipped": "未运行"}.get(r["status"], r["status"] or "—")
        if r["status"] == "run" and r["reason"]:
            status = "已运行（部分未检查）"
        rule_rows.append([r["rule_id"], r["title"], r["severity"], SUBJECT_WORDS.get(r["subject"], r["subject"]),
                          status, _int(r["clues"]), _yuan(r["amount"]),
                          f"{float(r['amount']) / float(exposure_total):.1%}" if exposure_total else "—"])
        rule_classes.append("skipped" if r["status"] == "skipped" else "")
    parts.append(
        '<section id="rules"><h2>三、按规则统计</h2>'
        + _table(["规则", "线索类型", "风险等级", "对象", "运行状态", "线索数", "涉及金额（元）", "占涉及金额"], rule_rows,
                 numeric={5, 6, 7}, row_classes=rule_classes,
                 foot=["合计（每笔只计一次）", "", "", "", "", _int(total_clues), _yuan(exposure_total), ""])
        + (_chart_rules(charted_rules) if charted_rules else "") + "</section>")

    # per county
    county_rows = [[c["region"], _int(c["recipients"]), _int(c["clues"]),
                    *(_int(c["by_severity"].get(s, 0)) for s in ("高", "中", "低")),
                    _yuan(c["amount"]), f"{c['per10k']:,.1f}" if c["recipients"] else "—",
                    _wan(c["amount_per10k"]) if c["recipients"] else "—"] for c in counties]
    parts.append(
        '<section id="counties"><h2>四、按县区比较</h2>'
        + _table(["行政区划代码", "领取人数", "线索数", "高", "中", "低", "涉及金额（元）", "每万名领取人线索数",
                  "每万名领取人涉及金额（万元）"], county_rows, numeric=set(range(1, 9)))
        + '<div class="note">领取人数为待遇领取人员信息中各行政区划的不同公民身份号码数。跨县区线索在所涉每个县区各计一条；'
          "金额按发放所在县区归集。</div>"
        + (_chart_counties(counties) if counties else "") + "</section>")

    # per month
    parts.append(
        '<section id="months"><h2>五、按所属期统计的涉及金额</h2>'
        + (_chart_months(months, charted_rules) if months else '<div class="note">没有可按所属期统计的金额。</div>')
        + f'<div class="note">{_e(improper_note)} 图中 M01（发放模式异常）默认隐藏，点击图例可显示。</div></section>')

    # scores
    if has_scores:
        scoring = manifest.get("scoring") or {}
        features = scoring.get("features") or []
        score_section = (
            _chart_scores(score_bins, threshold, flagged)
            + f'<div class="note">孤立森林（{_e(scoring.get("model", "IsolationForest"))}）为 '
              f'{_int(scoring.get("recipients_scored") or sum(n for _, n in score_bins))} 名领取人计算异常分值；'
              f'虚线为前 {_e(((manifest.get("parameters") or {}).get("rules") or {}).get("M01", {}).get("top_share", ""))} '
              f"比例对应的分值。所用特征：{_e('、'.join(_feature_labels(features)))}。</div>")
    else:
        score_section = '<div class="note">本次未进行异常评分。</div>'
    parts.append('<section id="scores"><h2>六、异常分值分布</h2>' + score_section + "</section>")

    # top 10
    top_rows = []
    for clue_id, rule_id, clue_type, severity, region, subject_type, id_number, name, n, amount, p1, p2 in top10:
        if subject_type == "人员":
            subject = mask_id(id_number) or ""
        elif subject_type == "账户":
            subject = "账户 ****" + (name or "")[-4:]
        else:
            subject = f"{subject_type} " + (mask_tail(name, 2) or "")
        top_rows.append([clue_id, f"{rule_id} {clue_type}", severity, region or "", subject, _int(n), _yuan(amount),
                         f"{p1}–{p2}" if p1 else ""])
    parts.append(
        '<section id="top"><h2>七、重点线索（按风险等级、涉及金额排序的前 10 条）</h2>'
        + (_table(["线索编号", "线索类型", "风险", "行政区划", "对象（已脱敏）", "笔数", "涉及金额（元）", "所属期"],
                  top_rows, numeric={5, 6}) if top_rows else '<div class="note">本次未发现问题线索。</div>')
        + '<div class="note">完整信息（姓名、身份号码、疑点描述、政策依据）见 clues.xlsx / clues.csv；本页面不含未脱敏的个人信息。</div>'
        + "</section>")

    parts.append(_management_section(con, manifest))

    # data quality
    quality = ['<section id="quality"><h2>九、数据质量与核对</h2>']
    if "tables" in validation:
        overview = [[_table_title(t), _int(v.get("rows")), _int(v.get("expectations")), _int(v.get("failed")),
                     "通过" if not v.get("failed") else "有未通过项"] for t, v in validation["tables"].items()]
        quality.append("<h3>数据质量校验（Great Expectations）</h3>")
        quality.append(_table(["数据表", "行数", "校验项", "未通过", "结论"], overview, numeric={1, 2, 3},
                              row_classes=["bad" if v.get("failed") else "" for v in validation["tables"].values()]))
        failed = [[_table_title(t), r.get("column") or "", r.get("description") or r.get("expectation") or "",
                   _int(r.get("unexpected_count")) if r.get("unexpected_count") is not None else "—",
                   f"{float(r.get('unexpected_percent') or 0):.3f}%"]
                  for t, v in validation["tables"].items() for r in v.get("results", []) if not r.get("success")]
        if failed:
            quality.append("<h3>未通过的校验项</h3>")
            quality.append(_table(["数据表", "列", "校验规则", "异常行数", "异常占比"], failed, numeric={3, 4}))
        else:
            quality.append('<div class="note ok">全部校验项均已通过。</div>')
        quality.append(f'<div class="note">校验引擎：{_e(validation.get("engine", ""))}；'
                       f'用时 {_e(validation.get("seconds", ""))} 秒。</div>')
    else:
        reason = validation.get("skipped") if isinstance(validation.get("skipped"), str) else ""
        quality.append(f'<div class="note">本次未进行数据质量校验{_e("：" + reason if reason else "。")}</div>')
    quality.append("<h3>隔离的输入行（按原因汇总）</h3>")
    if quarantine:
        quality.append(_table(["数据表", "列", "原因", "行数"], [[_table_title(t), c, r, _int(n)] for t, c, r, n in quarantine],
                              numeric={3}))
        quality.append('<div class="note">逐行明细（文件、行号、列、值、原因）见 quarantine.csv。</div>')
    else:
        quality.append('<div class="note ok">没有被隔离的输入行。</div>')
    quality.append("</section>")
    parts.append("".join(quality))

    # skipped rules
    skipped = [[r["rule_id"], catalogue.get(r["rule_id"], {}).get("title", ""),
                "未运行" if r.get("status") == "skipped" else "部分未检查", r.get("reason") or ""]
               for r in manifest.get("rules", []) if r.get("status") == "skipped" or r.get("reason")]
    parts.append('<section id="skipped"><h2>十、未运行或部分未检查的规则</h2>'
                 + (_table(["规则", "线索类型", "状态", "原因"], skipped) if skipped
                    else '<div class="note ok">全部规则均已完整运行。</div>') + "</section>")

    # method notes
    rule_parameters = (manifest.get("parameters") or {}).get("rules") or {}
    cards = []
    for rule_id in order:
        info = catalogue.get(rule_id)
        if not info:
            continue
        params = _parameters_text(rule_parameters.get(rule_id))
        cards.append(
            f'<div class="rule-card"><h3>{_e(rule_id)} {_e(info["title"])} {_severity_badge(info["severity"])}</h3><dl>'
            f'<dt>检查内容</dt><dd>{_e(RULE_CHECKS.get(rule_id, "见规则配置（checks/rules.toml）"))}</dd>'
            f'<dt>对象</dt><dd>{_e(SUBJECT_WORDS.get(info["subject"], info["subject"]))}'
            f'（{"跨县区" if info.get("scope") == "city" else "县区内"}）</dd>'
            f'<dt>涉及金额</dt><dd>{_e(AMOUNT_BASIS.get(rule_id, "规则判定的发放"))}</dd>'
            f'<dt>政策依据</dt><dd>{_e(info["policy"])}</dd>'
            f'<dt>核查建议</dt><dd>{_e(info["suggestion"])}</dd>'
            + (f"<dt>参数</dt><dd>{_e(params)}</dd>" if params else "")
            + "</dl></div>")
    versions = manifest.get("versions") or {}
    parts.append('<section id="method"><h2>十一、方法说明</h2>'
                 '<div class="note">月份按月比较：日期先化为所属年月（YYYYMM）再与所属期比较。每条规则对每个对象只生成一条线索，'
                 "线索编号由规则与对象确定，重复运行相同输入得到相同编号。线索为疑点，须经核查确认。</div>"
                 + '<div class="rule-grid">' + "".join(cards) + "</div></section>")

    for key, title, section in _verification_sections(con, manifest, len(parts) + 1):
        toc.append((key, title))
        parts.append(section)
    body = "".join(parts)
    nav = "".join(f'<a href="#{k}">{_e(v)}</a>' for k, v in toc)
    version_text = "；".join(f"{k} {v}" for k, v in versions.items() if v)
    page = (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>社保基金疑点数据分析报告 · {_e(scope_name or '')}</title>"
        f"<style>{STYLE}</style>"
        f'<script id="plotly-js">{plotly.offline.get_plotlyjs()}</script>'
        "</head><body>"
        '<header class="top"><h1>社会保险基金疑点数据分析报告</h1><div class="meta">'
        f"<span>{_e(RUN_KINDS.get(run.get('kind'), ''))}</span><span>行政区划：{_e(scope_name or '—')}</span>"
        f"<span>所属期：{_e(period_text)}</span><span>开始时间：{_e(manifest.get('started_at', ''))}</span>"
        "</div></header>"
        f'<nav class="toc">{nav}</nav><main>{body}</main>'
        f"<footer>fundwatch 生成 · {_e(version_text)} · 本页面为离线文件，不访问网络</footer>"
        "</body></html>\n"
    )
    out_path.write_text(page, encoding="utf-8")
