"""Prefect tasks: each a thin call to one library function, on a run's database or folders.

Tasks take and return paths, names and small summaries, never tables of data. Their logs carry
counts only: no ID numbers, names or accounts. The order they run in is the flows'
(flows/county.py, flows/city.py).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from checks import rule_runner
from checks.registry import Registry, Rule
from flows.settings import RunOptions
from fundwatch import city, progress, run, tipoffs as tipoff_checks
from fundwatch.city import CityPlan, CountyDatabase, ExchangeTarget
from fundwatch.db import EngineSettings, connect
from fundwatch.ingest import RunInputs, discover
from fundwatch.reference import SharedReference
from fundwatch.run import RunPaths
from fundwatch.summary import clue_summary
from models import linkage as identity, scoring


@dataclass(frozen=True)
class Database:
    """A run's DuckDB file and the settings to open it with: what every stage on the database takes."""

    path: Path
    engine: EngineSettings = field(default_factory=EngineSettings)

    def connect(self):
        return connect(self.path, self.engine)

    @contextmanager
    def kept_open(self):
        """The database held open across a run's stages. DuckDB shares one instance per file within a
        process, so each task's connect then joins it (~2 ms) instead of reading the catalog again (~40
        ms), and the file is checkpointed when this closes rather than after every stage. Close it
        before the outputs are published: the database file must be complete when it is moved."""
        with self.connect():
            yield


@task(name="load", cache_policy=NO_CACHE)
def load(paths: RunPaths, inputs: RunInputs, engine: EngineSettings, reference: SharedReference | None = None) -> dict:
    """Read every input file into the run's DuckDB database; quarantine unreadable rows. In a city run
    the reference lists are copied from the city's one load of them."""
    progress.report("load", "读取并校验输入文件")
    summary = run.load_county(paths, inputs, engine, reference)
    read = sum(f["rows_read"] for f in summary["inputs"])
    quarantined = sum(f["rows_quarantined"] for f in summary["inputs"])
    get_run_logger().info("loaded %d files: %d rows read, %d quarantined", len(summary["inputs"]), read, quarantined)
    return summary


