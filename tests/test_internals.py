"""The environment fundwatch runs in: every import declared, the locked versions installed, and the
library internals it relies on still shaped as it expects.

fundwatch reaches past the public API of three libraries (pyproject.toml bounds each to the tested
minor series). Each such use is checked here, so that an upgrade that changes one fails this file by
name instead of failing a run somewhere else, or passing it silently with a wrong result:

- Great Expectations: checks/gx_duckdb.py extends the private tuple
  ``sqlalchemy_execution_engine._PERSISTED_CONNECTION_DIALECTS``, read by two functions of GX's SQL
  engine. If either stopped keeping DuckDB's connection, every expectation would error (GX fetches
  rows after closing it) and be reported as failed data. gx_duckdb.enable() checks this at run time
  and raises GXInternalsChanged; the tests below show that it does, for each way the internal can change.
- Prefect: flows/server.py starts Prefect's temporary server as Prefect's own SubprocessASGIServer
  does (uvicorn, ``prefect.server.api.server:create_app``, the private ``PREFECT__SERVER_*``
  variables) and reads nested settings; flows/cli.py catches ``prefect.exceptions.TerminationSignal``
  and quiets ``PrefectConsoleHandler`` by class name.
- splink: fundwatch/linkage.py reads and sets the model on ``linker._settings_obj`` (levels'
  ``u_probability``, ``_trained_u_probabilities``, ``splink.internals.constants.LEVEL_NOT_OBSERVED_TEXT``);
  fundwatch/matches.py uses ``splink.internals.html_utils.load_chart_libraries``.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.metadata
import inspect
import math
import re
import sys
import textwrap
import tomllib
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from checks import gx_duckdb

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
RUNTIME_CODE = ("flows", "fundwatch", "checks", "models")


# --- every import declared, the locked versions installed ------------------------------------------------------


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")


def _declared() -> dict[str, set[str]]:
    """Distribution names per group: "runtime" and each extra (self-references such as fundwatch[dask] expanded)."""
    project = PYPROJECT["project"]
    groups = {"runtime": {_name(r) for r in project["dependencies"]}}
    extras = project.get("optional-dependencies", {})
    for extra, requirements in extras.items():
        names = set()
        for requirement in requirements:
            if _name(requirement) == project["name"]:
                for included in re.search(r"\[(.*?)\]", requirement).group(1).split(","):
                    names |= {_name(r) for r in extras[included.strip()]}
            else:
                names.add(_name(requirement))
        groups[extra] = names
    return groups


@functools.cache
def _imported_modules(folder: str) -> dict[str, set[str]]:
    """Top-level modules imported (absolute imports, at any depth of the code) -> files importing them."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def _local_modules() -> set[str]:
    names = {p.name for p in ROOT.iterdir() if p.is_dir()}
    for folder in ("benchmarks", "tests"):  # scripts import their neighbours by file name (benchmarks/run.py: import run)
        names |= {p.stem for p in (ROOT / folder).rglob("*.py")}
    return names


# Imported by runtime code only where an extra is asked for, lazily: the module, the extra, where.
OPTIONAL_RUNTIME_IMPORTS = {"prefect_dask": "dask"}  # flows.city.dask_task_runner, for --dask-address
# Programs run as a process rather than imported: distribution, the group declaring it, the folder running
# it (flows/server.py: `-m uvicorn`; benchmarks/profiling.py: py-spy) and how its code names it.
RUN_AS_PROGRAMS = [("uvicorn", "runtime", "flows", "'uvicorn'"),
                   ("py-spy", "bench", "benchmarks", '"py-spy"')]


@pytest.mark.parametrize("folder, groups", [
    ("flows", ("runtime",)), ("fundwatch", ("runtime",)), ("checks", ("runtime",)), ("models", ("runtime",)),
    ("tests", ("runtime", "test")), ("benchmarks", ("runtime", "test", "bench")),
])
def test_every_third_party_import_is_declared(folder, groups):
    declared = _declared()
    allowed = set().union(*(declared[g] for g in groups))
    distributions = importlib.metadata.packages_distributions()
    local = _local_modules()
    undeclared = []
    for module, files in sorted(_imported_modules(folder).items()):
        if module in sys.stdlib_module_names or module in local:
            continue
        if folder in RUNTIME_CODE and module in OPTIONAL_RUNTIME_IMPORTS:
            assert declared[OPTIONAL_RUNTIME_IMPORTS[module]] & {_name(d) for d in distributions.get(module, [])}
            continue
        provided_by = {_name(d) for d in distributions.get(module, [])}
        assert provided_by, f"{module} (imported by {sorted(files)}) is not installed"
        if not provided_by & allowed:
            undeclared.append(f"{module} ({'/'.join(sorted(provided_by))}) imported by {sorted(files)}")
    assert not undeclared, f"imports not declared in pyproject.toml {groups}: {undeclared}"


