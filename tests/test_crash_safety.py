"""A `fundwatch run` killed with SIGKILL at any stage leaves no output folder that looks complete,
and the next run succeeds.

Real CLI processes (tests/cli_processes.py) are stopped at a named point and killed there. Each
next run starts on what the killed one left behind: a stale `.out.partial-<pid>` staging folder,
the old output at a staging name (killed mid-publish), or `out.previous` with no `out` (killed
between the two renames of the publish used where renameat2 is missing).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from fundwatch import locking, run
from fundwatch.run import RunOptions
from tests.builders import Person, write_county
from tests.cli_processes import shared_zygote
from tests.contract import assert_outputs_pass_contract

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(scope="module")
def cli(prefect_harness, tmp_path_factory):
    return shared_zygote(tmp_path_factory.mktemp("cli"))


def small_county(root: Path) -> Path:
    people = [Person(i) for i in range(1, 13)]
    payments = [x for p in people for x in p.monthly("202301", "202304")]
    deaths = [{"id_number": people[0].id_number, "name": people[0].name, "death_date": "2023-02-03", "source": "民政"}]
    return write_county(root / "in", payments, [p.recipient() for p in people], deaths=deaths)


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def partials(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.partial-*"))


def assert_lock_is_free(out: Path) -> None:
    with locking.exclusive(out, "output folder"):
        pass


def test_killed_runs_leave_no_complete_looking_output_and_the_next_run_succeeds(cli, tmp_path):
    county = small_county(tmp_path)
    out = tmp_path / "out"
    paths, _ = run.prepare(county, out)
    run.run_county(paths, RunOptions(validate=False))
    first = snapshot(out)
    assert "manifest.json" in first
    other = tmp_path / "other"  # the same finished output, for the fallback publish below
    shutil.copytree(out, other)

    def start(point: str, target: Path):
        return cli.run(["run", county, "--out", target, "--no-validate"], cwd=tmp_path, pause=point)

    def kill(child, target: Path) -> Path:
        child.wait_for_marker()
        assert child.kill() == -9
        assert_lock_is_free(target)  # the kernel released the dead run's lock
        return target.with_name(f".{target.name}.partial-{child.pid}")

    # Killed while loading (DuckDB open) and between two rules: the old output is untouched and
    # the dead run's staging folder is all that is left.
    staging = kill(start("load", out), out)
    assert snapshot(out) == first and partials(out) == [staging] and (staging / "run.duckdb").exists()
    staging = kill(start("rules", out), out)
    assert snapshot(out) == first and partials(out) == [staging]  # the stale one of the load kill is gone

    # Two runs killed during publish, one on each folder at once:
    # - just after the atomic swap: `out` is the new, complete output; the old one waits at the
    #   staging name for the next run to remove;
    # - without renameat2, between "other -> other.previous" and "staging -> other": no `other` at
    #   all (nothing that looks complete), the previous output whole under other.previous.
    swapped, fallback = start("publish", out), start("publish-fallback", other)
    staging, other_staging = kill(swapped, out), kill(fallback, other)
    second = snapshot(out)
    assert second != first and partials(out) == [staging] and snapshot(staging) == first
    assert_outputs_pass_contract(out)
    previous = other.with_name("other.previous")
    assert not other.exists() and snapshot(previous) == first and partials(other) == [other_staging]
    assert sorted(snapshot(other_staging)) == sorted(first)  # the new output, complete but never moved into place

    # The next run clears the old output left at the staging name ...
    paths, _ = run.prepare(county, out)
    assert snapshot(out) == second and partials(out) == [paths.staging_dir]
    run.discard(paths)
    assert partials(out) == [] and not locking.lock_path(out).exists()

    # ... and puts other.previous back before it starts, clears the stale staging folder, and completes.
    paths, _ = run.prepare(county, other)
    assert snapshot(other) == first and not previous.exists() and partials(other) == [paths.staging_dir]
    run.run_county(paths, RunOptions(validate=False))
    assert_outputs_pass_contract(other)
    assert partials(other) == [] and not previous.exists() and not locking.lock_path(other).exists()
    assert b"D01" in (other / "clues.csv").read_bytes()
    manifest = json.loads((other / "manifest.json").read_text(encoding="utf-8"))
    assert {i["path"]: i["rows_loaded"] for i in manifest["inputs"]}["payments.csv"] == 48


def test_a_failed_run_gives_back_the_lock_and_leaves_nothing(tmp_path):
    county = small_county(tmp_path)
    (county / "recipients.csv").write_text("姓名\n张三\n", encoding="utf-8")
    out = tmp_path / "out"
    paths, _ = run.prepare(county, out)
    with pytest.raises(Exception, match="recipients.csv"):
        run.run_county(paths, RunOptions(validate=False))
    assert not out.exists() and partials(out) == [] and not locking.lock_path(out).exists()
    assert_lock_is_free(out)


def test_an_output_path_that_is_not_an_output_folder_is_never_replaced(tmp_path):
    county = small_county(tmp_path)
    precious = tmp_path / "documents"
    (precious / "notes.txt").parent.mkdir()
    (precious / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(Exception, match="not a fundwatch output folder") as caught:
        run.prepare(county, precious)
    assert "\n" not in str(caught.value)
    assert (precious / "notes.txt").read_text(encoding="utf-8") == "mine" and partials(precious) == []
    assert_lock_is_free(precious)
