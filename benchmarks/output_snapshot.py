"""Digest of an output folder that two runs of the same inputs must share, for before/after checks.

    python benchmarks/output_snapshot.py OUT > before.txt   (then after a change)   diff before.txt after.txt

CSV files are hashed byte for byte; workbooks by every sheet's cell values and print setup; the
report by its text with the run's clock times and durations removed; manifest.json without its
times, durations, hashes of the workbooks (they hold the run's time) and machine facts; Data Docs not
at all (GX names its pages after the run's time). Only what differs between two runs of the same inputs is left out.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

CLOCK = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:?\d\d|Z)?|用时\s*[\d.]+\s*秒")
VOLATILE_KEYS = re.compile(r"(_at|_seconds|seconds|duration|elapsed|time|started|finished|version|"
                           r"python|platform|host|pid|engine|flow_run|run_id|rss|threads|memory|sha256|out_dir|docs)",
                           re.IGNORECASE)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in sorted(value.items()) if not VOLATILE_KEYS.search(k)}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, str):
        return CLOCK.sub("<time>", value)
    return value


def _workbook(path: Path) -> str:
    from openpyxl import load_workbook

    book = load_workbook(path)
    parts = []
    for sheet in book.worksheets:
        cells = [[CLOCK.sub("<time>", str(c)) if c is not None else "" for c in row]
                 for row in sheet.iter_rows(values_only=True)]
        setup = (sheet.page_setup.orientation, sheet.page_setup.fitToWidth, sheet.print_title_rows)
        parts.append(f"{sheet.title}:{_sha(json.dumps([cells, setup], default=str).encode())}")
    return " ".join(parts)


def snapshot(out: Path) -> list[str]:
    lines = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        name = path.relative_to(out).as_posix()
        if "data_docs" in path.parts:  # GX names its pages after the run's time
            continue
        if path.suffix == ".csv":
            lines.append(f"{name} {_sha(path.read_bytes())}")
        elif path.suffix == ".xlsx":
            lines.append(f"{name} {_workbook(path)}")
        elif path.suffix == ".html" and "docs" not in path.parts:
            lines.append(f"{name} {_sha(CLOCK.sub('<time>', path.read_text(encoding='utf-8')).encode())}")
        elif path.name == "manifest.json":
            manifest = _strip(json.loads(path.read_text(encoding="utf-8")))
            lines.append(f"{name} {_sha(json.dumps(manifest, sort_keys=True, ensure_ascii=False).encode())}")
        else:
            lines.append(f"{name} (present)")
    return lines


if __name__ == "__main__":
    for folder in sys.argv[1:]:
        print("\n".join(snapshot(Path(folder))))
