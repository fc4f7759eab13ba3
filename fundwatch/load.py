"""Typing the raw tables into the declared tables, quarantining what cannot be read.

The tables, their columns and each column's parser are declared in sql/tables/<table>.toml
(fundwatch.sidecars); the parsers are macros of sql/load/macros.sql, named in sql/load/parsers.toml.
The typing SQL is built from them and run as three steps per table: type every row and list its
problems; load the clean first copies; quarantine the rest (problems, or exact copies of an earlier row).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import duckdb

from fundwatch.db import run_sql, run_sql_file, sql_literal
from fundwatch.divisions import load_division_codes
from fundwatch.ingest import (
    ROW_KEY_FILE_FACTOR,
    InputError,
    InputFile,
    RunInputs,
    TableSpec,
    TypeSpec,
    attach_staging,
    drop_raw,
    read_raw,
    table_specs,
    type_specs,
)
from fundwatch.paths import sql_dir
from fundwatch.reference import SharedReference, copy_reference, take_shared_files
from fundwatch.sidecars import schema_sql

MISSING_REASON = "必填项为空"
DUPLICATE_REASON = "完全重复行"
MAX_FIELD_CHARS = 10_000
LONG_REASON = f"字段过长（超过{MAX_FIELD_CHARS}个字符）"
NUL_REASON = "含有NUL字符"
QUARANTINE_VALUE_CHARS = 200
# Tables a county cannot be checked without: a county whose files of them hold no row stops the run.
COUNTY_TABLES_WITH_ROWS = ("payments", "recipients")



def _raw_rows_sql(spec: TableSpec, files: list[InputFile]) -> str:
    """Every file's rows under the table's column names, with each column's header as the file prints
    it (for quarantine) and the unknown columns kept as one JSON object."""
    parts = []
    for f in files:
        columns = ", ".join(
            f"{f.columns[c.name] if c.name in f.columns else 'null::varchar'} as raw_{c.name}, "
            f"{sql_literal(f.headers.get(f.columns.get(c.name), c.name))} as header_{c.name}"
            for c in spec.columns
        )
        extra = ("json_object(" + ", ".join(f"{sql_literal(h)}, {raw}" for h, raw in f.extra_columns.items()) + ")"
                 if f.extra_columns else "null::json")
        county = sql_literal(f.county) if f.county is not None else "null::varchar"
        parts.append(
            f"select {f.index} as file_index, {sql_literal(f.rel)} as source_file, {county} as county, "
            f"source_line, {columns}, {extra} as extra_columns from {f.raw_table}"
        )
    return "\n    union all\n    ".join(parts)


def _problem_expr(column, type_spec: TypeSpec) -> str:
    """The struct naming what is wrong with one cell (reason null when nothing is), on typed values."""
    raw = f"raw_{column.name}"
    branches = [f"when length({raw}) > {MAX_FIELD_CHARS} then {sql_literal(LONG_REASON)}",
                f"when contains({raw}, chr(0)) then {sql_literal(NUL_REASON)}"]
    if column.required:
        branches.append(f"when {_blank(column)} then {sql_literal(MISSING_REASON)}")
    if type_spec.reason:
        branches.append(f"when {column.name} is null and not {_blank(column)} then {sql_literal(type_spec.reason)}")
    return (f"{{'column': header_{column.name}, 'value': left({raw}, {QUARANTINE_VALUE_CHARS}), "
            f"'reason': case {' '.join(branches)} end}}")


def _blank(column) -> str:
    """SQL: the cell is empty once cleaned (free text is cleaned in place, so its value says it)."""
    return f"({column.name} is null)" if column.type == "text" else f"{column.name}_blank"


def _lookup_cte(column, type_spec: TypeSpec) -> str:
    """Each distinct raw value of a column parsed once (columns repeat: periods, dates, people), with
    whether it is blank once cleaned."""
    raw = f"raw_{column.name}"
    if column.type == "id_number":
        return f"""
{column.name}_candidates as (
    select {raw}, fw_id_candidate({raw}) as candidate, fw_clean({raw}) as cleaned
    from (select distinct {raw} from raw_rows where {raw} is not null)
),
{column.name}_lookup as (
    select {raw},
           case when fw_id_problem(candidate) is null then candidate else cleaned end as {column.name},
           fw_id_problem(candidate) is null as id_valid,
           cleaned is null as {column.name}_blank
    from {column.name}_candidates
),"""
    return f"""
{column.name}_lookup as (
    select {raw}, {type_spec.macro}({raw})::{type_spec.sql_type} as {column.name},
           fw_clean({raw}) is null as {column.name}_blank
    from (select distinct {raw} from raw_rows where {raw} is not null)
),"""


def build_typing_sql(spec: TableSpec, types: dict[str, TypeSpec], files: list[InputFile],
                     absent_values: dict[str, str]) -> str:
    """stg_<table>: every raw row typed, with the list of its problems.

    Free text is trimmed in place; every other column is parsed once per distinct raw value (a
    county has a few dozen periods and one row per person) and joined back. Problems are read off
    the typed values. `absent_values`: each type's value for an absent cell (SQL literals).
    """
    typed, lookups, joins = [], [], []
    for column in spec.columns:
        raw = f"raw_{column.name}"
        if column.type == "text":
            typed.append(f"fw_clean({raw}) as {column.name}")
            continue
        lookups.append(_lookup_cte(column, types[column.type]))
        joins.append(f"left join {column.name}_lookup using ({raw})")
        typed.append(f"coalesce({column.name}_lookup.{column.name}_blank, true) as {column.name}_blank")
        if column.type == "id_number":
            typed.append(f"{column.name}_lookup.{column.name}")
            typed.append("coalesce(id_valid, false) as id_valid")
        else:  # an absent value is parsed too: an empty 发放状态 is 成功
            typed.append(f"case when {raw} is null then {absent_values[column.type]} "
                         f"else {column.name}_lookup.{column.name} end as {column.name}")
    if any(c.type == "benefit_type" for c in spec.columns):
        joins.append("left join benefit_categories on benefit_categories.benefit_type = benefit_type_lookup.benefit_type")
        typed.append("benefit_categories.category as benefit_category")
    raw_columns = ", ".join(f"raw_{c.name}, header_{c.name}" + ("" if c.type == "text" else f", {c.name}_blank")
                            for c in spec.columns)
    problems = [p for p in (_problem_expr(c, types[c.type]) for c in spec.columns) if p]
    newline = chr(10)
    return f"""
