"""Small hand-made exports for tests: rows as dicts, written as real files in a county layout."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from fundwatch.idnumber import make_id

PAYMENT_HEADERS = {
    "payment_id": "发放流水号", "person_id": "个人编号", "id_number": "公民身份号码", "name": "姓名",
    "scheme": "险种类型", "benefit_type": "待遇类型", "period": "所属期", "pay_date": "发放日期",
    "amount": "发放金额", "bank_account": "银行账号", "region_code": "行政区划代码",
    "operator_id": "经办人", "reviewer_id": "审核人",
}
RECIPIENT_HEADERS = {
    "person_id": "个人编号", "id_number": "公民身份号码", "name": "姓名", "gender": "性别",
    "birth_date": "出生日期", "scheme": "险种类型", "personnel_type": "人员身份", "unit_type": "单位类型",
    "retirement_type": "退休类型", "benefit_start": "待遇享受开始年月", "status": "待遇状态",
    "contribution_months": "累计缴费月数", "region_code": "行政区划代码",
}
REFERENCE_HEADERS = {
    "deaths": {"id_number": "公民身份号码", "name": "姓名", "death_date": "死亡日期", "source": "数据来源"},
    "prisoners": {"id_number": "公民身份号码", "name": "姓名", "sentence_start": "服刑开始日期",
                  "sentence_end": "服刑结束日期"},
    "public_employees": {"id_number": "公民身份号码", "name": "姓名", "unit_name": "单位名称",
                         "start_date": "入编日期", "end_date": "离职日期"},
    "employment": {"id_number": "公民身份号码", "period": "缴费所属期", "unit_name": "单位名称"},
    "tipoffs": {"tip_id": "信访编号", "received_date": "收到日期", "name": "被反映人姓名",
                "id_number": "被反映人身份证号", "place": "所在地", "category": "反映类型", "content": "反映内容"},
}
COUNTY = "330102"


def csv_text(headers: dict[str, str], rows: list[dict], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(headers.values())
    for row in rows:
        writer.writerow(["" if row.get(k) is None else row.get(k) for k in headers])
    return buffer.getvalue()


def write_csv(path: Path, headers: dict[str, str], rows: list[dict], encoding: str = "utf-8",
              delimiter: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_text(headers, rows, delimiter).encode(encoding))
    return path


@dataclass
class Person:
    """A recipient with a valid ID number and defaults for everything a rule does not care about."""

    key: int
    birth: dt.date = dt.date(1950, 6, 15)
    male: bool = True
    scheme: str = "110"
    benefit_start: str = "201006"
    retirement_type: str = "正常退休"
    personnel_type: str = "工人"
    contribution_months: int | None = 360
    name: str = ""
    id_number: str = field(init=False)

    def __post_init__(self) -> None:
        self.id_number = make_id(COUNTY, self.birth, self.key, self.male)
        self.name = self.name or f"测试{self.key:03d}"

    @property
    def person_id(self) -> str:
        return f"P{self.key:05d}"

    @property
    def account(self) -> str:
        return f"62220000{self.key:08d}"

    def recipient(self, **overrides) -> dict:
        row = {
            "person_id": self.person_id, "id_number": self.id_number, "name": self.name,
            "gender": "男" if self.male else "女", "birth_date": self.birth.isoformat(), "scheme": self.scheme,
            "personnel_type": self.personnel_type, "unit_type": "企业", "retirement_type": self.retirement_type,
            "benefit_start": self.benefit_start, "status": "正常", "contribution_months": self.contribution_months,
            "region_code": COUNTY,
        }
        return {**row, **overrides}

    def payment(self, period: str, amount: str = "3000.00", benefit_type: str = "基本养老金", **overrides) -> dict:
        row = {
            "payment_id": f"{self.key:05d}-{period}-{benefit_type}", "person_id": self.person_id,
            "id_number": self.id_number, "name": self.name, "scheme": self.scheme, "benefit_type": benefit_type,
            "period": period, "pay_date": f"{period[:4]}-{period[4:]}-15", "amount": amount,
            "bank_account": self.account, "region_code": COUNTY, "operator_id": "JB01", "reviewer_id": "JB02",
        }
        return {**row, **overrides}

    def monthly(self, first: str, last: str, amount: str = "3000.00") -> list[dict]:
        periods = []
        year, month = int(first[:4]), int(first[4:])
        while f"{year}{month:02d}" <= last:
            periods.append(self.payment(f"{year}{month:02d}", amount))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return periods


def write_county(root: Path, payments: list[dict], recipients: list[dict], **references: list[dict]) -> Path:
    """A county folder root/330102 with payments.csv and recipients.csv, and root/reference/."""
    county = root / COUNTY
    write_csv(county / "payments.csv", PAYMENT_HEADERS, payments)
    write_csv(county / "recipients.csv", RECIPIENT_HEADERS, recipients)
    for table, rows in references.items():
        write_csv(root / "reference" / f"{table}.csv", REFERENCE_HEADERS[table], rows)
    return county
