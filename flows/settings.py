"""The settings of a run: one typed object, parsed once (from the CLI's options, or a schedule's
[runs.options]) and handed to the county or city flow, which passes on what each stage needs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from fundwatch.db import EngineSettings


@dataclass(frozen=True)
class RunOptions:
    seed: int = 0  # the isolation forest's
    validate: bool = True  # run the Great Expectations suites
    keep_database: bool = True  # keep run.duckdb in the output folder (存档备查)
    mask: bool = False  # also write clues_masked.csv / .xlsx
    engine: EngineSettings = field(default_factory=EngineSettings)  # DuckDB's memory limit, threads, spill folder
    rule_parameters: dict = field(default_factory=dict)  # rule key (or "shared") -> parameters replaced
    history: str | None = None  # the history database (核查结果 and earlier runs), if any
    force: bool = False  # replace output folders whose workbook or CSVs were filled in (a copy is kept)

    def for_manifest(self, rule_parameters: dict) -> dict:
        """manifest.json's "parameters": these settings and every rule's parameters as run (Registry.all_parameters)."""
        return {"seed": self.seed, "validate": self.validate, "mask": self.mask, "engine": asdict(self.engine),
                "rules": rule_parameters}
