"""The bad-input corpus (tests/bad_inputs/corpus.py): each case stops with one line or quarantines
exactly the rows it names -- never a traceback, never a row lost silently. A few stops go through
the real `fundwatch run` (exit 2, one line on stderr, no output folder)."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundwatch.db import connect
from fundwatch.ingest import InputError, discover
from fundwatch.load import load_inputs
from tests.bad_inputs.corpus import CASES, PERSONAL, Case, Rows, Stop, base_county, markdown_table
from tests.cli_processes import shared_zygote

CSV_DEFAULT_FIELD_LIMIT = 131072
DOC = Path(__file__).resolve().parents[1] / "docs" / "bad-inputs.md"


def load(county: Path, tmp_path: Path):
    con = connect(tmp_path / "run.duckdb")
    inputs = discover(county)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return con, inputs, load_inputs(con, inputs, work)


def assert_no_personal_data(text: str) -> None:
    assert not re.search(r"\d{15}", text), text
    for value in PERSONAL:
        assert value not in text, (value, text)


@pytest.fixture
def fresh_process_state():
    """Each case alone: state a loader could leave in the process (csv's field limit) is reset first."""
    csv.field_size_limit(CSV_DEFAULT_FIELD_LIMIT)
    yield
    csv.field_size_limit(CSV_DEFAULT_FIELD_LIMIT)


def damaged_county(case: Case, tmp_path: Path) -> Path:
    county = base_county(tmp_path)
    case.damage(county)
    if not county.exists():  # the case renamed the county folder
        county = next(d for d in county.parent.iterdir() if d.is_dir() and d.name != "reference")
    return county


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path, fresh_process_state):
    county = damaged_county(case, tmp_path)
    if isinstance(case.outcome, Stop):
        with pytest.raises(InputError) as caught:
            load(county, tmp_path)
        message = str(caught.value)
        assert re.search(case.outcome.message, message), message
        assert "\n" not in message and message.startswith(case.outcome.file + ":"), message
        assert_no_personal_data(message)
        return
    expected: Rows = case.outcome
    con, inputs, reconciliation = load(county, tmp_path)
    for f in reconciliation:
        assert f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"], f
    loaded = {f["path"]: f["rows_loaded"] for f in reconciliation}
    assert {k: loaded.get(k) for k in expected.loaded} == expected.loaded
    quarantined = con.execute("select source_file, source_line, column_name, reason from quarantine "
                              "order by source_file, source_line").fetchall()
    assert quarantined == expected.quarantine
    assert sorted(inputs.ignored) == sorted(expected.ignored)
    if expected.check:
        expected.check(con)
    if expected.check_files:
        expected.check_files(reconciliation)
    values = con.execute("select coalesce(max(length(value)), 0) from quarantine").fetchone()[0]
    assert values <= 200


def test_a_long_field_loads_in_a_fresh_process(tmp_path):
    """The first thing a new process does: no earlier test may have raised csv's field limit."""
    county = damaged_county(next(c for c in CASES if c.id == "long-field-first-lines"), tmp_path)
    script = (
        "import sys; from pathlib import Path\n"
        "from fundwatch.db import connect\nfrom fundwatch.ingest import discover\nfrom fundwatch.load import load_inputs\n"
        "root = Path(sys.argv[1]); (root / 'work').mkdir()\n"
        "files = load_inputs(connect(root / 'run.duckdb'), discover(Path(sys.argv[2])), root / 'work')\n"
        "print([(f['path'], f['rows_loaded'], f['rows_quarantined']) for f in files if f['table'] == 'payments'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path), str(county)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[('payments.csv', 11, 1)]"


def test_the_corpus_is_large_and_documented():
    assert len(CASES) >= 30 and len({c.id for c in CASES}) == len(CASES)
    assert sum(isinstance(c.outcome, Stop) for c in CASES) >= 10
    assert sum(isinstance(c.outcome, Rows) and bool(c.outcome.quarantine) for c in CASES) >= 10
    assert markdown_table() in DOC.read_text(encoding="utf-8"), "regenerate: python -m tests.bad_inputs.corpus"


CLI_CASES = ["empty-file", "header-only", "directory"]


@pytest.fixture(scope="module")
def cli(prefect_harness, tmp_path_factory):
    return shared_zygote(tmp_path_factory.mktemp("cli"))


def _stop_through_cli(cli, tmp_path: Path, case: Case):
    county = base_county(tmp_path)
    case.damage(county)
    out = tmp_path / "out"
    child = cli.run(["run", county, "--out", out, "--no-validate"], cwd=tmp_path)
    return child, child.wait(), out


@pytest.mark.parametrize("case_id", CLI_CASES)
def test_unusable_file_stops_the_real_cli_with_exit_2(cli, tmp_path, case_id):
    case = next(c for c in CASES if c.id == case_id)
    child, code, out = _stop_through_cli(cli, tmp_path, case)
    assert code == 2, child.err()
    lines = child.err().strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in child.err(), child.err()  # one line, no traceback
    assert lines[0].startswith(f"error: {case.outcome.file}:") and re.search(case.outcome.message, lines[0])
    assert_no_personal_data(child.err())
    assert not out.exists() and not list(tmp_path.glob(".out.partial-*"))
    assert not (tmp_path / "out.error.log").exists()


PARSERS = ["fw_clean", "fw_id_normalise", "fw_parse_account", "fw_parse_benefit_type", "fw_parse_scheme",
           "fw_parse_gender", "fw_parse_region", "fw_parse_date", "fw_parse_period", "fw_parse_money",
           "fw_parse_integer"]


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.text(max_size=40), st.text(alphabet="0123456789-/.年月日 ,¥eE+:xX\x00\u3000", max_size=24)))
def test_every_parser_reads_any_cell_without_raising(con, text):
    """One cell can never stop the load: every parser returns a value or NULL (then the row is quarantined)."""
    values = con.execute("select " + ", ".join(f"{p}($v)" for p in PARSERS), {"v": text}).fetchone()
    parsed = dict(zip(PARSERS, values))
    if parsed["fw_parse_period"] is not None:
        assert 190001 <= parsed["fw_parse_period"] <= 220012 and 1 <= parsed["fw_parse_period"] % 100 <= 12
    if parsed["fw_parse_money"] is not None:
        assert abs(parsed["fw_parse_money"]) < 10 ** 16
    if parsed["fw_parse_date"] is not None:
        assert 1880 <= parsed["fw_parse_date"].year <= 2200
