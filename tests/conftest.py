import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# pytest-xdist's workers set COLUMNS=80 and LINES=24; a `fundwatch` process a test starts must see the
# environment a shell gives it (rich sizes the console tables from COLUMNS).
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)

import fcntl
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


MIGRATE_PREFECT_DATABASE = """
import asyncio
from prefect.server.database import provide_database_interface
asyncio.run(provide_database_interface().create_db())
"""


@pytest.fixture(scope="session")
def migrated_prefect_database(tmp_path_factory) -> Path:
    """A Prefect database migrated to this Prefect's schema, made once for the session (all xdist workers).

    A server started on a copy skips the migrations: about half of its start (~10 s of ~20 s on two
    cores). One test still starts fundwatch's temporary server on a new, empty home (a machine's first run).
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    template = shared / "prefect-migrated.db"
    with open(shared / "prefect-migrated.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            work = shared / "prefect-migrating.db"
            env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
            env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{work}"
            env["PREFECT_HOME"] = str(shared / "prefect-migrating-home")
            subprocess.run([sys.executable, "-c", MIGRATE_PREFECT_DATABASE], env=env, check=True, timeout=600)
            work.rename(template)
    return template


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
    result = city_run(str(root / "in"), str(root / "out"), RunOptions(validate=False, partitions=4))
    return root, result


def pytest_xdist_node_collection_finished(node, ids):
    """Stop when xdist's grouping did not take: every module's fixtures would be built on both workers
    (pytest 9.2 broke it silently, pytest-dev/pytest-xdist#1386: pyproject.toml keeps pytest below 9.2)."""
    if node.config.getvalue("dist") == "loadgroup" and ids and "@" not in ids[0]:
        pytest.exit("pytest-xdist --dist loadgroup did not group the tests (pytest-dev/pytest-xdist#1386): "
                    "install the locked versions (make test)", returncode=4)
