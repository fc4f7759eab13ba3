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
import re
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
MONEY_REASON = "金额无法识别（数字、千分位逗号只分隔三位、最多两位小数）"
UNDECODABLE_REASON = "含有无法解码的字节（与文件其余部分的编码不同）"


def base_county(root: Path) -> Path:
    return write_county(root / "in", PAYMENTS, RECIPIENTS, deaths=DEATHS)


def payments_text(rows: list[dict] | None = None) -> str:
    return csv_text(PAYMENT_HEADERS, PAYMENTS if rows is None else rows)


def with_payment(line: int, **changes) -> list[dict]:
    """The base payments with the row on `line` (2..13) changed."""
    return with_payments({line: changes})


def with_payments(changes: dict[int, dict], every: dict | None = None) -> list[dict]:
    """The base payments with rows changed by line (2..13), and `every` applied to all rows."""
    rows = [{**r, **(every or {})} for r in PAYMENTS]
    for line, change in changes.items():
        rows[line - 2].update(change)
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
    check_files: Callable | None = None  # extra assertions on the per-file reconciliation (manifest inputs)


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



# --- values that must never change silently (issue: "the loader never changes a value silently") ---
ZWSP, NBSP, NNBSP = "\u200b", "\u00a0", "\u202f"
ID_LOST_REASON = "身份证号被存为数值，末位已丢失"
PERIOD_NUMBER_REASON = "所属期为数值单元格（如2022.10会被存为2022.1），无法确定月份"
DATE_REASON = "日期无法识别或不存在"
PERIOD_REASON = "所属期无法识别（应为YYYYMM）"


def _deaths_with(county: Path, **changes) -> None:
    write_csv(county.parent / "reference" / "deaths.csv", REFERENCE_HEADERS["deaths"], [{**DEATHS[0], **changes}])


def _payment_amounts(expected: list[tuple[int, str]]) -> Callable:
    lines = ", ".join(str(line) for line, _ in expected)
    return _value(f"select source_line, amount::varchar from payments where source_line in ({lines}) order by 1",
                  expected)


def _payments_xlsx(county: Path, cells: dict[tuple[int, str], str], rows: list[dict] | None = None) -> None:
    """payments.xlsx whose cells named (line, column) are numbers stored with exactly the given text.

    xlsxwriter and openpyxl write numbers as doubles; the <v> text is replaced afterwards so that the
    file holds what other tools write (an ID as 18 digits, a number Excel cut to 15 digits).
    """
    (county / "payments.csv").unlink()
    path = county / "payments.xlsx"
    rows = table_rows(PAYMENT_HEADERS, rows or PAYMENTS)
    columns = list(PAYMENT_HEADERS)
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("明细")
    marks = {}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if (r + 1, columns[c]) in cells:
                marks[f"{chr(ord('A') + c)}{r + 1}"] = cells[(r + 1, columns[c])]
                sheet.write_number(r, c, 1)
            elif value not in (None, ""):
                sheet.write_string(r, c, str(value))
    book.close()
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    xml = contents["xl/worksheets/sheet1.xml"].decode("utf-8")
    for ref, text in marks.items():
        xml = re.sub(rf'<c r="{ref}"( s="\d+")?><v>1</v></c>', rf'<c r="{ref}"\1><v>{text}</v></c>', xml)
    contents["xl/worksheets/sheet1.xml"] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


def _xlsx_ids_as_numbers(county: Path) -> None:
    _payments_xlsx(county, {(line, "id_number"): PAYMENTS[line - 2]["id_number"] for line in (2, 3)}
                   | {(4, "id_number"): PAYMENTS[2]["id_number"][:15] + "000",
                      (5, "id_number"): "3.3010219501220012E+17"})


def _xlsx_period_numbers(county: Path) -> None:
    _payments_xlsx(county, {(2, "period"): "2023.1", (3, "period"): "202301"})


