"""The rule registry: checks/rules.toml read into typed entries, and each rule's SQL built for DuckDB.

Building a rule's statement is kept apart from running it (fundwatch.rules runs them).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from fundwatch.paths import sql_file

RULES_FILE = Path(__file__).with_name("rules.toml")
SUBJECT_TYPES = ("人员", "账户", "经办人")
SEVERITIES = ("高", "中", "低")
AMOUNT_KINDS = ("improper", "exposure")
PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    subject: str
    scope: str
    sql: str
    policy: str
    suggestion: str
    key: str = ""  # unique name of the entry; defaults to id (a rule may have a county and a city entry)
    partition: str = ""  # city rules: the column their partitions are cut by (id_number, bank_account)
    city_wide: bool = False  # a county rule comparing a person's payments: a city run runs it on the whole city
    linkage: str = ""  # the identity-resolution purpose the rule reads (identity_links), built before the rules
    amount_kind: str = "improper"  # 问题金额 (money that should not have been paid) or exposure (payments to verify)
    requires: tuple[str, ...] = ()
    requires_columns: tuple[str, ...] = ()
    partial_requires: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.id)

    @property
    def hits_table(self) -> str:
        return f"hits_{self.key.lower()}"

    @property
    def needs_scores(self) -> bool:
        return "scores" in self.requires

    @property
    def reads_other_rules(self) -> bool:
        """The rule's SQL reads clue_hits (the other rules' hits so far), as M01 does."""
        return "clue_hits" in _without_comments(sql_file(f"rules/{self.sql}"))

    def statement(self, shared_parameters: dict) -> tuple[str, dict]:
        """CREATE TABLE hits_<id> AS <the rule's SQL>, with the parameters it names."""
        body = sql_file(f"rules/{self.sql}")
        available = {**shared_parameters, **self.parameters}
        named = set(PARAMETER.findall(_without_comments(body)))
        missing = named - available.keys()
        if missing:
            raise ValueError(f"rule {self.id}: parameters {sorted(missing)} are not set in {RULES_FILE.name}")
        return f"create or replace table {self.hits_table} as\n{body}", {k: available[k] for k in sorted(named)}


@dataclass(frozen=True)
class Registry:
    rules: tuple[Rule, ...]
    parameters: dict

    def rule(self, key: str) -> Rule:
        return next(r for r in self.rules if r.key == key)

    def for_scope(self, scope: str) -> list[Rule]:
        return [r for r in self.rules if r.scope == scope]

    def all_parameters(self) -> dict:
        return {"shared": self.parameters, **{r.key: r.parameters for r in self.rules if r.parameters}}


def _without_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def load_registry(path: Path | None = None, overrides: dict | None = None) -> Registry:
    """Read the catalogue; `overrides` maps a rule key (or "shared") to parameter values to replace."""
    with open(path or RULES_FILE, "rb") as fh:
        config = tomllib.load(fh)
    overrides = overrides or {}
    rules = []
    for entry in config["rules"]:
        entry = dict(entry)
        entry["requires"] = tuple(entry.get("requires", ()))
        entry["requires_columns"] = tuple(entry.get("requires_columns", ()))
        key = entry.get("key") or entry["id"]
        entry["parameters"] = {**entry.get("parameters", {}), **overrides.get(key, {})}
        rule = Rule(**entry)
        if rule.subject not in SUBJECT_TYPES or rule.severity not in SEVERITIES:
            raise ValueError(f"rule {rule.id}: subject must be one of {SUBJECT_TYPES}, severity one of {SEVERITIES}")
        if rule.amount_kind not in AMOUNT_KINDS:
            raise ValueError(f"rule {rule.id}: amount_kind must be one of {AMOUNT_KINDS}")
        rules.append(rule)
    keys = [r.key for r in rules]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{RULES_FILE.name}: duplicate rule keys")
    return Registry(tuple(rules), {**config.get("parameters", {}), **overrides.get("shared", {})})
