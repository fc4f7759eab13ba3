"""Header rows: which printed header is which column of a table, and how well a row looks like a header."""

from __future__ import annotations

import re

from fundwatch.ingest.files import InputError, InputFile
from fundwatch.ingest.specs import TableSpec


HEADER_SEARCH_ROWS = 20


INVISIBLE_HEADER_CHARS = "\u200b\u200c\u200d\u2060\ufeff"


def _normalise_header(text: object) -> str:
    return re.sub(rf"[\s\u3000{INVISIBLE_HEADER_CHARS}]+", "", str(text or "")).lower()


def _printed_header(text: object, position: int) -> str:
    printed = re.sub(rf"[{INVISIBLE_HEADER_CHARS}]+", "", str(text or "")).strip()
    return printed or f"第{position + 1}列（无表头）"


def map_headers(headers: list[object], spec: TableSpec, rel: str) -> tuple[list[str], dict[str, str]]:
    """Raw column names for a header row, and canonical name -> raw column for the known ones."""
    alias_to_column = {}
    for column in spec.columns:
        for alias in (column.name, *column.aliases):
            alias_to_column[_normalise_header(alias)] = column.name
    raw_names, mapping, seen_headers = [], {}, {}
    for position, header in enumerate(headers):
        canonical = alias_to_column.get(_normalise_header(header))
        if canonical is not None and canonical in mapping:
            raise InputError(
                f"{rel}: columns '{seen_headers[canonical]}' and '{header}' are both {canonical}; keep one"
            )
        raw_name = f"c{position}"
        raw_names.append(raw_name)
        if canonical is not None:
            mapping[canonical] = raw_name
            seen_headers[canonical] = _printed_header(header, position)
    missing = [c for c in spec.required if c.name not in mapping]
    if missing:
        names = ", ".join(f"{c.name} ({c.aliases[0]})" for c in missing)
        raise InputError(f"{rel}: not a {spec.name} ({spec.title}) table: required column missing: {names}")
    return raw_names, mapping


def set_columns(f: InputFile, spec: TableSpec, headers: list[object], where: str) -> list[str]:
    """Map a header row onto the table's columns; unknown columns are kept under their printed header."""
    raw_names, f.columns = map_headers(headers, spec, where)
    f.headers = {raw: _printed_header(h, i) for i, (raw, h) in enumerate(zip(raw_names, headers))}
    known = set(f.columns.values())
    f.extra_columns = {}
    for raw in raw_names:
        if raw not in known:
            header = f.headers[raw]
            while header in f.extra_columns:
                header += "'"
            f.extra_columns[header] = raw
    return raw_names


def column_types(f: InputFile, spec: TableSpec) -> dict[str, str]:
    """raw column -> the type of the table column it holds (unknown columns: absent)."""
    by_name = {c.name: c.type for c in spec.columns}
    return {raw: by_name[name] for name, raw in f.columns.items()}


def header_score(row: list[object], spec: TableSpec) -> int:
    known = {_normalise_header(a) for c in spec.columns for a in (c.name, *c.aliases)}
    return sum(1 for cell in row if _normalise_header(cell) in known)


def maps_required(row: list[object], spec: TableSpec) -> bool:
    try:
        map_headers(row, spec, "")
    except InputError:
        return False
    return True
