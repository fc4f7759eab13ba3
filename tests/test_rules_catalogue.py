"""P02, E02–E05, A01–A03 on small hand-made cases: what must fire, and the near-misses that must not."""

import datetime as dt

from pathlib import Path

import pytest

from fundwatch.idnumber import make_id, to_legacy15
from tests.builders import Person
from tests.rule_harness import cases_in_one_county, clues_for

RULES = ("P02", "E02", "E03", "E04", "E05", "A01", "A02", "A03")


def resident(key, **kwargs) -> Person:
    return Person(key, scheme="170", birth=dt.date(1955, 1, 1), benefit_start="201501", **kwargs)


def unemployed(key, contribution_months) -> Person:
    return Person(key, scheme="210", birth=dt.date(1980, 1, 1), benefit_start="202301",
                  contribution_months=contribution_months, retirement_type="")


def months(p: Person, first: str, last: str, amount: str, benefit_type: str = "基本养老金", **overrides) -> list[dict]:
    return [p.payment(x["period"], amount, benefit_type, **overrides) for x in p.monthly(first, last)]


def case_p02_both_pensions_same_periods():
    employee = Person(1)
    as_resident = Person(1, scheme="170")
    payments = months(employee, "202301", "202306", "3000.00") + months(as_resident, "202304", "202308", "200.00")
    expected = {("P02", employee.id_number): ("6", "600.00")}
    return payments, [employee.recipient(), as_resident.recipient()], {}, expected


def case_p02_resident_ended_before_employee_started():
    employee = Person(2)
    as_resident = Person(2, scheme="170")
    payments = months(as_resident, "202301", "202303", "200.00") + months(employee, "202304", "202306", "3000.00")
    return payments, [employee.recipient(), as_resident.recipient()], {}, {}


def case_p02_back_pay_is_not_a_pension():
    employee = Person(3)
    as_resident = Person(3, scheme="170")
    payments = months(as_resident, "202301", "202303", "200.00") + [employee.payment("202302", "900.00", "基本养老金补发")]
    return payments, [employee.recipient(), as_resident.recipient()], {}, {}


def public_employee(p: Person, start: str, end: str | None = None) -> dict:
    return {"id_number": p.id_number, "name": p.name, "unit_name": "某局", "start_date": start, "end_date": end}


def case_e02_public_employee_paid_resident_pension():
    p = resident(10)
    return (months(p, "202301", "202303", "200.00"), [p.recipient()],
            {"public_employees": [public_employee(p, "2010-03-01")]}, {("E02", p.id_number): ("3", "600.00")})


def case_e02_employment_ended_before_pension():
    p = resident(11)
    return (months(p, "202301", "202303", "200.00"), [p.recipient()],
            {"public_employees": [public_employee(p, "2000-03-01", "2022-12-31")]}, {})


def case_e02_employment_ended_mid_way():
    p = resident(12)
    return (months(p, "202301", "202303", "200.00"), [p.recipient()],
            {"public_employees": [public_employee(p, "2000-03-01", "2023-02-10")]}, {("E02", p.id_number): ("2", "400.00")})


def prisoner(p: Person, start: str, end: str | None) -> dict:
    return {"id_number": p.id_number, "name": p.name, "sentence_start": start, "sentence_end": end}


def case_e03_paid_during_sentence():
    p = Person(20)
    return (p.monthly("202301", "202306"), [p.recipient()], {"prisoners": [prisoner(p, "2023-02-10", "2023-05-20")]},
            {("E03", p.id_number): ("2", "6000.00")})


def case_e03_paid_in_start_and_end_months_only():
    p = Person(21)
    payments = p.monthly("202301", "202302") + p.monthly("202305", "202306")
    return payments, [p.recipient()], {"prisoners": [prisoner(p, "2023-02-10", "2023-05-20")]}, {}


def case_e03_still_serving():
    p = Person(22)
    return (p.monthly("202301", "202304"), [p.recipient()], {"prisoners": [prisoner(p, "2023-01-05", None)]},
            {("E03", p.id_number): ("3", "9000.00")})


def case_e04_short_contributions():
    p = Person(30, benefit_start="200501", contribution_months=179)
    return p.monthly("202301", "202302"), [p.recipient()], {}, {("E04", p.id_number): ("2", "6000.00")}


def case_e04_exactly_180_months():
    p = Person(31, benefit_start="200501", contribution_months=180)
    return p.monthly("202301", "202302"), [p.recipient()], {}, {}


