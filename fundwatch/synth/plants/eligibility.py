"""E01–E06 plants and near-misses: age, public employment, prison, contributions, unemployment
benefit limits and re-employment, pensions while in post.
"""

from __future__ import annotations

from datetime import date

from fundwatch.synth.cast import Cast
from fundwatch.synth.city import Expect
from fundwatch.synth.codes import (COUNTY_NAMES, EMPLOYERS, FIRST_MONTH_OF_1998, ILLNESS, NORMAL, OFFENCES,
                                   OTHER, PENSION_TYPES, PUBLIC_UNITS, SPECIAL)
from fundwatch.synth.months import day_in, month_of, yyyymm


def plant_e01(cast: Cast, k: int) -> None:
    m0 = cast.m0
    variants = (  # scheme, male, retirement type, personnel type, minimum age in months
        ("170", True, "", "", 720), ("110", True, NORMAL, "工人", 720), ("110", False, NORMAL, "工人", 600),
        ("110", True, SPECIAL, "工人", 660), ("120", False, NORMAL, "干部", 660), ("110", False, SPECIAL, "工人", 540),
    )
    for i in range(max(k, 5)):
        scheme, male, retirement_type, personnel_type, minimum = variants[i % len(variants)]
        county = cast.county(i + 3)
        start = m0 - cast.randint(0, 48) if i % 2 == 0 else m0 + cast.randint(0, cast.months - 2)
        short_by = cast.randint(1, 8) if scheme == "170" else cast.randint(13, 30)
        person = cast.retiree(county, scheme, male=male, age_months=minimum - short_by, start=start,
                              retirement_type=retirement_type, personnel_type=personnel_type)
        cast.pay_to_end(person, county, scheme, start)
        who = " ".join(w for w in ("male" if male else "female", personnel_type, retirement_type or "resident") if w)
        cast.truth("E01", county, cast.id18(person), "plant", "below-age",
                   f"{scheme} {who} started {yyyymm(start)}, {short_by} months before age {minimum // 12}")

    near_misses = (  # scheme, male, retirement type, personnel type, age in months at start, birth day
        ("110", True, SPECIAL, "工人", 660, 31, "特殊工种提前退休 male exactly in the month of his 55th birthday"),
        ("110", False, ILLNESS, "工人", 540, 30, "因病提前退休 female at 45, the birthday month"),
        ("170", False, "", "", 720, 29, "170 starting in the month of the 60th birthday"),
        ("110", True, OTHER, "工人", 600, 15, "retirement type 其他 at 50 (not checked)"),
        ("110", False, NORMAL, "工人", 600, 31, "正常退休 female 工人 exactly at 50"),
        ("120", False, NORMAL, "干部", 660, 28, "正常退休 female 干部 exactly at 55"),
    )
    for j, (scheme, male, retirement_type, personnel_type, age, day, note) in enumerate(near_misses):
        county = cast.county(j)
        start = m0 - cast.randint(0, 30) if j % 2 else m0 + cast.randint(0, cast.months - 2)
        if scheme == "170":  # born on 29 February where the calendar allows it
            for candidate in range(start, start - 60, -1):
                if (candidate - 720) % 12 == 1 and (candidate - 720) // 12 % 4 == 0:
                    start = candidate
                    break
        person = cast.retiree(county, scheme, male=male, age_months=age, start=start,
                              retirement_type=retirement_type, personnel_type=personnel_type, birth_day=day)
        cast.pay_to_end(person, county, scheme, start)
        cast.truth("E01", county, cast.id18(person), "near_miss", "at-minimum-age",
                   f"{note}: born {cast.person_rows[person]['birth']}, started {yyyymm(start)}")


def public_employee(cast: Cast, person: int, unit: str, start: date, end: date | None) -> None:
    cast.public_employee_rows.append(dict(person=person, unit_name=unit, start_date=start, end_date=end))


