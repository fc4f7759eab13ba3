"""The city run (市县联动): parallel counties, cross-county rules, ranking, Dask, artifacts."""

import asyncio
import json
import re

import duckdb
import pytest

from flows.city import city_run
from flows.settings import RunOptions
from fundwatch.ingest import ROW_KEY_FILE_FACTOR, discover
from tests.builders import PAYMENT_HEADERS, RECIPIENT_HEADERS, REFERENCE_HEADERS, Person, write_csv
from tests.contract import assert_outputs_pass_contract, read_csv
from tests.runs import run_flow

pytestmark = pytest.mark.usefixtures("prefect_harness")
OUTPUT_FILES = ("clues.csv", "clue_evidence.csv", "scores.csv", "quarantine.csv")



@pytest.fixture(scope="module")
def city(synthetic_city):
    return synthetic_city


def test_city_outputs_pass_the_format_checker(city):
    root, _ = city
    for folder in ("city", "330102", "330105", "330106"):
        assert_outputs_pass_contract(root / "out" / folder)


def test_p03_fires_exactly_for_the_planted_people(city):
    root, _ = city
    truth = read_csv(root / "in" / "ground_truth.csv")
    planted = {(t["region_code"], t["subject_key"]) for t in truth if t["rule_id"] == "P03" and t["kind"] == "plant"}
    near_misses = {t["subject_key"] for t in truth if t["rule_id"] == "P03" and t["kind"] == "near_miss"}
    clues = [c for c in read_csv(root / "out" / "city" / "clues.csv") if c["规则编号"] == "P03"]
    assert {(c["行政区划代码"], c["公民身份号码"]) for c in clues} == planted
    assert not near_misses & {c["公民身份号码"] for c in clues}
    for county in ("330102", "330105", "330106"):
        assert not [c for c in read_csv(root / "out" / county / "clues.csv") if c["规则编号"] == "P03"]


@pytest.mark.parametrize("rule", ["D02", "P04"])
def test_identity_resolution_across_the_city(city, rule):
    """City runs resolve identities across counties: every planted D02/P04 case, no near-miss."""
    root, _ = city
    truth = read_csv(root / "in" / "ground_truth.csv")
    planted = {(t["region_code"], t["subject_key"]) for t in truth if t["rule_id"] == rule and t["kind"] == "plant"}
    near_misses = {t["subject_key"] for t in truth if t["rule_id"] == rule and t["kind"] == "near_miss"}
    clues = [c for c in read_csv(root / "out" / "city" / "clues.csv") if c["规则编号"] == rule]
    assert {(c["行政区划代码"], c["公民身份号码"]) for c in clues} == planted
    assert not near_misses & {c["公民身份号码"] for c in clues}
    assert all(c["风险等级"] != "高" for c in clues)
    matches = read_csv(root / "out" / "city" / "matches.csv")
    assert {c["线索编号"] for c in clues} <= {i for m in matches for i in m["相关线索编号"].split(";") if i}


def test_city_list_holds_every_county_clue_plus_cross_county_ones(city):
    root, _ = city
    city_clues = {c["线索编号"]: c for c in read_csv(root / "out" / "city" / "clues.csv")}
    city_ids = set(city_clues)
    county_ids = {c["线索编号"] for county in ("330102", "330105", "330106")
                  for c in read_csv(root / "out" / county / "clues.csv")}
    assert county_ids < city_ids  # a city-wide rule's one-county clue keeps its county ID
    # found only across counties: P03, and the city-wide runs of P02, E05 and P04 (a 110 pension in one
    # county and a 170 in another; 失业保险金 in one county while a pension is paid in another; one
    # person's two numbers in two counties)
    assert {i[:3] for i in city_ids - county_ids} == {"P03", "P02", "E05", "P04"}
    assert all(";" in city_clues[i]["行政区划代码"] for i in city_ids - county_ids)
    evidence = read_csv(root / "out" / "city" / "clue_evidence.csv")
    assert {e["线索编号"] for e in evidence} <= city_ids
    assert all(re.match(r"^(\d{6}/|reference/)", e["来源文件"]) for e in evidence)


