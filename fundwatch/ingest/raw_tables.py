"""raw.fNNNN: the text of one input file, one VARCHAR column per header and the physical line of each row."""

from __future__ import annotations

import pyarrow as pa

from fundwatch.ingest.files import InputFile


ARROW_BATCH_ROWS = 100_000


QUARANTINE_VALUE_CHARS = 200


class RawWriter:
    """Appends Arrow batches to raw.fNNNN as they are read, so a large file never sits in memory whole."""

    def __init__(self, con, f: InputFile, raw_names: list[str]):
        self.con, self.table, self.created = con, f"raw.f{f.index:04d}", False
        f.raw_table = self.table

    def add(self, batch: pa.RecordBatch) -> None:
        arrow_batch = pa.Table.from_batches([batch])  # noqa: F841 - read by DuckDB below
        if self.created:
            self.con.execute(f"insert into {self.table} select * from arrow_batch")
        else:
            self.con.execute(f"create or replace table {self.table} as select * from arrow_batch")
            self.created = True


def batch(raw_names: list[str], lines: list[int], rows: list[list[str]]) -> pa.RecordBatch:
    columns = list(zip(*rows)) if rows else [[] for _ in raw_names]
    arrays = [pa.array(lines, pa.int64())] + [pa.array(list(c), pa.string()) for c in columns]
    return pa.RecordBatch.from_arrays(arrays, names=["source_line", *raw_names])


def create_raw_from_rows(con, f: InputFile, raw_names, lines, rows) -> None:
    RawWriter(con, f, raw_names).add(batch(raw_names, lines, rows))