@pytest.mark.parametrize("distribution, group, folder, mention", RUN_AS_PROGRAMS)
def test_programs_run_as_processes_are_declared(distribution, group, folder, mention):
    assert any(mention in path.read_text(encoding="utf-8") for path in (ROOT / folder).rglob("*.py"))
    assert distribution in _declared()[group]


def test_runtime_code_does_not_import_pandas():
    """pandas moved to the bench extra: fundwatch itself never imports it (Great Expectations still installs it)."""
    for folder in RUNTIME_CODE:
        assert "pandas" not in _imported_modules(folder), folder
    assert "pandas" in _declared()["bench"] and "pandas" not in _declared()["runtime"]


def test_installed_versions_are_the_locked_ones():
    """What the suite runs on is uv.lock's (make installs it with `uv sync --locked`); packages the lock
    holds but this environment does not (another extra, another platform) are not compared."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    locked = {_name(p["name"]): p["version"] for p in lock["package"] if "version" in p}
    project = PYPROJECT["project"]["name"]
    differing = []
    for dist in importlib.metadata.distributions():
        name = _name(dist.metadata["Name"])
        if name in locked and name != project and dist.version != locked[name]:
            differing.append(f"{name} {dist.version} (uv.lock: {locked[name]})")
    assert not differing, f"installed versions differ from uv.lock: {differing}; run `make test` (uv sync --locked)"
    for name in ("duckdb", "great-expectations", "prefect", "splink", "polars", "scikit-learn"):
        assert name in locked


def test_upper_bounds_admit_the_locked_versions():
    """Each bound stands at the locked minor series: raising uv.lock past it must raise the bound too."""
    from packaging.requirements import Requirement

    lock = {_name(p["name"]): p["version"] for p in tomllib.loads((ROOT / "uv.lock").read_text())["package"]}
    bounded = {}
    for requirement in map(Requirement, PYPROJECT["project"]["dependencies"]):
        if any(spec.operator == "<" for spec in requirement.specifier):
            bounded[_name(requirement.name)] = requirement.specifier
            assert requirement.specifier.contains(lock[_name(requirement.name)]), requirement
    assert {"great-expectations", "prefect", "duckdb-engine", "splink", "sqlalchemy"} <= set(bounded)


# --- Great Expectations: the list checks/gx_duckdb.py extends ---------------------------------------------------


@pytest.fixture(scope="module")
def see():
    from great_expectations.execution_engine import sqlalchemy_execution_engine

    return sqlalchemy_execution_engine


@pytest.fixture
def fresh(see, monkeypatch):
    """GX as it is before enable(); everything changed here is undone after the test."""
    original = tuple(d for d in gx_duckdb.persisted_dialects(see) if not isinstance(d, gx_duckdb._DuckDBDialectName))
    monkeypatch.setattr(see, "_PERSISTED_CONNECTION_DIALECTS", original)
    monkeypatch.setattr(gx_duckdb, "_enabled", False)
    return original


def test_gx_list_is_a_tuple_of_dialect_members(see, fresh):
    from great_expectations.execution_engine.sqlalchemy_dialect import GXSqlDialect

    dialects = gx_duckdb.persisted_dialects(see)
    assert dialects and all(isinstance(d, GXSqlDialect) and isinstance(d.value, str) for d in dialects)
    assert "duckdb" not in dialects  # GX does not keep DuckDB connections by itself: the patch is still needed


def test_both_gx_readers_read_the_module_global(see):
    """Reassigning the module attribute reaches a reader only if it looks the name up when it runs."""

    def names(code) -> set[str]:
        found = set(code.co_names)
        for const in code.co_consts:
            if inspect.iscode(const):
                found |= names(const)
        return found

    for dotted in gx_duckdb.READERS:
        reader = inspect.unwrap(gx_duckdb._reader(see, dotted))
        assert "_PERSISTED_CONNECTION_DIALECTS" in names(reader.__code__), dotted


def test_enable_makes_both_readers_keep_duckdb_connections(see, fresh):
    gx_duckdb.enable()
    assert "duckdb" in see._PERSISTED_CONNECTION_DIALECTS
    gx_duckdb.check_internals()
    assert see._dialect_requires_persisted_connection(connection_string=gx_duckdb.connection_string("x.duckdb"))


def test_a_gx_engine_on_duckdb_keeps_one_connection(tmp_path, fresh):
    """GX's own engine on a DuckDB file, after enable(): one pooled connection, kept across get_connection()."""
    import sqlalchemy
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    db = tmp_path / "t.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table t as select range as x from range(3)")
    gx_duckdb.enable()
    engine = SqlAlchemyExecutionEngine(connection_string=gx_duckdb.connection_string(db))
    try:
        assert isinstance(engine.engine.pool, sqlalchemy.pool.StaticPool)
        with engine.get_connection() as first:
            assert first.execute(sqlalchemy.text("select count(*) from t")).scalar() == 3
        with engine.get_connection() as second:
            assert second is first and not second.closed
    finally:
        engine.close()
        gx_duckdb.close_connections(db)