def plant_e02(cast: Cast, k: int) -> None:
    m0, m1 = cast.m0, cast.m1
    for i in range(k):
        county = cast.county(i + 4)
        person = cast.paid_retiree(county, "170")
        end = None if i % 2 == 0 else cast.random_day_in(m0 + cast.randint(1, cast.months - 1))
        unit = COUNTY_NAMES[county] + PUBLIC_UNITS[i % len(PUBLIC_UNITS)]
        joined = date(cast.randint(1985, 2005), cast.randint(1, 12), cast.randint(1, 28))
        public_employee(cast, person, unit, joined, end)
        last = m1 if end is None else month_of(end)
        cast.truth("E02", county, cast.id18(person), "plant", "resident-pension-in-post",
                   f"在编 at {unit} ({'no end date' if end is None else f'until {end}'}) and paid 170 pension",
                   expect=Expect.of(range(m0, last + 1), ["170"]))

    for j, gap in enumerate((1, cast.randint(24, 60))):
        county = cast.county(k + 4 + j)
        start = m0 - cast.randint(12, 60)
        person = cast.paid_retiree(county, "170", start=start)
        ended = day_in(start - gap, 31)
        public_employee(cast, person, COUNTY_NAMES[county] + PUBLIC_UNITS[j], date(1990, 9, 1), ended)
        cast.truth("E02", county, cast.id18(person), "near_miss", "left-before-pension",
                   f"left public employment {ended}; 170 pension began {yyyymm(start)}")


def plant_e03(cast: Cast, k: int) -> None:
    m0, m1 = cast.m0, cast.m1
    for i in range(k):
        county, variant = cast.county(i + 5), i % 3
        sentenced = m0 + cast.randint(1, cast.months - 6)
        released = sentenced + cast.randint(3, 5)
        person = cast.ordinary_retiree(county, "110", status="暂停" if variant == 2 else "正常")
        amount = cast.base_amount("110")
        if variant == 0:
            released, last_paid = None, m1
            cast.pay(person, county, "110", m0 - 12, m1, amount)
        elif variant == 1:
            last_paid = released - 1
            cast.pay(person, county, "110", m0 - 12, m1, amount)
        else:
            released, last_paid = None, sentenced + 2
            cast.pay(person, county, "110", m0 - 12, last_paid, amount)
        start_day = cast.random_day_in(sentenced)
        end_day = None if released is None else cast.random_day_in(released)
        cast.prisoner_rows.append(dict(person=person, sentence_start=start_day, sentence_end=end_day,
                                       offence=OFFENCES[i % len(OFFENCES)]))
        earlier = ""
        if i == 0:
            before = date(cast.randint(2008, 2014), cast.randint(1, 12), cast.randint(1, 28))
            served = date(before.year + cast.randint(1, 3), cast.randint(1, 12), cast.randint(1, 28))
            cast.prisoner_rows.append(dict(person=person, sentence_start=before, sentence_end=served,
                                           offence=OFFENCES[(i + 3) % len(OFFENCES)]))
            earlier = f"; an earlier sentence {before} to {served}"
        case = "two-sentences" if earlier else "pension-in-prison"
        cast.truth("E03", county, cast.id18(person), "plant", case,
                   f"sentenced {start_day}{'' if end_day is None else f' to {end_day}'}; pension paid "
                   f"{yyyymm(sentenced + 1)}-{yyyymm(last_paid)}{earlier}",
                   expect=Expect.of(range(sentenced + 1, last_paid + 1), ["110"], PENSION_TYPES))

    county = cast.county(k + 5)
    sentenced = m0 + cast.randint(1, cast.months - 7)
    released = sentenced + cast.randint(3, 5)
    person = cast.ordinary_retiree(county, "110")
    amount = cast.base_amount("110")
    cast.pay(person, county, "110", m0 - 12, sentenced, amount)
    cast.pay(person, county, "110", released, m1, amount)
    start_day, end_day = day_in(sentenced, cast.randint(3, 25)), day_in(released, cast.randint(3, 25))
    cast.prisoner_rows.append(dict(person=person, sentence_start=start_day, sentence_end=end_day,
                                   offence="危险驾驶罪"))
    cast.truth("E03", county, cast.id18(person), "near_miss", "paid-in-start-and-end-months",
               f"sentenced {start_day} to {end_day}: paid for the start month, suspended, resumed in the end month")


def plant_e04(cast: Cast, k: int) -> None:
    m0, m1 = cast.m0, cast.m1
    earliest = max(FIRST_MONTH_OF_1998, m0 - 240)
    for i in range(k):
        county = cast.county(i + 6)
        start = cast.randint(earliest, m1 - 1)
        months_paid_in = cast.randint(90, 179)
        male = i % 2 == 0
        person = cast.retiree(county, "110", male=male, age_months=(720 if male else 600) + cast.randint(0, 4),
                              start=start, contribution_months=months_paid_in)
        cast.pay_to_end(person, county, "110", start)
        cast.truth("E04", county, cast.id18(person), "plant", "short-contributions",
                   f"110 from {yyyymm(start)} with {months_paid_in} contribution months")

    county = cast.county(k + 6)
    start = cast.randint(earliest, m1 - 1)
    person = cast.retiree(county, "110", male=True, age_months=720, start=start, contribution_months=180)
    cast.pay_to_end(person, county, "110", start)
    cast.truth("E04", county, cast.id18(person), "near_miss", "exactly-180-months",
               f"exactly 180 contribution months, from {yyyymm(start)}")

    county = cast.county(k + 7)
    start = FIRST_MONTH_OF_1998 - 1
    person = cast.retiree(county, "110", male=True, age_months=720, start=start, contribution_months=120)
    cast.pay_to_end(person, county, "110", start)
    cast.truth("E04", county, cast.id18(person), "near_miss", "retired-before-1998",
               "retired 199712 with 120 contribution months")


