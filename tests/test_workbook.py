"""clues.xlsx on a real run: hand-made exports of two counties go through the real pipeline stages
(load, Great Expectations validation, every rule, scoring, assembly); the workbook is read back
with openpyxl and its raw XML."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import pytest

from checks.registry import load_registry
from checks.rule_runner import apply_rule, assemble_clues
from checks.validation import validate_database
from flows.settings import RunOptions
from fundwatch import run
from fundwatch.db import connect
from fundwatch.ingest import discover
from fundwatch.management import build_management, rules_available
from fundwatch.masking import mask_id, mask_name, mask_tail, mask_text
from fundwatch.provenance import now_iso, versions
from fundwatch.summary import TOTALS_SQL
from fundwatch.workbook import MANAGEMENT_SHEET, write_workbook
from models.linkage import link_for_rules
from models.scoring import score_recipients
from tests.builders import COUNTY, PAYMENT_HEADERS, RECIPIENT_HEADERS, Person, write_county, write_csv

OTHER_COUNTY = "330105"
HEADERS = ["线索编号", "规则编号", "线索类型", "风险等级", "行政区划代码", "对象类型", "个人编号", "公民身份号码", "姓名",
           "险种类型", "起始所属期", "截止所属期", "涉及笔数", "涉及金额", "异常分值", "疑点描述", "政策依据", "核查建议",
           "核查状态", "核查结果", "整改情况", "追回金额", "核查人", "核查期限", "处理方式", "应追回金额", "已追回金额",
           "销号人", "销号日期"]
STATUS_LIST = '"待核查,核查中,属实,部分属实,不属实"'
FORMULA_NAMES = ('=HYPERLINK("x")', "-1+2")
HOSTILE_FILE = "readme<img src=x onerror=alert(1)>.txt"


# ---------------------------------------------------------------------------- a real run on hand-made data


@dataclass
class FinishedRun:
    database: Path
    manifest: dict
    out_dir: Path
    people: dict[str, Person]

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.database), read_only=True)

    def personal_values(self) -> dict[str, set[str]]:
        """Every ID number, name, account and person id the run's database holds, and the evidence."""
        with self.connect() as con:
            def values(sql: str) -> set[str]:
                return {r[0] for r in con.execute(sql).fetchall() if r[0]}
            return {
                "ids": values("select id_number from payments union select id_number from recipients "
                              "union select id_number from deaths"),
                "names": values("select name from payments union select name from recipients"),
                "accounts": values("select bank_account from payments"),
                "person_ids": values("select person_id from payments union select person_id from recipients"),
                "evidence": values("select evidence from clues"),
            }


def _with_wrong_check_digit(id_number: str) -> str:
    last = "0" if id_number[-1] != "0" else "1"
    return id_number[:-1] + last


def write_inputs(root: Path) -> dict[str, Person]:
    """Two counties' exports and reference data with a planted case for most rules."""
    people = {
        "p01": Person(1, name=FORMULA_NAMES[0]),  # P01, name that looks like a formula
        "d01": Person(2, name=FORMULA_NAMES[1]),  # D01, name that looks like a sum
        "a01_owner": Person(3, name="张三丰"),    # A01: three people paid into one account
        "a01_b": Person(4, name="李四光"),
        "a01_c": Person(5, name="王五娘"),
        "a02": Person(6, name="赵六郎"),          # A02: wrong check digit
        "a03": Person(7, name="钱七妹"),          # A03: operator = reviewer
        "e01": Person(8, name="孙八斗", birth=dt.date(1968, 1, 1)),  # E01: pension before 60
        "big": Person(9, name="周九龄"),          # a payment over the validation ceiling
    }
    for key in range(10, 36):
        people[f"base{key}"] = Person(key, name=f"吴{key:02d}号")
    payments, recipients = [], []
    people["a02"].id_number = _with_wrong_check_digit(people["a02"].id_number)
    for person in people.values():
        payments += person.monthly("202301", "202306")
        recipients.append(person.recipient())
    payments.append(people["p01"].payment("202303", payment_id="DUP-1"))
    for row in payments:
        if row["person_id"] in (people["a01_b"].person_id, people["a01_c"].person_id):
            row["bank_account"] = people["a01_owner"].account
        if row["person_id"] == people["a03"].person_id:
            row["operator_id"] = row["reviewer_id"] = "JB07"
    payments.append(people["big"].payment("202304", amount="150000.00", benefit_type="基本养老金补发"))
    payments.append({**payments[0]})  # exact duplicate export row: quarantined
    payments.append({**people["base10"].payment("202307"), "amount": "N/A"})  # unreadable amount: quarantined
    deaths = [{"id_number": people["d01"].id_number, "name": people["d01"].name, "death_date": "2023-03-05",
               "source": "民政"}]
    county = write_county(root, payments, recipients, deaths=deaths)
    (county / HOSTILE_FILE).write_text("not an export\n", encoding="utf-8")

    others = {f"o{key}": Person(key) for key in range(40, 52)}
    other_payments = [{**row, "region_code": OTHER_COUNTY}
                      for p in others.values() for row in p.monthly("202301", "202306")]
    other_payments.append({**others["o40"].payment("202302", payment_id="DUP-2"), "region_code": OTHER_COUNTY})
    write_csv(root / OTHER_COUNTY / "payments.csv", PAYMENT_HEADERS, other_payments)
    write_csv(root / OTHER_COUNTY / "recipients.csv", RECIPIENT_HEADERS,
              [{**p.recipient(), "region_code": OTHER_COUNTY} for p in others.values()])
    people.update(others)
    return people


