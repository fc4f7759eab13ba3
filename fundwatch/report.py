"""report.html: one self-contained page (Chinese) for people who would rather look than read.

The page carries plotly.js inline once and nothing else from outside: no CDN, no web fonts, and a
Content-Security-Policy that forbids any network access, so it opens the same on an offline
laptop. It holds aggregates only — counts and amounts per rule, per county and per month, the
score distribution, data-quality results and method notes — plus a top-10 table of clues whose
subjects are masked (ID number 330102********1234, account ****5678). No names, no full ID
numbers, accounts or person ids and no evidence sentences.

The page is rendered from Jinja2 templates (fundwatch/templates/report/) with autoescape on: every
value is escaped by the template engine; only the charts (plotly's markup) and plotly.js are inserted
as they are. The numbers shared with the workbook come from fundwatch.summary, the rest from
fundwatch.report_data and fundwatch.report_verification.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import jinja2
import plotly.offline
from jinja2.ext import Extension
from markupsafe import Markup

from fundwatch import report_data, report_verification
from fundwatch.report_charts import ACCENT, FONT_STACK, SEVERITY_COLOURS
from fundwatch.summary import RunSummary, run_summary

TEMPLATES = Path(__file__).with_name("templates") / "report"
SECTIONS = [("overview", "概览"), ("scope", "范围与输入"), ("rules", "按规则"), ("counties", "按县区"),
            ("months", "按所属期"), ("scores", "异常评分"), ("top", "重点线索"), ("management", "管理问题"),
            ("quality", "数据质量"), ("skipped", "未运行的规则"), ("method", "方法说明"), ("tipoffs", "信访核查"),
            ("verification", "核查销号")]


class JoinLines(Extension):
    """The page is written as one line while its templates are written one element a line: in an .html
    template a line break and the indentation after it are dropped when the template is read. So text
    is broken only where no space is wanted (Chinese text anywhere), and an expression only after a
    comma or a bracket."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return re.sub(r"\n[ \t]*", "", source) if name and name.endswith(".html") else source


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined, extensions=[JoinLines], keep_trailing_newline=True,
        finalize=lambda value: "" if value is None else value)
    env.filters.update(count=report_data.count, yuan=report_data.yuan, wan=report_data.wan,
                       rate=report_data.rate)
    env.globals.update(severity_colours=SEVERITY_COLOURS, accent=ACCENT)
    return env


def write_report(con: duckdb.DuckDBPyConnection, out_path: Path, manifest: dict, *,
                 summary: RunSummary | None = None) -> None:
    """Write report.html: scope and inputs, clues per rule and county, charts, data quality, method.
    `summary` is the run's (fundwatch.summary.run_summary), computed here when not given."""
    summary = summary or run_summary(con, manifest)
    generated = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    page = environment().get_template("page.html").render(
        s=summary, d=report_data.page_data(con, manifest, summary, generated),
        management=report_verification.management_data(con, manifest),
        tipoffs=report_verification.tipoff_data(con, manifest),
        history=report_verification.history_data(con),
        sections=SECTIONS, font_stack=FONT_STACK, plotly_js=Markup(plotly.offline.get_plotlyjs()))
    Path(out_path).write_text(page, encoding="utf-8")
