"""Scoring every recipient and storing the scores (with explanations) in the run's database."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from models.features import FEATURES, build_features
from models.forest import explain_all, fit_and_score


def score_recipients(con: duckdb.DuckDBPyConnection, *, seed: int, death_one_off_benefits: list[str]) -> dict:
    matrix = build_features(con, death_one_off_benefits)
    scores = fit_and_score(matrix, seed=seed)
    reasons = explain_all(matrix.values, scores.contributions, scores.medians)
    scores_table = pa.table({  # noqa: F841 - read by DuckDB below
        "id_number": pa.array(matrix.ids["id_number"], pa.string()),
        "person_id": pa.array(matrix.ids["person_id"], pa.string()),
        "region_code": pa.array(matrix.ids["region_code"], pa.string()),
        "score": pa.array(scores.score.round(4), pa.float64()),
        "top_features": pa.array(reasons, pa.string()),
    })
    con.execute("create or replace table scores as select * from scores_table order by id_number")
    return {"recipients_scored": len(matrix), "seed": seed, "model": "IsolationForest",
            "features": [f.name for f in FEATURES]}
