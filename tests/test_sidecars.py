"""The table sidecars (sql/tables/*.toml): what is generated from them is up to date, and a sidecar
that contradicts itself is refused with its file named."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from fundwatch import sidecars
from fundwatch.ingest import table_specs, type_specs
from fundwatch.sidecars import SidecarError, generated_files, read_tables

ROOT = Path(__file__).resolve().parents[1]
# Columns of an input table the loader fills itself (fundwatch/load.py build_typing_sql / build_insert_sql).
LOADER_COLUMNS = {"row_key", "id_valid", "benefit_category", "county", "source_file", "source_line", "extra_columns"}


@pytest.mark.parametrize("path", list(generated_files()), ids=lambda p: p.name)
def test_committed_file_is_what_the_sidecars_give(path):
    assert path.read_text(encoding="utf-8") == generated_files()[path], (
        f"{path.relative_to(ROOT)} is out of date: run python -m fundwatch.sidecars")


def test_every_table_of_the_schema_has_one_sidecar():
    con = duckdb.connect(":memory:")
    con.execute(sidecars.schema_sql())
    created = [r[0] for r in con.execute("select table_name from information_schema.tables order by 1").fetchall()]
    assert created == sorted(read_tables())
    for table in read_tables().values():
        described = [(r[0], r[1].replace(" ", "").lower(), r[2] == "YES")
                     for r in con.execute(f"describe {table.name}").fetchall()]
        assert described == [(c.name, c.type.replace(" ", "").lower(), c.nullable) for c in table.columns]
    con.close()


def test_the_loader_reads_what_the_sidecars_declare():
    specs, types = table_specs(), type_specs()
    inputs = [t for t in read_tables().values() if t.scope]
    assert list(specs) == [t.name for t in inputs]
    for table in inputs:
        spec = specs[table.name]
        assert (spec.title, spec.scope, spec.file_names) == (table.title, table.scope, table.file_names)
        assert [(c.name, c.type, c.required, c.aliases) for c in spec.columns] == \
            [(c.name, c.parse, c.required, c.aliases) for c in table.file_columns]
        assert {c.name for c in table.columns if c.parse is None} <= LOADER_COLUMNS, table.name
        assert {"row_key", "source_file", "source_line", "extra_columns"} <= {c.name for c in table.columns}
        if any(c.parse == "id_number" for c in table.columns):
            assert "id_valid" in {c.name for c in table.columns}
        if table.scope == "county":
            assert "county" in {c.name for c in table.columns}
    assert set(types) == {c.parse for t in inputs for c in t.file_columns}


BAD = [  # description, text of sql/tables/payments.toml, what it is changed to, the message
    ("a required column that may be null",
     'nullable = false\nparse = "money"', 'nullable = true\nparse = "money"',
     "payments.toml columns[10] (amount): a required column is not nullable"),
    ("a parser that does not exist",
     'parse = "money"', 'parse = "currency"', "payments.toml columns[10] (amount): parser 'currency'"),
    ("a type the parser does not return",
     'type = "decimal(18, 2)"', 'type = "double"', "type 'double' but parser 'money' returns 'decimal(18,2)'"),
    ("a test on a column the table does not have",
     'kwargs = { column = "scheme", value_set', 'kwargs = { column = "scheme_code", value_set',
     "payments.toml tests[1]: names columns the table does not have: ['scheme_code']"),
    ("a misspelt key",
     'aliases = ["发放金额", "金额"]', 'alias = ["发放金额", "金额"]', "unknown keys ['alias']"),
    ("aliases on a column the loader sets",
     'name = "id_valid"\ntype = "boolean"\nnullable = false\n',
     'name = "id_valid"\ntype = "boolean"\nnullable = false\naliases = ["有效"]\n',
     "`required` and `aliases` belong to a column read from the files"),
]


@pytest.mark.parametrize(("description", "old", "new", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_sidecar_that_contradicts_itself_is_refused(description, old, new, message, tmp_path):
    root = tmp_path / "sql"
    shutil.copytree(ROOT / "sql" / "tables", root / "tables")
    (root / "load").mkdir()
    shutil.copy(ROOT / "sql" / "load" / "parsers.toml", root / "load" / "parsers.toml")
    path = root / "tables" / "payments.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SidecarError) as caught:
        read_tables(root)
    assert message in str(caught.value) and "sql/tables/payments.toml" in str(caught.value)


def test_the_command_rewrites_a_stale_file_and_check_says_so(tmp_path, monkeypatch, capsys):
    (tmp_path / "sql").mkdir()
    (tmp_path / "docs").mkdir()
    shutil.copytree(ROOT / "sql" / "tables", tmp_path / "sql" / "tables")
    shutil.copytree(ROOT / "sql" / "load", tmp_path / "sql" / "load")
    monkeypatch.setattr(sidecars, "REPOSITORY", tmp_path)
    monkeypatch.setattr(sidecars, "generated_files", lambda repository=tmp_path: generated_files(repository))
    assert sidecars.main(["--check"]) == 1
    assert "out of date: sql/schema.sql" in capsys.readouterr().out
    assert sidecars.main([]) == 0 and sidecars.main(["--check"]) == 0
    assert (tmp_path / "sql" / "schema.sql").read_text(encoding="utf-8") == sidecars.schema_sql(tmp_path / "sql")
