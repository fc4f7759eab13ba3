"""Run Great Expectations 1.x inside DuckDB: a small, tested compatibility layer.

GX 1.24.1 has no DuckDB data source. Through SQLAlchemy (the `duckdb-engine` dialect) three
things go wrong, and this module fixes each of them and nothing else:

1. Every expectation fails with ``IndexError`` (GX issues #10738, #11579): GX fetches rows after
   closing the connection unless the dialect is listed in
   ``sqlalchemy_execution_engine._PERSISTED_CONNECTION_DIALECTS``. :func:`enable` adds DuckDB to
   that list (it is a module-level tuple of ``GXSqlDialect`` members; we append an object that
   compares equal to ``"duckdb"`` and has the ``.value`` GX reads). GX reads it in two places:
   ``_dialect_requires_persisted_connection`` (a ``StaticPool`` for the engine: one connection) and
   ``SqlAlchemyExecutionEngine.get_connection`` (that connection is kept, not closed). The list is
   private: :func:`enable` checks its shape before extending it and both readers' behaviour after,
   and raises :class:`GXInternalsChanged` rather than let every expectation fail with an error that
   would be reported as failed data (``tests/test_internals.py`` runs the same checks; the
   ``great-expectations`` bound in pyproject.toml keeps a fresh install on the tested series).
2. Column reflection fails on SQLAlchemy >= 2.0.45 (``pg_catalog.pg_collation`` does not exist in
   DuckDB; duckdb_engine issues #1379/#1391). :class:`FundwatchDuckDBDialect` reflects columns
   from DuckDB's own ``information_schema`` instead.
3. duckdb-engine adds a ``custom_user_agent`` to every connection's config, and DuckDB refuses a
   second connection to one file in one process with a different config. Our dialect opens the
   file itself with :func:`open_duckdb` (read-only when it can, else the default config), so it
   also works while, or after, the caller's process has the same file open.

Regular-expression and LIKE expectations still do not compile for DuckDB: express such checks
with ``UnexpectedRowsExpectation`` (plain SQL) or length expectations.

The dialect is registered with SQLAlchemy as ``duckdb+fundwatch``; :func:`connection_string`
builds a URL for it. Its ``name`` stays ``"duckdb"``, which is what GX and the patch look at.
"""

from __future__ import annotations

import re
import threading
import types
import weakref
from pathlib import Path
from typing import Any

import duckdb

from fundwatch import interrupt

DIALECT_NAME = "duckdb"
DRIVER = "fundwatch"

_CONFIG_CLASH = "different configuration"

_lock = threading.Lock()
_enabled = False
# Raw DuckDB connections our dialect opened, per database file, so that
# :func:`close_connections` can release a file even if GX or SQLAlchemy still hold a reference
# to a pooled connection.
_opened: dict[str, weakref.WeakSet] = {}