def _raises_unsupported(see, match: str):
    before = see._PERSISTED_CONNECTION_DIALECTS if hasattr(see, "_PERSISTED_CONNECTION_DIALECTS") else None
    with pytest.raises(gx_duckdb.GXInternalsChanged, match=match) as raised:
        gx_duckdb.enable()
    message = str(raised.value)
    assert "\n" not in message and "great_expectations" in message and "uv sync --locked" in message
    assert not gx_duckdb._enabled
    after = see._PERSISTED_CONNECTION_DIALECTS if hasattr(see, "_PERSISTED_CONNECTION_DIALECTS") else None
    assert after is before  # GX is left as it was
    return message


def test_enable_refuses_when_the_list_is_gone(see, fresh, monkeypatch):
    monkeypatch.delattr(see, "_PERSISTED_CONNECTION_DIALECTS")
    _raises_unsupported(see, "_PERSISTED_CONNECTION_DIALECTS does not exist")


@pytest.mark.parametrize("changed", [
    pytest.param(lambda d: list(d), id="a list"),
    pytest.param(lambda d: frozenset(d), id="a set"),
    pytest.param(lambda d: tuple(x.value for x in d), id="plain strings"),
    pytest.param(lambda d: (), id="empty"),
])
def test_enable_refuses_a_list_of_another_shape(see, fresh, monkeypatch, changed):
    monkeypatch.setattr(see, "_PERSISTED_CONNECTION_DIALECTS", changed(fresh))
    _raises_unsupported(see, "_PERSISTED_CONNECTION_DIALECTS (is|holds)")


def test_enable_refuses_when_a_reader_is_gone(see, fresh, monkeypatch):
    monkeypatch.delattr(see, "_dialect_requires_persisted_connection")
    _raises_unsupported(see, "_dialect_requires_persisted_connection, which reads _PERSISTED_CONNECTION_DIALECTS, "
                             "does not exist")


def test_enable_refuses_when_the_pool_reader_no_longer_reads_the_list(see, fresh, monkeypatch):
    """A GX that decides the pool from its own copy of the list (taken at import) ignores the patch."""
    copied = tuple(fresh)

    def requires(connection_string=None, credentials=None, url=None):
        return any(connection_string.startswith(d.value) for d in copied)

    monkeypatch.setattr(see, "_dialect_requires_persisted_connection", requires)
    _raises_unsupported(see, "_dialect_requires_persisted_connection.. does not answer True")


def test_enable_refuses_when_get_connection_no_longer_keeps_the_connection(see, fresh, monkeypatch):
    """A GX whose get_connection reads a copy of the list, or always opens a new connection."""
    copied = tuple(fresh)

    @contextmanager
    def get_connection(self):
        if self.dialect_name in copied:
            yield self._connection
        else:
            with self.engine.connect() as connection:
                yield connection

    monkeypatch.setattr(see.SqlAlchemyExecutionEngine, "get_connection", get_connection)
    _raises_unsupported(see, "get_connection raised AssertionError: opened a new connection")


def test_enable_refuses_a_reader_with_another_signature(see, fresh, monkeypatch):
    monkeypatch.setattr(see, "_dialect_requires_persisted_connection", lambda url: True)
    _raises_unsupported(see, r"_dialect_requires_persisted_connection\(\) raised TypeError")


def test_validation_reports_a_changed_gx_as_an_error_not_as_failed_data(tmp_path, see, fresh, monkeypatch):
    """The run stops with GX named, rather than every expectation erroring and being counted as failed."""
    from checks.validation import validate_database

    db = tmp_path / "run.duckdb"
    duckdb.connect(str(db)).close()
    monkeypatch.delattr(see, "_PERSISTED_CONNECTION_DIALECTS")
    with pytest.raises(gx_duckdb.GXInternalsChanged):
        validate_database(db, None)