def run_pipeline(input_dir: Path, root: Path, validate: bool = True,
                 rule_parameters: dict | None = None) -> tuple[Path, dict, Path]:
    """The stages of flows/county.py in its order, without Prefect and on one connection; the staging
    folder (with run.duckdb) is kept and nothing is published. Returns (database, manifest, folder)."""
    settings = RunOptions(seed=0, validate=validate, rule_parameters=rule_parameters or {})
    started_at = now_iso()
    paths = run.prepare(input_dir, root / "out")
    loaded = run.load_county(paths, discover(input_dir), settings.engine)
    validation = {"skipped": "validation turned off (--no-validate)"}
    if validate:
        validation = validate_database(paths.database, paths.docs_dir, shared=True)
        if validation.get("docs"):
            validation["docs"] = Path(validation["docs"]).relative_to(paths.staging_dir).as_posix()
    registry = load_registry(overrides=settings.rule_parameters)
    county_rules = registry.for_scope("county")
    county = loaded["counties"][0] if len(loaded["counties"]) == 1 else ""
    with connect(paths.database) as con:
        link_for_rules(con, county_rules)
        rules = [apply_rule(con, registry, r.key) for r in county_rules if not r.needs_scores]
        scoring = score_recipients(con, seed=settings.seed)
        rules += [apply_rule(con, registry, r.key) for r in county_rules if r.needs_scores]
        total = assemble_clues(con, registry, county)
        per_rule = con.execute("select rule_id, count(*), sum(amount) from clues group by 1 order by 1").fetchall()
        management = build_management(con, rules_available(con, registry))
    clues = {"clues": total, "per_rule": {r: {"clues": n, "amount": f"{a:.2f}"} for r, n, a in per_rule}}
    manifest = {
        "run": {"kind": loaded["kind"], "county": county, "input": str(paths.input_dir)},
        "inputs": loaded["inputs"], "ignored_files": loaded["ignored_files"], "table_rows": loaded["table_rows"],
        "validation": validation, "rules": rules, "scoring": scoring, "clues": clues,
        "management": management,
        "parameters": settings.for_manifest(registry.all_parameters()), "versions": versions(),
        "stage_seconds": {}, "started_at": started_at,
    }
    return paths.database, manifest, paths.staging_dir


def build_run(root: Path, validate: bool = True) -> FinishedRun:
    people = write_inputs(root / "in")
    database, manifest, folder = run_pipeline(root / "in", root, validate)
    return FinishedRun(database, manifest, folder, people)


def pipeline_run(tmp_path_factory) -> FinishedRun:
    """One pipeline run per test session, shared by test_workbook and test_report.

    pytest may import this module twice (as test_workbook and, from test_report, as
    tests.test_workbook), so the run is found again through the session's base temporary folder
    rather than through a module global."""
    root = tmp_path_factory.getbasetemp() / "shared-pipeline-run"
    saved = root / "finished_run.json"
    if not saved.exists():
        root.mkdir()
        finished = build_run(root)
        saved.write_text(json.dumps({"database": str(finished.database), "out_dir": str(finished.out_dir),
                                     "manifest": finished.manifest}, ensure_ascii=False, default=str),
                         encoding="utf-8")
        return finished
    state = json.loads(saved.read_text(encoding="utf-8"))
    people = write_inputs(root / "again")  # the same people, planted the same way
    return FinishedRun(Path(state["database"]), state["manifest"], Path(state["out_dir"]), people)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> FinishedRun:
    return pipeline_run(tmp_path_factory)


