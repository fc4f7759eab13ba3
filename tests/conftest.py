import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# pytest-xdist's workers set COLUMNS=80 and LINES=24; a `fundwatch` process a test starts must see the
# environment a shell gives it (rich sizes the console tables from COLUMNS).
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)

import duckdb
import pytest

from fundwatch.db import connect


SHARED_CITY_MODULES = ("test_city", "test_ground_truth")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the group marks into the node ids
def pytest_collection_modifyitems(config, items):
    """With pytest-xdist (`-n 2 --dist loadgroup`) a module's tests stay on one worker, so module
    fixtures are built once; the modules reading the one synthetic city run share a worker too."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1]
        group = "synthetic-city" if module in SHARED_CITY_MODULES else module
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for every flow test of the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
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
