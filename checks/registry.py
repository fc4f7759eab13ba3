"""The rule registry: the rules' sidecars (sql/rules/<name>.toml, beside their SQL) and the shared
parameters of checks/rules.toml read into typed entries, and each rule's SQL built for DuckDB.

Building a rule's statement is kept apart from running it (fundwatch.rules runs them).

A rule's words are data declared with it: title, policy, suggestion, checks (检查内容) and
amount_basis (金额口径). checks, amount_basis and suggestion are Jinja2 templates over the rule's
parameters (and the shared ones), rendered when the registry is loaded, so a threshold overridden
for a run ("{{ min_people }}个及以上") is the threshold the report and the workbook state. A missing
text, or a template naming a parameter the rule does not have, is an error at load.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from fundwatch import paths
from fundwatch.paths import sql_file

RULES_FILE = Path(__file__).with_name("rules.toml")
SUBJECT_TYPES = ("人员", "账户", "经办人")
SEVERITIES = ("高", "中", "低")
AMOUNT_KINDS = ("improper", "exposure")
PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
# The words every rule must declare, with what they are called where they are shown.
TEXT_FIELDS = {"title": "线索类型", "policy": "政策依据", "suggestion": "核查建议", "checks": "检查内容",
               "amount_basis": "金额口径"}
TEMPLATE_FIELDS = ("checks", "amount_basis", "suggestion")  # rendered over the rule's parameters


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
    city_wide: bool = False  # a county rule comparing a person's payments: a city run runs it on the whole city
    linkage: str = ""  # the identity-resolution purpose the rule reads (identity_links), built before the rules
    amount_kind: str = "improper"  # 问题金额 (money that should not have been paid) or exposure (payments to verify)
    order: int = 0  # place in the catalogue: rules run and are listed by it
    requires: tuple[str, ...] = ()
    requires_columns: tuple[str, ...] = ()
    partial_requires: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    checks: str = ""  # 检查内容: what the rule checks, in words, with the run's thresholds
    amount_basis: str = ""  # 金额口径: which payments make up the clue's 涉及金额

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
            raise ValueError(f"rule {self.id}: parameters {sorted(missing)} are not set in its sidecar or {RULES_FILE.name}")
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


def _percent(value) -> str:
    """0.01 -> 1%, 0.9 -> 90%."""
    return f"{float(value) * 100:g}%"


def _year_month(value) -> str:
    """199801 -> 1998年1月."""
    return f"{int(value) // 100}年{int(value) % 100}月"


def _pick(rows: list[dict], field_name: str, **criteria) -> object:
    """The `field_name` of the row of a parameter table that fits `criteria`: a row's "*" fits any value
    and the row with the fewest "*" wins (as E01's SQL reads employee_min_ages)."""
    def wildcards(row: dict) -> int:
        return sum(row.get(k) == "*" for k in criteria)

    fitting = sorted((row for row in rows if all(row.get(k) in (v, "*") for k, v in criteria.items())), key=wildcards)
    if not fitting:
        raise ValueError(f"no row fits {criteria}")
    if len(fitting) > 1 and wildcards(fitting[0]) == wildcards(fitting[1]):
        raise ValueError(f"more than one row fits {criteria}")
    return fitting[0][field_name]


_TEXT = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
_TEXT.filters.update(percent=_percent, year_month=_year_month, pick=_pick)


@functools.lru_cache(maxsize=None)
def _text_template(source: str) -> jinja2.Template:
    """Compiled once per text: the catalogue is read many times a run."""
    return _TEXT.from_string(source)


def _rendered_texts(entry: dict, key: str, parameters: dict, source: str) -> dict:
    """The entry with every text present and its templates rendered; an error names the rule and the field."""
    missing = [f"{name} ({label})" for name, label in TEXT_FIELDS.items()
               if not isinstance(entry.get(name), str) or not entry[name].strip()]
    if missing:
        raise ValueError(f"{source}: rule {key}: missing {', '.join(missing)}")
    rendered = dict(entry)
    for name in TEMPLATE_FIELDS:
        try:
            if "{" in entry[name]:
                rendered[name] = _text_template(entry[name]).render(parameters)
        except (jinja2.TemplateError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{source}: rule {key}: {name} ({TEXT_FIELDS[name]}): {exc}") from exc
    return rendered


def rule_entries(rules_dir: Path | None = None) -> list[tuple[str, dict]]:
    """(sidecar file name, entry) of every rule, in catalogue order (`order`, then file name)."""
    entries = []
    for sidecar in sorted(Path(rules_dir or paths.sql_dir() / "rules").glob("*.toml")):
        with open(sidecar, "rb") as fh:
            try:
                entries.append((sidecar.name, tomllib.load(fh)))
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{sidecar}: {exc}") from exc
    return sorted(entries, key=lambda e: (e[1].get("order", 10**6), e[0]))


def load_registry(path: Path | None = None, overrides: dict | None = None, rules_dir: Path | None = None) -> Registry:
    """Read the catalogue: the shared parameters of `path` (checks/rules.toml) and the rules' sidecars
    (sql/rules/*.toml); `overrides` maps a rule key (or "shared") to parameter values to replace."""
    path = Path(path or RULES_FILE)
    with open(path, "rb") as fh:
        config = tomllib.load(fh)
    overrides = overrides or {}
    shared = {**config.get("parameters", {}), **overrides.get("shared", {})}
    rules = []
    for source, entry in rule_entries(rules_dir):
        entry = dict(entry)
        entry["requires"] = tuple(entry.get("requires", ()))
        entry["requires_columns"] = tuple(entry.get("requires_columns", ()))
        key = entry.get("key") or entry["id"]
        entry["parameters"] = {**entry.get("parameters", {}), **overrides.get(key, {})}
        entry = _rendered_texts(entry, key, {**shared, **entry["parameters"]}, source)
        try:
            rule = Rule(**entry)
        except TypeError as exc:
            raise ValueError(f"{source}: rule {key}: {exc}") from exc
        if rule.subject not in SUBJECT_TYPES or rule.severity not in SEVERITIES:
            raise ValueError(f"{source}: rule {rule.id}: subject must be one of {SUBJECT_TYPES}, "
                             f"severity one of {SEVERITIES}")
        if rule.amount_kind not in AMOUNT_KINDS:
            raise ValueError(f"{source}: rule {rule.id}: amount_kind must be one of {AMOUNT_KINDS}")
        rules.append(rule)
    keys = [r.key for r in rules]
    if len(set(keys)) != len(keys):
        raise ValueError(f"sql/rules: duplicate rule keys {sorted({k for k in keys if keys.count(k) > 1})}")
    return Registry(tuple(rules), shared)