@pytest.fixture(scope="module")
def workbooks(finished_run: FinishedRun) -> dict[str, Path]:
    out = {"plain": finished_run.out_dir / "clues.xlsx", "masked": finished_run.out_dir / "clues_masked.xlsx"}
    with finished_run.connect() as con:
        write_workbook(con, out["plain"], finished_run.manifest)
        write_workbook(con, out["masked"], finished_run.manifest, mask=True)
    return out


@pytest.fixture(scope="module")
def book(workbooks) -> openpyxl.Workbook:
    return openpyxl.load_workbook(workbooks["plain"])


def expected_clues(finished_run: FinishedRun) -> list[tuple]:
    """Clue IDs per rule in clues.csv order (severity 高→中→低, amount descending, clue_id)."""
    with finished_run.connect() as con:
        return con.execute(
            "select rule_id, clue_id from clues order by case severity when '高' then 0 when '中' then 1 else 2 end, "
            "amount desc, clue_id").fetchall()


def sheet_rows(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(min_row=1))
    headers = [c.value for c in rows[0]]
    return [dict(zip(headers, row)) for row in rows[1:]]


def rule_sheet(book, rule_id: str):
    return book[next(n for n in book.sheetnames if n.startswith(rule_id + " "))]


# ---------------------------------------------------------------------------- the run itself


def test_the_run_has_the_planted_cases(finished_run):
    rules = {r["rule_id"]: r for r in finished_run.manifest["rules"]}
    with finished_run.connect() as con:
        fired = {r for (r,) in con.execute("select distinct rule_id from clues").fetchall()}
    assert {"D01", "P01", "E01", "A01", "A02", "A03"} <= fired
    assert rules["E03"]["status"] == "skipped" and rules["E02"]["status"] == "skipped"
    assert any(r["rows_quarantined"] for r in finished_run.manifest["inputs"])
    assert any(v["failed"] for v in finished_run.manifest["validation"]["tables"].values())


# ---------------------------------------------------------------------------- sheets and layout


def rule_sheets(book) -> list[str]:
    """The sheets of the clues, one per rule: after the summary, before 管理问题 (when the run wrote it)."""
    return [name for name in book.sheetnames[1:] if name != MANAGEMENT_SHEET]


def test_sheets_are_the_summary_then_one_per_rule_with_clues(book, finished_run):
    with finished_run.connect() as con:
        titles = dict(con.execute("select rule_id, title from rule_catalogue").fetchall())
        with_clues = {r for (r,) in con.execute("select distinct rule_id from clues").fetchall()}
    order = [r["rule_id"] for r in finished_run.manifest["rules"] if r["rule_id"] in with_clues]
    assert book.sheetnames == ["汇总"] + [f"{r} {titles[r]}"[:31] for r in order] + (
        [MANAGEMENT_SHEET] if MANAGEMENT_SHEET in book.sheetnames else [])
    assert "D01 死亡后继续领取待遇" in book.sheetnames
    assert all(len(name) <= 31 for name in book.sheetnames)


def test_rule_sheets_have_the_contract_headers_frozen_row_filter_and_widths(book):
    for name in rule_sheets(book):
        sheet = book[name]
        assert [c.value for c in sheet[1]] == HEADERS, name
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:AC{sheet.max_row}"
        widths = {col: sheet.column_dimensions[col].width for col in ("A", "H", "P")}
        assert widths["H"] >= 20 and widths["P"] >= 40 and widths["A"] >= 16, widths


def test_rows_are_sorted_like_clues_csv(book, finished_run):
    expected = expected_clues(finished_run)
    for name in rule_sheets(book):
        rule_id = name.split()[0]
        assert [r["线索编号"].value for r in sheet_rows(book[name])] == [c for r, c in expected if r == rule_id]


