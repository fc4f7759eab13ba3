"""Reading every format, encoding and header variant of INPUT.md; quarantine and reconciliation."""

import datetime as dt
import hashlib
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from fundwatch.db import connect
from fundwatch.ingest import InputError, discover, encodings
from fundwatch.load import load_inputs
from tests.builders import COUNTY, PAYMENT_HEADERS, RECIPIENT_HEADERS, Person, csv_text, write_county, write_csv

ALICE = Person(1)
BOB = Person(2, male=False, birth=dt.date(1962, 11, 2), scheme="170", benefit_start="202212")


def load(folder: Path, tmp_path: Path):
    con = connect(tmp_path / "run.duckdb")
    reconciliation = load_inputs(con, discover(folder), tmp_path)
    return con, {r["path"]: r for r in reconciliation}


def standard(tmp_path: Path, payments=None, recipients=None, **references) -> Path:
    payments = payments if payments is not None else ALICE.monthly("202301", "202303") + BOB.monthly("202301", "202302", "180.00")
    recipients = recipients if recipients is not None else [ALICE.recipient(), BOB.recipient()]
    return write_county(tmp_path / "in", payments, recipients, **references)


def test_reconciles_every_file(tmp_path):
    county = standard(tmp_path, deaths=[{"id_number": ALICE.id_number, "name": ALICE.name, "death_date": "2023-02-10"}])
    con, files = load(county, tmp_path)
    assert {p: (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) for p, f in files.items()} == {
        "payments.csv": (5, 5, 0), "recipients.csv": (2, 2, 0), "../reference/deaths.csv": (1, 1, 0)}
    row = con.execute("select amount, period, pay_date, source_line from payments where payment_id = ?",
                      [ALICE.payment("202302")["payment_id"]]).fetchone()
    assert row == (pytest.approx(3000), 202302, dt.date(2023, 2, 15), 3)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings_are_detected(tmp_path, encoding):
    county = standard(tmp_path)
    (county / "payments.csv").write_bytes(csv_text(PAYMENT_HEADERS, ALICE.monthly("202301", "202302")).encode(encoding))
    con, files = load(county, tmp_path)
    assert files["payments.csv"]["rows_loaded"] == 2
    assert con.execute("select distinct name from payments").fetchall() == [(ALICE.name,)]


@pytest.mark.parametrize("delimiter, suffix", [("\t", ".txt"), ("|", ".txt"), (",", ".txt")])
def test_txt_with_other_delimiters(tmp_path, delimiter, suffix):
    county = standard(tmp_path)
    (county / "payments.csv").unlink()
    write_csv(county / f"payments{suffix}", PAYMENT_HEADERS, ALICE.monthly("202301", "202304"), delimiter=delimiter)
    _, files = load(county, tmp_path)
    assert files["payments.txt"]["rows_loaded"] == 4


def test_english_headers_and_spaced_chinese_headers(tmp_path):
    county = standard(tmp_path)
    english = {k: k for k in PAYMENT_HEADERS}
    write_csv(county / "payments.csv", english, ALICE.monthly("202301", "202302"))
    spaced = {k: f" {v}\u3000" for k, v in RECIPIENT_HEADERS.items()}
    write_csv(county / "recipients.csv", spaced, [ALICE.recipient()])
    _, files = load(county, tmp_path)
    assert files["payments.csv"]["rows_loaded"] == 2 and files["recipients.csv"]["rows_loaded"] == 1


@pytest.mark.parametrize("aliases", [
    {"id_number": "身份证号码", "amount": "金额", "period": "发放所属期", "payment_id": "流水号", "reviewer_id": "复核人"},
    {"id_number": "证件号码", "period": "所属年月", "pay_date": "支付日期", "bank_account": "社保卡号", "scheme": "险种"},
])
def test_header_aliases(tmp_path, aliases):
    county = standard(tmp_path)
    write_csv(county / "payments.csv", {**PAYMENT_HEADERS, **aliases}, ALICE.monthly("202301", "202302"))
    con, files = load(county, tmp_path)
    assert files["payments.csv"]["rows_loaded"] == 2
    assert con.execute("select count(*) from payments where id_number = ?", [ALICE.id_number]).fetchone()[0] == 2


