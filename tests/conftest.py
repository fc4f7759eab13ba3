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
