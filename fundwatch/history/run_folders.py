"""A run made without --history: found in its output folder, whose clues the history may not hold yet."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunFolder:
    """An output folder whose clues the history may not hold yet (a run made without --history)."""

    out_dir: Path
    scope: str
    started_at: str

    @property
    def run_id(self) -> str:
        return f"{self.started_at} {self.scope}"

    @property
    def database(self) -> Path:
        return self.out_dir / "run.duckdb"


def run_folder(out_dir: Path) -> RunFolder:
    """The run in an output folder, from its manifest.json; its run.duckdb must be there (kept by default)."""
    from fundwatch.ingest import InputError

    out_dir = Path(out_dir).resolve()
    try:
        manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"{out_dir}: not a fundwatch output folder (manifest.json: {error})") from None
    if not (out_dir / "run.duckdb").is_file():
        raise InputError(f"{out_dir}: no run.duckdb (the run was made with --no-keep-database); "
                         "rerun with --history to record its clues")
    run = manifest.get("run") or {}
    scope = ("city:" + ";".join(run.get("counties") or []) if run.get("kind") == "city"
             else f"county:{run.get('county', '')}")
    return RunFolder(out_dir, scope, manifest["started_at"])


def run_beside(path: Path) -> RunFolder | None:
    """The run whose output folder holds the feedback file itself (clues.xlsx filled in place), if any."""
    folder = Path(path).resolve().parent
    if (folder / "manifest.json").is_file() and (folder / "run.duckdb").is_file():
        try:
            return run_folder(folder)
        except Exception:  # noqa: BLE001 - not a usable run folder: the rows say what is unknown
            return None
    return None
