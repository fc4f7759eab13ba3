"""Reading typed Parquet files as the text the parsers read, exactly."""

from __future__ import annotations

import hashlib

import duckdb

from fundwatch.ingest.files import InputError, InputFile
from fundwatch.ingest.headers import column_types, set_columns
from fundwatch.ingest.numeric_cells import IDENTIFIER_TYPES, PERIOD_NUMBER_REASON, lost_digits_reason
from fundwatch.ingest.raw_tables import QUARANTINE_VALUE_CHARS
from fundwatch.ingest.specs import TableSpec


SOURCE_TIME_ZONE = "Asia/Shanghai"  # the zone a TIMESTAMPTZ is read in: the agencies' own
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


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
        reason = lost_digits_reason(kind)
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


def read_parquet(con, f: InputFile, spec: TableSpec) -> None:
    f.sha256 = hashlib.sha256(f.path.read_bytes()).hexdigest()
    f.encoding = "parquet"
    try:
        described = con.execute("describe select * from read_parquet(?)", [str(f.path)]).fetchall()
    except duckdb.Error as error:
        raise InputError(f"{f.rel}: not a readable Parquet file ({str(error).splitlines()[0][:200]})") from None
    headers = [r[0] for r in described]
    raw_names = set_columns(f, spec, headers, f.rel)
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
