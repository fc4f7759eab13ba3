"""P01–P03 plants and near-misses: one benefit paid twice, two pensions, one pension in two counties."""

from __future__ import annotations

from datetime import date

from fundwatch.synth.cast import Cast
from fundwatch.synth.city import Expect
from fundwatch.synth.codes import (BACK_PAY, BASIC_PENSION, FAILED, NORMAL, PENSION, RETURNED,
                                   UNEMPLOYMENT)
from fundwatch.synth.months import month_of, yyyymm


def plant_p01(cast: Cast, k: int) -> None:
    m0, m1 = cast.m0, cast.m1
    for i in range(k):
        county, scheme = cast.county(i + 1), ("110", "170", "210", "120")[i % 4]
        amount = cast.base_amount(scheme)
        if scheme == "210":
            start = m0 + cast.randint(0, cast.months - 8)
            last = start + 7
            person = cast.person(county, True, cast.birth_for(start, cast.randint(30, 50) * 12))
            cast.recipient(person, county, "210", start, status="正常" if last >= m1 else "终止",
                           contribution_months=cast.randint(130, 240))
            cast.pay(person, county, "210", start, last, amount)
            periods = [start + 3]
        else:
            person = cast.ordinary_retiree(county, scheme)
            cast.pay(person, county, scheme, m0 - 12, m1, amount)
            periods = [m0 + cast.randint(0, cast.months - 2)]
            if i == 0:
                periods.append(periods[0] + 1)
        for period in periods:
            duplicate_paid = cast.pay_day(county, period if cast.rng.random() < 0.5 else period + 1)
            cast.one_off(person, county, scheme, UNEMPLOYMENT if scheme == "210" else PENSION, period,
                         duplicate_paid, cast.monthly(person, scheme, period))
        split = scheme == "170" and county in cast.split_counties()
        cast.truth("P01", county, cast.id18(person), "plant", "duplicate",
                   f"{scheme} paid twice for {', '.join(yyyymm(p) for p in periods)} under two payment_ids"
                   + (" (基础养老金 and 个人账户养老金 rows each twice)" if split else ""),
                   expect=Expect.of(periods, less_first=True))

    county = cast.county(k + 1)
    person = cast.paid_retiree(county, "110")
    period = m0 + cast.randint(0, cast.months - 3)
    cast.one_off(person, county, "110", BACK_PAY, period, cast.pay_day(county, period + 1),
                 cast.randint(50, 300) * 100)
    cast.truth("P01", county, cast.id18(person), "near_miss", "back-pay-same-period",
               f"基本养老金 and 基本养老金补发 for the same period {yyyymm(period)}")

    county = cast.county(k + 2)
    person = cast.paid_retiree(county, "110")
    period = m0 + cast.randint(0, cast.months - 3)
    cast.one_off(person, county, "110", PENSION, period, cast.pay_day(county, period + 1),
                 cast.monthly(person, "110", period))
    cast.reverse(person, county, "110", period, period + 2)
    cast.truth("P01", county, cast.id18(person), "near_miss", "duplicate-reversed",
               f"{yyyymm(period)} paid a second time under another payment_id, that payment reversed (冲正) "
               f"in {yyyymm(period + 2)}")

    county = cast.status_county(2)
    person = cast.paid_retiree(county, "110")
    period = m0 + cast.randint(0, cast.months - 2)
    cast.one_off(person, county, "110", PENSION, period, cast.pay_day(county, period + 1),
                 cast.monthly(person, "110", period), status=RETURNED)
    cast.truth("P01", county, cast.id18(person), "near_miss", "duplicate-returned",
               f"{yyyymm(period)} paid a second time under another payment_id, that payment 退回 by the bank")

    county = cast.status_county(3)
    person = cast.paid_retiree(county, "110")
    period = m0 + cast.randint(0, cast.months - 1)
    cast.not_received(person, county, "110", period, status=FAILED)
    first_try = cast.pay_day(county, period)
    cast.one_off(person, county, "110", PENSION, period, date.fromordinal(first_try.toordinal() + 7),
                 cast.monthly(person, "110", period))
    cast.truth("P01", county, cast.id18(person), "near_miss", "failed-then-reissued",
               f"{yyyymm(period)} 失败 on {first_try}, paid again a week later under a new payment_id")

    splits = cast.split_counties()
    if not splits:
        cast.skipped.append("P01 split-pension near-misses and the P02 split plant: no county's layout "
                            "splits resident pensions (the third county's does)")
    for j, county in enumerate(splits[:1] * 2):
        person = cast.paid_retiree(county, "170")
        cast.truth("P01", county, cast.id18(person), "near_miss", "split-resident-pension",
                   "170 pension exported as 基础养老金 + 个人账户养老金 every month: one pension, two rows")


