"""End to end on synthetic exports: every planted case found, nothing else, every near-miss unflagged,
and management.csv's 处置时效 exactly as planted (management_truth.csv).

One city run gives both kinds of run: its county folders are the county runs (tests/test_city.py
checks that they equal separate county runs) and OUT/city/ is the city run (市县联动). Ground-truth
rows of scope `county` hold in both; a `city` plant must fire in the city run and in no county run
(fundwatch/synth/__init__.py explains the columns).
"""

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from checks.registry import load_registry
from tests.contract import assert_outputs_pass_contract, read_csv

COUNTY_RULES = ("D01", "D02", "P01", "P02", "P04", "E01", "E02", "E03", "E04", "E05", "E06", "A01", "A02", "A03",
                "S01", "S02", "S03", "S04")
CITY_RULES = COUNTY_RULES + ("P03",)

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(scope="module")
def city_outputs(synthetic_city):
    root, _ = synthetic_city
    counties = sorted(p.name for p in (root / "in").iterdir() if p.is_dir() and p.name.isdigit())
    return root / "in", {county: root / "out" / county for county in counties}, root / "out" / "city"


def subject_of(clue: dict) -> str:
    return clue["公民身份号码"] if clue["对象类型"] == "人员" else clue["姓名"]


def truth_of(inputs: Path, rule: str) -> list[dict]:
    return [t for t in read_csv(inputs / "ground_truth.csv") if t["rule_id"] == rule]


def named(inputs: Path, subjects: set[tuple[str, str]]) -> list[str]:
    """Failing subjects with the ground-truth cases they are in, for the assertion message."""
    truth = read_csv(inputs / "ground_truth.csv")
    return sorted(f"{region} {subject}: " + (", ".join(f"{t['rule_id']} {t['kind']} {t['case']}" for t in truth
                                                      if t["subject_key"] == subject) or "base population")
                  for region, subject in subjects)


def county_clues(outputs: dict[str, Path], rule: str) -> dict[tuple[str, str], dict]:
    return {(county, subject_of(c)): c for county, out in outputs.items()
            for c in read_csv(out / "clues.csv") if c["规则编号"] == rule}


def city_clues(city_out: Path, rule: str) -> dict[tuple[str, str], dict]:
    clues = [c for c in read_csv(city_out / "clues.csv") if c["规则编号"] == rule]
    found = {(c["行政区划代码"], subject_of(c)): c for c in clues}
    assert len(found) == len(clues), f"{rule}: two clues for one subject in the city list"
    return found


def test_outputs_pass_the_format_checker(city_outputs):
    _, outputs, city_out = city_outputs
    for out in [*outputs.values(), city_out]:
        assert_outputs_pass_contract(out)
        assert (out / "management.csv").is_file()


@pytest.mark.parametrize("rule", COUNTY_RULES)
def test_precision_and_recall_are_exactly_one(city_outputs, rule):
    """County runs: the county-scope plants; a city-scope plant is half a case to each county."""
    inputs, outputs, _ = city_outputs
    truth = truth_of(inputs, rule)
    planted = {(t["region_code"], t["subject_key"]) for t in truth
               if t["kind"] == "plant" and t["scope"] == "county"}
    not_here = {t["subject_key"] for t in truth if t["kind"] == "near_miss" or t["scope"] == "city"}
    found = set(county_clues(outputs, rule))
    assert planted, f"synth planted no {rule}"
    assert found - planted == set(), f"{rule} false positives: {named(inputs, found - planted)}"
    assert planted - found == set(), f"{rule} missed: {named(inputs, planted - found)}"
    assert not {subject for _, subject in found} & not_here


@pytest.mark.parametrize("rule", CITY_RULES)
def test_city_run_precision_and_recall_are_exactly_one(city_outputs, rule):
    """The city run: every plant, the cross-county ones under every county they involve."""
    inputs, _, city_out = city_outputs
    truth = truth_of(inputs, rule)
    planted = {(t["region_code"], t["subject_key"]) for t in truth if t["kind"] == "plant"}
    near_misses = {t["subject_key"] for t in truth if t["kind"] == "near_miss"}
    found = set(city_clues(city_out, rule))
    assert found - planted == set(), f"{rule} false positives: {named(inputs, found - planted)}"
    assert planted - found == set(), f"{rule} missed: {named(inputs, planted - found)}"
    assert not {subject for _, subject in found} & near_misses


@pytest.mark.parametrize("rule", CITY_RULES)
def test_planted_amounts(city_outputs, rule):
    """涉及金额 of every plant whose ground truth states it (CLUES.md, "Amounts")."""
    inputs, outputs, city_out = city_outputs
    expected = {(t["region_code"], t["subject_key"]): (t["scope"], t["case"], Decimal(t["amount"]))
                for t in truth_of(inputs, rule) if t["kind"] == "plant" and t["amount"]}
    if not expected:
        pytest.skip(f"ground truth states no {rule} amounts")
    in_counties, in_city = county_clues(outputs, rule), city_clues(city_out, rule)
    wrong = {}
    for subject, (scope, case, amount) in expected.items():
        clue = (in_counties if scope == "county" else in_city).get(subject)
        if clue is None or Decimal(clue["涉及金额"]) != amount:
            wrong[subject] = (case, str(amount), clue and clue["涉及金额"])
    assert not wrong, f"{rule}: (case, expected, clue's 涉及金额) {wrong}"


