"""Identity resolution (D02, P04): typed-wrong numbers on the death list, people under two
numbers, and the near-misses that look like them.
"""

from __future__ import annotations

import numpy as np

from fundwatch.idnumber import check_char, to_legacy15
from fundwatch.synth.cast import Cast
from fundwatch.synth.codes import NORMAL
from fundwatch.synth.months import day_in, yyyymm


TRADITIONAL_FORMS = "陳劉楊黃趙吳孫馬胡郭羅鄭謝韓馮鄧許蕭葉蘇盧鍾陸汪偉強華國興東鳳蘭麗雲紅"
_TO_TRADITIONAL = dict(zip("陈刘杨黄赵吴孙马胡郭罗郑谢韩冯邓许萧叶苏卢钟陆汪伟强华国兴东凤兰丽云红", TRADITIONAL_FORMS))
COMMON_NAMES = ("王伟", "张伟", "刘洋", "李强")  # men's names (the pensioners below are men)


def _traditional(name: str) -> str:
    return "".join(_TO_TRADITIONAL.get(ch, ch) for ch in name)


def typo_id(rng: np.random.Generator, id18: str, kind: str) -> tuple[str, str]:
    """A typed-wrong form of a valid 18-character number: (number, what was done). The result is invalid
    (a one-digit change or an adjacent swap of the first 17 always breaks the check digit)."""
    if kind == "check_digit":
        wrong = str(rng.choice([c for c in "0123456789X" if c != id18[17]]))
        return id18[:17] + wrong, "wrong check digit"
    if kind == "one_digit":
        position = int(rng.integers(0, 17))
        digit = str(rng.choice([d for d in "0123456789" if d != id18[position]]))
        return id18[:position] + digit + id18[position + 1:], f"digit {position + 1} typed wrong"
    swappable = [i for i in range(16) if id18[i] != id18[i + 1]]
    i = int(rng.choice(swappable))
    return id18[:i] + id18[i + 1] + id18[i] + id18[i + 2:], f"digits {i + 1} and {i + 2} swapped"


def plant_d02(cast: Cast, k: int) -> None:
    """Deaths recorded under a typed-wrong number of a recipient paid after the death, and near-misses."""
    m0, m1 = cast.m0, cast.m1
    kinds = ("one_digit", "transposition", "check_digit", "legacy", "one_digit")
    for i in range(max(k, len(kinds))):
        county, kind = cast.county(i + 2), kinds[i % len(kinds)]
        scheme = ("110", "170", "120")[i % 3]
        person = cast.ordinary_retiree(county, scheme)
        if kind == "legacy":  # enrolled under the 15-digit number; the death list holds its 18-digit form, check wrong
            legacy = to_legacy15(cast.id18(person))
            cast.set_ids(person, recipients=legacy, payments=legacy)
            shown, note = typo_id(cast.rng, cast.id18(person), "check_digit")
            note = "enrolled under the 15-digit number; death list: 18-digit form with a " + note
        else:
            shown, note = typo_id(cast.rng, cast.id18(person), kind)
        death_month = m0 + cast.randint(1, cast.months - 3)
        died = cast.random_day_in(death_month)
        source = ("公安", "民政", "卫健")[i % 3]
        row = cast.person_rows[person]
        if i == 1:  # the list writes the name in traditional characters: a record of its own for that spelling
            shadow = cast.person(county, row["male"], row["birth"], name=_traditional(row["name"]))
            cast.death(shadow, died, source, id_text=shown)
            note += ", name in traditional characters"
        else:
            cast.death(person, died, source, id_text=shown)
        cast.pay_to_end(person, county, scheme, m0 - 12)
        cast.truth("D02", county, cast.id18(person), "plant", "linked-death-record", f"death record {note}; died {died}, paid until {yyyymm(m1)}")

    # a typed-wrong death record of someone whose pension stopped after the death month
    county = cast.county(k)
    person = cast.ordinary_retiree(county, "110", status="终止")
    death_month = m0 + cast.randint(2, cast.months - 3)
    shown, note = typo_id(cast.rng, cast.id18(person), "one_digit")
    cast.death(person, day_in(death_month, 9), "民政", id_text=shown)
    cast.pay(person, county, "110", m0 - 12, death_month, cast.base_amount("110"))
    cast.truth("D02", county, cast.id18(person), "near_miss", "linked-death-not-paid-after", f"death record with {note}; not paid after the death month")

    # a twin died: same surname, birth date and address code, the next order code; the living twin is paid
    county = cast.county(k + 1)
    living = cast.ordinary_retiree(county, "110")
    row = cast.person_rows[living]
    twin = cast.person(county, row["male"], row["birth"], name=_twin_name(row["name"]))
    cast.person_rows[twin]["id18"] = _twin_id(cast, living)
    cast.death(twin, day_in(m0 + 3, 5), "公安")
    cast.pay_to_end(living, county, "110", m0 - 12)
    cast.truth("D02", county, cast.id18(living), "near_miss", "twin-died",
               "a twin (same surname, birth date and address code, the next order code) died; this one is alive")

    # two people of one common name and birth date in two counties: the one who died was no recipient
    if len(cast.counties) >= 2:
        county, other = cast.county(k + 2), cast.county(k + 3)
        if other == county:
            other = next(c for c in cast.counties if c != county)
        living = cast.ordinary_retiree(county, "110")
        row = cast.person_rows[living]
        row["name"] = COMMON_NAMES[0] if row["male"] else "王芳"
        namesake = cast.person(other, row["male"], row["birth"], name=row["name"])
        cast.death(namesake, day_in(m0 + 4, 12), "民政")
        cast.pay_to_end(living, county, "110", m0 - 12)
        cast.truth("D02", county, cast.id18(living), "near_miss", "namesake-died",
                   f"a namesake born the same day in {other} died (no recipient)")