@task(name="validate", cache_policy=NO_CACHE)
def validate(paths: RunPaths, enabled: bool = True) -> dict:
    """Run the Great Expectations suites on the loaded tables and write Data Docs (unless turned off)."""
    if not enabled:
        return {"skipped": "validation turned off (--no-validate)"}
    from checks.validation import validate_database

    progress.report("validate", "Great Expectations 数据质量校验")
    for name in [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations")]:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    summary = validate_database(paths.database, paths.docs_dir, shared=True)
    if summary.get("docs"):
        summary["docs"] = Path(summary["docs"]).relative_to(paths.staging_dir).as_posix()
    failed = sum(t.get("failed", 0) for t in summary.get("tables", {}).values())
    get_run_logger().info("validation: %d failed expectations", failed)
    return summary


@task(name="linkage", cache_policy=NO_CACHE)
def linkage(db: Database, rules: list[Rule]) -> list[dict]:
    """Identity resolution (splink) for the rules that read it: identity_links."""
    progress.report("linkage", "身份识别（疑似同一人）")
    with db.connect() as con:
        summary = identity.link_for_rules(con, rules)
    get_run_logger().info("identity resolution: %s", ", ".join(f"{s['purpose']} {s['links']} links" for s in summary))
    return summary


@task(name="rule", task_run_name="rule-{rule_key}", cache_policy=NO_CACHE)
def rule(db: Database, registry: Registry, rule_key: str) -> dict:
    """Run one rule's SQL into hits_<rule>."""
    progress.report("rules", f"规则 {rule_key}")
    with db.connect() as con:
        outcome = rule_runner.apply_rule(con, registry, rule_key)
    get_run_logger().info("rule %s %s: %d clues %s", rule_key, outcome["status"], outcome["clues"],
                          outcome["reason"])
    return outcome


@task(name="score", cache_policy=NO_CACHE)
def score(db: Database, seed: int) -> dict:
    """Score every recipient with the isolation forest."""
    progress.report("score", "孤立森林异常评分")
    with db.connect() as con:
        summary = scoring.score_recipients(con, seed=seed)
    get_run_logger().info("scored %d recipients", summary["recipients_scored"])
    return summary


@task(name="assemble", cache_policy=NO_CACHE)
def assemble(db: Database, registry: Registry, county: str) -> dict:
    """Turn every rule's hits into the clue list and its evidence."""
    progress.report("assemble", "汇总问题线索")
    with db.connect() as con:
        rule_runner.assemble_clues(con, registry, county)
        return clue_summary(con)


@task(name="history", cache_policy=NO_CACHE)
def history(db: Database, history_file: str, scope: str) -> dict:
    """Compare the clues with the previous run and carry the teams' findings forward."""
    from fundwatch.history import apply_history

    progress.report("history", "比对历史核查结果")
    with db.connect() as con:
        return apply_history(con, Path(history_file), scope)


@task(name="tipoff-input", cache_policy=NO_CACHE)
def tipoff_input(db: Database, given: bool | None = None) -> bool:
    """The tip-offs (信访) to match, when the inputs have them."""
    progress.report("tipoffs", "信访举报线索核查")
    with db.connect() as con:
        return tipoff_checks.prepare_tipoffs(con, given)


@task(name="tipoff-matching", cache_policy=NO_CACHE)
def match_tipoffs(db: Database) -> int:
    """Match the tip-offs to recipients by identity resolution (splink): tipoff_matches."""
    with db.connect() as con:
        return len(identity.match_tipoffs(con, "tipoff_input"))


@task(name="tipoffs", cache_policy=NO_CACHE)
def verify_tipoffs(db: Database, given: bool) -> dict:
    """Check what the data shows about the people the tip-offs name; raise the clues about them."""
    with db.connect() as con:
        summary = tipoff_checks.verify_tipoffs(con, given)
    if summary.get("given"):
        get_run_logger().info("tip-offs: %d, matched by number %d, by identity %d, unmatched %d; %d clues about the people named",
                              summary["tipoffs"], summary["by_match"]["身份证号"], summary["by_match"]["身份信息"],
                              summary["by_match"]["未匹配"], summary["clues_named"])
    return summary


@task(name="management", cache_policy=NO_CACHE)
def management(db: Database, registry: Registry) -> dict:
    """Judge the agency's handling from the final clues: 处置时效, desks, staff (management.csv)."""
    from fundwatch.management import build_management, rules_available

    progress.report("management", "管理问题汇总")
    with db.connect() as con:
        return build_management(con, rules_available(con, registry))


@task(name="exchange", cache_policy=NO_CACHE)
def exchange(db: Database, target: ExchangeTarget) -> dict:
    """Leave the county's results for the city database (which copies its loaded tables from the
    county's database)."""
    with db.connect() as con:
        return city.export_county(con, target)


@task(name="emit", cache_policy=NO_CACHE)
def emit(paths: RunPaths, manifest: dict, settings: RunOptions, exchange: ExchangeTarget | None = None) -> dict:
    """Write the output files aside and move the finished folder into place (in a city run a database
    not kept goes to the exchange, for the city database)."""
    progress.report("emit", "写出问题线索清单")
    return run.emit_county(paths, manifest, engine=settings.engine, mask=settings.mask,
                           keep_database=settings.keep_database, history=settings.history,
                           hand_over=exchange.database if exchange else None)


# ---------------------------------------------------------------------------- the city


@task(name="load-reference", cache_policy=NO_CACHE)
def load_reference(plan: CityPlan, engine: EngineSettings) -> SharedReference | None:
    """Read the reference lists once for every county of the city (the files a county folder sees)."""
    progress.report("load", "读取参考名单（全市一次）")
    reference = run.load_reference(plan.reference_database, discover(plan.county_dir(plan.counties[0])),
                                   plan.exchange_dir / "_reference_work", engine)
    get_run_logger().info("reference lists: %d files, loaded once for %d counties",
                          len(reference.files) if reference else 0, len(plan.counties))
    return reference


@task(name="cross-county-rules", cache_policy=NO_CACHE)
def cross_county_rules(db: Database, registry: Registry, rules: list[Rule]) -> list[dict]:
    """The cross-county rules (P03, A01 across counties) on the city database."""
    with db.connect() as con:
        return rule_runner.run_cross_county_rules(con, registry, rules)


@task(name="city-database", cache_policy=NO_CACHE)
def city_database(plan: CityPlan, db: Database, counties: list[CountyDatabase]) -> bool:
    """The city database from the county databases and the exchange; whether the inputs had tip-offs."""
    with db.connect() as con:
        return city.build_city_database(con, plan.exchange_dir, counties)


@task(name="city-wide-rules", cache_policy=NO_CACHE)
def city_wide_rules(db: Database, registry: Registry, rules: list[Rule]) -> None:
    """The rules that compare a person's payments (`city_wide = true`), on the whole city."""
    with db.connect() as con:
        rule_runner.run_city_wide_rules(con, registry, rules)


@task(name="assemble-city", cache_policy=NO_CACHE)
def assemble_city(plan: CityPlan, db: Database, cross_county: list[Rule], city_wide: list[Rule]) -> int:
    """Every county's clues plus the cross-county and city-wide ones."""
    with db.connect() as con:
        return city.assemble_city_clues(con, plan.exchange_dir, cross_county, city_wide)


@task(name="rank-counties", cache_policy=NO_CACHE)
def rank_counties(db: Database) -> dict:
    """The county ranking (测评排名) and the city's totals."""
    with db.connect() as con:
        return city.rank_counties(con)


@task(name="emit-city", cache_policy=NO_CACHE)
def emit_city(plan: CityPlan, manifest: dict, settings: RunOptions, rule_ids: list[str]) -> str:
    """Write the city outputs to OUT/city/."""
    return str(city.emit_city(plan, manifest, rule_ids=rule_ids, mask=settings.mask,
                              keep_database=settings.keep_database, history=settings.history,
                              engine=settings.engine))