def late_stops(out) -> dict[tuple[str, str], tuple]:
    """management.csv's 处置时效 rows by (county, the person of the clue behind them)."""
    people = {c["线索编号"]: c["公民身份号码"] for c in read_csv(out / "clues.csv")}
    rows = {}
    for finding in read_csv(out / "management.csv"):
        if finding["问题类型"] == "处置时效":
            months = int(finding["说明"].split("死亡次月起的待遇")[1].split("个月")[0])
            key = (finding["行政区划代码"], people[finding["线索编号"]])
            rows[key] = (months, Decimal(finding["问题金额"]), finding["经办人"], finding["审核人"])
    return rows


def test_late_stop_figures_match_the_ground_truth(city_outputs):
    inputs, outputs, city = city_outputs
    truth = {(t["region_code"], t["subject_key"]): (int(t["months"]), Decimal(t["amount"]).quantize(Decimal("0.01")),
                                                     t["operators"], t["reviewers"])
             for t in read_csv(inputs / "management_truth.csv") if int(t["months"]) > 0}
    assert truth
    found = {}
    for out in outputs.values():
        found.update(late_stops(out))
    assert found == truth
    assert late_stops(city) == truth


def test_management_traces_every_finding_to_clues(city_outputs):
    _, outputs, city = city_outputs
    for out in (*outputs.values(), city):
        clue_ids = {c["线索编号"] for c in read_csv(out / "clues.csv")}
        findings = read_csv(out / "management.csv")
        assert {f["问题类型"] for f in findings} == {"处置时效", "经办审核问题发放", "经办人员违规操作"}
        for finding in findings:
            listed = finding["线索编号"].split(";")
            assert listed and set(listed) <= clue_ids
            assert int(finding["涉及线索数"]) == len(set(listed))


def test_county_ranking_carries_the_management_figures(city_outputs):
    inputs, _, city = city_outputs
    ranking = {r["行政区划代码"]: r for r in read_csv(city / "county_ranking.csv")}
    truth = read_csv(inputs / "management_truth.csv")
    for county, row in ranking.items():
        planted = [t for t in truth if t["region_code"] == county and int(t["months"]) > 0]
        assert int(row["死亡登记后仍发放人数"]) == len(planted)
        assert int(row["死亡登记后发放月数"]) == sum(int(t["months"]) for t in planted)
        assert int(row["经办人员违规线索数"]) >= 4


def test_expected_quarantine_rows(city_outputs):
    inputs, outputs, _ = city_outputs
    expected = defaultdict(set)
    for row in read_csv(inputs / "expected_quarantine.csv"):
        county, _, rel = row["path"].partition("/")
        expected[county].add((rel, int(row["line"])))
    for county, out in outputs.items():
        got = {(q["文件"], int(q["行号"])) for q in read_csv(out / "quarantine.csv")}
        assert got == expected[county]


def test_no_clue_anywhere_has_an_amount_of_zero_or_less(city_outputs):
    _, outputs, city_out = city_outputs
    for out in (*outputs.values(), city_out):
        clues = read_csv(out / "clues.csv")
        assert clues and all(Decimal(c["涉及金额"]) > 0 for c in clues), out


def test_workbook_sheet_and_report_section_show_the_findings(city_outputs):
    import openpyxl

    inputs, outputs, city = city_outputs
    staff = read_csv(inputs / "reference" / "经办人员信息.csv")
    for out in (outputs["330102"], city):
        findings = read_csv(out / "management.csv")
        sheet = openpyxl.load_workbook(out / "clues.xlsx", read_only=True)["管理问题"]
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == list(findings[0])
        assert [r[0] for r in rows[1:]] == [f["问题编号"] for f in findings]
        html = (out / "report.html").read_text(encoding="utf-8")
        assert 'id="chart-desks"' in html and 'id="chart-late-stops"' in html
        for member in staff:
            assert f'"{member["工号"]}' not in html and f">{member['工号']}<" not in html
            assert member["公民身份号码"] not in html and member["本人银行账号"] not in html


