"""The city run (市县联动): every county as a county run, then the cross-county rules and the city list.

The order is the city flow's (flows/city.py); these are its library functions. Counties never share
a process's memory: each county run leaves its results (clues, evidence, hits, scores, quarantine) in
an exchange folder as Parquet, and its database where the city can read it (its output folder, or
the exchange when it is not kept). The city database copies every county's payments, recipients and
operations from those databases, attached read-only, and takes the results from the exchange; the
cross-county rules and the city-wide rules run on it, and the city outputs are assembled there.
Source paths and row keys are made city-wide as they are copied: paths relative to the city folder,
row keys prefixed by the county's position.
"""

from __future__ import annotations

import contextlib
import glob
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from fundwatch.db import EngineSettings, connect, run_sql, sql_literal
from fundwatch.emit import BOM, publish, write_csvs, write_management_csv, write_manifest, write_masked_clues_csv
from fundwatch.identity_links import summaries
from fundwatch.ingest import RunInputs
from fundwatch.load import create_paid_payments
from fundwatch.paths import sql_file
from fundwatch.provenance import now_iso, versions
from fundwatch.rules import ASSEMBLY_TABLES, NO_RULE_HITS
from fundwatch.summary import clue_summary, final_rule_counts, run_summary

ROW_KEY_COUNTY_FACTOR = 10**14
REFERENCE_TABLES = ("deaths", "prisoners", "public_employees", "employment", "staff")
COUNTY_TABLES = ("payments", "recipients", "operations")
CITY_FOLDER = "city"


@dataclass(frozen=True)
class CityPlan:
    input_dir: Path
    out_dir: Path
    staging_dir: Path
    counties: tuple[str, ...]
    kept: Path | None = None  # where the filled-in files of the city folder replaced were kept (--force)

    @property
    def exchange_dir(self) -> Path:
        return self.staging_dir / "_exchange"

    @property
    def database(self) -> Path:
        return self.staging_dir / "run.duckdb"

    @property
    def reference_database(self) -> Path:
        return self.exchange_dir / "reference.duckdb"

    def county_dir(self, county: str) -> Path:
        return self.input_dir / county

    def county_out(self, county: str) -> Path:
        return self.out_dir / county

    def ordinal(self, county: str) -> int:
        return self.counties.index(county) + 1

    def exchange(self, county: str) -> ExchangeTarget:
        return ExchangeTarget(self.exchange_dir, county, self.ordinal(county))


@dataclass(frozen=True)
class ExchangeTarget:
    """Where a county run inside a city run leaves its data for the cross-county rules."""

    directory: Path
    county: str
    ordinal: int

    @property
    def database(self) -> Path:
        """Where the county's database goes when the run does not keep it: the city copies from it."""
        return self.directory / "databases" / f"{self.county}.duckdb"


@dataclass(frozen=True)
class CountyDatabase:
    """A finished county run's database, as the city database reads it."""

    county: str
    ordinal: int
    path: Path


def plan_city(inputs: RunInputs, out_dir: Path, force: bool = False) -> CityPlan:
    """The city run's folders, from the inputs found (fundwatch.ingest.discover on the city folder)."""
    from fundwatch.emit import check_replaceable, refuse_or_keep_changed

    input_dir = inputs.root
    if inputs.kind != "city":
        raise ValueError(f"{input_dir} holds no 6-digit county folders: run it as a county")
    out_dir = Path(out_dir).resolve()
    check_replaceable(out_dir / CITY_FOLDER)
    kept = refuse_or_keep_changed(out_dir / CITY_FOLDER, force)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f".{CITY_FOLDER}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "_exchange").mkdir(parents=True)
    return CityPlan(Path(input_dir).resolve(), out_dir, staging, tuple(sorted(inputs.counties)), kept)


def city_path_sql(column: str, county: str) -> str:
    """A county-relative source path made relative to the city folder ('../reference/x' -> 'reference/x')."""
    return (f"case when {column} like '../%' then substr({column}, 4) "
            f"else '{county}/' || {column} end")