def unemployed(cast: Cast, county: str, start: int, contribution_months: int, status: str,
               age_months: int | None = None, male: bool = True) -> int:
    age = age_months if age_months is not None else cast.randint(28, 52) * 12
    person = cast.person(county, male, cast.birth_for(start, age))
    cast.recipient(person, county, "210", start, status=status, contribution_months=contribution_months)
    return person


def employed(cast: Cast, person: int, first: int, last: int, employer: str) -> None:
    for period in range(first, last + 1):
        cast.employment_rows.append(dict(person=person, period=period, unit_name=employer))


def plant_e05(cast: Cast, k: int) -> None:
    m0, m1 = cast.m0, cast.m1
    for i in range(max(k, 3)):
        county, variant = cast.county(i + 7), "abc"[i % 3]
        employer = COUNTY_NAMES[county] + EMPLOYERS[i % len(EMPLOYERS)]
        amount = cast.base_amount("210")
        if variant == "a":
            contribution, allowed = (90, 18) if i >= 3 and cast.months >= 20 else (30, 12)
            paid_months = min(allowed + 2, cast.months)
            start = m0 + cast.randint(0, cast.months - paid_months)
            last = start + paid_months - 1
            person = unemployed(cast, county, start, contribution, "正常" if last == m1 else "终止")
            cast.pay(person, county, "210", start, last, amount)
            improper = range(start + allowed, last + 1)
            note = f"{paid_months} months of 失业保险金 with {contribution} contribution months (max {allowed})"
        elif variant == "b":
            start = m0 + cast.randint(0, cast.months - 8)
            last = start + 5
            person = unemployed(cast, county, start, 100, "终止")
            cast.pay(person, county, "210", start, last, amount)
            employed(cast, person, start - 12, start - 1, employer)
            employed(cast, person, last - 2, m1, COUNTY_NAMES[county] + EMPLOYERS[(i + 1) % len(EMPLOYERS)])
            improper = range(last - 2, last + 1)
            note = f"re-employed from {yyyymm(last - 2)} while paid until {yyyymm(last)}"
        else:
            start = m0 + cast.randint(0, cast.months - 7)
            pension_start = start + 4
            person = unemployed(cast, county, start, 300, "终止", age_months=720 - 4)
            cast.recipient(person, county, "110", pension_start, retirement_type=NORMAL, personnel_type="工人",
                           contribution_months=300)
            cast.pay(person, county, "210", start, start + 5, amount)
            cast.pay_to_end(person, county, "110", pension_start)
            improper = range(pension_start, start + 6)
            note = f"失业保险金 still paid {yyyymm(pension_start)}-{yyyymm(start + 5)} after the pension began"
        cast.truth("E05", county, cast.id18(person), "plant", f"unemployment-{variant}", f"({variant}) {note}",
                   expect=Expect.of(improper, ["210"]))

    if len(cast.counties) >= 2:
        benefit_county, pension_county = cast.counties[0], cast.counties[1]
        start = m0 + cast.randint(0, cast.months - 7)
        pension_start = start + 3
        person = unemployed(cast, benefit_county, start, 300, "终止", age_months=720 - 3)
        cast.recipient(person, pension_county, "110", pension_start, retirement_type=NORMAL,
                       personnel_type="工人", contribution_months=300)
        cast.pay(person, benefit_county, "210", start, start + 5, cast.base_amount("210"))
        cast.pay_to_end(person, pension_county, "110", pension_start)
        cast.truth("E05", f"{benefit_county};{pension_county}", cast.id18(person), "plant",
                   "unemployment-c-cross-county",
                   f"(c) 失业保险金 in {benefit_county} until {yyyymm(start + 5)}, 110 pension in {pension_county} "
                   f"from {yyyymm(pension_start)}: each county alone sees one benefit", scope="city",
                   expect=Expect.of(range(pension_start, start + 6), ["210"]))
    else:
        cast.skipped.append("E05 cross-county plant: needs at least two counties")

    county = cast.county(k + 7)
    start = m0 + cast.randint(0, cast.months - 12)
    person = unemployed(cast, county, start, 30, "终止" if start + 11 < m1 else "正常")
    cast.pay(person, county, "210", start, start + 11, cast.base_amount("210"))
    cast.truth("E05", county, cast.id18(person), "near_miss", "exactly-12-months",
               "exactly 12 months with 30 contribution months")
    if cast.months >= 18:
        county = cast.county(k + 8)
        start = m0 + cast.randint(0, cast.months - 18)
        person = unemployed(cast, county, start, 60, "终止" if start + 17 < m1 else "正常")
        cast.pay(person, county, "210", start, start + 17, cast.base_amount("210"))
        cast.truth("E05", county, cast.id18(person), "near_miss", "exactly-18-months",
                   "exactly 18 months with 60 contribution months")
    county = cast.county(k + 9)
    start = m0 + cast.randint(1, cast.months - 7)
    person = unemployed(cast, county, start, 150, "终止")
    cast.pay(person, county, "210", start, start + 4, cast.base_amount("210"))
    employed(cast, person, start - 10, start - 1, COUNTY_NAMES[county] + EMPLOYERS[0])
    employed(cast, person, start + 5, m1, COUNTY_NAMES[county] + EMPLOYERS[1])
    cast.truth("E05", county, cast.id18(person), "near_miss", "employed-around",
               "employed until the month before and from the month after the 失业保险金")