def open_duckdb(path: Path | str, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open ``path`` read-only; fall back to DuckDB's default config if this process already has
    the file open with another config (DuckDB allows one config per file and process).

    A read-only open fails with a config clash when the caller still holds a read-write
    connection; a default-config connection then joins the caller's database instance. Any other
    error (missing file, lock held by another process) is raised unchanged.
    """
    path = str(Path(path))
    if not read_only:
        return duckdb.connect(path)
    try:
        return duckdb.connect(path, read_only=True)
    except duckdb.ConnectionException as exc:
        if _CONFIG_CLASH not in str(exc):
            raise
    try:
        return duckdb.connect(path)
    except duckdb.ConnectionException as exc:
        if _CONFIG_CLASH not in str(exc):
            raise
        raise duckdb.ConnectionException(
            f"{path} is open in this process with a non-default DuckDB config; "
            "close that connection before validating"
        ) from exc


def connection_string(path: Path | str, read_only: bool = True) -> str:
    """SQLAlchemy URL of ``path`` for :class:`FundwatchDuckDBDialect`."""
    return f"{DIALECT_NAME}+{DRIVER}:///{Path(path).resolve()}" + ("" if read_only else "?read_only=false")


_DECIMAL = re.compile(r"^(?:DECIMAL|NUMERIC)\((\d+),\s*(\d+)\)$", re.IGNORECASE)


def _sqlalchemy_type(data_type: str) -> Any:
    """SQLAlchemy type for a DuckDB ``information_schema.columns.data_type``."""
    from sqlalchemy import types as t

    name = data_type.strip().upper()
    if m := _DECIMAL.match(name):
        return t.Numeric(int(m.group(1)), int(m.group(2)))
    simple = {
        "VARCHAR": t.String, "TEXT": t.String, "STRING": t.String,
        "BIGINT": t.BigInteger, "HUGEINT": t.BigInteger, "UBIGINT": t.BigInteger,
        "INTEGER": t.Integer, "UINTEGER": t.Integer,
        "SMALLINT": t.SmallInteger, "TINYINT": t.SmallInteger, "USMALLINT": t.SmallInteger,
        "UTINYINT": t.SmallInteger,
        "BOOLEAN": t.Boolean,
        "DATE": t.Date,
        "TIMESTAMP": t.DateTime, "TIMESTAMP WITH TIME ZONE": t.DateTime,
        "TIME": t.Time,
        "DOUBLE": t.Float, "FLOAT": t.Float, "REAL": t.Float,
        "DECIMAL": t.Numeric, "NUMERIC": t.Numeric,
        "BLOB": t.LargeBinary,
        "INTERVAL": t.Interval,
    }
    cls = simple.get(name)
    return cls() if cls else t.NullType()


def _dialect_class() -> type:
    """Build the dialect class lazily: importing duckdb_engine pulls in SQLAlchemy's PG dialect."""
    import duckdb_engine

    class FundwatchDuckDBDialect(duckdb_engine.Dialect):
        """duckdb-engine, with fundwatch's connection handling and DuckDB-native reflection."""

        driver = DRIVER
        supports_statement_cache = False

        def create_connect_args(self, url: Any) -> tuple[tuple, dict]:
            query = dict(url.query)
            read_only = str(query.pop("read_only", "true")).lower() not in ("false", "0", "no")
            if query:
                raise ValueError(f"unsupported {DIALECT_NAME}+{DRIVER} URL options: {sorted(query)}")
            return (), {"database": url.database, "read_only": read_only}

        def connect(self, *cargs: Any, **cparams: Any) -> Any:
            path = cparams["database"]
            conn = open_duckdb(path, read_only=cparams.get("read_only", True))
            interrupt.track(conn)
            with _lock:
                _opened.setdefault(_key(path), weakref.WeakSet()).add(conn)
            return duckdb_engine.ConnectionWrapper(conn)

        def get_columns(self, connection: Any, table_name: str, schema: str | None = None,
                        **kw: Any) -> list[dict]:
            from sqlalchemy import text
            from sqlalchemy.exc import NoSuchTableError

            rows = connection.execute(
                text(
                    "select column_name, data_type, is_nullable, column_default "
                    "from information_schema.columns "
                    "where table_name = :t and table_schema = coalesce(:s, current_schema()) "
                    "order by ordinal_position"
                ),
                {"t": str(table_name), "s": schema},
            ).fetchall()
            if not rows:
                raise NoSuchTableError(table_name)
            return [
                {
                    "name": name,
                    "type": _sqlalchemy_type(data_type),
                    "nullable": is_nullable == "YES",
                    "default": default,
                    "autoincrement": False,
                    "comment": None,
                }
                for name, data_type, is_nullable, default in rows
            ]

        def get_multi_columns(self, connection: Any, schema: str | None = None,
                              filter_names: Any = None, **kw: Any) -> Any:
            from sqlalchemy import text

            names = filter_names or [
                r[0]
                for r in connection.execute(
                    text(
                        "select table_name from information_schema.tables "
                        "where table_schema = coalesce(:s, current_schema())"
                    ),
                    {"s": schema},
                ).fetchall()
            ]
            return [((schema, n), self.get_columns(connection, n, schema)) for n in names]

    return FundwatchDuckDBDialect


class _DuckDBDialectName:
    """Stands in for a ``GXSqlDialect`` member in GX's persisted-connection list."""

    value = DIALECT_NAME

    def __eq__(self, other: object) -> bool:
        return str(getattr(other, "value", other)).lower() == DIALECT_NAME

    def __hash__(self) -> int:
        return hash(DIALECT_NAME)

    def __repr__(self) -> str:
        return "<fundwatch duckdb dialect name>"


class GXInternalsChanged(RuntimeError):
    """The GX internal this module extends is missing or has another shape: this GX is not supported."""


PATCHED = "great_expectations.execution_engine.sqlalchemy_execution_engine._PERSISTED_CONNECTION_DIALECTS"
# The functions of GX's SQL execution engine that read the list: each must keep DuckDB's connection.
READERS = ("_dialect_requires_persisted_connection", "SqlAlchemyExecutionEngine.get_connection")


def _unsupported(problem: str) -> GXInternalsChanged:
    import great_expectations

    return GXInternalsChanged(
        f"great_expectations {great_expectations.__version__} is not supported: {problem}. checks/gx_duckdb.py "
        f"extends {PATCHED} so that GX keeps DuckDB connections open; install the locked versions "
        "(`make test` or `uv sync --locked`), or adapt checks/gx_duckdb.py and tests/test_internals.py to this GX"
    )


def persisted_dialects(see: types.ModuleType) -> tuple:
    """GX's list of dialects whose connection is kept, checked to have the shape :func:`enable` extends:
    a non-empty tuple of ``GXSqlDialect``-like members with a string ``.value``."""
    if not hasattr(see, "_PERSISTED_CONNECTION_DIALECTS"):
        raise _unsupported(f"{PATCHED} does not exist")
    dialects = see._PERSISTED_CONNECTION_DIALECTS
    if not isinstance(dialects, tuple) or not dialects:
        raise _unsupported(f"{PATCHED} is {type(dialects).__name__} {dialects!r}, not a non-empty tuple")
    odd = [d for d in dialects if not isinstance(getattr(d, "value", None), str)]
    if odd:
        raise _unsupported(f"{PATCHED} holds {odd!r}, without the string .value of a GXSqlDialect member")
    return dialects


def _reader(see: types.ModuleType, dotted: str) -> Any:
    owner: Any = see
    for name in dotted.split("."):
        owner = getattr(owner, name, None)
        if owner is None:
            raise _unsupported(f"{see.__name__}.{dotted}, which reads {PATCHED.rsplit('.', 1)[1]}, does not exist")
    return owner


def _connection_kept(see: types.ModuleType) -> list[str]:
    """Each reader of the list that does not (or no longer) keep a DuckDB connection, and how."""
    problems = []
    requires = _reader(see, READERS[0])
    try:
        if requires(connection_string=connection_string("probe.duckdb")) is not True:
            problems.append(f"{READERS[0]}() does not answer True for a {DIALECT_NAME}+{DRIVER} URL")
    except Exception as exc:  # noqa: BLE001 - any failure here is a change of shape
        problems.append(f"{READERS[0]}() raised {type(exc).__name__}: {exc}")

    get_connection = _reader(see, READERS[1])
    kept = object()

    class _NoNewConnections:
        def connect(self) -> Any:
            raise AssertionError("opened a new connection instead of keeping the one it has")

    probe = types.SimpleNamespace(dialect_name=DIALECT_NAME, _connection=kept, engine=_NoNewConnections())
    try:
        with get_connection(probe) as conn:
            if conn is not kept:
                problems.append(f"{READERS[1]} does not return the connection it keeps for {DIALECT_NAME}")
    except Exception as exc:  # noqa: BLE001
        problems.append(f"{READERS[1]} raised {type(exc).__name__}: {exc}")
    return problems


def check_internals() -> None:
    """Raise :class:`GXInternalsChanged` unless GX's list has the expected shape and, with DuckDB in it
    (:func:`enable`), both of GX's readers keep a DuckDB connection open."""
    from great_expectations.execution_engine import sqlalchemy_execution_engine as see

    dialects = persisted_dialects(see)
    if DIALECT_NAME not in dialects:
        raise _unsupported(f"{PATCHED} does not hold DuckDB (call enable() first)")
    problems = _connection_kept(see)
    if problems:
        raise _unsupported("; ".join(problems))


def enable() -> None:
    """Register the ``duckdb+fundwatch`` dialect and make GX keep DuckDB connections open.

    Idempotent. Imports GX's SQL execution engine, so call it after GX has been imported. Raises
    :class:`GXInternalsChanged` (and changes nothing in GX) when GX's internal list is missing or
    has another shape, or when GX no longer keeps DuckDB's connection with DuckDB in the list.
    """
    global _enabled
    with _lock:
        if _enabled:
            return
        from great_expectations.execution_engine import sqlalchemy_execution_engine as see
        from sqlalchemy.dialects import registry

        dialects = persisted_dialects(see)
        for reader in READERS:
            _reader(see, reader)
        cls = _dialect_class()
        globals()["FundwatchDuckDBDialect"] = cls
        registry.register(f"{DIALECT_NAME}.{DRIVER}", __name__, "FundwatchDuckDBDialect")
        if DIALECT_NAME not in dialects:
            see._PERSISTED_CONNECTION_DIALECTS = (*dialects, _DuckDBDialectName())
        problems = _connection_kept(see)
        if problems:
            see._PERSISTED_CONNECTION_DIALECTS = dialects  # as GX had it
            raise _unsupported("; ".join(problems))
        _enabled = True


def _key(path: Path | str) -> str:
    return str(Path(path).resolve())


def close_connections(path: Path | str) -> int:
    """Close every connection the dialect opened to ``path``; returns how many it closed."""
    with _lock:
        conns = list(_opened.pop(_key(path), ()))
    for conn in conns:
        try:
            conn.close()  # closing twice is harmless in DuckDB
        except duckdb.Error:
            pass
    return len(conns)