def export_county(con: duckdb.DuckDBPyConnection, exchange: ExchangeTarget) -> dict:
    """Write one county's results to the exchange folder (its loaded tables the city copies from its
    database: copy_county_tables)."""
    exchange_dir, county, ordinal = Path(exchange.directory), exchange.county, exchange.ordinal
    folder = exchange_dir / "county" / county
    folder.mkdir(parents=True, exist_ok=True)
    exports = {
        "clues": "select * from clues",
        "clue_evidence": f"select * replace ({city_path_sql('source_file', county)} as source_file, "
                         f"row_key + {ordinal} * {ROW_KEY_COUNTY_FACTOR} as row_key) from clue_evidence",
        "clue_hits": f"select * replace (payment_key + {ordinal} * {ROW_KEY_COUNTY_FACTOR} as payment_key) "
                     "from clue_hits",
        "scores": "select * from scores",
        "quarantine": f"select * replace ({city_path_sql('source_file', county)} as source_file) from quarantine",
    }
    for name, query in exports.items():
        run_sql(con, f"exporting {name}", f"copy ({query}) to {sql_literal(folder / (name + '.parquet'))} (format parquet)")
    if ordinal == 1:  # the reference lists are the same for every county: the first county hands them on
        reference = exchange_dir / "reference"
        reference.mkdir(parents=True, exist_ok=True)
        for table in REFERENCE_TABLES:
            query = f"select * replace ({city_path_sql('source_file', county)} as source_file) from {table}"
            run_sql(con, f"exporting {table}", f"copy ({query}) to {sql_literal(reference / (table + '.parquet'))} "
                                               "(format parquet)")
        from fundwatch.tipoffs import export_tipoffs

        export_tipoffs(con, reference, city_path_sql("source_file", county))
    return {"exchange": str(exchange_dir)}


def _county_parquet(exchange_dir: Path, name: str) -> list[str]:
    return sorted(glob.glob(str(exchange_dir / "county" / "*" / f"{name}.parquet")))


def _union_view(con, name: str, files: list[str], empty_like: str) -> None:
    if files:
        con.execute(f"create or replace table {name} as select * from read_parquet(?, union_by_name = true)", [files])
    else:
        con.execute(f"create or replace table {name} as {empty_like}")


def city_scope(plan: CityPlan) -> str:
    return "city:" + ";".join(plan.counties)


def build_city_database(con: duckdb.DuckDBPyConnection, exchange_dir: Path, counties: list[CountyDatabase]) -> bool:
    """The city database: every county's payments, recipients and operations (from the county
    databases), its quarantine, the reference lists and the tip-offs (from the exchange). Returns
    whether the inputs had tip-offs."""
    run_sql(con, "schema", sql_file("schema.sql"))
    copy_county_tables(con, counties)
    # a reference file is loaded by every county: its rows are listed once
    con.execute("insert into quarantine by name select distinct * from read_parquet(?)",
                [_county_parquet(exchange_dir, "quarantine")])
    for table in REFERENCE_TABLES:
        con.execute(f"insert into {table} by name select * from read_parquet(?)",
                    [str(exchange_dir / "reference" / f"{table}.parquet")])
    from fundwatch.tipoffs import import_tipoffs

    tipoffs_given = import_tipoffs(con, exchange_dir / "reference")
    create_paid_payments(con)
    return tipoffs_given


def copy_county_tables(con: duckdb.DuckDBPyConnection, counties: list[CountyDatabase]) -> None:
    """Each county's loaded payments, recipients and operations into the city database, in the
    counties' order, their row keys and source paths made city-wide."""
    attached = []
    try:
        for county in counties:
            alias = f"county_{county.ordinal}"
            con.execute(f"attach {sql_literal(county.path)} as {alias} (read_only)")
            attached.append(alias)
        for table in COUNTY_TABLES:
            for county, alias in zip(counties, attached):
                run_sql(con, f"copying {county.county}'s {table}",
                        f"insert into {table} by name select * replace ("
                        f"row_key + {county.ordinal} * {ROW_KEY_COUNTY_FACTOR} as row_key, "
                        f"{city_path_sql('source_file', county.county)} as source_file) from {alias}.{table}")
    finally:
        for alias in attached:
            with contextlib.suppress(duckdb.Error):  # after an interrupt the connection may be closed already
                con.execute(f"detach {alias}")


