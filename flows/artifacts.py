"""Prefect artifacts of a run: counts and amounts only (no personal data), and where the outputs are."""

from __future__ import annotations

import re
from pathlib import Path

from prefect.artifacts import create_link_artifact, create_table_artifact


def artifact_key(scope: str, what: str) -> str:
    """A key of its own per scope (a county's code, or "city"), so the UI keeps one timeline per scope.

    Prefect keys allow lowercase letters, digits and dashes only.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", scope.lower()).strip("-") or "run"
    return f"{slug}-{what}"


def publish_artifacts(scope: str, per_rule: dict, per_county: list[dict], out_dir: str) -> None:
    create_table_artifact(
        key=artifact_key(scope, "clues-per-rule"),
        table=[{"规则编号": rule, "线索数": v["clues"], "金额": v["amount"]} for rule, v in per_rule.items()],
        description="问题线索：各规则线索数与涉及金额",
    )
    create_table_artifact(
        key=artifact_key(scope, "clues-per-county"),
        table=[{"排名": r.get("rank", 1), "行政区划代码": r["county"], "领取人数": r["recipients"], "线索数": r["clues"],
                "问题金额": r["improper_amount"], "涉及金额": r["exposure_amount"],
                "每万人线索数": float(r.get("clues_per_10k") or 0)}
               for r in per_county],
        description="各县区线索数、问题金额、涉及金额（每笔发放只计一次）与每万人比率",
    )
    create_link_artifact(key=artifact_key(scope, "outputs"), link=Path(out_dir).resolve().as_uri(), link_text="输出文件夹")
