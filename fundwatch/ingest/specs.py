"""The input tables as their sidecars (sql/tables/<table>.toml) declare them: names, file names, columns, types."""

from __future__ import annotations

from dataclasses import dataclass

from fundwatch.paths import sql_dir


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required: bool
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    name: str
    title: str
    scope: str
    file_names: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]

    @property
    def required(self) -> list[ColumnSpec]:
        return [c for c in self.columns if c.required]


@dataclass(frozen=True)
class TypeSpec:
    macro: str
    sql_type: str
    reason: str


def _read_table_config() -> dict:
    from fundwatch.sidecars import loader_config

    return loader_config(sql_dir())


def table_specs() -> dict[str, TableSpec]:
    config = _read_table_config()
    specs = {}
    for name, table in config.items():
        if name == "types":
            continue
        columns = tuple(
            ColumnSpec(c["name"], c["type"], c["required"], tuple(c["aliases"])) for c in table["columns"]
        )
        specs[name] = TableSpec(name, table["title"], table["scope"], tuple(table["file_names"]), columns)
    return specs


def type_specs() -> dict[str, TypeSpec]:
    return {name: TypeSpec(**t) for name, t in _read_table_config()["types"].items()}