def employee_and_resident(cast: Cast, employee_county: str, resident_county: str) -> tuple[int, int]:
    """A man paid a 110 pension and, from a little later, a 170 pension: (person, first 170 month)."""
    birth = cast.birth_for(cast.m0 - cast.randint(24, 96), 720 + cast.randint(0, 3))
    employee_start = month_of(birth) + 720 + cast.randint(0, 2)
    start_170 = month_of(birth) + 720 + cast.randint(3, 12)
    person = cast.person(employee_county, True, birth)
    cast.recipient(person, employee_county, "110", employee_start, personnel_type="工人", retirement_type=NORMAL)
    cast.recipient(person, resident_county, "170", start_170)
    cast.pay_to_end(person, employee_county, "110", employee_start)
    cast.pay_to_end(person, resident_county, "170", start_170)
    return person, start_170


def plant_p02(cast: Cast, k: int) -> None:
    m0, m1 = cast.m0, cast.m1
    resident_part = (PENSION, BASIC_PENSION)  # the whole 170 pension, or its 基础养老金 where split
    for i in range(k):
        county, variant = cast.county(i + 2), i % 3
        if variant == 0:
            birth = cast.birth_for(m0 - cast.randint(24, 96), 720 + cast.randint(0, 3))
            employee_scheme, start_170, last_170 = "110", month_of(birth) + 720 + cast.randint(0, 12), m1
            male, minimum_age = True, 720
        elif variant == 1:
            birth = cast.birth_for(m0 + 3, 720)
            employee_scheme, start_170, last_170 = "120", m0 + 3, m1
            male, minimum_age = False, 660
        else:
            birth = cast.birth_for(m0 - cast.randint(12, 60), 720)
            employee_scheme, start_170, last_170 = "110", month_of(birth) + 720, m0 + cast.randint(5, cast.months - 2)
            male, minimum_age = False, 600
        employee_start = month_of(birth) + minimum_age + cast.randint(0, 2)
        person = cast.person(county, male, birth)
        cast.recipient(person, county, employee_scheme, employee_start,
                       personnel_type="干部" if employee_scheme == "120" else "工人",
                       retirement_type=NORMAL)
        cast.recipient(person, county, "170", start_170, status="正常" if last_170 == m1 else "终止")
        cast.pay_to_end(person, county, employee_scheme, employee_start)
        cast.pay(person, county, "170", start_170, last_170, cast.base_amount("170"))
        overlap = (max(start_170, employee_start, m0), last_170)
        cast.truth("P02", county, cast.id18(person), "plant", "both-pensions",
                   f"{employee_scheme} and 170 pension both paid {yyyymm(overlap[0])}-{yyyymm(overlap[1])}",
                   expect=Expect.of(range(overlap[0], overlap[1] + 1), ["170"], resident_part))

    splits = cast.split_counties()
    if splits:
        county = splits[0]
        person, start_170 = employee_and_resident(cast, county, county)
        cast.truth("P02", county, cast.id18(person), "plant", "both-pensions-resident-split",
                   f"110 pension and a 170 pension exported as 基础养老金 + 个人账户养老金, both paid "
                   f"{yyyymm(m0)}-{yyyymm(m1)}: the 基础养老金 is to be refunded",
                   expect=Expect.of(range(m0, m1 + 1), ["170"], resident_part))
    if len(cast.counties) >= 2:
        employee_county, resident_county = cast.counties[0], cast.counties[1]
        person, start_170 = employee_and_resident(cast, employee_county, resident_county)
        cast.truth("P02", f"{employee_county};{resident_county}", cast.id18(person), "plant",
                   "both-pensions-cross-county",
                   f"110 pension in {employee_county} and 170 pension in {resident_county}, both paid "
                   f"{yyyymm(m0)}-{yyyymm(m1)}: each county alone sees one pension", scope="city",
                   expect=Expect.of(range(m0, m1 + 1), ["170"], resident_part))
    else:
        cast.skipped.append("P02 cross-county plant: needs at least two counties")

    county = cast.county(k + 2)
    switch = m0 + cast.randint(3, cast.months - 3)
    birth = cast.birth_for(switch - cast.randint(12, 48), 720)
    person = cast.person(county, True, birth)
    start_170 = month_of(birth) + 720
    cast.recipient(person, county, "170", start_170, status="终止")
    cast.recipient(person, county, "110", switch + 1, retirement_type=NORMAL, personnel_type="工人",
                   contribution_months=cast.randint(180, 200))
    cast.pay(person, county, "170", start_170, switch, cast.base_amount("170"))
    cast.pay_to_end(person, county, "110", switch + 1)
    cast.truth("P02", county, cast.id18(person), "near_miss", "scheme-transfer",
               f"170 ended {yyyymm(switch)}, 110 started {yyyymm(switch + 1)} (制度衔接)")

    county = cast.county(k + 3)
    switch = m0 + cast.randint(3, cast.months - 3)
    birth = cast.birth_for(switch - cast.randint(12, 48), 720)
    person = cast.person(county, False, birth)
    start_170 = month_of(birth) + 720
    cast.recipient(person, county, "170", start_170, status="终止")
    cast.recipient(person, county, "110", switch - 1, retirement_type=NORMAL, personnel_type="工人",
                   contribution_months=cast.randint(180, 260))
    amount_110 = cast.base_amount("110")
    cast.pay(person, county, "170", start_170, switch, cast.base_amount("170"))
    cast.pay(person, county, "110", switch + 1, m1, amount_110)
    cast.back_pay(person, county, "110", (switch - 1, switch), switch + 1, amount_110)
    cast.truth("P02", county, cast.id18(person), "near_miss", "scheme-transfer-back-pay",
               f"110 基本养老金补发 for {yyyymm(switch - 1)}-{yyyymm(switch)}, months in which 170 was still paid")


