"""D01, P01 and E01 on small hand-made cases: what must fire, and the near-misses that must not."""

import datetime as dt

import pytest

from tests.builders import Person
from tests.rule_harness import cases_in_one_county, clues_for

RULES = ("D01", "P01", "E01")


def person(key, **kwargs) -> Person:
    return Person(key, **kwargs)


def death(p: Person, day: str, source: str = "公安", id_number: str | None = None) -> dict:
    return {"id_number": id_number or p.id_number, "name": p.name, "death_date": day, "source": source}


def case_d01_paid_after_death():
    p = person(1)
    return p.monthly("202301", "202305"), [p.recipient()], {"deaths": [death(p, "2023-02-10")]}, {
        ("D01", p.id_number): ("3", "9000.00", 202303, 202305)}


def case_d01_paid_in_death_month_only():
    p = person(2)
    return p.monthly("202301", "202302"), [p.recipient()], {"deaths": [death(p, "2023-02-28")]}, {}


def case_d01_funeral_grant_after_death():
    p = person(3)
    payments = p.monthly("202301", "202302") + [p.payment("202303", "12000.00", "丧葬补助金"),
                                                 p.payment("202303", "30000.00", "抚恤金")]
    return payments, [p.recipient()], {"deaths": [death(p, "2023-02-10")]}, {}


def case_d01_back_pay_after_death_for_earlier_period():
    p = person(4)
    payments = p.monthly("202301", "202302") + [p.payment("202302", "150.00", "基本养老金补发", pay_date="2023-04-20")]
    return payments, [p.recipient()], {"deaths": [death(p, "2023-02-10")]}, {}


def case_d01_earliest_of_disagreeing_sources():
    p = person(5)
    deaths = [death(p, "2023-03-25", "公安"), death(p, "2023-02-27", "民政")]
    return p.monthly("202301", "202303"), [p.recipient()], {"deaths": deaths}, {
        ("D01", p.id_number): ("1", "3000.00", 202303, 202303)}


def case_d01_death_list_with_legacy_id():
    p = person(6)
    legacy = p.id_number[:6] + p.id_number[8:17]
    return p.monthly("202301", "202304"), [p.recipient()], {"deaths": [death(p, "2023-02-10", id_number=legacy)]}, {
        ("D01", p.id_number): ("2", "6000.00", 202303, 202304)}


def case_p01_two_payment_ids_same_period():
    p = person(10)
    payments = p.monthly("202301", "202303") + [p.payment("202302", "3000.00", payment_id="X-1", pay_date="2023-02-20")]
    return payments, [p.recipient()], {}, {("P01", p.id_number): ("2", "3000.00", 202302, 202302)}


def case_p01_two_benefit_types_in_one_period():
    p = person(11)
    payments = p.monthly("202301", "202303") + [p.payment("202302", "500.00", "基本养老金补发")]
    return payments, [p.recipient()], {}, {}


def case_p01_exact_duplicate_export_row():
    p = person(12)
    payments = p.monthly("202301", "202303")
    return payments + [dict(payments[1])], [p.recipient()], {}, {}


def case_p01_same_payment_id_differing_fields():
    p = person(13)
    payments = p.monthly("202301", "202303") + [p.payment("202302", "3100.00")]
    return payments, [p.recipient()], {}, {}


def e01(key, birth, benefit_start, first, last, expected_before_age=None, **kwargs):
    p = person(key, birth=birth, benefit_start=benefit_start, **kwargs)
    expected = {}
    if expected_before_age is not None:
        count, amount = expected_before_age
        expected = {("E01", p.id_number): (str(len(p.monthly(first, last))), amount, int(first), int(last))}
    return p.monthly(first, last), [p.recipient()], {}, expected


def case_e01_resident_one_month_before_60():
    return e01(20, dt.date(1962, 11, 2), "202210", "202210", "202212", (1, "3000.00"), scheme="170", male=False)


def case_e01_resident_in_month_of_60th_birthday():
    return e01(21, dt.date(1962, 11, 2), "202211", "202211", "202212", scheme="170", male=False)


def case_e01_male_normal_retirement_at_59():
    return e01(22, dt.date(1964, 5, 20), "202305", "202305", "202307", (3, "9000.00"))


def case_e01_female_worker_at_49():
    return e01(23, dt.date(1974, 1, 9), "202301", "202301", "202302", (2, "6000.00"), male=False)


def case_e01_female_worker_at_50():
    return e01(24, dt.date(1973, 1, 9), "202301", "202301", "202302", male=False)


def case_e01_female_cadre_at_52():
    return e01(25, dt.date(1971, 3, 1), "202303", "202303", "202304", (2, "6000.00"), male=False, personnel_type="干部")


def case_e01_special_work_male_exactly_55():
    return e01(26, dt.date(1968, 4, 30), "202304", "202304", "202306", retirement_type="特殊工种提前退休")


def case_e01_special_work_male_at_54():
    return e01(27, dt.date(1969, 4, 30), "202304", "202304", "202306", (3, "9000.00"),
               retirement_type="特殊工种提前退休")


def case_e01_illness_female_exactly_45():
    return e01(28, dt.date(1978, 2, 1), "202302", "202302", "202303", male=False, retirement_type="因病提前退休")


def case_e01_other_retirement_type_not_checked():
    return e01(29, dt.date(1975, 2, 1), "202302", "202302", "202303", retirement_type="其他")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


case_clues = cases_in_one_county(CASES, RULES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_case(case_clues, name):
    *_, expected = CASES[name]()
    clues = case_clues[name]
    got = {key: (str(c["payment_count"]), c["amount"], c["period_start"], c["period_end"])
           for key, c in clues.items() if key[0] in RULES}
    assert got == expected


def test_e01_counts_only_payments_before_age_as_improper(tmp_path):
    p = person(30, birth=dt.date(1963, 3, 10), benefit_start="202301")  # 60 in 202303
    clues = clues_for(tmp_path, p.monthly("202301", "202305"), [p.recipient()], RULES)
    clue = clues[("E01", p.id_number)]
    assert (clue["payment_count"], clue["amount"]) == (5, "6000.00")
    assert "应于202303年满60周岁" in clue["evidence"] and "达龄前发放养老金2个月" in clue["evidence"]


def test_e01_uses_recipient_birth_date_when_id_invalid(tmp_path):
    p = person(31, birth=dt.date(1964, 5, 20), benefit_start="202305")
    bad_id = p.id_number[:-1] + ("0" if p.id_number[-1] != "0" else "1")
    payments = [dict(x, id_number=bad_id) for x in p.monthly("202305", "202306")]
    clues = clues_for(tmp_path, payments, [p.recipient(id_number=bad_id)], RULES)
    assert "按出生日期字段出生日期1964-05-20" in clues[("E01", bad_id)]["evidence"]


def test_d01_evidence_names_every_source_and_the_sum(tmp_path):
    payments, recipients, references, _ = case_d01_earliest_of_disagreeing_sources()
    clue = clues_for(tmp_path, payments, recipients, RULES, **references)[("D01", recipients[0]["id_number"])]
    assert clue["evidence"] == ("死亡日期2023-02-27（公安2023-03-25、民政2023-02-27，取最早日期），"
                                "死亡次月起仍发放202303所属期待遇1个月，合计3,000.00元")


def test_d01_skipped_without_death_list(tmp_path):
    p = person(40)
    clues = clues_for(tmp_path, p.monthly("202301", "202302"), [p.recipient()], RULES)
    assert clues[("skipped", "")] == {"D01": "缺少死亡人员信息（deaths）数据"}