def _parquet_payments(county: Path, frame: pl.DataFrame) -> None:
    (county / "payments.csv").unlink()
    frame.write_parquet(county / "payments.parquet")


def _parquet_typed_payments(county: Path) -> None:
    import decimal
    rows = [dict(r) for r in PAYMENTS]
    frame = pl.DataFrame({
        **{k: [r[k] for r in rows] for k in PAYMENT_HEADERS if k not in ("amount", "period", "pay_date")},
        "amount": pl.Series([decimal.Decimal(r["amount"]) for r in rows[:-1]] + [decimal.Decimal("1234.5678")],
                            dtype=pl.Decimal(18, 4)),
        "period": [dt.date(int(r["period"][:4]), int(r["period"][4:]), 1) for r in rows],
        # 16:00 UTC is midnight of the next day in Beijing: the date is read in the agencies' zone
        "pay_date": pl.Series([dt.datetime(2023, 1, 14, 16, 0, tzinfo=dt.timezone.utc)] * len(rows)),
    }).rename(PAYMENT_HEADERS)
    _parquet_payments(county, frame)


def _parquet_double_ids(county: Path) -> None:
    rows = [dict(r) for r in PAYMENTS]
    frame = pl.DataFrame({k: [r[k] for r in rows] for k in PAYMENT_HEADERS}).with_columns(
        pl.col("id_number").cast(pl.Float64)).rename(PAYMENT_HEADERS)
    _parquet_payments(county, frame)


def _trailing_commas(county: Path, value_on_line: int | None) -> None:
    lines = lines_of(payments_text())
    lines = [lines[0]] + [line + ("," + "备注" if n == value_on_line else ",") for n, line in enumerate(lines[1:], 2)]
    write_payments(county, "\n".join(lines) + "\n")


def _extra_columns(county: Path) -> None:
    rows = [{**r, "note": ""} for r in PAYMENTS] + [{**PAYMENTS[0], "note": "补录"}]
    write_payments(county, csv_text({**PAYMENT_HEADERS, "note": "备注"}, rows))


def _header_with_zero_width(county: Path) -> None:
    write_payments(county, csv_text({**PAYMENT_HEADERS, "reviewer_id": "审核人" + ZWSP}, PAYMENTS))


def _fullwidth_county_folder(county: Path) -> None:
    county.rename(county.parent / "３３０１０２")


def _unrecognised_header(county: Path) -> None:
    write_payments(county, csv_text({**PAYMENT_HEADERS, "reviewer_id": "审批人"}, PAYMENTS))



OPERATION_HEADERS = {"op_id": "操作流水号", "op_time": "操作时间", "op_type": "操作类型", "id_number": "对象身份证号",
                     "operator_id": "经办人", "reviewer_id": "审核人", "new_value": "变更后", "months": "补发月数"}
OP_TYPE_REASON = "操作类型无法识别（应为新增待遇、变更账号、暂停发放、恢复发放、终止待遇、补发或调整金额）"


