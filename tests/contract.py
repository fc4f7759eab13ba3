"""The shared output-format checker of ../shared/tools/check_outputs.py, run as the users' tool."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

CHECKER = Path(__file__).resolve().parents[2] / "shared" / "tools" / "check_outputs.py"


def assert_outputs_pass_contract(out_dir: Path) -> None:
    if not CHECKER.is_file():
        pytest.skip(f"the shared format checker is not at {CHECKER}")
    result = subprocess.run([sys.executable, str(CHECKER), str(out_dir)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("formats: 0 problems")


def read_csv(path: Path) -> list[dict]:
    """An output CSV as the team's spreadsheet reads it: UTF-8 with BOM, one dict per row."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))
