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
import unicodedata
from concurrent.futures import ThreadPoolExecutor
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
CSV_FIELD_LIMIT = 1 << 30  # csv's own default (128 KB) is process-wide state; the loader sets its own
INVISIBLE_HEADER_CHARS = "\u200b\u200c\u200d\u2060\ufeff"


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
    from fundwatch.sidecars import loader_config  # the tables are declared in sql/tables/<table>.toml

    return loader_config(sql_dir())


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
    headers: dict[str, str] = field(default_factory=dict)  # raw column -> the header as the file prints it
    extra_columns: dict[str, str] = field(default_factory=dict)  # header of an unknown column -> raw column
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
    return re.sub(rf"[\s\u3000{INVISIBLE_HEADER_CHARS}]+", "", str(text or "")).lower()


def _printed_header(text: object, position: int) -> str:
    printed = re.sub(rf"[{INVISIBLE_HEADER_CHARS}]+", "", str(text or "")).strip()
    return printed or f"第{position + 1}列（无表头）"


def county_code(name: str) -> str | None:
    """The 6-digit division code a folder is named with (full-width digits read as digits), or None."""
    code = unicodedata.normalize("NFKC", name).strip()
    return code if re.fullmatch(r"[0-9]{6}", code) else None


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
        tables = match_table(path.name, specs)
        if path.is_dir():
            if tables:
                raise InputError(f"{rel}: is a folder, not a file")
            ignored.append(f"{rel}: a folder; files in subfolders are not read")
            continue
        if not path.exists():
            raise InputError(f"{rel}: broken link or unreadable file")
        if not path.is_file():
            raise InputError(f"{rel}: not a regular file")
        if path.suffix.lower() == ".xls":
            raise InputError(f"{rel}: legacy .xls workbooks are not supported; save it as .xlsx")
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
    county_dirs: dict[str, Path] = {}
    for d in sorted(input_dir.iterdir()):
        code = county_code(d.name) if d.is_dir() else None
        if code is None:
            continue
        if code in county_dirs:
            raise InputError(f"{d.name}: names the same county {code} as folder {county_dirs[code].name}; keep one")
        county_dirs[code] = d
    if county_dirs:
        kind, counties, reference_candidates = "city", county_dirs, [input_dir / "reference"]
    else:
        code = county_code(input_dir.name) or ""
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
                names = " or ".join(f"*{n}*" for n in specs[wanted].file_names)
                seen = "; ignored: " + ", ".join(ignored) if ignored else "; the folder holds no other .csv/.xlsx/.parquet"
                raise InputError(f"{where}: no {wanted} file ({specs[wanted].title}) found: a file name must contain "
                                 f"{names} (.csv, .txt, .tsv, .xlsx or .parquet){seen}")
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
            seen_headers[canonical] = _printed_header(header, position)
    missing = [c for c in spec.required if c.name not in mapping]
    if missing:
        names = ", ".join(f"{c.name} ({c.aliases[0]})" for c in missing)
        raise InputError(f"{rel}: not a {spec.name} ({spec.title}) table: required column missing: {names}")
    return raw_names, mapping


def _set_columns(f: InputFile, spec: TableSpec, headers: list[object], where: str) -> list[str]:
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


UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ZIP_MAGIC = b"PK\x03\x04"
REPLACEMENT = "\ufffd"
UNDECODABLE_REASON = "含有无法解码的字节（与文件其余部分的编码不同）"


@dataclass
class _ByteScan:
    sha256: str
    size: int
    head: bytes
    utf8_ok: bool
    utf8_error_at: int | None  # offset (near) the first byte that is not UTF-8
    lines: int  # physical lines: \n, \r\n and lone \r end a line


