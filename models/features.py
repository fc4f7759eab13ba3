"""Per-recipient features for the isolation forest, computed in SQL (sql/features/) and declared in
fundwatch.features."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np

from fundwatch.db import run_sql
from fundwatch.features import FEATURES
from fundwatch.paths import sql_file


@dataclass
class FeatureMatrix:
    """The features of every recipient; who they are stays in the `features` table (same order)."""

    values: np.ndarray  # rows: recipients ordered by id_number; columns: FEATURES

    def __len__(self) -> int:
        return self.values.shape[0]


def build_features(con: duckdb.DuckDBPyConnection) -> FeatureMatrix:
    run_sql(con, "recipient features", "create or replace table features as " + sql_file("features/recipient_features.sql"))
    columns = con.execute(f"select {', '.join(f.name for f in FEATURES)} from features order by id_number").fetchnumpy()
    values = np.column_stack([np.asarray(columns[f.name], dtype=np.float64) for f in FEATURES]) if len(
        columns[FEATURES[0].name]) else np.empty((0, len(FEATURES)))
    return FeatureMatrix(np.nan_to_num(values))
