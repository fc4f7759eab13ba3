"""Finding the input files of a run and reading each, as text, into a raw DuckDB table.

Every raw table has one VARCHAR column per header (canonical names for known headers) and the
physical line each row came from (header = line 1; for .xlsx the sheet row). Typing, ID
normalisation and quarantine happen afterwards in SQL (fundwatch.load).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from fundwatch.paths import sql_dir

EXTENSIONS = {".csv", ".txt", ".tsv", ".xlsx", ".parquet"}
DELIMITERS = (",", "\t", "|")
HEADER_SEARCH_ROWS = 20
ARROW_BATCH_ROWS = 100_000
READ_CHUNK_BYTES = 16 << 20
QUARANTINE_VALUE_CHARS = 200


class InputError(Exception):
    """A file (or folder) that cannot be read at all; the message is one line naming it."""


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required: bool
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    name: str
    title: str
    scope: str
    file_names: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]

    @property
    def required(self) -> list[ColumnSpec]:
        return [c for c in self.columns if c.required]


@dataclass(frozen=True)
class TypeSpec:
    macro: str
    sql_type: str
    reason: str


def _read_table_config() -> dict:
    with open(sql_dir() / "load" / "tables.toml", "rb") as fh:
        return tomllib.load(fh)


def table_specs() -> dict[str, TableSpec]:
    config = _read_table_config()
    specs = {}
    for name, table in config.items():
        if name == "types":
            continue
        columns = tuple(
            ColumnSpec(c["name"], c["type"], c["required"], tuple(c["aliases"])) for c in table["columns"]
        )
        specs[name] = TableSpec(name, table["title"], table["scope"], tuple(table["file_names"]), columns)
    return specs


def type_specs() -> dict[str, TypeSpec]:
    return {name: TypeSpec(**t) for name, t in _read_table_config()["types"].items()}


@dataclass
class InputFile:
    path: Path
    rel: str
    table: str
    county: str | None
    index: int = 0
    sha256: str = ""
    encoding: str = ""
    rows_read: int = 0
    raw_table: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # canonical name -> raw column
    early_quarantine: list[tuple[int, str, str, str]] = field(default_factory=list)


@dataclass
class RunInputs:
    root: Path
    kind: str  # "county" or "city"
    counties: dict[str, Path]
    reference_dir: Path | None
    files: list[InputFile]
    ignored: list[str]

    def tables_present(self) -> set[str]:
        return {f.table for f in self.files}


def _normalise_header(text: object) -> str:
    return re.sub(r"[\s\u3000\ufeff]+", "", str(text or "")).lower()


def match_table(file_name: str, specs: dict[str, TableSpec]) -> list[str]:
    stem = Path(file_name).stem.lower()
    hits = []
    for spec in specs.values():
        for key in spec.file_names:
            if key.isascii():
                if re.search(rf"(?<![a-z]){re.escape(key)}(?![a-z])", stem):
                    hits.append(spec.name)
                    break
            elif key in stem:
                hits.append(spec.name)
                break
    return hits


def _is_county_code(name: str) -> bool:
    return re.fullmatch(r"\d{6}", name) is not None


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return Path(*([".."] + list(path.relative_to(root.parent).parts))).as_posix()


def _candidate_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if not p.name.startswith((".", "~$")) and (p.suffix.lower() in EXTENSIONS or p.suffix.lower() == ".xls")
    )


def _collect(folder: Path, scope: str, county: str | None, root: Path, specs, files, ignored) -> None:
    for path in _candidate_files(folder):
        rel = _relative(path, root)
        if path.is_dir():
            continue
        if not path.exists():
            raise InputError(f"{rel}: broken link or unreadable file")
        if path.suffix.lower() == ".xls":
            raise InputError(f"{rel}: legacy .xls workbooks are not supported; save it as .xlsx")
        tables = match_table(path.name, specs)
        if len(tables) > 1:
            raise InputError(f"{rel}: file name matches several tables ({', '.join(tables)}); rename it")
        if not tables:
            ignored.append(f"{rel}: not an input table by its name")
            continue
        if specs[tables[0]].scope != scope:
            ignored.append(f"{rel}: {tables[0]} belongs in {'reference/' if scope == 'county' else 'a county folder'}")
            continue
        files.append(InputFile(path=path, rel=rel, table=tables[0], county=county))


def discover(input_dir: Path) -> RunInputs:
    """The files of a county run (a county folder) or a city run (a folder of county folders)."""
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise InputError(f"{input_dir}: input folder does not exist or is not a folder")
    specs = table_specs()
    county_dirs = {d.name: d for d in sorted(input_dir.iterdir()) if d.is_dir() and _is_county_code(d.name)}
    if county_dirs:
        kind, counties, reference_candidates = "city", county_dirs, [input_dir / "reference"]
    else:
        code = input_dir.name if _is_county_code(input_dir.name) else ""
        kind, counties = "county", {code: input_dir}
        reference_candidates = [input_dir / "reference", input_dir.parent / "reference"]
    reference_dir = next((d for d in reference_candidates if d.is_dir()), None)
    files: list[InputFile] = []
    ignored: list[str] = []
    for code, folder in counties.items():
        _collect(folder, "county", code, input_dir, specs, files, ignored)
    if reference_dir is not None:
        _collect(reference_dir, "reference", None, input_dir, specs, files, ignored)
    for wanted in ("payments", "recipients"):
        for code in counties:
            if not any(f.table == wanted and f.county == code for f in files):
                where = _relative(counties[code], input_dir) if kind == "city" else str(input_dir)
                raise InputError(f"{where}: no {wanted} file ({specs[wanted].title}) found")
    for index, f in enumerate(files, start=1):
        f.index = index
    return RunInputs(input_dir, kind, counties, reference_dir, files, ignored)


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
            seen_headers[canonical] = str(header).strip()
    missing = [c for c in spec.required if c.name not in mapping]
    if missing:
        names = ", ".join(f"{c.name} ({c.aliases[0]})" for c in missing)
        raise InputError(f"{rel}: not a {spec.name} ({spec.title}) table: required column missing: {names}")
    return raw_names, mapping


def _sha256_and_encoding(path: Path, rel: str) -> tuple[str, str, int]:
    """sha256 of the bytes, the text encoding (utf-8 or gb18030) and the physical line count."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    newlines = 0
    last_byte = b""
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(READ_CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
            newlines += chunk.count(b"\n")
            last_byte = chunk[-1:]
            if utf8_ok:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
    if size == 0:
        raise InputError(f"{rel}: file is empty")
    lines = newlines + (0 if last_byte == b"\n" else 1)
    if utf8_ok:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    if utf8_ok:
        return digest.hexdigest(), "utf-8", lines
    gb = codecs.getincrementaldecoder("gb18030")()
    with open(path, "rb") as fh:
        offset = 0
        while chunk := fh.read(READ_CHUNK_BYTES):
            try:
                gb.decode(chunk)
            except UnicodeDecodeError as error:
                raise InputError(
                    f"{rel}: cannot be decoded as UTF-8 or GBK/GB18030 (bad bytes near byte {offset + error.start})"
                ) from None
            offset += len(chunk)
        try:
            gb.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InputError(f"{rel}: cannot be decoded as UTF-8 or GBK/GB18030 (truncated at the end)") from None
    return digest.hexdigest(), "gb18030", lines


def _transcode_to_utf8(path: Path, target: Path) -> None:
    with open(path, encoding="gb18030", newline="") as src, open(target, "w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(READ_CHUNK_BYTES):
            dst.write(chunk)


def _first_line(path: Path) -> str:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return fh.readline()


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(con: duckdb.DuckDBPyConnection, f: InputFile, spec: TableSpec, work_dir: Path) -> None:
    f.sha256, f.encoding, physical_lines = _sha256_and_encoding(f.path, f.rel)
    text_path = f.path
    if f.encoding != "utf-8":
        text_path = work_dir / f"transcoded_{f.index:04d}.csv"
        _transcode_to_utf8(f.path, text_path)
    header_line = _first_line(text_path)
    if not header_line.strip():
        raise InputError(f"{f.rel}: first line is empty; expected the header row")
    delimiter = _sniff_delimiter(header_line)
    headers = next(csv.reader([header_line.rstrip("\r\n")], delimiter=delimiter))
    raw_names, f.columns = map_headers(headers, spec, f.rel)
    if physical_lines == 1:
        _create_raw_from_rows(con, f, raw_names, [], [])
        return
    if not _read_csv_with_duckdb(con, f, text_path, raw_names, delimiter, physical_lines):
        _read_csv_with_python(con, f, text_path, raw_names, delimiter)


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


def _read_csv_with_python(con, f: InputFile, text_path: Path, raw_names, delimiter) -> None:
    """The exact path: physical line numbers across quoted newlines, short and long rows quarantined."""
    csv.field_size_limit(1 << 30)
    width = len(raw_names)
    lines, rows = [], []
    batches: list[pa.RecordBatch] = []
    with open(text_path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            next(reader)
            previous_end = reader.line_num
            for record in reader:
                start_line, previous_end = previous_end + 1, reader.line_num
                if not any(field.strip() for field in record):
                    continue
                f.rows_read += 1
                if len(record) != width:
                    value = delimiter.join(record)[:QUARANTINE_VALUE_CHARS]
                    f.early_quarantine.append(
                        (start_line, "", value, f"字段数为{len(record)}，与表头的{width}列不符")
                    )
                    continue
                lines.append(start_line)
                rows.append(record)
                if len(rows) >= ARROW_BATCH_ROWS:
                    batches.append(_batch(raw_names, lines, rows))
                    lines, rows = [], []
        except csv.Error as error:
            raise InputError(f"{f.rel}: not a readable CSV near line {reader.line_num}: {error}") from None
    batches.append(_batch(raw_names, lines, rows))
    _create_raw_from_batches(con, f, raw_names, batches)


def _batch(raw_names: list[str], lines: list[int], rows: list[list[str]]) -> pa.RecordBatch:
    columns = list(zip(*rows)) if rows else [[] for _ in raw_names]
    arrays = [pa.array(lines, pa.int64())] + [pa.array(list(c), pa.string()) for c in columns]
    return pa.RecordBatch.from_arrays(arrays, names=["source_line", *raw_names])


def _create_raw_from_batches(con, f: InputFile, raw_names: list[str], batches: list[pa.RecordBatch]) -> None:
    table = f"raw.f{f.index:04d}"
    arrow_table = pa.Table.from_batches(batches)  # noqa: F841 - read by DuckDB below
    con.execute(f"create or replace table {table} as select * from arrow_table")
    f.raw_table = table


def _create_raw_from_rows(con, f: InputFile, raw_names, lines, rows) -> None:
    _create_raw_from_batches(con, f, raw_names, [_batch(raw_names, lines, rows)])


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


def _header_score(row: list[object], spec: TableSpec) -> int:
    known = {_normalise_header(a) for c in spec.columns for a in (c.name, *c.aliases)}
    return sum(1 for cell in row if _normalise_header(cell) in known)


def _read_xlsx(con, f: InputFile, spec: TableSpec) -> None:
    from python_calamine import CalamineWorkbook

    f.sha256 = hashlib.sha256(f.path.read_bytes()).hexdigest()
    f.encoding = "xlsx"
    try:
        workbook = CalamineWorkbook.from_path(str(f.path))
        sheets = [(name, workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
                  for name in workbook.sheet_names]
    except Exception as error:  # calamine raises several unrelated types for damaged workbooks
        raise InputError(f"{f.rel}: not a readable .xlsx workbook ({type(error).__name__})") from None
    best = None
    for sheet_name, rows in sheets:
        for row_index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            score = _header_score(row, spec)
            if score and (best is None or score > best[0]):
                best = (score, sheet_name, row_index, rows)
    if best is None:
        raise InputError(f"{f.rel}: no sheet has a header row of a {spec.name} ({spec.title}) table")
    _, sheet_name, header_index, rows = best
    headers = rows[header_index]
    raw_names, f.columns = map_headers(headers, spec, f"{f.rel} (sheet {sheet_name})")
    width = len(raw_names)
    lines, texts = [], []
    for row_index in range(header_index + 1, len(rows)):
        cells = [_cell_text(v) for v in rows[row_index][:width]]
        cells += [None] * (width - len(cells))
        if all(c is None or not c.strip() for c in cells):
            continue
        lines.append(row_index + 1)
        texts.append(cells)
    f.rows_read = len(texts)
    _create_raw_from_rows(con, f, raw_names, lines, texts)


def _read_parquet(con, f: InputFile, spec: TableSpec) -> None:
    f.sha256 = hashlib.sha256(f.path.read_bytes()).hexdigest()
    f.encoding = "parquet"
    try:
        headers = [r[0] for r in con.execute("describe select * from read_parquet(?)", [str(f.path)]).fetchall()]
    except duckdb.Error as error:
        raise InputError(f"{f.rel}: not a readable Parquet file ({str(error).splitlines()[0]})") from None
    raw_names, f.columns = map_headers(headers, spec, f.rel)
    table = f"raw.f{f.index:04d}"
    casts = ", ".join(f'cast("{h.replace(chr(34), chr(34) * 2)}" as varchar) as {n}' for h, n in zip(headers, raw_names))
    con.execute(f"create or replace table {table}_scan as select {casts} from read_parquet(?)", [str(f.path)])
    con.execute(f"create or replace view {table} as select rowid + 2 as source_line, * from {table}_scan")
    f.raw_table = table
    f.rows_read = con.execute(f"select count(*) from {table}").fetchone()[0]


def read_raw(con: duckdb.DuckDBPyConnection, f: InputFile, spec: TableSpec, work_dir: Path) -> None:
    """Read one input file into raw.fNNNN (text columns plus source_line)."""
    con.execute("create schema if not exists raw")
    suffix = f.path.suffix.lower()
    try:
        if suffix == ".xlsx":
            _read_xlsx(con, f, spec)
        elif suffix == ".parquet":
            _read_parquet(con, f, spec)
        else:
            _read_csv(con, f, spec, work_dir)
    except (PermissionError, IsADirectoryError, FileNotFoundError) as error:
        raise InputError(f"{f.rel}: cannot be opened ({error.strerror or type(error).__name__})") from None