def assemble_city_clues(con: duckdb.DuckDBPyConnection, exchange_dir: Path, cross_county: list, city_wide: list) -> int:
    """The city list: the hits of the cross-county rules and of the city-wide rules (their hits_<rule>
    tables, both run on the city database) assembled into clues, then every county's clues of the other
    rules. `cross_county` and `city_wide` are those rules (key, id, hits_table). Returns the clues
    assembled here."""
    _union_view(con, "scores", _county_parquet(exchange_dir, "scores"),
                "select null::varchar as id_number, null::varchar as person_id, null::varchar as region_code, "
                "null::double as score, null::varchar as top_features where false")
    con.execute(f"create or replace table city_hits as {NO_RULE_HITS}")
    for rule in [*cross_county, *city_wide]:
        con.execute(f"insert into city_hits select '{rule.key}', '{rule.id}', subject_key, payment_key, improper, "
                    f"evidence from {rule.hits_table}")
    replaced = [r.id for r in city_wide]
    _union_view(con, "county_hits", _county_parquet(exchange_dir, "clue_hits"), NO_RULE_HITS)
    con.execute("delete from county_hits where list_contains(?, rule_id)", [replaced])
    con.execute("create or replace view clue_hits as select * from city_hits")
    for table in ASSEMBLY_TABLES:
        body = sql_file(f"clues/{table}.sql")
        run_sql(con, f"building city {table}", f"create or replace table {table} as\n{body}",
                {"county": ""} if "$county" in body else None)
    con.execute("drop table clue_evidence_rows")
    city_clues = con.execute("select count(*) from clues").fetchone()[0]
    con.execute("insert into clues by name select * from read_parquet(?) where not list_contains(?, rule_id)",
                [_county_parquet(exchange_dir, "clues"), replaced])
    con.execute("insert into clue_evidence by name select e.* from read_parquet(?) as e "
                "where not list_contains(?, split_part(e.clue_id, '-', 1))",
                [_county_parquet(exchange_dir, "clue_evidence"), replaced])
    con.execute("create or replace view clue_hits as select * from city_hits union all select * from county_hits")
    return city_clues


def rank_counties(con: duckdb.DuckDBPyConnection) -> dict:
    """county_ranking (测评排名), on verified results once the history holds verdicts; returns the city's
    totals (fundwatch.summary) and the identity-resolution summaries."""
    run_sql(con, "county ranking", "create or replace table county_ranking as\n"
            + sql_file("clues/county_ranking.sql"))
    from fundwatch.history import rank_counties_on_verified_results

    rank_counties_on_verified_results(con)
    return {**clue_summary(con), "linkage": summaries(con)}


RANKING_HEADERS = [
    ("rank", "排名"), ("county", "行政区划代码"), ("recipients", "领取人数"), ("payments", "发放笔数"),
    ("clues", "线索数"), ("improper_amount", "问题金额"), ("exposure_amount", "涉及金额"),
    ("clues_per_10k", "每万人线索数"), ("amount_per_10k", "每万人问题金额"),
    ("late_stop_people", "死亡登记后仍发放人数"), ("late_stop_months", "死亡登记后发放月数"),
    ("late_stop_amount", "死亡登记后发放金额"), ("staff_clues", "经办人员违规线索数"),
    ("top_operator_share", "最大经办人问题金额占比"),
]
MONEY_COLUMNS = ("improper_amount", "exposure_amount", "amount_per_10k", "late_stop_amount")


def write_ranking_csv(con: duckdb.DuckDBPyConnection, target: Path, rule_ids: list[str]) -> None:
    columns = [f"printf('%.2f', {c}) as \"{h}\"" if c in MONEY_COLUMNS else f'{c} as "{h}"' for c, h in RANKING_HEADERS]
    columns += [f'coalesce(rule_clues[\'{r}\'], 0) as "{r}"' for r in rule_ids]
    from fundwatch.history import ranking_columns

    columns += ranking_columns(con)
    plain = target.with_suffix(".nobom.csv")
    con.execute(f"copy (select {', '.join(columns)} from county_ranking order by rank) to {sql_literal(plain)} "
                "(format csv, header true)")
    with open(target, "wb") as out:
        out.write(BOM + plain.read_bytes())
    plain.unlink()