create or replace table raw.stg_{spec.name} as
with raw_rows as not materialized (
    {_raw_rows_sql(spec, files)}
),{''.join(lookups)}
typed as (
    select file_index, source_file, county, source_line, extra_columns, {', '.join(f"raw_{c.name}, header_{c.name}" for c in spec.columns)},
           {(',' + newline + '           ').join(typed)}
    from raw_rows
    {(newline + '    ').join(joins)}
)
select * exclude ({raw_columns}),
       case when {' and '.join(_clean_conditions(spec, types))}
            then []::struct("column" varchar, "value" varchar, reason varchar)[]
            else list_filter([{', '.join(problems)}], lambda p: p.reason is not null)
       end as problems
from typed
"""


def absent_values(con: duckdb.DuckDBPyConnection, types: dict[str, TypeSpec]) -> dict[str, str]:
    """What each column type's parser makes of an absent cell, as SQL literals (NULL but for 发放状态).

    Asked of the macros once per process and version of them: binding every parser takes ~0.2 s."""
    key = (con.execute("select fw_macros_version()").fetchone()[0], tuple(types.items()))
    if key not in _ABSENT_VALUES:
        names = list(types)
        row = con.execute("select " + ", ".join(f"{types[n].macro}(null::varchar)::varchar" for n in names)).fetchone()
        _ABSENT_VALUES[key] = {
            name: (f"{sql_literal(value)}::{types[name].sql_type}" if value is not None else f"null::{types[name].sql_type}")
            for name, value in zip(names, row)}
    return _ABSENT_VALUES[key]


_ABSENT_VALUES: dict[tuple, dict[str, str]] = {}


def _clean_conditions(spec: TableSpec, types: dict[str, TypeSpec]) -> list[str]:
    """Cheap tests that a row has no problem; rows failing them get the full problem list."""
    conditions = []
    for column in spec.columns:
        raw = f"raw_{column.name}"
        if column.required:
            conditions.append(f"{column.name} is not null")
        elif types[column.type].reason:
            conditions.append(f"({column.name} is not null or {_blank(column)})")
        conditions.append(f"coalesce(length({raw}) <= {MAX_FIELD_CHARS} and not contains({raw}, chr(0)), true)")
    return conditions


def _target_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"describe {table}").fetchall()]


def build_insert_sql(spec: TableSpec, target_columns: list[str]) -> str:
    """Load the clean rows, keeping the first of exact copies."""
    data_columns = [c.name for c in spec.columns] + ["extra_columns::varchar"]
    select = [
        f"file_index * {ROW_KEY_FILE_FACTOR} + source_line" if c == "row_key" else c
        for c in target_columns
    ]
    return f"""
