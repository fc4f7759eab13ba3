"""No ID number, name or bank account outside the files meant to hold them.

A real county flow runs under the Prefect test harness on synthetic data; then everything that
leaves the protected outputs is scanned for the recipients' ID numbers, names and accounts: the
captured logs and console output, report.html, manifest.json, Data Docs, and what the Prefect API
recorded (flow and task runs with their names and parameters, logs, artifacts). The files that do
hold personal data must be readable by their owner only (0600).
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from pathlib import Path

import duckdb
import pytest

from fundwatch.db import SqlError, connect, run_sql
from fundwatch.synth import synth

pytestmark = pytest.mark.usefixtures("prefect_harness")

ID_PATTERN = re.compile(r"(?<![0-9.])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
PRIVATE = ("clues.csv", "clue_evidence.csv", "scores.csv", "quarantine.csv", "clues.xlsx", "run.duckdb")


def personal_values(database: Path) -> tuple[set[str], set[str]]:
    """(ID numbers and accounts, names) of the loaded inputs."""
    con = duckdb.connect(str(database), read_only=True)
    numbers = {r[0] for r in con.execute(
        "select id_number from payments union select id_number from recipients "
        "union select bank_account from payments").fetchall() if r[0] and len(r[0]) >= 15}
    names = {r[0] for r in con.execute("select name from payments union select name from recipients").fetchall()
             if r[0] and len(r[0]) >= 2}
    con.close()
    return numbers, names


def leaks(text: str, numbers: set[str], names: set[str], any_id: bool = True) -> list[str]:
    found = [n for n in numbers if n in text] + [n for n in names if n in text]
    if any_id:
        found += ID_PATTERN.findall(text)
    return sorted(set(found))


@pytest.fixture(scope="module")
def flow_run(tmp_path_factory):
    from flows.county import county_run

    root = tmp_path_factory.mktemp("personal")
    synth(root / "in", counties=2, persons=600, months=13, seed=3)
    county = sorted(p for p in (root / "in").iterdir() if p.name.isdigit())[0]
    out = root / "out"
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep(level=logging.DEBUG)
    logging.getLogger().addHandler(keep)
    try:
        state = county_run(str(county), str(out), return_state=True)
    finally:
        logging.getLogger().removeHandler(keep)
    assert state.is_completed(), state
    return state.state_details.flow_run_id, out, records


def api_records(flow_run_id) -> dict[str, str]:
    """What the Prefect API holds about the run, as JSON text per kind."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    only_this = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
        task_runs = client.read_task_runs(flow_run_filter=only_this)
        artifacts = client.read_artifacts(flow_run_filter=only_this)
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    assert len(task_runs) > 10 and artifacts and logs
    return {
        "flow run": flow_run.model_dump_json(),
        "task runs": json.dumps([t.model_dump(mode="json") for t in task_runs], ensure_ascii=False),
        "artifacts": json.dumps([a.model_dump(mode="json") for a in artifacts], ensure_ascii=False),
        "logs": json.dumps([log.model_dump(mode="json") for log in logs], ensure_ascii=False),
    }


def test_no_personal_data_outside_the_protected_outputs(flow_run, capsys):
    flow_run_id, out, records = flow_run
    numbers, names = personal_values(out / "run.duckdb")
    assert len(numbers) > 400 and len(names) > 200
    clues = (out / "clues.csv").read_text(encoding="utf-8-sig")
    assert leaks(clues, numbers, names)  # the scan would see them: the clue list itself holds them

    places = {f"log record {r.name}": r.getMessage() + (str(r.exc_info[1]) if r.exc_info else "") for r in records}
    places.update({"console": "".join(capsys.readouterr())})
    places.update({name: (out / name).read_text(encoding="utf-8") for name in ("report.html", "manifest.json")})
    places.update({str(p.relative_to(out)): p.read_text(encoding="utf-8", errors="replace")
                   for p in (out / "data_docs").rglob("*") if p.is_file() and p.suffix in (".html", ".json")})
    places.update(api_records(flow_run_id))
    assert len(places) > 10 and any(k.startswith("data_docs/") for k in places)
    found = {where: leaks(text, numbers, names, any_id=where != "report.html")
             for where, text in places.items()}
    assert {where: hits for where, hits in found.items() if hits} == {}


def test_report_html_has_no_id_numbers_at_all(flow_run):
    _, out, _ = flow_run
    text = (out / "report.html").read_text(encoding="utf-8")
    scripts_removed = re.sub(r"<script\b[^>]*>.*?</script>", "", text, flags=re.DOTALL)  # plotly.js is code, not data
    assert ID_PATTERN.findall(scripts_removed) == []


def test_files_with_personal_data_are_owner_only(flow_run):
    _, out, _ = flow_run
    modes = {name: stat.S_IMODE(os.stat(out / name).st_mode) for name in PRIVATE}
    assert modes == {name: 0o600 for name in PRIVATE}
    assert stat.S_IMODE(os.stat(out / "manifest.json").st_mode) & 0o044  # no personal data: left readable


def test_database_errors_do_not_echo_values(tmp_path):
    con = connect(tmp_path / "x.duckdb")
    with pytest.raises(SqlError) as caught:
        run_sql(con, "typing payments", "select cast('王建国 330102195006150032' as integer)")
    message = str(caught.value)
    assert message.startswith("typing payments: Conversion Error") and "王建国" not in message
    assert "330102195006150032" not in message and caught.value.__cause__ is None
    assert caught.value.__suppress_context__ and "王建国" in caught.value.detail
