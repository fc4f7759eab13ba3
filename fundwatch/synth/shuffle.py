"""The same exports with every table's data rows in another order, for determinism tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

from fundwatch.synth.file_formats import FIXED_CREATED


TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".parquet")


def shuffle_exports(source: Path, target: Path, seed: int = 0) -> list[str]:
    """Copy the input folder `source` (county folders and reference/) to `target` with the data rows of
    every table in another order, for determinism tests: the same inputs in any row order must give
    the same clues.

    Text tables keep their header line, encoding, separators and line ends byte for byte (each record
    must be one physical line, as synth writes them); .xlsx sheets are rewritten with the same cell
    types, .parquet files with the same schema. Files at the root (ground truth, expected quarantine)
    are not copied: their line numbers no longer hold. Returns the paths shuffled, relative to `target`.
    """
    import shutil

    import openpyxl

    source, target = Path(source), Path(target)
    rng = np.random.default_rng(seed)
    shuffled = []
    for path in sorted(p for p in source.rglob("*") if p.is_file() and p.parent != source):
        relative = path.relative_to(source)
        out = target / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() not in TABLE_SUFFIXES:
            shutil.copyfile(path, out)
            continue
        if path.suffix.lower() == ".parquet":
            frame = pl.read_parquet(path)
            frame[rng.permutation(frame.height)].write_parquet(out)
        elif path.suffix.lower() == ".xlsx":
            workbook = openpyxl.load_workbook(path, read_only=True)
            writer = xlsxwriter.Workbook(str(out))
            writer.set_properties({"created": FIXED_CREATED, "author": "fundwatch synth"})
            date_format = writer.add_format({"num_format": "yyyy-mm-dd"})
            for sheet in workbook.worksheets:
                rows = list(sheet.iter_rows(values_only=True))
                body = [rows[i] for i in rng.permutation(len(rows) - 1) + 1] if len(rows) > 1 else []
                worksheet = writer.add_worksheet(sheet.title)
                for row_number, values in enumerate(rows[:1] + body):
                    for column, value in enumerate(values):
                        if value is None:
                            continue
                        if isinstance(value, datetime):
                            worksheet.write_datetime(row_number, column, value, date_format)
                        elif isinstance(value, bool):
                            worksheet.write_boolean(row_number, column, value)
                        elif isinstance(value, (int, float)):
                            worksheet.write_number(row_number, column, value)
                        else:
                            worksheet.write_string(row_number, column, str(value))
            workbook.close()
            writer.close()
        else:
            raw = path.read_bytes()
            ending = b"\r\n" if b"\r\n" in raw else b"\n"
            lines = raw.split(ending)
            last = [lines.pop()] if lines[-1] == b"" else []
            header, body = lines[:1], lines[1:]
            out.write_bytes(ending.join(header + [body[i] for i in rng.permutation(len(body))] + last))
        shuffled.append(str(relative))
    return shuffled
