"""End to end on synthetic exports: every planted case found, nothing else, every near-miss unflagged."""

from collections import defaultdict

import pytest

from fundwatch import run
from fundwatch.run import RunOptions
from fundwatch.synth import synth
from tests.contract import assert_outputs_pass_contract, read_csv

COUNTY_RULES = ("D01", "D02", "P01", "P02", "P04", "E01", "E02", "E03", "E04", "E05", "A01", "A02", "A03")



@pytest.fixture(scope="module")
def city_outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("truth")
    synth(root / "in", counties=3, persons=3000, months=24, seed=7)
    outputs = {}
    for county in sorted(p for p in (root / "in").iterdir() if p.is_dir() and p.name.isdigit()):
        paths, _ = run.prepare(county, root / "out" / county.name)
        run.run_county(paths, RunOptions(validate=False))
        outputs[county.name] = root / "out" / county.name
    return root / "in", outputs


def subject_of(clue: dict) -> str:
    return clue["公民身份号码"] if clue["对象类型"] == "人员" else clue["姓名"]


def test_outputs_pass_the_format_checker(city_outputs):
    _, outputs = city_outputs
    for out in outputs.values():
        assert_outputs_pass_contract(out)


@pytest.mark.parametrize("rule", COUNTY_RULES)
def test_precision_and_recall_are_exactly_one(city_outputs, rule):
    inputs, outputs = city_outputs
    truth = read_csv(inputs / "ground_truth.csv")
    # a county run sees its own county: cases across counties (P04's two numbers in two counties) are the city's
    planted = {(t["region_code"], t["subject_key"]) for t in truth
               if t["rule_id"] == rule and t["kind"] == "plant" and ";" not in t["region_code"]}
    near_misses = {(t["region_code"], t["subject_key"]) for t in truth
                   if t["rule_id"] == rule and t["kind"] == "near_miss"}
    near_misses |= {(county, subject) for region, subject in set(near_misses) for county in region.split(";")}
    found = {(county, subject_of(c)) for county, out in outputs.items()
             for c in read_csv(out / "clues.csv") if c["规则编号"] == rule}
    assert planted, f"synth planted no {rule}"
    assert found - planted == set(), f"{rule} false positives"
    assert planted - found == set(), f"{rule} missed"
    assert not (found & near_misses)


def test_expected_quarantine_rows(city_outputs):
    inputs, outputs = city_outputs
    expected = defaultdict(set)
    for row in read_csv(inputs / "expected_quarantine.csv"):
        county, _, rel = row["path"].partition("/")
        expected[county].add((rel, int(row["line"])))
    for county, out in outputs.items():
        got = {(q["文件"], int(q["行号"])) for q in read_csv(out / "quarantine.csv")}
        assert got == expected[county]
