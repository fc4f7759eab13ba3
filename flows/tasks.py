"""Prefect tasks: one per stage of a run, each a thin wrapper over fundwatch.run.

Tasks take and return paths, names and small summaries, never tables of data. Their logs carry
counts only: no ID numbers, names or accounts.
"""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from fundwatch import progress, run
from fundwatch.run import RunOptions, RunPaths


@task(name="load", cache_policy=NO_CACHE)
def load(paths: RunPaths, options: RunOptions) -> dict:
    """Read every input file into the run's DuckDB database; quarantine unreadable rows."""
    progress.report("load", "读取并校验输入文件")
    summary = run.load_stage(paths, options)
    read = sum(f["rows_read"] for f in summary["inputs"])
    quarantined = sum(f["rows_quarantined"] for f in summary["inputs"])
    get_run_logger().info("loaded %d files: %d rows read, %d quarantined", len(summary["inputs"]), read, quarantined)
    return summary


@task(name="validate", cache_policy=NO_CACHE)
def validate(paths: RunPaths, options: RunOptions) -> dict:
    """Run the Great Expectations suites on the loaded tables and write Data Docs."""
    progress.report("validate", "Great Expectations 数据质量校验")
    summary = run.validate_stage(paths, options)
    failed = sum(t.get("failed", 0) for t in summary.get("tables", {}).values())
    get_run_logger().info("validation: %d failed expectations", failed)
    return summary


@task(name="rule", task_run_name="rule-{rule_key}", cache_policy=NO_CACHE)
def apply_rule(paths: RunPaths, options: RunOptions, rule_key: str) -> dict:
    """Run one rule's SQL into hits_<rule>."""
    progress.report("rules", f"规则 {rule_key}")
    outcome = run.rule_stage(paths, options, rule_key)
    get_run_logger().info("rule %s %s: %d clues %s", rule_key, outcome["status"], outcome["clues"],
                          outcome["reason"])
    return outcome


@task(name="linkage", cache_policy=NO_CACHE)
def linkage(paths: RunPaths, options: RunOptions) -> list[dict]:
    """Identity resolution (splink) for the rules that read it: identity_links."""
    progress.report("linkage", "身份识别（疑似同一人）")
    summary = run.linkage_stage(paths, options)
    get_run_logger().info("identity resolution: %s", ", ".join(f"{s['purpose']} {s['links']} links" for s in summary))
    return summary


@task(name="score", cache_policy=NO_CACHE)
def score(paths: RunPaths, options: RunOptions) -> dict:
    """Score every recipient with the isolation forest."""
    progress.report("score", "孤立森林异常评分")
    summary = run.score_stage(paths, options)
    get_run_logger().info("scored %d recipients", summary["recipients_scored"])
    return summary


@task(name="assemble", cache_policy=NO_CACHE)
def assemble(paths: RunPaths, options: RunOptions, county: str) -> dict:
    """Turn every rule's hits into the clue list and its evidence."""
    progress.report("assemble", "汇总问题线索")
    return run.assemble_stage(paths, options, county)


@task(name="history", cache_policy=NO_CACHE)
def history(paths: RunPaths, options: RunOptions, scope: str) -> dict:
    """Compare the clues with the previous run and carry the teams' findings forward."""
    progress.report("history", "比对历史核查结果")
    return run.history_stage(paths, options, scope)


@task(name="tipoffs", cache_policy=NO_CACHE)
def tipoffs(paths: RunPaths, options: RunOptions) -> dict:
    """Match the tip-offs (信访) to recipients and check what the data shows about the people they name."""
    progress.report("tipoffs", "信访举报线索核查")
    summary = run.tipoff_stage(paths, options)
    if summary.get("given"):
        get_run_logger().info("tip-offs: %d, matched by number %d, by identity %d, unmatched %d; %d clues about the people named",
                              summary["tipoffs"], summary["by_match"]["身份证号"], summary["by_match"]["身份信息"],
                              summary["by_match"]["未匹配"], summary["clues_named"])
    return summary


@task(name="management", cache_policy=NO_CACHE)
def management(paths: RunPaths, options: RunOptions) -> dict:
    """Judge the agency's handling from the final clues: 处置时效, desks, staff (management.csv)."""
    progress.report("management", "管理问题汇总")
    return run.management_stage(paths, options)


@task(name="exchange", cache_policy=NO_CACHE)
def exchange(paths: RunPaths, options: RunOptions) -> dict:
    """Leave the county's payments and results, partitioned, for the cross-county rules."""
    return run.exchange_stage(paths, options)


@task(name="emit", cache_policy=NO_CACHE)
def emit(paths: RunPaths, options: RunOptions, manifest: dict) -> dict:
    """Write the output files aside and move the finished folder into place."""
    progress.report("emit", "写出问题线索清单")
    return run.emit_stage(paths, options, manifest)
