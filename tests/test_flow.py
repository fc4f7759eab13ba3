"""The county flow as a real Prefect flow run (temporary server from the test harness)."""

import json
import os
import stat
import time

import duckdb
import pytest

from flows.county import county_run
from flows.settings import RunOptions
from fundwatch.ingest import InputError
from tests.builders import Person
from tests.builders import write_county
from tests.contract import assert_outputs_pass_contract, read_csv

pytestmark = pytest.mark.usefixtures("prefect_harness")


def small_county(tmp_path):
    people = [Person(i) for i in range(1, 40)]
    payments = [x for p in people for x in p.monthly("202301", "202306")]
    payments += [people[0].payment("202303", payment_id="DUP-1")]  # P01
    deaths = [{"id_number": people[1].id_number, "name": people[1].name, "death_date": "2023-03-05", "source": "民政"}]
    payments.append({**payments[0]})  # exact duplicate export row: quarantined, not P01
    return write_county(tmp_path / "in", payments, [p.recipient() for p in people], deaths=deaths), people



def test_county_flow_writes_every_output(tmp_path):
    county, people = small_county(tmp_path)
    out = tmp_path / "out"
    result = county_run(str(county), str(out), RunOptions(validate=False))
    assert_outputs_pass_contract(out)
    clues = read_csv(out / "clues.csv")
    assert {(c["规则编号"], c["公民身份号码"]) for c in clues if c["规则编号"] != "M01"} == {
        ("D01", people[1].id_number), ("P01", people[0].id_number)}
    d01 = next(c for c in clues if c["规则编号"] == "D01")
    assert (d01["起始所属期"], d01["截止所属期"], d01["涉及笔数"], d01["涉及金额"]) == ("202304", "202306", "3", "9000.00")
    evidence = read_csv(out / "clue_evidence.csv")
    assert sorted(int(e["来源行号"]) for e in evidence if e["线索编号"] == d01["线索编号"]) == [11, 12, 13]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    payments_file = next(i for i in manifest["inputs"] if i["path"] == "payments.csv")
    assert (payments_file["rows_read"], payments_file["rows_loaded"], payments_file["rows_quarantined"]) == (236, 235, 1)
    assert {r["rule_id"]: r["status"] for r in manifest["rules"]}["E03"] == "skipped"
    assert len(read_csv(out / "scores.csv")) == len(people)
    assert stat.S_IMODE(os.stat(out / "clues.csv").st_mode) == 0o600
    assert result["clues"]["clues"] == len(clues)
    assert not list(tmp_path.glob(".out.partial-*"))
    # the database held open across the stages was closed (checkpointed) before publishing: the file is
    # complete on its own (存档备查), with no write-ahead log beside it
    assert not (out / "run.duckdb.wal").exists()
    with duckdb.connect(str(out / "run.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from clues").fetchone()[0] == len(clues)
        assert con.execute("select count(*) from payments").fetchone()[0] == 235
    # paid_payments is a view over tables of the file: it reads the same when the file is attached
    # under another name beside a database of its own (a reviewer's session)
    with duckdb.connect() as con:
        con.execute("create table payments as select 1 as unrelated")
        con.execute(f"attach '{out / 'run.duckdb'}' as kept (read_only)")
        assert con.execute("select count(*), count(distinct row_key) from kept.paid_payments").fetchone() == (235, 235)


def test_failed_run_leaves_no_output(tmp_path):
    county, _ = small_county(tmp_path)
    (county / "recipients.csv").write_text("姓名\n张三\n", encoding="utf-8")
    with pytest.raises(InputError, match="recipients.csv: not a recipients"):
        county_run(str(county), str(tmp_path / "out"), RunOptions(validate=False))
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.partial-*"))


def test_validation_runs_beside_the_rules_and_emit_waits_for_it(tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    county, _ = small_county(tmp_path)
    out = tmp_path / "out"
    state = county_run(str(county), str(out), return_state=True)
    assert state.is_completed(), state
    this_run = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
    deadline = time.monotonic() + 30  # task-run states reach the server as events, a moment later
    while True:
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(flow_run_filter=this_run)
        if runs and all(r.end_time for r in runs) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    validate = next(r for r in runs if r.name.startswith("validate"))
    rules = [r for r in runs if r.name.startswith("rule-")]
    emit = next(r for r in runs if r.name.startswith("emit"))
    assert validate.start_time < max(r.end_time for r in rules)
    assert validate.end_time > min(r.start_time for r in rules)
    assert emit.start_time >= validate.end_time
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["validation"]["tables"]["payments"]["expectations"] > 0
    assert (out / "data_docs" / "index.html").is_file()
