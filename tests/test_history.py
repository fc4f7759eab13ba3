"""The verification loop: two runs with feedback in between (新增/持续/已消除, 不属实 suppression)."""

import datetime as dt
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

from flows.settings import RunOptions
from fundwatch.history import import_feedback
from tests.builders import Person, write_county
from tests.contract import read_csv
from tests.runs import run_flow

pytestmark = pytest.mark.usefixtures("prefect_harness")  # the county flow runs on it

DEAD, DOUBLE, SELF = Person(1), Person(2), Person(3)
OTHERS = [Person(i) for i in range(10, 35)]


def county_data(last: str, double_again: bool = False, self_approval: bool = True):
    payments = [x for p in (DEAD, DOUBLE, SELF, *OTHERS) for x in p.monthly("202301", last)]
    payments.append(DOUBLE.payment("202302", payment_id="EXTRA-1"))
    if double_again:
        payments.append(DOUBLE.payment(last, payment_id="EXTRA-2"))
    if self_approval:
        payments = [dict(x, reviewer_id="JB01") if x["id_number"] == SELF.id_number else x for x in payments]
    deaths = [{"id_number": DEAD.id_number, "name": DEAD.name, "death_date": "2023-03-10", "source": "公安"}]
    recipients = [p.recipient() for p in (DEAD, DOUBLE, SELF, *OTHERS)]
    return payments, recipients, deaths


def run_once(root: Path, name: str, history: Path, **kwargs) -> Path:
    payments, recipients, deaths = county_data(**kwargs)
    county = write_county(root / name, payments, recipients, deaths=deaths)
    run_flow(county, root / f"out-{name}", RunOptions(validate=False, history=str(history)))
    return root / f"out-{name}"



def clue_of(out: Path, rule: str) -> dict:
    return next(c for c in read_csv(out / "clues.csv") if c["规则编号"] == rule)


def fill_workbook(out: Path, answers: dict[str, tuple], workflow: dict[str, dict] | None = None) -> Path:
    book = openpyxl.load_workbook(out / "clues.xlsx")
    for sheet in book.worksheets[1:]:
        headers = [c.value for c in sheet[1]]
        if "核查状态" not in headers:  # 管理问题
            continue
        for row in sheet.iter_rows(min_row=2):
            clue_id = row[headers.index("线索编号")].value
            if clue_id in answers:
                status, finding, rectification, recovered = answers[clue_id]
                row[headers.index("核查状态")].value = status
                row[headers.index("核查结果")].value = finding
                row[headers.index("整改情况")].value = rectification
                row[headers.index("追回金额")].value = recovered
            for header, value in (workflow or {}).get(clue_id, {}).items():
                row[headers.index(header)].value = value
    target = out / "filled.xlsx"
    book.save(target)
    return target


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    root = tmp_path_factory.mktemp("loop")
    history = root / "history.duckdb"
    first = run_once(root, "first", history, last="202305")
    d01, p01 = clue_of(first, "D01")["线索编号"], clue_of(first, "P01")["线索编号"]
    filled = fill_workbook(first, {d01: ("属实", "家属冒领", "已停发并追回", 6000),
                                   p01: ("不属实", "系补发，非重复", None, None)},
                           {p01: {"销号人": "王科长", "销号日期": dt.date.today()}})  # closed: held back
    report = import_feedback(filled, history)
    second = run_once(root, "second", history, last="202308", self_approval=False)
    third = run_once(root, "third", history, last="202310", double_again=True, self_approval=False)
    return root, history, first, second, third, report, d01, p01


def test_first_run_marks_every_clue_new(loop):
    root, history, first, *_ = loop
    changes = read_csv(first / "clue_changes.csv")
    assert changes and {c["变化情况"] for c in changes} == {"新增"}


def test_feedback_is_stored(loop):
    *_, report, d01, p01 = loop
    assert report.accepted and report.new == 2 and report.updated == []


def test_second_run_carries_findings_and_suppresses_untrue_clue(loop):
    root, history, first, second, third, report, d01, p01 = loop
    clues = {c["线索编号"]: c for c in read_csv(second / "clues.csv")}
    assert clues[d01]["核查状态"] == "属实" and clues[d01]["核查结果"] == "家属冒领"
    assert clues[d01]["截止所属期"] == "202308"  # same ID, more months
    assert p01 not in clues
    changes = {c["线索编号"]: c["变化情况"] for c in read_csv(second / "clue_changes.csv")}
    assert changes[d01] == "持续" and changes[p01] == "不属实未再提出"
    a03 = clue_of(first, "A03")["线索编号"]
    assert changes[a03] == "已消除"
    book = openpyxl.load_workbook(second / "clues.xlsx")
    d01_sheet = next(s for s in book.worksheets if s.title.startswith("D01"))
    headers = [c.value for c in d01_sheet[1]]
    assert d01_sheet.cell(2, headers.index("追回金额") + 1).value == 6000
    assert d01_sheet.cell(2, headers.index("变化情况") + 1).value == "持续"


