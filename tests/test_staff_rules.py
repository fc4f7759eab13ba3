"""S01–S04 on one county (CLUES.md, S-rules): the operations log (经办操作日志) and the staff list
(经办人员信息) loaded like every table, each case its own people and operator, the real rules run
once; and a run without those files skips the rules that need them, with the reason."""

from __future__ import annotations

import datetime as dt

import pytest

from checks.registry import load_registry
from checks.rule_runner import assemble_clues, run_rule, write_catalogue
from fundwatch.db import connect
from fundwatch.ingest import discover
from fundwatch.load import load_inputs
from fundwatch.management import build_management, rules_available
from models.scoring import score_recipients
from tests.builders import COUNTY, PAYMENT_HEADERS, RECIPIENT_HEADERS, Person, write_csv
from tests.rule_harness import clues_for

OPERATION_HEADERS = {"op_id": "操作流水号", "op_time": "操作时间", "op_type": "操作类型", "id_number": "对象身份证号",
                     "operator_id": "经办人", "reviewer_id": "审核人", "old_value": "变更前", "new_value": "变更后",
                     "months": "补发月数", "region_code": "行政区划代码"}
STAFF_HEADERS = {"operator_id": "工号", "id_number": "公民身份号码", "name": "姓名", "bank_account": "本人银行账号",
                 "unit_name": "所在机构"}
DEATH_HEADERS = {"id_number": "公民身份号码", "name": "姓名", "death_date": "死亡日期", "source": "数据来源",
                 "registered_date": "登记日期"}
S_RULES = ("S01", "S02", "S03", "S04")

PAYMENTS: list[dict] = []
RECIPIENTS: list[Person] = []
OPERATIONS: list[dict] = []
STAFF: list[dict] = []
DEATHS: list[dict] = []
EXPECTED: dict[tuple[str, str], tuple[int, str]] = {}  # (rule, operator) -> (payments, amount)
NEAR_MISSES: list[str] = []  # operators that must have no S-rule clue


def person(key: int) -> Person:
    p = Person(key)
    RECIPIENTS.append(p)
    return p


def pay(p: Person, period: str, amount: str = "3000.00", benefit_type: str = "基本养老金", **extra) -> None:
    PAYMENTS.append(p.payment(period, amount, benefit_type, **extra))


def operation(p: Person, when: str, op_type: str, operator: str, **extra) -> None:
    OPERATIONS.append({"op_id": f"OP{len(OPERATIONS) + 1:05d}", "op_time": when, "op_type": op_type,
                       "id_number": p.id_number, "operator_id": operator, "reviewer_id": "SH01",
                       "region_code": COUNTY, **extra})


def died(p: Person, day: str = "2023-01-10", registered: str = "2023-01-20") -> None:
    DEATHS.append({"id_number": p.id_number, "name": p.name, "death_date": day, "source": "公安",
                   "registered_date": registered})


# S01: a recipient paid into a clerk's own account; near-miss: a clerk's own pension into their own account
CLERK = Person(900, birth=dt.date(1980, 3, 3), name="经办甲")
STAFF.append({"operator_id": "JB90", "id_number": CLERK.id_number, "name": CLERK.name,
              "bank_account": "6222000099990001", "unit_name": "社保中心"})
victim = person(1)
for period in ("202301", "202302"):
    pay(victim, period)
pay(victim, "202303", bank_account="6222000099990001")
pay(victim, "202304", bank_account="6222000099990001")
EXPECTED[("S01", "JB90")] = (2, "6000.00")
retired_clerk = person(2)
STAFF.append({"operator_id": "JB91", "id_number": retired_clerk.id_number, "name": retired_clerk.name,
              "bank_account": retired_clerk.account, "unit_name": "社保中心"})
pay(retired_clerk, "202301")
NEAR_MISSES.append("JB91")