def test_chinese_file_names_and_split_tables(tmp_path):
    county = standard(tmp_path)
    (county / "payments.csv").unlink()
    write_csv(county / "待遇发放明细_2023.csv", PAYMENT_HEADERS, ALICE.monthly("202301", "202312"), encoding="gbk")
    write_csv(county / "payments_2024.csv", PAYMENT_HEADERS, ALICE.monthly("202401", "202403"))
    (county / "recipients.csv").rename(county / "待遇领取人员信息.csv")
    con, files = load(county, tmp_path)
    assert files["待遇发放明细_2023.csv"]["rows_loaded"] == 12 and files["payments_2024.csv"]["rows_loaded"] == 3
    assert con.execute("select count(*) from payments").fetchone()[0] == 15


def test_mixed_formats_within_columns(tmp_path):
    rows = [
        ALICE.payment("202301", amount="1,234.50", pay_date="2023/1/5"),
        ALICE.payment("2023-02", amount="¥1234.5", pay_date="20230205"),
        ALICE.payment("2023年03月", amount="1234.50", pay_date="2023-03-05", scheme="企业职工基本养老保险",
                      benefit_type="养老金"),
    ]
    con, files = load(standard(tmp_path, payments=rows), tmp_path)
    assert files["payments.csv"]["rows_loaded"] == 3
    assert con.execute("select distinct amount, scheme, benefit_type from payments").fetchall() == [
        (pytest.approx(1234.5), "110", "基本养老金")]
    assert [r[0] for r in con.execute("select period from payments order by period").fetchall()] == [202301, 202302, 202303]


def test_legacy_and_full_width_id_numbers_normalised_once(tmp_path):
    legacy = ALICE.id_number[:6] + ALICE.id_number[8:17]
    rows = [ALICE.payment("202301", id_number=legacy), ALICE.payment("202302", id_number=" " + ALICE.id_number.translate(
        str.maketrans("0123456789", "０１２３４５６７８９")))]
    con, _ = load(standard(tmp_path, payments=rows), tmp_path)
    assert con.execute("select distinct id_number, id_valid from payments").fetchall() == [(ALICE.id_number, True)]


def test_xlsx_with_title_row_and_date_cells(tmp_path):
    county = standard(tmp_path)
    (county / "recipients.csv").unlink()
    workbook = xlsxwriter.Workbook(county / "recipients.xlsx")
    notes = workbook.add_worksheet("说明")
    notes.write(0, 0, "本表为导出数据")
    sheet = workbook.add_worksheet("人员")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write(0, 0, "待遇领取人员信息（导出）")
    for col, header in enumerate(RECIPIENT_HEADERS.values()):
        sheet.write(1, col, header)
    for row_index, person in enumerate((ALICE, BOB), start=2):
        for col, (key, value) in enumerate(person.recipient().items()):
            if key == "birth_date":
                sheet.write_datetime(row_index, col, dt.datetime.combine(person.birth, dt.time()), date_format)
            elif key == "contribution_months":
                sheet.write_number(row_index, col, value)
            else:
                sheet.write_string(row_index, col, str(value))
    workbook.close()
    con, files = load(county, tmp_path)
    assert files["recipients.xlsx"]["rows_loaded"] == 2
    assert con.execute("select birth_date, source_line, contribution_months from recipients order by source_line").fetchall() == [
        (ALICE.birth, 3, 360), (BOB.birth, 4, 360)]


def test_parquet_reference_list(tmp_path):
    county = standard(tmp_path)
    (tmp_path / "in" / "reference").mkdir()
    pl.DataFrame({"公民身份号码": [ALICE.id_number], "姓名": [ALICE.name], "死亡日期": [dt.date(2023, 2, 10)],
                  "数据来源": ["民政"]}).write_parquet(tmp_path / "in" / "reference" / "死亡人员信息.parquet")
    con, files = load(county, tmp_path)
    assert files["../reference/死亡人员信息.parquet"]["rows_loaded"] == 1
    assert con.execute("select death_date, source_line from deaths").fetchone() == (dt.date(2023, 2, 10), 2)


