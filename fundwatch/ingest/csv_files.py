"""Reading delimited text (.csv, .txt, .tsv) in any encoding: DuckDB's reader when every line is one
record, otherwise Python's, which keeps physical line numbers across quoted newlines.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb

from fundwatch.ingest.encodings import REPLACEMENT, UNDECODABLE_REASON, scan_bytes, text_encoding, transcode_to_utf8
from fundwatch.ingest.files import InputError, InputFile
from fundwatch.ingest.headers import HEADER_SEARCH_ROWS, header_score, map_headers, set_columns
from fundwatch.ingest.raw_tables import (ARROW_BATCH_ROWS, QUARANTINE_VALUE_CHARS, RawWriter, batch,
                                         create_raw_from_rows)
from fundwatch.ingest.specs import TableSpec


DELIMITERS = (",", "\t", "|")


CSV_FIELD_LIMIT = 1 << 30  # csv's own default (128 KB) is process-wide state; the loader sets its own


def _header_candidates(text_path: Path) -> list[str]:
    lines = []
    with open(text_path, encoding="utf-8-sig", newline="") as fh:
        for line in fh:
            lines.append(line.rstrip("\r\n"))
            if len(lines) >= HEADER_SEARCH_ROWS:
                break
    return lines


def _split(line: str, delimiter: str) -> list[str]:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    return next(csv.reader([line], delimiter=delimiter), [])


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _find_csv_header(lines: list[str], spec: TableSpec, f: InputFile, lossy: bool, error_at: int | None):
    """(line index, delimiter, header cells) of the header row among the first lines."""
    best = None
    for index, line in enumerate(lines):
        for delimiter in DELIMITERS:
            if delimiter not in line and delimiter != ",":
                continue
            cells = _split(line, delimiter)
            score = header_score(cells, spec)
            if score and (best is None or score > best[0]):
                best = (score, index, delimiter, cells)
    if best is not None:
        return best[1:]
    where = f" (bad bytes near byte {error_at})" if error_at is not None else ""
    if lossy or f.encoding == "utf-16":
        raise InputError(f"{f.rel}: cannot be decoded as UTF-8 or GBK/GB18030{where}; no header row found")
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise InputError(f"{f.rel}: holds only blank lines; expected a header row")
    delimiter = _sniff_delimiter(first)
    cells = _split(first, delimiter)
    if len(cells) == 1 and re.search(r"[;；:：\s]", first.strip()):
        raise InputError(f"{f.rel}: the header row has one column; the separator must be comma, tab or |")
    map_headers(cells, spec, f.rel)  # raises: required columns missing
    raise InputError(f"{f.rel}: no header row of a {spec.name} ({spec.title}) table in the first lines")


def read_csv(con: duckdb.DuckDBPyConnection, f: InputFile, spec: TableSpec, work_dir: Path) -> None:
    scan = scan_bytes(f.path)
    f.sha256 = scan.sha256
    codec, f.encoding = text_encoding(f.path, scan, f.rel)
    text_path, physical_lines, lossy = f.path, scan.lines, False
    if codec != "utf-8-sig" or not scan.utf8_ok:
        text_path = work_dir / f"transcoded_{f.index:04d}.csv"
        lossy, physical_lines = transcode_to_utf8(f.path, codec, text_path)
    header_index, delimiter, headers = _find_csv_header(_header_candidates(text_path), spec, f, lossy,
                                                        scan.utf8_error_at)
    raw_names = set_columns(f, spec, headers, f.rel)
    if physical_lines <= header_index + 1:
        create_raw_from_rows(con, f, raw_names, [], [])
        return
    if header_index == 0 and not lossy and _read_csv_with_duckdb(con, f, text_path, raw_names, delimiter,
                                                                 physical_lines):
        return
    _read_csv_with_python(con, f, text_path, raw_names, delimiter, header_index, lossy)


def _read_csv_with_duckdb(con, f: InputFile, text_path: Path, raw_names, delimiter, physical_lines) -> bool:
    """The fast path, taken when every physical line after the header is exactly one record."""
    table = f"raw.f{f.index:04d}"
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in raw_names) + "}"
    try:
        con.execute(
            f"""create or replace table {table}_scan as
                select * from read_csv(?, header = false, skip = 1, columns = {columns}, delim = ?,
                    quote = '"', escape = '"', auto_detect = false, strict_mode = true,
                    null_padding = false, max_line_size = 20000000)""",
            [str(text_path), delimiter],
        )
    except duckdb.Error:
        con.execute(f"drop table if exists {table}_scan")
        return False
    rows = con.execute(f"select count(*) from {table}_scan").fetchone()[0]
    if rows + 1 != physical_lines:
        con.execute(f"drop table {table}_scan")
        return False
    # rowid follows the file's order: the table was filled by one insert with insertion order kept.
    con.execute(f"create or replace view {table} as select rowid + 2 as source_line, * from {table}_scan")
    f.raw_table, f.rows_read = table, rows
    return True


def _swallowed_lines(record: list[str], delimiter: str, width: int) -> bool:
    """A quoted field that holds whole rows: a quote opened and closed lines later."""
    for value in record:
        if "\n" in value or "\r" in value:
            for line in value.splitlines()[1:]:
                if line.count(delimiter) >= width - 1:
                    return True
    return False


def _read_csv_with_python(con, f: InputFile, text_path: Path, raw_names, delimiter, header_index: int = 0,
                          lossy: bool = False) -> None:
    """The exact path: physical line numbers across quoted newlines, short and long rows quarantined."""
    csv.field_size_limit(CSV_FIELD_LIMIT)
    width = len(raw_names)
    lines, rows = [], []
    writer = RawWriter(con, f, raw_names)
    with open(text_path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            for _ in range(header_index + 1):
                next(reader)
            previous_end = reader.line_num
            for record in reader:
                start_line, previous_end = previous_end + 1, reader.line_num
                if not any(field.strip() for field in record):
                    continue
                f.rows_read += 1
                while len(record) > width and not record[-1].strip():
                    record.pop()  # an empty field after the last column: DuckDB's reader accepts it too
                reason = ""
                if previous_end > start_line and _swallowed_lines(record, delimiter, width):
                    reason = f"引号不配对：第{start_line}至{previous_end}行被读成一条记录"
                elif len(record) != width:
                    reason = f"字段数为{len(record)}，与表头的{width}列不符"
                elif lossy and any(REPLACEMENT in field for field in record):
                    reason = UNDECODABLE_REASON
                if reason:
                    value = delimiter.join(record)[:QUARANTINE_VALUE_CHARS]
                    f.early_quarantine.append((start_line, None, value, reason))
                    continue
                lines.append(start_line)
                rows.append(record)
                if len(rows) >= ARROW_BATCH_ROWS:
                    writer.add(batch(raw_names, lines, rows))
                    lines, rows = [], []
        except csv.Error as error:
            raise InputError(f"{f.rel}: not a readable CSV near line {reader.line_num}: {error}") from None
    writer.add(batch(raw_names, lines, rows))
