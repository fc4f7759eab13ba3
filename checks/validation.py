"""Validate what a run loaded into its DuckDB database, with Great Expectations 1.x.

The suites are data: the [[tests]] of each table's sidecar (sql/tables/<table>.toml, read by
fundwatch.sidecars), with the parameters of checks/validation_params.toml. Only what can fail is
declared: the DDL made from the same sidecars already guarantees NOT NULL columns and the column
set, and the loader's parsers what they read. :func:`validate_database` runs them inside DuckDB
through GX's SQL execution engine (see checks/gx_duckdb.py for why and how), optionally writes GX
Data Docs, and returns a JSON-serialisable summary for manifest.json. A failed expectation is
reported, never raised.

Personal data stays out of the output: expectations that touch a column of
``params.masked_columns`` (id_number, name, bank_account, person_id) keep their counts and lose
every sampled value before the result is stored or the Data Docs are built (one suite per table),
and SQL expectations select only ``row_key`` and the checked column.

GX is imported inside :func:`validate_database` (the import takes about 6 s).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import string
import time
import tomllib
import warnings
from pathlib import Path
from typing import Any

from fundwatch import interrupt
from fundwatch.sidecars import validation_suites

SPEC_PATH = Path(__file__).with_name("validation_params.toml")
DOCS_SITE = "fundwatch"
DATASOURCE = "fundwatch"

__all__ = ["SPEC_PATH", "build_plan", "load_spec", "resolve_params", "validate_database"]


# ---------------------------------------------------------------------------- the declared suites


def load_spec(path: Path = SPEC_PATH) -> dict:
    """{"params": the [params] of `path`, "tables": {table: {"expectations": [...]}}}: each table's
    sidecar tests, in declared order, then any [[tables.<table>.expectations]] `path` adds."""
    with open(path, "rb") as f:
        extra = tomllib.load(f)
    if "params" not in extra:
        raise ValueError(f"{path}: needs a [params] section")
    tables = {table: {"expectations": tests} for table, tests in validation_suites().items()}
    for table, tspec in extra.get("tables", {}).items():
        tables.setdefault(table, {"expectations": []})["expectations"].extend(tspec.get("expectations", []))
    return {"params": extra["params"], "tables": tables}


def _as_date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise ValueError(f"parameter {name!r} must be a date, not {value!r}")


def resolve_params(defaults: dict, overrides: dict | None = None, today: dt.date | None = None) -> dict:
    """The spec's [params] with ``overrides`` applied and "auto" values computed."""
    params = dict(defaults)
    unknown = set(overrides or {}) - set(params)
    if unknown:
        raise ValueError(f"unknown validation parameters: {sorted(unknown)}; known: {sorted(params)}")
    params.update(overrides or {})

    if params["today"] == "auto":
        params["today"] = today or dt.date.today()
    params["today"] = _as_date(params["today"], "today")
    if params["current_period"] == "auto":
        params["current_period"] = params["today"].year * 100 + params["today"].month
    params["current_period"] = int(params["current_period"])
    for name, value in list(params.items()):
        if name.startswith("min_") and name.endswith("_date"):
            params[name] = _as_date(value, name)
    params["masked_columns"] = [str(c) for c in params["masked_columns"]]
    params["partial_unexpected_count"] = int(params["partial_unexpected_count"])
    return params


def _substitute(value: Any, params: dict, where: str) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        name = value[1:]
        if name not in params:
            raise ValueError(f"{where}: unknown parameter {value!r}")
        return params[name]
    if isinstance(value, list):
        return [_substitute(v, params, where) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, params, where) for k, v in value.items()}
    return value


def _template(text: str, params: dict, where: str) -> str:
    try:
        return string.Template(text).substitute({k: str(v) for k, v in params.items()})
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{where}: bad parameter reference in {text!r}: {exc}") from exc


def _columns_of(kwargs: dict) -> list[str]:
    cols = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    return cols + list(kwargs.get("column_list", []))