def test_a_rule_with_a_county_and_a_city_entry_is_one_row_and_one_sheet(city_outputs):
    """A01 runs in each county and again across the city: the city's workbook and report show it once."""
    import openpyxl

    _, outputs, city = city_outputs
    listed = {c["规则编号"] for c in read_csv(city / "clues.csv")}
    assert "A01" in listed
    sheets = openpyxl.load_workbook(city / "clues.xlsx", read_only=True).sheetnames
    rule_sheets = [s for s in sheets if s[:3] in listed]
    assert len(rule_sheets) == len({s[:3] for s in rule_sheets}) == len(listed), sheets
    assert not any("~" in s for s in sheets), sheets
    county, city_html = (out / "report.html" for out in (outputs["330102"], city))
    county = county.read_text(encoding="utf-8")
    city_html = city_html.read_text(encoding="utf-8")
    assert city_html.count("同一银行账户接收") == county.count("同一银行账户接收") > 0


def test_a_clerk_of_one_county_paid_into_in_another_is_found(city_outputs):
    inputs, _, city = city_outputs
    staff = {m["工号"]: m for m in read_csv(inputs / "reference" / "经办人员信息.csv")}
    crossing = [c for c in read_csv(city / "clues.csv")
                if c["规则编号"] == "S01" and staff[c["姓名"]]["行政区划代码"] != c["行政区划代码"]]
    assert crossing
    for clue in crossing:
        assert staff[clue["姓名"]]["所在机构"] in clue["疑点描述"]


# ---- tip-offs (信访): matched on the city run, described against the planted cases ---------------


def tipoff_outcomes(inputs: Path, out: Path) -> list[tuple[dict, dict, set[str]]]:
    """(truth, tipoffs.csv row, rules of its related clues) for every synthetic tip-off."""
    truth = read_csv(inputs / "tipoffs_truth.csv")
    rows = {r["信访编号"]: r for r in read_csv(out / "tipoffs.csv")}
    rules = {c["线索编号"]: c["规则编号"] for c in read_csv(out / "clues.csv")}
    return [(t, rows[t["tip_id"]], {rules[c] for c in rows[t["tip_id"]]["相关线索编号"].split(";") if c})
            for t in truth]


def test_tipoff_matching_is_exact_for_full_ids_and_precise_for_partial_ones(city_outputs):
    inputs, _, city_out = city_outputs
    outcomes = tipoff_outcomes(inputs, city_out)
    assert {t["kind"] for t, _, _ in outcomes} == {"planted", "clean", "unmatched"}
    full = [(t, r) for t, r, _ in outcomes if t["case"] == "full_id"]
    assert full and all(r["匹配方式"] == "身份证号" and r["匹配对象"] == t["id_number"] for t, r in full)
    partial_matches = [(t, r) for t, r, _ in outcomes if r["匹配方式"] == "身份信息"]
    true_partial = [(t, r) for t, r in partial_matches if t["expected_match"] == "身份信息" and r["匹配对象"] == t["id_number"]]
    assert len(true_partial) / len(partial_matches) >= 0.95
    expected_partial = [t for t, _, _ in outcomes if t["expected_match"] == "身份信息"]
    assert len(true_partial) == len(expected_partial)  # and none missed on synthetic data
    for t, r, _ in outcomes:
        if t["expected_match"] == "未匹配":
            assert (r["匹配方式"], r["匹配对象"]) == ("未匹配", ""), t


def test_tipoffs_csv_says_the_right_thing(city_outputs):
    """Planted: 数据印证 with the planted rules' clues; clean: 数据未见异常 (or only an M01 outlier, which
    is statistical and not planted); unmatched (and a partial number a namesake shares): 无法匹配.
    No full name in the file."""
    inputs, _, city_out = city_outputs
    for t, r, rules in tipoff_outcomes(inputs, city_out):
        if t["expected_suggestion"] == "数据印证":
            assert r["建议"] == "数据印证" and set(t["planted_rules"].split(";")) <= rules, (t, r)
        elif t["expected_suggestion"] == "数据未见异常":
            assert rules <= {"M01"}, (t, r)
            assert r["建议"] == ("数据印证" if rules else "数据未见异常"), (t, r)
        else:  # not a recipient, no number, another county, ..., or a namesake sharing the digits shown
            assert r["建议"] == "无法匹配，需人工核实" and r["数据核查情况"].startswith("无法匹配："), (t, r)
        assert r["被反映人"][1:] == "*" * (len(r["被反映人"]) - 1)


def test_clues_about_people_named_in_tipoffs_say_so_and_are_raised(city_outputs):
    inputs, outputs, city_out = city_outputs
    base = {r.id: r.severity for r in load_registry().rules}
    for out in (city_out, *outputs.values()):
        named = {c for r in read_csv(out / "tipoffs.csv") for c in r["相关线索编号"].split(";") if c}
        for clue in read_csv(out / "clues.csv"):
            person = clue["对象类型"] == "人员" and clue["线索编号"] in named
            assert ("信访编号" in clue["疑点描述"]) == person, clue["线索编号"]
            raised = {"低": "中", "中": "高", "高": "高"}[base[clue["规则编号"]]]
            if clue["规则编号"] in ("D02", "P04"):
                raised = "中"
            assert clue["风险等级"] == (raised if person else base[clue["规则编号"]]), clue["线索编号"]