def case_e04_before_1998_under_old_rules():
    p = Person(32, benefit_start="199712", contribution_months=120)
    return p.monthly("202301", "202302"), [p.recipient()], {}, {}


def case_e04_unknown_contributions_skipped():
    p = Person(33, benefit_start="200501", contribution_months=None)
    q = Person(34, benefit_start="200501", contribution_months=200)
    return p.monthly("202301", "202302") + q.monthly("202301", "202302"), [p.recipient(), q.recipient()], {}, {}


def case_e05_a_beyond_allowed_months():
    p = unemployed(40, 36)
    return (months(p, "202301", "202402", "1800.00", "失业保险金"), [p.recipient()], {},
            {("E05", p.id_number): ("14", "3600.00")})


def case_e05_a_exactly_allowed_months():
    p = unemployed(41, 60)
    return months(p, "202301", "202406", "1800.00", "失业保险金"), [p.recipient()], {}, {}


def case_e05_b_while_employed():
    p = unemployed(42, 100)
    employment = [{"id_number": p.id_number, "period": "202303", "unit_name": "某公司"}]
    return (months(p, "202301", "202304", "1800.00", "失业保险金"), [p.recipient()], {"employment": employment},
            {("E05", p.id_number): ("4", "1800.00")})


def case_e05_c_with_pension():
    p = unemployed(43, 100)
    pension = p.payment("202304", "3000.00", "基本养老金", scheme="110", payment_id="pension-202304")
    return (months(p, "202301", "202304", "1800.00", "失业保险金") + [pension], [p.recipient()], {},
            {("E05", p.id_number): ("5", "1800.00")})


def case_a01_three_people_one_account():
    people = [Person(50 + i) for i in range(3)]
    payments = [x for p in people for x in p.monthly("202301", "202302")]
    payments = [dict(x, bank_account="6222999900001111") for x in payments]
    return payments, [p.recipient() for p in people], {}, {("A01", "6222999900001111"): ("6", "18000.00")}


def case_a01_two_people_one_account():
    people = [Person(60 + i) for i in range(2)]
    payments = [dict(x, bank_account="6222999900002222") for p in people for x in p.monthly("202301", "202302")]
    return payments, [p.recipient() for p in people], {}, {}


def with_id(p: Person, id_number: str, **recipient_overrides):
    payments = [dict(x, id_number=id_number) for x in p.monthly("202301", "202302")]
    return payments, [p.recipient(id_number=id_number, **recipient_overrides)]


@pytest.mark.parametrize("label, mangle", [
    ("wrong check digit", lambda n: n[:-1] + ("0" if n[-1] != "0" else "1")),
    ("wrong length", lambda n: n[:17]),
    ("letter inside", lambda n: n[:10] + "A" + n[11:]),
    ("impossible birth date", lambda n: n[:10] + "0230" + n[14:]),
])
def test_a02_invalid_numbers(tmp_path, label, mangle):
    p = Person(70)
    bad = mangle(p.id_number)
    payments, recipients = with_id(p, bad)
    clues = clues_for(tmp_path, payments, recipients, RULES)
    assert {k for k in clues if k[0] != "skipped"} == {("A02", bad)}, label
    assert clues[("A02", bad)]["amount"] == "6000.00"


def case_a02_disagrees_with_birth_date():
    p = Person(71)
    payments, recipients = with_id(p, p.id_number, birth_date="1950-07-15")
    return payments, recipients, {}, {("A02", p.id_number): ("2", "6000.00")}


def case_a02_disagrees_with_gender():
    p = Person(72)
    payments, recipients = with_id(p, p.id_number, gender="女")
    return payments, recipients, {}, {("A02", p.id_number): ("2", "6000.00")}


def case_a02_valid_legacy_and_lower_x_are_not_clues():
    p = Person(73, birth=dt.date(1949, 12, 31))
    legacy = p.id_number[:6] + p.id_number[8:17]
    payments = [dict(x, id_number=legacy) for x in p.monthly("202301", "202302")]
    x_person = next(q for q in map(Person, range(100, 200)) if q.id_number.endswith("X"))
    payments += [dict(x, id_number=x_person.id_number.lower()) for x in x_person.monthly("202301", "202302")]
    return payments, [p.recipient(id_number=legacy), x_person.recipient(id_number=x_person.id_number.lower())], {}, {}


def case_a02_fabricated_address_code_with_correct_check_digit():
    p = Person(74)
    fabricated = make_id("339900", p.birth, 74, p.male)
    payments, recipients = with_id(p, fabricated)
    return payments, recipients, {}, {("A02", fabricated): ("2", "6000.00")}