def plant_e06(cast: Cast, k: int) -> None:
    m0, m1 = cast.m0, cast.m1
    for i in range(k):
        county, scheme = cast.county(i + 10), ("110", "120")[i % 2]
        person = cast.paid_retiree(county, scheme)
        end = None if i % 2 == 0 else cast.random_day_in(m0 + cast.randint(1, cast.months - 2))
        unit = COUNTY_NAMES[county] + PUBLIC_UNITS[(i + 3) % len(PUBLIC_UNITS)]
        joined = date(cast.randint(1992, 2008), cast.randint(1, 12), cast.randint(1, 28))
        public_employee(cast, person, unit, joined, end)
        earlier = ""
        if i == 0:
            first_unit = COUNTY_NAMES[county] + PUBLIC_UNITS[(i + 7) % len(PUBLIC_UNITS)]
            public_employee(cast, person, first_unit, date(joined.year - cast.randint(4, 8), 9, 1),
                            date.fromordinal(joined.toordinal() - 1))
            earlier = f", before that at {first_unit}"
        last = m1 if end is None else month_of(end)
        case = "two-units" if earlier else "employee-pension-in-post"
        until = "no end date" if end is None else f"until {end}"
        cast.truth("E06", county, cast.id18(person), "plant", case,
                   f"在编 at {unit} since {joined} ({until}){earlier}, "
                   f"and paid a {scheme} pension {yyyymm(m0)}-{yyyymm(last)}",
                   expect=Expect.of(range(m0, last + 1), [scheme], PENSION_TYPES))

    county = cast.county(k + 10)
    start = m0 + cast.randint(2, cast.months - 3)
    person = cast.paid_retiree(county, "120", start=start)
    ended = day_in(start - 1, 31)
    public_employee(cast, person, COUNTY_NAMES[county] + PUBLIC_UNITS[4], date(1991, 3, 1), ended)
    cast.truth("E06", county, cast.id18(person), "near_miss", "left-the-month-before",
               f"在编 until {ended}; 120 pension from {yyyymm(start)}")

    county = cast.county(k + 11)
    start = m0 - cast.randint(6, 60)
    person = cast.paid_retiree(county, "110", start=start)
    moved = date(1999 + cast.randint(0, 5), cast.randint(1, 12), 1)
    ended = day_in(start - cast.randint(1, 3), 31)
    public_employee(cast, person, COUNTY_NAMES[county] + PUBLIC_UNITS[5], date(1988, 7, 1),
                    date.fromordinal(moved.toordinal() - 1))
    public_employee(cast, person, COUNTY_NAMES[county] + PUBLIC_UNITS[6], moved, ended)
    cast.truth("E06", county, cast.id18(person), "near_miss", "retired-from-two-units",
               f"two public units, the second left {ended}; 110 pension from {yyyymm(start)}; "
               "re-employment after retirement (返聘) is not 在编")
