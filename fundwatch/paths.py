"""Where the SQL files live, both in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def sql_dir() -> Path:
    for candidate in (_PACKAGE_DIR / "sql", _PACKAGE_DIR.parent / "sql"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("fundwatch's sql/ folder is missing from this installation")


def sql_file(relative: str) -> str:
    return (sql_dir() / relative).read_text(encoding="utf-8")
