"""End to end on synthetic exports, as one city run (市县联动) of three counties: every planted case
found, nothing else, every near-miss unflagged — in each county's own outputs and in the city's —
and management.csv's 处置时效 exactly as planted (management_truth.csv)."""

from collections import defaultdict
from decimal import Decimal

import pytest

from flows.city import city_run
from fundwatch.synth import synth
from tests.contract import assert_outputs_pass_contract, read_csv

COUNTY_RULES = ("D01", "P01", "P02", "E01", "E02", "E03", "E04", "E05", "A01", "A02", "A03",
                "S01", "S02", "S03", "S04")
CITY_RULES = COUNTY_RULES + ("P03",)

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(scope="module")
def city_outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("truth")
    synth(root / "in", counties=3, persons=3000, months=24, seed=7)
    city_run(str(root / "in"), str(root / "out"), run_validation=False, partitions=4)
    counties = sorted(p.name for p in (root / "in").iterdir() if p.is_dir() and p.name.isdigit())
    return root / "in", {county: root / "out" / county for county in counties}, root / "out" / "city"


def subject_of(clue: dict) -> str:
    return clue["公民身份号码"] if clue["对象类型"] == "人员" else clue["姓名"]


def truth_sets(inputs, rule: str) -> tuple[set, set]:
    truth = read_csv(inputs / "ground_truth.csv")
    planted = {(t["region_code"], t["subject_key"]) for t in truth if t["rule_id"] == rule and t["kind"] == "plant"}
    near_misses = {(t["region_code"], t["subject_key"]) for t in truth
                   if t["rule_id"] == rule and t["kind"] == "near_miss"}
    return planted, near_misses


def test_outputs_pass_the_format_checker(city_outputs):
    _, outputs, city = city_outputs
    for out in (*outputs.values(), city):
        assert_outputs_pass_contract(out)
        assert (out / "management.csv").is_file()


@pytest.mark.parametrize("rule", COUNTY_RULES)
def test_precision_and_recall_are_exactly_one_in_the_counties(city_outputs, rule):
    inputs, outputs, _ = city_outputs
    planted, near_misses = truth_sets(inputs, rule)
    found = {(county, subject_of(c)) for county, out in outputs.items()
             for c in read_csv(out / "clues.csv") if c["规则编号"] == rule}
    assert planted, f"synth planted no {rule}"
    assert found - planted == set(), f"{rule} false positives"
    assert planted - found == set(), f"{rule} missed"
    assert not (found & near_misses)


@pytest.mark.parametrize("rule", CITY_RULES)
def test_precision_and_recall_are_exactly_one_in_the_city(city_outputs, rule):
    inputs, _, city = city_outputs
    planted, near_misses = truth_sets(inputs, rule)
    found = {(c["行政区划代码"], subject_of(c)) for c in read_csv(city / "clues.csv") if c["规则编号"] == rule}
    assert found == planted
    assert not (found & near_misses)


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


def test_a_clerk_of_one_county_paid_into_in_another_is_found(city_outputs):
    inputs, _, city = city_outputs
    staff = {m["工号"]: m for m in read_csv(inputs / "reference" / "经办人员信息.csv")}
    crossing = [c for c in read_csv(city / "clues.csv")
                if c["规则编号"] == "S01" and staff[c["姓名"]]["行政区划代码"] != c["行政区划代码"]]
    assert crossing
    for clue in crossing:
        assert staff[clue["姓名"]]["所在机构"] in clue["疑点描述"]
