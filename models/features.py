"""Per-recipient features for the isolation forest, computed in SQL (sql/features/)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np

from fundwatch.db import run_sql
from fundwatch.paths import sql_file


@dataclass(frozen=True)
class Feature:
    name: str
    label: str  # how an inspector reads it
    unit: str


FEATURES = (
    Feature("months_paid", "发放月数", "个月"),
    Feature("mean_monthly_amount", "月均发放金额", "元"),
    Feature("max_payment", "单笔最高金额", "元"),
    Feature("max_to_median", "单月最高与中位金额之比", "倍"),
    Feature("relative_to_peers", "金额与同险种同待遇中位数之比", "倍"),
    Feature("payments_per_period", "每个所属期发放笔数", "笔"),
    Feature("accounts_used", "使用银行账户数", "个"),
    Feature("schemes", "领取险种数", "个"),
    Feature("max_gap_months", "所属期最大间断", "个月"),
    Feature("back_pay_share", "补发金额占比", ""),
    Feature("max_pay_lag_months", "发放日期晚于所属期最多", "个月"),
)


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