def test_untrue_clue_is_raised_again_on_new_improper_payments(loop):
    root, history, first, second, third, report, d01, p01 = loop
    clues = {c["线索编号"]: c for c in read_csv(third / "clues.csv")}
    assert p01 in clues and clues[p01]["核查状态"] == "不属实"
    changes = {c["线索编号"]: c["变化情况"] for c in read_csv(third / "clue_changes.csv")}
    assert changes[p01] == "再次提出"


def test_rectification_per_county(loop):
    *_, third, report, d01, p01 = loop
    rows = read_csv(third / "rectification.csv")
    assert rows == [{"行政区划代码": "330102", "已核查线索数": "2", "属实线索数": "1", "属实率(%)": "50.00",
                     "追回金额": "6000.00", "整改率(%)": "100.00", "线索数": "3", "应追回金额": "21000.00",
                     "已追回金额": "6000.00", "追回率(%)": "28.57", "已销号线索数": "1", "销号率(%)": "33.33",
                     "逾期未销号线索数": "0", "抽查复核线索数": "1"}]


def test_bad_feedback_is_reported_row_by_row_and_nothing_is_stored(loop, tmp_path):
    root, history, first, *_ , d01, p01 = loop
    before = duckdb.connect(str(history), read_only=True).execute("select count(*) from feedback").fetchone()[0]
    bad = tmp_path / "bad.csv"
    header = "线索编号,核查状态,核查结果,整改情况,追回金额\n"
    bad.write_text(header + f"{d01},已核实,x,,\nD01-000000000000,属实,x,,\n{d01[:-1]}Z,属实,,,\n{p01},属实,,,-5\n",
                   encoding="utf-8-sig")
    report = import_feedback(bad, history)
    assert [p[1:] for p in report.problems] == [
        (2, d01, "核查状态「已核实」不是可选值（待核查/核查中/属实/部分属实/不属实）"),
        (3, "D01-000000000000", "线索编号不在历史库中（可能被修改或来自其他批次）"),
        (4, d01[:-1] + "Z", "线索编号不在历史库中（可能被修改或来自其他批次）"),
        (5, p01, "追回金额「-5」不是非负数字"),
    ]
    after = duckdb.connect(str(history), read_only=True).execute("select count(*) from feedback").fetchone()[0]
    assert after == before


def test_changed_verdict_is_a_new_version(loop, tmp_path):
    root, history, first, *_ , d01, p01 = loop
    again = tmp_path / "again.csv"
    again.write_text(f"线索编号,核查状态,核查结果,整改情况,追回金额\n{d01},部分属实,复核后部分属实,,\n",
                     encoding="utf-8-sig")
    report = import_feedback(again, history)
    assert report.updated == [(d01, "属实", "部分属实")]
    with duckdb.connect(str(history), read_only=True) as con:
        assert con.execute("select version, status from feedback where clue_id = ? order by version",
                           [d01]).fetchall() == [(1, "属实"), (2, "部分属实")]


def test_every_output_agrees_on_counts_and_totals_after_a_clue_is_held_back(loop):
    """One count everywhere: manifest (rules and summary), clues.csv, the workbook and the report say the
    same number of clues per rule, and the totals count each payment once."""
    _, _, _, second, *_ = loop
    manifest = json.loads((second / "manifest.json").read_text(encoding="utf-8"))
    clues = read_csv(second / "clues.csv")
    per_rule = Counter(c["规则编号"] for c in clues)
    assert "P01" not in per_rule and any(r.get("held_back") for r in manifest["rules"])  # the 不属实 clue
    assert {r: v["clues"] for r, v in manifest["clues"]["per_rule"].items()} == dict(per_rule)
    assert {r["rule_id"]: r["clues"] for r in manifest["rules"] if r["status"] == "run" and r["clues"]} == dict(per_rule)
    assert manifest["clues"]["clues"] == len(clues) == manifest["clues"]["per_county"][0]["clues"]
    book = openpyxl.load_workbook(second / "clues.xlsx", read_only=True)
    summary = [row for row in book.worksheets[0].iter_rows(values_only=True)]
    assert ("线索总数", len(clues)) in [tuple(r[:2]) for r in summary]
    for rule, n in per_rule.items():
        assert any(r[0] == rule and n in r for r in summary), rule
    report = (second / "report.html").read_text(encoding="utf-8")
    assert f">{len(clues)}<" in report.replace(" ", "")
    evidence = read_csv(second / "clue_evidence.csv")
    amounts = {(c["规则编号"], c["线索编号"]): Decimal(c["涉及金额"]) for c in clues}
    exposure = Decimal(manifest["clues"]["exposure_amount"])
    assert exposure <= sum(amounts.values()) and exposure > 0
    assert Decimal(manifest["clues"]["improper_amount"]) <= exposure
    assert all(amount > 0 for amount in amounts.values())
    assert {e["线索编号"] for e in evidence} == {c["线索编号"] for c in clues}