def test_types_ids_text_amounts_numbers(book, finished_run):
    d01 = sheet_rows(rule_sheet(book, "D01"))[0]
    person = finished_run.people["d01"]
    assert d01["公民身份号码"].value == person.id_number and d01["公民身份号码"].data_type == "s"
    assert d01["个人编号"].value == person.person_id and d01["个人编号"].data_type == "s"
    assert (d01["起始所属期"].value, d01["截止所属期"].value) == ("202304", "202306")
    assert d01["起始所属期"].data_type == "s"
    assert d01["涉及金额"].value == 9000 and d01["涉及金额"].number_format == "#,##0.00"
    assert d01["险种类型"].value == "110 企业职工基本养老保险"
    assert d01["涉及笔数"].value == 3
    assert isinstance(d01["异常分值"].value, float)
    account = sheet_rows(rule_sheet(book, "A01"))[0]
    assert account["对象类型"].value == "账户"
    assert account["姓名"].value == finished_run.people["a01_owner"].account
    assert account["姓名"].data_type == "s"
    for name in rule_sheets(book):
        for row in sheet_rows(book[name]):
            for header in ("线索编号", "行政区划代码", "个人编号", "公民身份号码", "姓名", "险种类型", "起始所属期"):
                assert row[header].value is None or isinstance(row[header].value, str), (name, header)
            assert isinstance(row["涉及金额"].value, (int, float)) and row["涉及金额"].number_format == "#,##0.00"
            assert row["追回金额"].number_format == "#,##0.00"


def test_every_sheet_prints_landscape_one_page_wide_with_the_header_row_repeated(book):
    """54 clues printed as 103 A4 portrait pages: now every column fits the width of a landscape A4."""
    for name in book.sheetnames:
        sheet = book[name]
        setup = sheet.page_setup
        # fitToWidth absent is its OOXML default, 1
        assert (setup.orientation, setup.paperSize, setup.fitToWidth or 1, setup.fitToHeight) == ("landscape", 9, 1, 0), name
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, name
        if name != book.sheetnames[0]:
            assert sheet.print_title_rows == "$1:$1", name