def _twin_name(name: str) -> str:
    return name[0] + ("明" if name[1:] != "明" else "亮")


def _pensioner(cast: Cast, county: str, start: int) -> int:
    """A man with a 110 pension from `start`, 60 or a little older then (old enough for 170 later too)."""
    return cast.retiree(county, "110", male=True, age_months=720 + cast.randint(0, 3), start=start)


def _twin_id(cast: Cast, person: int) -> str:
    id18 = cast.id18(person)
    order = int(id18[14:17])
    for step in (2, -2, 4, -4):
        candidate = order + step
        if 0 <= candidate <= 999:
            first17 = id18[:14] + f"{candidate:03d}"
            twin = first17 + check_char(first17)
            if twin not in cast.used_ids:
                cast.used_ids.add(twin)
                return twin
    raise ValueError("no order code free for a twin")


def plant_p04(cast: Cast, k: int) -> None:
    """People paid a pension under two valid numbers (one card), in one county or two, and near-misses."""
    m0 = cast.m0
    for i in range(k):
        first_county = cast.county(i + 1)
        second_county = cast.county(i + 2) if i % 2 == 0 and len(cast.counties) >= 2 else first_county
        person = _pensioner(cast, first_county, m0 - cast.randint(12, 60))
        row = cast.person_rows[person]
        start = m0 + cast.randint(1, cast.months - 4)
        area = cast.counties[(cast.counties.index(second_county) + 1) % len(cast.counties)] if i % 3 == 2 else second_county
        second = cast.person(second_county, row["male"], row["birth"], name=row["name"], area=area)
        if i % 4 == 1:  # the second number is written in traditional characters
            cast.person_rows[second]["name"] = _traditional(row["name"])
        cast.person_rows[second]["account_owner"] = person
        cast.recipient(second, second_county, "170", start)
        cast.pay_to_end(person, first_county, "110", m0 - 12)
        cast.pay_to_end(second, second_county, "170", start)
        region = ";".join(sorted({first_county, second_county}))
        cast.truth("P04", region, cast.id18(second), "plant", "two-numbers",
                   f"also paid 110 as {cast.id18(person)} in {first_county}; 170 from {yyyymm(start)} under a "
                   "second number, one card", scope="city" if ";" in region else "county")

    # twins, both paid: same surname, birth date, address; different given names and cards
    county = cast.county(k)
    start = m0 - cast.randint(12, 60)
    first = _pensioner(cast, county, start)
    row = cast.person_rows[first]
    twin = cast.person(county, row["male"], row["birth"], name=_twin_name(row["name"]))
    cast.person_rows[twin]["id18"] = _twin_id(cast, first)
    cast.recipient(twin, county, "110", start + 1, retirement_type=NORMAL, personnel_type="工人")
    for p in (first, twin):
        cast.pay_to_end(p, county, "110", m0 - 12)
    cast.truth("P04", county, cast.id18(twin), "near_miss", "twins-both-paid", "twins: same surname, birth date and address, other names")

    # one common name and birth date, two people, no third fact: in two counties, and in one county
    for j, same_county in enumerate((False, True)):
        county = cast.county(k + 1 + j)
        other = county if same_county or len(cast.counties) < 2 else next(
            c for c in cast.counties[::-1] if c != county)
        first = _pensioner(cast, county, m0 - cast.randint(24, 60))
        row = cast.person_rows[first]
        row["name"] = COMMON_NAMES[j + 2]
        start = m0 + cast.randint(1, cast.months - 4)
        namesake = cast.person(other, row["male"], row["birth"], name=row["name"])
        cast.recipient(namesake, other, "170", start)
        cast.pay_to_end(first, county, "110", m0 - 12)
        cast.pay_to_end(namesake, other, "170", start)
        where = "one county" if same_county else f"{county} and {other}"
        cast.truth("P04", ";".join(sorted({county, other})), cast.id18(namesake), "near_miss", "namesakes",
                   f"two people named {row['name']}, born the same day, in {where}: no shared card or person "
                   "number", scope="city" if county != other else "county")
