"""No value is ever changed by guessing: property tests of the load parsers against INPUT.md's grammars.

For generated amounts, dates, periods and ID numbers: every text form INPUT.md accepts loads to the
value of the canonical form, and every mutation (a comma inserted, a digit dropped, an invisible
character inserted, a point turned into a comma) either loads to the same value or is refused (NULL:
the row is quarantined) — unless the mutation is itself a well-formed text of another value, which
the reference grammars below (written apart from the SQL) recognise, and then it loads to that value.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from fundwatch.idnumber import make_id, to_legacy15

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
SPACES = [" ", "\u00a0", "\u202f", "\u3000"]

MONEY = re.compile(r"-?[¥￥]?(?:[0-9]{1,3}(?:[,，][0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?元?")
DATE = re.compile(r"([0-9]{4})(?:-([0-9]{1,2})-([0-9]{1,2})|/([0-9]{1,2})/([0-9]{1,2})|\.([0-9]{1,2})\.([0-9]{1,2})"
                  r"|([0-9]{2})([0-9]{2})|年([0-9]{1,2})月([0-9]{1,2})日)(?:(?: +|T)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?")
PERIOD = re.compile(r"([0-9]{4})(?:([0-9]{2})|[-/年]([0-9]{1,2})月?|\.([0-9]{2}))")


def reference_money(text: str) -> Decimal | None:
    text = text.translate(str.maketrans("０１２３４５６７８９－．，", "0123456789-.,")).strip(" \u00a0\u202f\u3000")
    if not MONEY.fullmatch(text):
        return None
    value = Decimal(re.sub(r"[¥￥,，元]", "", text))
    return value if abs(value) < Decimal(10) ** 16 else None


def reference_date(text: str) -> dt.date | None:
    match = DATE.fullmatch(text.strip())
    if not match:
        return None
    year, *rest = [g for g in match.groups() if g]
    try:
        value = dt.date(int(year), int(rest[0]), int(rest[1]))
    except ValueError:
        return None
    return value if 1880 <= value.year <= 2200 else None


def reference_period(text: str) -> int | None:
    match = PERIOD.fullmatch(text.strip())
    if not match:
        return None
    year, month = match.group(1), next(g for g in match.groups()[1:] if g)
    return int(year) * 100 + int(month) if 1 <= int(month) <= 12 and 1900 <= int(year) <= 2200 else None


def parse_all(con, macro: str, texts: list[str]) -> list:
    rows = con.execute(f"select i, {macro}(t) from unnest($texts) with ordinality as u(t, i) order by i",
                       {"texts": texts}).fetchall()
    return [value for _, value in rows]


def mutations(draw, text: str) -> list[str]:
    """Texts one slip away from `text`: what a hostile export holds."""
    position = draw(st.integers(0, len(text)))
    out = [text[:position] + draw(st.sampled_from(INVISIBLE)) + text[position:],
           text[:position] + draw(st.sampled_from([",", "，"])) + text[position:],
           text[:position] + draw(st.sampled_from(SPACES)) + text[position:]]
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    if digits:
        i = draw(st.sampled_from(digits))
        out.append(text[:i] + text[i + 1:])
    if "." in text:
        out.append(text.replace(".", ",", 1))
    return out


@st.composite
def amounts(draw):
    cents = draw(st.integers(-10**11, 10**11))
    value = Decimal(cents).scaleb(-2)
    canonical = f"{value:.2f}"
    sign, whole, fraction = ("-" if value < 0 else ""), f"{abs(value):.2f}".split(".")[0], f"{abs(value):.2f}".split(".")[1]
    grouped = f"{int(whole):,}".replace(",", draw(st.sampled_from([",", "，"])))
    short_fraction = fraction.rstrip("0")
    forms = [canonical, f"{sign}{grouped}.{fraction}", f"{sign}¥{whole}.{fraction}", f"{sign}{whole}.{fraction}元",
             f"{sign}￥{grouped}.{fraction}元", (sign + whole + "." + fraction).translate(FULL_WIDTH),
             f"{sign}{whole}" + (f".{short_fraction}" if short_fraction else ""),
             "\u200b" + canonical + "\u00a0", f'="{canonical}"']
    return value, forms, [m for form in forms[:3] for m in mutations(draw, form)]


@settings(max_examples=40, deadline=None)
@given(amounts())
def test_money_is_exact_or_refused(con, case):
    value, forms, mutated = case
    assert parse_all(con, "fw_parse_money", forms) == [value] * len(forms), forms
    for text, parsed in zip(mutated, parse_all(con, "fw_parse_money", mutated)):
        assert parsed is None or parsed == value or parsed == reference_money(text), (text, parsed)


@st.composite
def dates(draw):
    value = draw(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)))
    y, m, d = value.year, value.month, value.day
    forms = [value.isoformat(), f"{y}/{m}/{d}", f"{y}.{m}.{d}", f"{y}{m:02d}{d:02d}", f"{y}年{m}月{d}日",
             f"{value.isoformat()} 09:05", f"{value.isoformat()}T23:59:59", value.isoformat().translate(FULL_WIDTH),
             "\ufeff" + value.isoformat() + "\u3000"]
    return value, forms, [m for form in forms[:5] for m in mutations(draw, form)]


@settings(max_examples=40, deadline=None)
@given(dates())
def test_dates_are_exact_or_refused(con, case):
    value, forms, mutated = case
    assert parse_all(con, "fw_parse_date", forms) == [value] * len(forms), forms
    for text, parsed in zip(mutated, parse_all(con, "fw_parse_date", mutated)):
        assert parsed is None or parsed == value or parsed == reference_date(text), (text, parsed)


@st.composite
def periods(draw):
    y, m = draw(st.integers(1950, 2100)), draw(st.integers(1, 12))
    value = y * 100 + m
    forms = [f"{value}", f"{y}-{m:02d}", f"{y}-{m}", f"{y}/{m:02d}", f"{y}.{m:02d}", f"{y}年{m:02d}月", f"{y}年{m}月",
             f"{value}".translate(FULL_WIDTH), "\u200b" + f"{value}"]
    return value, forms, [m for form in forms[:6] for m in mutations(draw, form)]


@settings(max_examples=40, deadline=None)
@given(periods())
def test_periods_are_exact_or_refused(con, case):
    value, forms, mutated = case
    assert parse_all(con, "fw_parse_period", forms) == [value] * len(forms), forms
    for text, parsed in zip(mutated, parse_all(con, "fw_parse_period", mutated)):
        assert parsed is None or parsed == value or parsed == reference_period(text), (text, parsed)


@st.composite
def id_numbers(draw):
    birth = draw(st.dates(dt.date(1900, 1, 1), dt.date(1999, 12, 31)))
    number = make_id("330102", birth, draw(st.integers(1, 999)), draw(st.booleans()))
    forms = [number, number.lower(), number.translate(FULL_WIDTH), f'="{number}"', "'" + number,
             number[:6] + " " + number[6:14] + " " + number[14:], number[:9] + "\u200b" + number[9:],
             "\u00a0" + number + "\u202f", to_legacy15(number)]
    return number, forms, [m for form in forms[:1] for m in mutations(draw, form)]


@settings(max_examples=40, deadline=None)
@given(id_numbers())
def test_id_numbers_are_exact_or_not_valid(con, case):
    """An ID number that is not exactly readable is never read as another valid number (it stays
    invalid, an A02 clue, as INPUT.md says; its raw value is kept)."""
    number, forms, mutated = case
    assert parse_all(con, "fw_id_normalise", forms) == [number] * len(forms), forms
    problems = parse_all(con, "fw_id_problem", parse_all(con, "fw_id_candidate", mutated))
    for text, parsed, problem in zip(mutated, parse_all(con, "fw_id_normalise", mutated), problems):
        assert problem is not None or parsed == number, (text, parsed)
