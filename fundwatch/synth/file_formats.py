"""Writing a frame as delimited text in an encoding, or as a one-sheet workbook with fixed properties."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import xlsxwriter


def write_text(frame: pl.DataFrame, path: Path, encoding: str, separator: str = ",",
               line_terminator: str = "\n") -> None:
    frame = frame.with_columns(pl.col(pl.String).replace("", None))  # blank, not ""
    text = frame.write_csv(separator=separator, line_terminator=line_terminator, quote_style="necessary")
    path.write_bytes(text.encode(encoding))


FIXED_CREATED = datetime(2024, 1, 1)


def write_xlsx(path: Path, sheet: str, frame: pl.DataFrame, date_columns: set[str],
               number_columns: set[str] = frozenset()) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    workbook.set_properties({"created": FIXED_CREATED, "author": "fundwatch synth"})
    worksheet = workbook.add_worksheet(sheet)
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    worksheet.write_row(0, 0, frame.columns)
    kinds = ["date" if c in date_columns else "number" if c in number_columns else "text" for c in frame.columns]
    for row_number, values in enumerate(frame.iter_rows(), start=1):
        for column, (value, kind) in enumerate(zip(values, kinds)):
            if value is None or value == "":
                continue
            if kind == "date":
                worksheet.write_datetime(row_number, column, value, date_format)
            elif kind == "number":
                worksheet.write_number(row_number, column, float(value))
            else:
                worksheet.write_string(row_number, column, str(value))
    worksheet.set_column(0, len(frame.columns) - 1, 14)
    workbook.close()
