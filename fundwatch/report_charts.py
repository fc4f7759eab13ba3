"""The report's charts: plotly figures written as <div> + <script> fragments (plotly.js itself is
carried once by the page). Each returns markup the page template inserts as it is."""

from __future__ import annotations

from html import escape

import plotly.graph_objects as go
from markupsafe import Markup
from plotly.subplots import make_subplots

from fundwatch.masking import mask_tail

SEVERITY_COLOURS = {"高": "#C0392B", "中": "#E08E0B", "低": "#7F8C8D"}
PRIMARY = "#1F4E78"
ACCENT = "#2E86C1"
FONT_STACK = ('"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
              '"Hiragino Sans GB", "WenQuanYi Micro Hei", "Noto Sans", sans-serif')
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "showSendToCloud": False,
                 "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
                 "toImageButtonOptions": {"format": "png", "scale": 2}}


def _figure_html(fig: go.Figure, div_id: str) -> Markup:
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT_STACK, "size": 13, "color": "#2C3E50"},
        margin={"l": 60, "r": 30, "t": 50, "b": 50},
        hoverlabel={"font": {"family": FONT_STACK}},
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
    )
    return Markup(fig.to_html(full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG, div_id=div_id,
                              default_width="100%"))


def _label(text) -> str:
    """Plotly reads a few HTML tags in labels (its own markup, not the page's): escape so data is shown,
    never interpreted."""
    return escape("" if text is None else str(text), quote=False)


def chart_rules(rules: list) -> Markup:
    """Clues and 涉及金额 per rule (summary.RuleRow), coloured by 风险等级."""
    labels = [_label(f"{r.rule_id} {r.title}") for r in rules][::-1]
    colours = [SEVERITY_COLOURS.get(r.severity, ACCENT) for r in rules][::-1]
    counts = [r.clues for r in rules][::-1]
    amounts = [float(r.amount) / 10000 for r in rules][::-1]
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


def chart_counties(counties: list[dict]) -> Markup:
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


def chart_months(months: list[tuple], rules: list) -> Markup:
    """The improper part of the clues per 所属期, stacked by rule (summary.RuleRow); M01 hidden at first."""
    periods = sorted({p for p, _, _ in months})
    labels = [f"{p // 100}-{p % 100:02d}" for p in periods]
    by_rule: dict[str, dict[int, float]] = {}
    for period, rule_id, amount in months:
        by_rule.setdefault(rule_id, {})[period] = amount
    palette = ["#1F4E78", "#C0392B", "#E08E0B", "#27AE60", "#8E44AD", "#16A085", "#D35400", "#2C3E50",
               "#F1C40F", "#7F8C8D", "#E74C3C", "#3498DB", "#95A5A6"]
    fig = go.Figure()
    titles = {r.rule_id: r.title for r in rules}
    for i, rule_id in enumerate(r.rule_id for r in rules):
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


def chart_scores(bins: list[tuple], threshold: float | None, flagged: int) -> Markup:
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


DESKS_CHARTED = 15


def masked_staff(value) -> str:
    """Staff IDs (工号), ;-joined when several, each keeping its last two characters."""
    return ";".join(mask_tail(v, 2) or "" for v in str(value or "").split(";") if v)


def chart_desks(rows: list[tuple]) -> Markup:
    """问题金额 by operator and by reviewer, largest first, with the cumulative share of the total."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("按经办人（问题金额，万元）", "按审核人（问题金额，万元）"),
                        specs=[[{"secondary_y": True}, {"secondary_y": True}]])
    for col, stage in ((1, "经办"), (2, "审核")):
        desks = [r for r in rows if r[0] == stage]
        total = sum(float(r[3]) for r in desks) or 1.0
        desks = desks[:DESKS_CHARTED]
        labels = [_label(f"{i}. {r[1]} {masked_staff(r[2])}") for i, r in enumerate(desks, start=1)]
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


def chart_late_stops(rows: list[tuple]) -> Markup:
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
