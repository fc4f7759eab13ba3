"""report.html opened in a real headless Chromium (Debian's `chromium`), on the same real pipeline
run as test_workbook: the charts render, the page makes no network request and logs nothing to the
console, and it holds no unmasked personal data.

How "no network" is checked: the page declares a Content-Security-Policy that forbids every fetch
(a blocked one is logged to the console), the HTML has no external src/href, and Chromium's own
NetLog (--log-net-log) is searched for requests made on behalf of the file:// page. Chromium itself
still talks to Google update/time services in the background; those are not the page's and are
ignored (their network isolation key is not the page's). Host resolution is mapped to nothing so no
test ever reaches the network. test_the_harness_sees_errors_and_requests proves the detection works.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import plotly.offline
import pytest

from fundwatch.report import write_report
from fundwatch.report_data import improper_payments
from tests.builders import COUNTY, Person, write_county
from tests.test_workbook import HOSTILE_FILE, OTHER_COUNTY, pipeline_run, run_pipeline

CHARTS = ("chart-rules", "chart-counties", "chart-months", "chart-scores", "chart-desks")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-logging=stderr",
                  "--v=0", "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=5000")
APT_TIMEOUT_SECONDS = 600
_CHROMIUM: dict[str, str] = {}


# ---------------------------------------------------------------------------- Chromium


def find_chromium() -> str:
    """Path of chromium; installs Debian's package once (as root, with a timeout) when it is missing."""
    if not _CHROMIUM:
        path = shutil.which("/usr/bin/chromium") or shutil.which("chromium") or shutil.which("chromium-browser")
        problem = ""
        if not path:
            if shutil.which("apt-get") and os.geteuid() == 0:
                try:
                    done = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
                                          check=False, capture_output=True, text=True,
                                          timeout=APT_TIMEOUT_SECONDS,
                                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
                    output = (done.stderr or done.stdout).strip().splitlines()
                    problem = (output[-1] if output else f"exit status {done.returncode}") if done.returncode else ""
                except subprocess.TimeoutExpired:
                    problem = f"apt-get install chromium took more than {APT_TIMEOUT_SECONDS} s"
                path = shutil.which("/usr/bin/chromium") or shutil.which("chromium")
            else:
                problem = "apt-get is not available or not running as root"
        _CHROMIUM["path"] = path or ""
        _CHROMIUM["why"] = "" if path else f"headless Chromium is not installed and could not be installed: {problem}"
    if not _CHROMIUM["path"]:
        pytest.skip(_CHROMIUM["why"])
    return _CHROMIUM["path"]


@dataclass
class Visit:
    dom: str
    console: list[str]          # console messages of any level, and uncaught errors
    page_requests: list[str]    # network requests made on behalf of the file:// page
    stderr: str


