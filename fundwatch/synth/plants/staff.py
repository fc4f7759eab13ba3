"""S01–S04 plants and near-misses (CLUES.md), each with operators of its own.

They add their people before the city is assembled; what they need once accounts exist (operations,
account changes, staff) waits in a StaffPlan for fundwatch.synth.operations.
"""

from __future__ import annotations

from datetime import datetime

from fundwatch.synth.cast import Cast
from fundwatch.synth.codes import STAFF_PER_COUNTY
from fundwatch.synth.months import day_in, yyyymm


def staff_id(cast: Cast, county: str, number: int) -> str:
    return f"JB{cast.counties.index(county) + 1:02d}{number:02d}"


class StaffPlan:
    """What the S-rule plants need once accounts exist: operations, account changes, staff."""

    def __init__(self, cast: Cast):
        self.cast = cast
        self.next_number = {c: 21 for c in cast.counties}  # plant and near-miss staff: JBcc21, JBcc22, ...
        self.operations: list[dict] = []  # county, time, op_type, person, operator, reviewer, old, new, months
        self.changes: list[dict] = []  # person, county, time, account (a key of `accounts`), operator
        self.staff: list[dict] = []  # operator_id, county, person (a recipient) or None, account key or None
        self.truth: list[dict] = []
        self.plant_people: set[int] = set()

    def operator(self, county: str) -> str:
        number = self.next_number[county]
        self.next_number[county] += 1
        self.staff.append(dict(operator_id=staff_id(self.cast, county, number), county=county, person=None,
                               account=("own", county, number)))
        return staff_id(self.cast, county, number)

    def regular(self, county: str) -> str:
        return staff_id(self.cast, county, self.cast.randint(1, STAFF_PER_COUNTY))

    def op(self, county: str, when: datetime, op_type: str, person: int, operator: str, *, old=None, new=None,
           months: int | None = None) -> None:
        reviewer = self.regular(county)
        while reviewer == operator:
            reviewer = self.regular(county)
        self.operations.append(dict(county=county, time=when, op_type=op_type, person=person, operator=operator,
                                    reviewer=reviewer, old=old, new=new, months=months))

    def change(self, county: str, when: datetime, person: int, account, operator: str) -> None:
        self.changes.append(dict(county=county, time=when, person=person, account=account, operator=operator))
        self.op(county, when, "变更账号", person, operator, old=("current", person), new=account)

    def at(self, month: int, day: int, hour: int | None = None) -> datetime:
        moment = day_in(month, day)
        return datetime(moment.year, moment.month, moment.day, hour if hour is not None else self.cast.randint(8, 16),
                        self.cast.randint(0, 59))

    def truth_row(self, rule: str, county: str, subject, kind: str, note: str) -> None:
        self.truth.append(dict(rule_id=rule, region_code=county, subject_key=subject, kind=kind, note=note))


def plant_staff_rules(cast: Cast, k: int) -> None:
    """S01–S04 plants and near-misses (CLUES.md), each with operators of its own."""
    plan = StaffPlan(cast)
    cast.staff_plan = plan
    m0, m1, months = cast.m0, cast.m1, cast.months
    for i in range(k):
        county = cast.county(i)
        # S01: a recipient's pension moved into a clerk's own account; every other plant's clerk works in
        # another county (a clerk in one county paid into an account used in another)
        owner_county = cast.county(i + 1) if i % 2 and len(cast.counties) > 1 else county
        owner = plan.operator(owner_county)
        person = cast.paid_retiree(county, "110")
        moved = m0 + cast.randint(3, months - 4)
        plan.change(county, plan.at(moved, cast.randint(1, 6)), person, ("own", owner_county, int(owner[-2:])),
                    owner if owner_county == county else plan.regular(county))
        plan.plant_people.add(person)
        plan.truth_row("S01", county, owner, "plant",
                       f"pension paid into the own account of {owner} (a clerk of {owner_county}) from {yyyymm(moved)}")

        # S02: 恢复发放 after the death month, or 补发 followed by payments for periods after it
        operator = plan.operator(county)
        person = cast.ordinary_retiree(county, "110")
        died_month = m0 + cast.randint(2, months - 7)
        died = day_in(died_month, cast.randint(1, 20))
        cast.death(person, died, "公安")
        amount = cast.base_amount("110")
        cast.pay(person, county, "110", m0 - 12, died_month, amount)
        if i % 2 == 0:
            resumed = died_month + cast.randint(2, 3)
            plan.op(county, plan.at(resumed, cast.randint(1, 5)), "恢复发放", person, operator)
            cast.pay(person, county, "110", resumed, m1, amount)
            note = f"died {died}; 恢复发放 in {yyyymm(resumed)}, paid {yyyymm(resumed)}-{yyyymm(m1)}"
        else:
            paid_month = died_month + cast.randint(3, 4)
            plan.op(county, plan.at(paid_month, cast.randint(1, 5)), "补发", person, operator, months=3)
            cast.back_pay(person, county, "110", range(died_month + 1, died_month + 4), paid_month, amount)
            note = (f"died {died}; 补发 of {yyyymm(died_month + 1)}-{yyyymm(died_month + 3)} "
                    f"in {yyyymm(paid_month)}")
        plan.plant_people.add(person)
        plan.truth_row("S02", county, operator, "plant", note)
        plan.truth_row("D01", county, ("id", person), "plant", f"S02 plant: {note}")

        # S03: account changed, then three or four months of back pay into the new account
        operator = plan.operator(county)
        person = cast.ordinary_retiree(county, "110")
        amount = cast.base_amount("110")
        cast.pay(person, county, "110", m0 - 12, m1, amount)
        changed = m0 + cast.randint(7, months - 2)
        plan.change(county, plan.at(changed, cast.randint(1, 4)), person, ("outsider", county, i, "S03"), operator)
        arrears = 3 + i % 2
        plan.op(county, plan.at(changed, cast.randint(5, 8)), "补发", person, plan.regular(county), months=arrears)
        cast.back_pay(person, county, "110", range(changed - 6, changed - 6 + arrears), changed, amount)
        plan.plant_people.add(person)
        plan.truth_row("S03", county, operator, "plant",
                       f"account changed in {yyyymm(changed)}, {arrears} months of back pay into the new account")

        # S04: one operator moves three people to one account (also an A01 clue: one account, three people)
        operator = plan.operator(county)
        first = m0 + cast.randint(2, months - 5)
        target = ("outsider", county, i, "S04")
        for j in range(3):
            scheme = "170" if j % 2 else "110"
            person = cast.paid_retiree(county, scheme)
            plan.change(county, plan.at(first + j, cast.randint(1, 6)), person, target, operator)
            plan.plant_people.add(person)
        plan.truth_row("S04", county, operator, "plant", f"three people moved to one account from {yyyymm(first)}")
        plan.truth_row("A01", county, ("account", target), "plant", "S04 plant: three people moved to one account")

    _plant_staff_near_misses(cast, plan, k)