def test_workflow_columns_are_checked_row_by_row_and_nothing_is_stored(loop, tmp_path):
    """回避 (the verifier handled the clue's payments), 已追回 > 应追回, a 销号 without a verdict or before it."""
    root, history, first, *_, d01, p01 = loop
    a03 = clue_of(first, "A03")["线索编号"]
    before = duckdb.connect(str(history), read_only=True).execute("select count(*) from feedback").fetchone()[0]
    bad = tmp_path / "workflow.csv"
    bad.write_text(
        "线索编号,核查状态,核查结果,整改情况,追回金额,核查人,核查期限,处理方式,应追回金额,已追回金额,销号人,销号日期\n"
        f"{d01},属实,冒领,,,JB01、李四,2024-07-31,追回,100,200,,\n"
        f"{p01},不属实,系补发,,,李四,,无需处理,,,王科长,2020-01-01\n"
        f"{a03},核查中,,,,李四,2024-13-01,罚款,,,张三,2024-01-01\n", encoding="utf-8-sig")
    report = import_feedback(bad, history)
    today = dt.date.today().isoformat()
    assert [p[1:] for p in report.problems] == [
        (2, d01, "核查人「JB01」经办或审核了该线索所涉发放（或为该线索所指经办人员），应回避；"
                 "已追回金额200.00大于应追回金额100.00"),
        (3, p01, f"销号日期2020-01-01早于核查结论（该结论于{today}录入）"),
        (4, a03, "核查期限「2024-13-01」不是日期（如2024-07-31）；处理方式「罚款」不是可选值（停发/追回/移送纪检监察机关/"
                 "移送公安机关/无需处理）；未有核查结论（属实/部分属实/不属实）不能销号，核查状态为「核查中」"),
    ]
    after = duckdb.connect(str(history), read_only=True).execute("select count(*) from feedback").fetchone()[0]
    assert after == before


def test_a_run_made_without_history_is_registered_from_its_folder(tmp_path):
    """The README's loop in the order people try it: a run without --history, then feedback."""
    history = tmp_path / "later.duckdb"
    payments, recipients, deaths = county_data(last="202305")
    county = write_county(tmp_path / "in", payments, recipients, deaths=deaths)
    run_flow(county, tmp_path / "out", RunOptions(validate=False))
    d01 = clue_of(tmp_path / "out", "D01")["线索编号"]
    elsewhere = tmp_path / "returned.csv"
    elsewhere.write_text(f"线索编号,核查状态\n{d01},核查中\n", encoding="utf-8-sig")
    report = import_feedback(elsewhere, history)
    assert not report.accepted and report.hint and "--run OUT" in report.hint and "without --history" in report.hint
    filled = fill_workbook(tmp_path / "out", {d01: ("属实", "冒领", None, None)},
                           {d01: {"核查人": "JB02"}})  # JB02 reviewed D01's payments: 回避
    refused = import_feedback(filled, history, run_dir=tmp_path / "out")
    assert [p[3] for p in refused.problems] == [
        "核查人「JB02」经办或审核了该线索所涉发放（或为该线索所指经办人员），应回避"]
    assert refused.registered is None
    with duckdb.connect(str(history), read_only=True) as con:
        assert con.execute("select count(*) from history_runs").fetchone()[0] == 0
    filled = fill_workbook(tmp_path / "out", {d01: ("属实", "冒领", None, None)}, {d01: {"核查人": "李四"}})
    report = import_feedback(filled, history)  # clues.xlsx in its own output folder: the run is found there
    assert report.accepted and report.new == 1 and report.registered
    assert import_feedback(elsewhere, history).accepted  # now the history knows the clue
