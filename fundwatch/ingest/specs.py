"""The input tables as sql/load/tables.toml declares them: names, file names, columns, types."""

from __future__ import annotations

import tomllib
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
    with open(sql_dir() / "load" / "tables.toml", "rb") as fh:
        return tomllib.load(fh)


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