def plant_p03(cast: Cast, k: int) -> None:
    m0, m1 = cast.m0, cast.m1
    if len(cast.counties) < 2:
        cast.skipped.append("P03: needs at least two counties")
        return
    pairs = [(a, b) for a in range(len(cast.counties)) for b in range(a + 1, len(cast.counties))]
    splits = cast.split_counties()
    for i in range(k):
        a, b = pairs[i % len(pairs)]
        involved = cast.counties[:3] if i == 0 and len(cast.counties) >= 3 else [cast.counties[a], cast.counties[b]]
        # a 170 pension split in one county's export and not in the other's has no benefit type in common
        scheme = "170" if i % 3 == 2 and not set(involved) & set(splits) else "110"
        person = cast.ordinary_retiree(involved[0], scheme)
        start = cast.recipient_rows[-1]["benefit_start"]
        amount = cast.base_amount(scheme)
        cast.pay(person, involved[0], scheme, start, m1, amount)
        twice: set[int] = set()
        for other in involved[1:]:
            cast.recipient(person, other, scheme, start,
                           retirement_type=cast.recipient_rows[-1]["retirement_type"],
                           personnel_type=cast.recipient_rows[-1]["personnel_type"],
                           contribution_months=cast.recipient_rows[-1]["contribution_months"])
            other_start = m0 + cast.randint(0, cast.months // 2)
            cast.pay(person, other, scheme, other_start, m1, amount)
            twice.update(range(other_start, m1 + 1))
        cast.truth("P03", ";".join(sorted(involved)), cast.id18(person), "plant", "same-pension-two-counties",
                   f"{scheme} 基本养老金 paid for the same periods in {' and '.join(sorted(involved))}",
                   scope="city", expect=Expect.of(twice, [scheme], less_first=True))

    origin, destination = cast.counties[0], cast.counties[1]
    person = cast.ordinary_retiree(origin, "110", status="终止")
    start = cast.recipient_rows[-1]["benefit_start"]
    moved = m0 + cast.randint(3, cast.months - 3)
    cast.recipient(person, destination, "110", start, retirement_type=NORMAL,
                   personnel_type=cast.recipient_rows[-1]["personnel_type"],
                   contribution_months=cast.recipient_rows[-1]["contribution_months"])
    amount = cast.base_amount("110")
    cast.pay(person, origin, "110", start, moved, amount)
    cast.pay(person, destination, "110", moved + 1, m1, amount)
    cast.truth("P03", f"{origin};{destination}", cast.id18(person), "near_miss", "moved", scope="city",
               note=f"moved: paid in {origin} until {yyyymm(moved)}, in {destination} from "
               f"{yyyymm(moved + 1)}")