def test_bad_rows_are_quarantined_with_line_column_and_reason(tmp_path):
    rows = ALICE.monthly("202301", "202302") + [
        ALICE.payment("202303", pay_date="2023-02-30"),
        ALICE.payment("202304", amount="N/A"),
        ALICE.payment("202305", id_number=""),
        ALICE.payment("202313", pay_date="2024-01-15"),
    ]
    rows.append(dict(rows[0]))  # exact copy of line 2
    con, files = load(standard(tmp_path, payments=rows), tmp_path)
    assert files["payments.csv"] == {**files["payments.csv"], "rows_read": 7, "rows_loaded": 2, "rows_quarantined": 5}
    quarantined = con.execute(
        "select source_line, column_name, value, reason from quarantine order by source_line").fetchall()
    assert quarantined == [
        (4, "发放日期", "2023-02-30", "日期无法识别或不存在"),  # 列: the header the file prints
        (5, "发放金额", "N/A", "金额无法识别（数字、千分位逗号只分隔三位、最多两位小数）"),
        (6, "公民身份号码", "", "必填项为空"),
        (7, "所属期", "202313", "所属期无法识别（应为YYYYMM）"),
        (8, None, None, "完全重复行（与第2行相同）"),
    ]


def test_same_payment_id_with_different_fields_is_loaded_twice(tmp_path):
    rows = [ALICE.payment("202301"), ALICE.payment("202301", amount="3100.00")]
    con, files = load(standard(tmp_path, payments=rows), tmp_path)
    assert files["payments.csv"]["rows_loaded"] == 2


def test_quoted_newlines_and_short_rows_keep_physical_line_numbers(tmp_path):
    county = standard(tmp_path)
    text = csv_text(PAYMENT_HEADERS, ALICE.monthly("202301", "202303"))
    lines = text.splitlines()
    lines[1] = lines[1].replace(ALICE.name, f'"{ALICE.name}\n（更名）"')
    lines.insert(3, "only,three,fields")
    (county / "payments.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    con, files = load(county, tmp_path)
    assert files["payments.csv"]["rows_read"] == 4 and files["payments.csv"]["rows_loaded"] == 3
    assert [r[0] for r in con.execute("select source_line from payments order by source_line").fetchall()] == [2, 4, 6]
    assert con.execute("select source_line, reason from quarantine").fetchall() == [(5, "字段数为3，与表头的13列不符")]


@pytest.mark.parametrize("damage, message", [
    (lambda c: (c / "payments.csv").write_bytes(b""), "payments.csv: file is empty"),
    (lambda c: (c / "payments.csv").write_bytes("发放流水号,姓名\n1,张三\n".encode()), "required column missing"),
    (lambda c: (c / "payments.csv").write_bytes(b"\xff\xfe\xfa" * 10), "cannot be decoded as UTF-8 or GBK"),
    (lambda c: (c / "recipients.csv").unlink(), "no recipients file"),
    (lambda c: (c / "payments.csv").write_text(
        "公民身份号码,身份证号码,发放流水号\n", encoding="utf-8"), "are both id_number"),
])
def test_unreadable_files_stop_with_one_line(tmp_path, damage, message):
    county = standard(tmp_path)
    damage(county)
    with pytest.raises(InputError, match=message) as caught:
        load(county, tmp_path)
    assert "\n" not in str(caught.value)


def test_unknown_files_are_listed_not_read(tmp_path):
    county = standard(tmp_path)
    (county / "说明.txt").write_text("readme", encoding="utf-8")
    inputs = discover(county)
    assert inputs.ignored == ["说明.txt: not an input table by its name"]
    assert inputs.reference_dir is None and inputs.counties == {COUNTY: county}


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(st.sampled_from([b"a", b"\r", b"\n", b"\r\n", "中".encode(), b"\xd6\xd0", b","]), max_size=40),
       chunk=st.integers(min_value=1, max_value=7))
def test_byte_scan_is_the_same_whatever_the_chunk_boundaries(parts, chunk, tmp_path_factory):
    data = b"".join(parts)
    path = tmp_path_factory.mktemp("scan") / "f.csv"
    path.write_bytes(data)
    default, encodings.READ_CHUNK_BYTES = encodings.READ_CHUNK_BYTES, chunk
    try:
        scan = encodings.scan_bytes(path)
    finally:
        encodings.READ_CHUNK_BYTES = default
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    assert scan.sha256 == hashlib.sha256(data).hexdigest()
    assert scan.size == len(data)
    assert scan.lines == text.count(b"\n") + (0 if data.endswith((b"\n", b"\r")) else 1)
    try:
        data.decode("utf-8")
        assert scan.utf8_ok
    except UnicodeDecodeError:
        assert not scan.utf8_ok