def case_a02_fabricated_legacy_number_keeps_its_18_digit_key():
    p = Person(75)
    fabricated = make_id("999999", p.birth, 75, p.male)
    payments, recipients = with_id(p, to_legacy15(fabricated))
    return payments, recipients, {}, {("A02", fabricated): ("2", "6000.00")}


@pytest.mark.parametrize("area, label", [
    ("330103", "下城区: abolished in 2021, its people keep their numbers"),
    ("330113", "临平区: created in 2021, after this person was born"),
    ("330108", "滨江区: created in 1996, after this person was born"),
    ("441900", "东莞市: a prefecture-level city without counties"),
])
def test_a02_real_division_codes_are_not_clues(tmp_path, area, label):
    p = Person(76, birth=dt.date(1950, 6, 15))
    payments, recipients = with_id(p, make_id(area, p.birth, 76, p.male))
    clues = clues_for(tmp_path, payments, recipients, RULES)
    assert {k for k in clues if k[0] != "skipped"} == set(), label


def test_a02_names_the_unknown_address_code(tmp_path):
    p = Person(77)
    fabricated = make_id("000000", p.birth, 77, p.male)
    payments, recipients = with_id(p, fabricated, gender="女")
    clue = clues_for(tmp_path, payments, recipients, RULES)[("A02", fabricated)]
    assert clue["evidence"] == (f"公民身份号码“{fabricated}”号码地址码000000不是行政区划代码（GB/T 2260历年均无此代码）；"
                                "号码显示性别为男，与性别字段“女”不一致；按该号码发放待遇2笔，合计6,000.00元")


def case_a03_operator_reviews_own_payments():
    p, q = Person(80), Person(81)
    payments = p.monthly("202301", "202303") + [dict(x, operator_id="JB07", reviewer_id="JB07")
                                                for x in q.monthly("202301", "202302")]
    return payments, [p.recipient(), q.recipient()], {}, {("A03", "JB07"): ("2", "6000.00")}


def case_a03_both_empty_is_not_a_clue():
    p = Person(82)
    payments = [dict(x, operator_id="", reviewer_id="") for x in p.monthly("202301", "202302")]
    return payments, [p.recipient()], {}, {}


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


