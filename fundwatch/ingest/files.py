"""A run's input files as found and read, and the error for a file that cannot be read at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# The row key of a loaded row: its file's index in the run times this, plus its line in the file.
ROW_KEY_FILE_FACTOR = 10_000_000_000


class InputError(Exception):
    """A file (or folder) that cannot be read at all; the message is one line naming it."""


@dataclass
class InputFile:
    path: Path
    rel: str
    table: str
    county: str | None
    index: int = 0
    sha256: str = ""
    encoding: str = ""
    rows_read: int = 0
    raw_table: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # canonical name -> raw column
    headers: dict[str, str] = field(default_factory=dict)  # raw column -> the header as the file prints it
    extra_columns: dict[str, str] = field(default_factory=dict)  # header of an unknown column -> raw column
    early_quarantine: list[tuple[int, str, str, str]] = field(default_factory=list)


@dataclass
class RunInputs:
    root: Path
    kind: str  # "county" or "city"
    counties: dict[str, Path]
    reference_dir: Path | None
    files: list[InputFile]
    ignored: list[str]

    def tables_present(self) -> set[str]:
        return {f.table for f in self.files}