def test_county_outputs_equal_a_separate_county_run(city, tmp_path):
    root, _ = city
    run_flow(root / "in" / "330105", tmp_path / "alone", RunOptions(validate=False))
    for name in OUTPUT_FILES:
        assert (tmp_path / "alone" / name).read_bytes() == (root / "out" / "330105" / name).read_bytes(), name


def test_county_ranking_compares_rates(city):
    root, result = city
    ranking = read_csv(root / "out" / "city" / "county_ranking.csv")
    assert [r["行政区划代码"] for r in ranking] == [r["county"] for r in result["clues"]["ranking"]]
    assert sorted(r["行政区划代码"] for r in ranking) == ["330102", "330105", "330106"]
    rates = [float(r["每万人线索数"]) for r in ranking]
    assert rates == sorted(rates, reverse=True) and [r["排名"] for r in ranking] == ["1", "2", "3"]
    for r in ranking:
        assert float(r["每万人线索数"]) == pytest.approx(int(r["线索数"]) * 10000 / int(r["领取人数"]), abs=0.01)


def test_artifacts_hold_no_personal_data(city):
    from prefect.client.orchestration import get_client

    root, _ = city

    async def artifacts():
        async with get_client() as client:
            return await client.read_artifacts()

    found = asyncio.run(artifacts())
    keys = {a.key for a in found}
    # each scope keeps its own timeline: the city's keys name the city (and no county run shares them)
    assert keys >= {"city-330100-clues-per-rule", "city-330100-clues-per-county", "city-330100-outputs"}
    assert not keys & {"clues-per-rule", "clues-per-county", "outputs"}
    text = " ".join(str(a.data) + str(a.description or "") for a in found)
    assert not re.search(r"\d{17}[\dXx]", text)
    city_clues = read_csv(root / "out" / "city" / "clues.csv")
    for clue in city_clues:
        if clue["对象类型"] == "人员":
            assert clue["姓名"] not in text and clue["公民身份号码"] not in text


SHARED = "6222999988887777"


@pytest.fixture(scope="module")
def small_city(prefect_harness, tmp_path_factory):
    """Two counties, one account shared across them: small enough to run twice (locally and on Dask)."""
    tmp_path = tmp_path_factory.mktemp("small-city")
    root = tmp_path / "in"
    a1, a2, b1 = Person(1), Person(2), Person(3)
    crowded = [Person(10 + i) for i in range(3)]
    county_a = [dict(x, bank_account=SHARED) for p in (a1, a2) for x in p.monthly("202301", "202302")]
    county_a += [dict(x, bank_account="6222000000009999") for p in crowded for x in p.monthly("202301", "202301")]
    county_b = [dict(x, bank_account=SHARED, region_code="330105", payment_id="B" + x["payment_id"])
                for x in b1.monthly("202301", "202302")]
    county_b += [dict(x, bank_account="6222000000009999", region_code="330105", payment_id="B" + x["payment_id"])
                 for x in Person(20).monthly("202301", "202301")]
    write_csv(root / "330102" / "payments.csv", PAYMENT_HEADERS, county_a)
    write_csv(root / "330102" / "recipients.csv", RECIPIENT_HEADERS, [p.recipient() for p in (a1, a2, *crowded)])
    # two payment files in one county only: the counties number the reference files differently
    write_csv(root / "330105" / "payments_1.csv", PAYMENT_HEADERS, county_b[:1])
    write_csv(root / "330105" / "payments_2.csv", PAYMENT_HEADERS, county_b[1:])
    write_csv(root / "330105" / "recipients.csv", RECIPIENT_HEADERS,
              [p.recipient(region_code="330105") for p in (b1, Person(20))])
    died = [{"id_number": p.id_number, "name": p.name, "death_date": "2023-01-20", "source": "民政"} for p in (a1, b1)]
    unreadable = {"id_number": Person(30).id_number, "name": "测试030", "death_date": "2023-02-30", "source": "民政"}
    write_csv(root / "reference" / "deaths.csv", REFERENCE_HEADERS["deaths"], [*died, unreadable, died[0]])
    city_run(str(root), str(tmp_path / "out"), RunOptions(validate=False))
    return tmp_path