def _operations_log(county: Path) -> None:
    person = PEOPLE[0].id_number
    write_csv(county / "经办操作日志.csv", OPERATION_HEADERS, [
        {"op_id": "OP1", "op_time": "2023-02-03 14:05:09", "op_type": "变更账号", "id_number": person,
         "operator_id": "JB01", "reviewer_id": "JB02", "new_value": "6222 0000 1111 2222"},
        {"op_id": "OP2", "op_time": "2023-02-30 10:00", "op_type": "补发", "id_number": person,
         "operator_id": "JB01", "months": "3"},
        {"op_id": "OP3", "op_time": "2023-03-01", "op_type": "撤销", "id_number": person, "operator_id": "JB01"},
    ], encoding="gbk")


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
         Rows([("payments.csv", 4, "姓名", "含有NUL字符")], loaded={"payments.csv": 11})),
    Case("nul-padding", "4 KB of NUL bytes after the last line (a copy cut short)", _nul_padding,
         Rows([("payments.csv", 14, None, "字段数为1，与表头的13列不符")], loaded={"payments.csv": 12})),
    Case("10mb-field", "a 10 MB benefit type", _long_field,
         Rows([("payments.csv", 7, "待遇类型", LONG_REASON)], loaded={"payments.csv": 11})),
    Case("repeated-header", "the header again on line 8 (two exports pasted together)", _repeated_header,
         Rows([("payments.csv", 8, "险种类型;所属期;发放日期;发放金额;行政区划代码",
                "险种类型无法识别;所属期无法识别（应为YYYYMM）;日期无法识别或不存在;" + MONEY_REASON + ";"
                "行政区划代码不是6位数字")], loaded={"payments.csv": 12})),
    Case("title-lines", "two title lines above the CSV header", _title_line,
         Rows(loaded={"payments.csv": 12}, check=_value("select min(source_line), max(source_line) from payments",
                                                        [(4, 15)]))),
    Case("whitespace-required", "spaces and a full-width space as the name", lambda c: write_payments(
        c, payments_text(with_payment(3, name=" \u3000 "))),
         Rows([("payments.csv", 3, "姓名", "必填项为空")], loaded={"payments.csv": 11})),
    Case("exact-duplicate", "line 14 repeats line 2", lambda c: write_payments(
        c, payments_text(PAYMENTS + [PAYMENTS[0]])),
         Rows([("payments.csv", 14, None, "完全重复行（与第2行相同）")], loaded={"payments.csv": 12})),
    # --- values ----------------------------------------------------------------------------------
    Case("amount-exponent", "amount 1.2e5", lambda c: write_payments(c, payments_text(with_payment(2, amount="1.2e5"))),
         Rows([("payments.csv", 2, "发放金额", MONEY_REASON)], loaded={"payments.csv": 11})),
    Case("amount-negative", "amount -300 (a reversal)", lambda c: write_payments(
        c, payments_text(with_payment(2, amount="-300"))),
         Rows(loaded={"payments.csv": 12}, check=_value("select min(amount)::varchar from payments", [("-300.00",)])),
         "a reversal is a real booking; validation reports non-positive amounts"),
    Case("amount-na", "amount N/A", lambda c: write_payments(c, payments_text(with_payment(2, amount="N/A"))),
         Rows([("payments.csv", 2, "发放金额", MONEY_REASON)], loaded={"payments.csv": 11})),
    Case("amount-three-decimals", "amount 1,234.567", lambda c: write_payments(
        c, payments_text(with_payment(2, amount="1,234.567"))),
         Rows([("payments.csv", 2, "发放金额", MONEY_REASON)], loaded={"payments.csv": 11})),
    Case("amount-overflow", "amount of 20 digits", lambda c: write_payments(
        c, payments_text(with_payment(2, amount="9" * 20))),
         Rows([("payments.csv", 2, "发放金额", MONEY_REASON)], loaded={"payments.csv": 11})),
    Case("date-zero", "pay date 0000-00-00", lambda c: write_payments(
        c, payments_text(with_payment(6, pay_date="0000-00-00"))),
         Rows([("payments.csv", 6, "发放日期", "日期无法识别或不存在")], loaded={"payments.csv": 11})),
    Case("date-impossible", "pay date 2023-02-30", lambda c: write_payments(
        c, payments_text(with_payment(6, pay_date="2023-02-30"))),
         Rows([("payments.csv", 6, "发放日期", "日期无法识别或不存在")], loaded={"payments.csv": 11})),
    Case("date-excel-serial", "pay date 44927 (an Excel serial number as text)", lambda c: write_payments(
        c, payments_text(with_payment(6, pay_date="44927"))),
         Rows([("payments.csv", 6, "发放日期", "日期无法识别或不存在")], loaded={"payments.csv": 11})),
    Case("period-month-13", "period 202313", lambda c: write_payments(c, payments_text(with_payment(8, period="202313"))),
         Rows([("payments.csv", 8, "所属期", "所属期无法识别（应为YYYYMM）")], loaded={"payments.csv": 11})),
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
         Rows([("payments.xlsx", 3, "姓名", "合并单元格：第2至4行合并，值只在第2行"),
               ("payments.xlsx", 4, "姓名", "合并单元格：第2至4行合并，值只在第2行")], loaded={"payments.xlsx": 10}),
         "the value is not copied into the other rows: a merged amount would be counted three times"),
    Case("parquet-typed-columns", "Parquet with date and integer columns", _parquet_typed,
         Rows(loaded={"recipients.parquet": 4}, check=_value(
             "select min(birth_date) from recipients", [(dt.date(1949, 12, 31),)]))),
    # --- values never changed silently: money grammar, invisible characters, Excel numbers, typed Parquet ---
    Case("amount-commas-misplaced", "2753,93, 1,2,3 and 3000，00", lambda c: write_payments(c, payments_text(
        with_payments({2: {"amount": "2753,93"}, 3: {"amount": "1,2,3"}, 4: {"amount": "3000，00"}}))),
         Rows([("payments.csv", line, "发放金额", MONEY_REASON) for line in (2, 3, 4)], loaded={"payments.csv": 9}),
         "a comma only separates groups of three digits; 2753,93 is not read as 275,393.00"),
    Case("amount-accepted-forms", "1,234.50, ¥1234.50, 1234.50元, full-width digits, ￥1,234.5元, 3，000", lambda c: write_payments(
        c, payments_text(with_payments({2: {"amount": "1,234.50"}, 3: {"amount": "¥1234.50"}, 4: {"amount": "1234.50元"},
                                        5: {"amount": "１２３４.５"}, 6: {"amount": "￥1,234.5元"}, 7: {"amount": "3，000"}}))),
         Rows(loaded={"payments.csv": 12}, check=_payment_amounts(
             [(2, "1234.50"), (3, "1234.50"), (4, "1234.50"), (5, "1234.50"), (6, "1234.50"), (7, "3000.00")]))),
    Case("id-zero-width-in-deaths", "a zero-width space inside a death record's ID number", lambda c: _deaths_with(
        c, id_number=PEOPLE[2].id_number[:9] + ZWSP + PEOPLE[2].id_number[9:]),
         Rows(loaded={"../reference/deaths.csv": 1}, check=_value(
             "select count(*) from deaths join payments using (id_number) where deaths.id_valid", [(3,)])),
         "the death record still matches the person's payments"),
    Case("id-excel-wrappers", 'ID numbers exported as ="…" and \'…', lambda c: write_payments(c, payments_text(
        with_payments({2: {"id_number": f'="{PEOPLE[0].id_number}"'}, 3: {"id_number": "'" + PEOPLE[0].id_number}}))),
         Rows(loaded={"payments.csv": 12}, check=_value(
             "select count(*) from payments where id_number = ? and id_valid".replace("?", f"'{PEOPLE[0].id_number}'"),
             [(3,)]))),
    Case("invisible-around-values", "NBSP and NNBSP around a name, a zero-width space in an account", lambda c: write_payments(
        c, payments_text(with_payments({2: {"name": NBSP + PEOPLE[0].name + NNBSP},
                                        3: {"bank_account": ZWSP + PEOPLE[0].account}}))),
         Rows(loaded={"payments.csv": 12}, check=_all(_names_intact, _value(
             "select count(distinct bank_account) from payments where person_id = "
             "(select person_id from payments where source_line = 2)", [(1,)])))),
    Case("header-zero-width", "a zero-width space after the header 审核人", _header_with_zero_width,
         Rows(loaded={"payments.csv": 12}, check=_value(
             "select count(*) from payments where reviewer_id is not null", [(12,)]),
              check_files=lambda files: _no_unrecognised(files))),
    Case("header-unrecognised", "审批人 instead of 审核人", _unrecognised_header,
         Rows(loaded={"payments.csv": 12}, check=_value(
             "select header from input_columns where column_name is null", [("审批人",)]),
              check_files=lambda files: _unrecognised(files, "payments.csv", ["审批人"])),
         "kept in extra_columns, listed per file in the manifest and the summary; A03 is skipped"),
    Case("xlsx-ids-as-numbers", "ID numbers stored as numbers: 18 digits, cut to 15 by Excel, in E-notation",
         _xlsx_ids_as_numbers,
         Rows([("payments.xlsx", 4, "公民身份号码", ID_LOST_REASON), ("payments.xlsx", 5, "公民身份号码", ID_LOST_REASON)],
              loaded={"payments.xlsx": 10}, check=_value(
                 "select id_number, id_valid from payments where source_line in (2, 3) order by source_line",
                 [(PEOPLE[0].id_number, True), (PEOPLE[0].id_number, True)])),
         "the stored digits are read exactly; a number Excel cut to 15 significant digits is never read as another ID"),
    Case("xlsx-period-number", "a period stored as the number 2023.1 (typed 2023.10)", _xlsx_period_numbers,
         Rows([("payments.xlsx", 2, "所属期", PERIOD_NUMBER_REASON)], loaded={"payments.xlsx": 11}, check=_value(
             "select period from payments where source_line = 3", [(202301,)]))),
    Case("period-point-one-digit", "period 2022.1 as text", lambda c: write_payments(
        c, payments_text(with_payment(8, period="2022.1"))),
         Rows([("payments.csv", 8, "所属期", PERIOD_REASON)], loaded={"payments.csv": 11}),
         "2022.1 may be Excel's 2022.10: not read as 202201"),
    Case("date-seven-digits", "death date 2023111 (2023-11-01 or 2023-01-11?)", lambda c: _deaths_with(
        c, death_date="2023111"),
         Rows([("../reference/deaths.csv", 2, "死亡日期", DATE_REASON)], loaded={"../reference/deaths.csv": 0})),
    Case("date-with-time", "every pay date with a time of day (2023-01-15 09:05)", lambda c: write_payments(
        c, payments_text(with_payments({}, every={"pay_date": "2023-01-15 09:05"}))),
         Rows(loaded={"payments.csv": 12}, check=_value("select distinct pay_date from payments",
                                                        [(dt.date(2023, 1, 15),)]))),
    Case("all-rows-quarantined", "every pay date unreadable (15/01/2023)", lambda c: write_payments(
        c, payments_text(with_payments({}, every={"pay_date": "15/01/2023"}))),
         Stop(r"payments.csv: none of the 12 rows of 待遇发放明细 could be loaded \(most common reason, 12 rows: "
              r"发放日期: 日期无法识别或不存在\)"),
         "an empty county would look clean; more than half of a file quarantined is a warning (manifest, summary)"),
    Case("trailing-comma-every-line", "every data line ends with a comma", lambda c: _trailing_commas(c, None),
         Rows(loaded={"payments.csv": 12})),
    Case("trailing-comma-one-value", "every data line ends with a comma; line 5 has a value there",
         lambda c: _trailing_commas(c, 5),
         Rows([("payments.csv", 5, None, "字段数为14，与表头的13列不符")], loaded={"payments.csv": 11}),
         "the same rows load whichever reader reads the file"),
    Case("long-field-first-lines", "a 200 KB name on line 2", lambda c: write_payments(
        c, payments_text(with_payment(2, name="张" * 200_000))),
         Rows([("payments.csv", 2, "姓名", LONG_REASON)], loaded={"payments.csv": 11}),
         "tested in a fresh process too: csv's field limit is process-wide state"),
    Case("parquet-typed-payments", "DECIMAL(18,4) amounts, DATE periods, TIMESTAMPTZ pay dates",
         _parquet_typed_payments,
         Rows([("payments.parquet", 13, "发放金额", MONEY_REASON)], loaded={"payments.parquet": 11}, check=_all(
             _value("select distinct amount::varchar, pay_date from payments", [("3000.00", dt.date(2023, 1, 15))]),
             _value("select min(period), max(period) from payments", [(202301, 202303)]))),
         "a decimal is exact (1234.5678 has more than two decimals); a TIMESTAMPTZ is read in Asia/Shanghai"),
    Case("parquet-double-ids", "ID numbers stored as DOUBLE in Parquet", _parquet_double_ids,
         Stop(r"payments.parquet: none of the 12 rows of 待遇发放明细 could be loaded \(most common reason, 12 rows: "
              r"公民身份号码: 身份证号被存为数值，末位已丢失\)", file="payments.parquet")),
    Case("extra-columns-kept", "an unknown column 备注; two rows differ only there", _extra_columns,
         Rows(loaded={"payments.csv": 13}, check=_value(
             "select extra_columns->>'备注' from payments where source_line = 14", [("补录",)])),
         "kept in extra_columns; rows that differ in any column are not 完全重复行"),
    Case("fullwidth-county-folder", "the county folder named ３３０１０２", _fullwidth_county_folder,
         Rows(loaded={"payments.csv": 12}, check=_value("select distinct county from payments",
                                                                   [("330102",)]))),
    Case("pay-status-and-reversal", "发放状态 退回 and 失败, a reversal row, an unknown status", lambda c: write_payments(
        c, csv_text({**PAYMENT_HEADERS, "pay_status": "发放状态"}, with_payments(
            {2: {"pay_status": "退回"}, 3: {"pay_status": "失败"}, 4: {"amount": "-3000.00", "payment_id": "R-1"},
             5: {"pay_status": "已到账"}}))),
         Rows([("payments.csv", 5, "发放状态", "发放状态无法识别（应为成功、失败、退回或空）")], loaded={"payments.csv": 11},
              check=_value("select pay_status, count(*) from payments group by 1 order by 1",
                           [("失败", 1), ("成功", 9), ("退回", 1)]))),
    Case("unmapped-benefit-type", "a benefit type not in the category table (高龄津贴)", lambda c: write_payments(
        c, payments_text(with_payment(2, benefit_type="高龄津贴"))),
         Rows(loaded={"payments.csv": 12}, check=_value(
             "select benefit_type, benefit_category from payments where source_line in (2, 3) order by source_line",
             [("高龄津贴", None), ("基本养老金", "pension")]),
              check_files=lambda files: _unmapped(files, {"高龄津贴": 1})),
         "loaded without a category, counted per file in the manifest and listed in the report (未归类待遇类型)"),
    Case("operations-bad-rows", "operations log (经办操作日志, GBK): 操作时间 2023-02-30, 操作类型 撤销", _operations_log,
         Rows([("经办操作日志.csv", 3, "操作时间", "日期时间无法识别或不存在"), ("经办操作日志.csv", 4, "操作类型", OP_TYPE_REASON)],
              loaded={"经办操作日志.csv": 1}, check=_value("select op_time::varchar, months from operations",
                                                       [("2023-02-03 14:05:09", None)])),
         "the time of day is kept; a type outside the seven of INPUT.md is never guessed"),
]


def _file(files: list[dict], path: str) -> dict:
    return next(f for f in files if f["path"] == path)


def _no_unrecognised(files: list[dict]) -> None:
    assert all(not f["unrecognised_headers"] for f in files), files


def _unrecognised(files: list[dict], path: str, headers: list[str]) -> None:
    assert _file(files, path)["unrecognised_headers"] == headers


def _unmapped(files: list[dict], expected: dict[str, int]) -> None:
    assert _file(files, "payments.csv")["unmapped_benefit_types"] == expected


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