def _plant_staff_near_misses(cast: Cast, plan: StaffPlan, k: int) -> None:
    m0, m1, months = cast.m0, cast.m1, cast.months
    # S01: a clerk's own pension into the clerk's own account
    county = cast.county(k)
    clerk = plan.operator(county)
    person = cast.paid_retiree(county, "110")
    plan.staff[-1].update(person=person, account=None)
    plan.plant_people.add(person)
    plan.truth_row("S01", county, clerk, "near_miss", "a clerk's own pension into the clerk's own account")

    # S02: a resumption before the death; arrears for months alive paid after the death
    county = cast.county(k + 1)
    operator = plan.operator(county)
    person = cast.ordinary_retiree(county, "110", status="终止")
    suspended = m0 + cast.randint(1, months - 9)
    resumed = suspended + 2
    died_month = resumed + cast.randint(2, 4)
    amount = cast.base_amount("110")
    cast.pay(person, county, "110", m0 - 12, suspended - 1, amount)
    cast.pay(person, county, "110", resumed, died_month, amount)
    cast.death(person, day_in(died_month, 20), "民政")
    plan.op(county, plan.at(suspended, cast.randint(1, 5)), "暂停发放", person, plan.regular(county))
    plan.op(county, plan.at(resumed, cast.randint(1, 5)), "恢复发放", person, operator)
    plan.plant_people.add(person)
    plan.truth_row("S02", county, operator, "near_miss",
                   f"恢复发放 in {yyyymm(resumed)}, died {day_in(died_month, 20)}, paid through the death month")

    county = cast.county(k + 2)
    operator = plan.operator(county)
    person = cast.ordinary_retiree(county, "110", status="终止")
    died_month = m0 + cast.randint(3, months - 4)
    amount = cast.base_amount("110")
    cast.pay(person, county, "110", m0 - 12, died_month - 2, amount)
    cast.death(person, day_in(died_month, 8), "卫健")
    plan.op(county, plan.at(died_month + 2, cast.randint(1, 5)), "补发", person, operator, months=2)
    cast.back_pay(person, county, "110", (died_month - 1, died_month), died_month + 2, amount)
    plan.plant_people.add(person)
    plan.truth_row("S02", county, operator, "near_miss",
                   f"补发 after the death ({day_in(died_month, 8)}) of {yyyymm(died_month - 1)}-{yyyymm(died_month)}, "
                   "months the person was alive")

    # S03: two months of back pay after a change; three months, but 120 days after the change
    for j, (arrears, delay, note) in enumerate(((2, 0, "a 2-month back pay after an account change"),
                                                (3, 4, "3 months of back pay 4 months after the change"))):
        county = cast.county(k + j)
        operator = plan.operator(county)
        person = cast.ordinary_retiree(county, "110")
        amount = cast.base_amount("110")
        cast.pay(person, county, "110", m0 - 12, m1, amount)
        changed = m0 + cast.randint(7, months - 2 - delay)
        plan.change(county, plan.at(changed, 2), person, ("outsider", county, j, "S03 near"), operator)
        paid = changed + delay
        plan.op(county, plan.at(paid, cast.randint(5, 8)), "补发", person, operator, months=arrears)
        cast.back_pay(person, county, "110", range(changed - 6, changed - 6 + arrears), paid, amount)
        plan.plant_people.add(person)
        plan.truth_row("S03", county, operator, "near_miss", note)

    # S04: one operator moves three people to three different accounts
    county = cast.county(k + 1)
    operator = plan.operator(county)
    first = m0 + cast.randint(2, months - 5)
    for j in range(3):
        person = cast.paid_retiree(county, "170")
        plan.change(county, plan.at(first + j, 3), person, ("outsider", county, j, "S04 near"), operator)
        plan.plant_people.add(person)
    plan.truth_row("S04", county, operator, "near_miss", "three people moved to three different accounts")
