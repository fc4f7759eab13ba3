"""Synthetic city input folders (市县联动) with planted improper payments and their ground truth.

`synth(out_dir, ...)` writes one folder per county and `reference/` beside them, in the awkward
shapes real exports arrive in (../shared/contract/INPUT.md), plus at the root:

- `ground_truth.csv`: every planted case of a CLUES.md rule (`plant`: must fire) and every
  near-miss (`near_miss`: must not fire for that rule). Columns:
  - `rule_id`, `region_code` (the clue's 行政区划代码: for a cross-county case every county,
    `;`-joined), `subject_key` (ID number, bank account or staff ID), `kind`;
  - `scope`: `county` — the case lies within the county of `region_code`: a county run of it
    finds it (plant) or must not (near-miss), and so does a city run, whose list holds every
    county's clues. `city` — the case spans the counties of `region_code` and only a city run
    sees it: a city-scope plant must fire in the city run and in **no** county run (each county
    alone sees half of it), a city-scope near-miss must fire in neither;
  - `case`: which kind of plant or near-miss this is (a stable name, for tests and readers);
  - `amount`: the expected 涉及金额 in 元 (two decimals) where CLUES.md defines it for the rule and
    synth states it; empty otherwise;
  - `note`: the facts in words.
- `expected_quarantine.csv`: the rows the loader must set aside, by file and physical line.

The base population is built so that it triggers no rule; only the planted cases do. Payments
carry 发放状态 in some counties' exports (empty or 成功 in the base population) and not at all
in others; some counties export every resident pension (170) as two rows a month, 基础养老金 and
个人账户养老金. `build_city` returns the same data as canonical frames (before formatting) for
tests; `shuffle_exports` copies an input folder with every table's data rows in another order.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

from fundwatch.idnumber import CHECK_CHARS, WEIGHTS, check_char, make_id, to_legacy15

COUNTY_NAMES = {
    "330102": "上城区", "330105": "拱墅区", "330106": "西湖区", "330108": "滨江区",
    "330109": "萧山区", "330110": "余杭区", "330111": "富阳区", "330112": "临安区",
    "330113": "临平区", "330114": "钱塘区", "330122": "桐庐县", "330127": "淳安县",
    "330182": "建德市",
}
CITY_COUNTIES = tuple(COUNTY_NAMES)
# 下城区 and 江干区 were merged away in 2021; older ID numbers still carry their codes.
FORMER_COUNTIES = ("330103", "330104")
# Address codes that are no GB/T 2260 division code of any year (tests/test_synth.py checks), for
# fabricated ID numbers with a correct check digit: the first two look like Zhejiang's.
FABRICATED_AREAS = ("339900", "330199", "999999", "000000", "123456")
# Real codes on real people's numbers that are not the county they are paid in: a former county, a
# district created after the person was born, a code in use only 1990-1994 (霸州市 before it became
# 131081), a prefecture-level city without counties (东莞市).
REAL_OTHER_AREAS = (("330104", "江干区, abolished in 2021"), ("330114", "钱塘区, created in 2021"),
                    ("139002", "霸州市, a code of 1990-1994"), ("441900", "东莞市, a city without counties"))

SCHEME_NAMES = {
    "110": "企业职工基本养老保险", "120": "机关事业单位基本养老保险", "170": "城乡居民基本养老保险",
    "210": "失业保险", "410": "工伤保险",
}
PENSION = "基本养老金"
BACK_PAY = "基本养老金补发"
UNEMPLOYMENT = "失业保险金"
INJURY = "伤残津贴"
FUNERAL = "丧葬补助金"
SURVIVOR = "抚恤金"
ACCOUNT_REFUND = "个人账户余额退还"
LUMP_SUM_SURVIVOR = "一次性抚恤金"
DEPENDANT_BENEFIT = "供养亲属抚恤金"
SURVIVOR_BENEFIT = "遗属待遇"
BASIC_PENSION = "基础养老金"
ACCOUNT_PENSION = "个人账户养老金"
PENSION_TYPES = frozenset({PENSION, BASIC_PENSION, ACCOUNT_PENSION, "过渡性养老金"})
DEATH_RELATED = frozenset({FUNERAL, "丧葬费", SURVIVOR, LUMP_SUM_SURVIVOR, "一次性死亡待遇", ACCOUNT_REFUND,
                           "个人账户余额继承", DEPENDANT_BENEFIT, SURVIVOR_BENEFIT, "遗属生活困难补助费"})
SUCCEEDED, FAILED, RETURNED = "成功", "失败", "退回"
NORMAL, SPECIAL, ILLNESS, OTHER = "正常退休", "特殊工种提前退休", "因病提前退休", "其他"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖金方俞应楼钱孔"
GIVEN_MALE = "伟强磊军洋勇杰涛明超华建国平文辉力斌刚林鹏飞俊峰宇浩凯健海波宁春荣德福根宝金忠祥新生永志成民卫东兴水松"
GIVEN_FEMALE = "芳娜敏静丽艳娟秀英华慧红玲桂兰霞婷雪琳晨欣佳云春梅萍凤珍琴燕美翠月琼素芬彩菊莲"
RARE_NAMES = ("刘䶮", "王㛃", "陈堃")  # the first two exist only in GB18030, not GBK

BANKS = (  # card prefix, card length, bank
    ("622202", 19, "中国工商银行"), ("622848", 19, "中国农业银行"), ("621700", 19, "中国建设银行"),
    ("621661", 19, "中国银行"), ("622588", 16, "招商银行"), ("622262", 19, "交通银行"),
    ("622909", 18, "兴业银行"), ("621058", 19, "浙江农商银行"),
)
BANK_SHARES = (0.22, 0.18, 0.16, 0.1, 0.08, 0.08, 0.06, 0.12)
PUBLIC_UNITS = ("教育局", "人民医院", "财政局", "街道办事处", "第一中学", "疾病预防控制中心", "市场监督管理局",
                "实验小学", "卫生健康局", "人力资源和社会保障局")
EMPLOYERS = ("建设集团有限公司", "纺织有限公司", "物流有限公司", "电子科技有限公司", "物业管理有限公司",
             "食品有限公司", "机械制造有限公司", "商贸有限公司")
OFFENCES = ("盗窃罪", "诈骗罪", "故意伤害罪", "危险驾驶罪", "交通肇事罪", "贪污罪", "开设赌场罪")
DEATH_SOURCES = ("公安", "民政", "卫健")
DEATH_DATE_STYLE = {"公安": "compact", "民政": "iso", "卫健": "slash"}  # each department's own format

PAYMENT_COLUMNS = ("payment_id", "person_id", "id_number", "name", "scheme", "benefit_type", "period",
                   "pay_date", "amount", "bank_account", "region_code", "operator_id", "reviewer_id")
RECIPIENT_COLUMNS = ("person_id", "id_number", "name", "gender", "birth_date", "scheme", "personnel_type",
                     "unit_type", "retirement_type", "benefit_start", "status", "contribution_months",
                     "region_code")
STAFF_PER_COUNTY = 10
FIRST_MONTH_OF_1998 = 1998 * 12
RESIDENT_SCHEME_LAUNCH = 2009 * 12 + 6  # 新农保 pilots, July 2009


def month_index(yyyymm: str) -> int:
    return int(yyyymm[:4]) * 12 + int(yyyymm[4:6]) - 1


def yyyymm(month: int) -> str:
    return f"{month // 12}{month % 12 + 1:02d}"


def month_of(day: date) -> int:
    return day.year * 12 + day.month - 1


def days_in_month(month: int) -> int:
    following = date((month + 1) // 12, (month + 1) % 12 + 1, 1)
    return (following - date(month // 12, month % 12 + 1, 1)).days


def day_in(month: int, day: int) -> date:
    return date(month // 12, month % 12 + 1, min(day, days_in_month(month)))


def _month_starts(months: np.ndarray) -> np.ndarray:
    return (np.asarray(months, dtype=np.int64) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")


def _dates_in(months: np.ndarray, days: np.ndarray) -> np.ndarray:
    """datetime64[D] for day `days` (clamped to the month's length) of each month index."""
    first = _month_starts(months)
    length = (_month_starts(np.asarray(months) + 1) - first).astype(np.int64)
    return first + (np.minimum(days, length) - 1).astype("timedelta64[D]")


def _random_dates_in(rng: np.random.Generator, months: np.ndarray) -> np.ndarray:
    first = _month_starts(months)
    length = (_month_starts(np.asarray(months) + 1) - first).astype(np.int64)
    return first + np.floor(rng.random(len(first)) * length).astype("timedelta64[D]")


def _digits_to_text(digits: np.ndarray) -> np.ndarray:
    width = digits.shape[1]
    raw = np.ascontiguousarray((digits + 48).astype(np.uint8)).view(f"S{width}").ravel()
    return raw.astype(f"U{width}")


def id_numbers(region: np.ndarray, birth: np.ndarray, male: np.ndarray, sequence: np.ndarray) -> np.ndarray:
    """Vectorised `idnumber.make_id`: valid 18-character ID numbers."""
    order = 2 * (np.asarray(sequence) % 500) + np.asarray(male, dtype=np.int64)
    birth_text = np.char.replace(np.datetime_as_string(np.asarray(birth, dtype="datetime64[D]")), "-", "")
    first17 = np.char.add(np.char.add(np.asarray(region, dtype="U6"), birth_text),
                          np.char.zfill(order.astype("U3"), 3))
    digits = np.frombuffer(first17.astype("S17").tobytes(), dtype=np.uint8).reshape(-1, 17).astype(np.int64) - 48
    checks = np.array(list(CHECK_CHARS))[(digits @ np.array(WEIGHTS)) % 11]
    return np.char.add(first17, checks)


def _luhn_check(digits: np.ndarray) -> np.ndarray:
    from_right = np.arange(digits.shape[1])[::-1]
    doubled = np.where(from_right % 2 == 0, digits * 2, digits)
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    return (10 - doubled.sum(axis=1) % 10) % 10


def bank_accounts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Distinct bank card numbers (16–19 digits, valid Luhn check digit)."""
    cards = np.empty(n, dtype="U19")
    todo = np.arange(n)
    while len(todo):
        bank = rng.choice(len(BANKS), len(todo), p=BANK_SHARES)
        for which, (prefix, length, _) in enumerate(BANKS):
            rows = todo[bank == which]
            prefix_digits = np.frombuffer(prefix.encode(), dtype=np.uint8).astype(np.int64) - 48
            body = rng.integers(0, 10, (len(rows), length - len(prefix) - 1))
            digits = np.hstack([np.tile(prefix_digits, (len(rows), 1)), body])
            cards[rows] = _digits_to_text(np.hstack([digits, _luhn_check(digits)[:, None]]))
        _, first = np.unique(cards, return_index=True)
        repeated = np.ones(n, dtype=bool)
        repeated[first] = False
        todo = np.flatnonzero(repeated)
    return cards


def random_names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    n = len(male)
    surname_weights = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.8
    surnames = np.array(list(SURNAMES))[rng.choice(len(SURNAMES), n, p=surname_weights / surname_weights.sum())]
    male_chars, female_chars = np.array(list(GIVEN_MALE)), np.array(list(GIVEN_FEMALE))

    def given() -> np.ndarray:
        return np.where(male, male_chars[rng.integers(0, len(male_chars), n)],
                        female_chars[rng.integers(0, len(female_chars), n)])

    first, second = given(), given()
    two_chars = rng.random(n) < 0.7
    return np.char.add(np.char.add(surnames, first), np.where(two_chars, second, ""))


def amount_in_month(base_fen: int, month: int, first_year: int) -> int:
    """Monthly amount after the January raises (~3 % a year) since the window's first year."""
    return int(np.rint(base_fen * 1.03 ** (month // 12 - first_year)))


# ----------------------------------------------------------------------------------------------
# File layouts


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


# ----------------------------------------------------------------------------------------------
# The city being built


@dataclass
class City:
    counties: list[str]
    first_month: int
    last_month: int
    seed: int
    persons: pl.DataFrame  # everyone: recipients and people only on reference lists
    recipients: pl.DataFrame  # canonical, one row per person, county and scheme
    payments: pl.DataFrame  # one row per physical file row (incl. the duplicate copy), with path/line
    deaths: pl.DataFrame
    prisoners: pl.DataFrame
    public_employees: pl.DataFrame
    employment: pl.DataFrame
    ground_truth: pl.DataFrame
    expected_quarantine: pl.DataFrame
    skipped: list[str] = field(default_factory=list)
    # issue 15 (staff, operations, 处置时效): see "Staff and operations" at the end of this module
    operations: pl.DataFrame | None = None
    staff: pl.DataFrame | None = None
    management_truth: pl.DataFrame | None = None

    @property
    def loadable_payments(self) -> pl.DataFrame:
        """The payments a correct loader keeps: no quarantined rows, no duplicate copies."""
        return self.payments.filter(pl.col("bad_column").is_null() & pl.col("duplicate_of_line").is_null())


@dataclass(frozen=True)
class Expect:
    """Which payments of a plant make up its 涉及金额 (CLUES.md, "Amounts").

    Payments are netted per scheme, benefit type and period (退回 and 失败 rows left out, reversals
    subtracted; a group whose net is zero or less counts nothing). The groups of the given periods,
    schemes and benefit types (default: every type but the death-related ones) are summed, less
    each group's first received payment when `less_first` (P01, P03).
    """

    periods: frozenset[int]
    schemes: frozenset[str] | None = None
    benefit_types: frozenset[str] | None = None
    less_first: bool = False

    @staticmethod
    def of(periods, schemes=None, benefit_types=None, less_first: bool = False) -> Expect:
        return Expect(frozenset(periods), None if schemes is None else frozenset(schemes),
                      None if benefit_types is None else frozenset(benefit_types), less_first)


class _Cast:
    """Accumulates people, their benefit records and payments, plants and reference rows."""

    def __init__(self, counties: list[str], first_month: int, last_month: int, seed: int):
        self.counties = counties
        self.m0, self.m1 = first_month, last_month
        self.months = last_month - first_month + 1
        self.first_year = first_month // 12
        self.seed = seed
        self.rng = np.random.default_rng([seed, 1])
        self.person_rows: list[dict] = []
        self.recipient_rows: list[dict] = []
        self.spell_rows: list[dict] = []
        self.one_off_rows: list[dict] = []
        self.status_rows: list[dict] = []  # a regular monthly payment that was not received
        self.reversal_rows: list[dict] = []  # a regular monthly payment reversed (冲正) later
        self.death_rows: list[dict] = []
        self.prisoner_rows: list[dict] = []
        self.public_employee_rows: list[dict] = []
        self.employment_rows: list[dict] = []
        self.truth_rows: list[dict] = []
        self.used_ids: set[str] = set()
        self.frames: dict[str, list[pl.DataFrame]] = {k: [] for k in (
            "persons", "recipients", "spells", "one_offs", "deaths", "prisoners", "public_employees",
            "employment")}
        self.skipped: list[str] = []
        self.a03_plants: list[tuple[str, str, int]] = []  # county, staff, payments to self-approve
        self.a03_near_misses: list[dict] = []
        self.outliers: list[tuple[int, int, int]] = []  # person, first and last month paid eightfold
        self.next_person = 0  # first index for people who are only on reference lists
        # each county pays on its own day of the month (10th-20th), moving a little month to month
        self.county_pay_days = (np.random.default_rng([seed, 2]).integers(10, 17, (len(counties), 1))
                                + np.random.default_rng([seed, 3]).integers(0, 5, (1, self.months + 3)))

    # -- small helpers used by the plants ------------------------------------------------------

    def randint(self, low: int, high: int) -> int:
        """Uniform integer in [low, high]."""
        return int(self.rng.integers(low, high + 1))

    def county(self, i: int) -> str:
        return self.counties[i % len(self.counties)]

    def base_amount(self, scheme: str) -> int:
        low, high = {"110": (2000, 6000), "120": (4000, 9000), "170": (150, 400), "210": (1500, 2200),
                     "410": (2500, 6000)}[scheme]
        return self.randint(low * 100, high * 100)

    def pay_day(self, county: str, month: int) -> date:
        return day_in(month, int(self.county_pay_days[self.counties.index(county), month - self.m0]))

    def birth_for(self, start: int, age_months: int, day: int | None = None) -> date:
        birth_month = start - age_months
        return day_in(birth_month, day if day is not None else self.randint(1, 28))

    def person(self, county: str, male: bool, birth: date, *, name: str | None = None,
               want_check_x: bool = False, female_id: bool = False, area: str | None = None) -> int:
        """A person living in `county`, whose ID number carries `area` (default: the county)."""
        id_male = male and not female_id
        sequence = self.randint(0, 499)
        while True:
            id18 = make_id(area or county, birth, sequence, id_male)
            if id18 not in self.used_ids and (id18[-1] == "X" or not want_check_x):
                break
            sequence = (sequence + 1) % 500
        self.used_ids.add(id18)
        index = len(self.person_rows)
        self.person_rows.append(dict(
            person=index, home=county, male=male, birth=birth,
            name=name or str(random_names(self.rng, np.array([male]))[0]), id18=id18,
            id_recipients=None, id_payments=None, account_owner=index, recipient=True, plain=False))
        return index

    def set_ids(self, person: int, *, recipients: str | None = None, payments: str | None = None) -> None:
        row = self.person_rows[person]
        row["id_recipients"] = recipients if recipients is not None else row["id_recipients"]
        row["id_payments"] = payments if payments is not None else row["id_payments"]

    def id18(self, person: int) -> str:
        return self.person_rows[person]["id18"]

    def recipient(self, person: int, county: str, scheme: str, benefit_start: int, *, status: str = "正常",
                  retirement_type: str = "", personnel_type: str = "", unit_type: str | None = None,
                  contribution_months: int | None = None, shown_birth: date | None = None,
                  shown_male: bool | None = None) -> None:
        if unit_type is None:
            unit_type = {"110": "企业", "120": "事业单位", "170": "城乡居民", "210": "企业", "410": "企业"}[scheme]
        if contribution_months is None and scheme in ("110", "120"):
            contribution_months = self.randint(200, 420)
        if contribution_months is None and scheme == "170":
            contribution_months = self.randint(15, 180)
        self.recipient_rows.append(dict(
            person=person, county=county, scheme=scheme, personnel_type=personnel_type, unit_type=unit_type,
            retirement_type=retirement_type, benefit_start=benefit_start, status=status,
            contribution_months=contribution_months, shown_birth=shown_birth, shown_male=shown_male))

    def pay(self, person: int, county: str, scheme: str, first: int, last: int, base_fen: int,
            benefit_type: str | None = None) -> None:
        if benefit_type is None:
            benefit_type = {"210": UNEMPLOYMENT, "410": INJURY}.get(scheme, PENSION)
        self.spell_rows.append(dict(person=person, county=county, scheme=scheme, benefit_type=benefit_type,
                                    first=first, last=last, base_fen=base_fen, raises=scheme != "210"))

    def one_off(self, person: int, county: str, scheme: str, benefit_type: str, period: int, pay_date: date,
                amount_fen: int, status: str | None = None) -> None:
        self.one_off_rows.append(dict(person=person, county=county, scheme=scheme, benefit_type=benefit_type,
                                      period=period, pay_date=pay_date, amount_fen=amount_fen, pay_status=status))

    def not_received(self, person: int, county: str, scheme: str, period: int, status: str = RETURNED,
                     benefit_type: str | None = None) -> None:
        """The regular payment of `period` (from `pay`) shows 失败 or 退回."""
        if county not in self.status_counties():
            raise ValueError(f"{county}'s export has no 发放状态 column")
        self.status_rows.append(dict(person=person, county=county, scheme=scheme,
                                     benefit_type=benefit_type or PENSION, period=period, pay_status=status))

    def reverse(self, person: int, county: str, scheme: str, period: int, in_month: int,
                benefit_type: str | None = None) -> None:
        """A negative row in `in_month` for the amount of the regular payment of `period`."""
        self.reversal_rows.append(dict(person=person, county=county, scheme=scheme,
                                       benefit_type=benefit_type or PENSION, period=period,
                                       pay_date=self.pay_day(county, in_month)))

    def monthly(self, person: int, scheme: str, period: int) -> int:
        """The regular monthly amount (fen) of the person's last `pay` spell of `scheme`."""
        spell = next(s for s in reversed(self.spell_rows) if s["person"] == person and s["scheme"] == scheme)
        if not spell["raises"]:
            return spell["base_fen"]
        return amount_in_month(spell["base_fen"], period, self.first_year)

    def status_counties(self) -> list[str]:
        return [c for i, c in enumerate(self.counties) if layout_for(i).status_header]

    def status_county(self, i: int) -> str:
        counties = self.status_counties()
        return counties[i % len(counties)]

    def split_counties(self) -> list[str]:
        return [c for i, c in enumerate(self.counties) if layout_for(i).splits_resident_pension]

    def death(self, person: int, when: date, source: str, id_text: str | None = None) -> None:
        self.death_rows.append(dict(person=person, death_date=when, source=source, id_text=id_text))

    def truth(self, rule: str, region: str, subject: str | tuple, kind: str, case: str, note: str, *,
              scope: str = "county", expect: Expect | None = None) -> None:
        self.truth_rows.append(dict(rule_id=rule, region_code=region, subject_key=subject, kind=kind, scope=scope,
                                    case=case, expect=expect, note=note))

    def retiree(self, county: str, scheme: str, *, male: bool, age_months: int, start: int,
                retirement_type: str = NORMAL, personnel_type: str | None = None, status: str = "正常",
                contribution_months: int | None = None, birth_day: int | None = None) -> int:
        """A 110/120/170 recipient whose benefit starts at `start`, `age_months` after the birth month."""
        if personnel_type is None:
            personnel_type = "" if scheme == "170" else ("干部" if scheme == "120" else "工人")
        person = self.person(county, male, self.birth_for(start, age_months, birth_day))
        self.recipient(person, county, scheme, start, status=status,
                       retirement_type="" if scheme == "170" else retirement_type,
                       personnel_type=personnel_type, contribution_months=contribution_months)
        return person

    def ordinary_retiree(self, county: str, scheme: str = "110", start: int | None = None,
                         status: str = "正常") -> int:
        """A lawful retiree (or resident pensioner) who started before the window."""
        male = bool(self.rng.random() < 0.5)
        if start is None:
            start = self.m0 - self.randint(6, 120)
        if scheme == "170":
            age = 720 + self.randint(0, 6)
        elif male:
            age = 720 + self.randint(0, 3)
        else:
            age = (660 if scheme == "120" else 600) + self.randint(0, 3)
        return self.retiree(county, scheme, male=male, age_months=age, start=start, status=status)

    # -- the planted cases ---------------------------------------------------------------------

    def plant_all(self, per_rule: int) -> None:
        self.plant_d01(per_rule)
        self.plant_p01(per_rule)
        self.plant_p02(per_rule)
        self.plant_p03(per_rule)
        self.plant_e01(per_rule)
        self.plant_e02(per_rule)
        self.plant_e03(per_rule)
        self.plant_e04(per_rule)
        self.plant_e05(per_rule)
        self.plant_e06(per_rule)
        self.plant_a01(per_rule)
        self.plant_a02(per_rule)
        for i in range(per_rule):
            self.a03_plants.append((self.county(i), f"JB{i % len(self.counties) + 1:02d}{2 + i // len(self.counties):02d}",
                                    self.randint(3, 6)))

    def plant_d01(self, k: int) -> None:
        m0, m1 = self.m0, self.m1
        for i in range(k):
            county, variant = self.county(i), ("plain", "earliest", "legacy")[i % 3]
            scheme = ("110", "170", "120")[(i // 3) % 3] if variant == "plain" else "110"
            death_month = m0 + self.randint(1, self.months - 3)
            amount = self.base_amount(scheme)
            if variant == "plain":
                person = self.ordinary_retiree(county, scheme)
                died = day_in(death_month, self.randint(1, 28))
                self.death(person, died, "民政")
                if self.rng.random() < 0.6:
                    self.death(person, died, "公安")
                self.pay(person, county, scheme, m0 - 12, m1, amount)
                last = m1
                note = f"died {died}, paid {yyyymm(death_month + 1)}-{yyyymm(m1)}"
            elif variant == "earliest":
                person = self.ordinary_retiree(county, scheme, status="终止")
                police = day_in(death_month, days_in_month(death_month) - self.randint(0, 1))
                civil = date.fromordinal(police.toordinal() + self.randint(4, 6))
                self.death(person, police, "公安")
                self.death(person, civil, "民政")
                self.pay(person, county, scheme, m0 - 12, death_month + 1, amount)
                self.one_off(person, county, scheme, FUNERAL, death_month + 2, self.pay_day(county, death_month + 2),
                             self.randint(5000, 8000) * 100)
                last = death_month + 1
                note = (f"公安 {police} (earliest) vs 民政 {civil}: stopped by 民政 date, "
                        f"so {yyyymm(death_month + 1)} was paid after the death month")
            else:
                person = self.ordinary_retiree(county, scheme)
                died = day_in(death_month, self.randint(1, 28))
                self.death(person, died, "公安", id_text=to_legacy15(self.id18(person)))
                self.pay(person, county, scheme, m0 - 12, m1, amount)
                last = m1
                note = f"death list carries the legacy 15-digit ID; died {died}, paid until {yyyymm(m1)}"
            self.truth("D01", county, self.id18(person), "plant", f"death-{variant}", note,
                       expect=Expect.of(range(death_month + 1, last + 1)))

        death_month = m0 + self.randint(1, self.months - 6)
        county = self.status_county(0)
        person = self.ordinary_retiree(county, "110", status="终止")
        died = day_in(death_month, self.randint(1, 28))
        self.death(person, died, "民政")
        self.pay(person, county, "110", m0 - 12, death_month + 4, self.base_amount("110"))
        for period in (death_month + 3, death_month + 4):
            self.not_received(person, county, "110", period)
        self.truth("D01", county, self.id18(person), "plant", "death-partly-returned",
                   f"died {died}; pension for {yyyymm(death_month + 1)}-{yyyymm(death_month + 2)} received, for "
                   f"{yyyymm(death_month + 3)}-{yyyymm(death_month + 4)} 退回 (account closed): only the received "
                   "count",
                   expect=Expect.of(range(death_month + 1, death_month + 5)))

        county = self.county(1)
        person = self.ordinary_retiree(county, "120", status="终止")
        died = day_in(death_month, self.randint(1, 28))
        self.death(person, died, "公安")
        self.pay(person, county, "120", m0 - 12, death_month + 3, self.base_amount("120"))
        for period in (death_month + 2, death_month + 3):
            self.reverse(person, county, "120", period, death_month + 4)
        self.truth("D01", county, self.id18(person), "plant", "death-partly-reversed",
                   f"died {died}; pension paid {yyyymm(death_month + 1)}-{yyyymm(death_month + 3)}, the last two "
                   f"reversed (冲正) in {yyyymm(death_month + 4)}: {yyyymm(death_month + 1)} remains improper",
                   expect=Expect.of(range(death_month + 1, death_month + 4)))

        near = self.county(k)
        death_month = m0 + self.randint(2, self.months - 3)
        person = self.ordinary_retiree(near, "110", status="终止")
        self.death(person, day_in(death_month, 2), "民政")
        self.pay(person, near, "110", m0 - 12, death_month, self.base_amount("110"))
        self.truth("D01", near, self.id18(person), "near_miss", "death-month-paid",
                   f"died {day_in(death_month, 2)}; last pension is for the death month, paid after the death date")

        near = self.county(k + 1)
        person = self.ordinary_retiree(near, "120", status="终止")
        amount = self.base_amount("120")
        self.death(person, day_in(death_month, 11), "公安")
        self.death(person, day_in(death_month, 13), "卫健")
        self.pay(person, near, "120", m0 - 12, death_month, amount)
        self.one_off(person, near, "120", FUNERAL, death_month + 1, self.pay_day(near, death_month + 1),
                     self.randint(5000, 8000) * 100)
        self.one_off(person, near, "120", SURVIVOR, death_month + 1, self.pay_day(near, death_month + 1),
                     amount * 12)
        self.truth("D01", near, self.id18(person), "near_miss", "death-one-offs",
                   "丧葬补助金 and 抚恤金 paid the month after death")

        near = self.county(k + 2)
        person = self.ordinary_retiree(near, "110", status="终止")
        amount = self.base_amount("110")
        self.death(person, day_in(death_month, 20), "民政")
        self.pay(person, near, "110", m0 - 12, death_month, amount)
        for period in (death_month - 1, death_month):
            self.one_off(person, near, "110", BACK_PAY, period, self.pay_day(near, death_month + 1),
                         self.randint(80, 300) * 100)
        self.truth("D01", near, self.id18(person), "near_miss", "death-back-pay",
                   f"基本养老金补发 for {yyyymm(death_month - 1)} and {yyyymm(death_month)} paid after the death")

        near = self.county(k + 3)
        person = self.ordinary_retiree(near, "170", status="终止")
        self.death(person, day_in(death_month, 7), "卫健")
        self.pay(person, near, "170", m0 - 12, death_month, self.base_amount("170"))
        self.one_off(person, near, "170", ACCOUNT_REFUND, death_month + 2, self.pay_day(near, death_month + 2),
                     self.randint(1000, 30000) * 100)
        self.truth("D01", near, self.id18(person), "near_miss", "death-account-refund",
                   "个人账户余额退还 paid two months after death")

        death_month = m0 + self.randint(1, self.months - 4)
        near = self.status_county(1)
        person = self.ordinary_retiree(near, "110", status="终止")
        died = day_in(death_month, self.randint(1, 28))
        self.death(person, died, "公安")
        self.pay(person, near, "110", m0 - 12, death_month + 3, self.base_amount("110"))
        for period in range(death_month + 1, death_month + 4):
            self.not_received(person, near, "110", period)
        self.truth("D01", near, self.id18(person), "near_miss", "death-all-returned",
                   f"died {died}; the pensions for {yyyymm(death_month + 1)}-{yyyymm(death_month + 3)} were "
                   "all 退回")

        near = self.county(k + 4)
        person = self.ordinary_retiree(near, "110", status="终止")
        died = day_in(death_month, self.randint(1, 28))
        self.death(person, died, "民政")
        self.pay(person, near, "110", m0 - 12, death_month + 2, self.base_amount("110"))
        for period in (death_month + 1, death_month + 2):
            self.reverse(person, near, "110", period, death_month + 3)
        self.truth("D01", near, self.id18(person), "near_miss", "death-all-reversed",
                   f"died {died}; the pensions for {yyyymm(death_month + 1)}-{yyyymm(death_month + 2)} were "
                   f"reversed (冲正) in {yyyymm(death_month + 3)}")

        near = self.county(k + 5)
        person = self.ordinary_retiree(near, "110", status="终止")
        amount = self.base_amount("110")
        died = day_in(death_month, self.randint(1, 28))
        self.death(person, died, "民政")
        self.pay(person, near, "110", m0 - 12, death_month, amount)
        self.pay(person, near, "110", death_month + 1, m1, amount * 2 // 5, benefit_type=DEPENDANT_BENEFIT)
        paid = self.pay_day(near, death_month + 1)
        self.one_off(person, near, "110", FUNERAL, death_month + 1, paid, self.randint(5000, 8000) * 100)
        self.one_off(person, near, "110", LUMP_SUM_SURVIVOR, death_month + 1, paid, amount * 10)
        self.truth("D01", near, self.id18(person), "near_miss", "death-dependant-benefit",
                   f"died {died}; 供养亲属抚恤金 monthly from {yyyymm(death_month + 1)} under the deceased's ID, "
                   "丧葬补助金 and 一次性抚恤金 the month after")

        near = self.county(k + 6)
        person = self.ordinary_retiree(near, "120", status="终止")
        amount = self.base_amount("120")
        died = day_in(death_month, self.randint(1, 28))
        self.death(person, died, "卫健")
        self.pay(person, near, "120", m0 - 12, death_month, amount)
        self.pay(person, near, "120", death_month + 1, m1, amount // 3, benefit_type=SURVIVOR_BENEFIT)
        self.one_off(person, near, "120", LUMP_SUM_SURVIVOR, death_month + 1, self.pay_day(near, death_month + 1),
                     amount * 8)
        self.one_off(person, near, "120", ACCOUNT_REFUND, death_month + 2, self.pay_day(near, death_month + 2),
                     self.randint(1000, 30000) * 100)
        self.truth("D01", near, self.id18(person), "near_miss", "death-survivor-benefit",
                   f"died {died}; 遗属待遇 monthly from {yyyymm(death_month + 1)}, 一次性抚恤金 and "
                   "个人账户余额退还 after the death")

    def plant_p01(self, k: int) -> None:
        m0, m1 = self.m0, self.m1
        for i in range(k):
            county, scheme = self.county(i + 1), ("110", "170", "210", "120")[i % 4]
            amount = self.base_amount(scheme)
            if scheme == "210":
                start = m0 + self.randint(0, self.months - 8)
                last = start + 7
                person = self.person(county, True, self.birth_for(start, self.randint(30, 50) * 12))
                self.recipient(person, county, "210", start, status="正常" if last >= m1 else "终止",
                               contribution_months=self.randint(130, 240))
                self.pay(person, county, "210", start, last, amount)
                periods = [start + 3]
            else:
                person = self.ordinary_retiree(county, scheme)
                self.pay(person, county, scheme, m0 - 12, m1, amount)
                periods = [m0 + self.randint(0, self.months - 2)]
                if i == 0:
                    periods.append(periods[0] + 1)
            for period in periods:
                duplicate_paid = self.pay_day(county, period if self.rng.random() < 0.5 else period + 1)
                self.one_off(person, county, scheme, UNEMPLOYMENT if scheme == "210" else PENSION, period,
                             duplicate_paid, self.monthly(person, scheme, period))
            split = scheme == "170" and county in self.split_counties()
            self.truth("P01", county, self.id18(person), "plant", "duplicate",
                       f"{scheme} paid twice for {', '.join(yyyymm(p) for p in periods)} under two payment_ids"
                       + (" (基础养老金 and 个人账户养老金 rows each twice)" if split else ""),
                       expect=Expect.of(periods, less_first=True))

        county = self.county(k + 1)
        person = self.ordinary_retiree(county, "110")
        self.pay(person, county, "110", m0 - 12, m1, self.base_amount("110"))
        period = m0 + self.randint(0, self.months - 3)
        self.one_off(person, county, "110", BACK_PAY, period, self.pay_day(county, period + 1),
                     self.randint(50, 300) * 100)
        self.truth("P01", county, self.id18(person), "near_miss", "back-pay-same-period",
                   f"基本养老金 and 基本养老金补发 for the same period {yyyymm(period)}")

        county = self.county(k + 2)
        person = self.ordinary_retiree(county, "110")
        self.pay(person, county, "110", m0 - 12, m1, self.base_amount("110"))
        period = m0 + self.randint(0, self.months - 3)
        self.one_off(person, county, "110", PENSION, period, self.pay_day(county, period + 1),
                     self.monthly(person, "110", period))
        self.reverse(person, county, "110", period, period + 2)
        self.truth("P01", county, self.id18(person), "near_miss", "duplicate-reversed",
                   f"{yyyymm(period)} paid a second time under another payment_id, that payment reversed (冲正) "
                   f"in {yyyymm(period + 2)}")

        county = self.status_county(2)
        person = self.ordinary_retiree(county, "110")
        self.pay(person, county, "110", m0 - 12, m1, self.base_amount("110"))
        period = m0 + self.randint(0, self.months - 2)
        self.one_off(person, county, "110", PENSION, period, self.pay_day(county, period + 1),
                     self.monthly(person, "110", period), status=RETURNED)
        self.truth("P01", county, self.id18(person), "near_miss", "duplicate-returned",
                   f"{yyyymm(period)} paid a second time under another payment_id, that payment 退回 by the bank")

        county = self.status_county(3)
        person = self.ordinary_retiree(county, "110")
        self.pay(person, county, "110", m0 - 12, m1, self.base_amount("110"))
        period = m0 + self.randint(0, self.months - 1)
        self.not_received(person, county, "110", period, status=FAILED)
        first_try = self.pay_day(county, period)
        self.one_off(person, county, "110", PENSION, period, date.fromordinal(first_try.toordinal() + 7),
                     self.monthly(person, "110", period))
        self.truth("P01", county, self.id18(person), "near_miss", "failed-then-reissued",
                   f"{yyyymm(period)} 失败 on {first_try}, paid again a week later under a new payment_id")

        splits = self.split_counties()
        if not splits:
            self.skipped.append("P01 split-pension near-misses and the P02 split plant: no county's layout "
                                "splits resident pensions (the third county's does)")
        for j, county in enumerate(splits[:1] * 2):
            person = self.ordinary_retiree(county, "170")
            self.pay(person, county, "170", m0 - 12, m1, self.base_amount("170"))
            self.truth("P01", county, self.id18(person), "near_miss", "split-resident-pension",
                       "170 pension exported as 基础养老金 + 个人账户养老金 every month: one pension, two rows")

    def employee_and_resident(self, employee_county: str, resident_county: str) -> tuple[int, int]:
        """A man paid a 110 pension and, from a little later, a 170 pension: (person, first 170 month)."""
        birth = self.birth_for(self.m0 - self.randint(24, 96), 720 + self.randint(0, 3))
        employee_start = month_of(birth) + 720 + self.randint(0, 2)
        start_170 = month_of(birth) + 720 + self.randint(3, 12)
        person = self.person(employee_county, True, birth)
        self.recipient(person, employee_county, "110", employee_start, personnel_type="工人", retirement_type=NORMAL)
        self.recipient(person, resident_county, "170", start_170)
        self.pay(person, employee_county, "110", employee_start, self.m1, self.base_amount("110"))
        self.pay(person, resident_county, "170", start_170, self.m1, self.base_amount("170"))
        return person, start_170

    def plant_p02(self, k: int) -> None:
        m0, m1 = self.m0, self.m1
        resident_part = (PENSION, BASIC_PENSION)  # the whole 170 pension, or its 基础养老金 where split
        for i in range(k):
            county, variant = self.county(i + 2), i % 3
            if variant == 0:
                birth = self.birth_for(m0 - self.randint(24, 96), 720 + self.randint(0, 3))
                employee_scheme, start_170, last_170 = "110", month_of(birth) + 720 + self.randint(0, 12), m1
                male, minimum_age = True, 720
            elif variant == 1:
                birth = self.birth_for(m0 + 3, 720)
                employee_scheme, start_170, last_170 = "120", m0 + 3, m1
                male, minimum_age = False, 660
            else:
                birth = self.birth_for(m0 - self.randint(12, 60), 720)
                employee_scheme, start_170, last_170 = "110", month_of(birth) + 720, m0 + self.randint(5, self.months - 2)
                male, minimum_age = False, 600
            employee_start = month_of(birth) + minimum_age + self.randint(0, 2)
            person = self.person(county, male, birth)
            self.recipient(person, county, employee_scheme, employee_start,
                           personnel_type="干部" if employee_scheme == "120" else "工人",
                           retirement_type=NORMAL)
            self.recipient(person, county, "170", start_170, status="正常" if last_170 == m1 else "终止")
            self.pay(person, county, employee_scheme, employee_start, m1, self.base_amount(employee_scheme))
            self.pay(person, county, "170", start_170, last_170, self.base_amount("170"))
            overlap = (max(start_170, employee_start, m0), last_170)
            self.truth("P02", county, self.id18(person), "plant", "both-pensions",
                       f"{employee_scheme} and 170 pension both paid {yyyymm(overlap[0])}-{yyyymm(overlap[1])}",
                       expect=Expect.of(range(overlap[0], overlap[1] + 1), ["170"], resident_part))

        splits = self.split_counties()
        if splits:
            county = splits[0]
            person, start_170 = self.employee_and_resident(county, county)
            self.truth("P02", county, self.id18(person), "plant", "both-pensions-resident-split",
                       f"110 pension and a 170 pension exported as 基础养老金 + 个人账户养老金, both paid "
                       f"{yyyymm(m0)}-{yyyymm(m1)}: the 基础养老金 is to be refunded",
                       expect=Expect.of(range(m0, m1 + 1), ["170"], resident_part))
        if len(self.counties) >= 2:
            employee_county, resident_county = self.counties[0], self.counties[1]
            person, start_170 = self.employee_and_resident(employee_county, resident_county)
            self.truth("P02", f"{employee_county};{resident_county}", self.id18(person), "plant",
                       "both-pensions-cross-county",
                       f"110 pension in {employee_county} and 170 pension in {resident_county}, both paid "
                       f"{yyyymm(m0)}-{yyyymm(m1)}: each county alone sees one pension", scope="city",
                       expect=Expect.of(range(m0, m1 + 1), ["170"], resident_part))
        else:
            self.skipped.append("P02 cross-county plant: needs at least two counties")

        county = self.county(k + 2)
        switch = m0 + self.randint(3, self.months - 3)
        birth = self.birth_for(switch - self.randint(12, 48), 720)
        person = self.person(county, True, birth)
        start_170 = month_of(birth) + 720
        self.recipient(person, county, "170", start_170, status="终止")
        self.recipient(person, county, "110", switch + 1, retirement_type=NORMAL, personnel_type="工人",
                       contribution_months=self.randint(180, 200))
        self.pay(person, county, "170", start_170, switch, self.base_amount("170"))
        self.pay(person, county, "110", switch + 1, m1, self.base_amount("110"))
        self.truth("P02", county, self.id18(person), "near_miss", "scheme-transfer",
                   f"170 ended {yyyymm(switch)}, 110 started {yyyymm(switch + 1)} (制度衔接)")

        county = self.county(k + 3)
        switch = m0 + self.randint(3, self.months - 3)
        birth = self.birth_for(switch - self.randint(12, 48), 720)
        person = self.person(county, False, birth)
        start_170 = month_of(birth) + 720
        self.recipient(person, county, "170", start_170, status="终止")
        self.recipient(person, county, "110", switch - 1, retirement_type=NORMAL, personnel_type="工人",
                       contribution_months=self.randint(180, 260))
        amount_110 = self.base_amount("110")
        self.pay(person, county, "170", start_170, switch, self.base_amount("170"))
        self.pay(person, county, "110", switch + 1, m1, amount_110)
        for period in (switch - 1, switch):
            self.one_off(person, county, "110", BACK_PAY, period, self.pay_day(county, switch + 1),
                         amount_in_month(amount_110, period, self.first_year))
        self.truth("P02", county, self.id18(person), "near_miss", "scheme-transfer-back-pay",
                   f"110 基本养老金补发 for {yyyymm(switch - 1)}-{yyyymm(switch)}, months in which 170 was still paid")

    def plant_p03(self, k: int) -> None:
        m0, m1 = self.m0, self.m1
        if len(self.counties) < 2:
            self.skipped.append("P03: needs at least two counties")
            return
        pairs = [(a, b) for a in range(len(self.counties)) for b in range(a + 1, len(self.counties))]
        splits = self.split_counties()
        for i in range(k):
            a, b = pairs[i % len(pairs)]
            involved = self.counties[:3] if i == 0 and len(self.counties) >= 3 else [self.counties[a], self.counties[b]]
            # a 170 pension split in one county's export and not in the other's has no benefit type in common
            scheme = "170" if i % 3 == 2 and not set(involved) & set(splits) else "110"
            person = self.ordinary_retiree(involved[0], scheme)
            start = self.recipient_rows[-1]["benefit_start"]
            amount = self.base_amount(scheme)
            self.pay(person, involved[0], scheme, start, m1, amount)
            twice: set[int] = set()
            for other in involved[1:]:
                self.recipient(person, other, scheme, start,
                               retirement_type=self.recipient_rows[-1]["retirement_type"],
                               personnel_type=self.recipient_rows[-1]["personnel_type"],
                               contribution_months=self.recipient_rows[-1]["contribution_months"])
                other_start = m0 + self.randint(0, self.months // 2)
                self.pay(person, other, scheme, other_start, m1, amount)
                twice.update(range(other_start, m1 + 1))
            self.truth("P03", ";".join(sorted(involved)), self.id18(person), "plant", "same-pension-two-counties",
                       f"{scheme} 基本养老金 paid for the same periods in {' and '.join(sorted(involved))}",
                       scope="city", expect=Expect.of(twice, [scheme], less_first=True))

        origin, destination = self.counties[0], self.counties[1]
        person = self.ordinary_retiree(origin, "110", status="终止")
        start = self.recipient_rows[-1]["benefit_start"]
        moved = m0 + self.randint(3, self.months - 3)
        self.recipient(person, destination, "110", start, retirement_type=NORMAL,
                       personnel_type=self.recipient_rows[-1]["personnel_type"],
                       contribution_months=self.recipient_rows[-1]["contribution_months"])
        amount = self.base_amount("110")
        self.pay(person, origin, "110", start, moved, amount)
        self.pay(person, destination, "110", moved + 1, m1, amount)
        self.truth("P03", f"{origin};{destination}", self.id18(person), "near_miss", "moved", scope="city",
                   note=f"moved: paid in {origin} until {yyyymm(moved)}, in {destination} from "
                   f"{yyyymm(moved + 1)}")

    def plant_e01(self, k: int) -> None:
        m0, m1 = self.m0, self.m1
        variants = (  # scheme, male, retirement type, personnel type, minimum age in months
            ("170", True, "", "", 720), ("110", True, NORMAL, "工人", 720), ("110", False, NORMAL, "工人", 600),
            ("110", True, SPECIAL, "工人", 660), ("120", False, NORMAL, "干部", 660), ("110", False, SPECIAL, "工人", 540),
        )
        for i in range(max(k, 5)):
            scheme, male, retirement_type, personnel_type, minimum = variants[i % len(variants)]
            county = self.county(i + 3)
            start = m0 - self.randint(0, 48) if i % 2 == 0 else m0 + self.randint(0, self.months - 2)
            short_by = self.randint(1, 8) if scheme == "170" else self.randint(13, 30)
            person = self.retiree(county, scheme, male=male, age_months=minimum - short_by, start=start,
                                  retirement_type=retirement_type, personnel_type=personnel_type)
            self.pay(person, county, scheme, start, m1, self.base_amount(scheme))
            who = " ".join(w for w in ("male" if male else "female", personnel_type, retirement_type or "resident") if w)
            self.truth("E01", county, self.id18(person), "plant", "below-age",
                       f"{scheme} {who} started {yyyymm(start)}, {short_by} months before age {minimum // 12}")

        near_misses = (  # scheme, male, retirement type, personnel type, age in months at start, birth day
            ("110", True, SPECIAL, "工人", 660, 31, "特殊工种提前退休 male exactly in the month of his 55th birthday"),
            ("110", False, ILLNESS, "工人", 540, 30, "因病提前退休 female at 45, the birthday month"),
            ("170", False, "", "", 720, 29, "170 starting in the month of the 60th birthday"),
            ("110", True, OTHER, "工人", 600, 15, "retirement type 其他 at 50 (not checked)"),
            ("110", False, NORMAL, "工人", 600, 31, "正常退休 female 工人 exactly at 50"),
            ("120", False, NORMAL, "干部", 660, 28, "正常退休 female 干部 exactly at 55"),
        )
        for j, (scheme, male, retirement_type, personnel_type, age, day, note) in enumerate(near_misses):
            county = self.county(j)
            start = m0 - self.randint(0, 30) if j % 2 else m0 + self.randint(0, self.months - 2)
            if scheme == "170":  # born on 29 February where the calendar allows it
                for candidate in range(start, start - 60, -1):
                    if (candidate - 720) % 12 == 1 and (candidate - 720) // 12 % 4 == 0:
                        start = candidate
                        break
            person = self.retiree(county, scheme, male=male, age_months=age, start=start,
                                  retirement_type=retirement_type, personnel_type=personnel_type, birth_day=day)
            self.pay(person, county, scheme, start, m1, self.base_amount(scheme))
            self.truth("E01", county, self.id18(person), "near_miss", "at-minimum-age",
                       f"{note}: born {self.person_rows[person]['birth']}, started {yyyymm(start)}")

    def public_employee(self, person: int, unit: str, start: date, end: date | None) -> None:
        self.public_employee_rows.append(dict(person=person, unit_name=unit, start_date=start, end_date=end))

    def plant_e02(self, k: int) -> None:
        m0, m1 = self.m0, self.m1
        for i in range(k):
            county = self.county(i + 4)
            person = self.ordinary_retiree(county, "170")
            self.pay(person, county, "170", m0 - 12, m1, self.base_amount("170"))
            end = None if i % 2 == 0 else day_in(m0 + self.randint(1, self.months - 1), self.randint(1, 28))
            unit = COUNTY_NAMES[county] + PUBLIC_UNITS[i % len(PUBLIC_UNITS)]
            joined = date(self.randint(1985, 2005), self.randint(1, 12), self.randint(1, 28))
            self.public_employee(person, unit, joined, end)
            last = m1 if end is None else month_of(end)
            self.truth("E02", county, self.id18(person), "plant", "resident-pension-in-post",
                       f"在编 at {unit} ({'no end date' if end is None else f'until {end}'}) and paid 170 pension",
                       expect=Expect.of(range(m0, last + 1), ["170"]))

        for j, gap in enumerate((1, self.randint(24, 60))):
            county = self.county(k + 4 + j)
            start = m0 - self.randint(12, 60)
            person = self.ordinary_retiree(county, "170", start=start)
            self.pay(person, county, "170", start, m1, self.base_amount("170"))
            ended = day_in(start - gap, 31)
            self.public_employee(person, COUNTY_NAMES[county] + PUBLIC_UNITS[j], date(1990, 9, 1), ended)
            self.truth("E02", county, self.id18(person), "near_miss", "left-before-pension",
                       f"left public employment {ended}; 170 pension began {yyyymm(start)}")

    def plant_e03(self, k: int) -> None:
        m0, m1 = self.m0, self.m1
        for i in range(k):
            county, variant = self.county(i + 5), i % 3
            sentenced = m0 + self.randint(1, self.months - 6)
            released = sentenced + self.randint(3, 5)
            person = self.ordinary_retiree(county, "110", status="暂停" if variant == 2 else "正常")
            amount = self.base_amount("110")
            if variant == 0:
                released, last_paid = None, m1
                self.pay(person, county, "110", m0 - 12, m1, amount)
            elif variant == 1:
                last_paid = released - 1
                self.pay(person, county, "110", m0 - 12, m1, amount)
            else:
                released, last_paid = None, sentenced + 2
                self.pay(person, county, "110", m0 - 12, last_paid, amount)
            start_day = day_in(sentenced, self.randint(1, 28))
            end_day = None if released is None else day_in(released, self.randint(1, 28))
            self.prisoner_rows.append(dict(person=person, sentence_start=start_day, sentence_end=end_day,
                                           offence=OFFENCES[i % len(OFFENCES)]))
            earlier = ""
            if i == 0:
                before = date(self.randint(2008, 2014), self.randint(1, 12), self.randint(1, 28))
                served = date(before.year + self.randint(1, 3), self.randint(1, 12), self.randint(1, 28))
                self.prisoner_rows.append(dict(person=person, sentence_start=before, sentence_end=served,
                                               offence=OFFENCES[(i + 3) % len(OFFENCES)]))
                earlier = f"; an earlier sentence {before} to {served}"
            case = "two-sentences" if earlier else "pension-in-prison"
            self.truth("E03", county, self.id18(person), "plant", case,
                       f"sentenced {start_day}{'' if end_day is None else f' to {end_day}'}; pension paid "
                       f"{yyyymm(sentenced + 1)}-{yyyymm(last_paid)}{earlier}",
                       expect=Expect.of(range(sentenced + 1, last_paid + 1), ["110"], PENSION_TYPES))

        county = self.county(k + 5)
        sentenced = m0 + self.randint(1, self.months - 7)
        released = sentenced + self.randint(3, 5)
        person = self.ordinary_retiree(county, "110")
        amount = self.base_amount("110")
        self.pay(person, county, "110", m0 - 12, sentenced, amount)
        self.pay(person, county, "110", released, m1, amount)
        start_day, end_day = day_in(sentenced, self.randint(3, 25)), day_in(released, self.randint(3, 25))
        self.prisoner_rows.append(dict(person=person, sentence_start=start_day, sentence_end=end_day,
                                       offence="危险驾驶罪"))
        self.truth("E03", county, self.id18(person), "near_miss", "paid-in-start-and-end-months",
                   f"sentenced {start_day} to {end_day}: paid for the start month, suspended, resumed in the end month")

    def plant_e04(self, k: int) -> None:
        m0, m1 = self.m0, self.m1
        earliest = max(FIRST_MONTH_OF_1998, m0 - 240)
        for i in range(k):
            county = self.county(i + 6)
            start = self.randint(earliest, m1 - 1)
            months_paid_in = self.randint(90, 179)
            male = i % 2 == 0
            person = self.retiree(county, "110", male=male, age_months=(720 if male else 600) + self.randint(0, 4),
                                  start=start, contribution_months=months_paid_in)
            self.pay(person, county, "110", start, m1, self.base_amount("110"))
            self.truth("E04", county, self.id18(person), "plant", "short-contributions",
                       f"110 from {yyyymm(start)} with {months_paid_in} contribution months")

        county = self.county(k + 6)
        start = self.randint(earliest, m1 - 1)
        person = self.retiree(county, "110", male=True, age_months=720, start=start, contribution_months=180)
        self.pay(person, county, "110", start, m1, self.base_amount("110"))
        self.truth("E04", county, self.id18(person), "near_miss", "exactly-180-months",
                   f"exactly 180 contribution months, from {yyyymm(start)}")

        county = self.county(k + 7)
        start = FIRST_MONTH_OF_1998 - 1
        person = self.retiree(county, "110", male=True, age_months=720, start=start, contribution_months=120)
        self.pay(person, county, "110", start, m1, self.base_amount("110"))
        self.truth("E04", county, self.id18(person), "near_miss", "retired-before-1998",
                   "retired 199712 with 120 contribution months")

    def unemployed(self, county: str, start: int, contribution_months: int, status: str,
                   age_months: int | None = None, male: bool = True) -> int:
        age = age_months if age_months is not None else self.randint(28, 52) * 12
        person = self.person(county, male, self.birth_for(start, age))
        self.recipient(person, county, "210", start, status=status, contribution_months=contribution_months)
        return person

    def employed(self, person: int, first: int, last: int, employer: str) -> None:
        for period in range(first, last + 1):
            self.employment_rows.append(dict(person=person, period=period, unit_name=employer))

    def plant_e05(self, k: int) -> None:
        m0, m1 = self.m0, self.m1
        for i in range(max(k, 3)):
            county, variant = self.county(i + 7), "abc"[i % 3]
            employer = COUNTY_NAMES[county] + EMPLOYERS[i % len(EMPLOYERS)]
            amount = self.base_amount("210")
            if variant == "a":
                contribution, allowed = (90, 18) if i >= 3 and self.months >= 20 else (30, 12)
                paid_months = min(allowed + 2, self.months)
                start = m0 + self.randint(0, self.months - paid_months)
                last = start + paid_months - 1
                person = self.unemployed(county, start, contribution, "正常" if last == m1 else "终止")
                self.pay(person, county, "210", start, last, amount)
                improper = range(start + allowed, last + 1)
                note = f"{paid_months} months of 失业保险金 with {contribution} contribution months (max {allowed})"
            elif variant == "b":
                start = m0 + self.randint(0, self.months - 8)
                last = start + 5
                person = self.unemployed(county, start, 100, "终止")
                self.pay(person, county, "210", start, last, amount)
                self.employed(person, start - 12, start - 1, employer)
                self.employed(person, last - 2, m1, COUNTY_NAMES[county] + EMPLOYERS[(i + 1) % len(EMPLOYERS)])
                improper = range(last - 2, last + 1)
                note = f"re-employed from {yyyymm(last - 2)} while paid until {yyyymm(last)}"
            else:
                start = m0 + self.randint(0, self.months - 7)
                pension_start = start + 4
                person = self.unemployed(county, start, 300, "终止", age_months=720 - 4)
                self.recipient(person, county, "110", pension_start, retirement_type=NORMAL, personnel_type="工人",
                               contribution_months=300)
                self.pay(person, county, "210", start, start + 5, amount)
                self.pay(person, county, "110", pension_start, m1, self.base_amount("110"))
                improper = range(pension_start, start + 6)
                note = f"失业保险金 still paid {yyyymm(pension_start)}-{yyyymm(start + 5)} after the pension began"
            self.truth("E05", county, self.id18(person), "plant", f"unemployment-{variant}", f"({variant}) {note}",
                       expect=Expect.of(improper, ["210"]))

        if len(self.counties) >= 2:
            benefit_county, pension_county = self.counties[0], self.counties[1]
            start = m0 + self.randint(0, self.months - 7)
            pension_start = start + 3
            person = self.unemployed(benefit_county, start, 300, "终止", age_months=720 - 3)
            self.recipient(person, pension_county, "110", pension_start, retirement_type=NORMAL,
                           personnel_type="工人", contribution_months=300)
            self.pay(person, benefit_county, "210", start, start + 5, self.base_amount("210"))
            self.pay(person, pension_county, "110", pension_start, m1, self.base_amount("110"))
            self.truth("E05", f"{benefit_county};{pension_county}", self.id18(person), "plant",
                       "unemployment-c-cross-county",
                       f"(c) 失业保险金 in {benefit_county} until {yyyymm(start + 5)}, 110 pension in {pension_county} "
                       f"from {yyyymm(pension_start)}: each county alone sees one benefit", scope="city",
                       expect=Expect.of(range(pension_start, start + 6), ["210"]))
        else:
            self.skipped.append("E05 cross-county plant: needs at least two counties")

        county = self.county(k + 7)
        start = m0 + self.randint(0, self.months - 12)
        person = self.unemployed(county, start, 30, "终止" if start + 11 < m1 else "正常")
        self.pay(person, county, "210", start, start + 11, self.base_amount("210"))
        self.truth("E05", county, self.id18(person), "near_miss", "exactly-12-months",
                   "exactly 12 months with 30 contribution months")
        if self.months >= 18:
            county = self.county(k + 8)
            start = m0 + self.randint(0, self.months - 18)
            person = self.unemployed(county, start, 60, "终止" if start + 17 < m1 else "正常")
            self.pay(person, county, "210", start, start + 17, self.base_amount("210"))
            self.truth("E05", county, self.id18(person), "near_miss", "exactly-18-months",
                       "exactly 18 months with 60 contribution months")
        county = self.county(k + 9)
        start = m0 + self.randint(1, self.months - 7)
        person = self.unemployed(county, start, 150, "终止")
        self.pay(person, county, "210", start, start + 4, self.base_amount("210"))
        self.employed(person, start - 10, start - 1, COUNTY_NAMES[county] + EMPLOYERS[0])
        self.employed(person, start + 5, m1, COUNTY_NAMES[county] + EMPLOYERS[1])
        self.truth("E05", county, self.id18(person), "near_miss", "employed-around",
                   "employed until the month before and from the month after the 失业保险金")

    def plant_e06(self, k: int) -> None:
        m0, m1 = self.m0, self.m1
        for i in range(k):
            county, scheme = self.county(i + 10), ("110", "120")[i % 2]
            person = self.ordinary_retiree(county, scheme)
            self.pay(person, county, scheme, m0 - 12, m1, self.base_amount(scheme))
            end = None if i % 2 == 0 else day_in(m0 + self.randint(1, self.months - 2), self.randint(1, 28))
            unit = COUNTY_NAMES[county] + PUBLIC_UNITS[(i + 3) % len(PUBLIC_UNITS)]
            joined = date(self.randint(1992, 2008), self.randint(1, 12), self.randint(1, 28))
            self.public_employee(person, unit, joined, end)
            earlier = ""
            if i == 0:
                first_unit = COUNTY_NAMES[county] + PUBLIC_UNITS[(i + 7) % len(PUBLIC_UNITS)]
                self.public_employee(person, first_unit, date(joined.year - self.randint(4, 8), 9, 1),
                                     date.fromordinal(joined.toordinal() - 1))
                earlier = f", before that at {first_unit}"
            last = m1 if end is None else month_of(end)
            case = "two-units" if earlier else "employee-pension-in-post"
            until = "no end date" if end is None else f"until {end}"
            self.truth("E06", county, self.id18(person), "plant", case,
                       f"在编 at {unit} since {joined} ({until}){earlier}, "
                       f"and paid a {scheme} pension {yyyymm(m0)}-{yyyymm(last)}",
                       expect=Expect.of(range(m0, last + 1), [scheme], PENSION_TYPES))

        county = self.county(k + 10)
        start = m0 + self.randint(2, self.months - 3)
        person = self.ordinary_retiree(county, "120", start=start)
        self.pay(person, county, "120", start, m1, self.base_amount("120"))
        ended = day_in(start - 1, 31)
        self.public_employee(person, COUNTY_NAMES[county] + PUBLIC_UNITS[4], date(1991, 3, 1), ended)
        self.truth("E06", county, self.id18(person), "near_miss", "left-the-month-before",
                   f"在编 until {ended}; 120 pension from {yyyymm(start)}")

        county = self.county(k + 11)
        start = m0 - self.randint(6, 60)
        person = self.ordinary_retiree(county, "110", start=start)
        self.pay(person, county, "110", start, m1, self.base_amount("110"))
        moved = date(1999 + self.randint(0, 5), self.randint(1, 12), 1)
        ended = day_in(start - self.randint(1, 3), 31)
        self.public_employee(person, COUNTY_NAMES[county] + PUBLIC_UNITS[5], date(1988, 7, 1),
                             date.fromordinal(moved.toordinal() - 1))
        self.public_employee(person, COUNTY_NAMES[county] + PUBLIC_UNITS[6], moved, ended)
        self.truth("E06", county, self.id18(person), "near_miss", "retired-from-two-units",
                   f"two public units, the second left {ended}; 110 pension from {yyyymm(start)}; "
                   "re-employment after retirement (返聘) is not 在编")

    def plant_a01(self, k: int) -> None:
        m0, m1 = self.m0, self.m1
        for i in range(k):
            county = self.county(i + 8)
            holders = []
            for j in range(4 if i == 0 else 3):
                scheme = "170" if (i + j) % 3 else "110"
                person = self.ordinary_retiree(county, scheme)
                self.person_rows[person]["account_owner"] = holders[0] if holders else person
                self.pay(person, county, scheme, m0 - 12, m1, self.base_amount(scheme))
                holders.append(person)
            self.truth("A01", county, ("account", holders[0]), "plant", "shared-card",
                       f"one card receives the benefits of {len(holders)} people")

        county = self.county(k + 8)
        couple = [self.ordinary_retiree(county, "170"), self.ordinary_retiree(county, "170")]
        self.person_rows[couple[1]]["account_owner"] = couple[0]
        for person in couple:
            self.pay(person, county, "170", m0 - 12, m1, self.base_amount("170"))
        self.truth("A01", county, ("account", couple[0]), "near_miss", "couple",
                   "a card shared by exactly two people")

    def plant_a02(self, k: int) -> None:
        m0, m1 = self.m0, self.m1
        for i in range(max(k, 8)):
            county, variant = self.county(i + 9), i % 8
            start = m0 - self.randint(0, 36)
            male = variant == 5 or bool(self.rng.random() < 0.5)
            # variant 4: the ID number says born up to three years earlier than the recipients table;
            # both birth dates put the start after the 60th birthday
            age = 720 + (36 if variant == 4 else 0) + self.randint(0, 6)
            area = FABRICATED_AREAS[(i // 8 + variant) % len(FABRICATED_AREAS)] if variant >= 6 else None
            person = self.person(county, male, self.birth_for(start, age), female_id=variant == 5, area=area)
            row = self.person_rows[person]
            true_id = row["id18"]
            shown_birth = None
            if variant == 0:
                shown, note = true_id[:10] + true_id[11:], "17 characters (a digit dropped)"
            elif variant == 1:
                shown, note = true_id[:14] + "O" + true_id[15:], "letter O inside the number"
            elif variant == 2:
                wrong = next(c for c in "0123456789" if c != true_id[17])
                shown, note = true_id[:17] + wrong, "wrong check digit"
            elif variant == 3:
                first17 = f"{county}{row['birth'].year}0230{true_id[14:17]}"
                shown, note = first17 + check_char(first17), "birth date 30 February (check digit correct)"
            elif variant == 4:
                birth = row["birth"]
                shown_birth = date(birth.year + self.randint(1, 3), birth.month, min(birth.day, 28))
                shown, note = true_id, f"ID says born {birth}, recipients table says {shown_birth}"
            elif variant == 5:
                shown, note = true_id, "ID number is a woman's (even order code), recipients table says 男"
            elif variant == 6:
                shown, note = true_id, f"fabricated: address code {area} is no division code (check digit correct)"
            else:
                self.set_ids(person, recipients=to_legacy15(true_id))
                shown, note = true_id, (f"fabricated: address code {area} is no division code, 15-digit form in "
                                        "the recipients table")
            if variant < 4:
                self.used_ids.add(shown)
                self.set_ids(person, recipients=shown, payments=shown)
            self.recipient(person, county, "170", start, shown_birth=shown_birth)
            self.pay(person, county, "170", start, m1, self.base_amount("170"))
            self.truth("A02", county, shown, "plant", ("short", "letter", "check-digit", "impossible-date",
                                                     "birth-date-disagrees", "gender-disagrees", "fabricated-area",
                                                     "fabricated-area-legacy")[variant], note)

        forms = (("15", "15", "legacy 15-digit number in recipients and payments"),
                 (None, "15", "legacy 15-digit number in payments only"),
                 ("x", "x", "valid ID number ending in lowercase x"),
                 ("fullwidth", None, "full-width digits in the recipients table"))
        for j, (recipients_form, payments_form, note) in enumerate(forms):
            county = self.county(j)
            male = bool(j % 2)
            start = m0 - self.randint(0, 36)
            person = self.person(county, male, self.birth_for(start, 720), want_check_x=recipients_form == "x")
            self.recipient(person, county, "170", start)
            id18 = self.id18(person)
            rendered = {None: None, "15": to_legacy15(id18), "x": id18.lower(),
                        "fullwidth": id18.translate(str.maketrans("0123456789", "０１２３４５６７８９"))}
            self.set_ids(person, recipients=rendered[recipients_form], payments=rendered[payments_form])
            self.pay(person, county, "170", start, m1, self.base_amount("170"))
            case = f"form-{recipients_form or 'none'}-{payments_form or 'none'}"
            self.truth("A02", county, id18, "near_miss", case, note)

        for j, (area, note) in enumerate(REAL_OTHER_AREAS):
            county = self.county(j + 1)
            start = m0 - self.randint(0, 36)
            person = self.person(county, bool(j % 2), self.birth_for(start, 720 + self.randint(0, 6)), area=area)
            self.recipient(person, county, "170", start)
            self.pay(person, county, "170", start, m1, self.base_amount("170"))
            self.truth("A02", county, self.id18(person), "near_miss", "real-other-area",
                       f"ID number from {note}: a real code")


# ----------------------------------------------------------------------------------------------
# Identity resolution (D02, P04): typed-wrong numbers on the death list, people under two numbers,
# and the near-misses that look like them. Kept apart from the plants above.

TRADITIONAL_FORMS = "陳劉楊黃趙吳孫馬胡郭羅鄭謝韓馮鄧許蕭葉蘇盧鍾陸汪偉強華國興東鳳蘭麗雲紅"
_TO_TRADITIONAL = dict(zip("陈刘杨黄赵吴孙马胡郭罗郑谢韩冯邓许萧叶苏卢钟陆汪伟强华国兴东凤兰丽云红", TRADITIONAL_FORMS))
COMMON_NAMES = ("王伟", "张伟", "刘洋", "李强")  # men's names (the pensioners below are men)


def _traditional(name: str) -> str:
    return "".join(_TO_TRADITIONAL.get(ch, ch) for ch in name)


def typo_id(rng: np.random.Generator, id18: str, kind: str) -> tuple[str, str]:
    """A typed-wrong form of a valid 18-character number: (number, what was done). The result is invalid
    (a one-digit change or an adjacent swap of the first 17 always breaks the check digit)."""
    if kind == "check_digit":
        wrong = str(rng.choice([c for c in "0123456789X" if c != id18[17]]))
        return id18[:17] + wrong, "wrong check digit"
    if kind == "one_digit":
        position = int(rng.integers(0, 17))
        digit = str(rng.choice([d for d in "0123456789" if d != id18[position]]))
        return id18[:position] + digit + id18[position + 1:], f"digit {position + 1} typed wrong"
    swappable = [i for i in range(16) if id18[i] != id18[i + 1]]
    i = int(rng.choice(swappable))
    return id18[:i] + id18[i + 1] + id18[i] + id18[i + 2:], f"digits {i + 1} and {i + 2} swapped"


def plant_d02(cast: _Cast, k: int) -> None:
    """Deaths recorded under a typed-wrong number of a recipient paid after the death, and near-misses."""
    m0, m1 = cast.m0, cast.m1
    kinds = ("one_digit", "transposition", "check_digit", "legacy", "one_digit")
    for i in range(max(k, len(kinds))):
        county, kind = cast.county(i + 2), kinds[i % len(kinds)]
        scheme = ("110", "170", "120")[i % 3]
        person = cast.ordinary_retiree(county, scheme)
        if kind == "legacy":  # enrolled under the 15-digit number; the death list holds its 18-digit form, check wrong
            legacy = to_legacy15(cast.id18(person))
            cast.set_ids(person, recipients=legacy, payments=legacy)
            shown, note = typo_id(cast.rng, cast.id18(person), "check_digit")
            note = "enrolled under the 15-digit number; death list: 18-digit form with a " + note
        else:
            shown, note = typo_id(cast.rng, cast.id18(person), kind)
        death_month = m0 + cast.randint(1, cast.months - 3)
        died = day_in(death_month, cast.randint(1, 28))
        source = ("公安", "民政", "卫健")[i % 3]
        row = cast.person_rows[person]
        if i == 1:  # the list writes the name in traditional characters: a record of its own for that spelling
            shadow = cast.person(county, row["male"], row["birth"], name=_traditional(row["name"]))
            cast.death(shadow, died, source, id_text=shown)
            note += ", name in traditional characters"
        else:
            cast.death(person, died, source, id_text=shown)
        cast.pay(person, county, scheme, m0 - 12, m1, cast.base_amount(scheme))
        cast.truth("D02", county, cast.id18(person), "plant", "linked-death-record", f"death record {note}; died {died}, paid until {yyyymm(m1)}")

    # a typed-wrong death record of someone whose pension stopped after the death month
    county = cast.county(k)
    person = cast.ordinary_retiree(county, "110", status="终止")
    death_month = m0 + cast.randint(2, cast.months - 3)
    shown, note = typo_id(cast.rng, cast.id18(person), "one_digit")
    cast.death(person, day_in(death_month, 9), "民政", id_text=shown)
    cast.pay(person, county, "110", m0 - 12, death_month, cast.base_amount("110"))
    cast.truth("D02", county, cast.id18(person), "near_miss", "linked-death-not-paid-after", f"death record with {note}; not paid after the death month")

    # a twin died: same surname, birth date and address code, the next order code; the living twin is paid
    county = cast.county(k + 1)
    living = cast.ordinary_retiree(county, "110")
    row = cast.person_rows[living]
    twin = cast.person(county, row["male"], row["birth"], name=_twin_name(row["name"]))
    cast.person_rows[twin]["id18"] = _twin_id(cast, living)
    cast.death(twin, day_in(m0 + 3, 5), "公安")
    cast.pay(living, county, "110", m0 - 12, m1, cast.base_amount("110"))
    cast.truth("D02", county, cast.id18(living), "near_miss", "twin-died",
               "a twin (same surname, birth date and address code, the next order code) died; this one is alive")

    # two people of one common name and birth date in two counties: the one who died was no recipient
    if len(cast.counties) >= 2:
        county, other = cast.county(k + 2), cast.county(k + 3)
        if other == county:
            other = next(c for c in cast.counties if c != county)
        living = cast.ordinary_retiree(county, "110")
        row = cast.person_rows[living]
        row["name"] = COMMON_NAMES[0] if row["male"] else "王芳"
        namesake = cast.person(other, row["male"], row["birth"], name=row["name"])
        cast.death(namesake, day_in(m0 + 4, 12), "民政")
        cast.pay(living, county, "110", m0 - 12, m1, cast.base_amount("110"))
        cast.truth("D02", county, cast.id18(living), "near_miss", "namesake-died",
                   f"a namesake born the same day in {other} died (no recipient)")


def _twin_name(name: str) -> str:
    return name[0] + ("明" if name[1:] != "明" else "亮")


def _pensioner(cast: _Cast, county: str, start: int) -> int:
    """A man with a 110 pension from `start`, 60 or a little older then (old enough for 170 later too)."""
    return cast.retiree(county, "110", male=True, age_months=720 + cast.randint(0, 3), start=start)


def _twin_id(cast: _Cast, person: int) -> str:
    id18 = cast.id18(person)
    order = int(id18[14:17])
    for step in (2, -2, 4, -4):
        candidate = order + step
        if 0 <= candidate <= 999:
            first17 = id18[:14] + f"{candidate:03d}"
            twin = first17 + check_char(first17)
            if twin not in cast.used_ids:
                cast.used_ids.add(twin)
                return twin
    raise ValueError("no order code free for a twin")


def plant_p04(cast: _Cast, k: int) -> None:
    """People paid a pension under two valid numbers (one card), in one county or two, and near-misses."""
    m0, m1 = cast.m0, cast.m1
    for i in range(k):
        first_county = cast.county(i + 1)
        second_county = cast.county(i + 2) if i % 2 == 0 and len(cast.counties) >= 2 else first_county
        person = _pensioner(cast, first_county, m0 - cast.randint(12, 60))
        row = cast.person_rows[person]
        start = m0 + cast.randint(1, cast.months - 4)
        area = cast.counties[(cast.counties.index(second_county) + 1) % len(cast.counties)] if i % 3 == 2 else second_county
        second = cast.person(second_county, row["male"], row["birth"], name=row["name"], area=area)
        if i % 4 == 1:  # the second number is written in traditional characters
            cast.person_rows[second]["name"] = _traditional(row["name"])
        cast.person_rows[second]["account_owner"] = person
        cast.recipient(second, second_county, "170", start)
        cast.pay(person, first_county, "110", m0 - 12, m1, cast.base_amount("110"))
        cast.pay(second, second_county, "170", start, m1, cast.base_amount("170"))
        region = ";".join(sorted({first_county, second_county}))
        cast.truth("P04", region, cast.id18(second), "plant", "two-numbers",
                   f"also paid 110 as {cast.id18(person)} in {first_county}; 170 from {yyyymm(start)} under a "
                   "second number, one card", scope="city" if ";" in region else "county")

    # twins, both paid: same surname, birth date, address; different given names and cards
    county = cast.county(k)
    start = m0 - cast.randint(12, 60)
    first = _pensioner(cast, county, start)
    row = cast.person_rows[first]
    twin = cast.person(county, row["male"], row["birth"], name=_twin_name(row["name"]))
    cast.person_rows[twin]["id18"] = _twin_id(cast, first)
    cast.recipient(twin, county, "110", start + 1, retirement_type=NORMAL, personnel_type="工人")
    for p in (first, twin):
        cast.pay(p, county, "110", m0 - 12, m1, cast.base_amount("110"))
    cast.truth("P04", county, cast.id18(twin), "near_miss", "twins-both-paid", "twins: same surname, birth date and address, other names")

    # one common name and birth date, two people, no third fact: in two counties, and in one county
    for j, same_county in enumerate((False, True)):
        county = cast.county(k + 1 + j)
        other = county if same_county or len(cast.counties) < 2 else next(
            c for c in cast.counties[::-1] if c != county)
        first = _pensioner(cast, county, m0 - cast.randint(24, 60))
        row = cast.person_rows[first]
        row["name"] = COMMON_NAMES[j + 2]
        start = m0 + cast.randint(1, cast.months - 4)
        namesake = cast.person(other, row["male"], row["birth"], name=row["name"])
        cast.recipient(namesake, other, "170", start)
        cast.pay(first, county, "110", m0 - 12, m1, cast.base_amount("110"))
        cast.pay(namesake, other, "170", start, m1, cast.base_amount("170"))
        where = "one county" if same_county else f"{county} and {other}"
        cast.truth("P04", ";".join(sorted({county, other})), cast.id18(namesake), "near_miss", "namesakes",
                   f"two people named {row['name']}, born the same day, in {where}: no shared card or person "
                   "number", scope="city" if county != other else "county")


def plant_identity(cast: _Cast, k: int) -> None:
    plant_d02(cast, k)
    plant_p04(cast, k)


# ----------------------------------------------------------------------------------------------
# The base population: lawful, vectorised


def _pick(rng: np.random.Generator, values: tuple, shares: tuple, n: int) -> np.ndarray:
    return np.array(values)[rng.choice(len(values), n, p=np.array(shares) / sum(shares))]


def _between(rng: np.random.Generator, low, high, size: int | None = None) -> np.ndarray:
    """Uniform integers in [low, high], element-wise."""
    low, high = np.asarray(low), np.asarray(high)
    shape = np.broadcast_shapes(low.shape, high.shape, () if size is None else (size,))
    return low + np.floor(rng.random(shape) * (high - low + 1)).astype(np.int64)


def _ids_avoiding(rng: np.random.Generator, region: np.ndarray, birth: np.ndarray, male: np.ndarray,
                  taken: set[str]) -> np.ndarray:
    sequence = rng.integers(0, 500, len(region))
    reserved = np.array(sorted(taken), dtype="U18")
    while True:
        ids = id_numbers(region, birth, male, sequence)
        _, first = np.unique(ids, return_index=True)
        clash = np.ones(len(ids), dtype=bool)
        clash[first] = False
        clash |= np.isin(ids, reserved)
        if not clash.any():
            return ids
        sequence[clash] = rng.integers(0, 500, int(clash.sum()))


def _add_base_population(cast: _Cast, n: int) -> None:
    rng = np.random.default_rng([cast.seed, 10])
    m0, m1, counties = cast.m0, cast.m1, cast.counties
    county_index = rng.choice(len(counties), n, p=rng.dirichlet(np.full(len(counties), 20.0)))
    county = np.array(counties)[county_index]
    scheme = _pick(rng, ("110", "120", "170", "210", "410"), (0.55, 0.10, 0.24, 0.07, 0.04), n)
    male_share = np.select([scheme == "110", scheme == "120", scheme == "170", scheme == "210"],
                           [0.55, 0.5, 0.48, 0.55], 0.8)
    male = rng.random(n) < male_share
    retiree, resident = np.isin(scheme, ("110", "120")), scheme == "170"
    unemployed, injured = scheme == "210", scheme == "410"

    personnel = np.where(scheme == "110", np.where(rng.random(n) < 0.8, "工人", "干部"),
                         np.where(scheme == "120", np.where(rng.random(n) < 0.7, "干部", "工人"),
                                  np.where(injured, "工人", "")))
    unit = np.select([scheme == "110", scheme == "120", resident],
                     [np.where(rng.random(n) < 0.85, "企业", "灵活就业"),
                      np.where(rng.random(n) < 0.4, "机关", "事业单位"), "城乡居民"], "企业")
    personnel = np.where(unit == "灵活就业", "工人", personnel)
    retirement = np.where(retiree, _pick(rng, (NORMAL, SPECIAL, ILLNESS, OTHER), (0.85, 0.07, 0.05, 0.03), n), "")
    retirement = np.where((scheme == "120") & (retirement == SPECIAL), NORMAL, retirement)
    minimum_years = np.select(
        [retirement == NORMAL, retirement == SPECIAL, retirement == ILLNESS, retirement == OTHER],
        [np.where(male, 60, np.where(personnel == "干部", 55, 50)), np.where(male, 55, 45),
         np.where(male, 50, 45), rng.integers(45, 61, n)], 60)

    start = np.zeros(n, dtype=np.int64)
    birth_month = np.zeros(n, dtype=np.int64)
    delay = np.minimum(rng.geometric(0.45, n) - 1, 12)
    start[retiree] = m1 - rng.integers(0, 361, int(retiree.sum()))
    birth_month[retiree] = start[retiree] - minimum_years[retiree] * 12 - delay[retiree]

    launch_span = min(180, m1 - RESIDENT_SCHEME_LAUNCH)
    start[resident] = m1 - rng.integers(0, launch_span + 1, int(resident.sum()))
    already_old = resident & (start < 2012 * 12)
    resident_age = np.where(already_old, rng.integers(0, 241, n), np.minimum(delay, 6))
    birth_month[resident] = start[resident] - 720 - resident_age[resident]

    contribution = np.where(start >= FIRST_MONTH_OF_1998, 180 + rng.integers(0, 301, n), 120 + rng.integers(0, 301, n))
    contribution = np.where(retiree, np.maximum(np.minimum(contribution, (minimum_years - 16) * 12), 180), contribution)
    contribution = np.where(resident, np.where(resident_age > 60, 0, rng.integers(15, 181, n)), contribution)

    contribution = np.where(unemployed, rng.integers(12, 361, n), contribution)
    allowed = np.where(contribution < 60, 12, np.where(contribution < 120, 18, 24))
    duration = np.where(unemployed, _between(rng, 2, allowed), 0)
    start = np.where(unemployed, _between(rng, m0 - duration + 1, m1), start)
    unemployment_end = start + duration - 1
    birth_month = np.where(unemployed, start - rng.integers(22, 57, n) * 12 - rng.integers(0, 12, n), birth_month)

    birth_month = np.where(injured, m1 - rng.integers(28, 59, n) * 12 - rng.integers(0, 12, n), birth_month)
    start = np.where(injured, _between(rng, np.maximum(birth_month + 216, 1995 * 12), m1), start)
    contribution = np.where(injured, rng.integers(12, 300, n), contribution)

    base_fen = np.select(
        [scheme == "110", scheme == "120", resident, unemployed],
        [rng.integers(200000, 600001, n), rng.integers(400000, 900001, n), rng.integers(15000, 40001, n),
         rng.integers(150000, 220001, n)], rng.integers(250000, 600001, n))

    pensioner = retiree | resident
    death_chance = np.where(resident, 0.03, 0.012) * cast.months / 12
    dies = pensioner & (rng.random(n) < death_chance)
    death_month = _between(rng, np.maximum(start, m0), m1)
    imprisoned = pensioner & ~dies & (start < m0) & (rng.random(n) < 0.002) & (cast.months >= 6)
    sentenced = _between(rng, m0 + 1, m1 - 2, n)
    still_serving = rng.random(n) < 0.4
    released = np.where(still_serving, -1, sentenced + rng.integers(2, 13, n))
    still_serving |= released > m1
    late_start = retiree & (start >= m0) & ~dies & (rng.random(n) < 0.3)
    delayed_by = np.where(late_start, rng.integers(1, 3, n), 0)
    late_start &= start + delayed_by <= m1
    delayed_by = np.where(late_start, delayed_by, 0)

    status = np.where(dies | (unemployed & (unemployment_end < m1)), "终止",
                      np.where(imprisoned & still_serving, "暂停", "正常"))
    birth = _random_dates_in(rng, birth_month)
    person = np.arange(n) + len(cast.person_rows)
    public_employee = (scheme == "120") & ~dies & ~imprisoned & (rng.random(n) < 0.02)
    adjusted = retiree & ~dies & ~imprisoned & (start < m0 - 1) & (rng.random(n) < 0.01) & (cast.months >= 5)

    ids = _ids_avoiding(rng, county, birth, male, cast.used_ids)
    cast.used_ids.update(ids.tolist())
    x_lower = (county_index == 2) & (np.char.endswith(ids, "X")) & (rng.random(n) < 0.5)
    old = birth < np.datetime64("1950-01-01")
    legacy_both = (county_index == 1) & old & (rng.random(n) < 0.05)
    legacy_payments = (county_index == 1) & old & ~legacy_both & (rng.random(n) < 0.05)
    legacy = pl.Series(ids).str.slice(0, 6) + pl.Series(ids).str.slice(8, 9)
    legacy = legacy.to_numpy().astype("U15")
    id_recipients = np.where(x_lower, np.char.lower(ids), np.where(legacy_both, legacy, None))
    id_payments = np.where(x_lower, np.char.lower(ids), np.where(legacy_both | legacy_payments, legacy, None))
    plain = ((retiree | resident | injured) & ~dies & ~imprisoned & ~public_employee & (start < m0) & ~adjusted
             & ~x_lower & ~legacy_both & ~legacy_payments)

    cast.frames["persons"].append(pl.DataFrame({
        "person": person, "home": county, "male": male, "birth": birth,
        "name": random_names(rng, male), "id18": ids,
        "id_recipients": pl.Series(id_recipients.tolist(), dtype=pl.String),
        "id_payments": pl.Series(id_payments.tolist(), dtype=pl.String),
        "account_owner": person, "recipient": np.ones(n, dtype=bool), "plain": plain,
    }))
    cast.frames["recipients"].append(pl.DataFrame({
        "person": person, "county": county, "scheme": scheme, "personnel_type": personnel, "unit_type": unit,
        "retirement_type": retirement, "benefit_start": start, "status": status,
        "contribution_months": contribution,
    }).with_columns(pl.lit(None, pl.Date).alias("shown_birth"), pl.lit(None, pl.Boolean).alias("shown_male")))

    benefit_type = np.select([unemployed, injured], [UNEMPLOYMENT, INJURY], PENSION)
    regular_last = np.select([dies, imprisoned, unemployed], [death_month, sentenced - rng.integers(0, 2, n),
                                                               unemployment_end], m1)
    resumed = imprisoned & ~still_serving
    resume_month = released + rng.integers(0, 2, n)
    spells = pl.DataFrame({
        "person": np.concatenate([person, person[resumed]]),
        "county": np.concatenate([county, county[resumed]]),
        "scheme": np.concatenate([scheme, scheme[resumed]]),
        "benefit_type": np.concatenate([benefit_type, benefit_type[resumed]]),
        "first": np.concatenate([start + delayed_by, resume_month[resumed]]),
        "last": np.concatenate([regular_last, np.full(int(resumed.sum()), m1)]),
        "base_fen": np.concatenate([base_fen, base_fen[resumed]]),
        "raises": np.concatenate([~unemployed, np.ones(int(resumed.sum()), dtype=bool)]),
    })
    cast.frames["spells"].append(spells)

    one_offs = []
    for k in range(2):
        back_paid = late_start & (delayed_by > k)
        month = start[back_paid] + k
        one_offs.append(pl.DataFrame({
            "person": person[back_paid], "county": county[back_paid], "scheme": scheme[back_paid],
            "benefit_type": np.full(len(month), BACK_PAY), "period": month,
            "paid_month": start[back_paid] + delayed_by[back_paid],
            "amount_fen": base_fen[back_paid],
        }))
    adjustment_month = _between(rng, m0, m1 - 3, n)
    one_offs.append(pl.DataFrame({
        "person": person[adjusted], "county": county[adjusted], "scheme": scheme[adjusted],
        "benefit_type": np.full(int(adjusted.sum()), BACK_PAY), "period": adjustment_month[adjusted],
        "paid_month": adjustment_month[adjusted] + rng.integers(1, 4, n)[adjusted],
        "amount_fen": rng.integers(5000, 30001, n)[adjusted],
    }))
    after_death = death_month + rng.integers(1, 3, n)
    for kind, chosen, amount in (
        (FUNERAL, dies & retiree, rng.integers(500000, 800001, n)),
        (SURVIVOR, dies & retiree & (rng.random(n) < 0.5), base_fen * rng.integers(9, 21, n)),
        (ACCOUNT_REFUND, dies & resident, rng.integers(50000, 3000001, n)),
    ):
        chosen = chosen & (after_death <= m1)
        one_offs.append(pl.DataFrame({
            "person": person[chosen], "county": county[chosen], "scheme": scheme[chosen],
            "benefit_type": np.full(int(chosen.sum()), kind),
            "period": after_death[chosen], "paid_month": after_death[chosen], "amount_fen": amount[chosen],
        }))
    cast.frames["one_offs"].append(pl.concat(one_offs))

    dead = np.flatnonzero(dies)
    death_day = _random_dates_in(rng, death_month[dead])
    cast.frames["deaths"].append(_death_reports(rng, person[dead], death_day))

    jailed = np.flatnonzero(imprisoned)
    cast.frames["prisoners"].append(pl.DataFrame({
        "person": person[jailed],
        "sentence_start": _random_dates_in(rng, sentenced[jailed]),
        "sentence_end": pl.Series(np.where(still_serving[jailed], np.datetime64("NaT"),
                                           _random_dates_in(rng, np.where(still_serving, m1, released)[jailed]))),
        "offence": np.array(OFFENCES)[rng.integers(0, len(OFFENCES), len(jailed))],
    }))

    employee = np.flatnonzero(public_employee)
    cast.frames["public_employees"].append(pl.DataFrame({
        "person": person[employee],
        "unit_name": np.char.add(np.array([COUNTY_NAMES[c] for c in county[employee]], dtype="U8"),
                                 np.array(PUBLIC_UNITS)[rng.integers(0, len(PUBLIC_UNITS), len(employee))]),
        "start_date": _random_dates_in(rng, birth_month[employee] + rng.integers(22, 30, len(employee)) * 12),
        "end_date": pl.Series(_dates_in(start[employee] - 1, np.full(len(employee), 31))),
    }))

    spans = [(unemployed & (rng.random(n) < 0.85), np.maximum(start - rng.integers(6, 37, n), m0 - 12), start - 1),
             (unemployed & (unemployment_end < m1) & (rng.random(n) < 0.5),
              unemployment_end + 1 + rng.integers(0, 4, n), np.full(n, m1))]
    employers = np.char.add(np.array([COUNTY_NAMES[c] for c in counties])[county_index],
                            np.array(EMPLOYERS)[rng.integers(0, len(EMPLOYERS), n)])
    for chosen, first, last in spans:
        chosen = chosen & (first <= last)
        cast.frames["employment"].append(_expand_months(person[chosen], first[chosen], last[chosen],
                                                        {"unit_name": employers[chosen]}))

    _add_outliers(cast, rng, person[plain & (scheme == "110")])


def _death_reports(rng: np.random.Generator, persons: np.ndarray, earliest: np.ndarray) -> pl.DataFrame:
    """One to three departments report each death, the later ones a few days after the first."""
    n = len(persons)
    reports = rng.choice((1, 2, 3), n, p=(0.5, 0.35, 0.15))
    order = np.argsort(rng.random((n, 3)), axis=1)
    rows = []
    for rank in range(3):
        chosen = reports > rank
        lag = np.zeros(n, dtype=np.int64) if rank == 0 else rng.integers(1, 7, n)
        rows.append(pl.DataFrame({
            "person": persons[chosen],
            "death_date": (earliest + lag.astype("timedelta64[D]"))[chosen],
            "source": np.array(DEATH_SOURCES)[order[:, rank]][chosen],
        }))
    return pl.concat(rows).with_columns(pl.lit(None, pl.String).alias("id_text"))


def _expand_months(persons: np.ndarray, first: np.ndarray, last: np.ndarray, extra: dict) -> pl.DataFrame:
    lengths = np.maximum(last - first + 1, 0)
    owner = np.repeat(np.arange(len(persons)), lengths)
    offset = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return pl.DataFrame({"person": persons[owner], "period": first[owner] + offset,
                         **{k: np.asarray(v)[owner] for k, v in extra.items()}})


def _add_outliers(cast: _Cast, rng: np.random.Generator, candidates: np.ndarray) -> None:
    """A few lawful-looking people whose amount jumps eightfold for some months (for M01 only)."""
    count = min(len(candidates), max(3, len(candidates) // 2500))
    for person in rng.choice(candidates, count, replace=False) if count else []:
        first = cast.m0 + int(rng.integers(0, max(cast.months - 3, 1)))
        cast.outliers.append((int(person), first, first + int(rng.integers(1, 3))))


def _add_reference_only_people(cast: _Cast, recipients: int) -> None:
    """People who appear only on the other departments' lists (most of every list)."""
    rng = np.random.default_rng([cast.seed, 20])
    m0, m1 = cast.m0, cast.m1
    sizes = {"deaths": max(20, recipients // 25), "prisoners": max(10, recipients // 100),
             "public_employees": max(20, recipients // 20), "workers": max(20, recipients // 30)}
    age_years = {"deaths": (40, 100), "prisoners": (18, 70), "public_employees": (22, 59), "workers": (20, 55)}
    regions = np.array(CITY_COUNTIES + FORMER_COUNTIES)
    for group, n in sizes.items():
        male = rng.random(n) < (0.9 if group == "prisoners" else 0.5)
        birth_month = m1 - rng.integers(*age_years[group], n) * 12 - rng.integers(0, 12, n)
        birth = _random_dates_in(rng, birth_month)
        region = np.where(rng.random(n) < 0.8, np.array(cast.counties)[rng.integers(0, len(cast.counties), n)],
                          regions[rng.integers(0, len(regions), n)])
        ids = _ids_avoiding(rng, region, birth, male, cast.used_ids)
        cast.used_ids.update(ids.tolist())
        person = np.arange(n) + cast.next_person
        cast.next_person += n
        names = random_names(rng, male)
        if group == "deaths":
            names[: len(RARE_NAMES)] = RARE_NAMES[: min(n, len(RARE_NAMES))]
        legacy = (group == "prisoners") & (birth < np.datetime64("1975-01-01")) & (rng.random(n) < 0.3)
        cast.frames["persons"].append(pl.DataFrame({
            "person": person, "home": region, "male": male, "birth": birth, "name": names, "id18": ids,
            "id_recipients": pl.Series([None] * n, dtype=pl.String),
            "id_payments": pl.Series([None] * n, dtype=pl.String),
            "account_owner": person, "recipient": np.zeros(n, dtype=bool), "plain": np.zeros(n, dtype=bool),
        }))
        if group == "deaths":
            reports = _death_reports(rng, person, _random_dates_in(rng, _between(rng, m0 - 24, m1, n)))
            cast.frames["deaths"].append(reports)
        elif group == "prisoners":
            start_month = _between(rng, m0 - 60, m1, n)
            serving = rng.random(n) < 0.3
            end = _random_dates_in(rng, start_month + rng.integers(6, 121, n))
            cast.frames["prisoners"].append(pl.DataFrame({
                "person": person, "sentence_start": _random_dates_in(rng, start_month),
                "sentence_end": pl.Series(np.where(serving, np.datetime64("NaT"), end)),
                "offence": np.array(OFFENCES)[rng.integers(0, len(OFFENCES), n)],
            }).with_columns(pl.Series("legacy", legacy)))
        elif group == "public_employees":
            join_month = np.minimum(birth_month + rng.integers(22, 30, n) * 12, m1 - 1)
            joined = _random_dates_in(rng, join_month)
            left = rng.random(n) < 0.1
            cast.frames["public_employees"].append(pl.DataFrame({
                "person": person,
                "unit_name": np.char.add(np.array([COUNTY_NAMES.get(r, "杭州市") for r in region], dtype="U8"),
                                         np.array(PUBLIC_UNITS)[rng.integers(0, len(PUBLIC_UNITS), n)]),
                "start_date": joined,
                "end_date": pl.Series(np.where(
                    left, _random_dates_in(rng, _between(rng, np.maximum(join_month + 1, m0 - 36), np.full(n, m1))),
                    np.datetime64("NaT"))),
            }))
        else:
            first = _between(rng, m0 - 12, m1, n)
            last = _between(rng, first, np.full(n, m1))
            cast.frames["employment"].append(_expand_months(person, first, last, {"unit_name": np.char.add(
                np.array([COUNTY_NAMES.get(r, "杭州市") for r in region], dtype="U8"),
                np.array(EMPLOYERS)[rng.integers(0, len(EMPLOYERS), n)])}))


# ----------------------------------------------------------------------------------------------
# Assembly: from people and spells to canonical tables


def _plants_per_rule(persons: int) -> int:
    return 3 + max(0, int(math.log2(max(persons, 1) / 3000)))


def build_city(counties: int = 3, persons: int = 3000, months: int = 24, seed: int = 0,
               start_period: str = "202301") -> City:
    if not 1 <= counties <= len(CITY_COUNTIES):
        raise ValueError(f"counties must be 1..{len(CITY_COUNTIES)}")
    if months < 13:
        raise ValueError("months must be at least 13 (unemployment plants need 13 periods)")
    first_month = month_index(start_period)
    cast = _Cast(list(CITY_COUNTIES[:counties]), first_month, first_month + months - 1, seed)
    cast.plant_all(_plants_per_rule(persons))
    plant_identity(cast, _plants_per_rule(persons))
    _plant_staff_rules(cast, _plants_per_rule(persons))
    planted_people = len({r["person"] for r in cast.recipient_rows})
    if persons < planted_people + 100:
        raise ValueError(f"persons must be at least {planted_people + 100} (the plants alone need {planted_people})")
    cast.next_person = len(cast.person_rows) + persons - planted_people
    _add_base_population(cast, persons - planted_people)
    _add_reference_only_people(cast, persons)
    city = _assemble(cast)
    _add_staff_and_operations(cast, city)
    return city


def _frame(rows: list[dict], schema: dict) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


TRUTH_SCHEMA = {"rule_id": pl.String, "region_code": pl.String, "subject_key": pl.String, "kind": pl.String,
                "scope": pl.String, "case": pl.String, "amount": pl.String, "note": pl.String}


def _out_of_order(frame: pl.DataFrame, rng: np.random.Generator, subject: str, natural: list[str]) -> pl.DataFrame:
    """The rows shuffled, and the rows of a subject with several (schemes, units, sentences, reports)
    placed in the reverse of their natural order, so that no export lists them sorted."""
    slot = pl.col("_slot")
    return (frame.with_columns(pl.Series("_slot", rng.permutation(frame.height)))
            .sort(subject, *natural, "_slot")
            .with_columns(slot.sort(descending=True).over(subject))
            .sort("_slot").drop("_slot"))


def _received_groups(payments: pl.DataFrame) -> pl.DataFrame:
    """Per person, scheme, benefit type and period: the net received (退回/失败 rows left out, reversals
    subtracted) and the first received payment; groups whose net is zero or less are dropped."""
    received = payments.filter(pl.col("pay_status").is_null() | (pl.col("pay_status") == SUCCEEDED))
    return (received.sort("pay_date", "payment_id")
            .group_by("id18", "scheme", "benefit_type", "period", maintain_order=True)
            .agg(pl.col("amount_fen").sum().alias("net"),
                 pl.col("amount_fen").filter(pl.col("amount_fen") > 0).first().alias("first"))
            .filter(pl.col("net") > 0))


def _expected_amount(groups: pl.DataFrame, expect: Expect) -> str:
    types = pl.col("benefit_type")
    chosen = groups.filter(
        pl.col("period").is_in(sorted(expect.periods)),
        pl.col("scheme").is_in(sorted(expect.schemes)) if expect.schemes is not None else pl.lit(True),
        types.is_in(sorted(expect.benefit_types)) if expect.benefit_types is not None
        else ~types.is_in(sorted(DEATH_RELATED)))
    fen = int((chosen["net"] - chosen["first"]).sum() if expect.less_first else chosen["net"].sum())
    if fen <= 0:
        raise ValueError(f"a plant expects no improper amount: {expect}")
    return f"{fen // 100}.{fen % 100:02d}"


def _assemble(cast: _Cast) -> City:
    rng = np.random.default_rng([cast.seed, 30])
    person_schema = {"person": pl.Int64, "home": pl.String, "male": pl.Boolean, "birth": pl.Date,
                     "name": pl.String, "id18": pl.String, "id_recipients": pl.String, "id_payments": pl.String,
                     "account_owner": pl.Int64, "recipient": pl.Boolean, "plain": pl.Boolean}
    people = pl.concat([_frame(cast.person_rows, person_schema)]
                       + [f.cast(person_schema) for f in cast.frames["persons"]])
    accounts = bank_accounts(rng, people.height)
    people = people.with_columns(pl.Series("own_account", accounts)).with_columns(
        pl.col("own_account").gather(pl.col("account_owner")).alias("account"))  # persons are 0..n-1 in order

    recipient_schema = {"person": pl.Int64, "county": pl.String, "scheme": pl.String, "personnel_type": pl.String,
                        "unit_type": pl.String, "retirement_type": pl.String, "benefit_start": pl.Int64,
                        "status": pl.String, "contribution_months": pl.Int64, "shown_birth": pl.Date,
                        "shown_male": pl.Boolean}
    recipients = pl.concat([_frame(cast.recipient_rows, recipient_schema)]
                           + [f.cast(recipient_schema) for f in cast.frames["recipients"]])
    links = recipients.select("person", "county").unique(maintain_order=True)
    links = links.with_columns(pl.Series("shuffle", rng.permutation(links.height))).sort("county", "shuffle")
    links = links.with_columns(
        (pl.col("county") + (pl.int_range(pl.len()).over("county") + 10001).cast(pl.String).str.zfill(8))
        .alias("person_id")).drop("shuffle")

    def rendered_id(column: str) -> pl.Expr:
        return pl.coalesce(pl.col(column), pl.col("id18")).alias("id_text")

    recipients = (recipients.join(links, on=["person", "county"])
                  .join(people, on="person")
                  .with_columns(rendered_id("id_recipients"),
                                pl.coalesce("shown_birth", "birth").alias("birth_date"),
                                pl.coalesce("shown_male", "male").alias("male"))
                  .select("county", "person", "person_id", "id_text", "name", "male", "birth_date", "scheme",
                          "personnel_type", "unit_type", "retirement_type", "benefit_start", "status",
                          "contribution_months")
                  .sort("county", "person_id", "scheme"))
    order_rng = np.random.default_rng([cast.seed, 40])
    recipients = pl.concat([_out_of_order(part, order_rng, "person", ["scheme"])
                            for part in recipients.partition_by("county", maintain_order=True)])

    payments = _payments(cast, rng, people, links)
    payments, quarantine, duplicate_owner = _place_in_files(cast, rng, payments)
    if duplicate_owner is not None:
        county, id18 = duplicate_owner
        cast.truth("P01", county, id18, "near_miss", "exact-duplicate-row",
                   "the export repeats one payment row exactly (same payment_id): an artefact, not a duplicate payment")

    id_column = [rendered_id("id_text_override").alias("id_text")]
    deaths = (pl.concat([_frame(cast.death_rows, {"person": pl.Int64, "death_date": pl.Date, "source": pl.String,
                                                  "id_text": pl.String})]
                        + [f.cast({"person": pl.Int64, "death_date": pl.Date, "id_text": pl.String})
                           for f in cast.frames["deaths"]])
              .rename({"id_text": "id_text_override"}).join(people, on="person")
              .with_columns(*id_column).select("person", "id_text", "name", "death_date", "source")
              .sort("source", "death_date", "id_text"))
    deaths = _out_of_order(deaths, order_rng, "person", ["source", "death_date"]).drop("person")
    prisoner_schema = {"person": pl.Int64, "sentence_start": pl.Date, "sentence_end": pl.Date, "offence": pl.String}
    prisoners = (pl.concat([_frame(cast.prisoner_rows, prisoner_schema)]
                           + [f.select(*prisoner_schema).cast(prisoner_schema) for f in cast.frames["prisoners"]])
                 .join(people, on="person"))
    legacy = pl.concat([f.select("person", "legacy") for f in cast.frames["prisoners"] if "legacy" in f.columns])
    prisoners = (prisoners.join(legacy, on="person", how="left")
                 .with_columns(pl.when(pl.col("legacy").fill_null(False))
                               .then(pl.col("id18").str.slice(0, 6) + pl.col("id18").str.slice(8, 9))
                               .otherwise(pl.col("id18")).alias("id_text"))
                 .select("person", "id_text", "name", "sentence_start", "sentence_end", "offence")
                 .sort("sentence_start", "id_text"))
    prisoners = _out_of_order(prisoners, order_rng, "person", ["sentence_start"]).drop("person")
    employee_schema = {"person": pl.Int64, "unit_name": pl.String, "start_date": pl.Date, "end_date": pl.Date}
    public_employees = (pl.concat([_frame(cast.public_employee_rows, employee_schema)]
                                  + [f.cast(employee_schema) for f in cast.frames["public_employees"]])
                        .join(people, on="person")
                        .select("person", pl.col("id18").alias("id_text"), "name", "unit_name", "start_date",
                                "end_date")
                        .sort("unit_name", "start_date", "id_text"))
    public_employees = _out_of_order(public_employees, order_rng, "person", ["unit_name", "start_date"])
    public_employees = public_employees.drop("person")
    employment_schema = {"person": pl.Int64, "period": pl.Int64, "unit_name": pl.String}
    employment = (pl.concat([_frame(cast.employment_rows, employment_schema)]
                            + [f.cast(employment_schema) for f in cast.frames["employment"]])
                  .join(people, on="person")
                  .select(pl.col("id18").alias("id_text"), "name", "period", "unit_name")
                  .sort("period", "id_text"))

    self_approvals = (payments.filter(pl.col("operator_id") == pl.col("reviewer_id"))
                      .group_by("county", "operator_id").agg(pl.len()))
    received = _received_groups(payments.filter(
        pl.col("bad_column").is_null() & pl.col("duplicate_of_line").is_null()
        & pl.col("id18").is_in([r["subject_key"] for r in cast.truth_rows if r["expect"] is not None])))
    truth = []
    for row in cast.truth_rows:
        subject = row["subject_key"]
        if isinstance(subject, tuple):
            subject = accounts[subject[1]]
        expect = row.pop("expect")
        amount = None if expect is None else _expected_amount(received.filter(pl.col("id18") == subject), expect)
        truth.append({**row, "subject_key": subject, "amount": amount})
    for county, staff, _ in cast.a03_plants:
        count = self_approvals.filter((pl.col("county") == county) & (pl.col("operator_id") == staff))["len"]
        truth.append(dict(rule_id="A03", region_code=county, subject_key=staff, kind="plant", scope="county",
                          case="self-approval", note=f"{staff} approved {int(count.sum())} of their own payments"))
    truth.extend(cast.a03_near_misses)
    ground_truth = pl.DataFrame(truth, schema=TRUTH_SCHEMA, orient="row")
    return City(counties=cast.counties, first_month=cast.m0, last_month=cast.m1, seed=cast.seed, persons=people,
                recipients=recipients, payments=payments, deaths=deaths, prisoners=prisoners,
                public_employees=public_employees, employment=employment, ground_truth=ground_truth,
                expected_quarantine=quarantine, skipped=cast.skipped)


def _payments(cast: _Cast, rng: np.random.Generator, people: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    m0, m1 = cast.m0, cast.m1
    spell_schema = {"person": pl.Int64, "county": pl.String, "scheme": pl.String, "benefit_type": pl.String,
                    "first": pl.Int64, "last": pl.Int64, "base_fen": pl.Int64, "raises": pl.Boolean}
    spells = pl.concat([_frame(cast.spell_rows, spell_schema)] + [f.cast(spell_schema) for f in cast.frames["spells"]])
    first = np.maximum(spells["first"].to_numpy(), m0)
    last = np.minimum(spells["last"].to_numpy(), m1)
    lengths = np.maximum(last - first + 1, 0)
    owner = np.repeat(np.arange(spells.height), lengths)
    period = first[owner] + np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    raises = spells["raises"].to_numpy()[owner]
    amount = np.rint(spells["base_fen"].to_numpy()[owner]
                     * np.where(raises, 1.03 ** (period // 12 - cast.first_year), 1.0)).astype(np.int64)
    county_position = {c: i for i, c in enumerate(cast.counties)}
    county_of_row = spells["county"].replace_strict(county_position, return_dtype=pl.Int64).to_numpy()[owner]
    pay_day = cast.county_pay_days[county_of_row, period - m0]
    regular = spells.select(pl.col("person", "county", "scheme", "benefit_type").gather(owner)).with_columns(
        pl.Series("period", period), pl.Series("pay_date", _dates_in(period, pay_day)),
        pl.Series("amount_fen", amount))
    group = ["person", "county", "scheme", "benefit_type", "period"]
    key_schema = {"person": pl.Int64, "county": pl.String, "scheme": pl.String, "benefit_type": pl.String,
                  "period": pl.Int64}
    not_received = _frame(cast.status_rows, {**key_schema, "pay_status": pl.String})
    regular = regular.join(not_received, on=group, how="left", maintain_order="left")
    reversals = (_frame(cast.reversal_rows, {**key_schema, "pay_date": pl.Date})
                 .join(regular.select(*group, "amount_fen"), on=group, how="inner", maintain_order="left")
                 .with_columns(-pl.col("amount_fen"), pl.lit(None, pl.String).alias("pay_status")))
    if reversals.height != len(cast.reversal_rows):
        raise ValueError("a reversal names a period with no regular payment")

    one_off_schema = {**key_schema, "pay_date": pl.Date, "amount_fen": pl.Int64, "pay_status": pl.String}
    planted = _frame(cast.one_off_rows, one_off_schema)
    base = pl.concat(cast.frames["one_offs"]).cast({"period": pl.Int64, "paid_month": pl.Int64, "amount_fen": pl.Int64})
    base_county = base["county"].replace_strict(county_position, return_dtype=pl.Int64).to_numpy()
    base_paid = base["paid_month"].to_numpy()
    base = base.drop("paid_month").with_columns(
        pl.Series("pay_date", _dates_in(base_paid, cast.county_pay_days[base_county, base_paid - m0])),
        pl.lit(None, pl.String).alias("pay_status"),
    ).select(*one_off_schema)
    payments = (pl.concat([frame.select(*one_off_schema).cast(one_off_schema)
                           for frame in (regular, planted, base, reversals)])
                .filter(pl.col("period") <= m1)
                .join(links, on=["person", "county"])
                .join(people.select("person", "name", "id18", "id_payments", "account", "plain"), on="person")
                .with_columns(pl.coalesce("id_payments", "id18").alias("id_text"))
                .drop("id_payments"))

    outliers = pl.DataFrame(cast.outliers, schema={"person": pl.Int64, "from": pl.Int64, "to": pl.Int64},
                            orient="row")
    payments = (payments.join(outliers, on="person", how="left")
                .with_columns(pl.when(pl.col("period").is_between(pl.col("from"), pl.col("to"))
                                      & (pl.col("benefit_type") == PENSION))
                              .then(pl.col("amount_fen") * 8).otherwise("amount_fen").alias("amount_fen"),
                              (pl.col("plain") & pl.col("from").is_null()).alias("plain"))
                .drop("from", "to"))

    split_counties = [c for i, c in enumerate(cast.counties) if layout_for(i).splits_resident_pension]
    split = (pl.col("county").is_in(split_counties) & (pl.col("scheme") == "170")
             & (pl.col("benefit_type") == PENSION))
    parts = payments.filter(split)
    basic = pl.col("amount_fen").sign() * (pl.col("amount_fen").abs() * 3 // 5 // 100 * 100)
    payments = pl.concat([
        payments.filter(~split),
        parts.with_columns(pl.lit(BASIC_PENSION).alias("benefit_type"), basic.alias("amount_fen")),
        parts.with_columns(pl.lit(ACCOUNT_PENSION).alias("benefit_type"),
                           (pl.col("amount_fen") - basic).alias("amount_fen")),
    ])

    payments = payments.sort("county", "pay_date", "person_id", "scheme", "benefit_type", "period", "amount_fen",
                              "pay_status", nulls_last=True, maintain_order=True)
    n = payments.height
    operator = rng.integers(0, STAFF_PER_COUNTY, n)
    reviewer = (operator + 1 + rng.integers(0, STAFF_PER_COUNTY - 1, n)) % STAFF_PER_COUNTY
    county_number = payments["county"].replace_strict(county_position, return_dtype=pl.Int64).to_numpy() + 1
    staff = np.char.add("JB", np.char.zfill(county_number.astype("U2"), 2))
    operator_id = np.char.add(staff, np.char.zfill((operator + 1).astype("U2"), 2))
    reviewer_id = np.char.add(staff, np.char.zfill((reviewer + 1).astype("U2"), 2))

    county_col = payments["county"].to_numpy()
    plain = payments["plain"].to_numpy()
    touched = np.zeros(n, dtype=bool)
    plant_staff = {staff_id for _, staff_id, _ in cast.a03_plants}
    for county, staff_id, count in cast.a03_plants:
        candidates = np.flatnonzero((county_col == county) & plain & ~touched)
        chosen = rng.choice(candidates, min(count, len(candidates)), replace=False)
        operator_id[chosen] = staff_id
        reviewer_id[chosen] = staff_id
        touched[chosen] = True
    operator_id = operator_id.astype(object)
    reviewer_id = reviewer_id.astype(object)
    near_county = cast.counties[-1]
    candidates = np.flatnonzero((county_col == near_county) & plain & ~touched)
    both_empty, reviewer_missing = rng.choice(candidates, 2, replace=False)
    operator_id[both_empty] = reviewer_id[both_empty] = None
    while operator_id[reviewer_missing] in plant_staff or reviewer_missing == both_empty:
        reviewer_missing = rng.choice(candidates)
    reviewer_id[reviewer_missing] = None
    touched[[both_empty, reviewer_missing]] = True
    cast.a03_near_misses.append(dict(rule_id="A03", region_code=near_county, subject_key="", kind="near_miss",
                                     scope="county", case="both-empty",
                                     note="a payment with neither 经办人 nor 审核人 (empty = empty is not a clue)"))
    cast.a03_near_misses.append(dict(rule_id="A03", region_code=near_county,
                                     subject_key=operator_id[reviewer_missing], kind="near_miss",
                                     scope="county", case="reviewer-empty", note="a payment with 经办人 but no 审核人"))

    payment_id = (payments.select(pl.col("county") + (pl.int_range(pl.len()).over("county") + 1)
                                  .cast(pl.String).str.zfill(9))).to_series()
    return payments.with_columns(
        payment_id.alias("payment_id"),
        pl.Series("operator_id", operator_id.tolist(), dtype=pl.String),
        pl.Series("reviewer_id", reviewer_id.tolist(), dtype=pl.String),
        pl.Series("touched", touched),
    ).select("county", "payment_id", "person_id", "id_text", "name", "scheme", "benefit_type", "period",
             "pay_date", "amount_fen", "account", "operator_id", "reviewer_id", "pay_status", "id18", "plain",
             "touched")


BAD_VALUES = (  # column, value (None = empty), kind
    ("pay_date", "{year}-02-30", "bad_value"),
    ("amount", "N/A", "bad_value"),
    ("id_number", None, "missing"),
    ("period", None, "missing"),
    ("period", "{year}-13", "bad_value"),
)
# Text that is not money (INPUT.md), made from the row's own amount; one per file in turn
BAD_MONEY = ("{yuan},{cents}", "1,2,3", "{yuan}，{cents}", "{yuan}.{cents}5", "{mantissa}e3", "({yuan}.{cents})")


def _place_in_files(cast: _Cast, rng: np.random.Generator, payments: pl.DataFrame):
    """Decide each row's file and physical line; corrupt a few rows and repeat one exactly."""
    path = pl.concat_str([pl.col("county"), pl.lit("/"), pl.col("county").replace_strict(
        {c: layout_for(i).payments_file for i, c in enumerate(cast.counties)}, return_dtype=pl.String)])
    payments = payments.with_columns(
        path.str.replace("{year}", (pl.col("period") // 12).cast(pl.String), literal=True).alias("path"),
        pl.lit(None, pl.String).alias("bad_column"), pl.lit(None, pl.String).alias("bad_value"),
        pl.lit(None, pl.Int64).alias("duplicate_of_line"),
    ).sort("path", "period", "payment_id")
    payments = payments.with_columns(
        (pl.int_range(pl.len()).over("path") + 2).alias("line"),
        # how the row is formatted where a layout mixes formats; an exact copy keeps its original's
        pl.Series("style", rng.choice(9, payments.height, p=[.5, .1, .1, .06, .06, .06, .04, .04, .04])),
        pl.Series("scheme_by_name", rng.random(payments.height) < 0.1),
    )

    def first_file(position: int) -> str:
        name = layout_for(position).payments_file.replace("{year}", str(cast.m0 // 12))
        return f"{cast.counties[position]}/{name}"

    messy_path = first_file(0)
    targets = [(messy_path, column, value) for column, value, _ in BAD_VALUES]
    targets += [(first_file(j % len(cast.counties)), "amount", form) for j, form in enumerate(BAD_MONEY)]
    targets.append((messy_path, None, None))  # the row repeated exactly
    paths = payments["path"].to_numpy()
    usable = payments["plain"].to_numpy() & ~payments["touched"].to_numpy()
    person_ids = payments["person_id"].to_numpy()
    amounts = payments["amount_fen"].to_numpy()
    bad_column = payments["bad_column"].to_numpy().astype(object)
    bad_value = payments["bad_value"].to_numpy().astype(object)
    seen: set[str] = set()
    for target, column, value in targets:
        row = next(int(r) for r in rng.permutation(np.flatnonzero(usable & (paths == target)))
                   if person_ids[r] not in seen)
        seen.add(person_ids[row])
        if column is None:
            duplicate_row = row
            continue
        yuan, cents = divmod(int(amounts[row]), 100)
        bad_column[row] = column
        bad_value[row] = None if value is None else value.format(
            year=cast.m0 // 12, yuan=yuan, cents=f"{cents:02d}", mantissa=f"{amounts[row] / 100000:.1f}")
    payments = payments.with_columns(pl.Series("bad_column", bad_column.tolist(), dtype=pl.String),
                                     pl.Series("bad_value", bad_value.tolist(), dtype=pl.String))
    in_file = paths == messy_path

    original = payments.row(duplicate_row, named=True)
    lines_in_file = int(in_file.sum()) + 1
    copy_line = min(original["line"] + int(rng.integers(20, 200)), lines_in_file + 1)
    shifted = (pl.col("path") == messy_path) & (pl.col("line") >= copy_line)
    payments = payments.with_columns(pl.when(shifted).then(pl.col("line") + 1).otherwise("line").alias("line"))
    original = payments.row(duplicate_row, named=True)
    copy = pl.DataFrame([{**original, "line": copy_line, "duplicate_of_line": original["line"]}],
                        schema=payments.schema, orient="row")
    payments = pl.concat([payments, copy]).sort("path", "line")

    quarantine = (payments.filter(pl.col("bad_column").is_not_null() | pl.col("duplicate_of_line").is_not_null())
                  .select("path", "line",
                          pl.col("bad_column").fill_null("").alias("column"),
                          pl.when(pl.col("duplicate_of_line").is_not_null()).then(pl.lit("duplicate"))
                          .when(pl.col("bad_value").is_null()).then(pl.lit("missing"))
                          .otherwise(pl.lit("bad_value")).alias("kind"))
                  .sort("path", "line"))
    return payments.drop("plain", "touched"), quarantine, (original["county"], original["id18"])


# ----------------------------------------------------------------------------------------------
# Writing


def _period_text(month: pl.Expr, style: str) -> pl.Expr:
    year, mm = (month // 12).cast(pl.String), (month % 12 + 1).cast(pl.String).str.zfill(2)
    return {"plain": pl.concat_str([year, mm]), "dash": pl.concat_str([year, pl.lit("-"), mm]),
            "cn": pl.concat_str([year, pl.lit("年"), mm, pl.lit("月")])}[style]


def _date_text(day: pl.Expr, style: str) -> pl.Expr:
    return day.dt.strftime({"iso": "%Y-%m-%d", "slash": "%Y/%-m/%-d", "compact": "%Y%m%d"}[style])


HALF_DIGITS, FULL_DIGITS = list("0123456789"), list("０１２３４５６７８９")


def _amount_text(fen: pl.Expr, style: str) -> pl.Expr:
    """Money as exports print it; every style is valid money of the same value (INPUT.md)."""
    size = fen.abs()
    yuan, cents = (size // 100), (size % 100).cast(pl.String).str.zfill(2)
    fixed = pl.concat_str([yuan.cast(pl.String), pl.lit("."), cents])

    def grouped(separator: str) -> pl.Expr:
        return pl.when(yuan >= 1000).then(pl.concat_str([
            (yuan // 1000).cast(pl.String), pl.lit(separator), (yuan % 1000).cast(pl.String).str.zfill(3)])
        ).otherwise(yuan.cast(pl.String))

    def trimmed(text: pl.Expr) -> pl.Expr:
        return text.str.strip_chars_end("0").str.strip_chars_end(".")

    text = {
        "plain": fixed,
        "trimmed": trimmed(fixed),
        "grouped": pl.concat_str([grouped(","), pl.lit("."), cents]),
        "yen": pl.concat_str([pl.lit("¥"), fixed]),
        "fullwidth_yen": pl.concat_str([pl.lit("￥"), fixed]),
        "yuan": pl.concat_str([fixed, pl.lit("元")]),
        "fullwidth": fixed.str.replace_many(HALF_DIGITS, FULL_DIGITS),
        "yen_grouped_yuan": pl.concat_str([pl.lit("￥"), trimmed(pl.concat_str([grouped(","), pl.lit("."), cents])),
                                           pl.lit("元")]),
        "fullwidth_comma": pl.concat_str([grouped("，"), pl.lit("."), cents]),
    }[style]
    return pl.when(fen < 0).then(pl.concat_str([pl.lit("-"), text])).otherwise(text)


def _mixed(choice: pl.Expr, options: list[pl.Expr]) -> pl.Expr:
    expression = options[-1]
    for index in range(len(options) - 2, -1, -1):
        expression = pl.when(choice == index).then(options[index]).otherwise(expression)
    return expression


def _render_payments(rows: pl.DataFrame, layout: Layout) -> pl.DataFrame:
    style = pl.col("style")
    if layout.date_style == "mixed":
        pay_date = _mixed(style % 3, [_date_text(pl.col("pay_date"), s) for s in ("iso", "slash", "compact")])
    else:
        pay_date = _date_text(pl.col("pay_date"), layout.date_style)
    if layout.period_style == "mixed":
        period = _mixed(style // 3, [_period_text(pl.col("period"), s) for s in ("plain", "dash", "cn")])
    else:
        period = _period_text(pl.col("period"), layout.period_style)
    amount = _mixed((style + pl.col("period")) % len(layout.amount_styles),
                    [_amount_text(pl.col("amount_fen"), s) for s in layout.amount_styles])
    scheme = pl.col("scheme")
    if layout.scheme_style == "mixed":
        scheme = pl.when(pl.col("scheme_by_name")).then(
            scheme.replace_strict(SCHEME_NAMES, return_dtype=pl.String)).otherwise(scheme)
    benefit_type = pl.col("benefit_type")
    if layout.pension_label != PENSION:
        benefit_type = pl.when(benefit_type == PENSION).then(pl.lit(layout.pension_label)).otherwise(benefit_type)
    rendered = {
        "payment_id": pl.col("payment_id"), "person_id": pl.col("person_id"), "id_number": pl.col("id_text"),
        "name": pl.col("name"), "scheme": scheme, "benefit_type": benefit_type, "period": period,
        "pay_date": pay_date, "amount": amount, "bank_account": pl.col("account"), "region_code": pl.col("county"),
        "operator_id": pl.col("operator_id"), "reviewer_id": pl.col("reviewer_id"),
    }
    columns = []
    for canonical, header in zip(PAYMENT_COLUMNS, layout.payment_headers):
        value = rendered[canonical]
        value = pl.when(pl.col("bad_column") == canonical).then(pl.col("bad_value")).otherwise(value)
        columns.append(value.alias(header))
    if layout.status_header:
        shown = {"empty": pl.lit(None, pl.String), "success": pl.lit(SUCCEEDED),
                 "mixed": pl.when(style % 2 == 0).then(pl.lit(SUCCEEDED)).otherwise(pl.lit(None, pl.String))}
        columns.append(pl.coalesce(pl.col("pay_status"), shown[layout.status_style]).alias(layout.status_header))
    elif rows["pay_status"].is_not_null().any():
        raise ValueError(f"{layout.key}: a payment 失败 or 退回 in an export without 发放状态")
    if layout.extra_payment_column == "开户银行":
        bank = pl.lit("")
        for prefix, _, bank_name in BANKS:
            bank = pl.when(pl.col("account").str.starts_with(prefix)).then(pl.lit(bank_name)).otherwise(bank)
        columns.append(bank.alias("开户银行"))
    elif layout.extra_payment_column:
        columns.append(pl.when(pl.col("benefit_type") == BACK_PAY).then(pl.lit("调整补发"))
                       .otherwise(pl.lit("")).alias(layout.extra_payment_column))
    return rows.select(columns)


def _render_recipients(rows: pl.DataFrame, layout: Layout) -> pl.DataFrame:
    gender = (pl.when(pl.col("male")).then(pl.lit("男" if layout.gender_style == "zh" else "1"))
              .otherwise(pl.lit("女" if layout.gender_style == "zh" else "2")))
    date_style = "iso" if layout.date_style == "mixed" else layout.date_style
    rendered = {
        "person_id": pl.col("person_id"), "id_number": pl.col("id_text"), "name": pl.col("name"), "gender": gender,
        "birth_date": _date_text(pl.col("birth_date"), date_style), "scheme": pl.col("scheme"),
        "personnel_type": pl.col("personnel_type"), "unit_type": pl.col("unit_type"),
        "retirement_type": pl.col("retirement_type"), "benefit_start": _period_text(pl.col("benefit_start"), "plain"),
        "status": pl.col("status"), "contribution_months": pl.col("contribution_months").cast(pl.String),
        "region_code": pl.col("county"),
    }
    return rows.select(rendered[c].alias(h) for c, h in zip(RECIPIENT_COLUMNS, layout.recipient_headers))


def _write_text(frame: pl.DataFrame, path: Path, encoding: str, separator: str = ",",
                line_terminator: str = "\n") -> None:
    frame = frame.with_columns(pl.col(pl.String).replace("", None))  # blank, not ""
    text = frame.write_csv(separator=separator, line_terminator=line_terminator, quote_style="necessary")
    path.write_bytes(text.encode(encoding))


FIXED_CREATED = datetime(2024, 1, 1)


def _write_xlsx(path: Path, sheet: str, frame: pl.DataFrame, date_columns: set[str],
                number_columns: set[str] = frozenset()) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    workbook.set_properties({"created": FIXED_CREATED, "author": "fundwatch synth"})
    worksheet = workbook.add_worksheet(sheet)
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    worksheet.write_row(0, 0, frame.columns)
    kinds = ["date" if c in date_columns else "number" if c in number_columns else "text" for c in frame.columns]
    for row_number, values in enumerate(frame.iter_rows(), start=1):
        for column, (value, kind) in enumerate(zip(values, kinds)):
            if value is None or value == "":
                continue
            if kind == "date":
                worksheet.write_datetime(row_number, column, value, date_format)
            elif kind == "number":
                worksheet.write_number(row_number, column, float(value))
            else:
                worksheet.write_string(row_number, column, str(value))
    worksheet.set_column(0, len(frame.columns) - 1, 14)
    workbook.close()


def write_city(city: City, out_dir: Path) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, int] = {}
    for position, county in enumerate(city.counties):
        layout = layout_for(position)
        folder = out_dir / county
        folder.mkdir(exist_ok=True)
        county_payments = city.payments.filter(pl.col("county") == county)
        for path in county_payments["path"].unique().sort().to_list():
            rows = _render_payments(county_payments.filter(pl.col("path") == path).sort("line"), layout)
            _write_text(rows, out_dir / path, layout.encoding, layout.payments_separator, layout.line_terminator)
            files[path] = rows.height
        recipients = city.recipients.filter(pl.col("county") == county)
        target = folder / layout.recipients_file
        if target.suffix == ".xlsx":
            frame = _render_recipients(recipients, layout).with_columns(
                pl.Series(layout.recipient_headers[4], recipients["birth_date"]))
            _write_xlsx(target, "待遇领取人员信息", frame, {layout.recipient_headers[4]},
                        {layout.recipient_headers[11]})
        else:
            _write_text(_render_recipients(recipients, layout), target, layout.encoding,
                        layout.recipients_separator, layout.line_terminator)
        files[f"{county}/{layout.recipients_file}"] = recipients.height

    reference = out_dir / "reference"
    reference.mkdir(exist_ok=True)
    deaths = city.deaths.select(
        pl.col("id_text").alias("公民身份号码"), pl.col("name").alias("姓名"),
        _mixed(pl.col("source").replace_strict({s: i for i, s in enumerate(DEATH_SOURCES)}, return_dtype=pl.Int64),
               [_date_text(pl.col("death_date"), DEATH_DATE_STYLE[s]) for s in DEATH_SOURCES]).alias("死亡日期"),
        pl.col("source").alias("数据来源"),
        *([_date_text(pl.col("registered_date"), "iso").alias("登记日期")] if "registered_date" in city.deaths.columns
          else []))
    _write_text(deaths, reference / REFERENCE_FILES["deaths"], "gb18030")
    prisoners = city.prisoners.select(
        pl.col("id_text").alias("身份证号码"), pl.col("name").alias("姓名"),
        _date_text(pl.col("sentence_start"), "iso").alias("服刑开始日期"),
        _date_text(pl.col("sentence_end"), "iso").alias("服刑结束日期"), pl.col("offence").alias("罪名"))
    prisoners.write_parquet(reference / REFERENCE_FILES["prisoners"])
    employees = city.public_employees.select(
        pl.col("id_text").alias("证件号码"), pl.col("name").alias("姓名"), pl.col("unit_name").alias("单位名称"),
        pl.col("start_date").alias("入编日期"), pl.col("end_date").alias("离职日期"))
    _write_xlsx(reference / REFERENCE_FILES["public_employees"], "财政供养人员", employees, {"入编日期", "离职日期"})
    employment = city.employment.select(
        pl.col("id_text").alias("公民身份号码"), pl.col("name").alias("姓名"),
        _period_text(pl.col("period"), "plain").alias("缴费所属期"), pl.col("unit_name").alias("单位名称"))
    _write_text(employment, reference / REFERENCE_FILES["employment"], "utf-8")
    for table, frame in (("deaths", deaths), ("prisoners", prisoners), ("public_employees", employees),
                         ("employment", employment)):
        files[f"reference/{REFERENCE_FILES[table]}"] = frame.height

    _write_staff_and_operations(city, out_dir, files)
    files.update(write_tipoffs(city, out_dir))
    city.ground_truth.sort("rule_id", "kind", "scope", "region_code", "subject_key").write_csv(
        out_dir / "ground_truth.csv")
    city.expected_quarantine.write_csv(out_dir / "expected_quarantine.csv")

    truth = city.ground_truth
    return {
        "counties": {county: layout_for(i).describe() for i, county in enumerate(city.counties)},
        "periods": [yyyymm(city.first_month), yyyymm(city.last_month)],
        "rows": {"payments": city.payments.height, "recipients": city.recipients.height,
                 "deaths": city.deaths.height, "prisoners": city.prisoners.height,
                 "public_employees": city.public_employees.height, "employment": city.employment.height},
        "recipient_people": city.recipients["person"].n_unique(),
        "files": files,
        "plants": dict(sorted(truth.filter(pl.col("kind") == "plant")["rule_id"].value_counts().iter_rows())),
        "near_misses": dict(sorted(truth.filter(pl.col("kind") == "near_miss")["rule_id"].value_counts().iter_rows())),
        "quarantine_rows": city.expected_quarantine.height,
        "skipped": city.skipped,
    }


# ----------------------------------------------------------------------------------------------
# Tip-offs (信访举报线索) and their ground truth


TIPOFF_FILE = "信访举报线索.xlsx"
TIPOFF_TRUTH_SCHEMA = {"tip_id": pl.String, "kind": pl.String, "case": pl.String, "region_code": pl.String,
                       "id_number": pl.String, "expected_match": pl.String, "expected_suggestion": pl.String,
                       "planted_rules": pl.String, "note": pl.String}
# One character of a given name typed as another with the same toneless pinyin (同音字).
HOMOPHONES = dict(pair for pair in (
    "华桦 伟玮 明鸣 军君 勇永 杰洁 涛滔 平萍 芳方 静晶 丽莉 敏闽 红虹 英瑛 兰岚 梅玫 霞夏 燕艳 建健 强墙 刚钢 林琳 斌彬 "
    "峰锋 宇雨 浩皓 凯恺 波博 宁凝 春椿 荣容 福富 宝保 金津 忠中 祥翔 新欣 生升 志智 成诚 民敏 卫为 东冬 兴星 松嵩 "
    "娜纳 秀绣 慧惠 玲铃 桂贵 婷亭 雪薛 琳林 晨辰 欣新 佳嘉 云芸 珍真 琴勤 美媚 翠萃 月悦 芬纷 彩采 莲连 洋阳 磊垒 "
    "鹏朋 飞菲 俊骏 国帼").split())
TIPOFF_CATEGORIES = {"D01": "冒领", "D02": "冒领", "P01": "重复领取", "P02": "重复领取", "P04": "重复领取"}


def _homophone(name: str) -> str | None:
    """The name with its last given-name character that has a 同音字 replaced, or None."""
    for i in range(len(name) - 1, 0, -1):
        if name[i] in HOMOPHONES:
            return name[:i] + HOMOPHONES[name[i]] + name[i + 1:]
    return None


def _partial_id(id18: str, form: int) -> str:
    """How a tip-off shows part of a number: address code and last four, or the birth year too."""
    return id18[:6] + "********" + id18[-4:] if form % 2 == 0 else id18[:10] + "****" + id18[-4:]


def _place(county: str, form: int) -> str:
    name = COUNTY_NAMES[county]
    return (name, county, name[:-1], name + "某街道")[form % 4]


def build_tipoffs(city: City) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Tip-offs about planted persons (a clue must say so), clean persons (the data shows nothing) and
    people who cannot be matched (not a recipient, no number, digits that agree with nobody, another
    county, a number with another name), with full, partial and no ID numbers and 同音字 names; and
    their ground truth (tipoffs_truth.csv: kind, case, the person, the expected 匹配方式 and 建议).

    Matching is judged on a city run (every county's recipients): a county run sees the tip-offs
    about its own people only (the others are 未匹配 there)."""
    rng = np.random.default_rng([city.seed, 70])
    n = max(4, city.persons.filter(pl.col("recipient")).height // 500)
    people = city.persons.select("person", "name", "id18", "plain", "recipient")
    homes = city.recipients.select("person", "county", "id_text").unique(["person", "county"], keep="first")
    shown = homes.join(people, on="person").filter(pl.col("id_text") == pl.col("id18"))
    truth = city.ground_truth
    person_plants = truth.filter((pl.col("kind") == "plant") & (pl.col("scope") == "county")
                                 & pl.col("subject_key").str.contains(r"^[0-9]{17}[0-9X]$"))
    in_truth = set(truth["subject_key"].to_list())
    planted = (person_plants.group_by("region_code", "subject_key", maintain_order=True)
               .agg(pl.col("rule_id").unique().sort().str.join(";").alias("rules"))
               .join(shown.rename({"county": "region_code", "id18": "subject_key"}),
                     on=["region_code", "subject_key"])
               .filter(~pl.col("region_code").str.contains(";"))
               .sort("region_code", "subject_key"))
    planted = planted.unique("subject_key", keep="first", maintain_order=True)
    planted = planted[rng.permutation(planted.height)]
    clean = shown.filter(pl.col("plain") & ~pl.col("id18").is_in(list(in_truth))).sort("county", "person")
    namesakes = clean.filter(pl.len().over("county", "name") > 1)
    clean = pl.concat([namesakes[rng.permutation(namesakes.height)], clean[rng.permutation(clean.height)]]) \
        .unique("person", keep="first", maintain_order=True)
    strangers = (city.persons.filter(~pl.col("recipient")).join(
        pl.DataFrame({"home": city.counties}), on="home").sort("person"))
    strangers = strangers[rng.permutation(strangers.height)]
    counties = city.counties
    rows, truth_rows = [], []
    same_name = {}
    for county, name, id_text in city.recipients.select("county", "name", "id_text").unique().iter_rows():
        same_name.setdefault((county, name), set()).add(id_text)

    def partial_for(county: str, name: str, id18: str, form: int) -> tuple[str, bool]:
        """A partial number for the person, showing digits no namesake in the county shares if it can;
        and whether a namesake still fits it (then the tip-off cannot be matched: ambiguous)."""
        others = same_name.get((county, name), set()) - {id18}
        for shown in (_partial_id(id18, form), _partial_id(id18, form + 1)):
            pattern = re.compile(shown.replace("*", "."))
            if not any(pattern.fullmatch(other) for other in others):
                return shown, False
        return shown, True

    def add(kind: str, case: str, county: str, id18: str | None, name: str, given: str | None, place: str | None,
            match: str, suggestion: str, rules: str = "", note: str = "") -> None:
        tip_id = f"XF{city.seed % 100:02d}{len(rows) + 1:04d}"
        received = date.fromordinal(date(2024, 1, 2).toordinal() + int(rng.integers(0, 300)))
        category = TIPOFF_CATEGORIES.get(rules.split(";")[0], "其他") if rules else ("冒领", "其他", "违规领取")[len(rows) % 3]
        rows.append({"信访编号": tip_id, "收到日期": received, "被反映人姓名": name, "被反映人身份证号": given or "",
                     "所在地": place or "", "反映类型": category,
                     "反映内容": f"群众反映{name}{'存在' + category + '问题' if category != '其他' else '领取待遇情况异常'}"})
        truth_rows.append({"tip_id": tip_id, "kind": kind, "case": case, "region_code": county,
                           "id_number": id18,
                           "expected_match": match, "expected_suggestion": suggestion, "planted_rules": rules,
                           "note": note})

    for i, row in enumerate(planted.head(2 * n).iter_rows(named=True)):
        county, id18, name = row["region_code"], row["subject_key"], row["name"]
        if i % 2 == 0:
            add("planted", "full_id", county, id18, name, id18, None if i % 4 else _place(county, i), "身份证号",
                "数据印证", row["rules"], "the full number and the name as recorded")
        else:
            typed = _homophone(name) if i % 3 == 1 else None
            shown, ambiguous = partial_for(county, name, id18, i)
            add("planted", "ambiguous" if ambiguous else "homophone_partial_id" if typed else "partial_id", county,
                id18, typed or name, shown, _place(county, i), "未匹配" if ambiguous else "身份信息",
                "无法匹配，需人工核实" if ambiguous else "数据印证", row["rules"],
                "the digits a partial number shows, the county" + (", the name typed with a 同音字" if typed else "")
                + ("; a namesake in the county shares the digits shown" if ambiguous else ""))
    clean_rows = list(clean.head(4 * n).iter_rows(named=True))
    for i, row in enumerate(clean_rows[: 3 * n]):
        county, id18, name = row["county"], row["id18"], row["name"]
        if i % 3 == 0:
            add("clean", "full_id", county, id18, name, id18, _place(county, i), "身份证号", "数据未见异常",
                note="a recipient the data has nothing against")
        else:
            typed = _homophone(name) if i % 3 == 2 else None
            shown, ambiguous = partial_for(county, name, id18, i)
            add("clean", "ambiguous" if ambiguous else "homophone_partial_id" if typed else "partial_id", county,
                id18, typed or name, shown, _place(county, i), "未匹配" if ambiguous else "身份信息",
                "无法匹配，需人工核实" if ambiguous else "数据未见异常",
                note="a partial number" + ("; namesakes in the county" if
                                           namesakes.filter(pl.col("person") == row["person"]).height else "")
                + ("; one shares the digits shown" if ambiguous else ""))
    unmatched = "无法匹配，需人工核实"
    for i, row in enumerate(strangers.head(n).iter_rows(named=True)):
        add("unmatched", "not_a_recipient", row["home"], None, row["name"],
            _partial_id(row["id18"], i) if i % 2 == 0 else row["id18"], _place(row["home"], i), "未匹配", unmatched,
            note="a person on no recipient list")
    extra = clean_rows[3 * n:]
    for i, row in enumerate(extra):
        county, id18, name = row["county"], row["id18"], row["name"]
        case = ("no_id", "wrong_digits", "other_county", "name_differs")[i % 4]
        if case == "no_id":
            add("unmatched", case, county, id18, name, None, _place(county, i), "未匹配", unmatched,
                note="a name and a place alone never link")
        elif case == "wrong_digits":
            last4 = f"{(int(id18[-4:-1]) + 500) % 1000:03d}" + id18[-1]
            add("unmatched", case, county, id18, name, id18[:6] + "********" + last4, _place(county, i), "未匹配",
                unmatched, note="the digits shown agree with nobody of that name")
        elif case == "other_county" and len(counties) > 1:
            other = counties[(counties.index(county) + 1) % len(counties)]
            add("unmatched", case, county, id18, name, _partial_id(id18, i), _place(other, i), "未匹配", unmatched,
                note=f"the person is paid in {county}; the tip-off places them in {other}")
        elif case == "name_differs":
            other_name = ("钱" if name[0] != "钱" else "孔") + "某某"
            add("unmatched", case, county, id18, other_name, id18, _place(county, i), "未匹配", unmatched,
                note="a full number whose recipient has another name")
    tipoffs = pl.DataFrame(rows, schema={"信访编号": pl.String, "收到日期": pl.Date, "被反映人姓名": pl.String,
                                         "被反映人身份证号": pl.String, "所在地": pl.String, "反映类型": pl.String,
                                         "反映内容": pl.String}, orient="row")
    order = rng.permutation(tipoffs.height)
    return tipoffs[order], pl.DataFrame(truth_rows, schema=TIPOFF_TRUTH_SCHEMA, orient="row")


def write_tipoffs(city: City, out_dir: Path) -> dict[str, int]:
    """reference/信访举报线索.xlsx and tipoffs_truth.csv at the root."""
    tipoffs, truth = build_tipoffs(city)
    _write_xlsx(Path(out_dir) / "reference" / TIPOFF_FILE, "信访举报线索", tipoffs, {"收到日期"})
    truth.sort("tip_id").write_csv(Path(out_dir) / "tipoffs_truth.csv")
    return {f"reference/{TIPOFF_FILE}": tipoffs.height}


TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".parquet")


def shuffle_exports(source: Path, target: Path, seed: int = 0) -> list[str]:
    """Copy the input folder `source` (county folders and reference/) to `target` with the data rows of
    every table in another order, for determinism tests: the same inputs in any row order must give
    the same clues.

    Text tables keep their header line, encoding, separators and line ends byte for byte (each record
    must be one physical line, as synth writes them); .xlsx sheets are rewritten with the same cell
    types, .parquet files with the same schema. Files at the root (ground truth, expected quarantine)
    are not copied: their line numbers no longer hold. Returns the paths shuffled, relative to `target`.
    """
    import shutil

    import openpyxl

    source, target = Path(source), Path(target)
    rng = np.random.default_rng(seed)
    shuffled = []
    for path in sorted(p for p in source.rglob("*") if p.is_file() and p.parent != source):
        relative = path.relative_to(source)
        out = target / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() not in TABLE_SUFFIXES:
            shutil.copyfile(path, out)
            continue
        if path.suffix.lower() == ".parquet":
            frame = pl.read_parquet(path)
            frame[rng.permutation(frame.height)].write_parquet(out)
        elif path.suffix.lower() == ".xlsx":
            workbook = openpyxl.load_workbook(path, read_only=True)
            writer = xlsxwriter.Workbook(str(out))
            writer.set_properties({"created": FIXED_CREATED, "author": "fundwatch synth"})
            date_format = writer.add_format({"num_format": "yyyy-mm-dd"})
            for sheet in workbook.worksheets:
                rows = list(sheet.iter_rows(values_only=True))
                body = [rows[i] for i in rng.permutation(len(rows) - 1) + 1] if len(rows) > 1 else []
                worksheet = writer.add_worksheet(sheet.title)
                for row_number, values in enumerate(rows[:1] + body):
                    for column, value in enumerate(values):
                        if value is None:
                            continue
                        if isinstance(value, datetime):
                            worksheet.write_datetime(row_number, column, value, date_format)
                        elif isinstance(value, bool):
                            worksheet.write_boolean(row_number, column, value)
                        elif isinstance(value, (int, float)):
                            worksheet.write_number(row_number, column, value)
                        else:
                            worksheet.write_string(row_number, column, str(value))
            workbook.close()
            writer.close()
        else:
            raw = path.read_bytes()
            ending = b"\r\n" if b"\r\n" in raw else b"\n"
            lines = raw.split(ending)
            last = [lines.pop()] if lines[-1] == b"" else []
            header, body = lines[:1], lines[1:]
            out.write_bytes(ending.join(header + [body[i] for i in rng.permutation(len(body))] + last))
        shuffled.append(str(relative))
    return shuffled


def synth(out_dir: Path, counties: int = 3, persons: int = 3000, months: int = 24, seed: int = 0,
          start_period: str = "202301") -> dict:
    """Write a city input folder under `out_dir`; return a summary of what was written and planted."""
    city = build_city(counties=counties, persons=persons, months=months, seed=seed, start_period=start_period)
    return write_city(city, Path(out_dir))


# ----------------------------------------------------------------------------------------------
# Staff and operations (经办人员信息, 经办操作日志, deaths.registered_date) and the S-rules
#
# _plant_staff_rules adds the people of the S-rule plants and near-misses before the city is
# assembled; _add_staff_and_operations then writes, on the assembled city, the operations log of
# every county (ordinary activity: new benefits, suspensions and resumptions of prisoners, ends
# after a death, back pay, legitimate account changes; plus the plants' operations), moves the
# payments after an account change to the new account, lists the staff, dates each death's
# registration at the agency, and derives the 处置时效 ground truth (management_truth.csv).

OPERATIONS_FILE = {"gbk": "经办操作日志.csv"}  # by the county's encoding; otherwise operations.csv
OPERATION_HEADERS = ("操作流水号", "操作时间", "操作类型", "对象身份证号", "经办人", "审核人", "变更前", "变更后",
                     "补发月数", "行政区划代码")
OPERATION_COLUMNS = ("op_id", "op_time", "op_type", "id_number", "operator_id", "reviewer_id", "old_value", "new_value",
                     "months", "region_code")
STAFF_FILE = "经办人员信息.csv"
STAFF_HEADERS = ("工号", "公民身份号码", "姓名", "本人银行账号", "所在机构", "行政区划代码")
DEATH_ONE_OFFS = (FUNERAL, SURVIVOR, ACCOUNT_REFUND)
LEGITIMATE_CHANGE_SHARE = 0.015


def staff_id(cast: _Cast, county: str, number: int) -> str:
    return f"JB{cast.counties.index(county) + 1:02d}{number:02d}"


class _StaffPlan:
    """What the S-rule plants need once accounts exist: operations, account changes, staff."""

    def __init__(self, cast: _Cast):
        self.cast = cast
        self.next_number = {c: 21 for c in cast.counties}  # plant and near-miss staff: JBcc21, JBcc22, ...
        self.operations: list[dict] = []  # county, time, op_type, person, operator, reviewer, old, new, months
        self.changes: list[dict] = []  # person, county, time, account (a key of `accounts`), operator
        self.staff: list[dict] = []  # operator_id, county, person (a recipient) or None, account key or None
        self.truth: list[dict] = []
        self.plant_people: set[int] = set()

    def operator(self, county: str) -> str:
        number = self.next_number[county]
        self.next_number[county] += 1
        self.staff.append(dict(operator_id=staff_id(self.cast, county, number), county=county, person=None,
                               account=("own", county, number)))
        return staff_id(self.cast, county, number)

    def regular(self, county: str) -> str:
        return staff_id(self.cast, county, self.cast.randint(1, STAFF_PER_COUNTY))

    def op(self, county: str, when: datetime, op_type: str, person: int, operator: str, *, old=None, new=None,
           months: int | None = None) -> None:
        reviewer = self.regular(county)
        while reviewer == operator:
            reviewer = self.regular(county)
        self.operations.append(dict(county=county, time=when, op_type=op_type, person=person, operator=operator,
                                    reviewer=reviewer, old=old, new=new, months=months))

    def change(self, county: str, when: datetime, person: int, account, operator: str) -> None:
        self.changes.append(dict(county=county, time=when, person=person, account=account, operator=operator))
        self.op(county, when, "变更账号", person, operator, old=("current", person), new=account)

    def at(self, month: int, day: int, hour: int | None = None) -> datetime:
        moment = day_in(month, day)
        return datetime(moment.year, moment.month, moment.day, hour if hour is not None else self.cast.randint(8, 16),
                        self.cast.randint(0, 59))

    def truth_row(self, rule: str, county: str, subject, kind: str, note: str) -> None:
        self.truth.append(dict(rule_id=rule, region_code=county, subject_key=subject, kind=kind, note=note))


def _plant_staff_rules(cast: _Cast, k: int) -> None:
    """S01–S04 plants and near-misses (CLUES.md), each with operators of its own."""
    plan = _StaffPlan(cast)
    cast.staff_plan = plan
    m0, m1, months = cast.m0, cast.m1, cast.months
    for i in range(k):
        county = cast.county(i)
        # S01: a recipient's pension moved into a clerk's own account; every other plant's clerk works in
        # another county (a clerk in one county paid into an account used in another)
        owner_county = cast.county(i + 1) if i % 2 and len(cast.counties) > 1 else county
        owner = plan.operator(owner_county)
        person = cast.ordinary_retiree(county, "110")
        cast.pay(person, county, "110", m0 - 12, m1, cast.base_amount("110"))
        moved = m0 + cast.randint(3, months - 4)
        plan.change(county, plan.at(moved, cast.randint(1, 6)), person, ("own", owner_county, int(owner[-2:])),
                    owner if owner_county == county else plan.regular(county))
        plan.plant_people.add(person)
        plan.truth_row("S01", county, owner, "plant",
                       f"pension paid into the own account of {owner} (a clerk of {owner_county}) from {yyyymm(moved)}")

        # S02: 恢复发放 after the death month, or 补发 followed by payments for periods after it
        operator = plan.operator(county)
        person = cast.ordinary_retiree(county, "110")
        died_month = m0 + cast.randint(2, months - 7)
        died = day_in(died_month, cast.randint(1, 20))
        cast.death(person, died, "公安")
        amount = cast.base_amount("110")
        cast.pay(person, county, "110", m0 - 12, died_month, amount)
        if i % 2 == 0:
            resumed = died_month + cast.randint(2, 3)
            plan.op(county, plan.at(resumed, cast.randint(1, 5)), "恢复发放", person, operator)
            cast.pay(person, county, "110", resumed, m1, amount)
            note = f"died {died}; 恢复发放 in {yyyymm(resumed)}, paid {yyyymm(resumed)}-{yyyymm(m1)}"
        else:
            paid_month = died_month + cast.randint(3, 4)
            plan.op(county, plan.at(paid_month, cast.randint(1, 5)), "补发", person, operator, months=3)
            for period in range(died_month + 1, died_month + 4):
                cast.one_off(person, county, "110", BACK_PAY, period, cast.pay_day(county, paid_month),
                             amount_in_month(amount, period, cast.first_year))
            note = (f"died {died}; 补发 of {yyyymm(died_month + 1)}-{yyyymm(died_month + 3)} "
                    f"in {yyyymm(paid_month)}")
        plan.plant_people.add(person)
        plan.truth_row("S02", county, operator, "plant", note)
        plan.truth_row("D01", county, ("id", person), "plant", f"S02 plant: {note}")

        # S03: account changed, then three or four months of back pay into the new account
        operator = plan.operator(county)
        person = cast.ordinary_retiree(county, "110")
        amount = cast.base_amount("110")
        cast.pay(person, county, "110", m0 - 12, m1, amount)
        changed = m0 + cast.randint(7, months - 2)
        plan.change(county, plan.at(changed, cast.randint(1, 4)), person, ("outsider", county, i, "S03"), operator)
        arrears = 3 + i % 2
        plan.op(county, plan.at(changed, cast.randint(5, 8)), "补发", person, plan.regular(county), months=arrears)
        for period in range(changed - 6, changed - 6 + arrears):
            cast.one_off(person, county, "110", BACK_PAY, period, cast.pay_day(county, changed),
                         amount_in_month(amount, period, cast.first_year))
        plan.plant_people.add(person)
        plan.truth_row("S03", county, operator, "plant",
                       f"account changed in {yyyymm(changed)}, {arrears} months of back pay into the new account")

        # S04: one operator moves three people to one account (also an A01 clue: one account, three people)
        operator = plan.operator(county)
        first = m0 + cast.randint(2, months - 5)
        target = ("outsider", county, i, "S04")
        for j in range(3):
            scheme = "170" if j % 2 else "110"
            person = cast.ordinary_retiree(county, scheme)
            cast.pay(person, county, scheme, m0 - 12, m1, cast.base_amount(scheme))
            plan.change(county, plan.at(first + j, cast.randint(1, 6)), person, target, operator)
            plan.plant_people.add(person)
        plan.truth_row("S04", county, operator, "plant", f"three people moved to one account from {yyyymm(first)}")
        plan.truth_row("A01", county, ("account", target), "plant", "S04 plant: three people moved to one account")

    _plant_staff_near_misses(cast, plan, k)


def _plant_staff_near_misses(cast: _Cast, plan: _StaffPlan, k: int) -> None:
    m0, m1, months = cast.m0, cast.m1, cast.months
    # S01: a clerk's own pension into the clerk's own account
    county = cast.county(k)
    clerk = plan.operator(county)
    person = cast.ordinary_retiree(county, "110")
    cast.pay(person, county, "110", m0 - 12, m1, cast.base_amount("110"))
    plan.staff[-1].update(person=person, account=None)
    plan.plant_people.add(person)
    plan.truth_row("S01", county, clerk, "near_miss", "a clerk's own pension into the clerk's own account")

    # S02: a resumption before the death; arrears for months alive paid after the death
    county = cast.county(k + 1)
    operator = plan.operator(county)
    person = cast.ordinary_retiree(county, "110", status="终止")
    suspended = m0 + cast.randint(1, months - 9)
    resumed = suspended + 2
    died_month = resumed + cast.randint(2, 4)
    amount = cast.base_amount("110")
    cast.pay(person, county, "110", m0 - 12, suspended - 1, amount)
    cast.pay(person, county, "110", resumed, died_month, amount)
    cast.death(person, day_in(died_month, 20), "民政")
    plan.op(county, plan.at(suspended, cast.randint(1, 5)), "暂停发放", person, plan.regular(county))
    plan.op(county, plan.at(resumed, cast.randint(1, 5)), "恢复发放", person, operator)
    plan.plant_people.add(person)
    plan.truth_row("S02", county, operator, "near_miss",
                   f"恢复发放 in {yyyymm(resumed)}, died {day_in(died_month, 20)}, paid through the death month")

    county = cast.county(k + 2)
    operator = plan.operator(county)
    person = cast.ordinary_retiree(county, "110", status="终止")
    died_month = m0 + cast.randint(3, months - 4)
    amount = cast.base_amount("110")
    cast.pay(person, county, "110", m0 - 12, died_month - 2, amount)
    cast.death(person, day_in(died_month, 8), "卫健")
    plan.op(county, plan.at(died_month + 2, cast.randint(1, 5)), "补发", person, operator, months=2)
    for period in (died_month - 1, died_month):
        cast.one_off(person, county, "110", BACK_PAY, period, cast.pay_day(county, died_month + 2),
                     amount_in_month(amount, period, cast.first_year))
    plan.plant_people.add(person)
    plan.truth_row("S02", county, operator, "near_miss",
                   f"补发 after the death ({day_in(died_month, 8)}) of {yyyymm(died_month - 1)}-{yyyymm(died_month)}, "
                   "months the person was alive")

    # S03: two months of back pay after a change; three months, but 120 days after the change
    for j, (arrears, delay, note) in enumerate(((2, 0, "a 2-month back pay after an account change"),
                                                (3, 4, "3 months of back pay 4 months after the change"))):
        county = cast.county(k + j)
        operator = plan.operator(county)
        person = cast.ordinary_retiree(county, "110")
        amount = cast.base_amount("110")
        cast.pay(person, county, "110", m0 - 12, m1, amount)
        changed = m0 + cast.randint(7, months - 2 - delay)
        plan.change(county, plan.at(changed, 2), person, ("outsider", county, j, "S03 near"), operator)
        paid = changed + delay
        plan.op(county, plan.at(paid, cast.randint(5, 8)), "补发", person, operator, months=arrears)
        for period in range(changed - 6, changed - 6 + arrears):
            cast.one_off(person, county, "110", BACK_PAY, period, cast.pay_day(county, paid),
                         amount_in_month(amount, period, cast.first_year))
        plan.plant_people.add(person)
        plan.truth_row("S03", county, operator, "near_miss", note)

    # S04: one operator moves three people to three different accounts
    county = cast.county(k + 1)
    operator = plan.operator(county)
    first = m0 + cast.randint(2, months - 5)
    for j in range(3):
        person = cast.ordinary_retiree(county, "170")
        cast.pay(person, county, "170", m0 - 12, m1, cast.base_amount("170"))
        plan.change(county, plan.at(first + j, 3), person, ("outsider", county, j, "S04 near"), operator)
        plan.plant_people.add(person)
    plan.truth_row("S04", county, operator, "near_miss", "three people moved to three different accounts")


def _id18_of(text: str) -> str:
    from fundwatch.idnumber import from_legacy15

    text = text.upper()
    return from_legacy15(text) if len(text) == 15 and text.isdigit() else text


def _add_staff_and_operations(cast: _Cast, city: City) -> None:
    plan: _StaffPlan = cast.staff_plan
    rng = np.random.default_rng([cast.seed, 40])
    people = city.persons
    own_account = dict(zip(people["person"].to_list(), people["account"].to_list()))
    id_of = dict(zip(people["person"].to_list(), people["id18"].to_list()))

    # accounts the plans name: clerks' own, outsiders' (an account not the person's), new own cards
    keys = sorted({c["account"] for c in plan.changes} | {s["account"] for s in plan.staff if s["account"]}
                  | {("own", c, n) for c in cast.counties for n in range(1, STAFF_PER_COUNTY + 1)}, key=str)
    recipients = city.recipients
    single = (recipients.group_by("person").agg(pl.col("county").n_unique().alias("n")).filter(pl.col("n") == 1)
              .join(people.filter(pl.col("plain")).select("person"), on="person")["person"].sort())
    chosen = rng.choice(single.to_numpy(), int(len(single) * LEGITIMATE_CHANGE_SHARE), replace=False) \
        if len(single) else np.array([], dtype=np.int64)
    home = dict(recipients.select("person", "county").unique("person", keep="first").iter_rows())
    for person in sorted(int(p) for p in chosen):
        if person in plan.plant_people:
            continue
        county = home[person]
        month = cast.m0 + int(rng.integers(1, cast.months))
        plan.change(county, plan.at(month, int(rng.integers(1, 9))), person, ("card", person), plan.regular(county))
        keys.append(("card", person))
    fresh = bank_accounts(rng, len(keys) + people.height)
    taken = set(own_account.values())
    fresh = [a for a in fresh.tolist() if a not in taken][: len(keys)]
    accounts = dict(zip(keys, fresh))

    def account_text(key) -> str:
        if isinstance(key, tuple) and key[0] == "current":
            return ""
        return accounts[key]

    # payments after an account change go to the new account
    payments = city.payments.with_columns(pl.col("pay_date").cast(pl.Date))
    person_ids = recipients.select("person", "county", "person_id").unique()
    changes = pl.DataFrame([dict(person=c["person"], county=c["county"], changed=c["time"].date(),
                                 new_account=account_text(c["account"])) for c in plan.changes],
                           schema={"person": pl.Int64, "county": pl.String, "changed": pl.Date, "new_account": pl.String},
                           orient="row").join(person_ids, on=["person", "county"])
    old_accounts: dict[tuple[int, datetime], str] = {}
    if changes.height:
        latest = (payments.select("county", "person_id", "pay_date").with_row_index("row")
                  .join(changes, on=["county", "person_id"]).filter(pl.col("pay_date") >= pl.col("changed"))
                  .sort("changed").group_by("row").agg(pl.col("new_account").last()))
        payments = (payments.with_row_index("row").join(latest, on="row", how="left")
                    .with_columns(pl.coalesce("new_account", "account").alias("account")).drop("row", "new_account"))
    city.payments = payments
    # the account a change replaced: the person's own, or the one an earlier change gave
    current = dict(own_account)
    for c in sorted(plan.changes, key=lambda c: c["time"]):
        old_accounts[(c["person"], c["time"])] = current[c["person"]]
        current[c["person"]] = account_text(c["account"])

    _ordinary_operations(cast, city, plan, rng)
    _registered_dates(cast, city, rng)

    # the operations log
    id_text = dict(recipients.select("person", "id_text").unique("person", keep="first").iter_rows())
    rows = []
    for o in sorted(plan.operations, key=lambda o: (o["county"], o["time"], o["person"], o["op_type"])):
        old = o["old"]
        if isinstance(old, tuple) and old[0] == "current":
            old = old_accounts.get((old[1], o["time"]), own_account[old[1]])
        rows.append(dict(county=o["county"], op_time=o["time"], op_type=o["op_type"],
                         id_text=id_text.get(o["person"], id_of[o["person"]]), operator_id=o["operator"],
                         reviewer_id=o["reviewer"], old_value=old,
                         new_value=account_text(o["new"]) if isinstance(o["new"], tuple) else o["new"],
                         months=o["months"]))
    operations = pl.DataFrame(rows, schema={"county": pl.String, "op_time": pl.Datetime, "op_type": pl.String,
                                            "id_text": pl.String, "operator_id": pl.String, "reviewer_id": pl.String,
                                            "old_value": pl.String, "new_value": pl.String, "months": pl.Int64},
                              orient="row")
    city.operations = operations.with_columns(
        (pl.col("county") + (pl.int_range(pl.len()).over("county") + 1).cast(pl.String).str.zfill(7)).alias("op_id"))

    # the staff list: ten regular clerks per county and the plants' operators, each with an own account
    staff_rows = [dict(operator_id=staff_id(cast, c, n), county=c, person=None, account=("own", c, n))
                  for c in cast.counties for n in range(1, STAFF_PER_COUNTY + 1)] + plan.staff
    births = _random_dates_in(rng, np.full(len(staff_rows), cast.m0) - rng.integers(25 * 12, 55 * 12, len(staff_rows)))
    male = rng.random(len(staff_rows)) < 0.5
    names = random_names(rng, male)
    staff = []
    for row, birth, is_male, name in zip(staff_rows, births.astype("datetime64[D]").tolist(), male, names):
        if row["person"] is not None:
            person = row["person"]
            staff.append(dict(operator_id=row["operator_id"], id_text=id_of[person],
                              name=people.filter(pl.col("person") == person)["name"][0],
                              bank_account=own_account[person], county=row["county"]))
            continue
        sequence = int(rng.integers(0, 500))
        while (number := make_id(row["county"], birth, sequence, bool(is_male))) in cast.used_ids:
            sequence = (sequence + 1) % 500
        cast.used_ids.add(number)
        staff.append(dict(operator_id=row["operator_id"], id_text=number, name=str(name),
                          bank_account=accounts[row["account"]], county=row["county"]))
    city.staff = pl.DataFrame(staff, orient="row").sort("county", "operator_id")

    truth = []
    for row in plan.truth:
        subject = row["subject_key"]
        if isinstance(subject, tuple):
            subject = id_of[subject[1]] if subject[0] == "id" else accounts[subject[1]]
        truth.append({"scope": "county", "case": f"staff-{row['rule_id'].lower()}-{row['kind'].replace('_', '-')}",
                      **row, "subject_key": subject})
    city.ground_truth = pl.concat([city.ground_truth, pl.DataFrame(truth, schema=city.ground_truth.schema,
                                                                   orient="row")])
    city.management_truth = _late_stop_truth(city)


def _ordinary_operations(cast: _Cast, city: City, plan: _StaffPlan, rng: np.random.Generator) -> None:
    """The log of a working agency: new benefits, back pay, suspensions and resumptions of prisoners,
    ends after a registered death. None of it is an S-rule case."""
    m0, m1 = cast.m0, cast.m1
    recipients = city.recipients
    for person, county, start in recipients.filter(pl.col("benefit_start").is_between(m0, m1)) \
            .select("person", "county", "benefit_start").sort("county", "person", "benefit_start").iter_rows():
        plan.op(county, plan.at(start, int(rng.integers(1, 6))), "新增待遇", person, plan.regular(county))
    person_of = dict(city.recipients.join(city.persons.select("person", "id18"), on="person")
                     .select("id18", "person").unique("id18", keep="first").iter_rows())
    back_pay = (city.payments.filter((pl.col("benefit_type") == BACK_PAY) & pl.col("duplicate_of_line").is_null())
                .with_columns(pl.col("id18").replace_strict(person_of, default=None, return_dtype=pl.Int64).alias("person"))
                .filter(~pl.col("person").is_in(list(plan.plant_people)))
                .group_by("county", "person", "pay_date").agg(pl.len().alias("months"))
                .sort("county", "person", "pay_date"))
    for county, person, paid, n in back_pay.iter_rows():
        when = paid - (paid - paid.replace(day=1)) if paid.day <= 3 else paid.replace(day=paid.day - 3)
        plan.op(county, datetime(when.year, when.month, when.day, int(rng.integers(8, 17)), int(rng.integers(0, 60))),
                "补发", person, plan.regular(county), months=int(n))
    homes = recipients.select("person", "county").unique().sort("person", "county")
    for id_text, start, end in city.prisoners.select("id_text", "sentence_start", "sentence_end").iter_rows():
        person = person_of.get(_id18_of(id_text))
        if person is None or person in plan.plant_people:
            continue
        for county in homes.filter(pl.col("person") == person)["county"].to_list():
            for day, op_type in ((start, "暂停发放"), (end, "恢复发放")):
                if day is not None and m0 <= month_of(day) <= m1 and day.day <= 25:
                    plan.op(county, datetime(day.year, day.month, day.day + 3, 10, 0), op_type, person,
                            plan.regular(county))


def _registered_dates(cast: _Cast, city: City, rng: np.random.Generator) -> None:
    """When each death reached the agency: a few days to six weeks after it; one in ten not recorded.
    A recipient whose death was registered in the window gets 终止待遇 a few days later."""
    from datetime import timedelta

    deaths = city.deaths
    lag = rng.integers(3, 43, deaths.height)
    unknown = rng.random(deaths.height) < 0.1
    registered = [None if u else d + timedelta(days=int(g))
                  for d, g, u in zip(deaths["death_date"].to_list(), lag, unknown)]
    city.deaths = deaths.with_columns(pl.Series("registered_date", registered, dtype=pl.Date))
    plan: _StaffPlan = cast.staff_plan
    person_of = dict(city.recipients.join(city.persons.select("person", "id18"), on="person")
                     .select("id18", "person").unique("id18", keep="first").iter_rows())
    homes = city.recipients.select("person", "county").unique().sort("person", "county")
    first = (city.deaths.filter(pl.col("registered_date").is_not_null())
             .with_columns(pl.col("id_text").map_elements(_id18_of, return_dtype=pl.String).alias("id18"))
             .group_by("id18").agg(pl.col("registered_date").min()).sort("id18"))
    for id18, day in first.iter_rows():
        person = person_of.get(id18)
        if person is None or person in plan.plant_people or month_of(day) > cast.m1:
            continue
        for county in homes.filter(pl.col("person") == person)["county"].to_list():
            when = day + timedelta(days=int(rng.integers(1, 5)))
            if month_of(when) <= cast.m1:
                plan.op(county, datetime(when.year, when.month, when.day, 9, 30), "终止待遇", person,
                        plan.regular(county))


def _late_stop_truth(city: City) -> pl.DataFrame:
    """处置时效, as planted: for every D01 plant, the periods after the death month whose payment was paid
    after the death was first registered, their amount and who approved them — net, like the rules:
    payments 退回 or 失败 and groups reversed to nothing are not paid."""
    truth = city.ground_truth.filter((pl.col("rule_id") == "D01") & (pl.col("kind") == "plant"))
    deaths = city.deaths.with_columns(pl.col("id_text").map_elements(_id18_of, return_dtype=pl.String).alias("id18"))
    per_person = deaths.group_by("id18").agg(pl.col("death_date").min(), pl.col("registered_date").min())
    received = city.loadable_payments.filter(
        ~pl.col("benefit_type").is_in(sorted(DEATH_RELATED))
        & (pl.col("pay_status").is_null() | (pl.col("pay_status") == SUCCEEDED)))
    paid_groups = _received_groups(received).select("id18", "scheme", "benefit_type", "period")
    paid = (received.join(paid_groups, on=["id18", "scheme", "benefit_type", "period"])
            .join(truth.select(pl.col("region_code").alias("county"), pl.col("subject_key").alias("id18")),
                  on=["county", "id18"])
            .join(per_person, on="id18")
            .filter((pl.col("period") > pl.col("death_date").dt.year() * 12 + pl.col("death_date").dt.month() - 1)
                    & (pl.col("pay_date") > pl.col("registered_date"))))
    rows = (paid.group_by("county", "id18")
            .agg(pl.col("registered_date").first(), pl.col("period").n_unique().alias("months"),
                 (pl.col("amount_fen").sum() / 100).alias("amount"),
                 pl.col("operator_id").drop_nulls().unique().sort().str.join(";").alias("operators"),
                 pl.col("reviewer_id").drop_nulls().unique().sort().str.join(";").alias("reviewers"))
            .sort("county", "id18"))
    return rows.select(pl.col("county").alias("region_code"), pl.col("id18").alias("subject_key"),
                       "registered_date", "months", pl.col("amount").round(2), "operators", "reviewers")


def _write_staff_and_operations(city: City, out_dir: Path, files: dict) -> None:
    if city.operations is None:
        return
    for position, county in enumerate(city.counties):
        layout = layout_for(position)
        english = layout.payment_headers == PAYMENT_COLUMNS
        name = "operations.txt" if english else OPERATIONS_FILE.get(layout.encoding, "operations.csv")
        rows = city.operations.filter(pl.col("county") == county).select(
            pl.col("op_id"), pl.col("op_time").dt.strftime("%Y-%m-%d %H:%M:%S"), pl.col("op_type"), pl.col("id_text"),
            pl.col("operator_id"), pl.col("reviewer_id"), pl.col("old_value"), pl.col("new_value"),
            pl.col("months").cast(pl.String), pl.col("county"))
        rows.columns = list(OPERATION_COLUMNS if english else OPERATION_HEADERS)
        _write_text(rows, out_dir / county / name, layout.encoding, "\t" if english else ",", layout.line_terminator)
        files[f"{county}/{name}"] = rows.height
    staff = city.staff.select(
        "operator_id", "id_text", "name", "bank_account",
        (pl.col("county").replace_strict(COUNTY_NAMES, return_dtype=pl.String) + "社会保险事业管理中心").alias("unit"),
        "county")
    staff.columns = list(STAFF_HEADERS)
    _write_text(staff, out_dir / "reference" / STAFF_FILE, "utf-8-sig")
    files[f"reference/{STAFF_FILE}"] = staff.height
    city.management_truth.with_columns(pl.col("registered_date").cast(pl.String)).write_csv(
        out_dir / "management_truth.csv")
