"""Two runs on one output folder: the second is refused with one line, nothing is corrupted.

The lock is an OS file lock (fundwatch.locking) held by real processes: the test process in the
middle of a run, refusing a real `fundwatch run` (tests/cli_processes.py); and a plain Python
process holding the helper other stages use for a history database, killed with SIGKILL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from fundwatch import locking, run
from tests.cli_processes import ROOT, shared_zygote
from tests.contract import assert_outputs_pass_contract
from tests.runs import run_flow, run_prepared
from tests.test_crash_safety import partials, small_county, snapshot

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(scope="module")
def cli(prefect_harness, tmp_path_factory):
    return shared_zygote(tmp_path_factory.mktemp("cli"))


def test_second_run_on_the_same_output_folder_is_refused(cli, tmp_path):
    county = small_county(tmp_path)
    out = tmp_path / "out"
    run_flow(county, out)
    before = snapshot(out)

    paths = run.prepare(county, out)  # this process starts a run on `out` and holds its lock
    second = cli.run(["run", county, "--out", out, "--no-validate"], cwd=tmp_path)  # a real `fundwatch run`
    assert second.wait() == 2
    assert second.err().strip() == (f"error: output folder {out} is in use by another fundwatch run "
                                     f"(pid {os.getpid()}); wait for it to finish or choose another")
    # the refused run touched nothing: no staging folder of its own, the old output as it was
    assert partials(out) == [paths.staging_dir] and snapshot(out) == before

    run_prepared(paths)  # the first run goes on undisturbed
    assert_outputs_pass_contract(out)
    assert snapshot(out) != before and partials(out) == [] and not locking.lock_path(out).exists()


HOLDER = """
import sys, time
from fundwatch.locking import exclusive
with exclusive(sys.argv[1], "history database"):
    print("locked", flush=True)
    time.sleep(600)
"""


def test_lock_helper_refuses_a_second_process_and_frees_on_process_death(tmp_path):
    database = tmp_path / "history.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(database)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(locking.Busy) as caught:
            with locking.exclusive(database, f"history database {database.name}"):
                pass
        assert str(caught.value) == (f"history database history.duckdb is in use by another fundwatch run "
                                     f"(pid {holder.pid}); wait for it to finish or choose another")
        holder.kill()  # SIGKILL: no cleanup code runs, the kernel drops the lock
        holder.wait()
        assert locking.lock_path(database).exists()  # a dead holder's lock file stays, unlocked
        with locking.exclusive(database, "history database") as lock:
            assert lock.held and locking.lock_path(database).read_text().strip() == str(os.getpid())
        assert not locking.lock_path(database).exists()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_lock_holders_in_one_process_exclude_each_other(tmp_path):
    target = tmp_path / "out"
    with locking.exclusive(target, "output folder") as first:
        with pytest.raises(locking.Busy, match=r"output folder is in use by another fundwatch run \(pid \d+\)"):
            locking.acquire(target, "output folder")
        assert first.held
    started = time.monotonic()
    locking.acquire(target, "output folder").release()
    assert time.monotonic() - started < 1
