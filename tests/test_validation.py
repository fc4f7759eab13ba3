"""checks/validation.py on databases loaded by the real loader from purpose-built files, with real GX runs.

Every test a sidecar declares (sql/tables/<table>.toml [[tests]]) must be able to fail on data the
loader lets through: the dirty files below hold, for each declared test, rows that make it fail,
and they reach the database through discover() and load_inputs(), the DDL and the parsers, as an
agency's export would. Nothing is inserted behind the loader's back, so a test that fails here can
fail in a run; one the DDL or a parser made impossible could not be made to fail, and is not declared.

GX's import costs about 6 s, so the two big runs (a clean database, and the dirty one plus Data
Docs) are module-scoped and shared by the tests that read them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from checks.validation import SPEC_PATH, build_plan, load_spec, resolve_params, validate_database
from fundwatch.db import connect
from fundwatch.idnumber import make_id
from fundwatch.ingest import discover
from fundwatch.load import load_inputs
from fundwatch.sidecars import read_tables, validation_suites
from tests.builders import write_csv

# Fixed "today" so that the future-date checks are deterministic: current period 202506.
PARAMS = {"today": "2025-06-30"}

ID_A = make_id("330102", dt.date(1950, 3, 4), 1, male=True)
ID_B = make_id("330102", dt.date(1955, 7, 8), 2, male=False)
ID_C = make_id("330106", dt.date(1948, 1, 2), 3, male=True)
ID_D = make_id("330106", dt.date(1960, 12, 30), 4, male=False)
ID_INVALID = "330102194013010011"  # 18 digits, month 13: loaded with id_valid = false


def pay(payment_id, **changes):
    return {"payment_id": payment_id, "person_id": "R1", "id_number": ID_A, "name": "张三", "scheme": "110",
            "benefit_type": "基本养老金", "period": "202505", "pay_date": "2025-05-15", "amount": "2345.60",
            "bank_account": "6222020200112233445", "region_code": "330102", "operator_id": "op1",
            "reviewer_id": "rv1", "pay_status": "成功", **changes}


def rec(person_id, **changes):
    return {"person_id": person_id, "id_number": ID_A, "name": "张三", "gender": "男", "birth_date": "1950-03-04",
            "scheme": "110", "personnel_type": "工人", "unit_type": "企业", "retirement_type": "正常退休",
            "benefit_start": "201004", "status": "正常", "contribution_months": "360", "region_code": "330102",
            **changes}


def death(**changes):
    return {"id_number": ID_C, "name": "王五", "death_date": "2024-11-02", "source": "民政", **changes}


def prisoner(**changes):
    return {"id_number": ID_D, "name": "赵六", "sentence_start": "2023-01-01", "sentence_end": "2026-01-01", **changes}


def employee(**changes):
    return {"id_number": ID_D, "name": "赵六", "unit_name": "某局", "start_date": "2001-09-01", "end_date": "",
            **changes}


def contribution(**changes):
    return {"id_number": ID_B, "period": "202401", "unit_name": "某公司", **changes}


def operation(op_id, **changes):
    return {"op_id": op_id, "op_time": "2025-03-01 09:30", "op_type": "变更账号", "id_number": ID_A,
            "operator_id": "op1", "reviewer_id": "rv1", "old_value": "6222020200112233445",
            "new_value": "6222020200112233446", "months": "", "region_code": "330102", **changes}


def staff(operator_id, **changes):
    return {"operator_id": operator_id, "id_number": ID_B, "name": "李四", "bank_account": "6217000011112222333",
            "unit_name": "社保中心", **changes}


CLEAN = {
    "payments": [
        pay("P1"),
        pay("P2", period="202506", pay_date="2025-06-15"),
        pay("P3", person_id="R2", id_number=ID_B, name="李四", scheme="170", amount="180.00",
            bank_account="6217000011112222333"),
    ],
    "recipients": [
        rec("R1"),
        rec("R2", id_number=ID_B, name="李四", gender="女", birth_date="1955-07-08", scheme="170",
            benefit_start="201508", contribution_months="", personnel_type="", unit_type="城乡居民",
            retirement_type=""),
    ],
    "deaths": [death()],
    "prisoners": [prisoner(), prisoner(id_number=ID_C, name="王五", sentence_start="2020-05-05", sentence_end="")],
    "public_employees": [employee()],
    "employment": [contribution()],
    "operations": [operation("OP1"), operation("OP2", op_type="补发", months="3", old_value="", new_value="")],
    "staff": [staff("op1"), staff("op1", bank_account="6217000011112222999")],
}

# Each row breaks one declared test; DIRTY_CASES says which and how many rows it finds.
DIRTY = {
    "payments": [
        pay("P10", period="202507"),                  # a future period
        pay("P11", amount="-10.00"),                  # negative
        pay("P12", amount="150000.00"),               # over the 100000 ceiling
        pay("PDUP"),                                  # one payment_id, two payments
        pay("PDUP", amount="99.00"),
        pay("P16", scheme="999"),                     # three digits: the parser keeps it, the set does not
        pay("P17", pay_date="1985-01-01"),            # before the earliest pay date
        pay("P19", id_number=ID_INVALID, name="钱七", person_id="R7"),
    ],
    "recipients": [
        rec("R10", id_number=ID_C, name="王五"),       # R10/110 twice, differing in status
        rec("R10", id_number=ID_C, name="王五", status="暂停"),
        rec("R13", contribution_months="800"),       # > 720
        rec("R14", birth_date="2030-01-01"),          # born in the future
        rec("R15", status="死亡"),                     # not a status
        rec("R16", scheme="999"),
        rec("R17", benefit_start="198001"),           # before 199001
        rec("R18", personnel_type="农民"),
        rec("R19", unit_type="个体"),
        rec("R20", retirement_type="退职"),
        rec("R21", id_number=ID_INVALID),
    ],
    "deaths": [death(id_number=ID_A, name="张三", death_date="2025-07-01", source="公安"),  # in the future
               death(id_number=ID_B, name="李四", source="社区"),
               death(id_number=ID_INVALID, name="钱七")],
    "prisoners": [prisoner(id_number=ID_A, name="张三", sentence_start="2025-08-01", sentence_end=""),  # future
                  prisoner(id_number=ID_B, name="李四", sentence_start="2022-06-01", sentence_end="2021-06-01"),
                  prisoner(id_number=ID_INVALID, name="钱七")],
    "public_employees": [employee(id_number=ID_A, name="张三", start_date="2026-01-01"),  # future
                         employee(id_number=ID_B, name="李四", start_date="2010-01-01", end_date="2009-12-31"),
                         employee(id_number=ID_INVALID, name="钱七")],
    "employment": [contribution(period="202507"), contribution(id_number=ID_INVALID)],
    "operations": [operation("OP10", op_time="2025-07-02 10:00"),           # in the future
                   operation("OPDUP"), operation("OPDUP", op_type="暂停发放"),  # one op_id, two operations
                   operation("OP12", id_number=ID_INVALID),
                   operation("OP13", op_type="补发", months="", old_value="", new_value="")],
    "staff": [staff("op8", id_number=ID_INVALID, name="钱七"),
              staff("op9", id_number=ID_C, name="王五"), staff("op9", id_number=ID_D, name="赵六")],
}

# (table, expectation, reported column, a words of its description where one table has two alike, rows)
DIRTY_CASES = [
    ("payments", "ExpectColumnValuesToBeUnique", "payment_id", "", 2),
    ("payments", "ExpectColumnValuesToBeInSet", "scheme", "", 1),
    ("payments", "ExpectColumnValuesToBeBetween", "period", "", 1),
    ("payments", "ExpectColumnValuesToBeBetween", "pay_date", "", 1),
    ("payments", "ExpectColumnValuesToBeBetween", "amount", "大于 0", 1),
    ("payments", "ExpectColumnValuesToBeBetween", "amount", "上限", 1),
    ("payments", "ExpectColumnValueLengthsToEqual", "county", "", "all"),  # the folder is not named by a code
    ("payments", "ExpectColumnValuesToBeInSet", "id_valid", "", 1),
    ("recipients", "ExpectCompoundColumnsToBeUnique", "person_id,scheme", "", 2),
    ("recipients", "ExpectColumnValuesToBeBetween", "birth_date", "", 1),
    ("recipients", "ExpectColumnValuesToBeInSet", "scheme", "", 1),
    ("recipients", "ExpectColumnValuesToBeBetween", "benefit_start", "", 1),
    ("recipients", "ExpectColumnValuesToBeInSet", "status", "", 1),
    ("recipients", "ExpectColumnValuesToBeBetween", "contribution_months", "", 1),
    ("recipients", "ExpectColumnValuesToBeInSet", "personnel_type", "", 1),
    ("recipients", "ExpectColumnValuesToBeInSet", "unit_type", "", 1),
    ("recipients", "ExpectColumnValuesToBeInSet", "retirement_type", "", 1),
    ("recipients", "ExpectColumnValuesToBeInSet", "id_valid", "", 1),
    ("deaths", "ExpectColumnValuesToBeBetween", "death_date", "", 1),
    ("deaths", "ExpectColumnValuesToBeInSet", "source", "", 1),
    ("deaths", "ExpectColumnValuesToBeInSet", "id_valid", "", 1),
    ("prisoners", "ExpectColumnValuesToBeBetween", "sentence_start", "", 1),
    ("prisoners", "ExpectColumnPairValuesAToBeGreaterThanB", "sentence_end,sentence_start", "", 1),
    ("prisoners", "ExpectColumnValuesToBeInSet", "id_valid", "", 1),
    ("public_employees", "ExpectColumnValuesToBeBetween", "start_date", "", 1),
    ("public_employees", "ExpectColumnPairValuesAToBeGreaterThanB", "end_date,start_date", "", 1),
    ("public_employees", "ExpectColumnValuesToBeInSet", "id_valid", "", 1),
    ("employment", "ExpectColumnValuesToBeBetween", "period", "", 1),
    ("employment", "ExpectColumnValuesToBeInSet", "id_valid", "", 1),
    ("operations", "ExpectColumnValuesToBeBetween", "op_time", "", 1),
    ("operations", "ExpectColumnValuesToBeUnique", "op_id", "", 2),
    ("operations", "ExpectColumnValuesToBeInSet", "id_valid", "", 1),
    ("operations", "UnexpectedRowsExpectation", "months", "", 1),
    ("staff", "ExpectColumnValuesToBeInSet", "id_valid", "", 1),
    ("staff", "UnexpectedRowsExpectation", "operator_id", "", 1),  # one operator_id, two people
]

COUNTY_TABLES = ("payments", "recipients", "operations")


def write_inputs(root: Path, county_folder: str, tables: dict[str, list[dict]]) -> Path:
    """A county folder and reference/ beside it, one CSV per table, headed by the column names."""
    for table, rows in tables.items():
        folder = root / county_folder if table in COUNTY_TABLES else root / "reference"
        write_csv(folder / f"{table}.csv", {k: k for k in rows[0]}, rows)
    return root / county_folder


def load_database(inputs: Path, path: Path) -> Path:
    """The database a run would validate: the inputs through discover() and the loader."""
    con = connect(path)
    work = path.with_suffix(".work")
    work.mkdir()
    reconciliation = load_inputs(con, discover(inputs), work)
    con.close()
    assert all(r["rows_quarantined"] == 0 for r in reconciliation), reconciliation  # every row reached its table
    return path


def copy_without(source: Path, path: Path, tables: tuple[str, ...]) -> Path:
    shutil.copy(source, path)
    con = duckdb.connect(str(path))
    for table in tables:
        con.execute(f"drop table {table}")
    con.close()
    return path


def merged(*parts: dict) -> dict:
    out: dict = {}
    for part in parts:
        for table, rows in part.items():
            out.setdefault(table, []).extend(rows)
    return out


def matching(summary: dict, table: str, expectation: str, column: str | None, words: str = "") -> dict:
    hits = [r for r in summary["tables"][table]["results"]
            if r["expectation"] == expectation and r["column"] == column and words in r["description"]]
    assert len(hits) == 1, (table, expectation, column, words, hits)
    return hits[0]


@pytest.fixture(scope="module")
def tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("validation")


@pytest.fixture(scope="module")
def clean_db(tmp) -> Path:
    path = load_database(write_inputs(tmp / "clean-in", "330102", CLEAN), tmp / "clean.duckdb")
    # The caller's process opened this file before, with another config, and closed it.
    con = duckdb.connect(str(path), config={"threads": 1})
    con.execute("select count(*) from payments").fetchone()
    con.close()
    return path


@pytest.fixture(scope="module")
def clean(clean_db) -> dict:
    return validate_database(clean_db, None, PARAMS)


@pytest.fixture(scope="module")
def masking_spec(tmp) -> Path:
    """The real parameters plus one expectation that fails with ID numbers as its unexpected values."""
    text = SPEC_PATH.read_text(encoding="utf-8") + (
        "\n[[tables.payments.expectations]]\n"
        'type = "ExpectColumnValueLengthsToEqual"\n'
        'kwargs = { column = "id_number", value = 17 }\n'
        'description = "test only: fails on every ID number"\n'
    )
    path = tmp / "validation_masking.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def dirty_db(tmp) -> Path:
    # The county folder is not named by its code: the county column is empty (a county run allows it).
    return load_database(write_inputs(tmp / "dirty-in", "county-export", merged(CLEAN, DIRTY)), tmp / "dirty.duckdb")


@pytest.fixture(scope="module")
def dirty_run(tmp, dirty_db, masking_spec) -> tuple[dict, Path, Path]:
    docs = tmp / "docs"
    return validate_database(dirty_db, docs, PARAMS, spec_path=masking_spec), docs, dirty_db


@pytest.fixture(scope="module")
def dirty(dirty_run) -> dict:
    return dirty_run[0]


# ------------------------------------------------------------------------- the spec, without GX


def test_params_resolve_and_reject_unknown_names():
    defaults = load_spec()["params"]
    p = resolve_params(defaults, {"today": "2024-02-29"})
    assert p["today"] == dt.date(2024, 2, 29) and p["current_period"] == 202402
    assert p["amount_ceiling"] == 100000
    assert resolve_params(defaults, {"amount_ceiling": 5000})["amount_ceiling"] == 5000
    with pytest.raises(ValueError, match="unknown validation parameters"):
        resolve_params(defaults, {"amount_celing": 5000})


def test_the_suites_are_the_sidecars_tests_and_a_spec_file_adds_after_them(masking_spec):
    spec = load_spec()
    assert {t: v["expectations"] for t, v in spec["tables"].items()} == validation_suites()
    assert list(spec["tables"]) == [t.name for t in read_tables().values() if t.tests]
    added = load_spec(masking_spec)["tables"]["payments"]["expectations"]
    assert added[:-1] == validation_suites()["payments"] and added[-1]["description"].startswith("test only")


def test_plan_substitutes_parameters_and_marks_personal_columns():
    spec = load_spec()
    plan = build_plan(spec, resolve_params(spec["params"], {"today": "2025-06-30", "amount_ceiling": 777}))
    period = next(i for i in plan["payments"]
                  if i["type"] == "ExpectColumnValuesToBeBetween" and i["column"] == "period")
    assert period["kwargs"]["max_value"] == 202506 and period["kwargs"]["min_value"] == 199001
    assert "202506" in period["description"]
    ceiling = next(i for i in plan["payments"] if i["kwargs"].get("max_value") == 777)
    assert "777" in ceiling["description"]
    masked = {i["column"] for t in plan.values() for i in t if i["masked"]}
    assert masked == {"person_id,scheme"}


def test_no_declared_test_repeats_what_the_ddl_guarantees():
    for table, tests in validation_suites().items():
        not_null = {c.name for c in read_tables()[table].columns if not c.nullable}
        for test in tests:
            assert test["type"] not in ("ExpectTableColumnsToMatchSet", "ExpectTableColumnsToMatchOrderedList",
                                        "ExpectColumnToExist"), (table, test)
            if test["type"] == "ExpectColumnValuesToNotBeNull":
                assert test["kwargs"]["column"] not in not_null, (table, test)


# ------------------------------------------------------------------------- clean data


def test_clean_data_passes_everything(clean):
    json.dumps(clean)  # goes into manifest.json as is
    assert set(clean) >= {"engine", "seconds", "tables", "skipped", "docs"}
    assert "great_expectations 1." in clean["engine"] and "duckdb" in clean["engine"]
    failed = [(t, r) for t, v in clean["tables"].items() for r in v["results"] if not r["success"]]
    assert failed == []
    assert list(clean["tables"]) == list(validation_suites()) and clean["skipped"] == {}
    for table, tests in validation_suites().items():
        summary = clean["tables"][table]
        assert summary["rows"] == len(CLEAN[table]) and summary["failed"] == 0
        assert summary["expectations"] == len(summary["results"]) == len(tests)
        for r in summary["results"]:
            assert set(r) == {"expectation", "column", "description", "success",
                              "unexpected_count", "unexpected_percent"}
    assert clean["docs"] is None


def test_absent_table_is_skipped(clean_db, tmp):
    db = copy_without(clean_db, tmp / "no-employment.duckdb", ("employment",))
    summary = validate_database(db, None, PARAMS)
    assert summary["skipped"] == {"employment": "表不存在 · table not in the database"}
    assert list(summary["tables"]) == [t for t in validation_suites() if t != "employment"]


# ------------------------------------------------------------------------- each violation


def test_every_declared_test_has_a_failing_case():
    """DIRTY_CASES names exactly the declared tests, one case each."""
    declared = []
    for table, tests in validation_suites().items():
        for test in tests:
            kwargs = test.get("kwargs", {})
            column = test.get("column") or ",".join(
                [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs] + kwargs.get("column_list", []))
            declared.append((table, test["type"], column, test["description"]))
    cases = [(t, e, c, w) for t, e, c, w, _ in DIRTY_CASES]
    for table, expectation, column, description in declared:
        hits = [case for case in cases if case[:3] == (table, expectation, column) and case[3] in description]
        assert len(hits) == 1, (table, expectation, column, description, hits)
    assert len(cases) == len(declared)


def test_every_declared_test_fails_on_the_dirty_files(dirty):
    for table, tests in validation_suites().items():
        results = dirty["tables"][table]["results"][: len(tests)]  # the spec file's additions come after
        assert [r["expectation"] for r in results] == [t["type"] for t in tests]
        assert [r for r in results if r["success"]] == [], table


@pytest.mark.parametrize(("table", "expectation", "column", "words", "count"), DIRTY_CASES,
                         ids=[f"{c[0]}.{c[2]}.{c[1]}{'.' + c[3] if c[3] else ''}" for c in DIRTY_CASES])
def test_violation_is_caught(dirty, table, expectation, column, words, count):
    r = matching(dirty, table, expectation, column, words)
    assert r["success"] is False and "error" not in r
    rows = dirty["tables"][table]["rows"]
    assert rows == len(CLEAN[table]) + len(DIRTY[table])
    assert r["unexpected_count"] == (rows if count == "all" else count)


def test_unexpected_percent_is_of_the_rows_holding_a_value(dirty):
    period = matching(dirty, "payments", "ExpectColumnValuesToBeBetween", "period")
    assert period["unexpected_percent"] == pytest.approx(100 / dirty["tables"]["payments"]["rows"])
    # sentence_end is empty for the prisoners still serving: GX counts only the rows where it is present
    pair = matching(dirty, "prisoners", "ExpectColumnPairValuesAToBeGreaterThanB", "sentence_end,sentence_start")
    present = sum(1 for row in CLEAN["prisoners"] + DIRTY["prisoners"] if row["sentence_end"])
    assert pair["unexpected_percent"] == pytest.approx(100 / present)


def test_failed_counts_and_nothing_else_fails(dirty):
    declared = {t: len(tests) for t, tests in validation_suites().items()}
    assert {t: v["failed"] for t, v in dirty["tables"].items()} == {
        t: n + (1 if t == "payments" else 0) for t, n in declared.items()}  # + the test-only id_number one
    assert not any("error" in r for v in dirty["tables"].values() for r in v["results"])


# ------------------------------------------------------------------------- Data Docs


def test_data_docs_written_without_personal_data(dirty_run):
    summary, docs, db = dirty_run
    assert summary["docs"] == str(docs / "index.html") and (docs / "index.html").is_file()
    pages = [p for p in docs.rglob("*") if p.suffix in (".html", ".json")]
    assert any("validations" in p.parts for p in pages)
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in pages)

    con = duckdb.connect(str(db), read_only=True)
    personal = set()
    for table in ("payments", "recipients", "deaths", "prisoners", "public_employees", "employment",
                  "operations", "staff"):
        personal |= {r[0] for r in con.execute(f"select distinct id_number from {table}").fetchall()}
    for table in ("payments", "recipients"):
        personal |= {r[0] for r in con.execute(f"select distinct person_id from {table}").fetchall()}
    personal |= {r[0] for r in con.execute("select distinct bank_account from payments").fetchall()}
    con.close()
    ids_in_data = {p for p in personal if re.fullmatch(r"\d{17}[\dX]", p)}
    assert ID_INVALID in ids_in_data and len(ids_in_data) >= 5
    assert not set(re.findall(r"\d{17}[\dX]", text)) & ids_in_data
    leaked = {p for p in personal if p in text}
    assert leaked == set()
    # The masked expectation did fail, with its count; only its sample values are withheld.
    r = matching(summary, "payments", "ExpectColumnValueLengthsToEqual", "id_number")
    assert r["success"] is False and r["unexpected_count"] == summary["tables"]["payments"]["rows"]
    # Sample values of non-personal columns are still shown (so masking is what hid the IDs).
    assert "PDUP" in text and "死亡" in text


def test_data_docs_render_offline_with_every_asset_local(dirty_run, tmp_path):
    """Opened in headless Chromium with every host unresolvable: the index lists the validation
    results with their status icons, no page asks the network for anything, and every stylesheet,
    script, font and image a page names is a file in the Data Docs folder."""
    from tests.test_report import _Dom, visit

    _, docs, _ = dirty_run
    pages = [docs / "index.html", *sorted((docs / "validations").rglob("*.html"))[:1],
             *sorted((docs / "expectations").rglob("*.html"))[:1]]
    for n, page in enumerate(pages):
        seen = visit(page, tmp_path / f"chromium-{n}")
        assert seen.page_requests == [] and seen.console == [], (page, seen.page_requests, seen.console)
        dom = _Dom(seen.dom)
        for tag, attributes in dom.elements:
            address = attributes.get("src") if tag in ("script", "img") else \
                attributes.get("href") if tag == "link" else None
            if address:
                assert "://" not in address and (page.parent / address.split("?")[0]).is_file(), (page, address)
        if page.name == "index.html":
            rows = [r for t in dom.tables for r in t[1:] if len(r) > 3]
            assert {r[3] for r in rows} >= {"payments", "recipients"}
            suites = [r[3] for r in rows]
            assert len(suites) == len(set(suites)) and not any("masked" in s for s in suites), suites
            assert dom.with_class("ge-success-icon") or dom.with_class("ge-failed-icon")
    fonts = docs / "static" / "vendor" / "@fortawesome+fontawesome-free@6.6.0"
    assert (fonts / "webfonts" / "fa-solid-900.woff2").is_file()


def test_masking_is_what_keeps_id_numbers_out(tmp, dirty_db, masking_spec):
    """Control for the test above: with masking switched off, GX does render ID numbers."""
    db = copy_without(dirty_db, tmp / "control.duckdb", tuple(t for t in validation_suites() if t != "payments"))
    docs = tmp / "control-docs"
    validate_database(db, docs, {**PARAMS, "masked_columns": []}, spec_path=masking_spec)
    text = "\n".join(p.read_text(encoding="utf-8") for p in docs.rglob("*.html"))
    assert ID_INVALID in text


# ------------------------------------------------------------------------- the DuckDB file


def test_validation_while_the_caller_still_has_the_file_open(clean_db, tmp):
    path = tmp / "open.duckdb"
    shutil.copy(clean_db, path)
    con = duckdb.connect(str(path))  # default config, left open during validation
    summary = validate_database(path, None, {**PARAMS, "amount_ceiling": 1000})
    assert con.execute("select count(*) from payments").fetchone() == (3,)
    con.close()
    ceiling = [r for r in summary["tables"]["payments"]["results"] if "上限" in r["description"]]
    assert ceiling[0]["unexpected_count"] == 2 and "1000 元" in ceiling[0]["description"]
    # Every connection validation opened is closed: another config can open the file now.
    con = duckdb.connect(str(path), config={"threads": 1})
    con.close()


def test_missing_database_raises(tmp):
    with pytest.raises(FileNotFoundError):
        validate_database(tmp / "nope.duckdb", None)


def test_expectation_gx_cannot_evaluate_is_reported_not_raised(clean_db, tmp):
    db = copy_without(clean_db, tmp / "old.duckdb", tuple(t for t in validation_suites() if t != "payments"))
    con = duckdb.connect(str(db))
    con.execute("alter table payments drop column county")  # a database of another version
    con.close()
    summary = validate_database(db, None, PARAMS)
    broken = matching(summary, "payments", "ExpectColumnValueLengthsToEqual", "county")
    assert broken["success"] is False and "county" in broken["error"]
    assert matching(summary, "payments", "ExpectColumnValuesToBeBetween", "period")["success"] is True
    assert summary["tables"]["payments"]["failed"] == 1