def test_verification_columns_are_empty_with_a_status_drop_down(book):
    for name in rule_sheets(book):
        sheet = book[name]
        rows = sheet_rows(sheet)
        assert all(r[h].value is None for r in rows for h in HEADERS[18:])
        lists = {str(v.sqref)[:1]: v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
        assert lists == {"S": STATUS_LIST, "Y": '"停发,追回,移送纪检监察机关,移送公安机关,无需处理"'}
        status = next(v for v in sheet.data_validations.dataValidation if str(v.sqref).startswith("S"))
        assert str(status.sqref) == ("S2" if sheet.max_row == 2 else f"S2:S{sheet.max_row}")
        kinds = {str(v.sqref).split(":")[0].rstrip("0123456789"): v.type for v in sheet.data_validations.dataValidation}
        assert kinds == {"S": "list", "V": "decimal", "W": "textLength", "X": "date", "Y": "list", "Z": "decimal",
                         "AA": "decimal", "AB": "textLength", "AC": "date"}


def test_formula_looking_names_stay_text(book, workbooks, finished_run):
    names = {}
    for name in rule_sheets(book):
        for row in sheet_rows(book[name]):
            names[row["公民身份号码"].value] = row["姓名"]
    for key, expected in (("p01", FORMULA_NAMES[0]), ("d01", FORMULA_NAMES[1])):
        cell = names[finished_run.people[key].id_number]
        assert cell.value == expected and cell.data_type == "s"
    with zipfile.ZipFile(workbooks["plain"]) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any(re.search(r"<f[ >]", archive.read(n).decode("utf-8")) for n in sheets)


def test_summary_sheet_has_rules_counties_inputs_validation_and_skipped_rules(book, finished_run):
    sheet = book["汇总"]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    text = "\n".join(" | ".join("" if v is None else str(v) for v in row) for row in cells)
    rows_by_first = {row[0]: row for row in cells if row and row[0]}
    with finished_run.connect() as con:
        per_rule = dict(con.execute("select rule_id, count(*) from clues group by 1").fetchall())
        _, total = con.execute(TOTALS_SQL).fetchone()  # 涉及金额: each payment counted once
        per_region = dict(con.execute("select region_code, count(*) from clues group by 1").fetchall())
    for rule_id, count in per_rule.items():
        assert rows_by_first[rule_id][5] == count
    rule_total, region_total, input_total = [row for row in cells if row and str(row[0]).startswith("合计")]
    assert rule_total[5] == sum(per_rule.values()) and rule_total[6] == pytest.approx(float(total))
    assert region_total[1] == sum(per_rule.values()) and region_total[5] == pytest.approx(float(total))
    assert input_total[4:7] == [sum(i[k] for i in finished_run.manifest["inputs"])
                                for k in ("rows_read", "rows_loaded", "rows_quarantined")]
    assert set(per_region) == {COUNTY, OTHER_COUNTY}
    for region, count in per_region.items():
        assert rows_by_first[region][1] == count
    payments_file = next(i for i in finished_run.manifest["inputs"] if i["path"] == f"{COUNTY}/payments.csv")
    row = rows_by_first[payments_file["path"]]
    assert row[4:8] == [payments_file["rows_read"], payments_file["rows_loaded"], payments_file["rows_quarantined"],
                        "一致"]
    assert payments_file["rows_quarantined"] == 2
    assert "发放金额不超过单笔上限" in text
    assert "完全重复行" in text and "金额无法识别" in text
    assert "缺少服刑人员信息（prisoners）数据" in text
    assert HOSTILE_FILE in text


# ---------------------------------------------------------------------------- masking


def test_masking_helpers():
    assert mask_id("330102199001011234") == "330102********1234"
    assert mask_id("33010219608081821") == "330102*******1821"
    assert mask_name("张三丰") == "张**"
    assert mask_tail("6222000012345678") == "************5678"
    text = "同一账户接收3名不同人员（张三丰、李四光）的待遇；号码“330102199001011234”，账户6222000012345678"
    masked = mask_text(text, names=["张三丰", "李四光"])
    assert masked == ("同一账户接收3名不同人员（张**、李**）的待遇；号码“330102********1234”，"
                      "账户************5678")


def test_masked_workbook_has_no_full_personal_data(workbooks, finished_run):
    book = openpyxl.load_workbook(workbooks["masked"])
    personal = finished_run.personal_values()
    texts = [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value]
    blob = "\n".join(texts)
    for kind in ("ids", "accounts", "person_ids"):
        leaked = [v for v in personal[kind] if v in blob]
        assert not leaked, (kind, leaked)
    leaked = [n for n in personal["names"] if len(n) >= 3 and n in blob]
    assert not leaked
    assert not re.search(r"(?<![0-9.])(\d{17}[\dX]|\d{15})(?![0-9])", blob)
    d01 = sheet_rows(rule_sheet(book, "D01"))[0]
    person = finished_run.people["d01"]
    assert d01["公民身份号码"].value == person.id_number[:6] + "********" + person.id_number[-4:]
    assert d01["姓名"].value == "-***"
    a01 = sheet_rows(rule_sheet(book, "A01"))[0]
    assert a01["姓名"].value == "*" * 12 + finished_run.people["a01_owner"].account[-4:]
    assert "张**" in a01["疑点描述"].value and "张三丰" not in a01["疑点描述"].value
    a02 = sheet_rows(rule_sheet(book, "A02"))
    assert any(finished_run.people["a02"].id_number[:6] + "********" in r["疑点描述"].value for r in a02)
    assert book["汇总"]["A1"].value == "问题线索清单 · 汇总"


def test_unmasked_workbook_keeps_the_evidence_verbatim(book, finished_run):
    with finished_run.connect() as con:
        evidence = dict(con.execute("select clue_id, evidence from clues").fetchall())
    for name in rule_sheets(book):
        for row in sheet_rows(book[name]):
            assert row["疑点描述"].value == evidence[row["线索编号"].value]


def test_a_run_without_clues_or_validation_still_writes_a_summary(tmp_path):
    people = [Person(i) for i in range(1, 6)]
    county = write_county(tmp_path / "in", [x for p in people for x in p.monthly("202301", "202303")],
                          [p.recipient() for p in people])
    database, manifest, _ = run_pipeline(county, tmp_path, validate=False)
    out = tmp_path / "clues.xlsx"
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from clues").fetchone()[0] == 0
        write_workbook(con, out, manifest)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "汇总" and rule_sheets(book) == []
    text = " ".join(str(c.value) for row in book["汇总"].iter_rows() for c in row if c.value)
    assert "本次未进行数据质量校验：validation turned off (--no-validate)" in text
    assert "缺少死亡人员信息（deaths）数据" in text
