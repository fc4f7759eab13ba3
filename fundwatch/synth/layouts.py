"""How each county's exports look: file names, encodings, headers, separators and value formats."""

from __future__ import annotations

from dataclasses import dataclass

from fundwatch.synth.codes import PENSION


PAYMENT_COLUMNS = ("payment_id", "person_id", "id_number", "name", "scheme", "benefit_type", "period",
                   "pay_date", "amount", "bank_account", "region_code", "operator_id", "reviewer_id")
RECIPIENT_COLUMNS = ("person_id", "id_number", "name", "gender", "birth_date", "scheme", "personnel_type",
                     "unit_type", "retirement_type", "benefit_start", "status", "contribution_months",
                     "region_code")


@dataclass(frozen=True)
class Layout:
    key: str
    payments_file: str  # "{year}" is replaced by the period's year when payments are split by year
    recipients_file: str
    encoding: str  # Python codec: "utf-8", "utf-8-sig", "gbk"
    payment_headers: tuple[str, ...]
    recipient_headers: tuple[str, ...]
    payments_separator: str = ","
    recipients_separator: str = ","
    date_style: str = "iso"  # iso | slash | compact | mixed
    period_style: str = "plain"  # plain | dash | cn | mixed
    amount_styles: tuple[str, ...] = ("plain",)  # mixed row by row; see _amount_text
    scheme_style: str = "code"  # code | mixed
    gender_style: str = "zh"  # zh (男/女) | digit (1/2)
    pension_label: str = PENSION
    line_terminator: str = "\n"
    extra_payment_column: str | None = None
    status_header: str | None = None  # 发放状态 column, if the export has one
    status_style: str = "empty"  # how a paid row shows: empty | success (成功) | mixed
    splits_resident_pension: bool = False  # 170 pensions as 基础养老金 + 个人账户养老金 rows

    def describe(self) -> str:
        encoding = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "gbk": "GBK"}[self.encoding]
        return f"{self.key}: {self.payments_file} + {self.recipients_file}, {encoding}"


LAYOUTS = (
    Layout(
        key="split-by-year, mixed formats, recipients.xlsx, bad rows, 发放状态",
        payments_file="payments_{year}.csv", recipients_file="recipients.xlsx", encoding="utf-8",
        payment_headers=("发放流水号", "个人编号", "公民身份号码", "姓名", "险种类型", "待遇类型", "所属期",
                         "发放日期", "发放金额", "银行账号", "行政区划代码", "经办人", "审核人"),
        recipient_headers=("个人编号", "公民身份号码", "姓名", "性别", "出生日期", "险种类型", "人员身份",
                           "单位类型", "退休类型", "待遇享受开始年月", "待遇状态", "累计缴费月数", "行政区划代码"),
        date_style="mixed", period_style="mixed", scheme_style="mixed",
        amount_styles=("plain", "trimmed", "grouped", "yen", "yuan", "fullwidth", "yen_grouped_yuan",
                       "fullwidth_comma"),
        status_header="发放状态", status_style="mixed",
    ),
    Layout(
        key="GBK, Chinese file names, padded headers, gender 1/2, 养老金",
        payments_file="待遇发放明细.csv", recipients_file="待遇领取人员信息.csv", encoding="gbk",
        payment_headers=(" 流水号", "人员编号 ", "身份证号码", "\u3000姓名\u3000", "险种", "待遇项目",
                         "发放所属期", "支付日期", "金额\u3000", "社保卡号", "行政区划", "经办人", "复核人"),
        recipient_headers=("人员编号", " 身份证号码 ", "姓名", "性别", "出生日期", "险种", "人员身份",
                           "单位类型", "退休类型", "\u3000待遇开始年月", "待遇状态", "缴费月数", "行政区划代码"),
        date_style="slash", period_style="dash", gender_style="digit", pension_label="养老金",
        line_terminator="\r\n", extra_payment_column="开户银行",
        amount_styles=("plain", "plain", "yuan", "fullwidth", "fullwidth_yen"),
    ),
    Layout(
        key="English headers, .txt tab / pipe separated, UTF-8 BOM, pay_status, 170 split in two rows",
        payments_file="payments.txt", recipients_file="recipients.txt", encoding="utf-8-sig",
        payment_headers=PAYMENT_COLUMNS, recipient_headers=RECIPIENT_COLUMNS,
        payments_separator="\t", recipients_separator="|",
        status_header="pay_status", status_style="success", splits_resident_pension=True,
    ),
    Layout(
        key="UTF-8 BOM CSV, compact dates, periods 2023年03月, 发放状态",
        payments_file="payments.csv", recipients_file="recipients.csv", encoding="utf-8-sig",
        payment_headers=("发放流水号", "人员编号", "证件号码", "姓名", "险种类型", "待遇类型", "所属年月",
                         "发放日期", "发放金额", "账号", "行政区划代码", "经办人", "审核人"),
        recipient_headers=("人员编号", "证件号码", "姓名", "性别", "出生日期", "险种类型", "人员身份",
                           "单位类型", "退休类型", "待遇享受开始年月", "待遇状态", "累计缴费月数", "行政区划代码"),
        date_style="compact", period_style="cn", amount_styles=("plain", "grouped", "yen"),
        status_header="发放状态",
    ),
    Layout(
        key="plain UTF-8 CSV, 170 split in two rows",
        payments_file="payments.csv", recipients_file="recipients.csv", encoding="utf-8",
        payment_headers=("流水号", "个人编号", "公民身份号码", "姓名", "险种", "待遇类型", "发放所属期",
                         "发放日期", "发放金额", "银行账号", "行政区划", "经办人", "复核人"),
        recipient_headers=("个人编号", "公民身份号码", "姓名", "性别", "出生日期", "险种", "人员身份",
                           "单位类型", "退休类型", "待遇开始年月", "待遇状态", "缴费月数", "行政区划代码"),
        extra_payment_column="备注", splits_resident_pension=True,
    ),
)
REFERENCE_FILES = {
    "deaths": "死亡人员信息.csv",  # GB18030
    "prisoners": "prisoners.parquet",
    "public_employees": "财政供养人员信息.xlsx",
    "employment": "employment.csv",
}


def layout_for(county_position: int) -> Layout:
    if county_position < len(LAYOUTS):
        return LAYOUTS[county_position]
    return LAYOUTS[3 + (county_position - len(LAYOUTS)) % 2]
