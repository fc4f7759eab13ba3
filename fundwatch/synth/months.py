"""Months as integers (year * 12 + month - 1), their text forms, days within them, yearly raises."""

from __future__ import annotations

from datetime import date

import numpy as np


def month_index(yyyymm: str) -> int:
    return int(yyyymm[:4]) * 12 + int(yyyymm[4:6]) - 1


def yyyymm(month: int) -> str:
    return f"{month // 12}{month % 12 + 1:02d}"


def month_of(day: date) -> int:
    return day.year * 12 + day.month - 1


def days_in_month(month: int) -> int:
    following = date((month + 1) // 12, (month + 1) % 12 + 1, 1)
    return (following - date(month // 12, month % 12 + 1, 1)).days


def day_in(month: int, day: int) -> date:
    return date(month // 12, month % 12 + 1, min(day, days_in_month(month)))


def _month_starts(months: np.ndarray) -> np.ndarray:
    return (np.asarray(months, dtype=np.int64) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")


def dates_in(months: np.ndarray, days: np.ndarray) -> np.ndarray:
    """datetime64[D] for day `days` (clamped to the month's length) of each month index."""
    first = _month_starts(months)
    length = (_month_starts(np.asarray(months) + 1) - first).astype(np.int64)
    return first + (np.minimum(days, length) - 1).astype("timedelta64[D]")


def random_dates_in(rng: np.random.Generator, months: np.ndarray) -> np.ndarray:
    first = _month_starts(months)
    length = (_month_starts(np.asarray(months) + 1) - first).astype(np.int64)
    return first + np.floor(rng.random(len(first)) * length).astype("timedelta64[D]")


def amount_in_month(base_fen: int, month: int, first_year: int) -> int:
    """Monthly amount after the January raises (~3 % a year) since the window's first year."""
    return int(np.rint(base_fen * 1.03 ** (month // 12 - first_year)))
