"""A `fundwatch run` killed with SIGKILL at any stage leaves no output folder that looks complete,
and the next run succeeds.

Real CLI processes (tests/cli_processes.py) are stopped at a named point and killed there; each
next run starts on what the killed one left behind: a stale `.out.partial-<pid>` staging folder, or
the old output at a staging name (killed mid-publish). The publish used where renameat2 is missing
(two renames) is interrupted in-process between its renames.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from fundwatch import emit, locking, run
from tests.builders import Person, write_county
from tests.cli_processes import shared_zygote
from tests.contract import assert_outputs_pass_contract
from tests.runs import run_flow, run_prepared

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
    run_flow(county, out)
    first = snapshot(out)
    assert "manifest.json" in first

    def killed_at(point: str) -> Path:
        child = cli.run(["run", county, "--out", out, "--no-validate"], cwd=tmp_path, pause=point)
        child.wait_for_marker()
        assert child.kill() == -9
        assert_lock_is_free(out)  # the kernel released the dead run's lock
        return out.with_name(f".{out.name}.partial-{child.pid}")

    # Killed while loading (DuckDB open) and between two rules: the old output is untouched and
    # the dead run's staging folder is all that is left.
    staging = killed_at("load")
    assert snapshot(out) == first and partials(out) == [staging] and (staging / "run.duckdb").exists()
    staging = killed_at("rules")
    assert snapshot(out) == first and partials(out) == [staging]  # the stale one of the load kill is gone

    # Killed just after the atomic swap of publish: the output folder is the new, complete one;
    # the old one waits at the staging name for the next run to remove.
    staging = killed_at("publish")
    second = snapshot(out)
    assert second != first and partials(out) == [staging] and snapshot(staging) == first
    assert_outputs_pass_contract(out)

    # The next run clears what the dead one left and completes.
    paths = run.prepare(county, out)
    assert snapshot(out) == second and partials(out) == [paths.staging_dir]
    run_prepared(paths)
    assert_outputs_pass_contract(out)
    assert partials(out) == [] and not locking.lock_path(out).exists()
    assert b"D01" in (out / "clues.csv").read_bytes()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {i["path"]: i["rows_loaded"] for i in manifest["inputs"]}["payments.csv"] == 48


def fake_output(folder: Path, text: str) -> Path:
    folder.mkdir()
    (folder / "manifest.json").write_text(text, encoding="utf-8")
    (folder / "clues.csv").write_text(text, encoding="utf-8")
    return folder


def test_publish_without_renameat2_interrupted_between_renames_is_put_back(tmp_path, monkeypatch):
    """Where renameat2 is missing, publish renames out -> out.previous, then staging -> out; a
    crash in between leaves no `out` (nothing that looks complete) and the next run restores it."""
    out = fake_output(tmp_path / "out", "old")
    staging = fake_output(tmp_path / ".out.partial-999999", "new")
    monkeypatch.setattr(emit, "_exchange", lambda a, b: False)
    original_rename = Path.rename

    def rename_then_die(self, target):
        result = original_rename(self, target)
        if str(target).endswith(".previous"):
            raise SystemExit("killed")  # stands for SIGKILL: nothing after this point runs
        return result

    monkeypatch.setattr(Path, "rename", rename_then_die)
    with pytest.raises(SystemExit):
        emit.publish(staging, out)
    monkeypatch.undo()
    previous = tmp_path / "out.previous"
    assert not out.exists() and staging.exists()
    assert (previous / "manifest.json").read_text(encoding="utf-8") == "old"

    new_staging, _ = emit.claim_output(out)  # what the next run's prepare does
    try:
        assert (out / "manifest.json").read_text(encoding="utf-8") == "old"
        assert not previous.exists() and partials(out) == [new_staging]
    finally:
        emit.release_output(out)
    staging = fake_output(tmp_path / "newer", "newer")
    monkeypatch.setattr(emit, "_exchange", lambda a, b: False)
    emit.publish(staging, out)  # and an uninterrupted fallback publish replaces it
    assert (out / "manifest.json").read_text(encoding="utf-8") == "newer" and not previous.exists()


def test_a_failed_run_gives_back_the_lock_and_leaves_nothing(tmp_path):
    county = small_county(tmp_path)
    (county / "recipients.csv").write_text("姓名\n张三\n", encoding="utf-8")
    out = tmp_path / "out"
    paths = run.prepare(county, out)
    with pytest.raises(Exception, match="recipients.csv"):
        run_prepared(paths)
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
