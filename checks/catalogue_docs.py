"""docs/rules.md, generated from the rules' sidecars (sql/rules/*.toml) with their default parameters.

    python -m checks.catalogue_docs            rewrite docs/rules.md
    python -m checks.catalogue_docs --check    exit 1 when it is out of date (a test runs this)
"""

from __future__ import annotations

import sys
from pathlib import Path

from checks.registry import Registry, load_registry

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
SCOPES = {"county": "县区", "city": "市级（跨县区）"}
AMOUNT_KIND_NAMES = {"improper": "问题金额", "exposure": "涉及金额（待核实）"}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def rules_markdown(registry: Registry) -> str:
    lines = [
        "# Rule catalogue",
        "",
        "Generated from the rules' sidecars (`sql/rules/<name>.toml`) with their default parameters by",
        "`python -m checks.catalogue_docs`; edit the sidecars, not this file.",
        "",
        "| order | id | 线索类型 | 风险等级 | 对象 | 范围 | 金额 | SQL |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for rule in registry.rules:
        lines.append(f"| {rule.order} | {rule.id} | {_cell(rule.title)} | {rule.severity} | {rule.subject} | "
                     f"{SCOPES.get(rule.scope, rule.scope)}{'，市级全市再算' if rule.city_wide else ''} | "
                     f"{AMOUNT_KIND_NAMES[rule.amount_kind]} | `sql/rules/{rule.sql}` |")
    for rule in registry.rules:
        lines += ["", f"## {rule.key} {rule.title}", "",
                  f"- 检查内容: {rule.checks}",
                  f"- 金额口径: {rule.amount_basis}",
                  f"- 政策依据: {rule.policy}",
                  f"- 核查建议: {rule.suggestion}"]
        if rule.requires or rule.requires_columns:
            lines.append(f"- requires: {', '.join((*rule.requires, *rule.requires_columns))}")
        if rule.linkage:
            lines.append(f"- identity linkage: {rule.linkage}")
        for name, value in rule.parameters.items():
            lines.append(f"- parameter `{name}` = `{value}`")
    shared = ", ".join(f"`{k}` = `{v}`" for k, v in registry.parameters.items())
    lines += ["", "## Shared parameters (checks/rules.toml)", "", shared, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = rules_markdown(load_registry())
    if DOCS.exists() and DOCS.read_text(encoding="utf-8") == text:
        return 0
    if "--check" in args:
        print("out of date: docs/rules.md (run python -m checks.catalogue_docs)")
        return 1
    DOCS.write_text(text, encoding="utf-8")
    print("written: docs/rules.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