def test_cross_county_shared_account(small_city):
    clues = [c for c in read_csv(small_city / "out" / "city" / "clues.csv") if c["规则编号"] == "A01"]
    assert {(c["姓名"], c["行政区划代码"], c["涉及笔数"], c["涉及金额"]) for c in clues} == {
        (SHARED, "330102;330105", "6", "18000.00"),  # 3 people across two counties
        ("6222000000009999", "330102", "3", "9000.00"),  # the county's own A01; not repeated city-wide
    }


def test_reference_lists_are_loaded_once_and_each_county_gets_them_as_its_own(small_city):
    """The city loads reference/ once; each county's tables, row keys, quarantine and reconciliation of
    it are what a county run reading the files itself has (row keys in the county's numbering)."""
    for county, person in (("330102", Person(1)), ("330105", Person(3))):
        out = small_city / "out" / county
        d01 = [c for c in read_csv(out / "clues.csv") if c["规则编号"] == "D01"]
        assert [(c["公民身份号码"], c["涉及笔数"]) for c in d01] == [(person.id_number, "1")]
        quarantined = [r for r in read_csv(out / "quarantine.csv") if r["文件"] == "../reference/deaths.csv"]
        assert [(r["行号"], r["列"]) for r in quarantined] == [("4", "死亡日期"), ("5", "")]
        assert "完全重复行" in quarantined[1]["原因"]
        deaths_file = next(i for i in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["inputs"]
                           if i["path"] == "../reference/deaths.csv")
        assert (deaths_file["rows_read"], deaths_file["rows_loaded"], deaths_file["rows_quarantined"]) == (4, 2, 2)
        index = next(f.index for f in discover(small_city / "in" / county).files if f.rel == "../reference/deaths.csv")
        with duckdb.connect(str(out / "run.duckdb"), read_only=True) as con:
            keys = con.execute("select row_key, source_line from deaths order by source_line").fetchall()
        assert keys == [(index * ROW_KEY_FILE_FACTOR + 2, 2), (index * ROW_KEY_FILE_FACTOR + 3, 3)]
    city_rows = [r for r in read_csv(small_city / "out" / "city" / "quarantine.csv") if "deaths" in r["文件"]]
    assert [(r["文件"], r["行号"]) for r in city_rows] == [("reference/deaths.csv", "4"), ("reference/deaths.csv", "5")]


def test_dask_run_without_databases_equals_local_run(small_city):
    """Counties in worker processes, databases not kept: each county hands its database to the city
    (the city copies its payments from it) and nothing of them is left once the city is written."""
    distributed = pytest.importorskip("distributed")
    from prefect_dask import DaskTaskRunner

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        flow = city_run.with_options(task_runner=DaskTaskRunner(address=cluster.scheduler_address))
        flow(str(small_city / "in"), str(small_city / "dask"), RunOptions(validate=False, keep_database=False))
    for folder in ("city", "330102", "330105"):
        for name in OUTPUT_FILES:
            local = (small_city / "out" / folder / name).read_bytes()
            assert (small_city / "dask" / folder / name).read_bytes() == local, (folder, name)
    assert b"A01" in (small_city / "dask" / "city" / "clues.csv").read_bytes()
    assert sorted(p.name for p in (small_city / "dask").iterdir()) == ["330102", "330105", "city"]
    assert not list((small_city / "dask").rglob("*.duckdb"))
    assert sorted(p.relative_to(small_city / "out").as_posix() for p in (small_city / "out").rglob("*.duckdb")) == [
        "330102/run.duckdb", "330105/run.duckdb", "city/run.duckdb"]
