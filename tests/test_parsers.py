"""The SQL parsers of sql/load/macros.sql, table-driven, and checked by hypothesis: ID numbers against
python-stdnum's `stdnum.cn.ric` (an implementation independent of fundwatch's), the rest against Python."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from fundwatch.idnumber import make_id, to_legacy15
from tests import id_oracle

VALID = make_id("330102", dt.date(1950, 3, 7), 12, True)  # 330102195003070256
VALID_X = "11010519491231002X"


def sql(con, expression: str, value):
    return con.execute(f"select {expression}", {"v": value}).fetchone()[0]


@pytest.mark.parametrize("description, raw, normalised, problem", [
    ("valid 18 digits", VALID, VALID, None),
    ("legacy 15 digits widened", to_legacy15(VALID), VALID, None),
    ("lower-case x", VALID_X.lower(), VALID_X, None),
    ("spaces inside", VALID[:6] + " " + VALID[6:14] + " " + VALID[14:], VALID, None),
    ("full-width digits and X", "１１０１０５１９４９１２３１００２Ｘ", VALID_X, None),
    ("full-width spaces around", "\u3000" + VALID + "\u3000", VALID, None),
    ("wrong check digit", VALID[:-1] + "0", VALID[:-1] + "0", "校验码错误（末位为0，应为6）"),
    ("impossible birth date", "33010219500230123X", "33010219500230123X", "号码中的出生日期19500230不存在"),
    ("16 digits", VALID[:16], VALID[:16], "号码长度为16位（应为18位或15位）"),
    ("letter inside", VALID[:8] + "A" + VALID[9:], VALID[:8] + "A" + VALID[9:], "号码含非法字符"),
])
def test_id_number_normalisation(con, description, raw, normalised, problem):
    assert sql(con, "fw_id_normalise($v)", raw) == normalised, description
    assert sql(con, "fw_id_problem(fw_id_candidate($v))", raw) == problem, description


@pytest.mark.parametrize("raw, expected", [
    ("2023-03-05", dt.date(2023, 3, 5)), ("2023/3/5", dt.date(2023, 3, 5)), ("20230305", dt.date(2023, 3, 5)),
    ("2023年3月5日", dt.date(2023, 3, 5)), ("2023-03-05 00:00:00", dt.date(2023, 3, 5)),
    ("2023-02-30", None), ("0000-00-00", None), ("N/A", None), ("", None), ("  ", None),
])
def test_dates(con, raw, expected):
    assert sql(con, "fw_parse_date($v)", raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("202303", 202303), ("2023-03", 202303), ("2023年03月", 202303), ("2023年3月", 202303), ("2023/3", 202303),
    (" 202303 ", 202303), ("202313", None), ("20233", None), ("2023-03-01", None), ("abc", None),
])
def test_periods(con, raw, expected):
    assert sql(con, "fw_parse_period($v)", raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("1234.5", Decimal("1234.50")), ("1,234.50", Decimal("1234.50")), ("¥1234.50", Decimal("1234.50")),
    ("￥12", Decimal("12.00")), ("-300", Decimal("-300.00")), ("-¥300", Decimal("-300.00")), ("N/A", None),
    ("1.2e5", None), ("1234.567", None), ("", None),
    # INPUT.md's grammar is strict: the sign before the currency sign, nothing between sign and digits
    ("￥ 12", None), ("¥-300", None),
])
def test_money(con, raw, expected):
    assert sql(con, "fw_parse_money($v)", raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("110", "110"), ("企业职工基本养老保险", "110"), ("机关事业单位基本养老保险", "120"),
    ("城乡居民基本养老保险", "170"), ("失业保险", "210"), ("工伤保险", "410"), ("医疗", None),
])
def test_schemes(con, raw, expected):
    assert sql(con, "fw_parse_scheme($v)", raw) == expected


@pytest.mark.parametrize("raw, expected", [("男", "男"), ("1", "男"), ("女", "女"), ("2", "女"), ("x", None)])
def test_gender(con, raw, expected):
    assert sql(con, "fw_parse_gender($v)", raw) == expected


def test_pension_alias(con):
    assert sql(con, "fw_parse_benefit_type($v)", "养老金") == "基本养老金"
    assert sql(con, "fw_parse_benefit_type($v)", "基本养老金补发") == "基本养老金补发"


births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31))


@settings(max_examples=60, deadline=None)
@given(births, st.integers(0, 499), st.booleans())
def test_sql_check_digit_agrees_with_stdnum(con, birth, sequence, male):
    number = make_id("330106", birth, sequence, male)
    assert sql(con, "fw_id_check_char($v)", number[:17]) == ric.calc_check_digit(number) == number[17]
    legacy = to_legacy15(number)
    assert sql(con, "fw_id_normalise($v)", legacy) == number == id_oracle.widen_legacy(legacy)
    assert sql(con, "fw_id_gender($v)", number) == ("男" if int(number[16]) % 2 else "女") == ("男" if male else "女")
    assert sql(con, "fw_id_birth_date($v)", number) == ric.get_birth_date(number) == birth


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=25))
def test_id_parser_never_fails_and_flags_what_stdnum_rejects(con, text):
    """fw_id_problem leaves the address code to A02, and rejects birth dates in the future or before 1880
    (a deliberate difference, docs/id-numbers.md): compare the rest with stdnum."""
    candidate = sql(con, "fw_id_candidate($v)", text)
    problem = sql(con, "fw_id_problem(fw_id_candidate($v))", text)
    if candidate is not None:
        assert (problem is None) == id_oracle.valid_but_for_place(candidate, dt.date.today())


@settings(max_examples=60, deadline=None)
@given(st.decimals(min_value=-10**9, max_value=10**9, places=2))
def test_money_round_trip(con, amount):
    assert sql(con, "fw_parse_money($v)", f"{amount:,}") == amount
    sign = "-" if amount < 0 else ""
    assert sql(con, "fw_parse_money($v)", f"{sign}¥{abs(amount)}") == amount


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_date_formats_round_trip(con, day):
    for text in (day.isoformat(), f"{day.year}/{day.month}/{day.day}", day.strftime("%Y%m%d")):
        assert sql(con, "fw_parse_date($v)", text) == day
    assert sql(con, "fw_parse_period($v)", f"{day.year}年{day.month:02d}月") == day.year * 100 + day.month
