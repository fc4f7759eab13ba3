"""Scoring every recipient and storing the scores (with explanations) in the run's database."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from fundwatch.features import FEATURES
from models.features import build_features
from models.forest import explain_all, fit_and_score


def score_recipients(con: duckdb.DuckDBPyConnection, *, seed: int) -> dict:
    matrix = build_features(con)
    scores = fit_and_score(matrix, seed=seed)
    reasons = explain_all(matrix.values, scores.contributions, scores.medians)
    scores_table = pa.table({  # noqa: F841 - read by DuckDB below
        "ordinal": pa.array(np.arange(len(matrix)), pa.int64()),
        "score": pa.array(scores.score.round(4), pa.float64()),
        "top_features": pa.array(reasons, pa.string()),
    })
    # the ID numbers, person numbers and regions are joined back in DuckDB, by position in
    # id_number order, rather than carried through Python (GBs of strings at 100M payments)
    con.execute("""create or replace table scores as
                   select f.id_number, f.person_id, f.region_code, s.score, s.top_features
                   from (select id_number, person_id, region_code,
                                row_number() over (order by id_number) - 1 as ordinal
                         from features) as f
                   join scores_table as s using (ordinal)
                   order by f.id_number""")
    return {"recipients_scored": len(matrix), "seed": seed, "model": "IsolationForest",
            "features": [f.name for f in FEATURES]}
