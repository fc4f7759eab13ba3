"""A team's working day with the real `fundwatch` command: a rerun over a filled-in workbook, argument
mistakes reported at once, file and folder names printed as they are, a folder that cannot be
written, and what the Prefect server records (task logs without -v; nothing for a refused run).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from tests.builders import Person, write_county
from tests.cli_processes import shared_zygote

FUNDWATCH = Path(sys.executable).with_name("fundwatch")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cli(prefect_harness, tmp_path_factory):
    return shared_zygote(tmp_path_factory.mktemp("cli"))


def county_with_a_clue(root: Path) -> Path:
    people = [Person(i) for i in range(1, 13)]
    deaths = [{"id_number": people[0].id_number, "name": people[0].name, "death_date": "2023-02-03", "source": "民政"}]
    return write_county(root / "in", [x for p in people for x in p.monthly("202301", "202304")],
                        [p.recipient() for p in people], deaths=deaths)


def fundwatch(*args: object, env: dict | None = None) -> tuple[subprocess.CompletedProcess, float]:
    """The installed entry point, running this checkout's code (PYTHONPATH)."""
    started = time.monotonic()
    done = subprocess.run([str(FUNDWATCH), *map(str, args)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    return done, time.monotonic() - started


def fill_in(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    sheet = book[book.sheetnames[1]]
    headers = [c.value for c in sheet[1]]
    sheet.cell(2, headers.index("核查状态") + 1, "属实")
    sheet.cell(2, headers.index("核查结果") + 1, "已核实死亡后领取，已停发")
    book.save(workbook)


def test_a_rerun_never_loses_a_filled_in_workbook(cli, tmp_path):
    county = county_with_a_clue(tmp_path)
    out = tmp_path / "out"
    first = cli.run(["run", county, "--out", out, "--no-validate"], cwd=tmp_path)
    assert first.wait() == 0, first.err()
    fill_in(out / "clues.xlsx")
    filled = (out / "clues.xlsx").read_bytes()

    refused = cli.run(["run", county, "--out", out, "--no-validate"], cwd=tmp_path)
    assert refused.wait() == 2
    message = refused.err().strip()
    print(message)
    assert len(message.splitlines()) == 1
    assert "clues.xlsx changed since the run wrote it" in message
    assert "fundwatch feedback" in message and "--force" in message
    assert (out / "clues.xlsx").read_bytes() == filled

    with open(out / "clues.csv", "a", encoding="utf-8") as fh:  # an edited CSV is a team's work too
        fh.write("\n")
    forced = cli.run(["run", county, "--out", out, "--no-validate", "--force"], cwd=tmp_path)
    assert forced.wait() == 0, forced.err()
    kept = sorted(tmp_path.glob("out.filled-*"))
    assert len(kept) == 1 and sorted(p.name for p in kept[0].iterdir()) == ["clues.csv", "clues.xlsx"]
    assert (kept[0] / "clues.xlsx").read_bytes() == filled
    assert (out / "clues.xlsx").read_bytes() != filled
    assert f"kept in {kept[0]}" in forced.out().replace("\n", "")

    again = cli.run(["run", county, "--out", out, "--no-validate"], cwd=tmp_path)
    assert again.wait() == 0, again.err()  # the new, untouched outputs may be replaced


def test_argument_mistakes_are_reported_before_anything_starts(tmp_path):
    county = county_with_a_clue(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "loose" / "reference").mkdir(parents=True)
    (tmp_path / "loose" / "pay_2025.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "loose" / "notes.txt").write_text("x\n", encoding="utf-8")
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "notes.txt").write_text("mine", encoding="utf-8")
    cases = {
        "missing folder": (["run", tmp_path / "nope", "--out", tmp_path / "o1"], "input folder does not exist"),
        "empty folder": (["run", empty, "--out", tmp_path / "o2"], "no payments file (待遇发放明细) found"),
        "unrecognised files": (["run", tmp_path / "loose", "--out", tmp_path / "o3"],
                               "*payments* or *待遇发放明细*"),
        "unrelated --out": (["run", county, "--out", documents], "not a fundwatch output folder"),
    }
    heavy = ("prefect", "great_expectations", "sklearn", "splink")  # the seconds-long imports
    for name, (args, expected) in cases.items():
        # "Before anything starts", read without a clock: no heavy library is even imported.
        done, seconds = fundwatch(*args, env={"PYTHONPROFILEIMPORTTIME": "1"})
        imported = {line.rsplit("|", 1)[-1].strip().split(".")[0]
                    for line in done.stderr.splitlines() if line.startswith("import time:")}
        message = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
        print(f"{name}: exit {done.returncode} after {seconds:.2f} s: {message}")
        assert done.returncode == 2 and expected in message[0], (name, message)
        assert len(message) == 1, name
        assert not imported & set(heavy), (name, imported & set(heavy))
    done, _ = fundwatch("run", tmp_path / "loose", "--out", tmp_path / "o3")
    assert "ignored: notes.txt: not an input table by its name, pay_2025.csv: not an input table" in done.stderr
    assert (documents / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not any(tmp_path.glob("o[123]"))
    done, seconds = fundwatch("synth", tmp_path / "synth", "--months", "12")
    print(f"synth --months 12: exit {done.returncode} after {seconds:.2f} s: {done.stderr.strip()}")
    assert done.returncode == 2 and done.stderr.strip() == (
        "error: months must be at least 13 (unemployment plants need 13 periods)")
    version, _ = fundwatch("--version")
    assert version.returncode == 0 and version.stdout.startswith("fundwatch ")


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path):
    readonly = Path("/sys/fs")  # read-only even for root, who ignores permission bits
    try:
        (readonly / "fundwatch-probe").mkdir()
    except OSError:
        pass
    else:
        (readonly / "fundwatch-probe").rmdir()
        pytest.skip("no read-only folder on this machine")
    county = county_with_a_clue(tmp_path)
    done, seconds = fundwatch("run", county, "--out", readonly / "fundwatch-out")
    print(f"exit {done.returncode} after {seconds:.2f} s: {done.stderr.strip()}")
    assert done.returncode == 3
    assert done.stderr.strip().splitlines() == [f"error: cannot write in {readonly}: Permission denied; choose "
                                                "another --out or fix its permissions"]


def test_names_with_brackets_are_printed_as_they_are(cli, tmp_path):
    county = county_with_a_clue(tmp_path)
    (county / "payments.csv").rename(county / "payments_[old]2025.csv")
    out = tmp_path / "a[/]b"
    child = cli.run(["run", county, "--out", out, "--no-validate"], cwd=tmp_path)
    assert child.wait() == 0, child.err()
    printed = child.out()
    assert "payments_[old]2025.csv" in printed and f"written to {out}" in printed.replace("\n", "")
    assert (out / "clues.csv").exists()


def test_task_logs_reach_the_server_without_v_and_a_refused_run_is_not_a_flow_run(cli, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    county = county_with_a_clue(tmp_path)
    out = tmp_path / "out"
    child = cli.run(["run", county, "--out", out, "--no-validate"], cwd=tmp_path)
    assert child.wait() == 0, child.err()
    assert child.err().strip() == ""  # the console stays quiet
    refused = cli.run(["run", tmp_path / "missing", "--out", tmp_path / "refused"], cwd=tmp_path)
    assert refused.wait() == 2
    with get_client(sync_client=True) as client:
        runs = {r.parameters.get("out_dir"): r for r in client.read_flow_runs()}
        assert str(tmp_path / "refused") not in runs
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[runs[str(out)].id])))
        artifacts = {a.key for a in client.read_artifacts()}
    assert {"330102-clues-per-rule", "330102-clues-per-county", "330102-outputs"} <= artifacts  # its own timeline
    messages = [log.message for log in logs]
    assert any(m.startswith("loaded 3 files: ") for m in messages), messages
    assert any(m.startswith("rule D01 run: 1 clues") for m in messages), messages


def test_console_tables_are_not_cut_to_80_columns_when_printed_to_a_file():
    """The city ranking printed `recipie…` when the output was not a terminal (rich's 80 columns)."""
    ranking = [{"rank": 1, "county": "330102", "recipients": 123456, "payments": 2345678, "clues": 321,
                "improper_amount": "1234567.89", "exposure_amount": "2345678.90", "clues_per_10k": 26.0,
                "amount_per_10k": "100000.00"}]
    code = f"import flows.console as console; console.ranking({{'clues': {{'ranking': {ranking!r}}}}})"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    print(done.stdout)
    assert "…" not in done.stdout
    for header in ("recipients", "payments", "问题金额 improper", "涉及金额 exposure", "clues/10k", "improper/10k",
                   "1234567.89", "2345678.90"):
        assert header in done.stdout