# S02: resumption after the death month; 补发 followed by payments after the death month
resumed = person(3)
died(resumed)
pay(resumed, "202301")
operation(resumed, "2023-03-05 10:30", "恢复发放", "JB92")
pay(resumed, "202303")
pay(resumed, "202304")
EXPECTED[("S02", "JB92")] = (2, "6000.00")
back_paid = person(4)
died(back_paid)
pay(back_paid, "202301")
operation(back_paid, "2023-04-02", "补发", "JB93", months="2")
pay(back_paid, "202302", "3000.00", "基本养老金补发", pay_date="2023-04-15")
pay(back_paid, "202303", "3000.00", "基本养老金补发", pay_date="2023-04-15")
EXPECTED[("S02", "JB93")] = (2, "6000.00")
nothing_followed = person(16)
died(nothing_followed)
pay(nothing_followed, "202301")
operation(nothing_followed, "2023-02-20", "恢复发放", "JB70")
EXPECTED[("S02", "JB70")] = (0, "0.00")
# near-misses: resumption before the death; arrears for months alive paid after the death
early = person(5)
died(early, "2023-03-20", "2023-03-25")
operation(early, "2023-02-03", "恢复发放", "JB94")
pay(early, "202302")
pay(early, "202303")
NEAR_MISSES.append("JB94")
estate = person(6)
died(estate)
operation(estate, "2023-03-02", "补发", "JB95", months="2")
pay(estate, "202212", "3000.00", "基本养老金补发", pay_date="2023-03-15")
pay(estate, "202301", "3000.00", "基本养老金补发", pay_date="2023-03-15")
NEAR_MISSES.append("JB95")

# S03: account changed, then three months of back pay into the new account within 90 days
moved = person(7)
pay(moved, "202301")
operation(moved, "2023-02-01 09:00", "变更账号", "JB96", old_value=moved.account, new_value="6228480000000777")
operation(moved, "2023-02-10", "补发", "JB97", months="3")
for period in ("202210", "202211", "202212"):
    pay(moved, period, "2500.00", "基本养老金补发", pay_date="2023-02-15", bank_account="6228480000000777")
pay(moved, "202302", bank_account="6228480000000777")
EXPECTED[("S03", "JB96")] = (3, "7500.00")
# near-misses: two months only; three months but 120 days after the change
two_months = person(8)
operation(two_months, "2023-02-01", "变更账号", "JB98", old_value=two_months.account, new_value="6228480000000888")
operation(two_months, "2023-02-10", "补发", "JB98", months="2")
for period in ("202211", "202212"):
    pay(two_months, period, "2500.00", "基本养老金补发", pay_date="2023-02-15", bank_account="6228480000000888")
NEAR_MISSES.append("JB98")
late = person(9)
operation(late, "2023-01-05", "变更账号", "JB99", old_value=late.account, new_value="6228480000000999")
operation(late, "2023-05-05", "补发", "JB99", months="3")
for period in ("202210", "202211", "202212"):
    pay(late, period, "2500.00", "基本养老金补发", pay_date="2023-05-15", bank_account="6228480000000999")
NEAR_MISSES.append("JB99")

# S04: one operator moves three people to one account; near-miss: three people to three accounts
for key in (10, 11, 12):
    p = person(key)
    operation(p, f"2023-02-0{key - 8}", "变更账号", "JB80", old_value=p.account, new_value="6217000000001234")
    pay(p, "202303", "1000.00", bank_account="6217000000001234")
EXPECTED[("S04", "JB80")] = (3, "3000.00")
for key in (13, 14, 15):
    p = person(key)
    operation(p, "2023-02-03", "变更账号", "JB81", old_value=p.account, new_value=f"62170000000099{key}")
    pay(p, "202303", "1000.00", bank_account=f"62170000000099{key}")
NEAR_MISSES.append("JB81")


@pytest.fixture(scope="module")
def staff_clues(tmp_path_factory):
    root = tmp_path_factory.mktemp("staff")
    county = root / "in" / COUNTY
    write_csv(county / "payments.csv", PAYMENT_HEADERS, PAYMENTS)
    write_csv(county / "recipients.csv", RECIPIENT_HEADERS, [p.recipient() for p in RECIPIENTS])
    write_csv(county / "经办操作日志.csv", OPERATION_HEADERS, OPERATIONS, encoding="gbk")
    write_csv(root / "in" / "reference" / "staff.csv", STAFF_HEADERS, STAFF)
    write_csv(root / "in" / "reference" / "deaths.csv", DEATH_HEADERS, DEATHS)
    registry = load_registry()
    with connect(root / "run.duckdb") as con:
        reconciliation = load_inputs(con, discover(county), root)
        write_catalogue(con, registry)
        outcomes = {r: run_rule(con, registry, registry.rule(r)) for r in (*S_RULES, "D01")}
        score_recipients(con, seed=0)
        assemble_clues(con, registry, COUNTY)
        rows = con.execute("select rule_id, subject_key, subject_type, name, payment_count, amount::varchar, evidence "
                           "from clues where rule_id like 'S%'").fetchall()
        management = build_management(con, rules_available(con, registry))
        findings = con.execute("select part, stage, operator_id, reviewer_id, clue_count, people, amount::varchar, "
                               "months, note, clue_ids from management order by all").fetchall()
        regions = {r[0] for r in con.execute("select distinct region_code from clues").fetchall()}
        county_ids = con.execute("select clue_id, region_code from clues order by 1").fetchall()
        assemble_clues(con, registry, "")  # as a city list assembles them: IDs and counties from the data
        city_ids = con.execute("select clue_id, region_code from clues order by 1").fetchall()
        assert city_ids == county_ids
        loaded = dict(con.execute("select 'operations', count(*) from operations union all "
                                  "select 'staff', count(*) from staff union all "
                                  "select 'registered', count(registered_date) from deaths").fetchall())
    assert regions == {COUNTY}
    return {(r[0], r[1]): r[2:] for r in rows}, outcomes, reconciliation, loaded, (management, findings)


