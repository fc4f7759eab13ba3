"""Isolation-forest scores with an explanation of which features drove each one.

The score is the anomaly score of Liu et al. (2008), 2^(-E[h(x)]/c(n)), which scikit-learn returns
negated by `score_samples`: it lies in (0, 1], and above 0.5 means easier to isolate than average.
A feature's contribution is how much the score falls when that feature alone is set to the
population median (the typical value); the largest contributions are the features named.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.features import FEATURES, FeatureMatrix

MIN_RECIPIENTS = 2
NEUTRAL_SCORE = 0.5  # the score of a point as easy to isolate as an average one
EXPLAIN_TOP = 3
MIN_CONTRIBUTION = 0.005
EXPLAIN_CHUNK_ROWS = 20_000


@dataclass
class Scores:
    score: np.ndarray
    contributions: np.ndarray  # same shape as the feature matrix
    medians: np.ndarray


def fit_and_score(matrix: FeatureMatrix, *, seed: int, trees: int = 200) -> Scores:
    x = matrix.values
    n = len(matrix)
    if n < MIN_RECIPIENTS:
        return Scores(np.full(n, NEUTRAL_SCORE), np.zeros_like(x), np.zeros(x.shape[1]))
    from sklearn.ensemble import IsolationForest  # imported here: it costs seconds at start-up

    forest = IsolationForest(n_estimators=trees, max_samples=min(256, n), random_state=seed)
    forest.fit(x)
    score = -forest.score_samples(x)
    medians = np.median(x, axis=0)
    contributions = np.zeros_like(x)
    for start in range(0, n, EXPLAIN_CHUNK_ROWS):
        chunk = x[start:start + EXPLAIN_CHUNK_ROWS]
        for j in range(x.shape[1]):
            typical = chunk.copy()
            typical[:, j] = medians[j]
            contributions[start:start + len(chunk), j] = score[start:start + len(chunk)] + forest.score_samples(typical)
    return Scores(score, contributions, medians)


def _number(value: float, unit: str) -> str:
    if unit == "元":
        return f"{value:,.2f}元"
    if unit == "":
        return f"{value:.0%}"
    if float(value).is_integer():
        return f"{int(value)}{unit}"
    return f"{value:.2f}{unit}"


def explain(values: np.ndarray, contributions: np.ndarray, medians: np.ndarray) -> str:
    """The features that raised one recipient's score, in words, strongest first."""
    order = np.argsort(-contributions, kind="stable")
    parts = []
    for j in order[:EXPLAIN_TOP]:
        if contributions[j] < MIN_CONTRIBUTION:
            break
        feature = FEATURES[j]
        direction = "偏高" if values[j] > medians[j] else "偏低"
        parts.append(f"{feature.label}{direction}（{_number(values[j], feature.unit)}，"
                     f"中位数{_number(medians[j], feature.unit)}）")
    return "；".join(parts) if parts else "无明显异常特征"