# --- Prefect: the temporary server of flows/server.py, settings, the CLI's exceptions and handlers ---------------


@pytest.fixture(scope="module")
def uvicorn_command():
    """The server environment and uvicorn arguments of Prefect's own SubprocessASGIServer, from its source."""
    from prefect.server.api import server as api_server

    method = api_server.SubprocessASGIServer._run_uvicorn_command
    tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
    environment = next(ast.literal_eval(n.value) for n in ast.walk(tree) if isinstance(n, ast.Assign)
                       and [getattr(t, "id", None) for t in n.targets] == ["server_env"])
    popen = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and any(k.arg == "args" for k in n.keywords))
    arguments = [ast.literal_eval(e) if isinstance(e, ast.Constant) else ast.unparse(e)
                 for e in next(k.value for k in popen.keywords if k.arg == "args").elts]
    return environment, arguments


def test_temporary_server_environment_is_prefects(uvicorn_command):
    from flows import server

    environment, _ = uvicorn_command
    assert server.SERVER_ENVIRONMENT == environment


def _our_arguments() -> list[str]:
    """The command flows/server.py starts (read from its source: nothing is started here)."""
    from flows import server

    tree = ast.parse(textwrap.dedent(inspect.getsource(server.TemporaryServer.start)))
    popen = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "Popen")
    return [e.value if isinstance(e, ast.Constant) else ast.unparse(e) for e in popen.args[0].elts]


def _options(arguments: list[str]) -> dict[str, str]:
    return dict(zip(arguments[::2], arguments[1::2]))


def test_temporary_server_command_is_prefects(uvicorn_command):
    """Prefect runs `python -m uvicorn --app-dir <prefect's parent> --factory APP --host --port --log-level
    error --lifespan on`; flows/server.py runs the same through its launcher (which execs `-m uvicorn`),
    on a socket it hands over (--fd) instead of --host/--port, with a bounded graceful shutdown."""
    import prefect
    from flows import server

    _, theirs = uvicorn_command
    assert theirs[:3] == ["sys.executable", "-m", "uvicorn"]
    ours = _our_arguments()
    assert ours[:4] == ["sys.executable", "-c", "LAUNCHER", "str(os.getpid())"]
    assert "[sys.executable, '-m', 'uvicorn', *sys.argv[2:]]" in server.LAUNCHER
    theirs, ours = _options(theirs[3:]), _options(ours[4:])
    assert set(theirs) - set(ours) == {"--host", "--port"}
    assert set(ours) - set(theirs) == {"--fd", "--timeout-graceful-shutdown"}
    assert theirs["--app-dir"] == "str(prefect.__module_path__.parent)"
    assert ours["--app-dir"] == "str(Path(prefect.__file__).parent.parent)"
    assert prefect.__module_path__.parent == Path(prefect.__file__).parent.parent
    for option in ("--factory", "--log-level", "--lifespan"):
        assert ours[option] == theirs[option], option
    assert theirs["--factory"] == "prefect.server.api.server:create_app"


def test_uvicorn_has_the_options_flows_server_passes():
    cli = importlib.import_module("uvicorn.main").main
    options = {opt for param in cli.params for opt in param.opts}
    passed = {a for a in _our_arguments() if a.startswith("--")}
    assert passed == {"--app-dir", "--factory", "--fd", "--log-level", "--lifespan", "--timeout-graceful-shutdown"}
    assert passed <= options


def test_create_app_reads_the_variables_flows_server_sets():
    from prefect.server.api.server import create_app

    parameters = inspect.signature(create_app).parameters
    assert {"ephemeral", "final"} <= set(parameters)
    assert all(p.default is not inspect.Parameter.empty for p in parameters.values())  # a factory uvicorn calls bare
    source = inspect.getsource(create_app)
    for variable in ("PREFECT__SERVER_EPHEMERAL", "PREFECT__SERVER_FINAL"):
        assert f'os.getenv("{variable}")' in source, variable


def test_prefect_settings_have_the_fields_flows_server_reads(monkeypatch):
    from prefect.settings import PREFECT_API_URL, Settings, get_current_settings, temporary_settings

    from flows import server

    settings = get_current_settings()
    assert isinstance(settings.server.ephemeral.enabled, bool)
    assert isinstance(settings.server.ephemeral.startup_timeout_seconds, (int, float))
    environment = settings.to_environment_variables(exclude_unset=True)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in environment.items())
    monkeypatch.setenv(server.TIMEOUT_SETTING, "42")
    assert Settings().server.ephemeral.startup_timeout_seconds == 42  # the variable named in the CLI's advice
    assert server.startup_timeout(Settings()) == 42
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        assert get_current_settings().api.url == "http://127.0.0.1:9/api"


