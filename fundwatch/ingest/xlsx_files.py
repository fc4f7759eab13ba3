"""Reading .xlsx workbooks: the sheet and header row holding the table, typed cells as text, merged cells."""

from __future__ import annotations

import datetime as dt
import hashlib

from fundwatch.ingest.files import InputError, InputFile
from fundwatch.ingest.headers import HEADER_SEARCH_ROWS, column_types, header_score, maps_required, set_columns
from fundwatch.ingest.numeric_cells import IDENTIFIER_TYPES, PERIOD_NUMBER_REASON, lost_digits_reason
from fundwatch.ingest.raw_tables import QUARANTINE_VALUE_CHARS, create_raw_from_rows
from fundwatch.ingest.specs import TableSpec


def _cell_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_xlsx(con, f: InputFile, spec: TableSpec) -> None:
    """The sheet holding the table (header row within its first rows); merged cells quarantined."""
    from python_calamine import CalamineWorkbook

    f.sha256 = hashlib.sha256(f.path.read_bytes()).hexdigest()
    f.encoding = "xlsx"
    candidates = []  # (score, holds every required column, sheet name, header row index, sheet)
    try:
        workbook = CalamineWorkbook.from_path(str(f.path))
        sheet_names = workbook.sheet_names
    except Exception as error:  # noqa: BLE001 - calamine raises several unrelated types for damaged workbooks
        raise InputError(f"{f.rel}: not a readable .xlsx workbook ({type(error).__name__})") from None
    for sheet_name in sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(sheet_name)
            first_row = sheet.start[0] if sheet.start else 0
            for offset, row in enumerate(sheet.iter_rows()):
                if offset >= HEADER_SEARCH_ROWS:
                    break
                score = header_score(row, spec)
                if score:
                    candidates.append((score, maps_required(row, spec), sheet_name, first_row + offset, sheet))
        except Exception:  # noqa: BLE001, S112 - a chart sheet or a damaged sheet: not the table's
            continue
    if not candidates:
        raise InputError(f"{f.rel}: no sheet has a header row of a {spec.name} ({spec.title}) table")
    complete = list(dict.fromkeys(c[2] for c in candidates if c[1]))
    if len(complete) > 1:
        names = " and ".join(f"'{n}'" for n in complete[:3])
        raise InputError(f"{f.rel}: sheets {names} both hold a {spec.name} table; save each sheet as its own file")
    _, _, sheet_name, header_index, sheet = max(candidates, key=lambda c: (c[1], c[0]))
    try:
        rows = sheet.to_python(skip_empty_area=False)
        merged = sheet.merged_cell_ranges or []
    except Exception as error:  # noqa: BLE001 - as above
        raise InputError(f"{f.rel}: sheet '{sheet_name}' cannot be read ({type(error).__name__})") from None
    headers = rows[header_index]
    raw_names = set_columns(f, spec, headers, f"{f.rel} (sheet {sheet_name})")
    width = len(raw_names)
    types = {int(raw[1:]): kind for raw, kind in column_types(f, spec).items()}
    covered = _merged_cells(merged, header_index, {int(raw[1:]): f.headers[raw] for raw in f.columns.values()}, rows)
    exact = _exact_identifier_numbers(f, sheet_name, rows, header_index, types)
    lines, texts = [], []
    for row_index in range(header_index + 1, len(rows)):
        row = rows[row_index]
        cells, problems = [], []
        for col in range(width):
            value = row[col] if col < len(row) else None
            if (row_index, col) in exact:
                value = exact[(row_index, col)]
            text, problem = _typed_cell_text(value, types.get(col))
            cells.append(text)
            if problem:
                problems.append((f.headers[raw_names[col]], text or "", problem))
        if all(c is None or not c.strip() for c in cells) and row_index not in covered:
            continue
        f.rows_read += 1
        problems += covered.get(row_index, [])
        if problems:
            columns, values, reasons = zip(*problems)
            f.early_quarantine.append((row_index + 1, ";".join(columns), ";".join(values)[:QUARANTINE_VALUE_CHARS],
                                       ";".join(dict.fromkeys(reasons))))
            continue
        lines.append(row_index + 1)
        texts.append(cells)
    create_raw_from_rows(con, f, raw_names, lines, texts)


FLOAT_EXACT_DIGITS = 15  # Excel keeps 15 significant digits of a number; a double holds all integers < 2**53


def _exact_identifier_numbers(f: InputFile, sheet_name: str, rows, header_index: int,
                              types: dict[int, str]) -> dict[tuple[int, int], object]:
    """The exact stored text of ID numbers and accounts that the sheet holds as numbers.

    calamine reads every number as a double, which alters an 18-digit ID (…280744 -> …280768);
    openpyxl returns the cell's stored digits as an int when they are written out in full.
    """
    columns = [c for c, kind in types.items() if kind in IDENTIFIER_TYPES]
    needed = {(r, c) for c in columns for r in range(header_index + 1, len(rows))
              if c < len(rows[r]) and isinstance(rows[r][c], float) and abs(rows[r][c]) >= 2**53}
    if not needed:
        return {}
    from openpyxl import load_workbook

    book = load_workbook(f.path, read_only=True, data_only=True)
    try:
        first, last = min(c for _, c in needed), max(c for _, c in needed)
        exact = {}
        for r, values in enumerate(book[sheet_name].iter_rows(min_col=first + 1, max_col=last + 1, values_only=True)):
            for c in range(first, last + 1):
                if (r, c) in needed:
                    exact[(r, c)] = values[c - first]
        return exact
    finally:
        book.close()


def _typed_cell_text(value: object, kind: str | None) -> tuple[str | None, str | None]:
    """A cell's text for a column of this type, or the reason it cannot be read exactly."""
    if kind in IDENTIFIER_TYPES and isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not (value.is_integer() and abs(value) < 2**53):
            return format(value, ".17g"), lost_digits_reason(kind)
        digits = str(int(value))
        if len(digits) > FLOAT_EXACT_DIGITS and len(digits.rstrip("0")) <= FLOAT_EXACT_DIGITS:
            return digits, lost_digits_reason(kind)
        return digits, None
    if kind == "period":
        if isinstance(value, float) and not value.is_integer():
            return format(value, ".15g"), PERIOD_NUMBER_REASON
        if isinstance(value, dt.datetime | dt.date):
            return f"{value.year:04d}-{value.month:02d}", None
    return _cell_text(value), None


def _merged_cells(ranges, header_index: int, known: dict[int, str], rows) -> dict[int, list[tuple[str, str, str]]]:
    """Data rows with a known column inside a merged range but not its first cell: (column, value, reason).

    Excel shows a merged value across the range but stores it only in the first cell; copying it
    into the other rows would be a guess (a merged amount would be counted once per row).
    """
    covered: dict[int, list[tuple[str, str, str]]] = {}
    for (first_row, first_col), (last_row, last_col) in ranges:
        value = _cell_text(rows[first_row][first_col]) if first_row < len(rows) and first_col < len(
            rows[first_row]) else None
        if first_row == last_row:
            reason = f"合并单元格：第{first_col + 1}至{last_col + 1}列合并，值只在第{first_col + 1}列"
        else:
            reason = f"合并单元格：第{first_row + 1}至{last_row + 1}行合并，值只在第{first_row + 1}行"
        for row in range(max(first_row, header_index + 1), last_row + 1):
            for col in range(first_col, last_col + 1):
                if (row, col) != (first_row, first_col) and col in known:
                    covered.setdefault(row, []).append((known[col], value or "", reason))
    return covered
