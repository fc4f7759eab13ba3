"""Identifiers and periods that a typed file (.xlsx, .parquet) stores as numbers, and why such a value
cannot be read exactly."""

from __future__ import annotations

IDENTIFIER_TYPES = {"id_number": "身份证号", "account": "银行账号"}
PERIOD_NUMBER_REASON = "所属期为数值单元格（如2022.10会被存为2022.1），无法确定月份"


def lost_digits_reason(kind: str) -> str:
    return f"{IDENTIFIER_TYPES[kind]}被存为数值，末位已丢失"
