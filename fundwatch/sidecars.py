"""The declared tables: one sidecar per table, ``sql/tables/<table>.toml``.

A sidecar is everything fundwatch knows about a table of a run's database:

    title, grain, about   what the table is: its 中文 name, what one row is, notes
    order                 its place in every list (loading, validation, the manifest, the docs)
    [recognition]         input tables only: scope ("county" folder or "reference/") and the
                          file_names keys a file's name must contain
    [[columns]]           in table order: name, type (SQL), nullable, meaning; a column read from
                          the files adds parse (a parser of sql/load/parsers.toml), required (must
                          be in the file and non-empty) and aliases (headers it is read under)
    [[tests]]             the table's Great Expectations: type, kwargs ("$name" = a parameter of
                          checks/validation_params.toml), optional column, description

From the sidecars come the DDL (:func:`schema_sql`, also committed as sql/schema.sql), the loader's
table specs (:func:`loader_config`, read by fundwatch.ingest), the validation suites
(:func:`validation_suites`, read by checks.validation) and docs/tables.md (:func:`tables_markdown`).
``python -m fundwatch.sidecars`` rewrites the two committed files; tests/test_sidecars.py fails when
they differ from what the sidecars give.
"""

from __future__ import annotations

import functools
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from fundwatch.paths import sql_dir

SIDECAR_FOLDER = "tables"
PARSERS_FILE = "load/parsers.toml"
SCOPES = ("county", "reference")
TABLE_KEYS = {"title", "grain", "about", "order", "recognition", "columns", "tests"}
COLUMN_KEYS = {"name", "type", "nullable", "meaning", "parse", "required", "aliases"}
TEST_KEYS = {"type", "kwargs", "column", "description"}