create or replace table raw.dup_{spec.name} as
with clean_rows as not materialized (
    select *, hash({', '.join(data_columns)}) as row_hash
    from raw.stg_{spec.name}
    where len(problems) = 0
),
repeated_hashes as (
    select row_hash from clean_rows group by row_hash having count(*) > 1
),
candidates as (
    select * from clean_rows where row_hash in (select row_hash from repeated_hashes)
)
select file_index, source_file, source_line, copy_number, first_file, first_line
from (
    select file_index, source_file, source_line,
           row_number() over copies as copy_number,
           first_value(source_file) over copies as first_file,
           first_value(source_line) over copies as first_line
    from candidates
    window copies as (partition by {', '.join(data_columns)} order by file_index, source_line)
)
where copy_number > 1;

insert into {spec.name} ({', '.join(target_columns)})
select {', '.join(select)}
from raw.stg_{spec.name} s
where len(problems) = 0
  and not exists (select 1 from raw.dup_{spec.name} d
                  where d.file_index = s.file_index and d.source_line = s.source_line);
"""


def build_quarantine_sql(spec: TableSpec) -> str:
    return f"""
insert into quarantine (source_file, source_line, table_name, column_name, value, reason)
select source_file, source_line, {sql_literal(spec.name)},
       array_to_string(list_transform(problems, lambda p: p.column), ';'),
       array_to_string(list_transform(problems, lambda p: coalesce(p.value, '')), ';'),
       array_to_string(list_transform(problems, lambda p: p.reason), ';')
from raw.stg_{spec.name}
where len(problems) > 0
union all
select source_file, source_line, {sql_literal(spec.name)}, null, null,
       {sql_literal(DUPLICATE_REASON)} || '（与' ||
       case when first_file = source_file then '' else first_file end || '第' || first_line || '行相同）'
from raw.dup_{spec.name};
"""


def benefit_categories() -> dict[str, dict]:
    with open(sql_dir() / "load" / "benefit_types.toml", "rb") as fh:
        return tomllib.load(fh)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Every declared table (sql/tables/*.toml), created if it does not exist."""
    run_sql(con, "schema", schema_sql(), source="sql/tables/*.toml (DDL)")


def create_benefit_categories(con: duckdb.DuckDBPyConnection) -> None:
    """benefit_categories: INPUT.md's table of benefit types, from sql/load/benefit_types.toml."""
    rows = [(benefit_type, category) for category, spec in benefit_categories().items() for benefit_type in spec["types"]]
    con.execute("create or replace table benefit_categories (benefit_type varchar primary key, category varchar not null)")
    con.executemany("insert into benefit_categories values (?, ?)", rows)


def load_inputs(con: duckdb.DuckDBPyConnection, inputs: RunInputs, work_dir: Path,
                reference: SharedReference | None = None) -> list[dict]:
    """Read, type and quarantine every input file; returns the per-file reconciliation. With
    `reference` (a city run), the reference lists are copied from its one load, not read again."""
    specs, types = table_specs(), type_specs()
    create_schema(con)
    create_benefit_categories(con)
    load_division_codes(con)
    absent = absent_values(con, types)
    attach_staging(con)
    if reference is not None:
        take_shared_files(inputs, reference)
    to_read = [f for f in inputs.files if reference is None or not reference.covers(f)]
    for f in to_read:
        read_raw(con, f, specs[f.table], work_dir)
        for line, column, value, reason in f.early_quarantine:
            con.execute("insert into quarantine values (?, ?, ?, ?, ?, ?)", [f.rel, line, f.table, column, value, reason])
    require_rows(inputs, specs)
    for table, spec in specs.items():
        files = [f for f in to_read if f.table == table]
        if not files:
            continue
        run_sql(con, f"typing {table}", build_typing_sql(spec, types, files, absent))
        drop_raw(con, files)
        run_sql(con, f"loading {table}", build_insert_sql(spec, _target_columns(con, table)))
        run_sql(con, f"quarantining {table}", build_quarantine_sql(spec))
        con.execute(f"drop table raw.stg_{table}; drop table raw.dup_{table}")
    if reference is not None:
        copy_reference(con, reference, inputs)
    record_input_columns(con, inputs, specs)
    reconciliation = reconcile(con, inputs)
    con.execute("detach raw")
    require_loaded_rows(con, inputs, specs, reconciliation)
    create_paid_payments(con)
    return reconciliation


def create_paid_payments(con: duckdb.DuckDBPyConnection) -> None:
    """paid_payments (sql/models/): the payments as the rules see them, net of reversals and payments
    not received; a view over payments and the facts of its few payment groups of more than one row,
    which are computed once, after the load (and on the city database of a city run)."""
    run_sql_file(con, "paid payments", "models/paid_payments.sql")


