import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# pytest-xdist's workers set COLUMNS=80 and LINES=24; a `fundwatch` process a test starts must see the
# environment a shell gives it (rich sizes the console tables from COLUMNS).
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)

import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from fundwatch.db import connect


# Modules reading one shared run go to one worker, so that the run is made once: the synthetic city
# run (conftest's synthetic_city) and the pipeline run of test_workbook.pipeline_run.
SHARED_RUN_GROUPS = {"test_city": "synthetic-city", "test_ground_truth": "synthetic-city",
                     "test_workbook": "pipeline-run", "test_report": "pipeline-run"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the group marks into the node ids
def pytest_collection_modifyitems(config, items):
    """With pytest-xdist (`-n 2 --dist loadgroup`) a module's tests stay on one worker, so module
    fixtures are built once; the modules reading one shared run share a worker too."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1]
        group = SHARED_RUN_GROUPS.get(module, module)
        item.add_marker(pytest.mark.xdist_group(group))


# Migrates a new Prefect database once into <shared>/prefect-migrated.db, under a file lock: whoever
# comes second (a worker, or the background start below) waits, then finds it there.
MIGRATE_PREFECT_DATABASE = """
import fcntl, sys
from pathlib import Path
shared = Path(sys.argv[1])
template = shared / "prefect-migrated.db"
with open(shared / "prefect-migrated.lock", "w") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    if not template.exists():
        import asyncio
        from prefect.server.database import provide_database_interface
        asyncio.run(provide_database_interface().create_db())
        (shared / "prefect-migrating.db").rename(template)
"""


def migrate_prefect_database(shared: Path, wait: bool = True) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{shared / 'prefect-migrating.db'}"
    env["PREFECT_HOME"] = str(shared / "prefect-migrating-home")
    process = subprocess.Popen([sys.executable, "-c", MIGRATE_PREFECT_DATABASE, str(shared)], env=env)
    if wait and process.wait(timeout=600) != 0:
        raise RuntimeError(f"migrating a Prefect database in {shared} failed (exit {process.returncode})")
    return process


def pytest_sessionstart(session):
    """Begin the Prefect migration (~20 s of one core) at once, in the background: the tests that need no
    Prefect run meanwhile, where a worker would otherwise wait for it when it first needs a server."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if os.environ.get("PYTEST_XDIST_WORKER") or factory is None:
        return
    session.config.stash[BACKGROUND_MIGRATION] = migrate_prefect_database(factory.getbasetemp(), wait=False)


def pytest_sessionfinish(session):
    background = session.config.stash.get(BACKGROUND_MIGRATION, None)
    if background is not None and background.poll() is None:
        background.kill()
        background.wait()


BACKGROUND_MIGRATION = pytest.StashKey[subprocess.Popen]()


@pytest.fixture(scope="session")
def migrated_prefect_database(tmp_path_factory) -> Path:
    """A Prefect database migrated to this Prefect's schema, made once for the session (all xdist workers),
    begun in the background when the session starts.

    A server started on a copy skips the migrations: about half of its start (~10 s of ~20 s on two
    cores). One test still starts fundwatch's temporary server on a new, empty home (a machine's first run).
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    migrate_prefect_database(shared)
    return shared / "prefect-migrated.db"


@pytest.fixture(scope="session")
def prefect_harness(migrated_prefect_database):
    """One temporary Prefect server for every flow test of the session (Prefect's test harness, its
    database a copy of the migrated one: the harness takes the folder for it from mkdtemp)."""
    import prefect.testing.utilities as harness

    folder = tempfile.mkdtemp(prefix="prefect-harness-")
    shutil.copyfile(migrated_prefect_database, Path(folder) / "prefect-test.db")
    with ExitStack() as stack:
        with mock.patch.object(harness, "mkdtemp", lambda: folder):
            stack.enter_context(harness.prefect_test_harness(server_startup_timeout=120))
        yield


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with fundwatch's macros (read-only use: shared by a module)."""
    connection = connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def synthetic_city(prefect_harness, tmp_path_factory):
    """One city run on the synthetic ground truth, shared by every test that reads a whole city's outputs
    (run once: the most expensive path of the suite). Returns (root, result): root/in and root/out."""
    from flows.city import city_run
    from flows.settings import RunOptions
    from fundwatch.synth import synth

    root = tmp_path_factory.mktemp("synthetic-city")
    synth(root / "in", counties=3, persons=3000, months=24, seed=7)
    result = city_run(str(root / "in"), str(root / "out"), RunOptions(validate=False))
    return root, result


def pytest_xdist_node_collection_finished(node, ids):
    """Stop when xdist's grouping did not take: every module's fixtures would be built on both workers
    (pytest 9.2 broke it silently, pytest-dev/pytest-xdist#1386: pyproject.toml keeps pytest below 9.2)."""
    if node.config.getvalue("dist") == "loadgroup" and ids and "@" not in ids[0]:
        pytest.exit("pytest-xdist --dist loadgroup did not group the tests (pytest-dev/pytest-xdist#1386): "
                    "install the locked versions (make test)", returncode=4)
