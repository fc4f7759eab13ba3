"""The same inputs give byte-identical clue lists, evidence, scores and quarantine (存档备查: an analyst
re-running an archived inspection gets the same files).

On small data DuckDB rarely runs a query in parallel, so two plain runs would agree even if an
output depended on the physical order of rows. The second run therefore also differs in what
parallel execution can change: threads, and the physical order of every loaded table (shuffled
right after loading); and the CSVs are written once more from shuffled result tables.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from flows.settings import RunOptions
from fundwatch import run
from fundwatch.db import EngineSettings, connect
from fundwatch.emit import write_csvs
from fundwatch.synth import shuffle_exports, synth
from tests.runs import run_flow

pytestmark = pytest.mark.usefixtures("prefect_harness")  # the county flow runs on it

COMPARED = ("clues.csv", "clue_evidence.csv", "scores.csv", "quarantine.csv")
LOADED = ("payments", "recipients", "deaths", "prisoners", "public_employees", "employment", "quarantine")


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("determinism")
    synth(root / "in", counties=2, persons=900, months=13, seed=7)
    return sorted(p for p in (root / "in").iterdir() if p.name.isdigit())[0]


def shuffle(database: Path, tables: tuple[str, ...], seed: float) -> None:
    """Rewrite each table with the same rows in a random physical order."""
    with connect(database) as con:
        con.execute("select setseed(?)", [seed])
        for table in tables:
            con.execute(f"create temp table shuffled as select * from {table} order by random()")
            con.execute(f"delete from {table}; insert into {table} select * from shuffled; drop table shuffled")


@pytest.fixture(scope="module")
def two_runs(county, tmp_path_factory, monkeypatch_module):
    root = tmp_path_factory.mktemp("runs")
    run_flow(county, root / "first", RunOptions(validate=False, engine=EngineSettings(threads=1)))

    original = run.load_county

    def load_then_shuffle(paths, inputs, engine, reference=None):
        summary = original(paths, inputs, engine, reference)
        shuffle(paths.database, LOADED, 0.25)
        return summary

    monkeypatch_module.setattr(run, "load_county", load_then_shuffle)
    run_flow(county, root / "second", RunOptions(validate=False, engine=EngineSettings(threads=4)))
    monkeypatch_module.undo()
    return root / "first", root / "second"


@pytest.fixture(scope="module")
def monkeypatch_module():
    patch = pytest.MonkeyPatch()
    yield patch
    patch.undo()


def test_two_runs_write_identical_files(two_runs):
    first, second = two_runs
    for name in COMPARED:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert len((first / "clues.csv").read_text(encoding="utf-8-sig").splitlines()) > 10
    assert len((first / "quarantine.csv").read_text(encoding="utf-8-sig").splitlines()) > 1
    manifests = [json.loads((out / "manifest.json").read_text(encoding="utf-8")) for out in (first, second)]
    assert manifests[0]["inputs"] == manifests[1]["inputs"]
    assert [(r["rule_id"], r["status"], r["clues"]) for r in manifests[0]["rules"]] == [
        (r["rule_id"], r["status"], r["clues"]) for r in manifests[1]["rules"]]


def test_csvs_do_not_depend_on_the_order_of_result_rows(two_runs, tmp_path):
    first, _ = two_runs
    shutil.copy(first / "run.duckdb", tmp_path / "run.duckdb")
    shuffle(tmp_path / "run.duckdb", ("clues", "clue_evidence", "scores", "quarantine"), 0.75)
    (tmp_path / "again").mkdir()
    with connect(tmp_path / "run.duckdb") as con:
        write_csvs(con, tmp_path / "again")
    for name in COMPARED:
        assert (tmp_path / "again" / name).read_bytes() == (first / name).read_bytes(), name


def test_row_order_of_the_exports_does_not_change_the_clues(county, two_runs, tmp_path):
    """The same exports with every table's rows in another order (synth.shuffle_exports): the same clues,
    evidence text included (CLUES.md: text built from several values is ordered). Evidence line numbers
    and the quarantine's lines follow the rows, so only clues.csv and scores.csv are compared."""
    first, _ = two_runs
    shuffled = shuffle_exports(county.parent, tmp_path / "in", seed=1)
    assert any(path.startswith("reference/") for path in shuffled)
    run_flow(tmp_path / "in" / county.name, tmp_path / "out", RunOptions(validate=False))
    for name in ("clues.csv", "scores.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (first / name).read_bytes(), name