def record_input_columns(con: duckdb.DuckDBPyConnection, inputs: RunInputs, specs: dict[str, TableSpec]) -> None:
    """input_columns: for every file, each column of its table it holds (under which header) and each
    header it holds that is no column of the table (column_name null: kept in extra_columns, unused)."""
    rows = []
    for f in inputs.files:
        for name, raw in f.columns.items():
            rows.append((f.rel, f.table, name, f.headers.get(raw, name)))
        rows.extend((f.rel, f.table, None, header) for header in f.extra_columns)
    con.execute("create or replace table input_columns (source_file varchar not null, table_name varchar not null, "
                "column_name varchar, header varchar not null)")
    if rows:
        con.executemany("insert into input_columns values (?, ?, ?, ?)", rows)


def require_rows(inputs: RunInputs, specs: dict[str, TableSpec]) -> None:
    """Stop when a county's payments or recipients files hold no row at all.

    An empty export would give an empty clue list that looks like a clean county. One empty file of
    a split table, or an empty reference list, is fine.
    """
    for county in inputs.counties:
        for table in COUNTY_TABLES_WITH_ROWS:
            files = [f for f in inputs.files if f.table == table and f.county == county]
            if files and not any(f.rows_read for f in files):
                others = f" (nor any other {table} file of {county})" if len(files) > 1 else ""
                raise InputError(f"{files[0].rel}: header only, no data rows{others}; "
                                 f"a county cannot be checked without its {specs[table].title}")


MOSTLY_QUARANTINED_SHARE = 0.5


def require_loaded_rows(con, inputs: RunInputs, specs: dict[str, TableSpec], reconciliation: list[dict]) -> None:
    """Stop when none of a county's payments or recipients rows could be loaded.

    Every row quarantined (a date format the export changed, say) would otherwise give an empty clue
    list that looks like a clean county. The message names the most common reason.
    """
    for county in inputs.counties:
        for table in COUNTY_TABLES_WITH_ROWS:
            files = [r for r in reconciliation if r["table"] == table and r["county"] == county]
            if not files or any(r["rows_loaded"] for r in files):
                continue
            read = sum(r["rows_read"] for r in files)
            column, reason, count = con.execute(
                "select column_name, reason, count(*) from quarantine where source_file in (select unnest(?)) "
                "group by all order by 3 desc, 1, 2 limit 1", [[r["path"] for r in files]]).fetchone()
            where = f"{column}: " if column else ""
            raise InputError(f"{files[0]['path']}: none of the {read:,} rows of {specs[table].title} could be loaded "
                             f"(most common reason, {count:,} rows: {where}{reason}); "
                             f"a county cannot be checked without its {specs[table].title}")


def load_warnings(reconciliation: list[dict]) -> list[str]:
    """Files most of whose rows went to quarantine: the run goes on, and says so loudly."""
    warnings = []
    for f in reconciliation:
        if f["rows_read"] and f["rows_quarantined"] > MOSTLY_QUARANTINED_SHARE * f["rows_read"]:
            warnings.append(f"{f['path']}: {f['rows_quarantined']:,} of {f['rows_read']:,} rows quarantined "
                            f"({f['rows_quarantined'] / f['rows_read']:.0%}); see quarantine.csv")
        if f.get("unrecognised_headers"):
            warnings.append(f"{f['path']}: columns not recognised, kept but unused: "
                            + ", ".join(f["unrecognised_headers"]))
    return warnings


def reconcile(con: duckdb.DuckDBPyConnection, inputs: RunInputs) -> list[dict]:
    loaded = dict(
        con.execute(
            " union all ".join(f"select source_file, count(*) from {t} group by 1" for t in inputs.tables_present())
        ).fetchall()
    ) if inputs.files else {}
    quarantined = dict(
        con.execute("select source_file, count(distinct source_line) from quarantine group by 1").fetchall()
    )
    unmapped: dict[str, dict[str, int]] = {}
    if "payments" in inputs.tables_present():
        for source_file, benefit_type, count in con.execute(
                "select source_file, benefit_type, count(*) from payments where benefit_category is null "
                "group by all order by 1, 3 desc, 2").fetchall():
            unmapped.setdefault(source_file, {})[benefit_type] = count
    return [
        {
            "path": f.rel,
            "table": f.table,
            "county": f.county,
            "encoding": f.encoding,
            "sha256": f.sha256,
            "rows_read": f.rows_read,
            "rows_loaded": int(loaded.get(f.rel, 0)),
            "rows_quarantined": int(quarantined.get(f.rel, 0)),
            "unrecognised_headers": list(f.extra_columns),
            **({"unmapped_benefit_types": unmapped.get(f.rel, {})} if f.table == "payments" else {}),
        }
        for f in inputs.files
    ]