def _scan_bytes(path: Path) -> _ByteScan:
    """One streaming pass: sha256, UTF-8 validity, and the physical line count."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok, error_at = True, None
    size = newlines = lone_cr = 0
    head = previous_last = b""
    # the hash runs in a thread (hashlib lets go of the GIL) beside the decoding, chunk after chunk
    with open(path, "rb") as fh, ThreadPoolExecutor(max_workers=1) as hasher:
        hashing = None
        while chunk := fh.read(READ_CHUNK_BYTES):
            head = head or chunk[:8]
            if hashing is not None:
                hashing.result()
            hashing = hasher.submit(digest.update, chunk)
            newlines += chunk.count(b"\n")
            if b"\r" in chunk or previous_last == b"\r":
                lone_cr += chunk.count(b"\r") - chunk.count(b"\r\n") - (previous_last == b"\r" and chunk[:1] == b"\n")
            if utf8_ok:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError as error:
                    utf8_ok, error_at = False, max(size + error.start - 3, 0)
            size += len(chunk)
            previous_last = chunk[-1:]
        if hashing is not None:
            hashing.result()
    if utf8_ok:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok, error_at = False, max(size - 3, 0)
    lines = newlines + lone_cr + (0 if previous_last in (b"\n", b"\r") else 1)
    return _ByteScan(digest.hexdigest(), size, head, utf8_ok, error_at, lines)


def _replacements(path: Path) -> tuple[int, int]:
    """How many characters of the file cannot be decoded as UTF-8, and as GB18030 (after a UTF-8 BOM)."""
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
    gb = codecs.getincrementaldecoder("gb18030")(errors="replace")
    counts = [0, 0]
    with open(path, "rb") as fh:
        first = True
        while True:
            data = fh.read(READ_CHUNK_BYTES)
            counts[0] += utf8.decode(data, final=not data).count(REPLACEMENT)
            counts[1] += gb.decode(data[3:] if first and data.startswith(UTF8_BOM) else data,
                                   final=not data).count(REPLACEMENT)
            first = False
            if not data:
                return counts[0], counts[1]


def _text_encoding(path: Path, scan: _ByteScan, rel: str) -> tuple[str, str]:
    """(Python codec to read the file with, name for the manifest).

    Not valid UTF-8: GBK/GB18030, unless UTF-8 leaves fewer bytes undecoded (a UTF-8 file with a
    few foreign bytes: a pasted GBK row, a character cut at the end). Either way the bytes that stay
    undecodable become U+FFFD and their rows go to quarantine.
    """
    if scan.size == 0:
        raise InputError(f"{rel}: file is empty")
    if scan.head.startswith(ZIP_MAGIC):
        raise InputError(f"{rel}: is an Excel workbook (zip), not CSV text; give it the .xlsx extension")
    if scan.head.startswith(UTF16_BOMS):
        return "utf-16", "utf-16"
    if scan.utf8_ok:
        return "utf-8-sig", "utf-8"
    utf8_errors, gb_errors = _replacements(path)
    if utf8_errors < gb_errors:
        return "utf-8-sig", "utf-8 (with bytes that are not UTF-8)"
    if scan.head.startswith(UTF8_BOM):
        return "gb18030", "gb18030 (after a UTF-8 byte-order mark)"
    return "gb18030", "gb18030"


def _transcode_to_utf8(path: Path, codec: str, target: Path) -> tuple[bool, int]:
    """Write the file as UTF-8 (undecodable bytes as U+FFFD); (any replaced, physical lines)."""
    lossy, newlines, lone_cr, previous_last, last = False, 0, 0, "", ""
    skip_bom = codec == "gb18030"
    with open(path, "rb") as raw, open(target, "w", encoding="utf-8", newline="") as dst:
        if skip_bom and raw.read(3) != UTF8_BOM:
            raw.seek(0)
        decoder = codecs.getincrementaldecoder(codec)(errors="replace")
        while True:
            data = raw.read(READ_CHUNK_BYTES)
            chunk = decoder.decode(data, final=not data)
            if chunk:
                lossy = lossy or REPLACEMENT in chunk
                newlines += chunk.count("\n")
                lone_cr += chunk.count("\r") - chunk.count("\r\n") - (previous_last == "\r" and chunk[0] == "\n")
                previous_last = last = chunk[-1]
                dst.write(chunk)
            if not data:
                break
    return lossy, newlines + lone_cr + (0 if last in ("\n", "\r") else 1)


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
            score = _header_score(cells, spec)
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


def _read_csv(con: duckdb.DuckDBPyConnection, f: InputFile, spec: TableSpec, work_dir: Path) -> None:
    scan = _scan_bytes(f.path)
    f.sha256 = scan.sha256
    codec, f.encoding = _text_encoding(f.path, scan, f.rel)
    text_path, physical_lines, lossy = f.path, scan.lines, False
    if codec != "utf-8-sig" or not scan.utf8_ok:
        text_path = work_dir / f"transcoded_{f.index:04d}.csv"
        lossy, physical_lines = _transcode_to_utf8(f.path, codec, text_path)
    header_index, delimiter, headers = _find_csv_header(_header_candidates(text_path), spec, f, lossy,
                                                        scan.utf8_error_at)
    raw_names = _set_columns(f, spec, headers, f.rel)
    if physical_lines <= header_index + 1:
        _create_raw_from_rows(con, f, raw_names, [], [])
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
    writer = _RawWriter(con, f, raw_names)
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
                    writer.add(_batch(raw_names, lines, rows))
                    lines, rows = [], []
        except csv.Error as error:
            raise InputError(f"{f.rel}: not a readable CSV near line {reader.line_num}: {error}") from None
    writer.add(_batch(raw_names, lines, rows))


class _RawWriter:
    """Appends Arrow batches to raw.fNNNN as they are read, so a large file never sits in memory whole."""

    def __init__(self, con, f: InputFile, raw_names: list[str]):
        self.con, self.table, self.created = con, f"raw.f{f.index:04d}", False
        f.raw_table = self.table

    def add(self, batch: pa.RecordBatch) -> None:
        arrow_batch = pa.Table.from_batches([batch])  # noqa: F841 - read by DuckDB below
        if self.created:
            self.con.execute(f"insert into {self.table} select * from arrow_batch")
        else:
            self.con.execute(f"create or replace table {self.table} as select * from arrow_batch")
            self.created = True


def _batch(raw_names: list[str], lines: list[int], rows: list[list[str]]) -> pa.RecordBatch:
    columns = list(zip(*rows)) if rows else [[] for _ in raw_names]
    arrays = [pa.array(lines, pa.int64())] + [pa.array(list(c), pa.string()) for c in columns]
    return pa.RecordBatch.from_arrays(arrays, names=["source_line", *raw_names])


def _create_raw_from_rows(con, f: InputFile, raw_names, lines, rows) -> None:
    _RawWriter(con, f, raw_names).add(_batch(raw_names, lines, rows))


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


def _maps_required(row: list[object], spec: TableSpec) -> bool:
    try:
        map_headers(row, spec, "")
    except InputError:
        return False
    return True


def _read_xlsx(con, f: InputFile, spec: TableSpec) -> None:
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
                score = _header_score(row, spec)
                if score:
                    candidates.append((score, _maps_required(row, spec), sheet_name, first_row + offset, sheet))
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
    raw_names = _set_columns(f, spec, headers, f"{f.rel} (sheet {sheet_name})")
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
    _create_raw_from_rows(con, f, raw_names, lines, texts)


IDENTIFIER_TYPES = {"id_number": "身份证号", "account": "银行账号"}
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
            return format(value, ".17g"), f"{IDENTIFIER_TYPES[kind]}被存为数值，末位已丢失"
        digits = str(int(value))
        if len(digits) > FLOAT_EXACT_DIGITS and len(digits.rstrip("0")) <= FLOAT_EXACT_DIGITS:
            return digits, f"{IDENTIFIER_TYPES[kind]}被存为数值，末位已丢失"
        return digits, None
    if kind == "period":
        if isinstance(value, float) and not value.is_integer():
            return format(value, ".15g"), "所属期为数值单元格（如2022.10会被存为2022.1），无法确定月份"
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


SOURCE_TIME_ZONE = "Asia/Shanghai"  # the zone a TIMESTAMPTZ is read in: the agencies' own
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
PERIOD_NUMBER_REASON = "所属期为数值单元格（如2022.10会被存为2022.1），无法确定月份"


def _parquet_text(column: str, duckdb_type: str, kind: str | None) -> tuple[str, str | None]:
    """SQL rendering one typed Parquet column as the text the parsers read, exactly, and the SQL of
    the reason a value cannot be read exactly (None when every value can).

    A decimal keeps its digits (rescaled to two places only when that changes nothing, so that
    DECIMAL(18,4) amounts load and 12.3450 is still refused); a date in a period column is its month;
    a timestamp keeps its time of day, a TIMESTAMPTZ read in the agencies' zone; an ID number or
    account stored as a floating-point number has lost its last digits.
    """
    quoted = '"' + column.replace('"', '""') + '"'
    upper = duckdb_type.upper()
    if upper.startswith("DECIMAL"):
        return (f"case when {quoted} = round({quoted}, 2) then cast({quoted} as decimal(38, 2))::varchar "
                f"else {quoted}::varchar end"), None
    if upper in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        quoted, upper = f"timezone('{SOURCE_TIME_ZONE}', {quoted})", "TIMESTAMP"
    if upper.startswith("TIMESTAMP") or upper == "DATE":
        if kind == "period":
            return f"strftime({quoted}, '%Y-%m')", None
        if upper == "DATE":
            return f"strftime({quoted}, '%Y-%m-%d')", None
        return (f"case when {quoted}::time = time '00:00:00' then strftime({quoted}, '%Y-%m-%d') "
                f"else strftime({quoted}, '%Y-%m-%d %H:%M:%S') end"), None
    if upper in FLOAT_TYPES and kind in IDENTIFIER_TYPES:
        reason = f"{IDENTIFIER_TYPES[kind]}被存为数值，末位已丢失"
        return f"{quoted}::varchar", f"case when {quoted} is not null then '{reason}' end"
    if upper in FLOAT_TYPES and kind == "period":
        return (f"case when {quoted} = trunc({quoted}) then {quoted}::bigint::varchar else {quoted}::varchar end",
                f"case when {quoted} <> trunc({quoted}) then '{PERIOD_NUMBER_REASON}' end")
    return f"cast({quoted} as varchar)", None


def _quarantine_unreadable(con, f: InputFile, table: str, raw_names: list[str], problems, readable: str) -> None:
    """Rows of a typed file holding a value that cannot be read exactly: quarantined as read."""
    raw_of = {header: raw for raw, header in f.headers.items()}
    problem_columns = ", ".join(f"problem_{i}" for i in range(len(problems)))
    rows = con.execute(f"select rowid + 2, {problem_columns}, {', '.join(raw_names)} from {table}_scan "
                       f"where not ({readable}) order by 1").fetchall()
    for line, *cells in rows:
        values = dict(zip(raw_names, cells[len(problems):]))
        bad = [(header, reason) for (header, _), reason in zip(problems, cells[:len(problems)]) if reason]
        f.early_quarantine.append((line, ";".join(h for h, _ in bad),
                                   ";".join(values[raw_of[h]] or "" for h, _ in bad)[:QUARANTINE_VALUE_CHARS],
                                   ";".join(dict.fromkeys(r for _, r in bad))))


def _read_parquet(con, f: InputFile, spec: TableSpec) -> None:
    f.sha256 = hashlib.sha256(f.path.read_bytes()).hexdigest()
    f.encoding = "parquet"
    try:
        described = con.execute("describe select * from read_parquet(?)", [str(f.path)]).fetchall()
    except duckdb.Error as error:
        raise InputError(f"{f.rel}: not a readable Parquet file ({str(error).splitlines()[0][:200]})") from None
    headers = [r[0] for r in described]
    raw_names = _set_columns(f, spec, headers, f.rel)
    kinds = column_types(f, spec)
    rendered = {n: _parquet_text(h, t, kinds.get(n)) for (h, t, *_), n in zip(described, raw_names)}
    problems = [(f.headers[n], problem) for n, (_, problem) in rendered.items() if problem]
    problem_columns = (", " + ", ".join(f"{sql} as problem_{i}" for i, (_, sql) in enumerate(problems))) if problems else ""
    table = f"raw.f{f.index:04d}"
    casts = ", ".join(f"{text} as {n}" for n, (text, _) in rendered.items())
    try:
        con.execute(f"create or replace table {table}_scan as select {casts}{problem_columns} from read_parquet(?)",
                    [str(f.path)])
    except duckdb.Error as error:
        raise InputError(f"{f.rel}: not a readable Parquet file ({str(error).splitlines()[0][:200]})") from None
    readable = " and ".join(f"problem_{i} is null" for i in range(len(problems))) or "true"
    if problems:
        _quarantine_unreadable(con, f, table, raw_names, problems, readable)
    con.execute(f"create or replace view {table} as select rowid + 2 as source_line, {', '.join(raw_names)} "
                f"from {table}_scan where {readable}")
    f.raw_table = table
    f.rows_read = con.execute(f"select count(*) from {table}_scan").fetchone()[0]


def attach_staging(con: duckdb.DuckDBPyConnection) -> None:
    """`raw`: an in-memory database for the text as read and the typing steps, spilled to disk when
    memory runs short; none of it is written to (or kept in) the run's database file."""
    con.execute("attach if not exists ':memory:' as raw")


def drop_raw(con: duckdb.DuckDBPyConnection, files: list[InputFile]) -> None:
    """Free the text of files whose rows are typed (their raw tables and views)."""
    prefixes = tuple(f"f{f.index:04d}" for f in files)
    objects = con.execute("select view_name, 'view' from duckdb_views() where database_name = 'raw' "
                          "union all select table_name, 'table' from duckdb_tables() where database_name = 'raw' "
                          "order by 2 desc").fetchall()  # views before the tables they read
    for name, kind in objects:
        if name.startswith(prefixes):
            con.execute(f"drop {kind} raw.{name}")


def read_raw(con: duckdb.DuckDBPyConnection, f: InputFile, spec: TableSpec, work_dir: Path) -> None:
    """Read one input file into raw.fNNNN (text columns plus source_line); `raw` is attach_staging's."""
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