case_clues = cases_in_one_county(CASES, RULES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_case(case_clues, name):
    *_, expected = CASES[name]()
    clues = case_clues[name]
    got = {key: (str(c["payment_count"]), c["amount"]) for key, c in clues.items() if key[0] in RULES}
    assert got == expected


def test_evidence_sentences_name_the_facts(tmp_path):
    payments, recipients, references, _ = case_e05_b_while_employed()
    pension_payments, _, _, _ = case_e05_c_with_pension()
    p = recipients[0]
    clue = clues_for(tmp_path, payments, recipients, RULES, **references)[("E05", p["id_number"])]
    assert clue["evidence"] == "(b)202303有就业参保缴费记录，同期领取失业保险金1个月；违规领取合计1,800.00元"


def test_a03_skipped_without_operator_columns(tmp_path):
    p = Person(90)
    payments = [{k: v for k, v in x.items()} for x in p.monthly("202301", "202302")]
    for x in payments:
        x["operator_id"] = x["reviewer_id"] = None
    clues = clues_for(tmp_path, payments, [p.recipient()], RULES)
    assert clues[("skipped", "")]["A03"] == "待遇发放明细缺少operator_id列或该列全部为空"
    assert clues[("skipped", "")]["E03"] == "缺少服刑人员信息（prisoners）数据"


def test_a_rule_says_which_files_lack_a_column_it_needs(tmp_path):
    """A03 needs 审核人: a second payments file without that column is named, its rows unchecked."""
    from checks.registry import load_registry
    from checks.rule_runner import run_rule
    from fundwatch.db import connect
    from fundwatch.ingest import discover
    from fundwatch.load import load_inputs
    from tests.builders import PAYMENT_HEADERS, write_county, write_csv

    p, q = Person(1), Person(2)
    county = write_county(tmp_path / "in", [dict(x, reviewer_id="JB01") for x in p.monthly("202301", "202302")],
                          [p.recipient(), q.recipient()])
    without_reviewer = {k: v for k, v in PAYMENT_HEADERS.items() if k != "reviewer_id"}
    write_csv(county / "payments_2024.csv", without_reviewer, q.monthly("202401", "202402"))
    registry = load_registry()
    with connect(tmp_path / "run.duckdb") as con:
        load_inputs(con, discover(county), tmp_path)
        outcome = run_rule(con, registry, registry.rule("A03"))
    assert outcome.status == "run" and outcome.clues == 1
    assert outcome.reason == "payments_2024.csv无审核人列，其中的记录未检查"


# ---------------------------------------------------------------------------- the rules' words are data


def test_every_rule_declares_its_words_with_the_run_thresholds():
    from checks.registry import TEXT_FIELDS, load_registry

    registry = load_registry()
    for rule in registry.rules:
        for name in TEXT_FIELDS:
            text = getattr(rule, name)
            assert text.strip() and "{{" not in text and "{%" not in text, (rule.key, name)
    assert "3个及以上" in registry.rule("A01").checks
    assert "1998年1月" in registry.rule("E04").checks and "180个月" in registry.rule("E04").checks
    assert "正常退休男60、女干部55、女工人50；特殊工种男55、女45；因病男50、女45" in registry.rule("E01").checks
    assert "前1%" in registry.rule("M01").checks


def test_an_overridden_parameter_is_the_threshold_the_words_state():
    from checks.registry import load_registry

    ages = [{**row, "age": row["age"] + 5} for row in load_registry().rule("E01").parameters["employee_min_ages"]]
    registry = load_registry(overrides={"A01": {"min_people": 5}, "S03": {"window_days": 60},
                                        "E01": {"employee_min_ages": ages}, "M01": {"top_share": 0.02}})
    assert "5个及以上" in registry.rule("A01").checks and "3个" not in registry.rule("A01").checks
    assert "3个及以上" in registry.rule("A01_city").checks  # another entry, its own parameters
    assert "60天内" in registry.rule("S03").checks
    assert "正常退休男65、女干部60、女工人55" in registry.rule("E01").checks
    assert "前2%" in registry.rule("M01").checks


def _rules_copy(tmp_path) -> Path:
    import shutil

    from fundwatch.paths import sql_dir

    return Path(shutil.copytree(sql_dir() / "rules", tmp_path / "rules"))


def _rules_without(tmp_path, sidecar: str, field_name: str) -> Path:
    import re

    rules = _rules_copy(tmp_path)
    text = (rules / sidecar).read_text(encoding="utf-8")
    (rules / sidecar).write_text(re.sub(rf"^{field_name} = .*\n", "", text, flags=re.MULTILINE), encoding="utf-8")
    return rules


@pytest.mark.parametrize("field_name", ["checks", "amount_basis", "suggestion", "policy"])
def test_a_rule_without_its_words_is_refused_at_load_naming_the_rule_and_the_field(tmp_path, field_name):
    from checks.registry import load_registry

    with pytest.raises(ValueError, match=rf"s04_accounts_moved_to_one.toml: rule S04: missing {field_name} \("):
        load_registry(rules_dir=_rules_without(tmp_path, "s04_accounts_moved_to_one.toml", field_name))


def test_words_naming_a_parameter_the_rule_lacks_are_refused_at_load(tmp_path):
    from checks.registry import load_registry

    rules = _rules_copy(tmp_path)
    sidecar = rules / "a03_self_approval.toml"
    sidecar.write_text(sidecar.read_text(encoding="utf-8").replace(
        'amount_basis = "自审自批的全部发放"', 'amount_basis = "自审自批的全部发放（{{ min_payments }}笔以上）"'),
        encoding="utf-8")
    with pytest.raises(ValueError, match=r"rule A03: amount_basis \(金额口径\): 'min_payments' is undefined"):
        load_registry(rules_dir=rules)


def test_a_sidecar_with_an_unknown_key_is_refused_naming_the_file(tmp_path):
    from checks.registry import load_registry

    rules = _rules_copy(tmp_path)
    sidecar = rules / "d01_paid_after_death.toml"
    sidecar.write_text(sidecar.read_text(encoding="utf-8").replace("severity =", "severty =", 1), encoding="utf-8")
    with pytest.raises(ValueError, match=r"d01_paid_after_death.toml: rule D01: .*severty"):
        load_registry(rules_dir=rules)


def test_the_rules_document_is_generated_from_the_sidecars(tmp_path, monkeypatch):
    from checks import catalogue_docs

    assert catalogue_docs.main(["--check"]) == 0, "docs/rules.md is stale: run python -m checks.catalogue_docs"
    stale = tmp_path / "rules.md"
    stale.write_text("old", encoding="utf-8")
    monkeypatch.setattr(catalogue_docs, "DOCS", stale)
    assert catalogue_docs.main(["--check"]) == 1 and catalogue_docs.main([]) == 0
    assert "## A01_city 多人共用同一银行账户" in stale.read_text(encoding="utf-8")
