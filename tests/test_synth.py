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

from fundwatch.synth import build_city, shuffle_exports, synth, write_city
from fundwatch.synth.codes import CITY_COUNTIES, FABRICATED_AREAS, FORMER_COUNTIES, REAL_OTHER_AREAS
from tests import id_oracle

SMALL = dict(counties=3, persons=900, months=15, seed=7, start_period="202303")
RULES = ("D01", "P01", "P02", "P03", "E01", "E02", "E03", "E04", "E05", "E06", "A01", "A02", "A03")
CITY_RULES = ("P01", "P02", "P03", "E05", "E06")  # the rules that compare a person's payments across counties
MINIMUM_NEAR_MISSES = {"D01": 7, "P01": 6, "P02": 2, "P03": 1, "E01": 4, "E02": 1, "E03": 1, "E04": 2,
                       "E05": 1, "E06": 2, "A01": 1, "A02": 2, "A03": 1}
TRUTH_COLUMNS = ["rule_id", "region_code", "subject_key", "kind", "scope", "case", "amount", "note"]

ALIASES = {  # INPUT.md
    "payments": {
        "payment_id": ("发放流水号", "流水号"), "person_id": ("个人编号", "人员编号"),
        "id_number": ("公民身份号码", "身份证号码", "证件号码"), "name": ("姓名",), "scheme": ("险种类型", "险种"),
        "benefit_type": ("待遇类型", "待遇项目"), "period": ("所属期", "发放所属期", "所属年月"),
        "pay_date": ("发放日期", "支付日期"), "amount": ("发放金额", "金额"),
        "bank_account": ("银行账号", "社保卡号", "账号"), "region_code": ("行政区划代码", "行政区划"),
        "operator_id": ("经办人",), "reviewer_id": ("审核人", "复核人"), "pay_status": ("发放状态", "支付状态"),
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
# INPUT.md, "Benefit types"
PENSION_TYPES = {"基本养老金", "基础养老金", "个人账户养老金", "过渡性养老金"}
DEATH_ONE_OFFS = {"丧葬补助金", "丧葬费", "抚恤金", "一次性抚恤金", "一次性死亡待遇", "个人账户余额退还", "个人账户余额继承"}
SURVIVOR_BENEFITS = {"供养亲属抚恤金", "遗属待遇", "遗属生活困难补助费"}
DEATH_RELATED = DEATH_ONE_OFFS | SURVIVOR_BENEFITS
PAY_STATUSES = ("成功", "失败", "退回")
FULL_WIDTH = str.maketrans("０１２３４５６７８９ＸｘＡ", "0123456789XxA")
MONEY = re.compile(r"(-?)[¥￥]?((?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?)元?")


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


def decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gbk", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("undecodable")


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
        text = decode(path.read_bytes())
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
    """INPUT.md's money grammar; full-width digits and ， read as their half-width forms."""
    match = MONEY.fullmatch((text or "").strip().translate(FULL_WIDTH).replace("，", ","))
    if not match:
        return None
    fen = int(Decimal(match[2].replace(",", "")) * 100)
    return -fen if match[1] else fen


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
                    status = row.get("pay_status") or None
                    assert status is None or status in PAY_STATUSES, row
                    key, valid = normalise_id(row["id_number"])
                    payments.append(dict(
                        county=folder.name, path=relative, line=row["line"], payment_id=row["payment_id"],
                        key=key, valid=valid, scheme=SCHEME_CODES.get(row["scheme"], row["scheme"]),
                        benefit_type="基本养老金" if row["benefit_type"] == "养老金" else row["benefit_type"],
                        bank_account=row["bank_account"], operator_id=row.get("operator_id") or "",
                        reviewer_id=row.get("reviewer_id") or "", pay_status=status, **parsed))
            else:
                for row in read_table(path, "recipients"):
                    key, valid = normalise_id(row["id_number"])
                    recipients.append(dict(
                        county=folder.name, line=row["line"], key=key, valid=valid,
                        male=row["gender"] in ("男", "1"),
                        birth_date=parse_date(row["birth_date"]), scheme=row["scheme"],
                        personnel_type=row.get("personnel_type") or "", retirement_type=row.get("retirement_type") or "",
                        benefit_start=parse_period(row["benefit_start"]),
                        contribution_months=int(row["contribution_months"]) if row.get("contribution_months") else None))

    reference = root / "reference"

    def keyed(table: str, name_part: str, **parsers) -> pl.DataFrame:
        path = next(p for p in reference.iterdir() if name_part in p.name)
        rows = []
        for row in read_table(path, table):
            rows.append(dict(key=normalise_id(row["id_number"])[0], line=row["line"],
                             **{c: parse(row.get(c)) for c, parse in parsers.items()}))
        return pl.DataFrame(rows, orient="row", infer_schema_length=None)

    return dict(
        payments=pl.DataFrame(payments, infer_schema_length=None, schema_overrides={"pay_status": pl.String}),
        recipients=pl.DataFrame(recipients, infer_schema_length=None),
        quarantine=pl.DataFrame(quarantine, schema=["path", "line", "column", "kind"], orient="row"),
        deaths=keyed("deaths", "死亡", death_date=parse_date, source=str),
        prisoners=keyed("prisoners", "prisoners", sentence_start=parse_date, sentence_end=parse_date),
        public_employees=keyed("public_employees", "财政供养", unit_name=str, start_date=parse_date,
                               end_date=parse_date),
        employment=keyed("employment", "employment", period=parse_period),
    )


def read_truth(root: Path) -> pl.DataFrame:
    return pl.read_csv(root / "ground_truth.csv", schema_overrides={
        "subject_key": pl.String, "region_code": pl.String, "amount": pl.String}).with_columns(
        pl.col("subject_key").fill_null(""))


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


def received_groups(pay: pl.DataFrame) -> pl.DataFrame:
    """What a rule calls paid (INPUT.md): per person, scheme, benefit type and period, the net of the
    successful payments and reversals, the first received payment, the payment_ids received and the
    counties; a group whose net is zero or less is not a payment."""
    received = pay.filter(pl.col("pay_status").is_null() | (pl.col("pay_status") == "成功"))
    positive = pl.col("amount_fen") > 0
    return (received.sort("pay_date", "payment_id")
            .group_by("key", "scheme", "benefit_type", "period", maintain_order=True)
            .agg(pl.col("amount_fen").sum().alias("net"),
                 pl.col("amount_fen").filter(positive).first().alias("first"),
                 pl.col("payment_id").filter(positive).n_unique().alias("received"),
                 pl.col("county").unique().sort().alias("counties"))
            .filter(pl.col("net") > 0))


def by_subject(hits: pl.DataFrame) -> dict[str, tuple[str, int | None]]:
    """key -> (region_code: every county of the clue's payments, `;`-joined; amount in fen)."""
    if hits.is_empty():
        return {}
    amounts = hits.group_by("key").agg(pl.col("fen").sum())
    regions = hits.select("key", "counties").explode("counties").group_by("key").agg(
        pl.col("counties").unique().sort().str.join(";"))
    return {key: (region, fen) for key, region, fen in regions.join(amounts, on="key").iter_rows()}


def evaluate_rules(data: dict[str, pl.DataFrame]) -> dict[str, dict[str, tuple[str, int | None]]]:
    """For one run (a county's data, or a city's), per rule: subject -> (region_code, 涉及金额 in fen)."""
    pay, rec = data["payments"], data["recipients"]
    groups = received_groups(pay)
    pension = groups.filter(pl.col("benefit_type").is_in(PENSION_TYPES)
                            & pl.col("scheme").is_in(["110", "120", "170"]))
    fired: dict[str, dict[str, tuple[str, int | None]]] = {}

    def hits(frame: pl.DataFrame, fen: pl.Expr | None = pl.col("net")) -> pl.DataFrame:
        return frame.select("key", "counties", (fen if fen is not None else pl.lit(None, pl.Int64)).alias("fen"))

    death_month = data["deaths"].group_by("key").agg(month_expr("death_date").min().alias("death_month"))
    fired["D01"] = by_subject(hits(groups.join(death_month, on="key").filter(
        (pl.col("period") > pl.col("death_month")) & ~pl.col("benefit_type").is_in(DEATH_RELATED))))

    duplicated = groups.filter((pl.col("received") >= 2) & (pl.col("net") > pl.col("first")))
    fired["P01"] = by_subject(hits(duplicated.filter(pl.col("counties").list.len() == 1),
                                   pl.col("net") - pl.col("first")))
    fired["P03"] = by_subject(hits(duplicated.filter(pl.col("counties").list.len() >= 2),
                                   pl.col("net") - pl.col("first")))

    employee = (pension.filter(pl.col("scheme").is_in(["110", "120"])).explode("counties")
                .group_by("key", "period").agg(pl.col("counties").unique().alias("employee_counties")))
    resident = (pension.filter(pl.col("scheme") == "170").explode("counties").group_by("key", "period").agg(
        pl.col("counties").unique(),
        pl.when((pl.col("benefit_type") == "基础养老金").any())
        .then(pl.col("net").filter(pl.col("benefit_type") == "基础养老金").sum())
        .otherwise(pl.col("net").sum()).alias("fen")))
    both = resident.join(employee, on=["key", "period"]).with_columns(
        pl.concat_list("counties", "employee_counties").alias("counties"))
    fired["P02"] = by_subject(hits(both, pl.col("fen")))

    paid_pension = pension.select("key", "scheme").unique()
    e01 = []
    for row in rec.join(paid_pension, on=["key", "scheme"]).iter_rows(named=True):
        age = minimum_age_years(row["scheme"], row["male"], row["personnel_type"], row["retirement_type"])
        if age is None:
            continue
        key = row["key"]
        birth = date(int(key[6:10]), int(key[10:12]), int(key[12:14])) if row["valid"] else row["birth_date"]
        if row["benefit_start"] < month_of(birth) + 12 * age:
            e01.append(dict(key=key, counties=[row["county"]], fen=None))
    fired["E01"] = by_subject(pl.DataFrame(e01, schema={"key": pl.String, "counties": pl.List(pl.String),
                                                        "fen": pl.Int64}))

    employees = data["public_employees"].with_columns(
        month_expr("start_date").alias("from"), month_expr("end_date").fill_null(10**9).alias("to"))

    def in_post(frame: pl.DataFrame) -> pl.DataFrame:
        within = frame.join(employees, on="key").filter(pl.col("period").is_between(pl.col("from"), pl.col("to")))
        return within.unique(["key", "scheme", "benefit_type", "period"])

    fired["E02"] = by_subject(hits(in_post(groups.filter(
        (pl.col("scheme") == "170") & ~pl.col("benefit_type").is_in(DEATH_RELATED)))))
    fired["E06"] = by_subject(hits(in_post(pension.filter(pl.col("scheme").is_in(["110", "120"])))))

    sentences = data["prisoners"].with_columns(
        month_expr("sentence_start").alias("from"), month_expr("sentence_end").fill_null(10**9).alias("to"))
    fired["E03"] = by_subject(hits(pension.join(sentences, on="key").filter(
        (pl.col("period") > pl.col("from")) & (pl.col("period") < pl.col("to")))
        .unique(["key", "scheme", "benefit_type", "period"])))

    short = rec.filter((pl.col("scheme") == "110") & (pl.col("benefit_start") >= 1998 * 12)
                       & (pl.col("contribution_months") < 180))
    fired["E04"] = by_subject(short.join(paid_pension.filter(pl.col("scheme") == "110"), on=["key", "scheme"])
                              .select("key", pl.concat_list("county").alias("counties"),
                                      pl.lit(None, pl.Int64).alias("fen")))

    benefit = groups.filter(pl.col("benefit_type") == "失业保险金")
    allowed = rec.filter(pl.col("scheme") == "210").group_by("key").agg(
        pl.when(pl.col("contribution_months").max() < 60).then(12)
        .when(pl.col("contribution_months").max() < 120).then(18).otherwise(24).alias("allowed"))
    nothing_more = pl.lit([], pl.List(pl.String)).alias("more")
    beyond = (benefit.join(allowed, on="key").with_columns(pl.col("period").rank("dense").over("key").alias("nth"))
              .filter(pl.col("nth") > pl.col("allowed")).select("key", "period", nothing_more))
    while_employed = benefit.join(data["employment"], on=["key", "period"]).select("key", "period", nothing_more)
    while_retired = (benefit.join(pension.explode("counties"), on=["key", "period"], suffix="_pension")
                     .group_by("key", "period").agg(pl.col("counties_pension").unique().alias("more")))
    improper = (pl.concat([beyond, while_employed, while_retired]).group_by("key", "period")
                .agg(pl.col("more").list.explode(keep_nulls=False, empty_as_null=False).unique()))
    fired["E05"] = by_subject(benefit.join(improper, on=["key", "period"]).select(
        "key", pl.concat_list("counties", "more").alias("counties"), pl.col("net").alias("fen")))

    shared = pay.group_by("bank_account").agg(pl.col("key").n_unique().alias("n"), pl.col("county").first())
    fired["A01"] = {account: (county, None) for account, n, county in shared.iter_rows() if n >= 3}

    a02 = {(county, key) for county, key in pay.filter(~pl.col("valid")).select("county", "key").iter_rows()}
    a02 |= {(county, key) for county, key in rec.filter(~pl.col("valid")).select("county", "key").iter_rows()}
    a02 |= {(county, key) for frame in (pay, rec)
            for county, key in frame.filter(pl.col("valid")).select("county", "key").iter_rows()
            if not id_oracle.known_area(key[:6])}
    for row in rec.filter(pl.col("valid")).iter_rows(named=True):
        key = row["key"]
        if key[6:14] != row["birth_date"].strftime("%Y%m%d") or (int(key[16]) % 2 == 1) != row["male"]:
            a02.add((row["county"], key))
    fired["A02"] = {key: (county, None) for county, key in a02}

    self_approved = pay.filter((pl.col("operator_id") != "") & (pl.col("operator_id") == pl.col("reviewer_id")))
    fired["A03"] = {operator: (county, None) for county, operator in
                    self_approved.select("county", "operator_id").unique().iter_rows()}
    return fired


def county_runs(data: dict[str, pl.DataFrame]) -> dict[str, dict[str, tuple[str, int | None]]]:
    """Every county run: each sees its own payments and recipients and the shared reference lists."""
    fired: dict[str, dict] = {rule: {} for rule in RULES}
    for county in data["payments"]["county"].unique().sort():
        alone = {**data, "payments": data["payments"].filter(pl.col("county") == county),
                 "recipients": data["recipients"].filter(pl.col("county") == county)}
        for rule, found in evaluate_rules(alone).items():
            for key, hit in found.items():
                assert key not in fired[rule], (rule, key, "fires in two county runs")
                fired[rule][key] = hit
    return fired


def subjects(found: dict[str, tuple[str, int | None]]) -> set[tuple[str, str]]:
    return {(region, key) for key, (region, _) in found.items()}


def fen(amount: str) -> int:
    return int(Decimal(amount) * 100)


# ---- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_city():
    return build_city(**SMALL)


@pytest.fixture(scope="module")
def written(tmp_path_factory, small_city):
    out = tmp_path_factory.mktemp("city")
    return out, write_city(small_city, out)


@pytest.fixture(scope="module")
def read_back(written):
    out, _ = written
    return read_city(out), read_truth(out)


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cases(truth: pl.DataFrame, rule: str, case: str) -> list[dict]:
    rows = truth.filter((pl.col("rule_id") == rule) & (pl.col("case") == case)).to_dicts()
    assert rows, (rule, case)
    return rows


def payments_of(data: dict[str, pl.DataFrame], key: str) -> pl.DataFrame:
    return data["payments"].filter(pl.col("key") == key)


def after_death(data: dict[str, pl.DataFrame], key: str) -> pl.DataFrame:
    """The person's payments for periods after the month of the earliest death date."""
    death_month = min(month_of(d) for d in data["deaths"].filter(pl.col("key") == key)["death_date"])
    return payments_of(data, key).filter(pl.col("period") > death_month)


# ---- tests ----------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path):
    params = dict(counties=3, persons=600, months=13, start_period="202401")
    first = synth(tmp_path / "a", seed=3, **params)
    synth(tmp_path / "b", seed=3, **params)
    synth(tmp_path / "c", seed=4, **params)
    a, b, c = (digest(tmp_path / x) for x in "abc")
    assert a == b
    assert set(a) == set(c)
    assert all(a[name] != c[name] for name in a if "payments" in name or "recipients" in name)
    assert set(first["files"]) | {"ground_truth.csv", "expected_quarantine.csv", "management_truth.csv",
                                  "tipoffs_truth.csv"} == set(a)


def test_summary_counts_people_and_files(written):
    out, summary = written
    assert summary["recipient_people"] == SMALL["persons"]
    assert sum(n for path, n in summary["files"].items() if "payments" in path or "待遇发放" in path) \
        == summary["rows"]["payments"]
    for path in summary["files"]:
        assert (out / path).is_file()
    assert summary["skipped"] == []


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
    assert periods == {"cn", "dash", "plain"} and dates == {"slash", "iso", "compact"}
    assert any(r["scheme"] == "企业职工基本养老保险" for r in rows)


def test_valid_money_forms_read_as_the_canonical_amounts(written, small_city, read_back):
    """1,234.50 ¥1234.50 1234.50元 full-width digits ￥1,234.5元 3，000.00: the same value as written."""
    out, summary = written
    data, _ = read_back
    texts = [r["amount"] for path in (out / c for c in summary["counties"]) for p in sorted(path.iterdir())
             if "payments" in p.name or "发放明细" in p.name for r in read_table(p, "payments") if r["amount"]]
    forms = {
        "grouped": r"\d{1,3}(,\d{3})+\.\d{2}", "yen": r"¥\d+\.\d{2}", "yuan": r"\d+\.\d{2}元",
        "full-width": r"[０-９]+\.[０-９]{2}", "yen grouped yuan": r"￥\d{1,3}(,\d{3})+(\.\d{1,2})?元",
        "full-width comma": r"\d{1,3}(，\d{3})+\.\d{2}", "trimmed": r"\d+\.\d", "negative": r"-\S+",
    }
    for form, pattern in forms.items():
        assert any(re.fullmatch(pattern, t) for t in texts), form
    written_fen = {(p, line): fen for p, line, fen in small_city.loadable_payments.select(
        "path", "line", "amount_fen").iter_rows()}
    read_fen = {(p, line): fen for p, line, fen in
                data["payments"].select("path", "line", "amount_fen").iter_rows()}
    assert read_fen == written_fen


def test_pay_status_is_optional_and_mostly_empty_or_success(written, read_back):
    out, summary = written
    data, _ = read_back
    with_status = set()
    for county in summary["counties"]:
        for path in sorted((out / county).iterdir()):
            if "payments" in path.name or "发放明细" in path.name:
                rows = read_table(path, "payments")
                if "pay_status" in rows[0]:
                    with_status.add(county)
                    statuses = [r["pay_status"] for r in rows]
                    assert sum(s in (None, "成功") for s in statuses) > 0.99 * len(statuses)
    assert 0 < len(with_status) < len(summary["counties"])
    assert set(data["payments"]["pay_status"].drop_nulls()) == {"成功", "失败", "退回"}


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
    truth = read_truth(out)
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
    truth = read_truth(out)
    fabricated = truth.filter(pl.col("note").str.starts_with("fabricated"))["subject_key"].to_list()
    assert len(fabricated) >= 2
    for number in fabricated:
        assert number[:6] in FABRICATED_AREAS
        assert id_oracle.ric.calc_check_digit(number) == number[17]
        assert not id_oracle.stdnum_accepts(number)


def test_ground_truth_has_plants_and_near_misses_for_every_rule(written):
    out, _ = written
    truth = read_truth(out)
    assert truth.columns == TRUTH_COLUMNS
    assert set(truth["scope"]) == {"county", "city"} and set(truth["kind"]) == {"plant", "near_miss"}
    for rule in RULES:
        plants = truth.filter((pl.col("rule_id") == rule) & (pl.col("kind") == "plant"))
        near = truth.filter((pl.col("rule_id") == rule) & (pl.col("kind") == "near_miss"))
        assert plants.height >= 3, rule
        assert near.height >= MINIMUM_NEAR_MISSES[rule], rule
    city = truth.filter(pl.col("scope") == "city")
    assert set(city["rule_id"]) == {"P02", "P03", "E05", "P04"}
    assert all(len(region.split(";")) >= 2 for region in city["region_code"])
    assert all(";" not in region for region in truth.filter(pl.col("scope") == "county")["region_code"])
    with_amount = truth.filter(pl.col("amount").is_not_null())
    assert set(with_amount["kind"]) == {"plant"}
    assert set(with_amount["rule_id"]) == {"D01", "P01", "P02", "P03", "E02", "E03", "E05", "E06"}
    assert all(re.fullmatch(r"\d+\.\d{2}", a) and Decimal(a) > 0 for a in with_amount["amount"])
    person_keys = truth.filter(~pl.col("rule_id").is_in(["A01", "A02", "A03", "S01", "S02", "S03", "S04"]))["subject_key"]
    assert all(id_oracle.valid_but_for_place(k, date.today()) and k == k.upper() for k in person_keys)


def test_expected_quarantine_points_at_the_bad_rows(written):
    out, _ = written
    expected = pl.read_csv(out / "expected_quarantine.csv", schema_overrides={"column": pl.String})
    assert sorted(expected["kind"].to_list()) == ["bad_value"] * 9 + ["duplicate"] + ["missing"] * 2
    found = read_city(out)["quarantine"].with_columns(pl.col("line").cast(pl.Int64))
    assert found.sort("path", "line").rows() == expected.with_columns(
        pl.col("column").fill_null("")).sort("path", "line").rows()
    bad_money = []
    for path, line, column, kind in expected.iter_rows():
        lines = decode((out / path).read_bytes()).splitlines()
        if kind == "duplicate":
            assert lines[line - 1] in lines[: line - 1]
            continue
        row = {r["line"]: r for r in read_table(out / path, "payments")}[line]
        assert (row[column] is None) == (kind == "missing")
        if column == "amount":
            bad_money.append(row["amount"])
    assert len({p.split("/")[0] for p in expected.filter(pl.col("column") == "amount")["path"]}) == 3
    shapes = (r"\d+,\d{2}", r"1,2,3", r"\d+，\d{2}", r"\d+\.\d{3}", r"\d\.\de3", r"\(\d+\.\d{2}\)", "N/A")
    assert sorted(next(s for s in shapes if re.fullmatch(s, text)) for text in bad_money) == sorted(shapes)


@pytest.mark.parametrize("params", [SMALL, dict(counties=5, persons=1500, months=24, seed=11)])
def test_rules_fire_exactly_on_the_plants(tmp_path, params):
    """County runs find the county-scope plants (a city-scope plant is seen by none of them); the city
    run finds every plant of the rules that compare a person's payments across counties. Amounts too."""
    write_city(build_city(**params), tmp_path)
    data, truth = read_city(tmp_path), read_truth(tmp_path)
    runs = {"county": county_runs(data), "city": evaluate_rules(data)}
    for scope, rules in (("county", RULES), ("city", CITY_RULES)):
        for rule in rules:
            found = runs[scope][rule]
            of_rule = truth.filter(pl.col("rule_id") == rule)
            seen = ["county"] if scope == "county" else ["county", "city"]
            plants = of_rule.filter((pl.col("kind") == "plant") & pl.col("scope").is_in(seen))
            near = set(of_rule.filter(pl.col("kind") == "near_miss")["subject_key"])
            if scope == "county":
                near |= set(of_rule.filter(pl.col("scope") == "city")["subject_key"])
            assert subjects(found) == set(plants.select("region_code", "subject_key").iter_rows()), \
                (scope, rule, subjects(found) ^ set(plants.select("region_code", "subject_key").iter_rows()))
            assert not near & set(found), (scope, rule)
            stated = plants.filter(pl.col("amount").is_not_null()).select("subject_key", "amount")
            for key, amount in stated.iter_rows():
                assert found[key][1] == fen(amount), (scope, rule, key, found[key][1], amount)
    planted_people = set(truth.filter(pl.col("kind") == "plant")["subject_key"])
    for scope, fired in runs.items():
        for rule in RULES:
            for other in RULES:
                if other != rule:
                    overlap = set(fired[rule]) & set(fired[other]) & planted_people
                    assert not overlap, (scope, rule, other, overlap)


def test_death_cases_have_the_payments_claimed(read_back):
    data, truth = read_back
    death_related = pl.col("benefit_type").is_in(DEATH_RELATED)
    for case in ("death-partly-returned", "death-all-returned"):
        (row,) = cases(truth, "D01", case)
        after = after_death(data, row["subject_key"])
        statuses = set(after["pay_status"].fill_null("成功"))
        assert statuses == ({"成功", "退回"} if case == "death-partly-returned" else {"退回"}), case
    for case in ("death-partly-reversed", "death-all-reversed"):
        (row,) = cases(truth, "D01", case)
        after = after_death(data, row["subject_key"])
        reversed_periods = set(after.filter(pl.col("amount_fen") < 0)["period"])
        net = after.group_by("period").agg(pl.col("amount_fen").sum())
        assert reversed_periods and set(net.filter(pl.col("amount_fen") == 0)["period"]) == reversed_periods
        assert (net["amount_fen"] > 0).any() == (case == "death-partly-reversed")
        assert after.filter(pl.col("amount_fen") < 0)["payment_id"].is_in(after.filter(
            pl.col("amount_fen") > 0)["payment_id"]).sum() == 0
    for case, monthly in (("death-dependant-benefit", "供养亲属抚恤金"), ("death-survivor-benefit", "遗属待遇")):
        (row,) = cases(truth, "D01", case)
        after = after_death(data, row["subject_key"])
        assert after.filter(~death_related).is_empty()
        assert after.filter(pl.col("benefit_type") == monthly)["period"].n_unique() >= 2
        assert after.filter(pl.col("benefit_type").is_in(DEATH_ONE_OFFS)).height >= 2


def test_duplicate_cases_have_the_payments_claimed(read_back):
    data, truth = read_back

    def doubled_periods(key: str) -> pl.DataFrame:
        pay = payments_of(data, key).filter(pl.col("amount_fen") > 0)
        counted = pay.group_by("scheme", "benefit_type", "period").agg(pl.col("payment_id").n_unique().alias("n"))
        return pay.join(counted.filter(pl.col("n") >= 2), on=["scheme", "benefit_type", "period"])

    for row in cases(truth, "P01", "duplicate"):
        assert doubled_periods(row["subject_key"])["pay_status"].fill_null("成功").unique().to_list() == ["成功"]
    (row,) = cases(truth, "P01", "duplicate-reversed")
    doubled = doubled_periods(row["subject_key"])
    (period,) = set(doubled["period"])
    reversal = payments_of(data, row["subject_key"]).filter((pl.col("period") == period)
                                                            & (pl.col("amount_fen") < 0))
    assert reversal["amount_fen"].to_list() == [-doubled["amount_fen"][1]]
    for case, status in (("duplicate-returned", "退回"), ("failed-then-reissued", "失败")):
        (row,) = cases(truth, "P01", case)
        assert doubled_periods(row["subject_key"])["pay_status"].fill_null("成功").sort().to_list() == sorted(
            ["成功", status])
    for row in cases(truth, "P01", "split-resident-pension"):
        pay = payments_of(data, row["subject_key"])
        assert pay.group_by("period").agg(pl.col("benefit_type").sort())["benefit_type"].to_list() == \
            [["个人账户养老金", "基础养老金"]] * pay["period"].n_unique()


def test_cross_county_and_split_pension_cases_have_the_payments_claimed(read_back):
    data, truth = read_back
    pension = pl.col("benefit_type").is_in(PENSION_TYPES)
    (row,) = cases(truth, "P02", "both-pensions-cross-county")
    employee_county, resident_county = row["region_code"].split(";")
    pay = payments_of(data, row["subject_key"]).filter(pension)
    assert set(pay.filter(pl.col("scheme") == "110")["county"]) == {employee_county}
    assert set(pay.filter(pl.col("scheme") == "170")["county"]) == {resident_county}
    (row,) = cases(truth, "P02", "both-pensions-resident-split")
    pay = payments_of(data, row["subject_key"]).filter(pension)
    assert set(pay.filter(pl.col("scheme") == "170")["benefit_type"]) == {"基础养老金", "个人账户养老金"}
    periods = {scheme: set(pay.filter(pl.col("scheme") == scheme)["period"]) for scheme in ("110", "170")}
    assert periods["110"] >= periods["170"]
    (row,) = cases(truth, "E05", "unemployment-c-cross-county")
    benefit_county, pension_county = row["region_code"].split(";")
    pay = payments_of(data, row["subject_key"])
    benefit = pay.filter(pl.col("benefit_type") == "失业保险金")
    assert set(benefit["county"]) == {benefit_county}
    assert set(pay.filter(pension)["county"]) == {pension_county}
    assert set(benefit["period"]) & set(pay.filter(pension)["period"])


def test_public_employee_cases_have_the_records_claimed(read_back):
    data, truth = read_back
    employees = data["public_employees"]
    for row in truth.filter((pl.col("rule_id") == "E06")).to_dicts():
        records = employees.filter(pl.col("key") == row["subject_key"])
        pension = payments_of(data, row["subject_key"]).filter(pl.col("benefit_type").is_in(PENSION_TYPES))
        assert set(pension["scheme"]) <= {"110", "120"}
        first = min(pension["period"])
        covering = records.filter((month_expr("start_date") <= first)
                                  & (month_expr("end_date").is_null() | (month_expr("end_date") >= first)))
        assert covering.height == (1 if row["kind"] == "plant" else 0), row
        assert records.height == (2 if row["case"] in ("two-units", "retired-from-two-units") else 1), row


def test_people_with_several_schemes_units_sentences_or_reports_are_listed_out_of_order(written, read_back):
    out, summary = written
    data, truth = read_back
    multi = {"recipients": (data["recipients"], "scheme"), "deaths": (data["deaths"], "source"),
             "prisoners": (data["prisoners"], "sentence_start"),
             "public_employees": (data["public_employees"], "unit_name")}
    for table, (frame, natural) in multi.items():
        by = ["county", "key"] if table == "recipients" else ["key"]
        groups = [g for _, g in frame.group_by(by) if g.height > 1]
        assert groups, table
        for group in groups:
            in_file = group.sort("line")[natural].to_list()
            assert in_file != sorted(in_file), (table, group)
    (row,) = cases(truth, "E03", "two-sentences")
    assert data["prisoners"].filter(pl.col("key") == row["subject_key"]).height == 2


def test_shuffled_copy_holds_the_same_rows_in_another_order(written, tmp_path):
    out, _ = written
    shuffled = shuffle_exports(out, tmp_path / "shuffled", seed=5)
    assert not (tmp_path / "shuffled" / "ground_truth.csv").exists()
    for relative in shuffled:
        before, after = out / relative, tmp_path / "shuffled" / relative
        if before.suffix in (".csv", ".txt"):
            old, new = before.read_bytes(), after.read_bytes()
            ending = b"\r\n" if b"\r\n" in old else b"\n"
            assert old.split(ending)[0] == new.split(ending)[0] and len(old) == len(new)
            assert sorted(old.split(ending)) == sorted(new.split(ending)) and old != new, relative
        else:
            table = "recipients" if "recipients" in relative else "public_employees"
            old_rows, new_rows = read_table(before, table), read_table(after, table)

            def values(rows: list[dict]) -> list:
                return sorted(tuple(sorted((k, str(v)) for k, v in r.items() if k != "line")) for r in rows)

            assert values(old_rows) == values(new_rows)
            key = "信访编号" if "信访" in relative else "id_number"  # tip-offs: many have no number
            assert [r.get(key) for r in old_rows] != [r.get(key) for r in new_rows], relative
    again = read_city(tmp_path / "shuffled")
    assert evaluate_rules(again) == evaluate_rules(read_city(out))