class SidecarError(ValueError):
    """A sidecar that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # SQL type, as in the DDL
    nullable: bool
    meaning: str
    parse: str | None = None  # parser (sql/load/parsers.toml); None: set by the loader or a model, not read
    required: bool = False  # must be present in the file and non-empty in every row
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    grain: str
    about: str
    order: int
    scope: str | None  # input tables: "county" or "reference"; None: built by fundwatch
    file_names: tuple[str, ...]
    columns: tuple[Column, ...]
    tests: tuple[dict, ...]
    path: str  # relative to the repository, for messages and docs

    @property
    def file_columns(self) -> list[Column]:
        """The columns read from the input files, in table order."""
        return [c for c in self.columns if c.parse is not None]


def _compact_type(sql_type: str) -> str:
    return re.sub(r"\s+", "", sql_type).lower()


def _tests_columns(kwargs: dict) -> list[str]:
    cols = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    return cols + list(kwargs.get("column_list", []))


def _text(value: object, where: str, key: str) -> str:
    if not isinstance(value, str) or "\n" in value:
        raise SidecarError(f"{where}: `{key}` must be text on one line")
    return value


def _column(raw: dict, parsers: dict, where: str) -> Column:
    unknown = set(raw) - COLUMN_KEYS
    missing = {"name", "type", "nullable", "meaning"} - set(raw)
    if unknown or missing:
        raise SidecarError(f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    name = _text(raw["name"], where, "name")
    where = f"{where} ({name})"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise SidecarError(f"{where}: a column name is lower-case letters, digits and _")
    if not isinstance(raw["nullable"], bool):
        raise SidecarError(f"{where}: `nullable` is true or false")
    parse = raw.get("parse")
    if parse is None:
        if {"required", "aliases"} & set(raw):
            raise SidecarError(f"{where}: `required` and `aliases` belong to a column read from the files (with `parse`)")
        return Column(name, _text(raw["type"], where, "type"), raw["nullable"], _text(raw["meaning"], where, "meaning"))
    if parse not in parsers:
        raise SidecarError(f"{where}: parser {parse!r} is not in sql/{PARSERS_FILE} ({', '.join(parsers)})")
    if _compact_type(parsers[parse]["sql_type"]) != _compact_type(raw["type"]):
        raise SidecarError(f"{where}: type {raw['type']!r} but parser {parse!r} returns {parsers[parse]['sql_type']!r}")
    if not isinstance(raw.get("required"), bool) or not isinstance(raw.get("aliases"), list):
        raise SidecarError(f"{where}: a column read from the files says `required` (true/false) and `aliases` (a list)")
    if raw["required"] and raw["nullable"]:
        raise SidecarError(f"{where}: a required column is not nullable")
    return Column(name, raw["type"], raw["nullable"], _text(raw["meaning"], where, "meaning"), parse,
                  raw["required"], tuple(_text(a, where, "aliases") for a in raw["aliases"]))


def _test(raw: dict, columns: set[str], where: str) -> dict:
    unknown = set(raw) - TEST_KEYS
    if unknown or "type" not in raw or "description" not in raw:
        raise SidecarError(f"{where}: a test has `type`, `description`, optional `kwargs` and `column`"
                           + (f"; unknown keys {sorted(unknown)}" if unknown else ""))
    named = _tests_columns(raw.get("kwargs", {})) + ([raw["column"]] if "column" in raw else [])
    strangers = [c for c in named if c not in columns]
    if strangers:
        raise SidecarError(f"{where}: names columns the table does not have: {strangers}")
    return dict(raw)


def _table(path: Path, parsers: dict) -> Table:
    where = f"sql/{SIDECAR_FOLDER}/{path.name}"
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as error:
        raise SidecarError(f"{where}: not valid TOML: {error}") from None
    unknown = set(raw) - TABLE_KEYS
    missing = {"title", "grain", "order", "columns"} - set(raw)
    if unknown or missing:
        raise SidecarError(f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    columns = tuple(_column(c, parsers, f"{where} columns[{i}]") for i, c in enumerate(raw["columns"]))
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise SidecarError(f"{where}: a column is declared twice")
    recognition = raw.get("recognition")
    read = [c for c in columns if c.parse]
    if bool(recognition) != bool(read):
        raise SidecarError(f"{where}: an input table has [recognition] and columns with `parse`; "
                           "a table built by fundwatch has neither")
    scope, file_names = None, ()
    if recognition:
        scope, file_names = recognition.get("scope"), recognition.get("file_names")
        if scope not in SCOPES or not file_names or set(recognition) != {"scope", "file_names"}:
            raise SidecarError(f"{where}: [recognition] has scope ({' or '.join(SCOPES)}) and file_names (a list)")
    tests = tuple(_test(t, set(names), f"{where} tests[{i}]") for i, t in enumerate(raw.get("tests", [])))
    if not isinstance(raw["order"], int):
        raise SidecarError(f"{where}: `order` is a whole number")
    return Table(path.stem, _text(raw["title"], where, "title"), _text(raw["grain"], where, "grain"),
                 _text(raw.get("about", ""), where, "about"), raw["order"], scope, tuple(file_names or ()),
                 columns, tests, where)


@functools.cache
def _read(root: Path) -> tuple[dict, tuple[Table, ...]]:
    with open(root / PARSERS_FILE, "rb") as fh:
        parsers = tomllib.load(fh)["types"]
    tables = [_table(p, parsers) for p in sorted((root / SIDECAR_FOLDER).glob("*.toml"))]
    orders = [t.order for t in tables]
    if len(set(orders)) != len(orders):
        raise SidecarError(f"sql/{SIDECAR_FOLDER}: two tables have the same `order`")
    return parsers, tuple(sorted(tables, key=lambda t: t.order))


def read_tables(root: Path | None = None) -> dict[str, Table]:
    """Every declared table, by name, in their `order`."""
    return {t.name: t for t in _read(Path(root or sql_dir()).resolve())[1]}


def read_parsers(root: Path | None = None) -> dict[str, dict]:
    return {name: dict(spec) for name, spec in _read(Path(root or sql_dir()).resolve())[0].items()}


# ---------------------------------------------------------------------------- what is generated


def loader_config(root: Path | None = None) -> dict:
    """The input tables as the loader reads them (fundwatch.ingest.table_specs / type_specs): per table
    title, scope, file_names and its file columns (name, type = parser, required, aliases); "types"
    the parsers."""
    config: dict = {
        t.name: {
            "title": t.title,
            "scope": t.scope,
            "file_names": list(t.file_names),
            "columns": [{"name": c.name, "type": c.parse, "required": c.required, "aliases": list(c.aliases)}
                        for c in t.file_columns],
        }
        for t in read_tables(root).values() if t.scope
    }
    config["types"] = read_parsers(root)
    return config


def validation_suites(root: Path | None = None) -> dict[str, list[dict]]:
    """Per table that declares tests, its tests in declared order (copies)."""
    return {t.name: [dict(x) for x in t.tests] for t in read_tables(root).values() if t.tests}


SCHEMA_PREAMBLE = """\
-- GENERATED from sql/tables/*.toml (one sidecar per table) by `python -m fundwatch.sidecars`:
-- edit the sidecars, not this file (tests/test_sidecars.py fails when it is out of date).
--
-- The tables of one run's database. An input table holds one row per input row that loaded;
-- source_file and source_line trace it back to the agency's export (line 1 = header; xlsx: the
-- sheet row). Periods are INTEGER YYYYMM; money is DECIMAL(18,2) 元; ID numbers are normalised at load.
"""


def table_ddl(table: Table) -> str:
    name_width = max(len(c.name) for c in table.columns)
    kinds = [f"{c.type}{'' if c.nullable else ' not null'}" for c in table.columns]
    lines = []
    for n, (column, kind) in enumerate(zip(table.columns, kinds)):
        body = f"    {column.name.ljust(name_width)} {kind}{',' if n < len(table.columns) - 1 else ''}"
        lines.append(f"{body.ljust(name_width + max(map(len, kinds)) + 7)}-- {column.meaning}".rstrip())
    return (f"create table if not exists {table.name} (  -- {table.title}: {table.grain}\n"
            + "\n".join(lines) + "\n);\n")


def schema_sql(root: Path | None = None) -> str:
    """CREATE TABLE IF NOT EXISTS for every declared table, in their order."""
    return SCHEMA_PREAMBLE + "".join("\n" + table_ddl(t) for t in read_tables(root).values())


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|")


DOCS_PREAMBLE = """\
# Tables

<!-- GENERATED from sql/tables/*.toml by `python -m fundwatch.sidecars`: edit the sidecars, not
this page (tests/test_sidecars.py fails when it is out of date). -->

Every table of a run's database is declared once, in its sidecar `sql/tables/<table>.toml`: what
one row is, how its files are recognised, its columns (SQL type, nullability, the parser and
headers it is read with, whether the file must give it, what it means) and its tests. From the
sidecars come the DDL (`sql/schema.sql`), the loader's recognition, header aliases and parsers
(`fundwatch/ingest.py`, `fundwatch/load.py`; the parsers are `sql/load/parsers.toml` over
`sql/load/macros.sql`), the Great Expectations suites (`checks/validation.py`; `$name` is a
parameter of `checks/validation_params.toml`) and this page.

A test is declared only where it can fail: what the DDL guarantees (NOT NULL, the column set) or
a parser guarantees (a row it cannot read goes to `quarantine` with its reason) is not tested
again; `tests/test_validation.py` loads purpose-built files through the real loader and makes every
declared test fail at least once.

To add an input column: add a `[[columns]]` entry to the table's sidecar (with `parse`,
`required`, `aliases`), run `python -m fundwatch.sidecars`, and commit the sidecar with the
regenerated `sql/schema.sql` and `docs/tables.md`.
"""


def tables_markdown(root: Path | None = None) -> str:
    tables = read_tables(root)
    out = [DOCS_PREAMBLE, "| table | 表 | one row per … | read from | tests |", "|---|---|---|---|---|"]
    for t in tables.values():
        where = {"county": "a county folder", "reference": "`reference/`"}.get(t.scope or "", "built by fundwatch")
        out.append(f"| [{t.name}](#{t.name}) | {_cell(t.title)} | {_cell(t.grain)} | {where} | {len(t.tests)} |")
    for t in tables.values():
        out += ["", f'<a id="{t.name}"></a>', f"## {t.name} · {t.title}", "", f"{t.grain[0].upper()}{t.grain[1:]}."]
        if t.about:
            out += ["", t.about]
        if t.scope:
            names = " or ".join(f"`{n}`" for n in t.file_names)
            folder = "a county folder" if t.scope == "county" else "`reference/`"
            out += ["", f"Read from {folder}: a file whose name contains {names} (.csv, .txt, .tsv, .xlsx or .parquet)."]
        out += ["", f"Declared in `{t.path}`.", "",
                "| column | type | nullable | read from (表头) | in file | meaning |", "|---|---|---|---|---|---|"]
        for c in t.columns:
            headers = ", ".join(c.aliases) + f" · parser `{c.parse}`" if c.parse else "—"
            in_file = ("required" if c.required else "optional") if c.parse else "—"
            out.append(f"| `{c.name}` | {c.type} | {'yes' if c.nullable else 'no'} | {_cell(headers)} | "
                       f"{in_file} | {_cell(c.meaning)} |")
        if t.tests:
            out += ["", "Tests:", ""]
            for x in t.tests:
                columns = x.get("column") or ", ".join(_tests_columns(x.get("kwargs", {}))) or "table"
                out.append(f"- `{x['type']}` on {columns}: {x['description']}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------- writing the files

REPOSITORY = Path(__file__).resolve().parents[1]


def generated_files(repository: Path = REPOSITORY) -> dict[Path, str]:
    """The committed files made from the sidecars, and what they should hold."""
    root = repository / "sql"
    return {root / "schema.sql": schema_sql(root), repository / "docs" / "tables.md": tables_markdown(root)}


def main(argv: list[str] | None = None) -> int:
    """Rewrite sql/schema.sql and docs/tables.md from the sidecars (``--check``: only say which differ)."""
    args = sys.argv[1:] if argv is None else argv
    stale = []
    for path, text in generated_files().items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if "--check" not in args:
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{'out of date' if '--check' in args else 'written'}: {path.relative_to(REPOSITORY)}")
    return 1 if stale and "--check" in args else 0


if __name__ == "__main__":
    raise SystemExit(main())
