"""D01 plants and near-misses: pensions paid after a death."""

from __future__ import annotations

from datetime import date

from fundwatch.idnumber import to_legacy15
from fundwatch.synth.cast import Cast
from fundwatch.synth.city import Expect
from fundwatch.synth.codes import (ACCOUNT_REFUND, BACK_PAY, DEPENDANT_BENEFIT, FUNERAL, LUMP_SUM_SURVIVOR,
                                   SURVIVOR, SURVIVOR_BENEFIT)
from fundwatch.synth.months import day_in, days_in_month, yyyymm


def plant_d01(cast: Cast, k: int) -> None:
    m0, m1 = cast.m0, cast.m1
    for i in range(k):
        county, variant = cast.county(i), ("plain", "earliest", "legacy")[i % 3]
        scheme = ("110", "170", "120")[(i // 3) % 3] if variant == "plain" else "110"
        death_month = m0 + cast.randint(1, cast.months - 3)
        amount = cast.base_amount(scheme)
        if variant == "plain":
            person = cast.ordinary_retiree(county, scheme)
            died = cast.random_day_in(death_month)
            cast.death(person, died, "民政")
            if cast.rng.random() < 0.6:
                cast.death(person, died, "公安")
            cast.pay(person, county, scheme, m0 - 12, m1, amount)
            last = m1
            note = f"died {died}, paid {yyyymm(death_month + 1)}-{yyyymm(m1)}"
        elif variant == "earliest":
            person = cast.ordinary_retiree(county, scheme, status="终止")
            police = day_in(death_month, days_in_month(death_month) - cast.randint(0, 1))
            civil = date.fromordinal(police.toordinal() + cast.randint(4, 6))
            cast.death(person, police, "公安")
            cast.death(person, civil, "民政")
            cast.pay(person, county, scheme, m0 - 12, death_month + 1, amount)
            cast.one_off_in_month(person, county, scheme, FUNERAL, death_month + 2,
                                  cast.randint(5000, 8000) * 100)
            last = death_month + 1
            note = (f"公安 {police} (earliest) vs 民政 {civil}: stopped by 民政 date, "
                    f"so {yyyymm(death_month + 1)} was paid after the death month")
        else:
            person = cast.ordinary_retiree(county, scheme)
            died = cast.random_day_in(death_month)
            cast.death(person, died, "公安", id_text=to_legacy15(cast.id18(person)))
            cast.pay(person, county, scheme, m0 - 12, m1, amount)
            last = m1
            note = f"death list carries the legacy 15-digit ID; died {died}, paid until {yyyymm(m1)}"
        cast.truth("D01", county, cast.id18(person), "plant", f"death-{variant}", note,
                   expect=Expect.of(range(death_month + 1, last + 1)))

    death_month = m0 + cast.randint(1, cast.months - 6)
    county = cast.status_county(0)
    person = cast.ordinary_retiree(county, "110", status="终止")
    died = cast.random_day_in(death_month)
    cast.death(person, died, "民政")
    cast.pay(person, county, "110", m0 - 12, death_month + 4, cast.base_amount("110"))
    for period in (death_month + 3, death_month + 4):
        cast.not_received(person, county, "110", period)
    cast.truth("D01", county, cast.id18(person), "plant", "death-partly-returned",
               f"died {died}; pension for {yyyymm(death_month + 1)}-{yyyymm(death_month + 2)} received, for "
               f"{yyyymm(death_month + 3)}-{yyyymm(death_month + 4)} 退回 (account closed): only the received "
               "count",
               expect=Expect.of(range(death_month + 1, death_month + 5)))

    county = cast.county(1)
    person = cast.ordinary_retiree(county, "120", status="终止")
    died = cast.random_day_in(death_month)
    cast.death(person, died, "公安")
    cast.pay(person, county, "120", m0 - 12, death_month + 3, cast.base_amount("120"))
    for period in (death_month + 2, death_month + 3):
        cast.reverse(person, county, "120", period, death_month + 4)
    cast.truth("D01", county, cast.id18(person), "plant", "death-partly-reversed",
               f"died {died}; pension paid {yyyymm(death_month + 1)}-{yyyymm(death_month + 3)}, the last two "
               f"reversed (冲正) in {yyyymm(death_month + 4)}: {yyyymm(death_month + 1)} remains improper",
               expect=Expect.of(range(death_month + 1, death_month + 4)))

    near = cast.county(k)
    death_month = m0 + cast.randint(2, cast.months - 3)
    person = cast.ordinary_retiree(near, "110", status="终止")
    cast.death(person, day_in(death_month, 2), "民政")
    cast.pay(person, near, "110", m0 - 12, death_month, cast.base_amount("110"))
    cast.truth("D01", near, cast.id18(person), "near_miss", "death-month-paid",
               f"died {day_in(death_month, 2)}; last pension is for the death month, paid after the death date")

    near = cast.county(k + 1)
    person = cast.ordinary_retiree(near, "120", status="终止")
    amount = cast.base_amount("120")
    cast.death(person, day_in(death_month, 11), "公安")
    cast.death(person, day_in(death_month, 13), "卫健")
    cast.pay(person, near, "120", m0 - 12, death_month, amount)
    cast.one_off_in_month(person, near, "120", FUNERAL, death_month + 1, cast.randint(5000, 8000) * 100)
    cast.one_off_in_month(person, near, "120", SURVIVOR, death_month + 1, amount * 12)
    cast.truth("D01", near, cast.id18(person), "near_miss", "death-one-offs",
               "丧葬补助金 and 抚恤金 paid the month after death")

    near = cast.county(k + 2)
    person = cast.ordinary_retiree(near, "110", status="终止")
    amount = cast.base_amount("110")
    cast.death(person, day_in(death_month, 20), "民政")
    cast.pay(person, near, "110", m0 - 12, death_month, amount)
    for period in (death_month - 1, death_month):
        cast.one_off(person, near, "110", BACK_PAY, period, cast.pay_day(near, death_month + 1),
                     cast.randint(80, 300) * 100)
    cast.truth("D01", near, cast.id18(person), "near_miss", "death-back-pay",
               f"基本养老金补发 for {yyyymm(death_month - 1)} and {yyyymm(death_month)} paid after the death")

    near = cast.county(k + 3)
    person = cast.ordinary_retiree(near, "170", status="终止")
    cast.death(person, day_in(death_month, 7), "卫健")
    cast.pay(person, near, "170", m0 - 12, death_month, cast.base_amount("170"))
    cast.one_off_in_month(person, near, "170", ACCOUNT_REFUND, death_month + 2,
                          cast.randint(1000, 30000) * 100)
    cast.truth("D01", near, cast.id18(person), "near_miss", "death-account-refund",
               "个人账户余额退还 paid two months after death")

    death_month = m0 + cast.randint(1, cast.months - 4)
    near = cast.status_county(1)
    person = cast.ordinary_retiree(near, "110", status="终止")
    died = cast.random_day_in(death_month)
    cast.death(person, died, "公安")
    cast.pay(person, near, "110", m0 - 12, death_month + 3, cast.base_amount("110"))
    for period in range(death_month + 1, death_month + 4):
        cast.not_received(person, near, "110", period)
    cast.truth("D01", near, cast.id18(person), "near_miss", "death-all-returned",
               f"died {died}; the pensions for {yyyymm(death_month + 1)}-{yyyymm(death_month + 3)} were "
               "all 退回")

    near = cast.county(k + 4)
    person = cast.ordinary_retiree(near, "110", status="终止")
    died = cast.random_day_in(death_month)
    cast.death(person, died, "民政")
    cast.pay(person, near, "110", m0 - 12, death_month + 2, cast.base_amount("110"))
    for period in (death_month + 1, death_month + 2):
        cast.reverse(person, near, "110", period, death_month + 3)
    cast.truth("D01", near, cast.id18(person), "near_miss", "death-all-reversed",
               f"died {died}; the pensions for {yyyymm(death_month + 1)}-{yyyymm(death_month + 2)} were "
               f"reversed (冲正) in {yyyymm(death_month + 3)}")

    near = cast.county(k + 5)
    person = cast.ordinary_retiree(near, "110", status="终止")
    amount = cast.base_amount("110")
    died = cast.random_day_in(death_month)
    cast.death(person, died, "民政")
    cast.pay(person, near, "110", m0 - 12, death_month, amount)
    cast.pay(person, near, "110", death_month + 1, m1, amount * 2 // 5, benefit_type=DEPENDANT_BENEFIT)
    paid = cast.pay_day(near, death_month + 1)
    cast.one_off(person, near, "110", FUNERAL, death_month + 1, paid, cast.randint(5000, 8000) * 100)
    cast.one_off(person, near, "110", LUMP_SUM_SURVIVOR, death_month + 1, paid, amount * 10)
    cast.truth("D01", near, cast.id18(person), "near_miss", "death-dependant-benefit",
               f"died {died}; 供养亲属抚恤金 monthly from {yyyymm(death_month + 1)} under the deceased's ID, "
               "丧葬补助金 and 一次性抚恤金 the month after")

    near = cast.county(k + 6)
    person = cast.ordinary_retiree(near, "120", status="终止")
    amount = cast.base_amount("120")
    died = cast.random_day_in(death_month)
    cast.death(person, died, "卫健")
    cast.pay(person, near, "120", m0 - 12, death_month, amount)
    cast.pay(person, near, "120", death_month + 1, m1, amount // 3, benefit_type=SURVIVOR_BENEFIT)
    cast.one_off_in_month(person, near, "120", LUMP_SUM_SURVIVOR, death_month + 1, amount * 8)
    cast.one_off_in_month(person, near, "120", ACCOUNT_REFUND, death_month + 2,
                          cast.randint(1000, 30000) * 100)
    cast.truth("D01", near, cast.id18(person), "near_miss", "death-survivor-benefit",
               f"died {died}; 遗属待遇 monthly from {yyyymm(death_month + 1)}, 一次性抚恤金 and "
               "个人账户余额退还 after the death")