def emit_city(plan: CityPlan, manifest: dict, *, rule_ids: list[str], mask: bool, keep_database: bool,
              history: str | None, engine: EngineSettings | None = None) -> Path:
    """Write the city outputs (county_ranking.csv with a column per rule of `rule_ids`) and publish OUT/city/."""
    from fundwatch.matches import write_identity_outputs
    from fundwatch.report import write_report
    from fundwatch.run import verification_manifest, write_verification_outputs
    from fundwatch.workbook import write_workbook

    out = plan.staging_dir
    shutil.rmtree(plan.exchange_dir, ignore_errors=True)
    with connect(plan.database, engine) as con:
        con.execute("create or replace view clue_hits as select * from city_hits union all select * from county_hits")
        counts = write_csvs(con, out)
        counts.update(write_identity_outputs(con, out, mask))
        counts.update(write_verification_outputs(con, out, mask))
        if (manifest.get("management") or {}).get("written"):
            counts["management.csv"] = write_management_csv(con, out)
        write_ranking_csv(con, out / "county_ranking.csv", rule_ids)
        manifest = {**manifest, **verification_manifest(con), "outputs": counts, "finished_at": now_iso()}
        summary = run_summary(con, manifest)  # what the workbooks and the report show, counted once
        write_workbook(con, out / "clues.xlsx", manifest, summary=summary)
        write_report(con, out / "report.html", manifest, summary=summary)
        if mask:
            counts["clues_masked.csv"] = write_masked_clues_csv(con, out / "clues_masked.csv")
            write_workbook(con, out / "clues_masked.xlsx", manifest, mask=True, summary=summary)
        if history:
            from fundwatch.history import record_run

            record_run(con, Path(history), city_scope(plan), manifest["started_at"], plan.out_dir / CITY_FOLDER)
    write_manifest(manifest, out)
    if not keep_database:
        plan.database.unlink()
    publish(out, plan.out_dir / CITY_FOLDER)
    return plan.out_dir / CITY_FOLDER


def discard(plan: CityPlan) -> None:
    shutil.rmtree(plan.staging_dir, ignore_errors=True)


def county_rule_summary(county_results: list[dict]) -> list[dict]:
    """The county rules across counties: clues and seconds summed, reasons joined."""
    merged: dict[str, dict] = {}
    for result in county_results:
        for rule in result["rules"]:
            entry = merged.setdefault(rule["rule_key"], {**rule, "clues": 0, "seconds": 0.0, "status": "skipped",
                                                         "reasons": {}})
            entry["clues"] += rule["clues"]
            entry["seconds"] = round(entry["seconds"] + rule["seconds"], 3)
            if rule["status"] == "run":
                entry["status"] = "run"
            if rule["reason"]:
                entry["reasons"][result["county"]] = rule["reason"]
    rules = []
    for entry in merged.values():
        reasons = entry.pop("reasons")
        entry["reason"] = "；".join(f"{county}：{reason}" for county, reason in sorted(reasons.items()))
        rules.append(entry)
    return rules


def city_manifest(plan: CityPlan, parameters: dict, county_results: list[dict], city_rules: list[dict],
                  assembled: dict, started_at: str, seconds: dict) -> dict:
    """The city's manifest.json; `parameters` are the run's settings as recorded (flows.settings)."""
    inputs = []
    for result in county_results:
        for f in result["inputs"]:
            path = f["path"][3:] if f["path"].startswith("../") else f"{result['county']}/{f['path']}"
            if not any(i["path"] == path for i in inputs):
                inputs.append({**f, "path": path})
    return {
        "run": {"kind": "city", "county": "", "counties": list(plan.counties), "input": str(plan.input_dir)},
        "inputs": inputs,
        "ignored_files": [],
        "load_warnings": list(dict.fromkeys(w for r in county_results for w in r.get("load_warnings", []))),
        "validation": {"by_county": {r["county"]: r["validation"] for r in county_results}},
        "rules": final_rule_counts(county_rule_summary(county_results) + city_rules, assembled),
        "clues": {k: v for k, v in assembled.items() if k not in ("ranking", "linkage", "management")},
        "linkage": assembled.get("linkage", []),
        "management": assembled.get("management"),
        "county_ranking": assembled["ranking"],
        "counties": {r["county"]: {"out_dir": r["out_dir"], "clues": r["clues"]["clues"],
                                   "stage_seconds": r["stage_seconds"]} for r in county_results},
        "parameters": parameters,
        "versions": versions(),
        "stage_seconds": seconds,
        "started_at": started_at,
    }
