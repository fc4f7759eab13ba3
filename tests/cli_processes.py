"""Real `fundwatch` CLI processes for tests, started in a fraction of a second.

Importing the CLI's libraries (Prefect, scikit-learn, Great Expectations, splink, DuckDB, plotly) costs
10-15 s of CPU per process, which would make every process test slow. A *zygote* process imports them once
(with the environment the CLI sets for a non-verbose run, and PREFECT_API_URL of the session's
test server) and then forks one child per command: each child is a separate OS process that runs
`flows.cli.app` -- the `fundwatch` console entry point -- with its own arguments, working folder,
stdout/stderr files and exit code, holds its own file locks, and dies for real on SIGKILL.

A child can be told to stop at a named point (`pause`): it writes a marker file there and sleeps
until a release file appears, so a test can kill it (or let it go on) at an exact stage. The
points wrap the stage functions from outside, in the child only; fundwatch has no test hook.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ZYGOTE = r'''
import json, os, sys, time, traceback
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")   # what flows.cli sets for a run without -v
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
import flows.cli, flows.county, checks.rule_runner, fundwatch.run, fundwatch.emit, fundwatch.load, fundwatch.db
# What a run imports on its way (the CLI defers them so that an argument mistake is reported at once):
# imported here, a child runs without 5-8 s of imports of its own.
import flows.server, models.forest, models.scoring, models.linkage, models.splink_run, fundwatch.report, fundwatch.workbook
import fundwatch.history.feedback, fundwatch.management, checks.validation, great_expectations, sklearn.ensemble, splink

def wait_here(marker, release):
    with open(marker, "w") as fh:
        fh.write(str(os.getpid()))
    deadline = time.monotonic() + 300  # never outlive a test that forgot us
    while not (release and os.path.exists(release)):
        if time.monotonic() > deadline:
            os._exit(99)
        time.sleep(0.02)

def around(module, name, marker, release, after=False, nth=1):
    original = getattr(module, name)
    calls = [0]
    def wrapper(*args, **kwargs):
        calls[0] += 1
        hit = calls[0] == nth
        if hit and not after:
            wait_here(marker, release)
        result = original(*args, **kwargs)
        if hit and after:
            wait_here(marker, release)
        return result
    setattr(module, name, wrapper)

POINTS = {
    # load: every file read and typed, DuckDB connection open, before reconciliation
    "load": lambda m, r: around(fundwatch.load, "reconcile", m, r),
    # rules: before the second county rule, the database between two writes
    "rules": lambda m, r: around(checks.rule_runner, "apply_rule", m, r, nth=2),
    # emit: every output file written in the staging folder, before publish
    "emit": lambda m, r: around(fundwatch.run, "publish", m, r),
    # publish: new and old folders swapped, the old one not yet removed
    "publish": lambda m, r: around(fundwatch.emit, "_exchange", m, r, after=True),
}

def fallback_publish(marker, release):
    """No renameat2 (as on other systems); stop between the two renames of publish."""
    import pathlib
    fundwatch.emit._exchange = lambda a, b: False
    original = pathlib.Path.rename
    def rename(self, target):
        result = original(self, target)
        if str(target).endswith(".previous"):
            wait_here(marker, release)
        return result
    pathlib.Path.rename = rename

POINTS["publish-fallback"] = fallback_publish

def in_query(marker, release):
    """Before the second rule, run a DuckDB statement that takes minutes (an interrupt must stop it)."""
    original = checks.rule_runner.apply_rule
    calls = [0]
    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == 2:
            with fundwatch.db.connect(":memory:") as con:
                with open(marker, "w") as fh:
                    fh.write(str(os.getpid()))
                con.execute("select count(*) from range(1000000000000) t(x) where x % 7 = 3").fetchall()
        return original(*args, **kwargs)
    checks.rule_runner.apply_rule = wrapper

POINTS["in-query"] = in_query

def child(cmd):
    code = 70
    try:
        if cmd.get("session"):
            os.setsid()  # a process group of its own, as a command started from a shell has
        os.chdir(cmd["cwd"])
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, name in ((1, "stdout"), (2, "stderr")):
            target = os.open(cmd[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
        os.environ.update(cmd.get("env") or {})
        if cmd.get("pause"):
            POINTS[cmd["pause"]](cmd["marker"], cmd.get("release"))
        try:
            flows.cli.app(cmd["args"], prog_name="fundwatch")
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush(); sys.stderr.flush()
        finally:
            os._exit(code)

print(json.dumps({"ready": os.getpid()}), flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    if cmd["op"] == "run":
        pid = os.fork()
        if pid == 0:
            child(cmd)
        print(json.dumps({"pid": pid}), flush=True)
    elif cmd["op"] == "wait":
        _, status = os.waitpid(cmd["pid"], 0)
        print(json.dumps({"code": os.waitstatus_to_exitcode(status)}), flush=True)
'''


@dataclass
class Child:
    pid: int
    stdout: Path
    stderr: Path
    marker: Path | None
    release: Path | None
    zygote: Zygote
    code: int | None = None

    def wait(self, timeout: float = 120) -> int:
        if self.code is None:
            self.code = self.zygote._wait(self.pid, timeout)
        return self.code

    def wait_for_marker(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not self.marker.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"child {self.pid} never reached its pause point; stderr: {self.err()}")
            if self.zygote._exited(self.pid):
                raise AssertionError(f"child {self.pid} ended before its pause point; stderr: {self.err()}")
            time.sleep(0.02)

    def go_on(self) -> None:
        self.release.touch()

    def kill(self) -> int:
        os.kill(self.pid, signal.SIGKILL)
        return self.wait()

    def out(self) -> str:
        return self.stdout.read_text(encoding="utf-8", errors="replace")

    def err(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")


class Zygote:
    def __init__(self, env: dict[str, str], log_dir: Path):
        self.log_dir = log_dir
        self.counter = 0
        self.process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=open(log_dir / "zygote.stderr", "wb"), text=True, bufsize=1)
        self._reply()
        self.children: list[Child] = []

    def _send(self, message: dict) -> dict:
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        return self._reply()

    def _reply(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"zygote died: {(self.log_dir / 'zygote.stderr').read_text(errors='replace')}")
        return json.loads(line)

    def run(self, args: list[str], cwd: Path, pause: str | None = None, env: dict | None = None,
            hold: bool = True, session: bool = False) -> Child:
        """Start `fundwatch ARGS` in a new process; with `pause`, it stops at that point (released by go_on()).

        With `session`, the process leads a process group of its own (os.killpg(child.pid, ...) is
        what a Ctrl-C in its terminal, or a SIGTERM to its group, does)."""
        self.counter += 1
        stem = self.log_dir / f"child{self.counter:03d}"
        marker = stem.with_suffix(".paused") if pause else None
        release = stem.with_suffix(".release") if pause and hold else None
        stdout, stderr = stem.with_suffix(".stdout"), stem.with_suffix(".stderr")
        reply = self._send({"op": "run", "args": [str(a) for a in args], "cwd": str(cwd), "stdout": str(stdout),
                            "stderr": str(stderr), "pause": pause, "marker": str(marker) if marker else None,
                            "release": str(release) if release else None, "env": env or {},
                            "session": session})
        child = Child(reply["pid"], stdout, stderr, marker, release, self)
        self.children.append(child)
        return child

    def _exited(self, pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().split(b")")[-1].split()[0] == b"Z"

    def _wait(self, pid: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while not self._exited(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                raise TimeoutError(f"fundwatch child {pid} still running after {timeout} s")
            time.sleep(0.02)
        return self._send({"op": "wait", "pid": pid})["code"]

    def close(self) -> None:
        """Kill what is still running (a test that failed before its kill), then end the zygote."""
        for child in self.children:
            if child.code is None and self.process.poll() is None:
                try:
                    child.kill()
                except (ProcessLookupError, TimeoutError, RuntimeError):
                    pass
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def prefect_home_from(template: Path, home: Path) -> Path:
    """A Prefect home (PREFECT_HOME) whose database is a copy of the migrated template."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, home / "prefect.db")
    return home


def start_zygote(log_dir: Path, prefect_home: Path | None = None) -> Zygote:
    """A zygote talking to the current Prefect API (call inside the prefect_harness fixture).

    With `prefect_home`, no API is configured instead: each child starts Prefect's temporary server,
    as `fundwatch run` does by default, with its database in that folder.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "PYTEST_CURRENT_TEST"}
    if prefect_home is None:
        from prefect.settings import PREFECT_API_URL

        env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    else:
        env.update(PREFECT_HOME=str(prefect_home), PREFECT_PROFILES_PATH=str(prefect_home / "profiles.toml"))
    env["PYTHONPATH"] = str(ROOT)
    log_dir.mkdir(parents=True, exist_ok=True)
    return Zygote(env, log_dir)


_shared: Zygote | None = None


def shared_zygote(log_dir: Path) -> Zygote:
    """One zygote per test session (closed at exit); modules share it through their `cli` fixtures."""
    global _shared
    if _shared is None or _shared.process.poll() is not None:
        import atexit

        _shared = start_zygote(log_dir)
        atexit.register(_shared.close)
    return _shared
