"""The programs the benchmark measures in child processes, as Python source for `python -c`."""

from __future__ import annotations

IMPORTS = {  # what each stage imports, each measured in a fresh interpreter
    "flows.county (CLI start: prefect, fundwatch.run, sklearn)": "import flows.county",
    "great_expectations (validate stage)": "import great_expectations, duckdb_engine, checks.validation",
    "fundwatch.report + workbook (emit stage)": "import fundwatch.report, fundwatch.workbook",
    "everything a run imports": ("import flows.county, great_expectations, duckdb_engine, checks.validation, "
                                 "fundwatch.report, fundwatch.workbook"),
}
HELLO_FLOW = """
from prefect import flow, task

@task
def hello():
    return "hello"

@flow(name="hello-world")
def hello_flow():
    return hello()

print(hello_flow())
"""
# The `fundwatch` console script's entry point (flows.cli.app), with its summary printer also writing the
# run's stage_seconds (manifest.json is written during the emit stage, so its stage_seconds lack emit) and
# the time each stage started (fundwatch.progress events), to find the stage of the peak RSS.
FUNDWATCH_CLI = """
import json, os, sys, time
import flows.cli as cli
from fundwatch import progress

events = []
progress.subscribe(lambda stage, message: events.append((time.time(), stage, message)))
print_summary = cli._summary

def summary(result):
    with open(os.environ["FUNDWATCH_BENCH_STAGES"], "w") as f:
        json.dump({"stage_seconds": result["stage_seconds"], "events": events, "finished": time.time()}, f)
    print_summary(result)

cli._summary = summary
sys.argv[0] = "fundwatch"
cli.main()
"""
# --profile: the county flow (flows.county.county_run, on a temporary Prefect server started first), with
# every DuckDB statement and every named SQL step (fundwatch.db.run_sql) timed through a thin proxy.
PROFILE_STAGES = """
import collections, json, sys, time
from pathlib import Path
import flows.county, checks.validation, fundwatch.report, fundwatch.workbook  # what a run imports, before patching
import fundwatch.db as db
from flows.county import county_run
from flows.server import start_if_needed, using

county, out, target = sys.argv[1:4]
steps = collections.defaultdict(lambda: [0, 0.0])
statements = collections.defaultdict(lambda: [0, 0.0])

def record(table, key, started):
    entry = table[key]
    entry[0] += 1
    entry[1] += time.perf_counter() - started

class Timed:
    def __init__(self, con):
        self._con = con
    def __getattr__(self, name):
        return getattr(self._con, name)
    def __enter__(self):
        self._con.__enter__()
        return self
    def __exit__(self, *exc):
        return self._con.__exit__(*exc)
    def execute(self, sql, *args, **kwargs):
        # DuckDB finds Arrow/pandas/polars objects named in SQL in the frame that calls execute, which is
        # now this one: register the caller's for the statement
        caller, text, registered = sys._getframe(1).f_locals, str(sql), []
        for name, value in caller.items():
            if name in text and type(value).__module__.split(".")[0] in ("pyarrow", "pandas", "polars"):
                self._con.register(name, value)
                registered.append(name)
        started = time.perf_counter()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            record(statements, " ".join(text.split())[:200], started)
            for name in registered:
                self._con.unregister(name)

original_connect, original_run_sql = db.connect, db.run_sql

def connect(*args, **kwargs):
    return Timed(original_connect(*args, **kwargs))

def run_sql(con, step, sql, params=None):
    started = time.perf_counter()
    try:
        return original_run_sql(con, step, sql, params)
    finally:
        record(steps, step, started)

for module in list(sys.modules.values()):
    if getattr(module, "connect", None) is original_connect:
        module.connect = connect
    if getattr(module, "run_sql", None) is original_run_sql:
        module.run_sql = run_sql

server = start_if_needed()
with using(server):  # the server's start-up is not the run's
    started = time.perf_counter()
    result = county_run(county, out)
top = lambda table, n: [{"what": k, "calls": c, "seconds": round(t, 3)}
                        for k, (c, t) in sorted(table.items(), key=lambda kv: -kv[1][1])[:n]]
with open(target, "w", encoding="utf-8") as f:
    json.dump({"wall_seconds": round(time.perf_counter() - started, 3), "stage_seconds": result["stage_seconds"],
               "rule_seconds": {r["rule_id"]: r.get("seconds") for r in result["rules"]},
               "sql_steps": top(steps, 40), "statements": top(statements, 40)}, f, ensure_ascii=False, indent=1)
"""
BASELINE = """
import duckdb, json, sys, time
files, id_column, period_column = json.loads(sys.argv[1])
started = time.perf_counter()
con = duckdb.connect()
con.execute(f'''create table groups as
    select "{id_column}" as id_number, "{period_column}" as period, count(*) as payments
    from read_csv($files, header = true, all_varchar = true)
    group by all''', {"files": files})
groups, rows = con.execute("select count(*), sum(payments) from groups").fetchone()
print(json.dumps({"groups": groups, "rows": int(rows), "seconds": round(time.perf_counter() - started, 3)}))
"""
