"""Resident ID numbers (公民身份号码, GB 11643-1999) in Python.

The loader normalises ID numbers in SQL (sql/load/macros.sql); the synthetic-data generator makes
them with this module. The tests check both against python-stdnum's `stdnum.cn.ric` instead
(tests/id_oracle.py), which shares no code with either.
"""

from __future__ import annotations

from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def check_char(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def make_id(region_code: str, birth: date, sequence: int, male: bool) -> str:
    """A valid 18-character ID number; `sequence` 0..499 picks the 3-digit order code."""
    order = 2 * (sequence % 500) + (1 if male else 0)
    first17 = f"{region_code}{birth:%Y%m%d}{order:03d}"
    return first17 + check_char(first17)


def to_legacy15(id18: str) -> str:
    """The 15-digit form of an ID number of someone born in the 1900s."""
    if id18[6:8] != "19":
        raise ValueError("only people born 1900-1999 can have a 15-digit number")
    return id18[:6] + id18[8:17]


def from_legacy15(id15: str) -> str:
    first17 = id15[:6] + "19" + id15[6:15]
    return first17 + check_char(first17)


def is_valid(id18: str) -> bool:
    if len(id18) != 18 or not id18[:17].isdigit():
        return False
    try:
        date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return False
    return id18[17].upper() == check_char(id18[:17])
