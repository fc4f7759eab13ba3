"""A01–A03 plants and near-misses: shared cards, ID numbers that cannot be right, self-approval."""

from __future__ import annotations

from datetime import date

from fundwatch.idnumber import check_char, to_legacy15
from fundwatch.synth.cast import Cast
from fundwatch.synth.codes import FABRICATED_AREAS, REAL_OTHER_AREAS


def plant_a01(cast: Cast, k: int) -> None:
    m0 = cast.m0
    for i in range(k):
        county = cast.county(i + 8)
        holders = []
        for j in range(4 if i == 0 else 3):
            scheme = "170" if (i + j) % 3 else "110"
            person = cast.ordinary_retiree(county, scheme)
            cast.person_rows[person]["account_owner"] = holders[0] if holders else person
            cast.pay_to_end(person, county, scheme, m0 - 12)
            holders.append(person)
        cast.truth("A01", county, ("account", holders[0]), "plant", "shared-card",
                   f"one card receives the benefits of {len(holders)} people")

    county = cast.county(k + 8)
    couple = [cast.ordinary_retiree(county, "170"), cast.ordinary_retiree(county, "170")]
    cast.person_rows[couple[1]]["account_owner"] = couple[0]
    for person in couple:
        cast.pay_to_end(person, county, "170", m0 - 12)
    cast.truth("A01", county, ("account", couple[0]), "near_miss", "couple",
               "a card shared by exactly two people")


def plant_a02(cast: Cast, k: int) -> None:
    m0 = cast.m0
    for i in range(max(k, 8)):
        county, variant = cast.county(i + 9), i % 8
        start = m0 - cast.randint(0, 36)
        male = variant == 5 or bool(cast.rng.random() < 0.5)
        # variant 4: the ID number says born up to three years earlier than the recipients table;
        # both birth dates put the start after the 60th birthday
        age = 720 + (36 if variant == 4 else 0) + cast.randint(0, 6)
        area = FABRICATED_AREAS[(i // 8 + variant) % len(FABRICATED_AREAS)] if variant >= 6 else None
        person = cast.person(county, male, cast.birth_for(start, age), female_id=variant == 5, area=area)
        row = cast.person_rows[person]
        true_id = row["id18"]
        shown_birth = None
        if variant == 0:
            shown, note = true_id[:10] + true_id[11:], "17 characters (a digit dropped)"
        elif variant == 1:
            shown, note = true_id[:14] + "O" + true_id[15:], "letter O inside the number"
        elif variant == 2:
            wrong = next(c for c in "0123456789" if c != true_id[17])
            shown, note = true_id[:17] + wrong, "wrong check digit"
        elif variant == 3:
            first17 = f"{county}{row['birth'].year}0230{true_id[14:17]}"
            shown, note = first17 + check_char(first17), "birth date 30 February (check digit correct)"
        elif variant == 4:
            birth = row["birth"]
            shown_birth = date(birth.year + cast.randint(1, 3), birth.month, min(birth.day, 28))
            shown, note = true_id, f"ID says born {birth}, recipients table says {shown_birth}"
        elif variant == 5:
            shown, note = true_id, "ID number is a woman's (even order code), recipients table says 男"
        elif variant == 6:
            shown, note = true_id, f"fabricated: address code {area} is no division code (check digit correct)"
        else:
            cast.set_ids(person, recipients=to_legacy15(true_id))
            shown, note = true_id, (f"fabricated: address code {area} is no division code, 15-digit form in "
                                    "the recipients table")
        if variant < 4:
            cast.used_ids.add(shown)
            cast.set_ids(person, recipients=shown, payments=shown)
        cast.recipient(person, county, "170", start, shown_birth=shown_birth)
        cast.pay_to_end(person, county, "170", start)
        cast.truth("A02", county, shown, "plant", ("short", "letter", "check-digit", "impossible-date",
                                                 "birth-date-disagrees", "gender-disagrees", "fabricated-area",
                                                 "fabricated-area-legacy")[variant], note)

    forms = (("15", "15", "legacy 15-digit number in recipients and payments"),
             (None, "15", "legacy 15-digit number in payments only"),
             ("x", "x", "valid ID number ending in lowercase x"),
             ("fullwidth", None, "full-width digits in the recipients table"))
    for j, (recipients_form, payments_form, note) in enumerate(forms):
        county = cast.county(j)
        male = bool(j % 2)
        start = m0 - cast.randint(0, 36)
        person = cast.person(county, male, cast.birth_for(start, 720), want_check_x=recipients_form == "x")
        cast.recipient(person, county, "170", start)
        id18 = cast.id18(person)
        rendered = {None: None, "15": to_legacy15(id18), "x": id18.lower(),
                    "fullwidth": id18.translate(str.maketrans("0123456789", "０１２３４５６７８９"))}
        cast.set_ids(person, recipients=rendered[recipients_form], payments=rendered[payments_form])
        cast.pay_to_end(person, county, "170", start)
        case = f"form-{recipients_form or 'none'}-{payments_form or 'none'}"
        cast.truth("A02", county, id18, "near_miss", case, note)

    for j, (area, note) in enumerate(REAL_OTHER_AREAS):
        county = cast.county(j + 1)
        start = m0 - cast.randint(0, 36)
        person = cast.person(county, bool(j % 2), cast.birth_for(start, 720 + cast.randint(0, 6)), area=area)
        cast.recipient(person, county, "170", start)
        cast.pay_to_end(person, county, "170", start)
        cast.truth("A02", county, cast.id18(person), "near_miss", "real-other-area",
                   f"ID number from {note}: a real code")


def plant_a03(cast: Cast, k: int) -> None:
    for i in range(k):
        cast.a03_plants.append((cast.county(i), f"JB{i % len(cast.counties) + 1:02d}{2 + i // len(cast.counties):02d}",
                                cast.randint(3, 6)))
