"""D01 and P01 the way an analyst writes them by hand in pandas: the comparison point of benchmarks/run.py.

    .venv/bin/python benchmarks/pandas_rules.py COUNTY_DIR [--reference DIR] [--out subjects.json]

Reads every payments*.csv of the county folder and reference/死亡人员信息.csv (Chinese headers, GB18030)
with pd.read_csv, parses ID numbers, periods, dates and amounts, merges payments with the earliest
death date per person and groups:

  D01  payments whose 所属期 is after the month of the earliest death date, except the one-off benefits
       paid because of a death (丧葬补助金, 抚恤金, 一次性死亡待遇, 个人账户余额退还);
  P01  two or more different 发放流水号 for the same ID number, scheme, benefit type and period.

Writes one entry per subject and rule: payments behind it and the improper amount (the same numbers as
fundwatch's 涉及笔数 and 涉及金额), so that benchmarks/run.py can check agreement. Rows whose fields do
not parse are dropped, exact duplicate rows are dropped once: what fundwatch quarantines.
No fundwatch code is used.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

DEATH_ONE_OFFS = ["丧葬补助金", "抚恤金", "一次性死亡待遇", "个人账户余额退还"]
SCHEME_CODES = {"企业职工基本养老保险": "110", "机关事业单位基本养老保险": "120", "城乡居民基本养老保险": "170",
                "失业保险": "210", "工伤保险": "410"}
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_CHARS = "10X98765432"

# the header each column comes under in the exports (any one of these)
HEADERS = {
    "payment_id": ["发放流水号", "流水号"],
    "person_id": ["个人编号", "人员编号"],
    "id_number": ["公民身份号码", "身份证号码", "证件号码"],
    "name": ["姓名"],
    "scheme": ["险种类型", "险种"],
    "benefit_type": ["待遇类型", "待遇项目"],
    "period": ["所属期", "发放所属期", "所属年月"],
    "pay_date": ["发放日期", "支付日期"],
    "amount": ["发放金额", "金额"],
    "region_code": ["行政区划代码", "行政区划"],
    "death_date": ["死亡日期"],
}


def rename(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [c.strip().replace("\u3000", "") for c in frame.columns]
    names = {header: name for name, headers in HEADERS.items() for header in headers}
    return frame.rename(columns={c: names[c] for c in frame.columns if c in names})


def upgrade15(n: str) -> str:
    first17 = n[:6] + "19" + n[6:]
    return first17 + CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def clean_id(ids: pd.Series) -> pd.Series:
    ids = ids.str.replace(r"\s", "", regex=True).str.upper()
    legacy = ids.str.fullmatch(r"\d{15}").fillna(False)
    return ids.mask(legacy, ids[legacy].map(upgrade15))


def parse_period(text: pd.Series) -> pd.Series:
    parts = text.str.strip().str.extract(r"^(\d{4})[-/.年]?(\d{1,2})月?$")
    year, month = pd.to_numeric(parts[0]), pd.to_numeric(parts[1])
    return (year * 100 + month).where(month.between(1, 12))


def parse_date(text: pd.Series) -> pd.Series:
    text = text.str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    for form in ("%Y/%m/%d", "%Y%m%d"):
        parsed = parsed.fillna(pd.to_datetime(text, format=form, errors="coerce"))
    return parsed


def parse_amount(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text.str.replace(r"[¥￥,，元\s]", "", regex=True), errors="coerce")


def read_payments(county: Path) -> pd.DataFrame:
    files = sorted(p for p in county.iterdir() if p.name.startswith("payments") and p.suffix == ".csv")
    frame = pd.concat([rename(pd.read_csv(p, dtype=str, encoding="utf-8")) for p in files], ignore_index=True)
    return frame.drop_duplicates()


def prepare_payments(raw: pd.DataFrame) -> pd.DataFrame:
    payments = pd.DataFrame({
        "payment_id": raw["payment_id"].str.strip(),
        "person_id": raw["person_id"],
        "id_number": clean_id(raw["id_number"]),
        "name": raw["name"],
        "scheme": raw["scheme"].str.strip().replace(SCHEME_CODES),
        "benefit_type": raw["benefit_type"].str.strip().replace({"养老金": "基本养老金"}),
        "period": parse_period(raw["period"]),
        "pay_date": parse_date(raw["pay_date"]),
        "amount": parse_amount(raw["amount"]),
        "region_code": raw["region_code"].str.strip(),
    })
    return payments.dropna(subset=["payment_id", "id_number", "scheme", "benefit_type", "period", "pay_date",
                                   "amount", "region_code"])


def read_deaths(reference: Path) -> pd.DataFrame:
    frames = [rename(pd.read_csv(p, dtype=str, encoding="gb18030"))
              for p in sorted(reference.glob("*.csv")) if "死亡" in p.name or p.name.startswith("deaths")]
    deaths = pd.concat(frames, ignore_index=True)
    deaths = pd.DataFrame({"id_number": clean_id(deaths["id_number"]), "death_date": parse_date(deaths["death_date"])})
    return deaths.dropna()


def d01(payments: pd.DataFrame, deaths: pd.DataFrame) -> pd.DataFrame:
    earliest = deaths.groupby("id_number", as_index=False)["death_date"].min()
    earliest["death_period"] = earliest["death_date"].dt.year * 100 + earliest["death_date"].dt.month
    merged = payments.merge(earliest, on="id_number")
    after = merged[(merged["period"] > merged["death_period"]) & ~merged["benefit_type"].isin(DEATH_ONE_OFFS)]
    return after.groupby("id_number").agg(payments=("payment_id", "size"), amount=("amount", "sum"))


def p01(payments: pd.DataFrame) -> pd.DataFrame:
    keys = ["id_number", "scheme", "benefit_type", "period", "region_code"]
    counts = payments.groupby(keys)["payment_id"].nunique()
    duplicated = counts[counts >= 2].reset_index()[keys]
    rows = payments.merge(duplicated, on=keys).sort_values(keys + ["pay_date", "payment_id"])
    rows["extra"] = rows.groupby(keys).cumcount() > 0
    rows["extra_amount"] = rows["amount"].where(rows["extra"], 0)
    return rows.groupby("id_number").agg(payments=("payment_id", "size"), amount=("extra_amount", "sum"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("county", type=Path)
    parser.add_argument("--reference", type=Path, help="default: COUNTY/reference or COUNTY/../reference")
    parser.add_argument("--out", type=Path, help="JSON file for the subjects found (default: print a summary)")
    args = parser.parse_args()
    reference = args.reference or next(p for p in (args.county / "reference", args.county.parent / "reference")
                                       if p.is_dir())
    seconds = {}
    started = time.perf_counter()
    raw = read_payments(args.county)
    seconds["read"] = time.perf_counter() - started
    mark = time.perf_counter()
    payments = prepare_payments(raw)
    del raw
    deaths = read_deaths(reference)
    seconds["parse"] = time.perf_counter() - mark
    mark = time.perf_counter()
    found = {"D01": d01(payments, deaths)}
    seconds["D01"] = time.perf_counter() - mark
    mark = time.perf_counter()
    found["P01"] = p01(payments)
    seconds["P01"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - started
    result = {
        "payments_loaded": len(payments),
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "subjects": {rule: {id_number: {"payments": int(row.payments), "amount": f"{row.amount:.2f}"}
                            for id_number, row in frame.iterrows()}
                     for rule, frame in found.items()},
    }
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps({"payments_loaded": result["payments_loaded"], "seconds": result["seconds"],
                      **{rule: len(s) for rule, s in result["subjects"].items()}}, ensure_ascii=False))


if __name__ == "__main__":
    main()
