"""The verification loop: two runs with feedback in between (新增/持续/已消除, 不属实 suppression)."""

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

from fundwatch import run
from fundwatch.history import import_feedback
from fundwatch.run import RunOptions
from tests.contract import read_csv
from tests.builders import Person, write_county

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
    paths, _ = run.prepare(county, root / f"out-{name}")
    run.run_county(paths, RunOptions(validate=False, history=str(history)))
    return root / f"out-{name}"



def clue_of(out: Path, rule: str) -> dict:
    return next(c for c in read_csv(out / "clues.csv") if c["规则编号"] == rule)


def fill_workbook(out: Path, answers: dict[str, tuple]) -> Path:
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
                                   p01: ("不属实", "系补发，非重复", None, None)})
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
                     "追回金额": "6000.00", "整改率(%)": "100.00"}]


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