def test_operations_staff_and_registered_dates_load(staff_clues):
    _, _, reconciliation, loaded, _ = staff_clues
    assert loaded == {"operations": len(OPERATIONS), "staff": len(STAFF), "registered": len(DEATHS)}
    for f in reconciliation:
        assert f["rows_read"] == f["rows_loaded"] and not f["rows_quarantined"], f


@pytest.mark.parametrize("rule, operator", list(EXPECTED))
def test_planted_case_is_found_with_its_amount(staff_clues, rule, operator):
    clues, *_ = staff_clues
    subject_type, name, count, amount, _ = clues[(rule, operator)]
    assert (subject_type, name) == ("经办人", operator)
    assert (count, amount) == EXPECTED[(rule, operator)]


def test_nothing_else_fires(staff_clues):
    clues, outcomes, *_ = staff_clues
    assert all(o.status == "run" for o in outcomes.values())
    outcomes.pop("D01")
    assert set(clues) == set(EXPECTED)
    assert not {operator for _, operator in clues} & set(NEAR_MISSES)


def test_evidence_names_the_facts(staff_clues):
    clues, *_ = staff_clues
    s01 = clues[("S01", "JB90")][4]
    assert "经办甲" in s01 and "6222000099990001" in s01 and victim.name in s01
    s02 = clues[("S02", "JB92")][4]
    assert "2023-01-10" in s02 and "公安" in s02 and "恢复发放" in s02 and resumed.name in s02
    s03 = clues[("S03", "JB96")][4]
    assert "6228480000000777" in s03 and "JB97" in s03 and "3个月" in s03
    s04 = clues[("S04", "JB80")][4]
    assert "6217000000001234" in s04 and all(f"测试{k:03d}" in s04 for k in (10, 11, 12))


def test_without_operations_or_staff_the_s_rules_are_skipped_with_the_reason(tmp_path):
    p = Person(1)
    clues = clues_for(tmp_path, p.monthly("202301", "202302"), [p.recipient()], S_RULES)
    skipped = clues[("skipped", "")]
    assert set(skipped) == set(S_RULES)
    assert "经办人员信息" in skipped["S01"]
    assert all("经办操作日志" in skipped[r] for r in ("S02", "S03", "S04"))


def test_masked_clues_hide_the_staff_members_and_the_people_moved(staff_clues, tmp_path_factory):
    from fundwatch.masking import clue_rows, masked_clue

    root = next(p for p in tmp_path_factory.getbasetemp().iterdir() if p.name.startswith("staff"))
    with connect(root / "run.duckdb") as con:
        masked = {c["subject_key"] if "subject_key" in c else c["clue_id"]: masked_clue(c) for c in clue_rows(con)}
    text = " ".join(c["evidence"] for c in masked.values())
    for secret in ("经办甲", CLERK.id_number, "6222000099990001", "6217000000001234", "6228480000000777",
                   victim.name, resumed.name, "测试010"):
        assert secret not in text


def test_management_findings_trace_late_stops_desks_and_staff(staff_clues):
    *_, (management, findings) = staff_clues
    assert management["written"] and all(p["status"] == "run" for p in management["parts"])
    late = [f for f in findings if f[0] == "late_stops"]
    assert sorted((f[2], f[3], f[6], f[7]) for f in late) == [("JB01", "JB02", "6000.00", 2)] * 2
    assert all("2023-01-20" in f[8] for f in late)
    desks = {(f[1], f[2] or f[3]): f for f in findings if f[0] == "desks"}
    assert set(desks) == {("经办", "JB01"), ("审核", "JB02")}
    staff = {f[2]: f for f in findings if f[0] == "staff_clues"}
    assert set(staff) == {operator for _, operator in EXPECTED}
    assert staff["JB80"][6] == "0.00" and "3,000.00" in staff["JB80"][8]  # S04 is exposure, not 问题金额
    assert staff["JB96"][6] == "7500.00"
