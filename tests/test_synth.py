"""The synthetic city: formats as designed, deterministic, and every rule fires exactly on its plants.

The rule check reads the written files back with a small independent reader (headers taken from
INPUT.md, not from synth's layouts) and evaluates the rules of CLUES.md on what it read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from python_calamine import CalamineWorkbook

from fundwatch.synth import (
    CITY_COUNTIES,
    FABRICATED_AREAS,
    FORMER_COUNTIES,
    REAL_OTHER_AREAS,
    build_city,
    synth,
    write_city,
)
from tests import id_oracle

SMALL = dict(counties=3, persons=900, months=15, seed=7, start_period="202303")
RULES = ("D01", "P01", "P02", "P03", "E01", "E02", "E03", "E04", "E05", "A01", "A02", "A03")
MINIMUM_NEAR_MISSES = {"D01": 3, "P01": 2, "P02": 2, "P03": 1, "E01": 4, "E02": 1, "E03": 1, "E04": 2,
                       "E05": 1, "A01": 1, "A02": 2, "A03": 1}

ALIASES = {  # INPUT.md
    "payments": {
        "payment_id": ("发放流水号", "流水号"), "person_id": ("个人编号", "人员编号"),
        "id_number": ("公民身份号码", "身份证号码", "证件号码"), "name": ("姓名",), "scheme": ("险种类型", "险种"),
        "benefit_type": ("待遇类型", "待遇项目"), "period": ("所属期", "发放所属期", "所属年月"),
        "pay_date": ("发放日期", "支付日期"), "amount": ("发放金额", "金额"),
        "bank_account": ("银行账号", "社保卡号", "账号"), "region_code": ("行政区划代码", "行政区划"),
        "operator_id": ("经办人",), "reviewer_id": ("审核人", "复核人"),
    },
    "recipients": {
        "person_id": ("个人编号", "人员编号"), "id_number": ("公民身份号码", "身份证号码", "证件号码"),
        "name": ("姓名",), "gender": ("性别",), "birth_date": ("出生日期",), "scheme": ("险种类型", "险种"),
        "personnel_type": ("人员身份",), "unit_type": ("单位类型",), "retirement_type": ("退休类型",),
        "benefit_start": ("待遇享受开始年月", "待遇开始年月"), "status": ("待遇状态",),
        "contribution_months": ("累计缴费月数", "缴费月数"), "region_code": ("行政区划代码",),
    },
    "deaths": {"id_number": ("公民身份号码", "身份证号码", "证件号码"), "name": ("姓名",),
               "death_date": ("死亡日期",), "source": ("数据来源",)},
    "prisoners": {"id_number": ("公民身份号码", "身份证号码", "证件号码"), "name": ("姓名",),
                  "sentence_start": ("服刑开始日期",), "sentence_end": ("服刑结束日期",)},
    "public_employees": {"id_number": ("公民身份号码", "身份证号码", "证件号码"), "name": ("姓名",),
                         "unit_name": ("单位名称",), "start_date": ("入编日期",), "end_date": ("离职日期",)},
    "employment": {"id_number": ("公民身份号码", "身份证号码", "证件号码"), "period": ("缴费所属期",),
                   "unit_name": ("单位名称",)},
}
REQUIRED_PAYMENT_COLUMNS = ("payment_id", "person_id", "id_number", "name", "scheme", "benefit_type", "period",
                            "pay_date", "amount", "bank_account", "region_code")
SCHEME_CODES = {"企业职工基本养老保险": "110", "机关事业单位基本养老保险": "120", "城乡居民基本养老保险": "170",
                "失业保险": "210", "工伤保险": "410"}
DEATH_ONE_OFFS = {"丧葬补助金", "抚恤金", "一次性死亡待遇", "个人账户余额退还"}
FULL_WIDTH = str.maketrans("０１２３４５６７８９ＸｘＡ", "0123456789XxA")


# ---- a small independent reader -------------------------------------------------------------


def canonical_header(header: str, table: str) -> str:
    header = header.strip(" \u3000\ufeff")
    for canonical, aliases in ALIASES[table].items():
        if header == canonical or header in aliases:
            return canonical
    return header


def cell_text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return str(value)


def read_table(path: Path, table: str) -> list[dict]:
    """Rows as dicts of text (canonical column names), each with its physical `line`."""
    if path.suffix == ".xlsx":
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        header, body = rows[0], rows[1:]
        body = [[cell_text(v) for v in row] for row in body]
    elif path.suffix == ".parquet":
        frame = pl.read_parquet(path)
        header, body = frame.columns, [list(r) for r in frame.iter_rows()]
    else:
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gbk", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        first_line = text.splitlines()[0]
        separator = "\t" if "\t" in first_line else "|" if "|" in first_line else ","
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
        header, body = records[0], [[v if v != "" else None for v in r] for r in records[1:]]
    names = [canonical_header(h, table) for h in header]
    return [dict(zip(names, values), line=number) for number, values in enumerate(body, start=2)]


def parse_period(text: str | None) -> int | None:
    match = re.fullmatch(r"(\d{4})(?:-|年)?(\d{2})月?", text or "")
    if not match or not 1 <= int(match[2]) <= 12:
        return None
    return int(match[1]) * 12 + int(match[2]) - 1


def parse_date(text: str | None) -> date | None:
    for pattern in (r"(\d{4})-(\d{2})-(\d{2})", r"(\d{4})/(\d{1,2})/(\d{1,2})", r"(\d{4})(\d{2})(\d{2})"):
        match = re.fullmatch(pattern, text or "")
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def parse_fen(text: str | None) -> int | None:
    try:
        return int(Decimal((text or "").replace("¥", "").replace(",", "")) * 100)
    except InvalidOperation:
        return None


def normalise_id(text: str | None) -> tuple[str, bool]:
    """(key, valid): the normalised 18-character number, or the trimmed raw value when invalid."""
    raw = (text or "").translate(FULL_WIDTH).strip()
    if len(raw) == 15 and raw.isdigit():
        try:
            date(1900 + int(raw[6:8]), int(raw[8:10]), int(raw[10:12]))
            return id_oracle.widen_legacy(raw), True
        except ValueError:
            return raw, False
    candidate = raw.upper()
    return (candidate, True) if id_oracle.valid_but_for_place(candidate, date.today()) else (raw, False)


def month_of(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_expr(column: str) -> pl.Expr:
    return pl.col(column).dt.year() * 12 + pl.col(column).dt.month() - 1


def read_city(root: Path) -> dict[str, pl.DataFrame]:
    payments, recipients, quarantine = [], [], []
    for folder in sorted(p for p in root.iterdir() if re.fullmatch(r"\d{6}", p.name)):
        for path in sorted(folder.iterdir()):
            relative = f"{folder.name}/{path.name}"
            if "operations" in path.name or "经办操作日志" in path.name:
                continue  # the operations log: read by tests/test_ground_truth.py through the pipeline
            if "payments" in path.name or "待遇发放明细" in path.name:
                seen: dict[tuple, int] = {}
                for row in read_table(path, "payments"):
                    values = tuple((k, v) for k, v in row.items() if k != "line")
                    if values in seen:
                        quarantine.append((relative, row["line"], "", "duplicate"))
                        continue
                    seen[values] = row["line"]
                    missing = [c for c in REQUIRED_PAYMENT_COLUMNS if not (row.get(c) or "").strip()]
                    if missing:
                        quarantine.append((relative, row["line"], missing[0], "missing"))
                        continue
                    parsed = dict(period=parse_period(row["period"]), pay_date=parse_date(row["pay_date"]),
                                  amount_fen=parse_fen(row["amount"]))
                    broken = [c for c, v in parsed.items() if v is None]
                    if broken:
                        quarantine.append((relative, row["line"], broken[0].replace("_fen", ""), "bad_value"))
                        continue
                    key, valid = normalise_id(row["id_number"])
                    payments.append(dict(
                        county=folder.name, payment_id=row["payment_id"], key=key, valid=valid,
                        scheme=SCHEME_CODES.get(row["scheme"], row["scheme"]),
                        benefit_type="基本养老金" if row["benefit_type"] == "养老金" else row["benefit_type"],
                        bank_account=row["bank_account"], operator_id=row.get("operator_id") or "",
                        reviewer_id=row.get("reviewer_id") or "", **parsed))
            else:
                for row in read_table(path, "recipients"):
                    key, valid = normalise_id(row["id_number"])
                    recipients.append(dict(
                        county=folder.name, key=key, valid=valid, male=row["gender"] in ("男", "1"),
                        birth_date=parse_date(row["birth_date"]), scheme=row["scheme"],
                        personnel_type=row.get("personnel_type") or "", retirement_type=row.get("retirement_type") or "",
                        benefit_start=parse_period(row["benefit_start"]),
                        contribution_months=int(row["contribution_months"]) if row.get("contribution_months") else None))

    reference = root / "reference"

    def keyed(table: str, name_part: str, **parsers) -> pl.DataFrame:
        path = next(p for p in reference.iterdir() if name_part in p.name)
        rows = []
        for row in read_table(path, table):
            rows.append(dict(key=normalise_id(row["id_number"])[0],
                             **{c: parse(row.get(c)) for c, parse in parsers.items()}))
        return pl.DataFrame(rows, orient="row", infer_schema_length=None)

    return dict(
        payments=pl.DataFrame(payments, infer_schema_length=None),
        recipients=pl.DataFrame(recipients, infer_schema_length=None),
        quarantine=pl.DataFrame(quarantine, schema=["path", "line", "column", "kind"], orient="row"),
        deaths=keyed("deaths", "死亡", death_date=parse_date),
        prisoners=keyed("prisoners", "prisoners", sentence_start=parse_date, sentence_end=parse_date),
        public_employees=keyed("public_employees", "财政供养", start_date=parse_date, end_date=parse_date),
        employment=keyed("employment", "employment", period=parse_period),
    )


# ---- the rules of CLUES.md, plainly ------------------------------------------------------------


def minimum_age_years(scheme: str, male: bool, personnel_type: str, retirement_type: str) -> int | None:
    if scheme == "170":
        return 60
    if retirement_type in ("正常退休", ""):
        return 60 if male else (55 if personnel_type == "干部" else 50)
    if retirement_type == "特殊工种提前退休":
        return 55 if male else 45
    if retirement_type == "因病提前退休":
        return 50 if male else 45
    return None


def evaluate_rules(data: dict[str, pl.DataFrame]) -> dict[str, set[tuple[str, str]]]:
    """(region_code, subject_key) per rule."""
    pay, rec = data["payments"], data["recipients"]
    pension = pay.filter(pl.col("benefit_type") == "基本养老金")
    fired: dict[str, set[tuple[str, str]]] = {}

    def subjects(frame: pl.DataFrame) -> set[tuple[str, str]]:
        return set(frame.select("county", "key").iter_rows())

    death_month = data["deaths"].group_by("key").agg(
        month_expr("death_date").min().alias("death_month"))
    fired["D01"] = subjects(pay.join(death_month, on="key").filter(
        (pl.col("period") > pl.col("death_month")) & ~pl.col("benefit_type").is_in(DEATH_ONE_OFFS)))

    fired["P01"] = subjects(pay.group_by("county", "key", "scheme", "benefit_type", "period")
                            .agg(pl.col("payment_id").n_unique().alias("n")).filter(pl.col("n") >= 2))

    employee_pension = pension.filter(pl.col("scheme").is_in(["110", "120"])).select("county", "key", "period")
    resident_pension = pension.filter(pl.col("scheme") == "170").select("key", "period")
    fired["P02"] = subjects(employee_pension.join(resident_pension, on=["key", "period"]))

    across = (pay.group_by("key", "scheme", "benefit_type", "period")
              .agg(pl.col("county").unique().sort()).filter(pl.col("county").list.len() >= 2))
    fired["P03"] = {(";".join(sorted({c for counties in group["county"] for c in counties})), key)
                    for (key,), group in across.group_by("key")}

    paid_pension = pension.select("key", "scheme").unique()
    fired["E01"] = set()
    for row in rec.join(paid_pension, on=["key", "scheme"]).iter_rows(named=True):
        age = minimum_age_years(row["scheme"], row["male"], row["personnel_type"], row["retirement_type"])
        if age is None:
            continue
        key = row["key"]
        birth = date(int(key[6:10]), int(key[10:12]), int(key[12:14])) if row["valid"] else row["birth_date"]
        if row["benefit_start"] < month_of(birth) + 12 * age:
            fired["E01"].add((row["county"], key))

    employees = data["public_employees"].with_columns(
        month_expr("start_date").alias("from"),
        month_expr("end_date").fill_null(10**9).alias("to"))
    fired["E02"] = subjects(pay.filter(pl.col("scheme") == "170").join(employees, on="key").filter(
        pl.col("period").is_between(pl.col("from"), pl.col("to"))))

    sentences = data["prisoners"].with_columns(
        month_expr("sentence_start").alias("from"),
        month_expr("sentence_end").fill_null(10**9).alias("to"))
    fired["E03"] = subjects(pension.join(sentences, on="key").filter(
        (pl.col("period") > pl.col("from")) & (pl.col("period") < pl.col("to"))))

    short = rec.filter((pl.col("scheme") == "110") & (pl.col("benefit_start") >= 1998 * 12)
                       & (pl.col("contribution_months") < 180))
    fired["E04"] = subjects(short.join(paid_pension.filter(pl.col("scheme") == "110"), on=["key", "scheme"]))

    benefit = pay.filter(pl.col("benefit_type") == "失业保险金")
    allowed = rec.filter(pl.col("scheme") == "210").select(
        "key", pl.when(pl.col("contribution_months") < 60).then(12)
        .when(pl.col("contribution_months") < 120).then(18).otherwise(24).alias("allowed"))
    too_long = (benefit.group_by("county", "key").agg(pl.col("period").n_unique().alias("n"))
                .join(allowed, on="key").filter(pl.col("n") > pl.col("allowed")))
    while_employed = benefit.join(data["employment"], on=["key", "period"])
    while_retired = benefit.join(pension.select("key", "period"), on=["key", "period"])
    fired["E05"] = subjects(too_long) | subjects(while_employed) | subjects(while_retired)

    shared = pay.group_by("bank_account").agg(pl.col("key").n_unique().alias("n"), pl.col("county").first())
    fired["A01"] = set(shared.filter(pl.col("n") >= 3).select("county", "bank_account").iter_rows())

    a02 = subjects(pay.filter(~pl.col("valid"))) | subjects(rec.filter(~pl.col("valid")))
    a02 |= {(county, key) for frame in (pay, rec) for county, key in subjects(frame.filter(pl.col("valid")))
            if not id_oracle.known_area(key[:6])}
    for row in rec.filter(pl.col("valid")).iter_rows(named=True):
        key = row["key"]
        if key[6:14] != row["birth_date"].strftime("%Y%m%d") or (int(key[16]) % 2 == 1) != row["male"]:
            a02.add((row["county"], key))
    fired["A02"] = a02

    fired["A03"] = set(pay.filter((pl.col("operator_id") != "") & (pl.col("operator_id") == pl.col("reviewer_id")))
                       .select("county", "operator_id").iter_rows())
    return fired


# ---- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_city():
    return build_city(**SMALL)


@pytest.fixture(scope="module")
def written(tmp_path_factory, small_city):
    out = tmp_path_factory.mktemp("city")
    return out, write_city(small_city, out)


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# ---- tests ----------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path):
    params = dict(counties=3, persons=500, months=13, start_period="202401")
    first = synth(tmp_path / "a", seed=3, **params)
    synth(tmp_path / "b", seed=3, **params)
    synth(tmp_path / "c", seed=4, **params)
    a, b, c = (digest(tmp_path / x) for x in "abc")
    assert a == b
    assert set(a) == set(c)
    assert all(a[name] != c[name] for name in a if "payments" in name or "recipients" in name)
    assert set(first["files"]) | {"ground_truth.csv", "expected_quarantine.csv", "management_truth.csv"} == set(a)


def test_summary_counts_people_and_files(written):
    out, summary = written
    assert summary["recipient_people"] == SMALL["persons"]
    assert sum(n for path, n in summary["files"].items() if "payments" in path or "待遇发放" in path) \
        == summary["rows"]["payments"]
    for path in summary["files"]:
        assert (out / path).is_file()


def test_layouts_use_the_designed_encodings_and_names(written):
    out, summary = written
    counties = list(summary["counties"])
    split, gbk, english = (out / c for c in counties)
    assert sorted(p.name for p in split.iterdir()) == ["operations.csv", "payments_2023.csv", "payments_2024.csv",
                                                          "recipients.xlsx"]
    for path in split.glob("*.csv"):
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        raw.decode("utf-8")
    for path in gbk.iterdir():
        raw = path.read_bytes()
        assert path.name in ("待遇发放明细.csv", "待遇领取人员信息.csv", "经办操作日志.csv")
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert ("姓名" if "经办操作" not in path.name else "经办人") in raw.decode("gbk").splitlines()[0]
    for path in english.iterdir():
        raw = path.read_bytes()
        assert path.suffix == ".txt" and raw.startswith(b"\xef\xbb\xbf")
        separator = "|" if "recipients" in path.name else "\t"
        header = raw.decode("utf-8-sig").splitlines()[0].split(separator)
        assert header[:3] in (["payment_id", "person_id", "id_number"], ["person_id", "id_number", "name"],
                              ["op_id", "op_time", "op_type"])
    deaths = (out / "reference" / "死亡人员信息.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        deaths.decode("gbk")  # names only GB18030 can hold
    assert "䶮" in deaths.decode("gb18030")
    assert pl.read_parquet(out / "reference" / "prisoners.parquet").height == summary["rows"]["prisoners"]


def test_payments_mix_formats_within_columns(written):
    out, summary = written
    rows = read_table(next((out / list(summary["counties"])[0]).glob("payments_*.csv")), "payments")
    periods = {("cn" if "年" in r["period"] else "dash" if "-" in r["period"] else "plain")
               for r in rows if r["period"]}
    dates = {("slash" if "/" in r["pay_date"] else "iso" if "-" in r["pay_date"] else "compact")
             for r in rows if r["pay_date"]}
    amounts = {r["amount"][0] == "¥" or "," in r["amount"] for r in rows if r["amount"]}
    assert periods == {"cn", "dash", "plain"} and dates == {"slash", "iso", "compact"} and amounts == {True, False}
    assert any(r["scheme"] == "企业职工基本养老保险" for r in rows)


def test_xlsx_files_open_with_dates_as_dates_and_ids_as_text(written):
    out, summary = written
    workbook = openpyxl.load_workbook(out / list(summary["counties"])[0] / "recipients.xlsx", read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    header = [canonical_header(h, "recipients") for h in rows[0]]
    assert len(rows) - 1 == summary["files"][f"{list(summary['counties'])[0]}/recipients.xlsx"]
    for row in rows[1:]:
        record = dict(zip(header, row))
        assert isinstance(record["birth_date"], datetime)
        assert isinstance(record["id_number"], str)
    employees = openpyxl.load_workbook(out / "reference" / "财政供养人员信息.xlsx", read_only=True)
    assert any(isinstance(r[3], datetime) for r in employees.active.iter_rows(min_row=2, values_only=True))


def test_recipient_ids_are_valid_and_match_birth_and_gender_except_a02_plants(written):
    out, _ = written
    truth = pl.read_csv(out / "ground_truth.csv", schema_overrides={"subject_key": pl.String, "region_code": pl.String})
    a02_plants = set(truth.filter((pl.col("rule_id") == "A02") & (pl.col("kind") == "plant"))["subject_key"])
    recipients = read_city(out)["recipients"]
    for row in recipients.iter_rows(named=True):
        if row["key"] in a02_plants:
            continue
        assert row["valid"], row
        assert id_oracle.valid_but_for_place(row["key"], date.today())
        assert row["key"][6:14] == row["birth_date"].strftime("%Y%m%d"), row
        assert (int(row["key"][16]) % 2 == 1) == row["male"], row
    invalid = {r["key"] for r in recipients.iter_rows(named=True) if not r["valid"]}
    assert invalid and invalid <= a02_plants
    raw_ids = {r["id_number"] for path in out.glob("*/*.txt") for r in read_table(path, "recipients")
               if "recipients" in path.name}
    assert any(len(i) == 18 and i.endswith("x") for i in raw_ids | {
        r["id_number"] for p in out.glob("*/*.csv") if "payments" in p.name or "发放" in p.name
        for r in read_table(p, "payments") if r["id_number"]})


def test_synthetic_address_codes_are_real_and_the_fabricated_ones_are_not():
    assert all(id_oracle.known_area(c) for c in CITY_COUNTIES + FORMER_COUNTIES)
    assert all(id_oracle.known_area(c) for c, _ in REAL_OTHER_AREAS)
    assert not any(id_oracle.known_area(c) for c in FABRICATED_AREAS)


def test_fabricated_id_numbers_have_correct_check_digits(written):
    out, _ = written
    truth = pl.read_csv(out / "ground_truth.csv", schema_overrides={"subject_key": pl.String, "region_code": pl.String})
    fabricated = truth.filter(pl.col("note").str.starts_with("fabricated"))["subject_key"].to_list()
    assert len(fabricated) >= 2
    for number in fabricated:
        assert number[:6] in FABRICATED_AREAS
        assert id_oracle.ric.calc_check_digit(number) == number[17]
        assert not id_oracle.stdnum_accepts(number)


def test_ground_truth_has_plants_and_near_misses_for_every_rule(written):
    out, _ = written
    truth = pl.read_csv(out / "ground_truth.csv", schema_overrides={"subject_key": pl.String, "region_code": pl.String})
    assert truth.columns == ["rule_id", "region_code", "subject_key", "kind", "note"]
    for rule in RULES:
        plants = truth.filter((pl.col("rule_id") == rule) & (pl.col("kind") == "plant"))
        near = truth.filter((pl.col("rule_id") == rule) & (pl.col("kind") == "near_miss"))
        assert plants.height >= 3, rule
        assert near.height >= MINIMUM_NEAR_MISSES[rule], rule
    person_keys = truth.filter(~pl.col("rule_id").is_in(["A01", "A02", "A03", "S01", "S02", "S03", "S04"]))["subject_key"]
    assert all(id_oracle.valid_but_for_place(k, date.today()) and k == k.upper() for k in person_keys)


def test_expected_quarantine_points_at_the_bad_rows(written):
    out, _ = written
    expected = pl.read_csv(out / "expected_quarantine.csv", schema_overrides={"column": pl.String})
    assert sorted(expected["kind"].to_list()) == ["bad_value", "bad_value", "bad_value", "duplicate",
                                                  "missing", "missing"]
    found = read_city(out)["quarantine"].with_columns(pl.col("line").cast(pl.Int64))
    assert found.sort("path", "line").rows() == expected.with_columns(
        pl.col("column").fill_null("")).sort("path", "line").rows()
    for path, line, column, kind in expected.iter_rows():
        lines = (out / path).read_text(encoding="utf-8").splitlines()
        if kind == "duplicate":
            assert lines[line - 1] in lines[: line - 1]
        else:
            row = dict(zip([canonical_header(h, "payments") for h in next(csv.reader([lines[0]]))],
                           next(csv.reader([lines[line - 1]]))))
            assert (row[column] == "") == (kind == "missing")


@pytest.mark.parametrize("params", [SMALL, dict(counties=5, persons=1500, months=24, seed=11)])
def test_rules_fire_exactly_on_the_plants(tmp_path, params):
    write_city(build_city(**params), tmp_path)
    data = read_city(tmp_path)
    truth = pl.read_csv(tmp_path / "ground_truth.csv", schema_overrides={"subject_key": pl.String, "region_code": pl.String}).with_columns(
        pl.col("subject_key").fill_null(""))
    fired = evaluate_rules(data)
    for rule in RULES:
        plants = set(truth.filter((pl.col("rule_id") == rule) & (pl.col("kind") == "plant"))
                     .select("region_code", "subject_key").iter_rows())
        near = set(truth.filter((pl.col("rule_id") == rule) & (pl.col("kind") == "near_miss"))["subject_key"])
        assert fired[rule] == plants, (rule, fired[rule] ^ plants)
        assert not near & {key for _, key in fired[rule]}, rule
    planted_people = {k for k in truth.filter(pl.col("kind") == "plant")["subject_key"]}
    for rule in RULES:
        for other in RULES:
            if other != rule:
                overlap = {k for _, k in fired[rule]} & {k for _, k in fired[other]} & planted_people
                assert not overlap, (rule, other, overlap)
