"""fundwatch.db.run_sql / run_sql_file: a failing model names the model, the file and the statement in
one line, and carries the whole statement to the log (the traceback a run writes to OUT.error.log)."""

from __future__ import annotations

import pickle
import traceback

import pytest

from fundwatch import db
from fundwatch.db import SqlError, connect, run_sql, run_sql_file

SCRIPT = """-- a model of three statements; the second one is broken
create or replace table model_a as select 1 as v;
-- the step that fails
insert into model_a
select no_such_column from model_a where v = 1;
select count(*) from model_a;
"""

CASES = [
    {
        "description": "the second of three statements of a file fails",
        "file": "models/broken.sql",
        "text": SCRIPT,
        "message": ["building model_a: Binder Error", "[sql/models/broken.sql, statement 2 of 3: "
                    "insert into model_a select no_such_column from model_a where v = 1;]"],
        "note": "insert into model_a\nselect no_such_column from model_a where v = 1;",
    },
    {
        "description": "a file of one statement: the file and the statement's first words",
        "file": "rules/one.sql",
        "text": "select amount_fen / 100 as amount from payments_that_do_not_exist",
        "message": ["building model_a: Catalog Error", "[sql/rules/one.sql: select amount_fen / 100 as amount "
                    "from payments_that_do_not_exist]"],
        "note": "select amount_fen / 100 as amount from payments_that_do_not_exist",
    },
    {
        "description": "a long statement is cut in the message, whole in the note; values are redacted",
        "file": "models/long.sql",
        "text": "select cast('王建国 330102195006150032' as integer) as v, " + ", ".join(f"{i} as c{i}" for i in range(40)),
        "message": ["building model_a: Conversion Error", "[sql/models/long.sql: select cast('…' as integer) as v, 0 as c0"],
        "note": "select cast('王建国 330102195006150032' as integer)",
    },
]


@pytest.fixture
def sql_folder(tmp_path, monkeypatch):
    """A folder standing in for sql/ for the files a test writes (fundwatch's own files are read as usual)."""
    folder = tmp_path / "sql"
    real = db.sql_file
    monkeypatch.setattr(db, "sql_file", lambda relative: (folder / relative).read_text(encoding="utf-8")
                        if (folder / relative).exists() else real(relative))
    return folder


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_a_broken_sql_file_names_the_model_the_file_and_the_statement(case, sql_folder, tmp_path):
    path = sql_folder / case["file"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(case["text"], encoding="utf-8")
    con = connect(tmp_path / "x.duckdb")
    with pytest.raises(SqlError) as caught:
        run_sql_file(con, "building model_a", case["file"])
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300
    for part in case["message"]:
        assert part in message, (part, message)
    assert "王建国" not in message and "330102195006150032" not in message
    # the log: the whole failing statement, as written, follows the one-line message
    logged = "".join(traceback.format_exception(caught.value))
    assert message in logged and case["note"] in logged
    assert caught.value.source == f"sql/{case['file']}" and case["note"] in caught.value.statement
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    con.close()


def test_only_the_failing_statement_is_logged_and_earlier_ones_ran(sql_folder, tmp_path):
    (sql_folder / "models").mkdir(parents=True)
    (sql_folder / "models" / "broken.sql").write_text(SCRIPT, encoding="utf-8")
    con = connect(tmp_path / "x.duckdb")
    with pytest.raises(SqlError) as caught:
        run_sql_file(con, "building model_a", "models/broken.sql")
    assert "create or replace table model_a" not in "".join(caught.value.__notes__)
    assert con.execute("select count(*) from model_a").fetchone() == (1,)
    con.close()


def test_a_script_runs_like_one_execute(tmp_path):
    con = connect(tmp_path / "x.duckdb")
    result = run_sql(con, "s", "create table t (v integer); insert into t values (1), (2);\n"
                               "select sum(v) + $extra from t -- the last statement takes the parameters\n",
                     {"extra": 10})
    assert result.fetchall() == [(13,)]
    assert run_sql(con, "s", "select 1; -- a trailing comment").fetchall() == [(1,)]
    con.close()


def test_the_error_survives_a_process_boundary(tmp_path):
    con = connect(tmp_path / "x.duckdb")
    with pytest.raises(SqlError) as caught:
        run_sql(con, "rule D01", "select 1; select nope", source="sql/rules/d01.sql")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert str(copy) == str(caught.value) and copy.__notes__ == caught.value.__notes__
    assert copy.statement == "select nope" and copy.source == "sql/rules/d01.sql"
    con.close()


def test_an_interrupt_between_two_statements_stops_the_script(tmp_path, monkeypatch):
    from fundwatch import interrupt

    con = connect(tmp_path / "x.duckdb")
    ran = []
    real_execute = type(con).execute

    class Watched:  # the first statement runs, then the signal arrives
        def execute(self, statement, *args):
            ran.append(statement)
            result = real_execute(con, statement, *args)
            monkeypatch.setattr(interrupt, "requested", lambda: True)
            return result

    with pytest.raises(interrupt.Interrupted):
        run_sql(Watched(), "building model_a", "create table a (v integer); insert into a values (1)")
    assert ran == ["create table a (v integer);"]
    assert con.execute("select count(*) from a").fetchone() == (0,)
    con.close()
