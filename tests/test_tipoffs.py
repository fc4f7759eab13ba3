"""Tip-offs (信访) on one small county: how each is matched or why not, tipoffs.csv and its masked copy,
and the clues about the people named (raised one 风险等级, D02 never above 中). Synthetic tip-offs
against their ground truth are in tests/test_ground_truth.py."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from flows.settings import RunOptions
from fundwatch.db import connect, run_sql
from fundwatch.idnumber import make_id
from fundwatch.paths import sql_file
from fundwatch.tipoffs import config
from tests.builders import Person, write_county
from tests.contract import assert_outputs_pass_contract, read_csv
from tests.runs import run_flow

pytestmark = pytest.mark.usefixtures("prefect_harness")  # the county flow runs on it

DEAD = Person(1, name="张伟")
NAMESAKE = Person(2, name="张伟")  # same name, same birth date: a partial number showing only these is ambiguous
CLEAN = Person(3, name="李华")
TWIN_NAMES = [DEAD, NAMESAKE, CLEAN] + [Person(k) for k in range(10, 40)]
STRANGER = make_id("330106", dt.date(1961, 3, 4), 77, True)


def partial(id_number: str) -> str:
    return id_number[:6] + "********" + id_number[-4:]


TIPS = [  # tip, 匹配方式, 匹配对象, 建议, words in 数据核查情况
    ({"tip_id": "T01", "name": "张伟", "id_number": DEAD.id_number, "place": ""},
     "身份证号", DEAD.id_number, "数据印证", "死亡后继续领取待遇"),
    ({"tip_id": "T02", "name": "李桦", "id_number": partial(CLEAN.id_number), "place": "上城区清波街道"},
     "身份信息", CLEAN.id_number, "数据未见异常", "未发现疑点线索"),
    ({"tip_id": "T03", "name": "张伟", "id_number": DEAD.id_number[:14] + "****", "place": "上城"},
     "未匹配", "", "无法匹配，需人工核实", "与2名领取人员一致"),
    ({"tip_id": "T04", "name": "王大锤", "id_number": CLEAN.id_number, "place": ""},
     "未匹配", "", "无法匹配，需人工核实", "姓名不一致"),
    ({"tip_id": "T05", "name": "李华", "id_number": "", "place": "上城区"},
     "未匹配", "", "无法匹配，需人工核实", "未提供身份证号"),
    ({"tip_id": "T06", "name": "赵六", "id_number": partial(STRANGER), "place": "330102"},
     "未匹配", "", "无法匹配，需人工核实", "没有姓名和身份证号"),
    ({"tip_id": "T07", "name": "李华", "id_number": CLEAN.id_number[:6] + "*" * 12, "place": "上城区"},
     "未匹配", "", "无法匹配，需人工核实", "只显示地址码"),
]


@pytest.fixture(scope="module")
def county_out(tmp_path_factory):
    root = tmp_path_factory.mktemp("tipoffs")
    payments = [x for p in TWIN_NAMES for x in p.monthly("202301", "202306")]
    deaths = [{"id_number": DEAD.id_number, "name": DEAD.name, "death_date": "2023-03-10", "source": "公安"}]
    tips = [{**tip, "received_date": "2024-03-05", "category": "冒领", "content": "群众反映"} for tip, *_ in TIPS]
    county = write_county(root / "in", payments, [p.recipient() for p in TWIN_NAMES], deaths=deaths, tipoffs=tips)
    run_flow(county, root / "out", RunOptions(validate=False, mask=True))
    return root / "out"


@pytest.mark.parametrize("tip, kind, person, suggestion, words", TIPS, ids=[t["tip_id"] for t, *_ in TIPS])
def test_each_tipoff(county_out, tip, kind, person, suggestion, words):
    row = next(r for r in read_csv(county_out / "tipoffs.csv") if r["信访编号"] == tip["tip_id"])
    assert (row["匹配方式"], row["匹配对象"], row["建议"]) == (kind, person, suggestion)
    assert words in row["数据核查情况"]
    assert row["被反映人"] == tip["name"][0] + "*" * (len(tip["name"]) - 1)
    assert row["收到日期"] == "2024-03-05"


def test_the_clue_about_the_person_named_says_so(county_out):
    d01 = next(c for c in read_csv(county_out / "clues.csv") if c["规则编号"] == "D01")
    assert d01["疑点描述"].endswith("（信访举报反映该人员：信访编号T01）") and d01["风险等级"] == "高"
    row = next(r for r in read_csv(county_out / "tipoffs.csv") if r["信访编号"] == "T01")
    assert row["相关线索编号"] == d01["线索编号"] and d01["线索编号"] in row["数据核查情况"]
    manifest = json.loads((county_out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tipoffs"]["by_match"] == {"身份证号": 1, "身份信息": 1, "未匹配": 5}
    assert_outputs_pass_contract(county_out)


def test_matching_reads_what_the_linkage_stage_built(county_out):
    """The linkage stage keyed the tip-offs' names with the others (李桦 too) and built the recipients'
    identity records; matching the tip-offs read both instead of building them again."""
    con = duckdb.connect(str(county_out / "run.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from linkage_names where name = '李桦'").fetchone()[0] == 1
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
        assert {"link_deaths_right", "link_tipoffs_left"} <= tables and "link_tipoffs_right" not in tables
    finally:
        con.close()


def test_masked_copy_shows_no_full_id_number_or_name(county_out):
    text = (county_out / "tipoffs_masked.csv").read_text(encoding="utf-8-sig")
    for p in TWIN_NAMES + [Person(90, name="李桦")]:
        assert p.id_number not in text
    assert "张伟" not in text and "李华" not in text and "李桦" not in text
    assert partial(DEAD.id_number) in text


def test_no_tipoff_file_no_tipoffs_csv(tmp_path):
    county = write_county(tmp_path / "in", [x for p in TWIN_NAMES for x in p.monthly("202301", "202302")],
                          [p.recipient() for p in TWIN_NAMES])
    run_flow(county, tmp_path / "out", RunOptions(validate=False))
    assert not (tmp_path / "out" / "tipoffs.csv").exists()
    assert json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["tipoffs"] == {"given": False}


RAISES = [  # rule, its severity, raised to (CLUES.md: one level; D02 at most 中)
    ("E04", "低", "中"), ("P01", "中", "高"), ("D01", "高", "高"), ("D02", "中", "中"), ("P04", "中", "中"),
]


def test_raising_is_one_level_capped_and_idempotent():
    caps = config()["tipoffs"]["severity_caps"]
    with connect(":memory:") as con:
        con.execute("create table rule_catalogue (rule_key varchar, severity varchar)")
        con.execute("create table clues (clue_id varchar, rule_id varchar, rule_key varchar, severity varchar, "
                    "evidence varchar, subject_type varchar)")
        con.execute("create table tipoff_clues (tip_id varchar, clue_id varchar, about_person boolean)")
        for rule, severity, _ in RAISES:
            con.execute("insert into rule_catalogue values (?, ?)", [rule, severity])
            con.execute("insert into clues values (?, ?, ?, ?, '事实。', '人员')", [f"{rule}-1", rule, rule, severity])
            con.execute("insert into tipoff_clues values ('T9', ?, true), ('T1', ?, true)", [f"{rule}-1"] * 2)
        for _ in range(2):  # a city list is raised again from county lists already raised
            run_sql(con, "raise", sql_file("tipoffs/raise_clues.sql"),
                    {"cap_rules": list(caps), "cap_levels": list(caps.values())})
            got = dict(con.execute("select rule_id, severity from clues").fetchall())
            assert got == {rule: raised for rule, _, raised in RAISES}
            assert {e for (e,) in con.execute("select evidence from clues").fetchall()} == {
                "事实。（信访举报反映该人员：信访编号T1、T9）"}
        con.execute("delete from tipoff_clues")
        run_sql(con, "raise", sql_file("tipoffs/raise_clues.sql"),
                {"cap_rules": list(caps), "cap_levels": list(caps.values())})
        assert dict(con.execute("select rule_id, severity from clues").fetchall()) == {r: s for r, s, _ in RAISES}
        assert {e for (e,) in con.execute("select evidence from clues").fetchall()} == {"事实。"}
