import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import duckdb
import pytest

from fundwatch.db import connect


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
    from fundwatch.synth import synth

    root = tmp_path_factory.mktemp("synthetic-city")
    synth(root / "in", counties=3, persons=3000, months=24, seed=7)
    result = city_run(str(root / "in"), str(root / "out"), run_validation=False, partitions=4)
    return root, result
