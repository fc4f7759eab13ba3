"""`fundwatch run` with no Prefect server configured: it starts Prefect's temporary server itself.

A real CLI process, a real server process and a real Prefect database (PREFECT_HOME in tmp_path):
the flow and every task run are recorded as completed, and no server process outlives the run.
"""

import os
import time
import sqlite3
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from flows import server
from tests.builders import Person, write_county
from tests.cli_processes import prefect_home_from
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


SLOW_START = """
import os, time
if b"prefect.server.api.server:create_app" in open("/proc/self/cmdline", "rb").read() and not os.environ.get("SLOWED"):
    os.environ["SLOWED"] = "1"
    time.sleep(float(os.environ["FUNDWATCH_TEST_SERVER_DELAY"]))
"""


@pytest.fixture
def slow_machine(tmp_path, migrated_prefect_database):
    """A server process that takes DELAY seconds more to start (sitecustomize sleeps in it), as on a busy machine."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SLOW_START, encoding="utf-8")
    home = prefect_home_from(migrated_prefect_database, tmp_path / "prefect")
    return {"PYTHONPATH": f"{site}{os.pathsep}{Path(server.__file__).resolve().parents[1]}", "PREFECT_HOME": str(home),
            "PREFECT_PROFILES_PATH": str(home / "profiles.toml")}


def test_a_slow_server_start_is_waited_for_and_only_our_server_answers(slow_machine, monkeypatch):
    """Prefect's 20 s made runs fail on a loaded machine: the wait is now long enough for a start
    slowed by 21 s. And a program answering /api/health on the port picked for the server (the
    port was free when picked, then taken) is never mistaken for it: the server is handed a socket
    already bound to its port."""
    import http.server
    import threading

    import httpx
    from prefect.settings import get_current_settings

    class Impostor(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"impostor")

        def log_message(self, *args):
            pass

    impostor = http.server.HTTPServer(("127.0.0.1", 0), Impostor)
    threading.Thread(target=impostor.serve_forever, daemon=True).start()
    monkeypatch.setattr(server, "free_port", lambda: impostor.server_address[1], raising=False)  # the race, forced
    monkeypatch.delenv(server.TIMEOUT_SETTING, raising=False)
    timeout = server.startup_timeout(get_current_settings())
    assert timeout >= 120
    slow = server.TemporaryServer({**slow_machine, "FUNDWATCH_TEST_SERVER_DELAY": "21"}, timeout)
    started = time.monotonic()
    try:
        slow.start()
        slow.wait_until_ready()
        print(f"ready after {time.monotonic() - started:.1f} s")
        assert time.monotonic() - started > 21
        assert httpx.get(f"{slow.api_url}/health").json() is True
    finally:
        slow.stop()
        impostor.shutdown()
    assert slow.process is None


def test_a_server_too_slow_for_the_setting_is_one_line_naming_what_to_do(slow_machine, tmp_path):
    people = [Person(i) for i in range(1, 5)]
    county = write_county(tmp_path / "in", [x for p in people for x in p.monthly("202301", "202302")],
                          [p.recipient() for p in people])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(slow_machine, FUNDWATCH_TEST_SERVER_DELAY="60", PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="3")
    started = time.monotonic()
    done = subprocess.run([str(FUNDWATCH), "run", str(county), "--out", str(tmp_path / "out"), "--no-validate"],
                          env=env, capture_output=True, text=True, timeout=120)
    print(f"exit {done.returncode} after {time.monotonic() - started:.1f} s: {done.stderr.strip()}")
    assert done.returncode == 3
    assert done.stderr.strip() == (
        "error: Prefect's temporary server was not ready after 3 s (is the machine busy?); raise "
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS (seconds), or start a server once (`prefect server "
        "start`) and set PREFECT_API_URL=http://127.0.0.1:4200/api")
    assert not (tmp_path / "out").exists() and servers_of(Path(slow_machine["PREFECT_HOME"])) == []
