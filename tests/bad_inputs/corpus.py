"""The bad-input corpus: every way an export can be broken, and what fundwatch does with it.

Each case starts from a small valid county (payments.csv: 4 people x 3 months on lines 2-13,
recipients.csv lines 2-5, reference/deaths.csv line 2), damages it, and states the outcome:

- Stop: the file as a whole is unusable; the run stops with one line naming the file and the
  problem (`fundwatch run` exits 2). The message never repeats a cell value.
- Rows: the run goes on; the listed rows are in quarantine (file, line, column, reason), the rest is
  loaded, and rows read = rows loaded + rows quarantined for every file.

`python -m tests.bad_inputs.corpus` prints the table of docs/bad-inputs.md.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import xlsxwriter

from tests.builders import (
    PAYMENT_HEADERS,
    RECIPIENT_HEADERS,
    REFERENCE_HEADERS,
    Person,
    csv_text,
    write_county,
    write_csv,
)

PEOPLE = [
    Person(1, name="王建国"),
    Person(2, name="李秀英", male=False, birth=dt.date(1958, 3, 9)),
    Person(3, name="张伟", birth=dt.date(1949, 12, 31)),
    Person(4, name="刘芳", male=False, birth=dt.date(1960, 1, 20), scheme="170", benefit_start="202001"),
]
PERSONAL = [p.name for p in PEOPLE] + [p.id_number for p in PEOPLE] + [p.account for p in PEOPLE]
PAYMENTS = [row for p in PEOPLE for row in p.monthly("202301", "202303")]  # lines 2..13
RECIPIENTS = [p.recipient() for p in PEOPLE]  # lines 2..5
DEATHS = [{"id_number": PEOPLE[2].id_number, "name": PEOPLE[2].name, "death_date": "2023-02-10", "source": "民政"}]
MAX_FIELD_CHARS = 10_000
LONG_REASON = "字段过长（超过10000个字符）"
UNDECODABLE_REASON = "含有无法解码的字节（与文件其余部分的编码不同）"


def base_county(root: Path) -> Path:
    return write_county(root / "in", PAYMENTS, RECIPIENTS, deaths=DEATHS)


def payments_text(rows: list[dict] | None = None) -> str:
    return csv_text(PAYMENT_HEADERS, PAYMENTS if rows is None else rows)


def with_payment(line: int, **changes) -> list[dict]:
    """The base payments with the row on `line` (2..13) changed."""
    rows = [dict(r) for r in PAYMENTS]
    rows[line - 2].update(changes)
    return rows


def write_payments(county: Path, text: str | bytes, name: str = "payments.csv", encoding: str = "utf-8") -> None:
    (county / name).write_bytes(text if isinstance(text, bytes) else text.encode(encoding))


def replace_payments(county: Path, text: str | bytes, name: str = "payments.csv", encoding: str = "utf-8") -> None:
    (county / "payments.csv").unlink()
    write_payments(county, text, name, encoding)


def lines_of(text: str) -> list[str]:
    return text.splitlines()


def xlsx(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[tuple]] | None = None) -> None:
    book = xlsxwriter.Workbook(path)
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write_string(r, c, str(value))
        for first_row, first_col, last_row, last_col, value in (merges or {}).get(name, []):
            sheet.merge_range(first_row, first_col, last_row, last_col, value)
    book.close()


def table_rows(headers: dict[str, str], rows: list[dict]) -> list[list]:
    return [list(headers.values())] + [["" if r.get(k) is None else r.get(k) for k in headers] for r in rows]


@dataclass
class Stop:
    message: str  # a regex the one-line message must match (it must also name the file)
    file: str = "payments.csv"


@dataclass
class Rows:
    quarantine: list[tuple[str, int, str | None, str]] = field(default_factory=list)  # file, line, column, reason
    loaded: dict[str, int] = field(default_factory=dict)  # rows loaded per file, where it matters
    check: Callable | None = None  # extra assertions on the DuckDB connection
    ignored: list[str] = field(default_factory=list)  # manifest ignored_files


@dataclass
class Case:
    id: str
    what: str
    damage: Callable[[Path], None]
    outcome: Stop | Rows
    note: str = ""  # why this outcome (for docs/bad-inputs.md)


def _loads_all(con) -> None:
    assert con.execute("select count(*) from payments").fetchone()[0] == 12


def _names_intact(con) -> None:
    assert sorted(r[0] for r in con.execute("select distinct name from payments").fetchall()) == sorted(
        p.name for p in PEOPLE)


def _value(sql: str, expected) -> Callable:
    def check(con) -> None:
        assert con.execute(sql).fetchall() == expected, sql
    return check


def _all(*checks: Callable) -> Callable:
    def check(con) -> None:
        for c in checks:
            c(con)
    return check


def _gbk_line_in_utf8(county: Path) -> None:
    lines = payments_text().encode("utf-8").split(b"\n")
    lines[4] = lines[4].decode("utf-8").encode("gbk")  # line 5: 李秀英 in GBK
    write_payments(county, b"\n".join(lines))


def _truncated_utf8_char(county: Path) -> None:
    data = payments_text().encode("utf-8").rstrip(b"\n")
    cut = data.rfind(PEOPLE[3].name.encode("utf-8"))
    write_payments(county, data[:cut + 4])  # line 13 ends in the middle of 芳 (3 bytes)


def _bom_then_gbk(county: Path) -> None:
    write_payments(county, b"\xef\xbb\xbf" + payments_text().encode("gbk"))


def _header_only(county: Path) -> None:
    write_payments(county, lines_of(payments_text())[0] + "\n")


def _split_with_empty_file(county: Path) -> None:
    write_payments(county, lines_of(payments_text())[0] + "\n", name="payments_2024.csv")


def _semicolons(county: Path) -> None:
    write_payments(county, payments_text().replace(",", ";"))


def _cr_only(county: Path) -> None:
    write_payments(county, payments_text().replace("\n", "\r"))


def _crlf(county: Path) -> None:
    write_payments(county, payments_text().replace("\n", "\r\n"))


def _trailing_blank_lines(county: Path) -> None:
    write_payments(county, payments_text() + "\n  \n\n,,,,,,,,,,,,\n")


def _blank_lines_inside(county: Path) -> None:
    lines = lines_of(payments_text())
    write_payments(county, "\n".join(lines[:5] + ["", ""] + lines[5:]) + "\n")


def _quoted_newline(county: Path) -> None:
    text = payments_text().replace(f"{PEOPLE[0].name},", f"\"{PEOPLE[0].name}\n（曾用名）\",", 1)
    write_payments(county, text)


def _truncated_mid_row(county: Path) -> None:
    text = payments_text().rstrip("\n")
    write_payments(county, text[: text.rfind(",2023-03-15")])


def _truncated_in_quotes(county: Path) -> None:
    lines = lines_of(payments_text())
    lines[-1] = lines[-1].replace(f",{PEOPLE[3].name},", f",\"{PEOPLE[3].name[:1]}", 1)
    write_payments(county, "\n".join(lines[:-1] + [lines[-1].split('"')[0] + '"' + PEOPLE[3].name[:1]]))


def _unclosed_quote(county: Path) -> None:
    lines = lines_of(payments_text())
    lines[5] = lines[5].replace(f",{PEOPLE[1].name},", f",\"{PEOPLE[1].name},", 1)  # line 6 opens a quote
    lines[8] = lines[8].replace(f",{PEOPLE[2].name},", f",{PEOPLE[2].name}\",", 1)  # line 9 closes it
    write_payments(county, "\n".join(lines) + "\n")


def _extra_field(county: Path) -> None:
    lines = lines_of(payments_text())
    lines[2] = lines[2].replace(PEOPLE[0].name, PEOPLE[0].name + ",退休", 1)  # line 3: unquoted comma
    write_payments(county, "\n".join(lines) + "\n")


def _nul_byte(county: Path) -> None:
    write_payments(county, payments_text(with_payment(4, name=PEOPLE[0].name[:1] + "\x00" + PEOPLE[0].name[1:])))


def _nul_padding(county: Path) -> None:
    write_payments(county, payments_text().encode("utf-8") + b"\x00" * 4096)


def _long_field(county: Path) -> None:
    write_payments(county, payments_text(with_payment(7, benefit_type="基本养老金" + "x" * (10 << 20))))


def _repeated_header(county: Path) -> None:
    lines = lines_of(payments_text())
    write_payments(county, "\n".join(lines[:7] + [lines[0]] + lines[7:]) + "\n")


def _title_line(county: Path) -> None:
    write_payments(county, "待遇发放明细表（2023年1-3月）,,,,\n导出时间：2023-04-01\n" + payments_text())


def _utf16(county: Path) -> None:
    replace_payments(county, "\ufeff" + payments_text().replace(",", "\t"), name="payments.txt",
                     encoding="utf-16-le")


def _xlsx_as_csv(county: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    write_payments(county, buffer.getvalue())


def _directory(county: Path) -> None:
    (county / "payments_2024.csv").mkdir()


def _broken_link(county: Path) -> None:
    (county / "payments_2024.csv").symlink_to(county / "does-not-exist.csv")


def _xlsx_notes_and_title(county: Path) -> None:
    (county / "recipients.csv").unlink()
    xlsx(county / "recipients.xlsx", {
        "说明": [["本表由系统导出"], ["口径：截至2023年3月"]],
        "人员": [["待遇领取人员信息"], []] + table_rows(RECIPIENT_HEADERS, RECIPIENTS),
    })


def _xlsx_two_data_sheets(county: Path) -> None:
    (county / "payments.csv").unlink()
    xlsx(county / "payments.xlsx", {"2023年1-2月": table_rows(PAYMENT_HEADERS, PAYMENTS[:8]),
                                    "2023年3月": table_rows(PAYMENT_HEADERS, PAYMENTS[8:])})


def _xlsx_merged(county: Path) -> None:
    (county / "payments.csv").unlink()
    rows = table_rows(PAYMENT_HEADERS, PAYMENTS)
    name_col = list(PAYMENT_HEADERS).index("name")
    for r in (2, 3):
        rows[r][name_col] = None  # rows 3-4 of the sheet: the name only in the merged cell above
    xlsx(county / "payments.xlsx", {"明细": rows}, {"明细": [(1, name_col, 3, name_col, PEOPLE[0].name)]})


def _xlsx_not_a_workbook(county: Path) -> None:
    (county / "recipients.csv").unlink()
    (county / "recipients.xlsx").write_text(csv_text(RECIPIENT_HEADERS, RECIPIENTS), encoding="utf-8")


def _xls(county: Path) -> None:
    (county / "payments_2022.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)


def _parquet_typed(county: Path) -> None:
    (county / "recipients.csv").unlink()
    frame = pl.DataFrame([{**r, "birth_date": dt.date.fromisoformat(r["birth_date"]),
                           "contribution_months": r["contribution_months"]} for r in RECIPIENTS])
    frame.rename(RECIPIENT_HEADERS).write_parquet(county / "recipients.parquet")


def _parquet_truncated(county: Path) -> None:
    (county / "recipients.csv").unlink()
    buffer = io.BytesIO()
    pl.DataFrame(RECIPIENTS).rename(RECIPIENT_HEADERS).write_parquet(buffer)
    (county / "recipients.parquet").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])


def _mixed_encodings_across_files(county: Path) -> None:
    write_csv(county / "payments.csv", PAYMENT_HEADERS, PAYMENTS, encoding="gbk")
    write_csv(county / "recipients.csv", RECIPIENT_HEADERS, RECIPIENTS, encoding="utf-8-sig")
    write_csv(county.parent / "reference" / "deaths.csv", REFERENCE_HEADERS["deaths"], DEATHS, encoding="gb18030")


CASES = [
    # --- the file as a whole -------------------------------------------------------------------
    Case("empty-file", "0 bytes", lambda c: write_payments(c, b""), Stop("payments.csv: file is empty")),
    Case("blank-lines-only", "only blank lines and spaces", lambda c: write_payments(c, "\n  \n\r\n"),
         Stop("payments.csv: holds only blank lines")),
    Case("header-only", "the county's only payments file has a header and no rows", _header_only,
         Stop("payments.csv: header only, no data rows"),
         "a county without payments would give an empty clue list that looks like a clean county"),
    Case("header-only-split", "one of two payments files has a header only", _split_with_empty_file,
         Rows(loaded={"payments.csv": 12, "payments_2024.csv": 0}),
         "the table has rows in the other file; an empty part of a split table is plausible"),
    Case("header-only-reference", "deaths.csv has a header only", lambda c: write_csv(
        c.parent / "reference" / "deaths.csv", REFERENCE_HEADERS["deaths"], []),
         Rows(loaded={"../reference/deaths.csv": 0}), "an empty reference list is a list without entries"),
    Case("wrong-delimiter", "semicolon-separated", _semicolons,
         Stop(r"payments.csv: the header row has one column; the separator must be comma, tab or \|")),
    Case("undecodable", "bytes that are neither UTF-8 nor GBK/GB18030", lambda c: write_payments(
        c, b"\x81\x30\xff" * 40), Stop("payments.csv: cannot be decoded as UTF-8 or GBK/GB18030")),
    Case("xlsx-saved-as-csv", "a workbook (zip) with a .csv name", _xlsx_as_csv,
         Stop(r"payments.csv: is an Excel workbook \(zip\), not CSV text")),
    Case("required-column-missing", "no 发放金额 column", lambda c: write_csv(
        c / "payments.csv", {k: v for k, v in PAYMENT_HEADERS.items() if k != "amount"}, PAYMENTS),
         Stop(r"payments.csv: not a payments \(待遇发放明细\) table: required column missing: amount \(发放金额\)")),
    Case("duplicated-header", "公民身份号码 and 身份证号码 both present", lambda c: write_csv(
        c / "payments.csv", {**PAYMENT_HEADERS, "dup": "身份证号码"}, PAYMENTS),
         Stop("payments.csv: columns '公民身份号码' and '身份证号码' are both id_number; keep one")),
    Case("same-header-twice", "姓名 twice", lambda c: write_csv(
        c / "payments.csv", {**PAYMENT_HEADERS, "dup": "姓名"}, PAYMENTS),
         Stop("payments.csv: columns '姓名' and '姓名' are both name; keep one")),
    Case("two-tables-in-name", "payments_recipients.csv", lambda c: write_payments(
        c, payments_text(), name="payments_recipients.csv"),
         Stop("payments_recipients.csv: file name matches several tables", file="payments_recipients.csv")),
    Case("unknown-table-file", "说明.txt and 汇总表.xlsx beside the exports", lambda c: (
        (c / "说明.txt").write_text("导出说明", encoding="utf-8"), (c / "汇总表.xlsx").write_bytes(b"PK")),
         Rows(loaded={"payments.csv": 12}, ignored=["汇总表.xlsx: not an input table by its name",
                                                    "说明.txt: not an input table by its name"]),
         "not read; listed in manifest.json ignored_files"),
    Case("directory", "a folder named payments_2024.csv", _directory,
         Stop("payments_2024.csv: is a folder, not a file", file="payments_2024.csv")),
    Case("broken-link", "payments_2024.csv links to a missing file", _broken_link,
         Stop("payments_2024.csv: broken link or unreadable file", file="payments_2024.csv")),
    Case("legacy-xls", ".xls workbook", _xls,
         Stop("payments_2022.xls: legacy .xls workbooks are not supported", file="payments_2022.xls")),
    Case("xlsx-not-a-workbook", "CSV text with a .xlsx name", _xlsx_not_a_workbook,
         Stop(r"recipients.xlsx: not a readable .xlsx workbook", file="recipients.xlsx")),
    Case("xlsx-two-data-sheets", "two sheets both holding payments", _xlsx_two_data_sheets,
         Stop("payments.xlsx: sheets '2023年1-2月' and '2023年3月' both hold a payments table; "
              "save each sheet as its own file", file="payments.xlsx"),
         "rows could not be traced to a sheet by file and line"),
    Case("parquet-truncated", "half a Parquet file", _parquet_truncated,
         Stop("recipients.parquet: not a readable Parquet file", file="recipients.parquet")),
    # --- encodings -------------------------------------------------------------------------------
    Case("mixed-encodings-across-files", "GBK, UTF-8 with BOM and GB18030 files in one run",
         _mixed_encodings_across_files, Rows(loaded={"payments.csv": 12, "recipients.csv": 4}, check=_names_intact)),
    Case("bom-then-gbk", "a UTF-8 BOM in front of GBK text", _bom_then_gbk,
         Rows(loaded={"payments.csv": 12}, check=_names_intact), "read as GBK; the stray BOM is dropped"),
    Case("gbk-line-in-utf8", "one GBK-encoded row in a UTF-8 file", _gbk_line_in_utf8,
         Rows([("payments.csv", 5, None, UNDECODABLE_REASON)], loaded={"payments.csv": 11})),
    Case("utf16-text", "Excel 'Unicode text' (UTF-16 with BOM, tab-separated) .txt", _utf16,
         Rows(loaded={"payments.txt": 12}, check=_names_intact)),
    Case("truncated-utf8-char", "file cut inside a multi-byte character", _truncated_utf8_char,
         Rows([("payments.csv", 13, None, "字段数为4，与表头的13列不符")], loaded={"payments.csv": 11})),
    # --- lines and fields ------------------------------------------------------------------------
    Case("crlf", "Windows line ends", _crlf, Rows(loaded={"payments.csv": 12}, check=_value(
        "select distinct reviewer_id from payments", [("JB02",)]))),
    Case("cr-only", "old Mac line ends (CR only)", _cr_only, Rows(loaded={"payments.csv": 12}, check=_value(
        "select max(source_line) from payments", [(13,)]))),
    Case("trailing-blank-lines", "blank lines, spaces and empty fields at the end", _trailing_blank_lines,
         Rows(loaded={"payments.csv": 12}), "lines without any value are not rows"),
    Case("blank-lines-inside", "two blank lines in the middle", _blank_lines_inside,
         Rows(loaded={"payments.csv": 12}, check=_value("select max(source_line) from payments", [(15,)]))),
    Case("quoted-newline", "a name with a line break inside quotes", _quoted_newline,
         Rows(loaded={"payments.csv": 12}, check=_value("select max(source_line) from payments", [(14,)]))),
    Case("truncated-last-line", "file cut in the middle of its last row", _truncated_mid_row,
         Rows([("payments.csv", 13, None, "字段数为7，与表头的13列不符")], loaded={"payments.csv": 11})),
    Case("truncated-in-quotes", "file cut inside a quoted field", _truncated_in_quotes,
         Rows([("payments.csv", 13, None, "字段数为4，与表头的13列不符")], loaded={"payments.csv": 11})),
    Case("unclosed-quote", "a quote opened on line 6 closes on line 9", _unclosed_quote,
         Rows([("payments.csv", 6, None, "引号不配对：第6至9行被读成一条记录")], loaded={"payments.csv": 8}),
         "the record has the right number of fields, but its quoted field holds whole rows"),
    Case("extra-field", "an unquoted comma inside a name", _extra_field,
         Rows([("payments.csv", 3, None, "字段数为14，与表头的13列不符")], loaded={"payments.csv": 11})),
    Case("nul-byte", "a NUL byte inside a name", _nul_byte,
         Rows([("payments.csv", 4, "name", "含有NUL字符")], loaded={"payments.csv": 11})),
    Case("nul-padding", "4 KB of NUL bytes after the last line (a copy cut short)", _nul_padding,
         Rows([("payments.csv", 14, None, "字段数为1，与表头的13列不符")], loaded={"payments.csv": 12})),
    Case("10mb-field", "a 10 MB benefit type", _long_field,
         Rows([("payments.csv", 7, "benefit_type", LONG_REASON)], loaded={"payments.csv": 11})),
    Case("repeated-header", "the header again on line 8 (two exports pasted together)", _repeated_header,
         Rows([("payments.csv", 8, "scheme;period;pay_date;amount;region_code",
                "险种类型无法识别;所属期无法识别（应为YYYYMM）;日期无法识别或不存在;金额无法识别（应为最多两位小数的数字）;"
                "行政区划代码不是6位数字")], loaded={"payments.csv": 12})),
    Case("title-lines", "two title lines above the CSV header", _title_line,
         Rows(loaded={"payments.csv": 12}, check=_value("select min(source_line), max(source_line) from payments",
                                                        [(4, 15)]))),
    Case("whitespace-required", "spaces and a full-width space as the name", lambda c: write_payments(
        c, payments_text(with_payment(3, name=" \u3000 "))),
         Rows([("payments.csv", 3, "name", "必填项为空")], loaded={"payments.csv": 11})),
    Case("exact-duplicate", "line 14 repeats line 2", lambda c: write_payments(
        c, payments_text(PAYMENTS + [PAYMENTS[0]])),
         Rows([("payments.csv", 14, None, "完全重复行（与第2行相同）")], loaded={"payments.csv": 12})),
    # --- values ----------------------------------------------------------------------------------
    Case("amount-exponent", "amount 1.2e5", lambda c: write_payments(c, payments_text(with_payment(2, amount="1.2e5"))),
         Rows([("payments.csv", 2, "amount", "金额无法识别（应为最多两位小数的数字）")], loaded={"payments.csv": 11})),
    Case("amount-negative", "amount -300 (a reversal)", lambda c: write_payments(
        c, payments_text(with_payment(2, amount="-300"))),
         Rows(loaded={"payments.csv": 12}, check=_value("select min(amount)::varchar from payments", [("-300.00",)])),
         "a reversal is a real booking; validation reports non-positive amounts"),
    Case("amount-na", "amount N/A", lambda c: write_payments(c, payments_text(with_payment(2, amount="N/A"))),
         Rows([("payments.csv", 2, "amount", "金额无法识别（应为最多两位小数的数字）")], loaded={"payments.csv": 11})),
    Case("amount-three-decimals", "amount 1,234.567", lambda c: write_payments(
        c, payments_text(with_payment(2, amount="1,234.567"))),
         Rows([("payments.csv", 2, "amount", "金额无法识别（应为最多两位小数的数字）")], loaded={"payments.csv": 11})),
    Case("amount-overflow", "amount of 20 digits", lambda c: write_payments(
        c, payments_text(with_payment(2, amount="9" * 20))),
         Rows([("payments.csv", 2, "amount", "金额无法识别（应为最多两位小数的数字）")], loaded={"payments.csv": 11})),
    Case("date-zero", "pay date 0000-00-00", lambda c: write_payments(
        c, payments_text(with_payment(6, pay_date="0000-00-00"))),
         Rows([("payments.csv", 6, "pay_date", "日期无法识别或不存在")], loaded={"payments.csv": 11})),
    Case("date-impossible", "pay date 2023-02-30", lambda c: write_payments(
        c, payments_text(with_payment(6, pay_date="2023-02-30"))),
         Rows([("payments.csv", 6, "pay_date", "日期无法识别或不存在")], loaded={"payments.csv": 11})),
    Case("date-excel-serial", "pay date 44927 (an Excel serial number as text)", lambda c: write_payments(
        c, payments_text(with_payment(6, pay_date="44927"))),
         Rows([("payments.csv", 6, "pay_date", "日期无法识别或不存在")], loaded={"payments.csv": 11})),
    Case("period-month-13", "period 202313", lambda c: write_payments(c, payments_text(with_payment(8, period="202313"))),
         Rows([("payments.csv", 8, "period", "所属期无法识别（应为YYYYMM）")], loaded={"payments.csv": 11})),
    Case("period-future", "period 209912", lambda c: write_payments(c, payments_text(with_payment(8, period="209912"))),
         Rows(loaded={"payments.csv": 12}, check=_value("select max(period) from payments", [(209912,)])),
         "readable, so loaded; validation reports it (payments.period ≤ current period) in manifest.json"),
    Case("id-with-letters", "ID number with letters", lambda c: write_payments(
        c, payments_text(with_payment(2, id_number="33010219500615A01X"))),
         Rows(loaded={"payments.csv": 12}, check=_value(
             "select id_number, id_valid from payments where source_line = 2", [("33010219500615A01X", False)])),
         "INPUT.md: an invalid ID number is loaded and becomes an A02 clue"),
    Case("id-excel-exponent", "ID number 3.30102E+17 (mangled by Excel)", lambda c: write_payments(
        c, payments_text(with_payment(2, id_number="3.30102E+17"))),
         Rows(loaded={"payments.csv": 12}, check=_value(
             "select id_valid from payments where source_line = 2", [(False,)])), "as above: an A02 clue"),
    # --- spreadsheets and Parquet ----------------------------------------------------------------
    Case("xlsx-notes-sheet-and-title", "a notes sheet first, a title row above the header", _xlsx_notes_and_title,
         Rows(loaded={"recipients.xlsx": 4}, check=_value("select min(source_line) from recipients", [(4,)]))),
    Case("xlsx-merged-cells", "a name merged over three rows", _xlsx_merged,
         Rows([("payments.xlsx", 3, "name", "合并单元格：第2至4行合并，值只在第2行"),
               ("payments.xlsx", 4, "name", "合并单元格：第2至4行合并，值只在第2行")], loaded={"payments.xlsx": 10}),
         "the value is not copied into the other rows: a merged amount would be counted three times"),
    Case("parquet-typed-columns", "Parquet with date and integer columns", _parquet_typed,
         Rows(loaded={"recipients.parquet": 4}, check=_value(
             "select min(birth_date) from recipients", [(dt.date(1949, 12, 31),)]))),
]


def markdown_table() -> str:
    lines = ["| # | case | input | outcome | why |", "|---|---|---|---|---|"]
    for number, case in enumerate(CASES, start=1):
        if isinstance(case.outcome, Stop):
            outcome = f"stop (exit 2): `{case.outcome.message.replace(chr(92), '')}`".replace("|", chr(92) + "|")
        else:
            parts = []
            for file, line, column, reason in case.outcome.quarantine:
                parts.append(f"quarantine {file}:{line}{f' {column}' if column else ''} — {reason}")
            if case.outcome.ignored:
                parts.append("ignored, listed in manifest")
            if not case.outcome.quarantine:
                loaded = ", ".join(f"{f} {n}" for f, n in case.outcome.loaded.items())
                parts.append(f"loads ({loaded} rows)" if loaded else "loads")
            outcome = "; ".join(parts)
        lines.append(f"| {number} | `{case.id}` | {case.what} | {outcome} | {case.note} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