def build_plan(spec: dict, params: dict) -> dict[str, list[dict]]:
    """Per table, the expectations to run: type, kwargs (parameters substituted), description,
    the column to report, and whether the expectation touches a masked column."""
    masked = set(params["masked_columns"])
    plan: dict[str, list[dict]] = {}
    for table, tspec in spec["tables"].items():
        items: list[dict] = []
        for i, entry in enumerate(tspec.get("expectations", [])):
            where = f"{table} tests[{i}]"
            if "type" not in entry or "description" not in entry:
                raise ValueError(f"{where}: needs `type` and `description`")
            kwargs = _substitute(dict(entry.get("kwargs", {})), params, where)
            if "unexpected_rows_query" in kwargs:
                kwargs["unexpected_rows_query"] = _template(kwargs["unexpected_rows_query"], params, where)
            cols = _columns_of(kwargs)
            items.append({
                "type": entry["type"],
                "kwargs": kwargs,
                "column": entry.get("column") or (",".join(cols) if cols else None),
                "description": _template(entry["description"], params, where),
            })
        for n, item in enumerate(items):
            item["key"] = f"{table}#{n}"
            touched = set(_columns_of(item["kwargs"]))
            if item["column"]:
                touched.update(item["column"].split(","))
            item["masked"] = bool(touched & masked)
        plan[table] = items
    return plan


# ---------------------------------------------------------------------------- running GX


def _quiet_gx() -> None:
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    for name in ("great_expectations", "great_expectations.core", "great_expectations.data_context"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _tables_present(db_path: Path, wanted: list[str], read_only: bool = True) -> dict[str, int]:
    from . import gx_duckdb

    con = gx_duckdb.open_duckdb(db_path, read_only)
    try:
        names = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = current_schema()"
            ).fetchall()
        }
        return {
            t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in wanted if t in names
        }
    finally:
        con.close()


SAMPLE_KEYS = ("partial_unexpected_list", "partial_unexpected_counts", "partial_unexpected_index_list",
               "unexpected_list", "unexpected_index_list", "unexpected_index_query", "details")


def _withhold_samples(r: Any) -> None:
    """Keep the counts of an expectation on a personal column, drop every value it sampled."""
    if r.result:
        for key in SAMPLE_KEYS:
            r.result.pop(key, None)


def _summarise(item: dict, r: Any, rows: int) -> dict:
    result = dict(r.result or {})
    count = result.get("unexpected_count")
    percent = result.get("unexpected_percent")
    if item["type"] == "UnexpectedRowsExpectation" and isinstance(result.get("observed_value"), int):
        count = result["observed_value"]
        percent = 100.0 * count / rows if rows else None
    error = None
    info = r.exception_info or {}
    # exception_info is either {raised_exception, exception_message, ...} or keyed by metric.
    infos = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for i in infos:
        if i.get("raised_exception"):
            error = str(i.get("exception_message") or "exception").strip().splitlines()[0][:500]
            break
    return {
        "expectation": item["type"],
        "column": item["column"],
        "description": item["description"],
        "success": bool(r.success) and error is None,
        "unexpected_count": int(count) if count is not None else None,
        "unexpected_percent": float(percent) if percent is not None else None,
        **({"error": error} if error else {}),
    }


def validate_database(
    db_path: Path,
    docs_dir: Path | None = None,
    params: dict | None = None,
    *,
    spec_path: Path = SPEC_PATH,
    shared: bool = False,
) -> dict:
    """Run the declared suites on every table of ``db_path`` that exists.

    Returns ``{"engine", "seconds", "tables": {table: {"rows", "expectations", "failed",
    "results": [...]}}, "skipped": {table: reason}, "docs": path | None}``. Each result has
    expectation, column, description, success, unexpected_count, unexpected_percent (GX's: of
    the rows where the checked value is present; for SQL expectations, of all rows), and
    ``error`` when GX could not evaluate the expectation (counted as failed). Table-level
    expectations have no counts.

    ``params`` overrides the [params] of ``spec_path`` (checks/validation_params.toml; see load_spec).
    The caller should have closed its own connection to ``db_path``; if it has not, validation
    still works as long as that connection uses DuckDB's default config. ``shared=True`` opens the
    file with that default config from the start (not read-only), so that other threads of this
    process may open it for writing while validation runs. Every connection opened here is closed
    before returning.
    """
    started = time.perf_counter()
    db_path = Path(db_path)
    if not db_path.is_file():
        raise FileNotFoundError(f"no DuckDB database at {db_path}")
    spec = load_spec(spec_path)
    p = resolve_params(spec["params"], params)
    plan = build_plan(spec, p)
    present = _tables_present(db_path, list(plan), read_only=not shared)
    skipped = {t: "表不存在 · table not in the database" for t in plan if t not in present}
    plan = {t: items for t, items in plan.items() if t in present}

    _quiet_gx()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"great_expectations(\.|$)")
        warnings.filterwarnings("ignore", module=r"duckdb_engine(\.|$)")
        engine, results = _run_gx(db_path, plan, p, docs_dir, read_only=not shared)

    tables: dict[str, dict] = {}
    for table, items in plan.items():
        rows = present[table]
        out = []
        for item in items:
            r = results.get(item["key"])
            if r is None:  # GX returned no result for it: report, do not hide
                out.append({
                    "expectation": item["type"], "column": item["column"],
                    "description": item["description"], "success": False,
                    "unexpected_count": None, "unexpected_percent": None,
                    "error": "no result returned by Great Expectations",
                })
            else:
                out.append(_summarise(item, r, rows))
        tables[table] = {
            "rows": int(rows),
            "expectations": len(out),
            "failed": sum(not x["success"] for x in out),
            "results": out,
        }
    return {
        "engine": engine,
        "seconds": round(time.perf_counter() - started, 3),
        "tables": tables,
        "skipped": skipped,
        "docs": str(Path(docs_dir) / "index.html") if docs_dir and plan else None,
    }


