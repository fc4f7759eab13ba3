"""Identity-resolution models: models/identity.toml read into typed entries and turned into splink settings.

Nothing here runs SQL: fundwatch.linkage builds the inputs, runs splink on the run's DuckDB
connection and writes identity_links. A model is one purpose (deaths -> recipients, recipients ->
recipients, tip-offs -> recipients) with its comparisons, blocking rules and prior.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

MODEL_FILE = Path(__file__).with_name("identity.toml")


@dataclass(frozen=True)
class Level:
    label: str
    sql: str
    m: float | None = None
    u: float | None = None  # used only where the run's random pairs never show the level
    agree: str = ""  # the field named in evidence when the pair agrees at this level ("" = not agreeing)
    null: bool = False
    tf: str = ""  # term-frequency adjustment column
    reason: str = ""


@dataclass(frozen=True)
class Comparison:
    name: str
    description: str
    levels: tuple[Level, ...]

    @property
    def gamma_labels(self) -> dict[int, str]:
        """splink's comparison vector values: the null level -1, then the others from the highest down to 0."""
        labels = {-1: next((lv.label for lv in self.levels if lv.null), "null")}
        others = [lv for lv in self.levels if not lv.null]
        for position, level in enumerate(others):
            labels[len(others) - 1 - position] = level.label
        return labels

    def level(self, label: str) -> Level:
        return next(lv for lv in self.levels if lv.label == label)


@dataclass(frozen=True)
class Purpose:
    name: str
    description: str
    link_type: str
    left: str
    right: str
    comparisons: tuple[Comparison, ...]
    blocking_rules: tuple[str, ...]
    prior_reason: str
    expected_matches_per_left_record: float | None = None
    expected_duplicate_share: float | None = None

    def prior(self, left_records: int, right_records: int) -> float:
        """splink's probability_two_random_records_match for inputs of these sizes."""
        if self.link_type == "dedupe_only":
            pairs = max(left_records * (left_records - 1) / 2, 1)
            expected = (self.expected_duplicate_share or 0) * left_records
        else:
            pairs = max(left_records * right_records, 1)
            expected = (self.expected_matches_per_left_record or 0) * left_records
        return min(max(expected / pairs, 1e-12), 0.5)

    def settings(self, left_records: int, right_records: int) -> dict:
        """A splink settings dictionary (m from the configuration, u as configured until estimated)."""
        return {
            "link_type": self.link_type,
            "unique_id_column_name": "unique_id",
            "probability_two_random_records_match": self.prior(left_records, right_records),
            "blocking_rules_to_generate_predictions": list(self.blocking_rules),
            "comparisons": [_splink_comparison(c) for c in self.comparisons],
            "retain_matching_columns": True,
            "retain_intermediate_calculation_columns": True,
            "additional_columns_to_retain": ["id_valid"],
        }


@dataclass(frozen=True)
class IdentityModels:
    review_probability: float
    u_max_pairs: int
    u_seed: int
    comparisons: dict[str, Comparison]
    purposes: dict[str, Purpose] = field(default_factory=dict)

    def purpose(self, name: str) -> Purpose:
        return self.purposes[name]


def _splink_comparison(comparison: Comparison) -> dict:
    levels = []
    for level in comparison.levels:
        entry = {"sql_condition": "ELSE" if level.sql.strip().lower() == "else" else level.sql,
                 "label_for_charts": level.label}
        if level.null:
            entry["is_null_level"] = True
        else:
            entry["m_probability"] = level.m
            # a u splink cannot estimate keeps this value; the others are replaced by the estimate
            entry["u_probability"] = level.u if level.u is not None else _uninformative_u(comparison, level)
        if level.tf:
            entry["tf_adjustment_column"] = level.tf
            entry["tf_adjustment_weight"] = 1.0
        levels.append(entry)
    return {"output_column_name": comparison.name, "comparison_description": comparison.description,
            "comparison_levels": levels}


def _uninformative_u(comparison: Comparison, level: Level) -> float:
    """Until estimated, u = m (a Bayes factor of 1): a level the run cannot estimate says nothing."""
    return level.m if level.m else 1e-6


def load_models(path: Path | None = None) -> IdentityModels:
    with open(path or MODEL_FILE, "rb") as fh:
        config = tomllib.load(fh)
    comparisons = {}
    for name, entry in config["comparisons"].items():
        levels = tuple(Level(**level) for level in entry["levels"])
        non_null = [lv for lv in levels if not lv.null]
        total = sum(lv.m or 0 for lv in non_null)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"{MODEL_FILE.name}: the m of comparison {name} add up to {total}, not 1")
        comparisons[name] = Comparison(name, entry.get("description", ""), levels)
    purposes = {}
    for name, entry in config["purposes"].items():
        entry = dict(entry)
        entry["comparisons"] = tuple(comparisons[c] for c in entry["comparisons"])
        entry["blocking_rules"] = tuple(entry["blocking_rules"])
        entry.setdefault("right", "")
        purposes[name] = Purpose(name=name, **entry)
    settings = config["settings"]
    return IdentityModels(settings["review_probability"], int(settings["u_max_pairs"]), int(settings["u_seed"]),
                          comparisons, purposes)


def agreeing_fields_sql(purpose: Purpose) -> str:
    """SQL (over splink's prediction columns gamma_<comparison>) listing the agreeing fields in words, '、'-joined."""
    parts = []
    for comparison in purpose.comparisons:
        cases = " ".join(f"when {gamma} then '{label}'" for gamma, label in _agree_labels(comparison).items())
        if cases:
            parts.append(f"case gamma_{comparison.name} {cases} end")
    if not parts:
        return "''"
    return "array_to_string(list_filter([" + ", ".join(parts) + "], lambda x: x is not null), '、')"


def _agree_labels(comparison: Comparison) -> dict[int, str]:
    return {gamma: comparison.level(label).agree for gamma, label in comparison.gamma_labels.items()
            if comparison.level(label).agree}


def level_label_sql(comparison: Comparison) -> str:
    """SQL turning gamma_<comparison> into its level label."""
    cases = " ".join(f"when {gamma} then '{label}'" for gamma, label in comparison.gamma_labels.items())
    return f"case gamma_{comparison.name} {cases} end"
