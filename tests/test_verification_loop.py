"""The verification loop exactly as README.md writes it, with the real `fundwatch` command on a synthetic
city (with tip-offs): run with a history → the team fills a copy of the workbook (verdicts, a 回避
violation, a 销号 without a verdict, 已追回 above 应追回, sign-offs, a deadline passed) → feedback rejects
the bad rows and stores nothing → the corrected workbook is stored → the next run writes recheck.csv,
overdue.csv, rectification with 追回率, a ranking on verified results and the report's history sections.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest

from fundwatch.synth import synth
from tests.cli_processes import shared_zygote
from tests.contract import assert_outputs_pass_contract, read_csv

RUN_SECONDS = 900


@pytest.fixture(scope="module")
def cli(prefect_harness, tmp_path_factory):
    return shared_zygote(tmp_path_factory.mktemp("cli"))


def fundwatch(cli, root: Path, *args) -> tuple[int, str]:
    child = cli.run(list(args), cwd=root, env={"COLUMNS": "300"})  # rich tables unwrapped in a file
    code = child.wait(timeout=RUN_SECONDS)
    return code, child.out() + child.err()


def fill(workbook: Path, answers: dict[str, dict]) -> None:
    """Write answers ({clue: {header: value}}) into the rule sheets, as a team does in Excel."""
    book = openpyxl.load_workbook(workbook)
    for sheet in book.worksheets:
        headers = [c.value for c in sheet[1]]
        if "核查状态" not in headers:
            continue
        for row in sheet.iter_rows(min_row=2):
            for header, value in answers.get(row[headers.index("线索编号")].value, {}).items():
                row[headers.index(header)].value = value
    book.save(workbook)


def operator_of(out: Path, clue_id: str) -> str:
    with duckdb.connect(str(out / "run.duckdb"), read_only=True) as con:
        return con.execute("select min(p.operator_id) from clue_evidence e join payments p using (row_key) "
                           "where e.clue_id = ?", [clue_id]).fetchone()[0]


@pytest.fixture(scope="module")
def loop(cli, tmp_path_factory):
    root = tmp_path_factory.mktemp("loop")
    synth(root / "EXPORTS", counties=2, persons=600, months=13, seed=5)
    steps = {}
    # 1. Run with a history file
    steps["run 1"] = fundwatch(cli, root, "run", "EXPORTS", "--out", "out", "--history", "inspection.duckdb")
    assert steps["run 1"][0] == 0, steps["run 1"][1]
    first = read_csv(root / "out" / "city" / "clues.csv")
    # 2. A copy of the workbook for the team
    (root / "returned").mkdir()
    shutil.copy(root / "out" / "city" / "clues.xlsx", root / "returned" / "clues.xlsx")
    by_county = {}
    for clue in first:
        if clue["对象类型"] == "人员" and ";" not in clue["行政区划代码"]:
            by_county.setdefault(clue["行政区划代码"], []).append(clue)
    (a, b, c, d), (e, f, g) = by_county["330102"][:4], by_county["330105"][:3]
    today = dt.date.today()
    past = dt.date(2020, 1, 31)
    amount = {x["线索编号"]: float(x["涉及金额"]) for x in first}
    handled_by = operator_of(root / "out" / "city", a["线索编号"])
    answers = {
        a["线索编号"]: {"核查状态": "属实", "核查结果": "冒领", "整改情况": "已停发", "核查人": handled_by,  # 回避
                      "处理方式": "追回", "应追回金额": amount[a["线索编号"]], "已追回金额": amount[a["线索编号"]] / 2},
        b["线索编号"]: {"核查状态": "不属实", "核查结果": "系补发", "核查人": "核查组张三", "处理方式": "无需处理",
                      "销号人": "李科长", "销号日期": today},
        c["线索编号"]: {"核查状态": "不属实", "核查结果": "资料齐全", "核查人": "核查组张三"},
        d["线索编号"]: {"核查状态": "核查中", "核查人": "核查组王五", "核查期限": past,
                      "销号人": "李科长", "销号日期": today},  # 销号 without a verdict
        e["线索编号"]: {"核查状态": "属实", "核查结果": "重复领取", "核查人": "核查组赵六", "处理方式": "停发",
                      "应追回金额": 100, "已追回金额": 200},  # 已追回 > 应追回
        f["线索编号"]: {"核查状态": "部分属实", "核查结果": "部分月份", "整改情况": "已追回部分", "核查人": "核查组赵六",
                      "应追回金额": 1000, "已追回金额": 1000, "销号人": "钱科长", "销号日期": today},
        g["线索编号"]: {"核查状态": "核查中", "核查人": "核查组赵六", "核查期限": dt.date(2099, 12, 31)},
    }
    fill(root / "returned" / "clues.xlsx", answers)
    # 3. Store it: the bad rows are listed, nothing is stored
    steps["feedback 1"] = fundwatch(cli, root, "feedback", "returned/clues.xlsx", "--history", "inspection.duckdb")
    with duckdb.connect(str(root / "inspection.duckdb"), read_only=True) as h:
        stored_after_rejection = h.execute("select count(*) from feedback").fetchone()[0]
    # 4. The team corrects the rows listed; store again
    fill(root / "returned" / "clues.xlsx", {
        a["线索编号"]: {"核查人": "核查组张三"},
        d["线索编号"]: {"销号人": None, "销号日期": None},
        e["线索编号"]: {"已追回金额": 100},
    })
    steps["feedback 2"] = fundwatch(cli, root, "feedback", "returned/clues.xlsx", "--history", "inspection.duckdb")
    # 5. The next run
    steps["run 2"] = fundwatch(cli, root, "run", "EXPORTS", "--out", "out", "--history", "inspection.duckdb")
    assert steps["run 2"][0] == 0, steps["run 2"][1]
    clues = dict(zip("abcdefg", (x["线索编号"] for x in (a, b, c, d, e, f, g))))
    return root, steps, clues, handled_by, stored_after_rejection


def test_the_bad_rows_are_rejected_with_their_reasons_and_nothing_is_stored(loop):
    _, steps, clues, handled_by, stored = loop
    code, output = steps["feedback 1"]
    assert code == 1 and stored == 0
    text = re.sub(r"\s+", "", output)
    assert "3rowsrejected" in text
    assert f"核查人「{handled_by}」经办或审核了该线索所涉发放" in text
    assert "未有核查结论（属实/部分属实/不属实）不能销号" in text
    assert "大于应追回金额100.00" in text
    assert "线索编号不在历史库中" not in text


def test_the_corrected_workbook_is_stored(loop):
    root, steps, clues, *_ = loop
    code, output = steps["feedback 2"]
    assert code == 0, output
    assert "7 new" in output
    with duckdb.connect(str(root / "inspection.duckdb"), read_only=True) as h:
        assert h.execute("select count(*) from feedback").fetchone()[0] == 7
        assert h.execute("select verifier, deadline from feedback where clue_id = ?",
                         [clues["d"]]).fetchone() == ("核查组王五", dt.date(2020, 1, 31))


def test_the_next_run_keeps_open_clues_and_holds_back_signed_off_untrue_ones(loop):
    root, _, clues, *_ = loop
    listed = {c["线索编号"]: c for c in read_csv(root / "out" / "city" / "clues.csv")}
    assert clues["b"] not in listed  # 不属实 and signed off
    assert listed[clues["c"]]["核查状态"] == "不属实"  # 不属实, not signed off: still open
    changes = {c["线索编号"]: c["变化情况"] for c in read_csv(root / "out" / "city" / "clue_changes.csv")}
    assert changes[clues["b"]] == "不属实未再提出" and changes[clues["c"]] == "持续"
    book = openpyxl.load_workbook(root / "out" / "city" / "clues.xlsx", read_only=True)
    carried = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if rows and "核查期限" in rows[0]:
            headers = list(rows[0])
            carried.update({r[0]: dict(zip(headers, r)) for r in rows[1:]})
    assert carried[clues["d"]]["核查期限"].date() == dt.date(2020, 1, 31)
    assert carried[clues["f"]]["销号人"] == "钱科长"
    assert "抽查复核" in book.sheetnames and "逾期未销号" in book.sheetnames and "信访核查" in book.sheetnames
    assert_outputs_pass_contract(root / "out" / "city")


def test_recheck_and_overdue_lists(loop):
    root, _, clues, *_ = loop
    recheck = read_csv(root / "out" / "city" / "recheck.csv")
    assert len(recheck) == 1 and recheck[0]["线索编号"] in (clues["b"], clues["c"])  # 10% of 2, at least one
    assert recheck[0]["原核查状态"] == "不属实" and recheck[0]["公民身份号码"]
    overdue = read_csv(root / "out" / "city" / "overdue.csv")
    assert [(o["线索编号"], o["核查期限"]) for o in overdue] == [(clues["d"], "2020-01-31")]
    assert int(overdue[0]["逾期天数"]) == (dt.date.today() - dt.date(2020, 1, 31)).days


def test_rectification_and_the_ranking_on_verified_results(loop):
    root, _, clues, *_ = loop
    rows = {r["行政区划代码"]: r for r in read_csv(root / "out" / "city" / "rectification.csv")}
    assert rows["330105"]["应追回金额"] == "1100.00" and rows["330105"]["已追回金额"] == "1100.00"
    assert rows["330105"]["追回率(%)"] == "100.00" and rows["330105"]["已销号线索数"] == "1"
    assert rows["330102"]["属实率(%)"] == "33.33" and rows["330102"]["逾期未销号线索数"] == "1"
    assert rows["330102"]["追回率(%)"] == "50.00"
    ranking = read_csv(root / "out" / "city" / "county_ranking.csv")
    assert {r["排名依据"] for r in ranking} == {"核查结果"}
    # attention: 330102 (1/3 true, half recovered, rectified) (1/3 + 1/2 + 0) / 3 = 0.28;
    # 330105 (all true, all recovered, one of two rectified) (1 + 0 + 1/2) / 3 = 0.5: first
    assert [r["行政区划代码"] for r in sorted(ranking, key=lambda r: int(r["排名"]))] == ["330105", "330102"]
    manifest = json.loads((root / "out" / "city" / "manifest.json").read_text(encoding="utf-8"))
    assert [r["county"] for r in manifest["county_ranking"]] == ["330105", "330102"]
    assert manifest["county_ranking"][0]["ranking_basis"] == "核查结果"


def test_the_report_shows_the_history_and_no_full_id_number_or_name(loop):
    root, *_ = loop
    report = (root / "out" / "city" / "report.html").read_text(encoding="utf-8")
    for heading in ("信访举报核查", "核查销号与整改", "变化情况", "整改成效与追回", "不属实未再提出", "逾期未销号", "抽查复核",
                    "测评排名（按核查结果）"):
        assert heading in report, heading
    people = read_csv(root / "out" / "city" / "clues.csv")
    for clue in people:
        if clue["对象类型"] == "人员":
            assert clue["公民身份号码"] not in report
            assert len(clue["姓名"]) < 2 or clue["姓名"] not in report
    masked = (root / "out" / "city" / "tipoffs.csv").read_text(encoding="utf-8-sig")
    assert all(len(c["姓名"]) < 2 or c["姓名"] not in masked for c in people if c["对象类型"] == "人员")