def _run_gx(db_path: Path, plan: dict[str, list[dict]], p: dict, docs_dir: Path | None,
            read_only: bool = True) -> tuple[str, dict]:
    import duckdb
    import duckdb_engine
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from . import gx_duckdb

    gx_duckdb.enable()
    engine = (
        f"great_expectations {gx.__version__} SqlAlchemyExecutionEngine on duckdb {duckdb.__version__} "
        f"(duckdb-engine {duckdb_engine.__version__}, checks.gx_duckdb)"
    )
    if not plan:
        return engine, {}

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    if docs_dir is not None:
        docs_dir = Path(docs_dir).resolve()
        docs_dir.mkdir(parents=True, exist_ok=True)
        ctx.add_data_docs_site(
            site_name=DOCS_SITE,
            site_config={
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
            },
        )

    ds = ctx.data_sources.add_sql(name=DATASOURCE, connection_string=gx_duckdb.connection_string(db_path, read_only))
    definitions = []
    masked_keys = set()
    try:
        for table, items in plan.items():
            asset = ds.add_table_asset(name=table, table_name=table)
            batch = asset.add_batch_definition_whole_table(name=f"{table} whole table")
            suite = ctx.suites.add(gx.ExpectationSuite(name=table))
            for item in items:
                cls = getattr(gxe, item["type"])
                suite.add_expectation(
                    cls(**item["kwargs"], description=item["description"], meta={"fundwatch_key": item["key"]})
                )
                if item["masked"]:
                    masked_keys.add(item["key"])
            vd = gx.ValidationDefinition(name=table, data=batch, suite=suite)
            definitions.append(ctx.validation_definitions.add(vd))

        if interrupt.requested():
            raise interrupt.Interrupted("validation stopped")
        checkpoint = ctx.checkpoints.add(
            gx.Checkpoint(
                name="fundwatch",
                validation_definitions=definitions,
                result_format={"result_format": "SUMMARY",
                               "partial_unexpected_count": p["partial_unexpected_count"]},
            )
        )
        run_id = RunIdentifier(run_name=f"fundwatch {db_path.name}", run_time=dt.datetime.now().astimezone())
        run = checkpoint.run(run_id=run_id)
        results: dict[str, Any] = {}
        for identifier, suite_result in run.run_results.items():
            for r in suite_result.results:
                key = (r.expectation_config.meta or {}).get("fundwatch_key")
                if key in masked_keys:
                    _withhold_samples(r)
                if key:
                    results[key] = r
            # The store keeps the result the Data Docs are built from: it gets the withheld copy.
            ctx.validation_results_store.set(identifier, suite_result)
        if interrupt.requested():
            raise interrupt.Interrupted("validation stopped")
        if docs_dir is not None:  # once for every result: a checkpoint action rebuilds the site per suite
            ctx.build_data_docs(site_names=[DOCS_SITE])
            from checks.data_docs_assets import localise

            localise(docs_dir)
        return engine, results
    finally:
        try:
            ds.get_execution_engine().close()
        except Exception:
            pass
        try:
            ds.get_engine().dispose()
        except Exception:
            pass
        gx_duckdb.close_connections(db_path)