def test_prefect_exception_and_handler_the_cli_names():
    import prefect.exceptions
    import prefect.logging.handlers

    assert issubclass(prefect.exceptions.TerminationSignal, BaseException)  # flows/cli.py _is_interrupt
    assert prefect.logging.handlers.PrefectConsoleHandler.__name__ == "PrefectConsoleHandler"  # _quiet_prefect_console


# --- splink: the model fundwatch/linkage.py reads and adjusts ----------------------------------------------------


def test_splink_model_on_the_settings_object():
    """A two-comparison model on 40 records: the attributes fundwatch/linkage.py reads, a level the random
    sample never saw marked LEVEL_NOT_OBSERVED_TEXT, and a u set on the level used by predict()."""
    from splink import DuckDBAPI, Linker
    from splink.internals.constants import LEVEL_NOT_OBSERVED_TEXT
    from splink.internals.html_utils import load_chart_libraries

    def comparison(column: str) -> dict:
        return {"output_column_name": column, "comparison_levels": [
            {"sql_condition": f"{column}_l is null or {column}_r is null", "label_for_charts": "null",
             "is_null_level": True},
            {"sql_condition": f"{column}_l = {column}_r", "label_for_charts": "exact", "m_probability": 0.9,
             "u_probability": 0.1},
            {"sql_condition": "ELSE", "label_for_charts": "else", "m_probability": 0.1, "u_probability": 0.9}]}

    con = duckdb.connect()
    con.execute("create table people as select i::varchar as unique_id, 'n' || (i % 5) as name, 'c' || i as city "
                "from range(40) t(i)")  # names repeat, cities never do
    settings = {"link_type": "dedupe_only", "unique_id_column_name": "unique_id",
                "probability_two_random_records_match": 0.01,
                "blocking_rules_to_generate_predictions": ["l.name = r.name"],
                "comparisons": [comparison("name"), comparison("city")],
                "retain_matching_columns": True, "retain_intermediate_calculation_columns": True}
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register("people"), settings, log_level=None)
    linker.training.estimate_u_using_random_sampling(max_pairs=10_000, seed=1, num_chunks=1, min_count_per_level=None)

    comparisons = {c.output_column_name: c for c in linker._settings_obj.comparisons}
    assert set(comparisons) == {"name", "city"}
    levels = {(name, level.label_for_charts): level
              for name, c in comparisons.items() for level in c.comparison_levels}
    assert levels["name", "null"].is_null_level is True and levels["name", "exact"].is_null_level is False
    trained = levels["name", "exact"]._trained_u_probabilities
    assert isinstance(trained[-1]["probability"], float) and trained[-1]["probability"] == levels["name", "exact"].u_probability
    assert isinstance(LEVEL_NOT_OBSERVED_TEXT, str)
    assert levels["city", "exact"]._trained_u_probabilities[-1]["probability"] == LEVEL_NOT_OBSERVED_TEXT

    levels["name", "exact"].u_probability = 0.5  # keep_configured_u / bound_unobserved_u do this
    predictions = linker.inference.predict(warning_mode="never")
    weights = con.execute(f"select distinct mw_name from {predictions.physical_name}").fetchall()
    assert len(weights) == 1 and math.isclose(weights[0][0], math.log2(levels["name", "exact"].m_probability / 0.5))

    libraries = load_chart_libraries()
    assert isinstance(libraries, (str, tuple, list, dict)) and libraries
    db_api.delete_tables_created_by_splink_from_db()
    con.close()


# --- the dask extra ---------------------------------------------------------------------------------------------


def test_dask_address_without_the_dask_extra_is_one_line(monkeypatch):
    from flows.city import DASK_EXTRA_MISSING, dask_task_runner
    from fundwatch.ingest import InputError

    monkeypatch.setitem(sys.modules, "prefect_dask", None)  # as if prefect-dask were not installed
    with pytest.raises(InputError) as raised:
        dask_task_runner("tcp://127.0.0.1:8786")
    assert str(raised.value) == DASK_EXTRA_MISSING and "\n" not in DASK_EXTRA_MISSING
    assert "uv sync --extra dask" in DASK_EXTRA_MISSING
    assert "dask" in _declared() and "prefect-dask" in _declared()["dask"]
