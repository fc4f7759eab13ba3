"""The city as built: canonical tables before formatting, and how a plant states its 涉及金额."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl


@dataclass
class City:
    counties: list[str]
    first_month: int
    last_month: int
    seed: int
    persons: pl.DataFrame  # everyone: recipients and people only on reference lists
    recipients: pl.DataFrame  # canonical, one row per person, county and scheme
    payments: pl.DataFrame  # one row per physical file row (incl. the duplicate copy), with path/line
    deaths: pl.DataFrame
    prisoners: pl.DataFrame
    public_employees: pl.DataFrame
    employment: pl.DataFrame
    ground_truth: pl.DataFrame
    expected_quarantine: pl.DataFrame
    skipped: list[str] = field(default_factory=list)
    # issue 15 (staff, operations, 处置时效): see fundwatch.synth.operations
    operations: pl.DataFrame | None = None
    staff: pl.DataFrame | None = None
    management_truth: pl.DataFrame | None = None

    @property
    def loadable_payments(self) -> pl.DataFrame:
        """The payments a correct loader keeps: no quarantined rows, no duplicate copies."""
        return self.payments.filter(pl.col("bad_column").is_null() & pl.col("duplicate_of_line").is_null())


@dataclass(frozen=True)
class Expect:
    """Which payments of a plant make up its 涉及金额 (CLUES.md, "Amounts").

    Payments are netted per scheme, benefit type and period (退回 and 失败 rows left out, reversals
    subtracted; a group whose net is zero or less counts nothing). The groups of the given periods,
    schemes and benefit types (default: every type but the death-related ones) are summed, less
    each group's first received payment when `less_first` (P01, P03).
    """

    periods: frozenset[int]
    schemes: frozenset[str] | None = None
    benefit_types: frozenset[str] | None = None
    less_first: bool = False

    @staticmethod
    def of(periods, schemes=None, benefit_types=None, less_first: bool = False) -> Expect:
        return Expect(frozenset(periods), None if schemes is None else frozenset(schemes),
                      None if benefit_types is None else frozenset(benefit_types), less_first)