def visit(page: Path, workdir: Path, *extra: str) -> Visit:
    """Open a local page in headless Chromium, let its scripts run, and return the resulting DOM,
    the console messages and the network requests the page made."""
    workdir.mkdir(parents=True, exist_ok=True)
    netlog = workdir / "netlog.json"
    done = subprocess.run(
        [find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={workdir / 'profile'}", f"--log-net-log={netlog}",
         *extra, "--dump-dom", page.resolve().as_uri()],
        check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [m.group(1) for m in re.finditer(r':CONSOLE[^\]]*\]\s*"(.*)", source:', done.stderr)]
    return Visit(done.stdout, console, _page_requests(netlog), done.stderr)


def _page_requests(netlog: Path) -> list[str]:
    text = netlog.read_text(encoding="utf-8", errors="replace").rstrip()
    try:
        log = json.loads(text)
    except json.JSONDecodeError:  # a log cut short: close the event list
        log = json.loads(text.rstrip(",") + "]}")
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    requests = []
    for event in log.get("events", []):
        params = event.get("params") or {}
        if names.get(event.get("type")) == "URL_REQUEST_START_JOB" and "file://" in params.get(
                "network_isolation_key", ""):
            requests.append(params.get("url", ""))
    return requests


class _Dom(HTMLParser):
    """Elements with their attributes, tables as rows of cell texts, and the text outside scripts."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.tables: list[list[list[str]]] = []
        self.text: list[str] = []
        self._skip = 0
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attributes))
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def with_class(self, name: str) -> list[dict]:
        return [a for _, a in self.elements if name in a.get("class", "").split()]

    def by_id(self, element_id: str) -> dict | None:
        return next((a for _, a in self.elements if a.get("id") == element_id), None)

    def table_with(self, header: str) -> list[list[str]]:
        return next(t for t in self.tables if t and header in t[0])


def external_references(dom: _Dom) -> list[str]:
    found = []
    for tag, attributes in dom.elements:
        for name in ("src", "href", "action", "data", "poster", "srcset", "xlink:href"):
            value = attributes.get(name, "").strip()
            if value and not value.startswith(("#", "data:", "blob:", "javascript:void")):
                found.append(f"<{tag} {name}={value!r}>")
        if tag == "link":
            found.append(f"<link {attributes}>")
    return found


# ---------------------------------------------------------------------------- fixtures


@dataclass
class Report:
    html: str
    page: Path
    visit: Visit
    dom: _Dom
    personal: dict[str, set[str]] = field(default_factory=dict)

    @property
    def html_without_plotly(self) -> str:
        """The page minus the plotly.js library (checked to be plotly's own, unmodified)."""
        start = self.html.index('<script id="plotly-js">') + len('<script id="plotly-js">')
        end = self.html.index("</script>", start)
        assert self.html[start:end] == plotly.offline.get_plotlyjs()
        return self.html[:start] + self.html[end:]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    return pipeline_run(tmp_path_factory)


@pytest.fixture(scope="module")
def report(finished_run, tmp_path_factory) -> Report:
    page = finished_run.out_dir / "report.html"
    with finished_run.connect() as con:
        write_report(con, page, finished_run.manifest)
    html = page.read_text(encoding="utf-8")
    seen = visit(page, tmp_path_factory.mktemp("chromium"))
    return Report(html, page, seen, _Dom(seen.dom), finished_run.personal_values())


# ---------------------------------------------------------------------------- the harness itself


def test_the_harness_sees_errors_and_requests(tmp_path):
    page = tmp_path / "control.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p id="x">before</p>'
                    '<img src="http://example.invalid/a.png">'
                    '<script>console.error("control-error"); fetch("https://example.invalid/x").catch(() => 0);'
                    'document.getElementById("x").textContent = "after"; undefinedFunction();</script>'
                    "</body></html>", encoding="utf-8")
    seen = visit(page, tmp_path / "chromium")
    assert 'id="x">after<' in seen.dom
    assert "control-error" in seen.console
    assert any("undefinedFunction is not defined" in m for m in seen.console)
    assert {"http://example.invalid/a.png", "https://example.invalid/x"} <= set(seen.page_requests)
    assert len(external_references(_Dom(seen.dom))) == 1


# ---------------------------------------------------------------------------- the report in Chromium


def test_charts_render(report):
    for chart in CHARTS:
        element = report.dom.by_id(chart)
        assert element is not None, chart
        assert "js-plotly-plot" in element.get("class", "").split(), chart
    assert len(report.dom.with_class("main-svg")) >= 2 * len(CHARTS)
    assert len(report.dom.with_class("point")) > 20  # bars drawn
    svg_text = report.visit.dom
    assert "D01 死亡后继续领取待遇" in svg_text and OTHER_COUNTY in svg_text


def test_no_network_request_and_no_console_message(report):
    assert report.visit.page_requests == []
    assert report.visit.console == [], report.visit.console
    assert external_references(report.dom) == []
    static = _Dom(report.html)
    assert external_references(static) == []
    csp = next(a for t, a in static.elements if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp["content"] and "connect-src 'none'" in csp["content"]
    outside = report.html_without_plotly
    assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import|<link\b", outside, re.IGNORECASE)
    assert outside.count("<script") == len(CHARTS) + 1  # plotly.js once, one call per chart


def forms(value: str) -> set[str]:
    """A value as it could appear in the page: raw, HTML-escaped, or inside a JSON string."""
    return {value, escape(value), escape(value, quote=False), json.dumps(value)[1:-1],
            json.dumps(value, ensure_ascii=False)[1:-1]}


def test_no_unmasked_personal_data(report):
    page = report.html_without_plotly
    for kind in ("ids", "person_ids", "accounts", "names", "evidence"):
        for value in report.personal[kind]:
            leaked = [f for f in forms(value) if f in page]
            assert not leaked, (kind, value)
    assert not re.search(r"(?<![0-9A-Za-z.])\d{17}[\dXx](?![0-9])", page)
    assert not re.search(r"(?<![0-9A-Za-z.])\d{15}(?![0-9])", page)
    rendered = "".join(report.dom.text)
    assert not any(v in rendered for kind in ("ids", "names", "accounts") for v in report.personal[kind])
    assert f"{COUNTY}********" in rendered  # the top-10 table shows masked ID numbers


def test_text_is_escaped(report):
    assert "<img src=x" not in report.html
    assert escape(HOSTILE_FILE) in report.html
    assert HOSTILE_FILE in "".join(report.dom.text)  # shown as text


# ---------------------------------------------------------------------------- what the page says


def test_rules_counties_inputs_quality_and_method(report, finished_run):
    with finished_run.connect() as con:
        per_rule = dict(con.execute("select rule_id, count(*) from clues group by 1").fetchall())
        recipients = dict(con.execute(
            "select region_code, count(distinct id_number) from recipients group by 1").fetchall())
        policies = [r[0] for r in con.execute("select policy from rule_catalogue").fetchall()]
    rules = {row[0]: row for row in report.dom.table_with("线索类型")[1:]}
    for rule in finished_run.manifest["rules"]:
        assert rules[rule["rule_id"]][5] == str(per_rule.get(rule["rule_id"], 0))
        assert rules[rule["rule_id"]][4].startswith("未运行" if rule["status"] == "skipped" else "已运行")
    counties = {row[0]: row for row in report.dom.table_with("每万名领取人线索数")[1:]}
    assert set(counties) == {COUNTY, OTHER_COUNTY}
    for region, n in recipients.items():
        assert counties[region][1] == f"{n:,}"
    inputs = {row[0]: row for row in report.dom.table_with("入库行数")[1:]}
    for f in finished_run.manifest["inputs"]:
        assert inputs[f["path"]][4:8] == [f"{f['rows_read']:,}", f"{f['rows_loaded']:,}",
                                          f"{f['rows_quarantined']:,}", "一致"]
    text = "".join(report.dom.text)
    assert "发放金额不超过单笔上限" in text                 # a failed expectation
    assert "完全重复行" in text and "金额无法识别" in text    # quarantine reasons
    assert "缺少服刑人员信息（prisoners）数据" in text        # a skipped rule and why
    assert all(p in text for p in policies)                 # method notes
    assert "各规则判定为“不当”的发放明细" in text            # the exact monthly method was used


def test_monthly_amounts_add_up_to_the_clues_both_ways(finished_run, tmp_path):
    with finished_run.connect() as con:
        sql, note = improper_payments(con)
        assert "判定为“不当”" in note
        expected = dict(con.execute("select clue_id, amount::double from clues").fetchall())
        exact = dict(con.execute(f"select clue_id, sum(amount) from ({sql}) group by 1").fetchall())
        # decimal, so that the report's sums per month and county do not depend on the engine's order of adding
        assert con.execute(f"select typeof(amount) from ({sql}) limit 1").fetchone()[0].startswith("DECIMAL")
    assert exact == pytest.approx({k: v for k, v in expected.items() if v}, abs=0.005)
    copy = tmp_path / "without_hits.duckdb"
    shutil.copy(finished_run.database, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("drop view clue_hits")
        sql, note = improper_payments(con)
        assert "按其疑点发放明细" in note
        spread = dict(con.execute(f"select clue_id, sum(amount) from ({sql}) group by 1").fetchall())
        assert con.execute(f"select typeof(amount) from ({sql}) limit 1").fetchone()[0].startswith("DECIMAL")
    assert spread == pytest.approx({k: v for k, v in expected.items() if v}, abs=0.005)


def test_a_run_without_clues_gets_a_report_too(tmp_path):
    people = [Person(i) for i in range(1, 6)]
    county = write_county(tmp_path / "in", [x for p in people for x in p.monthly("202301", "202303")],
                          [p.recipient() for p in people])
    database, manifest, _ = run_pipeline(county, tmp_path, validate=False)
    page = tmp_path / "report.html"
    with duckdb.connect(str(database), read_only=True) as con:
        write_report(con, page, manifest)
    seen = visit(page, tmp_path / "chromium")
    assert seen.console == [] and seen.page_requests == []
    text = "".join(_Dom(seen.dom).text)
    assert "本次未发现问题线索" in text and "本次未进行数据质量校验" in text
    assert "缺少死亡人员信息（deaths）数据" in text


def test_management_section_shows_desks_masked_and_says_what_was_not_analysed(report, finished_run):
    with finished_run.connect() as con:
        staff = {s for (s,) in con.execute("select distinct operator_id from payments where operator_id is not null "
                                           "union select distinct reviewer_id from payments "
                                           "where reviewer_id is not null").fetchall()}
    text = "".join(report.dom.text)
    assert "管理问题与责任划定" in text
    assert "缺少死亡人员信息的登记日期（registered_date）列" in text  # 处置时效 not analysed, and why
    assert "规则S01、S02、S03、S04均未运行" in text
    assert "缺少经办操作日志（operations）数据" in text and "缺少经办人员信息（staff）数据" in text  # skipped rules
    page = report.html_without_plotly
    assert staff and not [s for s in staff if any(f in page for f in forms(s))]  # 工号 masked


# ---------------------------------------------------------------------------- the rules' words are data

NEW_RULE_SQL = """-- X01 单笔大额发放 (a rule added with one SQL file and its sidecar, no Python)
select p.id_number as subject_key, p.row_key as payment_key, p.counted as improper,
       '单笔发放' || fw_yuan(p.amount) || '，超过' || $max_amount || '元' as evidence
from paid_payments as p
where p.group_paid and p.amount > $max_amount
"""
NEW_RULE_SIDECAR = """id = "X01"
title = "单笔大额发放"
severity = "低"
subject = "人员"
scope = "county"
amount_kind = "exposure"
sql = "x01_large_single_payment.sql"
policy = "《社会保险经办条例》（国务院令第765号）第二十六条"
suggestion = "调取单笔超过{{ max_amount }}元发放的审批材料，核实发放依据"
checks = "单笔发放金额超过{{ max_amount }}元。"
amount_basis = "超过{{ max_amount }}元的单笔发放"

[parameters]
max_amount = 200000
"""


def test_rule_words_follow_the_run_parameters_and_a_new_rule_needs_no_python(tmp_path, monkeypatch):
    """A rule declared only by its SQL and its sidecar shows its own words in the report and the workbook,
    and a threshold overridden for the run is the one they state (E04's and the new rule's)."""
    import openpyxl

    import fundwatch.paths
    from fundwatch.workbook import write_workbook
    from tests.test_workbook import rule_sheet, sheet_rows, write_inputs

    sql = tmp_path / "sql"
    shutil.copytree(fundwatch.paths.sql_dir(), sql)
    (sql / "rules" / "x01_large_single_payment.sql").write_text(NEW_RULE_SQL, encoding="utf-8")
    (sql / "rules" / "x01_large_single_payment.toml").write_text(NEW_RULE_SIDECAR, encoding="utf-8")
    monkeypatch.setattr(fundwatch.paths, "sql_dir", lambda: sql)

    write_inputs(tmp_path / "in")  # one payment of 150,000.00
    database, manifest, folder = run_pipeline(tmp_path / "in", tmp_path, validate=False, rule_parameters={
        "X01": {"max_amount": 100000}, "E04": {"min_contribution_months": 170}})
    page, workbook = folder / "report.html", folder / "clues.xlsx"
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from clues where rule_id = 'X01'").fetchone()[0] == 1
        write_report(con, page, manifest)
        write_workbook(con, workbook, manifest)

    cards = {c.split(" ")[0]: c for c in re.findall(r'<div class="rule-card">(.*?)</div>',
                                                    page.read_text(encoding="utf-8"))}
    assert "<dt>检查内容</dt><dd>单笔发放金额超过100000元。</dd>" in cards["<h3>X01"]
    assert "<dt>涉及金额</dt><dd>超过100000元的单笔发放</dd>" in cards["<h3>X01"]
    assert "<dd>调取单笔超过100000元发放的审批材料，核实发放依据</dd>" in cards["<h3>X01"]
    assert "200000" not in cards["<h3>X01"] and "max_amount = 100000" in cards["<h3>X01"]
    assert "累计缴费不足170个月" in cards["<h3>E04"] and "180" not in cards["<h3>E04"]
    assert "见规则配置" not in page.read_text(encoding="utf-8")  # no placeholder for any rule

    book = openpyxl.load_workbook(workbook)
    summary_rows = {row[0]: row for row in book["汇总"].iter_rows(values_only=True) if row and row[0]}
    assert summary_rows["X01"][1:5] == ("单笔大额发放", "低", "人员", "已运行") and summary_rows["X01"][5] == 1
    [clue] = sheet_rows(rule_sheet(book, "X01"))
    assert clue["核查建议"].value == "调取单笔超过100000元发放的审批材料，核实发放依据"
    assert clue["疑点描述"].value.endswith("超过100000元")
