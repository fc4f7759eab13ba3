"""`fundwatch run` with no Prefect server configured: it starts Prefect's temporary server itself.

A real CLI process, a real server process and a real Prefect database (PREFECT_HOME in tmp_path):
the flow and every task run are recorded as completed, and no server process outlives the run.
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from flows import server
from tests.builders import Person, write_county
from tests.contract import assert_outputs_pass_contract

FUNDWATCH = Path(sys.executable).with_name("fundwatch")


def servers_of(prefect_home: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if "prefect.server.api.server:create_app" in " ".join(process.info["cmdline"] or []) and \
                    process.environ().get("PREFECT_HOME") == str(prefect_home):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def test_run_without_a_server_records_the_flow_on_its_own_temporary_server(tmp_path):
    people = [Person(i) for i in range(1, 30)]
    county = write_county(tmp_path / "in", [x for p in people for x in p.monthly("202301", "202304")],
                          [p.recipient() for p in people])
    home = tmp_path / "prefect"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(home), PREFECT_PROFILES_PATH=str(home / "profiles.toml"))

    done = subprocess.run([str(FUNDWATCH), "run", str(county), "--out", str(tmp_path / "out"), "--no-validate"],
                          env=env, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr[-2000:]
    assert_outputs_pass_contract(tmp_path / "out")
    with sqlite3.connect(home / "prefect.db") as db:
        flows = db.execute("select f.name, r.state_type, r.id from flow_run r join flow f on f.id = r.flow_id").fetchall()
        assert [(name, state) for name, state, _ in flows] == [("county-run", "COMPLETED")]
        tasks = dict(db.execute("select name, state_type from task_run where flow_run_id = ?", [flows[0][2]]).fetchall())
    names = {name.rsplit("-", 1)[0] if not name.startswith("rule-") else name for name in tasks}
    assert {"load", "validate", "rule-D01", "rule-P01", "rule-M01", "score", "assemble", "emit"} <= names
    assert set(tasks.values()) == {"COMPLETED"}
    assert servers_of(home) == []


def test_no_server_is_started_when_one_is_configured(prefect_harness):
    assert server.start_if_needed() is None


def test_a_server_that_keeps_dying_at_start_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(server, "STARTUP_ATTEMPTS", 1)  # each attempt would die the same way
    doomed = server.TemporaryServer({}, startup_timeout=60)
    doomed.start()
    doomed.process.kill()
    with pytest.raises(server.ServerFailed, match="exited with code .* PREFECT_API_URL") as failed:
        doomed.wait_until_ready()
    assert "\n" not in str(failed.value)
