"""The per-recipient features the isolation forest scores (sql/features/recipient_features.sql computes
them), each with how an inspector reads it: the model (models.features, models.forest) fits and
explains on them; the report names them in words.
"""

from __future__ import annotations

from dataclasses import dataclass


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
