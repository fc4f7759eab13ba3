"""checks/validation.py on real DuckDB files built with sql/schema.sql, with real GX runs.

GX's import costs about 6 s, so the two big runs (a clean database, and one with every kind of
violation plus Data Docs) are module-scoped and shared by the tests that read them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tomllib
from pathlib import Path

import duckdb
import pytest

from checks.validation import SPEC_PATH, build_plan, load_spec, resolve_params, validate_database
from fundwatch.idnumber import make_id

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = (ROOT / "sql" / "schema.sql").read_text(encoding="utf-8")
# Fixed "today" so that the future-period checks are deterministic: current period 202506.
PARAMS = {"today": "2025-06-30"}

ID_A = make_id("330102", dt.date(1950, 3, 4), 1, male=True)
ID_B = make_id("330102", dt.date(1955, 7, 8), 2, male=False)
ID_C = make_id("330106", dt.date(1948, 1, 2), 3, male=True)
ID_D = make_id("330106", dt.date(1960, 12, 30), 4, male=False)
ID_INVALID = "330102194013010011"  # 18 digits, month 13: loaded with id_valid = false


def pay(row_key, payment_id="P{k}", person_id="R1", id_number=ID_A, id_valid=True, name="张三",
        scheme="110", benefit_type="基本养老金", period=202505, pay_date="2025-05-15",
        amount="2345.60", bank_account="6222020200112233445", region_code="330102"):
    return (row_key, payment_id.format(k=row_key), person_id, id_number, id_valid, name, scheme,
            benefit_type, period, pay_date, amount, bank_account, region_code, "op1", "rv1", "成功", "pension",
            "330102", "330102/payments.csv", row_key + 1)


def rec(row_key, person_id="R1", id_number=ID_A, name="张三", gender="男", birth_date="1950-03-04",
        scheme="110", benefit_start=201004, status="正常", contribution_months=360, region_code="330102"):
    return (row_key, person_id, id_number, True, name, gender, birth_date, scheme, "工人", "企业",
            "正常退休", benefit_start, status, contribution_months, region_code, "330102",
            "330102/recipients.csv", row_key + 1)


CLEAN = {
    "payments": [
        pay(1),
        pay(2, period=202506, pay_date="2025-06-15"),
        pay(3, person_id="R2", id_number=ID_B, name="李四", scheme="170", amount="180.00",
            bank_account="6217000011112222333"),
    ],
    "recipients": [
        rec(1),
        rec(2, person_id="R2", id_number=ID_B, name="李四", gender="女", birth_date="1955-07-08",
            scheme="170", benefit_start=201508, contribution_months=None),
    ],
    "deaths": [(1, ID_C, True, "王五", "2024-11-02", "民政", None, "reference/deaths.csv", 2)],
    "prisoners": [
        (1, ID_D, True, "赵六", "2023-01-01", "2026-01-01", "reference/prisoners.csv", 2),
        (2, ID_C, True, "王五", "2020-05-05", None, "reference/prisoners.csv", 3),
    ],
    "public_employees": [
        (1, ID_D, True, "赵六", "某局", "2001-09-01", None, "reference/public_employees.csv", 2)
    ],
    "employment": [(1, ID_B, True, 202401, "某公司", None, "reference/employment.csv", 2)],
}

DIRTY_EXTRA = {
    "payments": [
        pay(10, period=202507),                   # future period
        pay(11, amount="-10.00"),                 # negative amount
        pay(12, amount="150000.00"),              # over the 100000 ceiling
        pay(13, payment_id="PDUP"),               # payment_id twice, other fields differ
        pay(14, payment_id="PDUP", amount="99.00"),
        pay(15, region_code="33010"),             # 5-digit region code
        pay(16, scheme="999"),                    # bad scheme
        pay(17, region_code="33O102"),            # 6 characters, not all digits
        pay(18, period=202413),                   # month 13
        pay(19, id_number=ID_INVALID, id_valid=False, name="钱七", person_id="R7"),
    ],
    "recipients": [
        rec(10, person_id="R10", id_number=ID_C, name="王五", gender="M"),   # bad gender
        rec(11, person_id="R11", id_number=ID_D, name="赵六"),                # R11/110 twice
        rec(12, person_id="R11", id_number=ID_D, name="赵六", status="正常"),
        rec(13, person_id="R13", contribution_months=800),                    # > 720
        rec(14, person_id="R14", birth_date="2030-01-01"),                   # born in the future
        rec(15, person_id="R15", status="死亡"),                              # bad status
    ],
    "deaths": [(2, ID_A, True, "张三", "2025-07-01", "公安", None, "reference/deaths.csv", 3)],  # future
    "prisoners": [(3, ID_B, True, "李四", "2022-06-01", "2021-06-01", "reference/prisoners.csv", 4)],
}


def build_db(path: Path, rows: dict, drop: tuple[str, ...] = ()) -> Path:
    con = duckdb.connect(str(path))
    con.execute(SCHEMA)
    for table in drop:
        con.execute(f"drop table {table}")
    for table, values in rows.items():
        if table in drop:
            continue
        width = len(con.execute(f"describe {table}").fetchall())
        for row in values:  # columns added later (extra_columns, ...) are left empty
            row = tuple(row) + (None,) * (width - len(row))
            con.execute(f"insert into {table} values ({', '.join('?' * len(row))})", list(row))
    con.close()
    return path


def merged(*parts: dict) -> dict:
    out: dict = {}
    for part in parts:
        for table, rows in part.items():
            out.setdefault(table, []).extend(rows)
    return out


def find(summary: dict, table: str, expectation: str, column: str | None) -> dict:
    hits = [r for r in summary["tables"][table]["results"]
            if r["expectation"] == expectation and r["column"] == column]
    assert len(hits) == 1, (table, expectation, column, hits)
    return hits[0]


@pytest.fixture(scope="module")
def tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("validation")


@pytest.fixture(scope="module")
def clean_db(tmp) -> Path:
    path = build_db(tmp / "clean.duckdb", CLEAN, drop=("employment",))
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
    """The real suites plus one expectation that fails with ID numbers as its unexpected values."""
    text = SPEC_PATH.read_text(encoding="utf-8") + (
        "\n[[tables.payments.expectations]]\n"
        'type = "ExpectColumnValueLengthsToEqual"\n'
        'kwargs = { column = "id_number", value = 17 }\n'
        'description = "test only: fails on every ID number"\n'
    )
    path = tmp / "expectations_masking.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def dirty_run(tmp, masking_spec) -> tuple[dict, Path, Path]:
    db = build_db(tmp / "dirty.duckdb", merged(CLEAN, DIRTY_EXTRA))
    docs = tmp / "docs"
    return validate_database(db, docs, PARAMS, spec_path=masking_spec), docs, db


@pytest.fixture(scope="module")
def dirty(dirty_run) -> dict:
    return dirty_run[0]


# ------------------------------------------------------------------------- the spec, without GX


def test_required_columns_match_schema_not_null_columns():
    con = duckdb.connect(":memory:")
    con.execute(SCHEMA)
    spec = load_spec()
    for table, tspec in spec["tables"].items():
        not_null = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_name = ? and is_nullable = 'NO'", [table]
            ).fetchall()
        }
        expected = {c for c in not_null if c != "row_key" and not c.startswith("source_")}
        assert set(tspec["required"]) == expected, table
    con.close()


def test_params_resolve_and_reject_unknown_names():
    defaults = tomllib.loads(SPEC_PATH.read_text(encoding="utf-8"))["params"]
    p = resolve_params(defaults, {"today": "2024-02-29"})
    assert p["today"] == dt.date(2024, 2, 29) and p["current_period"] == 202402
    assert p["amount_ceiling"] == 100000
    assert resolve_params(defaults, {"amount_ceiling": 5000})["amount_ceiling"] == 5000
    with pytest.raises(ValueError, match="unknown validation parameters"):
        resolve_params(defaults, {"amount_celing": 5000})


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
    assert masked == {"id_number", "name", "bank_account", "person_id", "person_id,scheme"}


# ------------------------------------------------------------------------- clean data


def test_clean_data_passes_everything(clean):
    json.dumps(clean)  # goes into manifest.json as is
    assert set(clean) >= {"engine", "seconds", "tables", "skipped", "docs"}
    assert "great_expectations 1." in clean["engine"] and "duckdb" in clean["engine"]
    failed = [(t, r) for t, v in clean["tables"].items() for r in v["results"] if not r["success"]]
    assert failed == []
    pay_summary = clean["tables"]["payments"]
    assert pay_summary["rows"] == 3 and pay_summary["failed"] == 0
    assert pay_summary["expectations"] == len(pay_summary["results"]) > 20
    for r in pay_summary["results"]:
        assert set(r) == {"expectation", "column", "description", "success",
                          "unexpected_count", "unexpected_percent"}
    assert clean["docs"] is None


def test_absent_table_is_skipped(clean):
    assert "employment" not in clean["tables"]
    assert set(clean["skipped"]) == {"employment"}
    assert set(clean["tables"]) == {"payments", "recipients", "deaths", "prisoners", "public_employees",
                                    "operations", "staff"}


# ------------------------------------------------------------------------- each violation


@pytest.mark.parametrize(
    ("table", "expectation", "column", "count", "missing"),
    [
        ("payments", "ExpectColumnValuesToBeBetween", "period", 1, 0),        # future period
        ("payments", "UnexpectedRowsExpectation", "period", 1, 0),            # month 13
        ("payments", "ExpectColumnValuesToBeUnique", "payment_id", 2, 0),     # both rows of PDUP
        ("payments", "ExpectColumnValueLengthsToEqual", "region_code", 1, 0),  # 5 digits
        ("payments", "UnexpectedRowsExpectation", "region_code", 1, 0),       # a letter O
        ("payments", "ExpectColumnValuesToBeInSet", "scheme", 1, 0),
        ("payments", "ExpectColumnValuesToBeInSet", "id_valid", 1, 0),
        ("recipients", "ExpectColumnValuesToBeInSet", "gender", 1, 0),
        ("recipients", "ExpectColumnValuesToBeInSet", "status", 1, 0),
        ("recipients", "ExpectColumnValuesToBeBetween", "contribution_months", 1, 1),
        ("recipients", "ExpectColumnValuesToBeBetween", "birth_date", 1, 0),
        ("recipients", "ExpectCompoundColumnsToBeUnique", "person_id,scheme", 2, 0),
        ("deaths", "ExpectColumnValuesToBeBetween", "death_date", 1, 0),
        ("prisoners", "ExpectColumnPairValuesAToBeGreaterThanB", "sentence_end,sentence_start", 1, 1),
    ],
)
def test_violation_is_caught(dirty, table, expectation, column, count, missing):
    r = find(dirty, table, expectation, column)
    assert r["success"] is False
    assert r["unexpected_count"] == count
    # GX's unexpected_percent counts only rows where the checked value is present.
    rows = dirty["tables"][table]["rows"]
    assert r["unexpected_percent"] == pytest.approx(100 * count / (rows - missing))


def test_negative_and_over_ceiling_amounts_are_separate_findings(dirty):
    amount = [r for r in dirty["tables"]["payments"]["results"]
              if r["expectation"] == "ExpectColumnValuesToBeBetween" and r["column"] == "amount"]
    positive, ceiling = sorted(amount, key=lambda r: "上限" in r["description"])
    assert "大于 0" in positive["description"] and positive["unexpected_count"] == 1
    assert "100000" in ceiling["description"] and ceiling["unexpected_count"] == 1


def test_failed_counts_and_nothing_else_fails(dirty):
    expected_failures = {
        "payments": 9 + 1,  # the nine kinds above, plus the test-only id_number expectation
        "recipients": 5,
        "deaths": 1,
        "prisoners": 1,
        "public_employees": 0,
        "employment": 0,
        "operations": 0,
        "staff": 0,
    }
    assert {t: v["failed"] for t, v in dirty["tables"].items()} == expected_failures
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
    for table in ("payments", "recipients", "deaths", "prisoners", "public_employees", "employment"):
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
    r = find(summary, "payments", "ExpectColumnValueLengthsToEqual", "id_number")
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


def test_masking_is_what_keeps_id_numbers_out(tmp, masking_spec):
    """Control for the test above: with masking switched off, GX does render ID numbers."""
    db = build_db(tmp / "control.duckdb", merged(CLEAN, DIRTY_EXTRA),
                  drop=("recipients", "deaths", "prisoners", "public_employees", "employment"))
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


def test_expectation_gx_cannot_evaluate_is_reported_not_raised(tmp):
    db = build_db(tmp / "old.duckdb", CLEAN,
                  drop=("recipients", "deaths", "prisoners", "public_employees", "employment"))
    con = duckdb.connect(str(db))
    con.execute("alter table payments drop column county")
    con.close()
    summary = validate_database(db, None, PARAMS)
    assert find(summary, "payments", "ExpectTableColumnsToMatchSet", None)["success"] is False
    broken = find(summary, "payments", "ExpectColumnValuesToNotBeNull", "county")
    assert broken["success"] is False and "county" in broken["error"]
    assert find(summary, "payments", "ExpectColumnValuesToNotBeNull", "amount")["success"] is True
